//! PeerFinder: whom to accept, whom to dial, and which addresses to gossip
//! (peerfinder.md; rippled `src/xrpld/peerfinder`).
//!
//! Owns the slot table, Livecache, Bootcache, fixed peers and their back-off, TMEndpoints
//! content and 503 redirect lists. It is sans-IO: `now` and the RNG are arguments; endpoints are
//! plain [`SocketAddr`]s with hop counts, never protobuf types (the overlay converts), and host
//! names are resolved by the frontend before they get here.
//!
//! Privacy: every address list built here (TMEndpoints, redirects) and the self entry pass
//! through [`crate::privacy`]; a slot flagged [`PeerFinder::set_slot_private`] (and, for a
//! while, its IP after it closed) is never handed out and its own hop-0 announcement is not
//! cached.

pub mod bootcache;
pub mod constants;
pub mod endpoint;
pub mod limits;
pub mod livecache;
pub mod slots;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::RngCore;

pub use bootcache::{Bootcache, BootcacheEntry, BootcacheSnapshot};
pub use constants::*;
pub use endpoint::{
    format_endpoint, is_public_ip, is_valid_gossip_address, parse_endpoint, EndpointParseError, HopEndpoint,
};
pub use limits::{calc_out_peers, LimitsInput, PeerFinderConfig};
pub use livecache::{HandoutTarget, LiveInsert, Livecache, RecentCache};
pub use slots::{Counts, Slot, SlotState};

use crate::config::{NodeConfig, PeerAddress};
use crate::keys::NodePublicKey;
use crate::network::Network;
use crate::privacy::{self, PrivateAddresses};

/// Why PeerFinder refused a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerFinderError {
    #[error("too many connections from {0} (per-IP inbound limit)")]
    IpLimitExceeded(IpAddr),
    #[error("a slot for {0} already exists")]
    DuplicateEndpoint(SocketAddr),
    #[error("no slot for {0}")]
    UnknownSlot(SocketAddr),
    #[error("slot {0} is not in a state that allows this")]
    WrongState(SocketAddr),
    #[error("we connected to ourselves: local endpoint {0} is the remote end of another slot")]
    SelfConnection(SocketAddr),
    #[error("fixed peer {0} has no port")]
    PortZero(SocketAddr),
    #[error("TMEndpoints with {0} entries (limit {ENDPOINTS_HARD_LIMIT})")]
    TooManyEndpoints(usize),
}

/// Result of [`PeerFinder::activate`] (rippled `PeerFinder::Result`, §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Success,
    /// Capacity for this direction is used up (inbound: answer 503 with redirects).
    Full,
    /// Another active slot already has this node key.
    DuplicatePeer,
    /// Inbound, not fixed or reserved, and we take no inbound peers at all (`in_max == 0`).
    InboundDisabled,
}

/// What a received TMEndpoints led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointsOutcome {
    /// Less than the endpoints interval ([`SECONDS_PER_MESSAGE`]) since the last accepted one
    /// from this peer: ignored.
    RateLimited,
    Accepted {
        /// Entries stored after pre-processing.
        stored: usize,
        /// Start a plain TCP connect to this address and report with
        /// [`PeerFinder::check_complete`] (the neighbour's listening port, §6.3 step 7).
        connectivity_check: Option<SocketAddr>,
    },
}

/// Work for the overlay after one timer tick.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickOutput {
    /// Addresses to dial now (call [`PeerFinder::new_outbound_slot`] for each).
    pub connect: Vec<SocketAddr>,
    /// TMEndpoints to send: (active slot, entries). Empty lists are sent too (§6.2).
    pub endpoints: Vec<(SocketAddr, Vec<HopEndpoint>)>,
    /// The Bootcache changed and the save cooldown passed: persist this.
    pub bootcache_save: Option<BootcacheSnapshot>,
}

