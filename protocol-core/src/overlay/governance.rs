//! Glue between the overlay and the peer-selection [`Governor`] (governor.md §16.1): it turns
//! governor jobs into overlay commands (dial, close) and overlay facts (handshake done, link
//! lost, TMEndpoints, 503 redirects, ping RTT, misbehaviour) into governor inputs, and it owns
//! the per-connection *hot* flag the relay path asks about.
//!
//! What it must not do: touch sockets, frames or messages (the overlay does), or decide which
//! peers to keep (the governor does). Only connections we dialled for the governor are governed;
//! inbound connections are the remote's choice and always relay, as in rippled.
//!
//! Warm (governor.md §16.1): established, pings only — the overlay neither relays transactions,
//! proposals or validations to a warm peer nor forwards what a warm peer relays. Hot: a full
//! relaying participant. Activation and deactivation are local decisions, so their completions
//! are applied at once, at the same `now`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::{ConnId, DisconnectReason};
use crate::governor::{
    Governor, GovernorAction, GovernorConfig, GovernorEvent, GovernorInput, LearnedPeer, PeerState,
    PUBLIC_ROOT_TTL_MAX,
};
use crate::handshake::HandshakeError;
use crate::resource::Charge;

/// Rounds of (poll governor jobs → carry them out → feed completions) per overlay call. Each
/// round is one batch of jobs; the governor itself bounds decisions per run
/// (`governor::MAX_DECISIONS_PER_RUN`), so this only stops a pathological ping-pong.
pub const MAX_GOVERNOR_ROUNDS: usize = 64;

/// Governor trace entries kept for [`Governance::drain_trace`] when tracing is on (simulator,
/// tests). Oldest entries are dropped beyond this, and the drop is counted.
pub const MAX_TRACE_ENTRIES: usize = 1 << 16;

/// Addresses from one TMEndpoints or redirect handed to the governor (it caps too:
/// `governor::MAX_LEARNED_PER_INPUT`).
pub const MAX_LEARNED_PER_MESSAGE: usize = 256;

/// What the overlay must do for the governor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Dial this address; report the new connection with [`Governance::dialled`].
    Dial(SocketAddr),
    /// Close this connection ([`DisconnectReason::Demoted`]).
    Close(ConnId),
    /// Tell the operator: this connection now relays (`hot`) or only pings (warm).
    Relay { conn: ConnId, remote: SocketAddr, hot: bool },
}

/// One entry of the governance trace (simulator and tests check §17 properties on it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceItem {
    Action(GovernorAction),
    Input(GovernorInput),
    Event(GovernorEvent),
}

/// Governance state of one overlay.
#[derive(Debug)]
pub struct Governance {
    gov: Governor,
    public_roots: Vec<SocketAddr>,
    /// `PeerSharing`: false for a `[peer_private]` node, which then dials only its local and
    /// configured roots and ignores gossip (governor.md §16.2: "local roots only").
    gossip: bool,
    /// Outbound connections we dialled for the governor, by remote address.
    dialing: BTreeMap<SocketAddr, ConnId>,
    /// Established governed connections (warm or hot), by remote address.
    established: BTreeMap<SocketAddr, ConnId>,
    by_conn: BTreeMap<ConnId, SocketAddr>,
    /// Governed connections we relay with.
    hot: BTreeSet<ConnId>,
    /// Connections we are closing because the governor asked (their end is `Closed`, not lost).
    closing: BTreeSet<ConnId>,
    /// Connections whose handshake failed in a way that is misbehaviour (wrong network, bad
    /// signature): their end is reported as `Misbehaved`.
    abusive: BTreeSet<ConnId>,
    /// Completions of local jobs, fed back before the next round.
    completions: VecDeque<GovernorInput>,
    trace: Option<VecDeque<(Instant, TraceItem)>>,
    trace_dropped: u64,
}

