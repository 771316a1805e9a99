//! Cluster membership, peer reservations and the TMCluster exchange (peerfinder.md §10,
//! overlay-wire.md §14; rippled `Cluster.cpp`, `PeerImp::onMessage(TMCluster)`,
//! `NetworkOPsImp::processClusterTimer`, `PeerReservationTable`).
//!
//! Owns: the member table (configured `[cluster_nodes]` plus members introduced by members,
//! each with name, load fee and report time), the reservation table, the "reserved slot" rule,
//! building our periodic TMCluster and applying a received one, and the cluster fee.
//!
//! Must not touch: connections, slot counting (PeerFinder takes the `reserved` answer), charges
//! (the overlay charges a non-member's TMCluster), clocks (NetClock seconds come in).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::{ConnId, Phase};
use crate::messages::Message;
use crate::resource::Charge;

use crate::config::ClusterNode as ConfiguredMember;
use crate::keys::{Alphabet, NodePublicKey};
use crate::messages::proto::{TmCluster, TmClusterNode};

/// How often we send our cluster status to connected members (rippled `setClusterTimer`, 10 s,
/// peerfinder.md §10).
pub const CLUSTER_INTERVAL: Duration = Duration::from_secs(10);

/// Member reports at most this old (NetClock seconds) count towards the cluster fee
/// (rippled `PeerImp::onMessage(TMCluster)`: `now - 90s`, peerfinder.md §10).
pub const CLUSTER_FEE_WINDOW_SECS: u32 = 90;

/// Most members kept. Ours: rippled lets members introduce any number of members; a member is
/// trusted, but a bug or a compromised member must not grow our memory without bound. Entries
/// beyond the cap that are not yet known are ignored.
pub const MAX_CLUSTER_MEMBERS: usize = 1024;

/// Longest member name kept from a TMCluster (longer names are cut at a character boundary).
/// Ours: names are display-only; rippled keeps whatever arrives.
pub const MAX_CLUSTER_NAME_LEN: usize = 128;

/// Most peer reservations (rippled keeps them in the wallet database without a limit; the
/// RPC that adds them is admin-only, this only bounds memory).
pub const MAX_PEER_RESERVATIONS: usize = 4096;

/// One member as we know it (rippled `ClusterNode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterMember {
    /// Empty when none was configured or reported.
    pub name: String,
    /// Load fee level from its last report (0 until one arrives).
    pub load_fee: u32,
    /// NetClock seconds of its last report (0 = never).
    pub report_time: u32,
}

/// The cluster table (rippled `Cluster`).
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    members: BTreeMap<NodePublicKey, ClusterMember>,
}

impl Cluster {
    /// From `[cluster_nodes]`; a key listed twice keeps its first name (rippled logs
    /// "Duplicate node identity" and skips it).
    pub fn from_config(nodes: &[ConfiguredMember]) -> Cluster {
        let mut c = Cluster::default();
        for n in nodes {
            c.members.entry(n.key).or_insert_with(|| ClusterMember {
                name: n.name.clone().unwrap_or_default(),
                load_fee: 0,
                report_time: 0,
            });
        }
        c
    }