#[derive(Debug, Clone, Copy)]
struct FixedPeer {
    failures: usize,
    when: Instant,
}

/// The PeerFinder state machine.
#[derive(Debug)]
pub struct PeerFinder {
    config: PeerFinderConfig,
    slots: BTreeMap<SocketAddr, Slot>,
    fixed: BTreeMap<SocketAddr, FixedPeer>,
    livecache: Livecache,
    bootcache: Bootcache,
    /// Recently dialled IPs (port ignored) → last touch (rippled `m_squelches`, §4 step 2).
    squelches: BTreeMap<IpAddr, Instant>,
    /// IPs that asked not to be revealed (live private slots and recent ones).
    private: PrivateAddresses,
    when_broadcast: Instant,
    next_tick: Instant,
}

impl PeerFinder {
    /// The first TMEndpoints broadcast is due at the first tick (§6.2).
    pub fn new(config: PeerFinderConfig, now: Instant) -> PeerFinder {
        PeerFinder {
            config,
            slots: BTreeMap::new(),
            fixed: BTreeMap::new(),
            livecache: Livecache::new(),
            bootcache: Bootcache::new(),
            squelches: BTreeMap::new(),
            private: PrivateAddresses::new(),
            when_broadcast: now,
            next_tick: now,
        }
    }

    pub fn config(&self) -> &PeerFinderConfig {
        &self.config
    }

    pub fn counts(&self) -> Counts {
        Counts::compute(&self.slots, &self.config)
    }

    pub fn slot(&self, remote: &SocketAddr) -> Option<&Slot> {
        self.slots.get(remote)
    }