impl Governance {
    /// A governance layer with `config`; `public_roots` answer `RequestPublicRoots`.
    pub fn new(config: GovernorConfig, seed: u64, now: Instant) -> Self {
        let public_roots = config.public_roots.iter().map(|p| p.addr).collect();
        let gossip = config.peer_sharing;
        let mut gov = Governor::new(config, seed);
        gov.handle_timeout(now);
        Self {
            gov,
            public_roots,
            gossip,
            dialing: BTreeMap::new(),
            established: BTreeMap::new(),
            by_conn: BTreeMap::new(),
            hot: BTreeSet::new(),
            closing: BTreeSet::new(),
            abusive: BTreeSet::new(),
            completions: VecDeque::new(),
            trace: None,
            trace_dropped: 0,
        }
    }

    /// Keep a trace of governor actions, inputs and events (off by default: it costs memory).
    pub fn set_tracing(&mut self, on: bool) {
        self.trace = on.then(VecDeque::new);
    }

    /// Take the trace recorded so far.
    pub fn drain_trace(&mut self) -> Vec<(Instant, TraceItem)> {
        self.trace.as_mut().map(|t| t.drain(..).collect()).unwrap_or_default()
    }

    /// Trace entries lost to [`MAX_TRACE_ENTRIES`].
    pub fn trace_dropped(&self) -> u64 {
        self.trace_dropped
    }

    /// The governor, read-only (counters, peer views, invariants).
    pub fn governor(&self) -> &Governor {
        &self.gov
    }

    /// Whether the overlay may relay to / accept relays from `conn`. Connections the governor
    /// does not own (inbound) always relay.
    pub fn relays(&self, conn: ConnId) -> bool {
        !self.by_conn.contains_key(&conn) || self.hot.contains(&conn)
    }

    /// Whether `conn` is an established governed connection that is warm (pings only).
    pub fn is_warm(&self, conn: ConnId) -> bool {
        self.by_conn.get(&conn).is_some_and(|a| self.established.get(a) == Some(&conn))
            && !self.hot.contains(&conn)
    }