    /// From bare keys (no names).
    pub fn from_keys(keys: &[NodePublicKey]) -> Cluster {
        let mut c = Cluster::default();
        for k in keys {
            c.members.entry(*k).or_insert(ClusterMember { name: String::new(), load_fee: 0, report_time: 0 });
        }
        c
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// `Some(name)` (possibly empty) if `key` is a member (rippled `Cluster::member`).
    pub fn member(&self, key: &NodePublicKey) -> Option<&str> {
        self.members.get(key).map(|m| m.name.as_str())
    }

    pub fn get(&self, key: &NodePublicKey) -> Option<&ClusterMember> {
        self.members.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&NodePublicKey, &ClusterMember)> {
        self.members.iter()
    }

    /// rippled `Cluster::update`: a report not newer than the stored one is ignored (false);
    /// an empty name keeps the stored name; an unknown key becomes a member (members can
    /// introduce members), up to [`MAX_CLUSTER_MEMBERS`].
    pub fn update(&mut self, key: NodePublicKey, name: &str, load_fee: u32, report_time: u32) -> bool {
        let name = truncate_name(name);
        let room = self.members.len() < MAX_CLUSTER_MEMBERS;
        match self.members.get_mut(&key) {
            Some(m) => {
                if report_time <= m.report_time {
                    return false;
                }
                if !name.is_empty() {
                    m.name = name.to_string();
                }
                m.load_fee = load_fee;
                m.report_time = report_time;
                true
            }
            None if room => {
                self.members.insert(key, ClusterMember { name: name.to_string(), load_fee, report_time });
                true
            }
            None => false,
        }
    }

    /// Our periodic report (rippled `processClusterTimer`): refresh our own entry (empty name,
    /// `local_fee`, `now`) and, if that was an update, the TMCluster listing every member we
    /// know (us included). `None` when we have no cluster or the report time did not advance
    /// ("too soon"). We export no load sources (no resource gossip, see module docs of
    /// `overlay`).
    pub fn report(
        &mut self,
        own_key: NodePublicKey,
        local_fee: u32,
        now: u32,
        alphabet: Alphabet,
    ) -> Option<TmCluster> {
        if self.members.is_empty() || !self.update(own_key, "", local_fee, now) {
            return None;
        }
        let cluster_nodes = self
            .members
            .iter()
            .map(|(k, m)| TmClusterNode {
                public_key: Some(k.to_base58(alphabet)),
                report_time: Some(m.report_time),
                node_load: Some(m.load_fee),
                node_name: (!m.name.is_empty()).then(|| m.name.clone()),
                address: None,
            })
            .collect();
        Some(TmCluster { cluster_nodes, load_sources: vec![] })
    }

    /// A TMCluster from a member (the caller checked membership): every entry with a valid
    /// node key is applied with [`Cluster::update`]; others are skipped, as rippled does.
    /// Returns how many entries changed the table.
    pub fn on_message(&mut self, m: &TmCluster, alphabet: Alphabet) -> usize {
        let mut changed = 0;
        for n in &m.cluster_nodes {
            let Some(key) =
                n.public_key.as_deref().and_then(|t| NodePublicKey::from_base58(t, alphabet).ok())
            else {
                continue;
            };
            let name = n.node_name.as_deref().unwrap_or_default();
            if self.update(key, name, n.node_load.unwrap_or(0), n.report_time.unwrap_or(0)) {
                changed += 1;
            }
        }
        changed
    }

    /// Median load fee of the reports within [`CLUSTER_FEE_WINDOW_SECS`] of `now` (rippled:
    /// the upper median, `nth_element` at `len / 2`); 0 when there is none.
    pub fn cluster_fee(&self, now: u32) -> u32 {
        let thresh = now.saturating_sub(CLUSTER_FEE_WINDOW_SECS);
        let mut fees: Vec<u32> =
            self.members.values().filter(|m| m.report_time >= thresh).map(|m| m.load_fee).collect();
        if fees.is_empty() {
            return 0;
        }
        fees.sort_unstable();
        fees[fees.len() / 2]
    }
}

fn truncate_name(name: &str) -> &str {
    if name.len() <= MAX_CLUSTER_NAME_LEN {
        return name;
    }
    let mut end = MAX_CLUSTER_NAME_LEN;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// Peer reservations (rippled `PeerReservationTable`, set by the admin RPCs
/// `peer_reservations_add/del`): an **inbound** peer with a reserved key gets a reserved slot.
#[derive(Debug, Clone, Default)]
pub struct PeerReservations {
    table: BTreeMap<NodePublicKey, String>,
}

impl PeerReservations {
    /// Add or replace; returns the previous description. Refused (`Err`) when the table is
    /// full ([`MAX_PEER_RESERVATIONS`]) and `key` is new.
    pub fn insert(&mut self, key: NodePublicKey, description: String) -> Result<Option<String>, usize> {
        if !self.table.contains_key(&key) && self.table.len() >= MAX_PEER_RESERVATIONS {
            return Err(MAX_PEER_RESERVATIONS);
        }
        Ok(self.table.insert(key, description))
    }

    pub fn remove(&mut self, key: &NodePublicKey) -> Option<String> {
        self.table.remove(key)
    }

    pub fn contains(&self, key: &NodePublicKey) -> bool {
        self.table.contains_key(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&NodePublicKey, &str)> {
        self.table.iter().map(|(k, d)| (k, d.as_str()))
    }
}

/// Whether a peer with node key `key` gets a reserved slot (outside the in/out counts,
/// peerfinder.md §2, §10): cluster members in both directions (rippled `onHandoff` and
/// `ConnectAttempt`), reservations only inbound (`onHandoff` alone consults them).
pub fn reserved_slot(
    cluster: &Cluster,
    reservations: &PeerReservations,
    key: &NodePublicKey,
    inbound: bool,
) -> bool {
    cluster.member(key).is_some() || (inbound && reservations.contains(key))
}

// --- the overlay's hooks ---------------------------------------------------------------------

impl super::Overlay {
    /// The cluster table (members, names, last reports).
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// Median load fee of recent member reports (peerfinder.md §10).
    pub fn cluster_fee(&self, now: Instant) -> u32 {
        self.cluster.cluster_fee(self.net_now(now))
    }

    /// rippled `peer_reservations_add`: inbound connections from `key` get a reserved slot.
    /// Returns the previous description; `Err(limit)` when the table is full.
    pub fn add_peer_reservation(
        &mut self,
        key: NodePublicKey,
        description: String,
    ) -> Result<Option<String>, usize> {
        self.reservations.insert(key, description)
    }

    /// rippled `peer_reservations_del`.
    pub fn remove_peer_reservation(&mut self, key: &NodePublicKey) -> Option<String> {
        self.reservations.remove(key)
    }

    /// rippled `peer_reservations_list`.
    pub fn peer_reservations(&self) -> &PeerReservations {
        &self.reservations
    }

    /// Every [`CLUSTER_INTERVAL`]: refresh our own entry and send the table to every connected
    /// member. We follow no ledger, so our load fee is 0, as rippled reports when its validated
    /// ledger is older than 4 minutes.
    pub(super) fn cluster_tick(&mut self, now: Instant) {
        self.next_cluster = now + CLUSTER_INTERVAL;
        let own = *self.public_key();
        let net_now = self.net_now(now);
        let Some(m) = self.cluster.report(own, 0, net_now, self.cfg.profile.alphabet) else { return };
        let members: Vec<ConnId> = self
            .conns
            .iter()
            .filter_map(|(id, c)| match &c.phase {
                Phase::Active(s) if self.cluster.member(&s.peer.public_key).is_some() => Some(*id),
                _ => None,
            })
            .collect();
        let message = Message::Cluster(m);
        for conn in members {
            self.send(conn, &message);
        }
    }

    /// A TMCluster arrived: applied only from a member; anyone else is charged "useless data"
    /// (rippled charges `feeUselessData` and otherwise ignores it).
    pub(super) fn on_cluster(&mut self, _now: Instant, conn: ConnId, m: &TmCluster) -> Option<Charge> {
        let key = self.session(conn).map(|(_, s)| s.peer.public_key)?;
        if self.cluster.member(&key).is_none() {
            return Some(Charge::UselessData);
        }
        self.cluster.on_message(m, self.cfg.profile.alphabet);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{NodeKeyPair, Seed};

    fn key(i: u32) -> NodePublicKey {
        *NodeKeyPair::from_seed(&Seed::from_passphrase(&format!("cluster-{i}"))).public()
    }

    const A: Alphabet = Alphabet::Xrpl;

    #[test]
    fn update_ignores_stale_reports_and_keeps_names() {
        let mut c = Cluster::from_config(&[ConfiguredMember { key: key(1), name: Some("one".into()) }]);
        assert_eq!(c.member(&key(1)), Some("one"));
        assert!(c.update(key(1), "", 5, 100));
        assert_eq!(c.member(&key(1)), Some("one"), "empty name keeps the stored one");
        assert!(!c.update(key(1), "x", 6, 100), "same report time is too soon");
        assert!(c.update(key(1), "renamed", 7, 101));
        assert_eq!(c.get(&key(1)).map(|m| (m.name.as_str(), m.load_fee)), Some(("renamed", 7)));
    }

    #[test]
    fn report_includes_self_and_is_rate_limited_by_report_time() {
        let mut c = Cluster::from_keys(&[key(1)]);
        assert!(Cluster::default().report(key(0), 0, 10, A).is_none(), "no cluster, no report");
        let m = c.report(key(0), 0, 10, A).unwrap();
        assert_eq!(m.cluster_nodes.len(), 2);
        assert!(m.cluster_nodes.iter().any(|n| n.public_key.as_deref() == Some(&key(0).to_base58(A))));
        assert!(c.report(key(0), 0, 10, A).is_none(), "too soon");
        assert!(c.report(key(0), 0, 11, A).is_some());
    }

    #[test]
    fn members_introduce_members_up_to_the_cap_and_bad_keys_are_skipped() {
        let mut c = Cluster::from_keys(&[key(1)]);
        let msg = TmCluster {
            cluster_nodes: vec![
                TmClusterNode {
                    public_key: Some(key(2).to_base58(A)),
                    report_time: Some(50),
                    node_load: Some(256),
                    node_name: Some("two".into()),
                    address: None,
                },
                TmClusterNode {
                    public_key: Some("not a key".into()),
                    report_time: Some(50),
                    node_load: Some(1),
                    node_name: None,
                    address: None,
                },
            ],
            load_sources: vec![],
        };
        assert_eq!(c.on_message(&msg, A), 1);
        assert_eq!(c.member(&key(2)), Some("two"));
        for i in 3..(MAX_CLUSTER_MEMBERS as u32 + 10) {
            c.update(key(i), "", 0, 1);
        }
        assert_eq!(c.len(), MAX_CLUSTER_MEMBERS);
    }

    #[test]
    fn cluster_fee_is_the_upper_median_of_recent_reports() {
        let mut c = Cluster::default();
        c.update(key(1), "", 100, 1000);
        c.update(key(2), "", 300, 1000);
        c.update(key(3), "", 200, 1000);
        c.update(key(4), "", 9999, 1000 - CLUSTER_FEE_WINDOW_SECS - 1);
        assert_eq!(c.cluster_fee(1000), 200);
        c.update(key(5), "", 400, 1000);
        assert_eq!(c.cluster_fee(1000), 300, "even count: element len/2 of the sorted fees");
        assert_eq!(Cluster::default().cluster_fee(1000), 0);
    }

    #[test]
    fn names_are_bounded() {
        let mut c = Cluster::default();
        let long = "é".repeat(MAX_CLUSTER_NAME_LEN);
        c.update(key(1), &long, 0, 1);
        let name = c.member(&key(1)).unwrap();
        assert!(name.len() <= MAX_CLUSTER_NAME_LEN && long.starts_with(name));
    }

    #[test]
    fn reservations_are_inbound_only_and_cluster_is_both_ways() {
        let cluster = Cluster::from_keys(&[key(1)]);
        let mut r = PeerReservations::default();
        r.insert(key(2), "friend".into()).unwrap();
        assert!(reserved_slot(&cluster, &r, &key(1), true));
        assert!(reserved_slot(&cluster, &r, &key(1), false));
        assert!(reserved_slot(&cluster, &r, &key(2), true));
        assert!(!reserved_slot(&cluster, &r, &key(2), false));
        assert!(!reserved_slot(&cluster, &r, &key(3), true));
        assert_eq!(r.remove(&key(2)).as_deref(), Some("friend"));
    }
}