    pub fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.slots.values()
    }

    pub fn livecache(&self) -> &Livecache {
        &self.livecache
    }

    pub fn bootcache(&self) -> &Bootcache {
        &self.bootcache
    }

    /// The IPs withheld from gossip and redirects ([`crate::privacy`]).
    pub fn private_addresses(&self) -> &PrivateAddresses {
        &self.private
    }

    /// Whether `addr` is one of our `[ips_fixed]` (full IP:port).
    pub fn is_fixed(&self, addr: &SocketAddr) -> bool {
        self.fixed.contains_key(addr)
    }

    /// Replace the Bootcache with a persisted one; returns how many entries were skipped.
    pub fn load_bootcache(&mut self, snapshot: &BootcacheSnapshot) -> usize {
        let (bc, skipped) = Bootcache::from_snapshot(snapshot);
        self.bootcache = bc;
        skipped
    }

    /// Add resolved `[ips]` addresses as static Bootcache entries (§5); returns how many changed.
    pub fn add_bootstrap_addresses(&mut self, addrs: impl IntoIterator<Item = SocketAddr>) -> usize {
        addrs.into_iter().filter(|a| self.bootcache.insert_static(*a)).count()
    }

    /// Add a resolved `[ips_fixed]` address (§4.1); eligible for dialling immediately.
    pub fn add_fixed_peer(&mut self, addr: SocketAddr, now: Instant) -> Result<(), PeerFinderError> {
        if addr.port() == 0 {
            return Err(PeerFinderError::PortZero(addr));
        }
        self.fixed.entry(addr).or_insert(FixedPeer { failures: 0, when: now });
        Ok(())
    }

    /// When a fixed peer may next be dialled, and its failure count.
    pub fn fixed_peer_state(&self, addr: &SocketAddr) -> Option<(Instant, usize)> {
        self.fixed.get(addr).map(|f| (f.when, f.failures))
    }

    fn is_fixed_ip(&self, ip: IpAddr) -> bool {
        self.fixed.keys().any(|a| a.ip() == ip)
    }

    // --- slot lifecycle -----------------------------------------------------------------------

    /// An inbound socket arrived (rippled `new_inbound_slot`): per-IP limit for public sources
    /// (§3.2), then duplicate remote endpoint (§11).
    pub fn new_inbound_slot(&mut self, local: SocketAddr, remote: SocketAddr) -> Result<(), PeerFinderError> {
        if is_public_ip(remote.ip()) {
            let count = self.slots.keys().filter(|a| a.ip() == remote.ip()).count();
            if count + 1 > self.config.ip_limit {
                return Err(PeerFinderError::IpLimitExceeded(remote.ip()));
            }
        }
        if self.slots.contains_key(&remote) {
            return Err(PeerFinderError::DuplicateEndpoint(remote));
        }
        let fixed = self.is_fixed_ip(remote.ip());
        self.slots.insert(remote, Slot::new(remote, Some(local), true, fixed));
        Ok(())
    }

    /// We are about to dial `remote` (rippled `new_outbound_slot`).
    pub fn new_outbound_slot(&mut self, remote: SocketAddr) -> Result<(), PeerFinderError> {
        if self.slots.contains_key(&remote) {
            return Err(PeerFinderError::DuplicateEndpoint(remote));
        }
        let fixed = self.fixed.contains_key(&remote);
        self.slots.insert(remote, Slot::new(remote, None, false, fixed));
        Ok(())
    }

    /// The outbound TCP connection is up with local endpoint `local`. If `local` is the remote
    /// end of another of our slots, we dialled ourselves: close it (§4, §11).
    pub fn on_connected(&mut self, remote: SocketAddr, local: SocketAddr) -> Result<(), PeerFinderError> {
        if self.slots.contains_key(&local) {
            if let Some(s) = self.slots.get_mut(&remote) {
                s.local = Some(local);
            }
            return Err(PeerFinderError::SelfConnection(local));
        }
        let slot = self.slots.get_mut(&remote).ok_or(PeerFinderError::UnknownSlot(remote))?;
        if slot.inbound || slot.state != SlotState::Connect {
            return Err(PeerFinderError::WrongState(remote));
        }
        slot.local = Some(local);
        slot.state = SlotState::Connected;
        Ok(())
    }

    /// The handshake finished with node key `key` (rippled `activate`, §2). `reserved` is true
    /// for cluster members and reservations. An outbound slot that completes the handshake is a
    /// Bootcache success even when our own capacity is full (§7 note).
    pub fn activate(
        &mut self,
        remote: SocketAddr,
        key: NodePublicKey,
        reserved: bool,
        now: Instant,
    ) -> Result<Activation, PeerFinderError> {
        let counts_before = self.counts();
        let duplicate =
            self.slots.values().any(|s| s.state == SlotState::Active && s.public_key.as_ref() == Some(&key));
        let slot = self.slots.get_mut(&remote).ok_or(PeerFinderError::UnknownSlot(remote))?;
        if !matches!(slot.state, SlotState::Accept | SlotState::Connected) {
            return Err(PeerFinderError::WrongState(remote));
        }
        if duplicate {
            return Ok(Activation::DuplicatePeer);
        }
        slot.reserved = reserved;
        if !counts_before.can_activate(slot) {
            if !slot.inbound {
                self.bootcache.on_success(remote);
            }
            if slot.inbound && counts_before.in_max == 0 {
                return Ok(Activation::InboundDisabled);
            }
            return Ok(Activation::Full);
        }
        slot.public_key = Some(key);
        slot.state = SlotState::Active;
        slot.when_accept_endpoints = Some(now);
        let (inbound, fixed) = (slot.inbound, slot.fixed);
        if !inbound {
            self.bootcache.on_success(remote);
            if fixed {
                if let Some(f) = self.fixed.get_mut(&remote) {
                    f.failures = 0;
                    f.when = now;
                }
            }
        }
        Ok(Activation::Success)
    }

    /// The overlay started a graceful close of this slot.
    pub fn on_closing(&mut self, remote: SocketAddr) {
        if let Some(s) = self.slots.get_mut(&remote) {
            s.state = SlotState::Closing;
        }
    }

    /// The connection is gone (rippled `on_closed`): a fixed outbound slot that never became
    /// active backs off (§4.1); an attempt that never completed is a Bootcache failure (§8).
    pub fn on_closed(&mut self, remote: SocketAddr, now: Instant) -> Result<(), PeerFinderError> {
        let slot = self.slots.remove(&remote).ok_or(PeerFinderError::UnknownSlot(remote))?;
        if slot.private {
            self.private.slot_closed(remote.ip(), now);
        }
        if slot.fixed && !slot.inbound && slot.state != SlotState::Active {
            if let Some(f) = self.fixed.get_mut(&remote) {
                f.failures = (f.failures + 1).min(CONNECTION_BACKOFF_MINUTES.len() - 1);
                f.when = now + fixed_backoff(f.failures);
            }
        }
        if matches!(slot.state, SlotState::Connect | SlotState::Connected) {
            self.bootcache.on_failure(remote);
        }
        Ok(())
    }

    /// The peer turned out useless ("Not useful" disconnect, §12): a Bootcache failure.
    pub fn on_failure(&mut self, remote: SocketAddr) {
        self.bootcache.on_failure(remote);
    }

    /// The peer asked not to be revealed (`Crawl: private`): its IP is withheld from
    /// TMEndpoints and redirects while connected and for [`privacy::PRIVATE_MEMORY`] after.
    pub fn set_slot_private(&mut self, remote: SocketAddr, private: bool) -> Result<(), PeerFinderError> {
        let slot = self.slots.get_mut(&remote).ok_or(PeerFinderError::UnknownSlot(remote))?;
        if private && !slot.private {
            self.private.slot_opened(remote.ip());
        } else if !private && slot.private {
            self.private.slot_unflagged(remote.ip());
        }
        slot.private = private;
        Ok(())
    }

    // --- timer ----------------------------------------------------------------------------------

    /// The next time [`PeerFinder::handle_timeout`] wants to run.
    pub fn poll_timeout(&self) -> Instant {
        self.next_tick
    }

    /// One overlay tick (§4): housekeeping, TMEndpoints broadcast if due, autoconnect, and a
    /// Bootcache snapshot if one is due. Call at or after [`PeerFinder::poll_timeout`].
    pub fn handle_timeout(&mut self, now: Instant, rng: &mut impl RngCore) -> TickOutput {
        if now < self.next_tick {
            return TickOutput::default();
        }
        self.next_tick = now + TIMER_INTERVAL;
        self.once_per_second(now);
        let endpoints = self.build_endpoints_for_peers(now, rng);
        let connect = self.autoconnect(now, rng);
        let bootcache_save = self.bootcache.snapshot_if_due(now);
        TickOutput { connect, endpoints, bootcache_save }
    }

    /// Expire the Livecache, per-slot recent caches and the recent-attempt set.
    pub fn once_per_second(&mut self, now: Instant) {
        self.livecache.expire(now);
        for s in self.slots.values_mut() {
            s.recent.expire(now);
        }
        self.squelches.retain(|_, t| now.saturating_duration_since(*t) < RECENT_ATTEMPT_DURATION);
        self.private.expire(now);
    }

    // --- autoconnect (§4) ------------------------------------------------------------------------

    /// Addresses to dial now, in rippled's priority order: fixed peers, Livecache (highest hops
    /// first), Bootcache (highest valence first).
    pub fn autoconnect(&mut self, now: Instant, rng: &mut impl RngCore) -> Vec<SocketAddr> {
        let counts = self.counts();
        let needed = counts.attempts_needed();
        if needed == 0 {
            return vec![];
        }
        for a in self.slots.keys() {
            self.squelches.insert(a.ip(), now);
        }
        if counts.fixed_active < self.fixed.len() {
            let list = self.get_fixed(needed, now);
            if !list.is_empty() || counts.attempts > 0 {
                return list;
            }
        }
        if !self.config.auto_connect || counts.out_active >= counts.out_max {
            return vec![];
        }
        self.livecache.shuffle(rng);
        let mut h = ConnectHandouts { needed, list: vec![], squelches: &mut self.squelches, now };
        self.livecache.handout(std::slice::from_mut(&mut h), true);
        if !h.list.is_empty() || counts.attempts > 0 {
            return h.list;
        }
        for (addr, _) in self.bootcache.iter() {
            if h.full() {
                break;
            }
            h.try_insert(HopEndpoint::new(addr, 0));
        }
        h.list
    }

    fn get_fixed(&mut self, mut needed: usize, now: Instant) -> Vec<SocketAddr> {
        let mut out = vec![];
        for (addr, f) in &self.fixed {
            if needed == 0 {
                break;
            }
            let ip = addr.ip();
            if f.when <= now && !self.squelches.contains_key(&ip) && !self.slots.keys().any(|a| a.ip() == ip)
            {
                self.squelches.insert(ip, now);
                out.push(*addr);
                needed -= 1;
            }
        }
        out
    }

    // --- TMEndpoints (§6) ------------------------------------------------------------------------

    /// If the broadcast is due, the per-peer endpoint lists for every active slot (§6.2).
    pub fn build_endpoints_for_peers(
        &mut self,
        now: Instant,
        rng: &mut impl RngCore,
    ) -> Vec<(SocketAddr, Vec<HopEndpoint>)> {
        if self.when_broadcast > now {
            return vec![];
        }
        let self_entry =
            privacy::advertise_self(self.config.want_incoming, self.config.in_max()).then(|| {
                HopEndpoint::new(
                    SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), self.config.listening_port),
                    0,
                )
            });
        let mut slots: Vec<&mut Slot> =
            self.slots.values_mut().filter(|s| s.state == SlotState::Active).collect();
        slots.shuffle(rng);
        let mut targets: Vec<SlotHandouts<'_>> = slots
            .into_iter()
            .map(|slot| SlotHandouts {
                slot,
                list: self_entry.into_iter().collect(),
                private: &self.private,
                now,
            })
            .collect();
        self.livecache.shuffle(rng);
        self.livecache.handout(&mut targets, false);
        self.when_broadcast = now + self.config.endpoints_interval;
        targets.into_iter().map(|t| (t.slot.remote, t.list)).collect()
    }

    /// A TMEndpoints (already version-checked, from a converged peer, strings parsed; entries
    /// that failed to parse are the caller's to charge) from active slot `remote` (§6.3).
    pub fn on_endpoints(
        &mut self,
        remote: SocketAddr,
        mut list: Vec<HopEndpoint>,
        now: Instant,
        rng: &mut impl RngCore,
    ) -> Result<EndpointsOutcome, PeerFinderError> {
        if list.len() >= ENDPOINTS_HARD_LIMIT {
            return Err(PeerFinderError::TooManyEndpoints(list.len()));
        }
        if list.len() > NUMBER_OF_ENDPOINTS_MAX {
            list.shuffle(rng);
            list.truncate(NUMBER_OF_ENDPOINTS_MAX);
        }
        let slot = self.slots.get_mut(&remote).ok_or(PeerFinderError::UnknownSlot(remote))?;
        if slot.state != SlotState::Active {
            return Err(PeerFinderError::WrongState(remote));
        }
        if slot.when_accept_endpoints.is_some_and(|w| w > now) {
            return Ok(EndpointsOutcome::RateLimited);
        }
        let list = preprocess(remote, list, self.config.gossip_private_addresses);
        let mut stored = 0;
        let mut connectivity_check = None;
        for ep in list {
            slot.recent.insert(ep.addr, ep.hops, now);
            if ep.hops == 1 {
                if slot.check_in_progress {
                    continue;
                }
                if !slot.checked {
                    slot.check_in_progress = true;
                    connectivity_check = Some(ep.addr);
                    continue;
                }
                // A private neighbour's own address never enters the Livecache.
                if !slot.can_accept || !self.private.may_cache_announcement(slot.private, &ep.addr) {
                    continue;
                }
            }
            self.livecache.insert(ep, now);
            self.bootcache.insert(ep.addr);
            stored += 1;
        }
        slot.when_accept_endpoints = Some(now + self.config.endpoints_interval);
        Ok(EndpointsOutcome::Accepted { stored, connectivity_check })
    }

    /// Result of the connectivity check requested by [`PeerFinder::on_endpoints`].
    pub fn check_complete(&mut self, remote: SocketAddr, checked: SocketAddr, success: bool) {
        let Some(slot) = self.slots.get_mut(&remote) else { return };
        slot.checked = true;
        slot.check_in_progress = false;
        slot.can_accept = success;
        if success {
            slot.listening_port = Some(checked.port());
        } else {
            self.bootcache.on_failure(checked);
        }
    }

    // --- redirects (§7) --------------------------------------------------------------------------

    /// Up to [`REDIRECT_ENDPOINT_COUNT`] addresses for a 503 `peer-ips` answer to `remote`.
    pub fn redirect(&mut self, remote: SocketAddr, rng: &mut impl RngCore) -> Vec<SocketAddr> {
        let mut h = RedirectHandouts { remote_ip: remote.ip(), list: vec![], private: &self.private };
        self.livecache.shuffle(rng);
        self.livecache.handout(std::slice::from_mut(&mut h), false);
        h.list
    }

    /// A 503 answer's `peer-ips` strings: the first [`MAX_REDIRECTS`] valid, public endpoints go
    /// into the Bootcache (§7). Returns how many were taken. Unlike rippled we also drop
    /// non-public addresses and port 0, which rippled would store and later dial.
    pub fn on_redirects<S: AsRef<str>>(&mut self, peer_ips: &[S]) -> usize {
        let valid = peer_ips
            .iter()
            .filter_map(|s| parse_endpoint(s.as_ref()).ok())
            .filter(|a| gossip_address_ok(a, self.config.gossip_private_addresses))
            .take(MAX_REDIRECTS)
            .collect::<Vec<_>>();
        for a in &valid {
            self.bootcache.insert(*a);
        }
        valid.len()
    }
}