    /// Governed connections and whether each is hot (tests, diagnostics).
    pub fn governed(&self) -> impl Iterator<Item = (SocketAddr, ConnId, bool)> + '_ {
        self.established.iter().map(|(a, c)| (*a, *c, self.hot.contains(c)))
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.gov.poll_timeout()
    }

    fn record(&mut self, now: Instant, item: TraceItem) {
        if let Some(t) = self.trace.as_mut() {
            if t.len() >= MAX_TRACE_ENTRIES {
                t.pop_front();
                self.trace_dropped += 1;
            }
            t.push_back((now, item));
        }
    }

    fn input(&mut self, now: Instant, input: GovernorInput) {
        self.record(now, TraceItem::Input(input.clone()));
        self.gov.handle_input(now, input);
        self.drain_events(now);
    }

    /// Move the governor's trace events into ours right after the call that caused them, so
    /// they precede the actions of the same decision run in the trace.
    fn drain_events(&mut self, now: Instant) {
        while let Some(e) = self.gov.poll_event() {
            self.record(now, TraceItem::Event(e));
        }
    }

    /// Let time pass, then hand out the governor's jobs: local ones (activate, deactivate,
    /// public roots, peer share) are done here, the rest are returned for the overlay.
    pub fn step(&mut self, now: Instant) -> Vec<Command> {
        if self.gov.poll_timeout().is_some_and(|t| t <= now) {
            self.gov.handle_timeout(now);
            self.drain_events(now);
        }
        let mut out = Vec::new();
        loop {
            while let Some(c) = self.completions.pop_front() {
                self.input(now, c);
            }
            let Some(action) = self.gov.poll_action() else { break };
            self.record(now, TraceItem::Action(action));
            match action {
                GovernorAction::Connect(addr) => out.push(Command::Dial(addr)),
                GovernorAction::Activate(addr) => match self.established.get(&addr) {
                    Some(c) => {
                        self.hot.insert(*c);
                        out.push(Command::Relay { conn: *c, remote: addr, hot: true });
                        self.completions.push_back(GovernorInput::Activated { peer: addr });
                    }
                    None => self.completions.push_back(GovernorInput::ActivateFailed { peer: addr }),
                },
                GovernorAction::Deactivate(addr) => {
                    if let Some(c) = self.established.get(&addr) {
                        self.hot.remove(c);
                        out.push(Command::Relay { conn: *c, remote: addr, hot: false });
                    }
                    self.completions.push_back(GovernorInput::Deactivated { peer: addr });
                }
                GovernorAction::Close(addr) => {
                    match self.established.get(&addr).or_else(|| self.dialing.get(&addr)) {
                        Some(c) => {
                            self.closing.insert(*c);
                            out.push(Command::Close(*c));
                        }
                        // Already gone: the close is complete.
                        None => self.completions.push_back(GovernorInput::Closed { peer: addr }),
                    }
                }
                // RTXP has no share request (governor.md §16.1 option (a)): TMEndpoints pushed
                // every 151 s are the reply stream, fed as `PeersLearned`; answer empty.
                GovernorAction::RequestPeerShare { peer, .. } => {
                    self.completions.push_back(GovernorInput::PeerShareReply { peer, peers: vec![] })
                }
                GovernorAction::RequestPublicRoots { .. } => {
                    self.completions.push_back(GovernorInput::PublicRootsResult {
                        result: Ok(self.public_roots.clone()),
                        ttl: PUBLIC_ROOT_TTL_MAX,
                    })
                }
            }
        }
        self.drain_events(now);
        out
    }

    /// The overlay carried out `Command::Dial(addr)`: `Some(conn)` when a connection attempt
    /// started, `None` when it could not (duplicate slot, resource limit): a failed connect.
    pub fn dialled(&mut self, now: Instant, addr: SocketAddr, conn: Option<ConnId>) {
        match conn {
            Some(c) => {
                self.dialing.insert(addr, c);
                self.by_conn.insert(c, addr);
            }
            None => self.input(now, GovernorInput::ConnectFailed { peer: addr }),
        }
    }

    /// A governed outbound connection finished its handshake. `sharing` is false when the peer
    /// asked for privacy (`Crawl: private`).
    pub fn established(&mut self, now: Instant, conn: ConnId, sharing: bool) {
        let Some(addr) = self.by_conn.get(&conn).copied() else { return };
        if self.dialing.get(&addr) == Some(&conn) {
            self.dialing.remove(&addr);
            self.established.insert(addr, conn);
            self.input(now, GovernorInput::ConnectSucceeded { peer: addr, sharing });
        }
    }

    /// A connection ended (`active` = it had finished its handshake).
    pub fn closed(&mut self, now: Instant, conn: ConnId, reason: &DisconnectReason) {
        self.hot.remove(&conn);
        let requested = self.closing.remove(&conn);
        let flagged = self.abusive.remove(&conn);
        let Some(addr) = self.by_conn.remove(&conn) else { return };
        let misbehaved = flagged || is_misbehaviour(reason);
        if self.dialing.get(&addr) == Some(&conn) {
            self.dialing.remove(&addr);
            if requested {
                return;
            }
            let input = if misbehaved {
                GovernorInput::Misbehaved { peer: addr }
            } else {
                GovernorInput::ConnectFailed { peer: addr }
            };
            self.input(now, input);
        } else if self.established.get(&addr) == Some(&conn) {
            self.established.remove(&addr);
            let input = if requested {
                GovernorInput::Closed { peer: addr }
            } else if misbehaved {
                GovernorInput::Misbehaved { peer: addr }
            } else {
                GovernorInput::ConnectionLost { peer: addr, repromote_delay: None }
            };
            self.input(now, input);
        }
    }

    /// A governed peer was charged `charge`: protocol abuse demotes it to cold at once
    /// (governor.md §16.3). Returns true when the overlay must close the connection.
    pub fn charged(&mut self, now: Instant, conn: ConnId, charge: Charge) -> bool {
        if !is_abuse(charge) {
            return false;
        }
        let Some(addr) = self.by_conn.get(&conn).copied() else { return false };
        if self.established.get(&addr) != Some(&conn) {
            return false;
        }
        self.hot.remove(&conn);
        self.established.remove(&addr);
        self.by_conn.remove(&conn);
        self.input(now, GovernorInput::Misbehaved { peer: addr });
        true
    }

    /// The handshake on `conn` failed with `error`; when that is misbehaviour (§16.3) the end
    /// of the connection is reported as such.
    pub fn handshake_failed(&mut self, conn: ConnId, error: &HandshakeError) {
        if is_handshake_abuse(error) && self.by_conn.contains_key(&conn) {
            self.abusive.insert(conn);
        }
    }

    /// Addresses learned from TMEndpoints (`from` = the sender's dialled address when governed)
    /// or a 503 redirect.
    pub fn learned(&mut self, now: Instant, from: Option<SocketAddr>, peers: Vec<LearnedPeer>) {
        if peers.is_empty() || !self.gossip {
            return;
        }
        let peers = peers.into_iter().take(MAX_LEARNED_PER_MESSAGE).collect();
        self.input(now, GovernorInput::PeersLearned { from, peers });
    }

    /// The address a governed connection was dialled at.
    pub fn addr_of(&self, conn: ConnId) -> Option<SocketAddr> {
        self.by_conn.get(&conn).copied()
    }

    /// A ping round trip on `conn` (a policy input: warm→hot prefers low RTT, §16.5).
    pub fn rtt(&mut self, now: Instant, conn: ConnId, rtt: Duration) {
        if let Some(addr) = self.by_conn.get(&conn).copied() {
            if self.established.contains_key(&addr) {
                // Not traced: metrics are frequent and change no set.
                self.gov.handle_input(
                    now,
                    GovernorInput::PeerMetrics { peer: addr, rtt: Some(rtt), relay_score: None },
                );
                self.drain_events(now);
            }
        }
    }

    /// §17.21 for one node: the governor's warm/hot view equals the connections' state.
    pub fn check_view(&self) -> Result<(), String> {
        for pv in self.gov.peers() {
            let conn = self.established.get(&pv.addr);
            match (pv.state, conn) {
                (PeerState::Cold, Some(c)) if !self.closing.contains(c) => {
                    return Err(format!("{}: governor cold but connection {c} established", pv.addr))
                }
                (PeerState::Warm | PeerState::Hot, None) => {
                    return Err(format!("{}: governor {:?} but no connection", pv.addr, pv.state))
                }
                (PeerState::Hot, Some(c)) if !self.hot.contains(c) => {
                    return Err(format!("{}: governor hot but connection {c} does not relay", pv.addr))
                }
                (PeerState::Warm, Some(c)) if self.hot.contains(c) => {
                    return Err(format!("{}: governor warm but connection {c} relays", pv.addr))
                }
                _ => {}
            }
        }
        for (addr, c) in &self.established {
            if self.gov.peer(addr).is_none() && !self.closing.contains(c) {
                return Err(format!("{addr}: connection {c} established for a peer the governor forgot"));
            }
        }
        Ok(())
    }
}