/// rippled `preprocess` (§6.3 step 6): drop hops > 6, keep only the first hops-0 entry and give
/// it the socket's IP, drop invalid addresses and duplicates, then add one hop.
/// `allow_private`: [`PeerFinderConfig::gossip_private_addresses`] (lab only).
fn preprocess(remote: SocketAddr, list: Vec<HopEndpoint>, allow_private: bool) -> Vec<HopEndpoint> {
    let mut out: Vec<HopEndpoint> = Vec::with_capacity(list.len());
    let mut neighbour = false;
    for mut ep in list {
        if ep.hops > MAX_HOPS {
            continue;
        }
        if ep.hops == 0 {
            if neighbour {
                continue;
            }
            neighbour = true;
            ep.addr = SocketAddr::new(remote.ip(), ep.addr.port());
        }
        if !gossip_address_ok(&ep.addr, allow_private) {
            continue;
        }
        // Duplicates are compared before incrementing, i.e. on the address only.
        if out.iter().any(|o| o.addr == ep.addr) {
            continue;
        }
        ep.hops += 1;
        out.push(ep);
    }
    out
}

/// [`is_valid_gossip_address`], or with `allow_private` (lab only) any specified address with a
/// port.
fn gossip_address_ok(addr: &SocketAddr, allow_private: bool) -> bool {
    if allow_private {
        !addr.ip().is_unspecified() && addr.port() != 0
    } else {
        is_valid_gossip_address(addr)
    }
}

struct SlotHandouts<'a> {
    slot: &'a mut Slot,
    list: Vec<HopEndpoint>,
    private: &'a PrivateAddresses,
    now: Instant,
}

impl HandoutTarget for SlotHandouts<'_> {
    fn full(&self) -> bool {
        self.list.len() >= NUMBER_OF_ENDPOINTS
    }

    fn try_insert(&mut self, ep: HopEndpoint) -> bool {
        if self.full()
            || ep.hops > MAX_HOPS
            || self.slot.recent.filter(&ep.addr, ep.hops)
            || self.slot.remote.ip() == ep.addr.ip()
            || !self.private.may_hand_out(&ep.addr)
            || self.list.iter().any(|o| o.addr.ip() == ep.addr.ip())
        {
            return false;
        }
        self.list.push(ep);
        self.slot.recent.insert(ep.addr, ep.hops, self.now);
        true
    }
}

struct RedirectHandouts<'a> {
    remote_ip: IpAddr,
    list: Vec<SocketAddr>,
    private: &'a PrivateAddresses,
}

impl HandoutTarget for RedirectHandouts<'_> {
    fn full(&self) -> bool {
        self.list.len() >= REDIRECT_ENDPOINT_COUNT
    }

    fn try_insert(&mut self, ep: HopEndpoint) -> bool {
        if self.full()
            || ep.hops > MAX_HOPS
            || ep.hops == 0
            || ep.addr.ip() == self.remote_ip
            || !self.private.may_hand_out(&ep.addr)
            || self.list.iter().any(|a| a.ip() == ep.addr.ip())
        {
            return false;
        }
        self.list.push(ep.addr);
        true
    }
}