/// Charges that are protocol abuse rather than load (governor.md §16.3): a governed peer
/// charged one of these is demoted to cold and quarantined at once.
pub fn is_abuse(charge: Charge) -> bool {
    matches!(charge, Charge::InvalidData | Charge::InvalidSignature | Charge::MalformedRequest)
}

/// Disconnect reasons that are misbehaviour (governor.md §16.3): undecodable traffic, a
/// resource drop, a self-connection (the address is ours: quarantine, then forget it).
pub fn is_misbehaviour(reason: &DisconnectReason) -> bool {
    matches!(
        reason,
        DisconnectReason::BadFrame(_)
            | DisconnectReason::BadMessage(_)
            | DisconnectReason::Resources
            | DisconnectReason::SelfConnection
    )
}

/// Handshake failures that are misbehaviour (governor.md §16.3): wrong network, a bad or
/// missing session signature, an unusable node key.
pub fn is_handshake_abuse(error: &HandshakeError) -> bool {
    matches!(
        error,
        HandshakeError::WrongNetwork { .. }
            | HandshakeError::InvalidNetworkId(_)
            | HandshakeError::SessionVerifyFailed
            | HandshakeError::NoSessionSignature
            | HandshakeError::BadPublicKey
            | HandshakeError::UnsupportedKeyType
            | HandshakeError::SelfConnection
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learned_peer(i: u8) -> LearnedPeer {
        LearnedPeer { addr: SocketAddr::from(([203, 0, 113, i], 51235)), hops: Some(1) }
    }

    #[test]
    fn private_node_ignores_gossip() {
        let now = Instant::now();
        let cfg = GovernorConfig { peer_sharing: false, ..GovernorConfig::default() };
        let mut g = Governance::new(cfg, 1, now);
        g.learned(now, None, vec![learned_peer(1), learned_peer(2)]);
        assert_eq!(g.governor().counters().known, 0);
        let mut open = Governance::new(GovernorConfig::default(), 1, now);
        open.learned(now, None, vec![learned_peer(1), learned_peer(2)]);
        assert_eq!(open.governor().counters().known, 2);
    }

    #[test]
    fn activation_is_local_and_immediate() {
        let now = Instant::now();
        let addr = learned_peer(9).addr;
        let cfg = GovernorConfig {
            targets: crate::governor::Targets { root: 1, known: 5, established: 1, active: 1 },
            public_roots: vec![crate::governor::PublicRoot { addr, advertise: true }],
            ..GovernorConfig::default()
        };
        let mut g = Governance::new(cfg, 7, now);
        assert_eq!(g.step(now), vec![Command::Dial(addr)]);
        g.dialled(now, addr, Some(ConnId(1)));
        assert!(g.relays(ConnId(2)), "ungoverned connections relay");
        assert!(!g.relays(ConnId(1)), "a dialling connection does not relay");
        g.established(now, ConnId(1), true);
        let cmds = g.step(now);
        assert_eq!(cmds, vec![Command::Relay { conn: ConnId(1), remote: addr, hot: true }]);
        assert!(g.relays(ConnId(1)));
        g.check_view().expect("view");
        // A misbehaviour charge demotes at once and asks the overlay to close.
        assert!(g.charged(now, ConnId(1), Charge::InvalidSignature));
        assert_eq!(g.addr_of(ConnId(1)), None, "no longer governed");
        g.step(now);
        assert_eq!(g.governor().peer(&addr).map(|p| p.state), Some(PeerState::Cold));
        g.check_view().expect("view after misbehaviour");
    }

    #[test]
    fn abuse_charges_are_the_protocol_violations() {
        let abuse: Vec<Charge> = Charge::ALL.into_iter().filter(|c| is_abuse(*c)).collect();
        assert_eq!(abuse, vec![Charge::MalformedRequest, Charge::InvalidData, Charge::InvalidSignature]);
    }

    #[test]
    fn misbehaviour_reasons() {
        assert!(is_misbehaviour(&DisconnectReason::BadFrame("x".into())));
        assert!(is_misbehaviour(&DisconnectReason::Resources));
        assert!(is_handshake_abuse(&HandshakeError::WrongNetwork { ours: 0, theirs: 1 }));
        assert!(is_handshake_abuse(&HandshakeError::SessionVerifyFailed));
        assert!(!is_handshake_abuse(&HandshakeError::ClockSkew { offset_secs: 30 }));
        assert!(!is_misbehaviour(&DisconnectReason::PingTimeout));
        assert!(!is_misbehaviour(&DisconnectReason::SlotsFull));
    }
}