struct ConnectHandouts<'a> {
    needed: usize,
    list: Vec<SocketAddr>,
    squelches: &'a mut BTreeMap<IpAddr, Instant>,
    now: Instant,
}

impl HandoutTarget for ConnectHandouts<'_> {
    fn full(&self) -> bool {
        self.list.len() >= self.needed
    }

    fn try_insert(&mut self, ep: HopEndpoint) -> bool {
        let ip = ep.addr.ip();
        if self.full() || self.list.iter().any(|a| a.ip() == ip) || self.squelches.contains_key(&ip) {
            return false;
        }
        self.squelches.insert(ip, self.now);
        self.list.push(ep.addr);
        true
    }
}

// --- bootstrap sources (§5) ------------------------------------------------------------------------

/// Built-in bootstrap hosts when neither `[ips]` nor `[ips_fixed]` is configured (§5,
/// networks.md). XRPL: rippled's newest list. XDV/SWTC: the code bootstrap strings of divvyd and
/// skywelld. Xahau: a documented public hub (no code list found).
pub fn builtin_bootstrap(network: Network) -> &'static [(&'static str, u16)] {
    match network {
        Network::Xrpl => &[
            ("r.ripple.com", 51235),
            ("sahyadri.isrdc.in", 51235),
            ("hubs.xrpkuwait.com", 51235),
            ("hub.xrpl-commons.org", 51235),
        ],
        Network::Xdv => &[("r.xdv.io", 51235)],
        Network::Swtc => &[("r.skywell.com", 51235)],
        Network::Xahau => &[("bacab.alloy.ee", 21337)],
    }
}

/// The names to resolve and add with [`PeerFinder::add_bootstrap_addresses`]: `[ips]`, else
/// `[ips_fixed]`, else the built-in list (§5).
pub fn bootstrap_sources(cfg: &NodeConfig) -> Vec<PeerAddress> {
    if !cfg.ips.is_empty() {
        return cfg.ips.clone();
    }
    if !cfg.ips_fixed.is_empty() {
        return cfg.ips_fixed.clone();
    }
    builtin_bootstrap(cfg.network)
        .iter()
        .map(|(h, p)| PeerAddress {
            host: crate::config::PeerHost::Name((*h).to_string()),
            port: *p,
            explicit_port: true,
        })
        .collect()
}
