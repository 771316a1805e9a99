//! The overlay: every connection of one node — slots, handshakes, sessions, relay and duplicate
//! suppression, endpoint gossip, redirects, and the `/crawl` and `/health` documents.
//! Sans-IO: frontends feed bytes, TLS Finished messages and `now`, and carry out [`Output`]s.
//! It does not pick which peers to keep long term (the governor does) and never reads a clock.
//!
//! Spec: overlay-wire.md §2 (handshake flow), §6 (frames), §9–§13, peerfinder.md.
//!
//! Deliberate differences from rippled, each because this node holds no ledger:
//! - TMEndpoints are accepted from every active peer (rippled: only from *converged* peers,
//!   §10.2), since we cannot judge convergence.
//! - Proposals and validations are relayed without signature checks, and TMSquelch is honoured
//!   for any well-formed validator key (rippled: keys on its own validator list, §11.1).
//! - Ledger-data requests are answered as rippled answers them when it has nothing:
//!   TMGetObjectByHash queries get an empty reply, TMGetLedger is dropped; both cost only the
//!   trivial charge.
//! - Addresses of peers that sent `Crawl: private` are never gossiped or redirected to
//!   (rippled relays them); `/crawl` marks cluster peers. Rules: `crate::privacy`, `cluster`.
//!
//! Resource charging, duplicate suppression, squelches, the send-queue rule and the `/crawl`
//! and `/health` documents are the shared `resource`, `relay` and `crawl` modules; this module
//! only maps protobuf messages onto them ([`relay_key`], [`originating_validator`]).

mod api;
mod cluster;
mod config;
pub mod governance;
#[doc(hidden)]
pub mod testing;

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use api::*;
pub use cluster::*;
pub use config::*;
use governance::{Command as GovCommand, Governance, MAX_GOVERNOR_ROUNDS};

use crate::crawl::{crawl_response, health_response, http_response, CrawlPeer, CrawlSnapshot, ServerInfo};

use crate::framing::{encode_frame, Frame, FrameDecoder, FrameOptions};
use crate::governor::LearnedPeer;
use crate::handshake::{
    self, build_error_response, build_switching_response, classify_request, evaluate_inbound, parse_request,
    HandshakeConfig, HandshakeError, Parsed, PeerIdentity, RequestKind, ResponseOutcome,
};
use crate::keys::{NodeKeyPair, NodePublicKey};
use crate::messages::proto::{self, tm_endpoints::TmEndpointv2};
use crate::messages::{decode, Message};
use crate::network::{EndpointsVersion, FrameDialect};
use crate::peerfinder::{
    format_endpoint, parse_endpoint, Activation, BootcacheSnapshot, EndpointsOutcome, HopEndpoint,
    PeerFinder, PeerFinderError, MAX_ENDPOINT_STRING_LEN,
};
use crate::relay::{self, HashRouter, PeerSquelches, RelayPolicy, SendQueueMonitor, SendQueueVerdict};
use crate::resource::{Charge, Disposition, ResourceKey, ResourceTable};

/// `TMPing.type` values (overlay-wire.md §8.1).
const PT_PING: i32 = 0;
const PT_PONG: i32 = 1;
/// `TMGetObjectByHash.type` otTRANSACTIONS: only valid with txrr (§11.2).
const OT_TRANSACTIONS: i32 = 7;

#[derive(Debug)]
enum Phase {
    /// Outbound: waiting for the TCP connect.
    Dialing,
    /// Waiting for TLS (either direction).
    Tls,
    /// Inbound: reading the upgrade request.
    Request {
        buf: Vec<u8>,
        local_finished: Vec<u8>,
        peer_finished: Vec<u8>,
    },
    /// Outbound: request sent, reading the answer.
    Response {
        buf: Vec<u8>,
        shared: [u8; 32],
    },
    Active(Box<Session>),
}

#[derive(Debug)]
struct Session {
    peer: PeerIdentity,
    opts: FrameOptions,
    decoder: FrameDecoder,
    since: Instant,
    next_tick: Instant,
    /// Outstanding ping cookie and when it went out.
    ping: Option<(u32, Instant)>,
    latency_ms: Option<u64>,
    squelches: PeerSquelches,
    /// Last send-queue length the frontend reported (`Input::SendQueue`).
    queue_len: usize,
    send_queue: SendQueueMonitor,
}

#[derive(Debug)]
struct Conn {
    remote: SocketAddr,
    inbound: bool,
    deadline: Instant,
    phase: Phase,
}

impl Conn {
    /// rippled's consumer key: inbound by address only, outbound by the endpoint we dialled.
    fn resource_key(&self) -> ResourceKey {
        if self.inbound {
            ResourceKey::inbound(self.remote.ip())
        } else {
            ResourceKey::outbound(self.remote)
        }
    }
}

/// The overlay state machine of one node. See the module docs and `overlay-design.md`.
pub struct Overlay {
    cfg: OverlayConfig,
    hs: HandshakeConfig,
    start: Instant,
    rng: ChaCha8Rng,
    next_id: u64,
    conns: BTreeMap<ConnId, Conn>,
    by_remote: BTreeMap<SocketAddr, ConnId>,
    /// Probe id → (slot whose TMEndpoints asked for it, address probed).
    probes: BTreeMap<ConnId, (SocketAddr, SocketAddr)>,
    pf: PeerFinder,
    resources: ResourceTable,
    router: HashRouter<ConnId>,
    /// Active peers that went away, and those dropped for resource charges (`/crawl` server
    /// `peer_disconnects`, `peer_disconnects_resources`).
    peer_disconnects: u64,
    peer_disconnects_resources: u64,
    /// `[cluster_nodes]` and members they introduced; peer reservations (peerfinder.md §10).
    cluster: Cluster,
    reservations: PeerReservations,
    /// When our next TMCluster is due ([`CLUSTER_INTERVAL`]).
    next_cluster: Instant,
    out: VecDeque<Output>,
    shut: bool,
    /// Outbound peer selection (`governance`); `None`: PeerFinder autoconnect.
    gov: Option<Governance>,
}

impl std::fmt::Debug for Overlay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overlay")
            .field("node", &self.hs.node_key.public().to_base58(self.cfg.profile.alphabet))
            .field("conns", &self.conns.len())
            .finish_non_exhaustive()
    }
}

impl Overlay {
    pub fn new(config: OverlayConfig, identity: NodeKeyPair, now: Instant, rng_seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(rng_seed);
        let mut hs = HandshakeConfig::new(config.profile, identity);
        hs.network_id = config.network_id;
        hs.crawl_public = config.crawl_public();
        hs.features = config.features;
        hs.public_ip = config.public_ip;
        hs.server_domain = config.server_domain.clone();
        hs.instance_cookie = Some(rng.next_u64());
        hs.software = config.software.clone();
        let cluster = Cluster::from_config(&config.cluster_nodes);
        let mut pf_cfg = config.peerfinder;
        let gov = config.governor.clone().map(|g| {
            // Governed: the governor dials (no autoconnect) and its established target, not
            // rippled's outbound share, bounds our outbound connections.
            pf_cfg.auto_connect = false;
            pf_cfg.out_peers = pf_cfg.out_peers.max(g.targets.established as usize);
            Governance::new(g, rng.next_u64(), now)
        });
        let mut pf = PeerFinder::new(pf_cfg, now);
        pf.add_bootstrap_addresses(config.bootstrap.iter().copied());
        for a in &config.fixed_peers {
            // Port 0 entries cannot be dialled; config validation already reports them.
            let _ = pf.add_fixed_peer(*a, now);
        }
        Overlay {
            cfg: config,
            hs,
            start: now,
            rng,
            next_id: 1,
            conns: BTreeMap::new(),
            by_remote: BTreeMap::new(),
            probes: BTreeMap::new(),
            pf,
            resources: ResourceTable::new(now),
            router: HashRouter::new(),
            peer_disconnects: 0,
            peer_disconnects_resources: 0,
            cluster,
            reservations: PeerReservations::default(),
            next_cluster: now + CLUSTER_INTERVAL,
            out: VecDeque::new(),
            shut: false,
            gov,
        }
    }

    /// The governance layer, when the governor picks our peers.
    pub fn governance(&self) -> Option<&Governance> {
        self.gov.as_ref()
    }

    pub fn governance_mut(&mut self) -> Option<&mut Governance> {
        self.gov.as_mut()
    }

    /// Carry out what the governor asks (dial, close) until it asks nothing more.
    fn run_governance(&mut self, now: Instant) {
        if self.shut {
            return;
        }
        for _ in 0..MAX_GOVERNOR_ROUNDS {
            let Some(g) = self.gov.as_mut() else { return };
            let cmds = g.step(now);
            if cmds.is_empty() {
                return;
            }
            for c in cmds {
                match c {
                    GovCommand::Dial(addr) => {
                        let conn = self.dial(now, addr);
                        if let Some(g) = self.gov.as_mut() {
                            g.dialled(now, addr, conn);
                        }
                    }
                    GovCommand::Close(conn) => self.close(now, conn, DisconnectReason::Demoted),
                    GovCommand::Relay { conn, remote, hot } => {
                        self.event(OverlayEvent::GovernorRelay { conn, remote, hot })
                    }
                }
            }
        }
    }

    /// Whether relayed traffic flows to and from `conn` (warm governed peers: no).
    fn relays(&self, conn: ConnId) -> bool {
        self.gov.as_ref().is_none_or(|g| g.relays(conn))
    }

    pub fn config(&self) -> &OverlayConfig {
        &self.cfg
    }

    pub fn public_key(&self) -> &NodePublicKey {
        self.hs.node_key.public()
    }

    /// PeerFinder state, read-only (tests, diagnostics).
    pub fn peerfinder(&self) -> &PeerFinder {
        &self.pf
    }

    /// Resource balance of a consumer (tests, diagnostics).
    pub fn resource_balance(&self, key: ResourceKey, now: Instant) -> i64 {
        self.resources.balance(now, key)
    }

    fn alloc(&mut self) -> ConnId {
        let id = ConnId(self.next_id);
        self.next_id += 1;
        id
    }

    fn net_now(&self, now: Instant) -> u32 {
        let secs = now.saturating_duration_since(self.start).as_secs();
        self.cfg.net_clock_at_start.saturating_add(u32::try_from(secs).unwrap_or(u32::MAX))
    }

    fn pending(&self) -> usize {
        self.conns.values().filter(|c| !matches!(c.phase, Phase::Active(_))).count()
    }

    /// The pending inbound connection to drop when the table is full
    /// ([`MAX_PENDING_HANDSHAKES`]): from the address holding the most pending inbound
    /// connections, one that has not finished TLS if there is one, the oldest first. A flood
    /// from one address thus evicts only itself; outbound attempts are never evicted.
    fn eviction_victim(&self) -> Option<ConnId> {
        let mut per_ip: BTreeMap<IpAddr, usize> = BTreeMap::new();
        let candidates =
            || self.conns.iter().filter(|(_, c)| c.inbound && !matches!(c.phase, Phase::Active(_)));
        for (_, c) in candidates() {
            *per_ip.entry(c.remote.ip()).or_default() += 1;
        }
        // Ties go to the lowest address (min_by_key keeps the first), so the choice is stable.
        let (ip, _) = per_ip.iter().min_by_key(|(_, n)| std::cmp::Reverse(**n))?;
        candidates()
            .filter(|(_, c)| c.remote.ip() == *ip)
            .min_by_key(|(id, c)| (!matches!(c.phase, Phase::Tls), **id))
            .map(|(id, _)| *id)
    }

    fn evict(&mut self, now: Instant, victim: ConnId, pending: usize) {
        if let Some(c) = self.conns.get(&victim) {
            let remote = c.remote;
            let reason =
                format!("evicted: {pending} handshakes pending (limit {})", self.cfg.max_pending_handshakes);
            self.event(OverlayEvent::HandshakeRejected { conn: victim, remote, status: None, reason });
        }
        self.close(now, victim, DisconnectReason::Evicted);
    }

    // --- calls --------------------------------------------------------------------------------

    /// TCP accepted on the peer port. `Err`: drop the socket at once, no TLS.
    pub fn accept(&mut self, now: Instant, remote: SocketAddr, local: SocketAddr) -> Result<ConnId, Refused> {
        if self.shut {
            return Err(Refused::ShuttingDown);
        }
        let pending = self.pending();
        if pending >= self.cfg.max_pending_handshakes {
            // Evict rather than refuse, so a flood of idle sockets cannot lock real peers out.
            match self.eviction_victim() {
                Some(victim) => self.evict(now, victim, pending),
                None => return Err(Refused::TooManyPendingHandshakes(pending)),
            }
        }
        // Over the drop threshold (each refusal adds rippled's feeDrop), or a table full of
        // live consumers: refuse before TLS.
        let key = ResourceKey::inbound(remote.ip());
        if self.resources.refuse_inbound(now, remote.ip()) || self.resources.acquire(now, key).is_err() {
            return Err(Refused::ResourceLimit);
        }
        let refused = match self.pf.new_inbound_slot(local, remote) {
            Ok(()) => None,
            Err(PeerFinderError::IpLimitExceeded(_)) => Some(Refused::PerIpLimit(self.pf.config().ip_limit)),
            Err(_) => Some(Refused::DuplicateEndpoint(remote)),
        };
        if let Some(r) = refused {
            self.resources.release(now, key);
            return Err(r);
        }
        let id = self.alloc();
        let deadline = now + self.cfg.handshake_timeout;
        self.conns.insert(id, Conn { remote, inbound: true, deadline, phase: Phase::Tls });
        self.by_remote.insert(remote, id);
        Ok(id)
    }

    pub fn handle_input(&mut self, now: Instant, input: Input) {
        match input {
            Input::TcpConnected { conn, local } => self.on_tcp_connected(now, conn, local),
            Input::ConnectFailed { conn, error } => {
                if let Some(c) = self.conns.get(&conn) {
                    let remote = c.remote;
                    self.event(OverlayEvent::HandshakeRejected {
                        conn,
                        remote,
                        status: None,
                        reason: format!("connect failed: {error}"),
                    });
                }
                self.finish(now, conn, DisconnectReason::ConnectFailed(error), false);
            }
            Input::TlsEstablished { conn, local_finished, peer_finished } => {
                self.on_tls(now, conn, local_finished, peer_finished)
            }
            Input::TlsFailed { conn, error } => {
                self.finish(now, conn, DisconnectReason::Handshake(format!("TLS: {error}")), true)
            }
            Input::Closed { conn, error } => {
                let why = error.unwrap_or_else(|| "EOF".into());
                self.finish(now, conn, DisconnectReason::ClosedByPeer(why), false)
            }
            Input::Broadcast(message) => self.relay(now, &message, relay_key(&message), None),
            Input::Send { conn, message } => self.send(conn, &message),
            Input::BootcacheLoaded(text) => {
                if let Ok(snap) = serde_json::from_str::<BootcacheSnapshot>(&text) {
                    self.pf.load_bootcache(&snap);
                    self.pf.add_bootstrap_addresses(self.cfg.bootstrap.iter().copied());
                    if let Some(g) = self.gov.as_mut() {
                        // The persisted cold set seeds `known` (governor.md §16.2), best
                        // valence first; forgettable like any gossip.
                        let mut cached: Vec<(SocketAddr, i32)> = self.pf.bootcache().iter().collect();
                        cached.sort_by_key(|(a, v)| (std::cmp::Reverse(*v), *a));
                        let peers =
                            cached.into_iter().map(|(addr, _)| LearnedPeer { addr, hops: None }).collect();
                        g.learned(now, None, peers);
                    }
                }
            }
            Input::ProbeResult { probe, reachable } => {
                if let Some((slot, addr)) = self.probes.remove(&probe) {
                    self.pf.check_complete(slot, addr, reachable);
                }
            }
            Input::SendQueue { conn, messages } => {
                if let Some(s) = self.session_mut(conn) {
                    s.queue_len = messages;
                }
            }
        }
        self.run_governance(now);
    }

    /// Plaintext bytes read from the TLS stream of `conn` (any chunking).
    pub fn handle_data(&mut self, now: Instant, conn: ConnId, bytes: &[u8]) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        match &mut c.phase {
            Phase::Dialing | Phase::Tls => {
                self.close(now, conn, DisconnectReason::Handshake("data before TLS was established".into()));
            }
            Phase::Request { buf, .. } => {
                buf.extend_from_slice(bytes);
                self.on_request_bytes(now, conn);
            }
            Phase::Response { buf, .. } => {
                buf.extend_from_slice(bytes);
                self.on_response_bytes(now, conn);
            }
            Phase::Active(s) => {
                s.decoder.push(bytes);
                self.drain_frames(now, conn);
            }
        }
        self.run_governance(now);
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        let expired: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| !matches!(c.phase, Phase::Active(_)) && c.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            if let Some(c) = self.conns.get(&id) {
                let remote = c.remote;
                self.event(OverlayEvent::HandshakeRejected {
                    conn: id,
                    remote,
                    status: None,
                    reason: "handshake timed out".into(),
                });
            }
            self.close(now, id, DisconnectReason::HandshakeTimeout);
        }
        let due: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| matches!(&c.phase, Phase::Active(s) if s.next_tick <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            self.peer_tick(now, id);
        }
        if !self.shut && now >= self.pf.poll_timeout() {
            let tick = self.pf.handle_timeout(now, &mut self.rng);
            if self.gov.is_none() {
                for addr in tick.connect {
                    self.dial(now, addr);
                }
            }
            for (remote, eps) in tick.endpoints {
                if let Some(conn) = self.by_remote.get(&remote).copied() {
                    let msg = self.endpoints_message(&eps);
                    self.send(conn, &msg);
                }
            }
            self.router.expire(now);
            self.resources.expire(now);
        }
        if !self.shut && now >= self.next_cluster {
            self.cluster_tick(now);
        }
        self.run_governance(now);
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.shut {
            return None;
        }
        let conns = self.conns.values().map(|c| match &c.phase {
            Phase::Active(s) => s.next_tick,
            _ => c.deadline,
        });
        let cluster = (!self.cluster.is_empty()).then_some(self.next_cluster);
        let gov = self.gov.as_ref().and_then(Governance::poll_timeout);
        conns.chain(std::iter::once(self.pf.poll_timeout())).chain(cluster).chain(gov).min()
    }

    /// Active peers.
    pub fn peers(&self) -> Vec<PeerInfo> {
        self.conns
            .iter()
            .filter_map(|(id, c)| match &c.phase {
                Phase::Active(s) => Some(PeerInfo {
                    conn: *id,
                    public_key: s.peer.public_key,
                    remote: c.remote,
                    inbound: c.inbound,
                    version: s.peer.version,
                    user_agent: s.peer.software.clone().unwrap_or_default(),
                    crawl_public: s.peer.crawl_public,
                    cluster: self.is_cluster(&s.peer.public_key),
                    latency_ms: s.latency_ms,
                }),
                _ => None,
            })
            .collect()
    }

    /// The Bootcache as JSON, for the frontend to persist and hand back with
    /// `Input::BootcacheLoaded`.
    pub fn bootcache_json(&self) -> String {
        serde_json::to_string(&self.pf.bootcache().snapshot()).unwrap_or_default()
    }

    /// Close every connection (`Close` with [`DisconnectReason::Shutdown`]) and stop dialling.
    pub fn shutdown(&mut self, now: Instant) {
        self.shut = true;
        let ids: Vec<ConnId> = self.conns.keys().copied().collect();
        for id in ids {
            self.close(now, id, DisconnectReason::Shutdown);
        }
        self.probes.clear();
    }

    /// The `/crawl` document of the live state (§13.1), `None` when `[crawl]` turned it off.
    pub fn crawl_document(&self, now: Instant) -> Option<serde_json::Value> {
        crate::crawl::crawl_body(&self.crawl_snapshot(now))
    }

    /// What `/crawl` and `/health` say about this node (see `crawl`'s module docs for a node
    /// without a ledger).
    fn server_info(&self, now: Instant) -> ServerInfo {
        let peers = self.conns.values().filter(|c| matches!(c.phase, Phase::Active(_))).count();
        let mut info = ServerInfo::overlay_only(
            self.cfg.software.clone(),
            now.saturating_duration_since(self.start).as_secs(),
            u32::try_from(peers).unwrap_or(u32::MAX),
            self.public_key().to_base58(self.cfg.profile.alphabet),
            self.hs.network_id_to_send(),
        );
        info.peer_disconnects = self.peer_disconnects;
        info.peer_disconnects_resources = self.peer_disconnects_resources;
        info
    }

    fn crawl_snapshot(&self, now: Instant) -> CrawlSnapshot {
        let peers = self
            .conns
            .values()
            .filter_map(|c| match &c.phase {
                Phase::Active(s) => {
                    let port = if c.inbound {
                        self.pf.slot(&c.remote).and_then(|sl| sl.listening_port)
                    } else {
                        Some(c.remote.port())
                    };
                    let uptime = now.saturating_duration_since(s.since).as_secs();
                    Some(CrawlPeer {
                        public_key: *s.peer.public_key.as_bytes(),
                        outbound: !c.inbound,
                        uptime_secs: u32::try_from(uptime).unwrap_or(u32::MAX),
                        ip: Some(c.remote.ip()),
                        port,
                        version: s.peer.software.clone(),
                        complete_ledgers: None,
                        crawl_public: s.peer.crawl_public,
                        cluster: self.cluster.member(&s.peer.public_key).map(str::to_string),
                    })
                }
                _ => None,
            })
            .collect();
        CrawlSnapshot { peers, server: self.server_info(now), sections: self.cfg.crawl }
    }

    // --- connection lifecycle -------------------------------------------------------------------

    fn event(&mut self, e: OverlayEvent) {
        self.out.push_back(Output::Event(e));
    }

    fn transmit(&mut self, conn: ConnId, data: Vec<u8>) {
        self.out.push_back(Output::Transmit { conn, data });
    }

    /// Close `conn`, telling the frontend to flush and close the socket.
    fn close(&mut self, now: Instant, conn: ConnId, reason: DisconnectReason) {
        self.finish(now, conn, reason, true);
    }

    /// Forget `conn`; `notify` = emit `Output::Close` (false when the socket is already gone).
    fn finish(&mut self, now: Instant, conn: ConnId, reason: DisconnectReason, notify: bool) {
        let Some(c) = self.conns.remove(&conn) else { return };
        self.by_remote.remove(&c.remote);
        if reason == DisconnectReason::NotUseful {
            self.pf.on_failure(c.remote);
        }
        let _ = self.pf.on_closed(c.remote, now);
        if let Some(g) = self.gov.as_mut() {
            g.closed(now, conn, &reason);
        }
        self.probes.retain(|_, (slot, _)| *slot != c.remote);
        self.resources.release(now, c.resource_key());
        if let Phase::Active(s) = c.phase {
            self.peer_disconnects += 1;
            if reason == DisconnectReason::Resources {
                self.peer_disconnects_resources += 1;
            }
            self.event(OverlayEvent::PeerDisconnected {
                conn,
                public_key: Some(s.peer.public_key),
                remote: c.remote,
                reason: reason.clone(),
            });
        }
        if notify {
            self.out.push_back(Output::Close { conn, reason });
        }
    }

    fn dial(&mut self, now: Instant, addr: SocketAddr) -> Option<ConnId> {
        // Whoever asks (PeerFinder, governor), a private node dials only its fixed peers. The
        // configured autoconnect, not PeerFinder's: governance turns PeerFinder's off.
        if !crate::privacy::may_dial(self.cfg.peerfinder.auto_connect, self.pf.is_fixed(&addr)) {
            return None;
        }
        if self.pf.new_outbound_slot(addr).is_err() {
            return None;
        }
        if self.resources.acquire(now, ResourceKey::outbound(addr)).is_err() {
            let _ = self.pf.on_closed(addr, now);
            return None;
        }
        let id = self.alloc();
        let deadline = now + self.cfg.handshake_timeout;
        self.conns.insert(id, Conn { remote: addr, inbound: false, deadline, phase: Phase::Dialing });
        self.by_remote.insert(addr, id);
        self.out.push_back(Output::Connect { conn: id, addr });
        Some(id)
    }

    fn on_tcp_connected(&mut self, now: Instant, conn: ConnId, local: SocketAddr) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if !matches!(c.phase, Phase::Dialing) {
            return;
        }
        c.phase = Phase::Tls;
        let remote = c.remote;
        match self.pf.on_connected(remote, local) {
            Ok(()) => {}
            Err(PeerFinderError::SelfConnection(_)) => {
                self.close(now, conn, DisconnectReason::SelfConnection)
            }
            Err(e) => self.close(now, conn, DisconnectReason::Handshake(e.to_string())),
        }
    }

    fn on_tls(&mut self, now: Instant, conn: ConnId, local_finished: Vec<u8>, peer_finished: Vec<u8>) {
        let net_now = self.net_now(now);
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if !matches!(c.phase, Phase::Tls) {
            return;
        }
        if c.inbound {
            c.phase = Phase::Request { buf: Vec::new(), local_finished, peer_finished };
            return;
        }
        let remote = c.remote;
        match handshake::shared_value(&local_finished, &peer_finished) {
            Ok(shared) => {
                c.phase = Phase::Response { buf: Vec::new(), shared };
                let req = handshake::build_request(&self.hs, &shared, remote.ip(), net_now);
                self.transmit(conn, req.into_bytes());
            }
            Err(e) => self.reject_outbound(now, conn, e),
        }
    }

    fn reject_outbound(&mut self, now: Instant, conn: ConnId, e: HandshakeError) {
        let Some(remote) = self.conns.get(&conn).map(|c| c.remote) else { return };
        let status = match &e {
            HandshakeError::UnexpectedResponse { status, .. } => Some(*status),
            _ => None,
        };
        self.event(OverlayEvent::HandshakeRejected { conn, remote, status, reason: e.to_string() });
        if let Some(g) = self.gov.as_mut() {
            g.handshake_failed(conn, &e);
        }
        self.close(now, conn, DisconnectReason::Handshake(e.to_string()));
    }

    fn on_response_bytes(&mut self, now: Instant, conn: ConnId) {
        let net_now = self.net_now(now);
        let Some(c) = self.conns.get(&conn) else { return };
        let Phase::Response { buf, shared } = &c.phase else { return };
        let remote = c.remote;
        match handshake::handle_response(&self.hs, buf, shared, net_now, remote.ip()) {
            Ok(None) if buf.len() > MAX_RESPONSE_BYTES => {
                let e = HandshakeError::UnexpectedResponse {
                    status: 0,
                    reason: format!("answer exceeds {MAX_RESPONSE_BYTES} bytes"),
                };
                self.reject_outbound(now, conn, e);
            }
            Ok(None) => {}
            Ok(Some(ResponseOutcome::Redirect { endpoints })) => {
                let texts: Vec<String> = endpoints.iter().map(format_endpoint).collect();
                self.pf.on_redirects(&texts);
                let private_ok = self.pf.config().gossip_private_addresses;
                if let Some(g) = self.gov.as_mut() {
                    let peers = endpoints
                        .iter()
                        .filter(|a| private_ok || crate::address::is_public_ip(a.ip()))
                        .map(|a| LearnedPeer { addr: *a, hops: None })
                        .collect();
                    g.learned(now, Some(remote), peers);
                }
                self.event(OverlayEvent::Redirected { conn, remote, peer_ips: endpoints });
                self.close(now, conn, DisconnectReason::Redirected);
            }
            Ok(Some(ResponseOutcome::Upgraded { peer, leftover })) => {
                let reserved = self.reserved_slot(&peer.public_key, false);
                match self.pf.activate(remote, peer.public_key, reserved, now) {
                    Ok(Activation::Success) => self.activate(now, conn, *peer, &leftover),
                    Ok(Activation::DuplicatePeer) if self.wins_crossed_dial(&peer.public_key) => {
                        self.drop_crossed_inbound(now, &peer.public_key);
                        match self.pf.activate(remote, peer.public_key, reserved, now) {
                            Ok(Activation::Success) => self.activate(now, conn, *peer, &leftover),
                            _ => self.close(now, conn, DisconnectReason::DuplicatePeer),
                        }
                    }
                    Ok(Activation::DuplicatePeer) => self.close(now, conn, DisconnectReason::DuplicatePeer),
                    Ok(_) => self.close(now, conn, DisconnectReason::SlotsFull),
                    Err(e) => self.close(now, conn, DisconnectReason::Handshake(e.to_string())),
                }
            }
            Err(e) => self.reject_outbound(now, conn, e),
        }
    }

    fn on_request_bytes(&mut self, now: Instant, conn: ConnId) {
        let Some(c) = self.conns.get(&conn) else { return };
        let Phase::Request { buf, .. } = &c.phase else { return };
        let (head, consumed) = match parse_request(buf) {
            Ok(Parsed::Partial) => return,
            Ok(Parsed::Complete { head, consumed }) => (head, consumed),
            Err(e) => {
                // beast's parser failing closes without an answer (§2.3).
                let e = HandshakeError::Head(e);
                let remote = c.remote;
                self.event(OverlayEvent::HandshakeRejected {
                    conn,
                    remote,
                    status: None,
                    reason: e.to_string(),
                });
                self.close(now, conn, DisconnectReason::Handshake(e.to_string()));
                return;
            }
        };
        let server = self.cfg.software.clone();
        match classify_request(&head, self.cfg.profile) {
            RequestKind::Crawl if self.cfg.crawl.serves() => {
                let answer = crawl_response(&self.crawl_snapshot(now), &server)
                    .unwrap_or_else(|| handshake::build_forbidden(&server).into_bytes());
                self.serve_http(now, conn, answer);
            }
            RequestKind::Health => {
                let answer = health_response(&self.server_info(now), &server);
                self.serve_http(now, conn, answer);
            }
            RequestKind::ValidatorList(_) if self.cfg.vl_enabled => {
                // We hold no publisher lists: rippled's "no such list" answer (§13.3).
                self.serve_http(now, conn, http_response(404, &server, b""));
            }
            RequestKind::PeerUpgrade => self.on_upgrade_request(now, conn, head, consumed),
            _ => self.serve_http(now, conn, handshake::build_forbidden(&server).into_bytes()),
        }
    }

    fn serve_http(&mut self, now: Instant, conn: ConnId, bytes: Vec<u8>) {
        self.transmit(conn, bytes);
        self.close(now, conn, DisconnectReason::HttpServed);
    }

    fn on_upgrade_request(
        &mut self,
        now: Instant,
        conn: ConnId,
        head: handshake::RequestHead,
        consumed: usize,
    ) {
        let net_now = self.net_now(now);
        let Some(c) = self.conns.get_mut(&conn) else { return };
        let Phase::Request { buf, local_finished, peer_finished } = &mut c.phase else { return };
        let leftover = buf.split_off(consumed.min(buf.len()));
        let remote = c.remote;
        let verdict = evaluate_inbound(&self.hs, &head, local_finished, peer_finished, net_now, remote.ip());
        let acc = match verdict {
            Ok(acc) => acc,
            Err(e) => {
                let peers = if e.http_status() == Some(503) {
                    self.pf.redirect(remote, &mut self.rng)
                } else {
                    vec![]
                };
                let answer = build_error_response(&self.hs, head.http_minor, remote.ip(), &e, &peers);
                self.refuse_inbound(
                    now,
                    conn,
                    e.http_status(),
                    e.message(),
                    answer,
                    DisconnectReason::Handshake(e.to_string()),
                );
                return;
            }
        };
        let key = acc.peer.public_key;
        let reserved = self.reserved_slot(&key, true);
        let activation = match self.pf.activate(remote, key, reserved, now) {
            Ok(a) => a,
            Err(e) => {
                self.close(now, conn, DisconnectReason::Handshake(e.to_string()));
                return;
            }
        };
        match activation {
            Activation::Success => {
                let resp = build_switching_response(
                    &self.hs,
                    head.http_minor,
                    &acc.peer,
                    &acc.shared,
                    remote.ip(),
                    net_now,
                );
                self.transmit(conn, resp.into_bytes());
                self.activate(now, conn, acc.peer, &leftover);
            }
            // rippled `onHandoff`: every failed activation (full, inbound disabled — e.g. a
            // private node and a non-fixed caller — or duplicate key) is a 503 redirect.
            other => {
                let (text, reason) = match other {
                    Activation::DuplicatePeer => ("duplicate peer", DisconnectReason::DuplicatePeer),
                    Activation::InboundDisabled => ("inbound disabled", DisconnectReason::SlotsFull),
                    _ => ("slots full", DisconnectReason::SlotsFull),
                };
                let peers = self.pf.redirect(remote, &mut self.rng);
                let answer =
                    handshake::build_redirect(&self.cfg.software, head.http_minor, remote.ip(), &peers);
                self.refuse_inbound(now, conn, Some(503), text.into(), Some(answer), reason);
            }
        }
    }

    fn refuse_inbound(
        &mut self,
        now: Instant,
        conn: ConnId,
        status: Option<u16>,
        text: String,
        answer: Option<String>,
        reason: DisconnectReason,
    ) {
        let Some(remote) = self.conns.get(&conn).map(|c| c.remote) else { return };
        self.event(OverlayEvent::HandshakeRejected { conn, remote, status, reason: text });
        if let Some(a) = answer {
            self.transmit(conn, a.into_bytes());
        }
        self.close(now, conn, reason);
    }

    /// Crossed dials: both nodes dialled each other at once, so each has an active inbound
    /// link when its outbound 101 arrives. rippled closes the newer (outbound) one on both
    /// sides, losing both links; we keep the link dialled by the lower node key. The
    /// higher-key side closes its outbound exactly as rippled does, so the rule is compatible
    /// with rippled peers (their outbound, our inbound, is the one that goes).
    fn wins_crossed_dial(&self, peer: &NodePublicKey) -> bool {
        self.public_key().as_bytes() < peer.as_bytes() && self.inbound_conn_of(peer).is_some()
    }

    fn inbound_conn_of(&self, key: &NodePublicKey) -> Option<ConnId> {
        self.conns.iter().find_map(|(id, c)| match &c.phase {
            Phase::Active(s) if c.inbound && s.peer.public_key == *key => Some(*id),
            _ => None,
        })
    }

    fn drop_crossed_inbound(&mut self, now: Instant, key: &NodePublicKey) {
        if let Some(id) = self.inbound_conn_of(key) {
            self.close(now, id, DisconnectReason::DuplicatePeer);
        }
    }

    fn is_cluster(&self, key: &NodePublicKey) -> bool {
        self.cluster.member(key).is_some()
    }

    fn reserved_slot(&self, key: &NodePublicKey, inbound: bool) -> bool {
        cluster::reserved_slot(&self.cluster, &self.reservations, key, inbound)
    }

    fn activate(&mut self, now: Instant, conn: ConnId, peer: PeerIdentity, leftover: &[u8]) {
        let opts = match self.cfg.profile.frame_dialect {
            FrameDialect::Modern => FrameOptions::modern(peer.features.compression),
            FrameDialect::Legacy32 => FrameOptions::legacy32(),
        };
        let Some(c) = self.conns.get_mut(&conn) else { return };
        let (remote, inbound) = (c.remote, c.inbound);
        let crawl_public = peer.crawl_public;
        let _ = self.pf.set_slot_private(remote, !peer.crawl_public);
        let event = OverlayEvent::PeerActivated {
            conn,
            public_key: peer.public_key,
            remote,
            inbound,
            version: peer.version,
            user_agent: peer.software.clone().unwrap_or_default(),
        };
        c.phase = Phase::Active(Box::new(Session {
            peer,
            opts,
            decoder: FrameDecoder::new(opts),
            since: now,
            next_tick: now + self.cfg.ping_interval,
            ping: None,
            latency_ms: None,
            // We are not a validator: no own key to protect from squelches.
            squelches: PeerSquelches::new(None),
            queue_len: 0,
            send_queue: SendQueueMonitor::new(),
        }));
        self.event(event);
        if let (false, Some(g)) = (inbound, self.gov.as_mut()) {
            g.established(now, conn, crawl_public);
        }
        if !leftover.is_empty() {
            if let Some(s) = self.session_mut(conn) {
                s.decoder.push(leftover);
            }
            self.drain_frames(now, conn);
        }
    }

    fn session_mut(&mut self, conn: ConnId) -> Option<&mut Session> {
        match &mut self.conns.get_mut(&conn)?.phase {
            Phase::Active(s) => Some(s),
            _ => None,
        }
    }

    fn session(&self, conn: ConnId) -> Option<(&Conn, &Session)> {
        let c = self.conns.get(&conn)?;
        match &c.phase {
            Phase::Active(s) => Some((c, s)),
            _ => None,
        }
    }

    // --- active sessions --------------------------------------------------------------------------

    fn peer_tick(&mut self, now: Instant, conn: ConnId) {
        let interval = self.cfg.ping_interval;
        let seq = self.rng.next_u32();
        let Some(s) = self.session_mut(conn) else { return };
        s.next_tick = now + interval;
        if s.send_queue.on_timer() == SendQueueVerdict::Disconnect {
            self.close(now, conn, DisconnectReason::LargeSendQueue);
            return;
        }
        if s.ping.is_some() {
            self.close(now, conn, DisconnectReason::PingTimeout);
            return;
        }
        s.ping = Some((seq, now));
        let ping = Message::Ping(proto::TmPing {
            r#type: Some(PT_PING),
            seq: Some(seq),
            ping_time: None,
            net_time: None,
        });
        self.send(conn, &ping);
    }

    fn drain_frames(&mut self, now: Instant, conn: ConnId) {
        loop {
            let Some(s) = self.session_mut(conn) else { return };
            let frame: Frame = match s.decoder.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => return,
                Err(e) => {
                    self.close(now, conn, DisconnectReason::BadFrame(e.to_string()));
                    return;
                }
            };
            match decode(frame.message_type, &frame.payload) {
                Ok(Some(m)) => self.on_message(now, conn, m),
                // Unknown or retired types are skipped without charge (§6.4).
                Ok(None) => {}
                Err(e) => {
                    self.close(now, conn, DisconnectReason::BadMessage(e.to_string()));
                    return;
                }
            }
        }
    }

    /// Charge the sender; false (and the connection closed) when it crossed the drop threshold.
    fn charge(&mut self, now: Instant, conn: ConnId, charge: Charge) -> bool {
        let Some(key) = self.conns.get(&conn).map(Conn::resource_key) else { return false };
        if self.gov.as_mut().is_some_and(|g| g.charged(now, conn, charge)) {
            // Protocol abuse by a governed peer: demoted to cold at once (governor.md §16.3).
            self.resources.charge(now, key, charge);
            self.close(now, conn, DisconnectReason::Demoted);
            return false;
        }
        if self.resources.charge(now, key, charge) == Disposition::Drop {
            // rippled's Consumer::disconnect: adds feeDrop so the address stays refused longer.
            self.resources.check_disconnect(now, key);
            self.close(now, conn, DisconnectReason::Resources);
            return false;
        }
        true
    }

    fn on_message(&mut self, now: Instant, conn: ConnId, message: Message) {
        // Handlers may raise the fee; it is charged once per message, after handling, as
        // rippled's PeerImp does (`fee_` starts at feeTrivialPeer, `fee_.update`, charged in
        // `onMessageEnd`).
        let fee = match &message {
            Message::Ping(p) => self.on_ping(now, conn, p),
            Message::Endpoints(e) => self.on_endpoints(now, conn, e),
            Message::Squelch(sq) => {
                let key = sq.validator_pub_key.as_deref().unwrap_or_default();
                let (squelch, duration) = (sq.squelch.unwrap_or(false), sq.squelch_duration);
                self.session_mut(conn)
                    .and_then(|s| s.squelches.apply_squelch(now, key, squelch, duration).charge())
            }
            Message::Manifests(m) if m.list.is_empty() => Some(Charge::UselessData),
            Message::Cluster(m) => self.on_cluster(now, conn, m),
            Message::GetObjectByHash(q) => {
                self.on_get_objects(conn, q);
                None
            }
            _ => None,
        };
        if !self.charge(now, conn, fee.unwrap_or(Charge::TrivialPeer)) {
            return;
        }
        // Warm (governed, not yet promoted) peers exchange pings only: nothing of theirs is relayed.
        if self.conns.contains_key(&conn) && self.relays(conn) {
            // The key (SHA-512 of up to a whole transaction) is computed once per message:
            // hashing twice was a fifth of a relaying node's CPU in `ci/bench` relay_*.
            if let Some(key) = relay_key(&message) {
                self.relay(now, &message, Some(key), Some(conn));
            }
        }
        if self.conns.contains_key(&conn) {
            self.event(OverlayEvent::Message { conn, message });
        }
    }

    fn on_ping(&mut self, now: Instant, conn: ConnId, p: &proto::TmPing) -> Option<Charge> {
        match p.r#type {
            Some(PT_PING) => {
                let mut pong = *p;
                pong.r#type = Some(PT_PONG);
                self.send(conn, &Message::Ping(pong));
                Some(Charge::ModeratePeer)
            }
            Some(PT_PONG) => {
                if let Some(s) = self.session_mut(conn) {
                    if let (Some((cookie, sent)), Some(seq)) = (s.ping, p.seq) {
                        if cookie == seq {
                            s.ping = None;
                            let elapsed = now.saturating_duration_since(sent);
                            let rtt = elapsed.as_millis() as u64;
                            s.latency_ms = Some(s.latency_ms.map_or(rtt, |old| (old * 7 + rtt) / 8));
                            if let Some(g) = self.gov.as_mut() {
                                g.rtt(now, conn, elapsed);
                            }
                        }
                    }
                }
                None
            }
            _ => None,
        }
    }

    fn on_get_objects(&mut self, conn: ConnId, q: &proto::TmGetObjectByHash) {
        // A query we cannot serve gets rippled's reply with no objects; txrr (type 7) queries
        // and replies are not answered.
        if q.query == Some(true) && q.r#type != Some(OT_TRANSACTIONS) {
            let reply = proto::TmGetObjectByHash {
                r#type: q.r#type,
                query: Some(false),
                seq: q.seq,
                ledger_hash: q.ledger_hash.clone(),
                fat: None,
                objects: vec![],
            };
            self.send(conn, &Message::GetObjectByHash(reply));
        }
    }

    fn on_endpoints(&mut self, now: Instant, conn: ConnId, m: &proto::TmEndpoints) -> Option<Charge> {
        let c = self.conns.get(&conn)?;
        let remote = c.remote;
        let mut bad = 0usize;
        let list: Vec<HopEndpoint> = match (self.cfg.profile.endpoints_version, m.version) {
            (EndpointsVersion::V2, Some(2)) => m
                .endpoints_v2
                .iter()
                .filter_map(|e| {
                    let text = e.endpoint.as_deref().unwrap_or_default();
                    let addr =
                        (text.len() <= MAX_ENDPOINT_STRING_LEN).then(|| parse_endpoint(text).ok()).flatten();
                    if addr.is_none() {
                        bad += 1;
                    }
                    Some(HopEndpoint::new(addr?, e.hops.unwrap_or(0)))
                })
                .collect(),
            (EndpointsVersion::V1, Some(1)) => m
                .endpoints
                .iter()
                .filter_map(|e| {
                    let v4 = e.ipv4.as_ref()?;
                    let port = u16::try_from(v4.ipv4_port.unwrap_or(0)).ok()?;
                    let ip = Ipv4Addr::from(v4.ipv4.unwrap_or(0));
                    Some(HopEndpoint::new(SocketAddr::new(ip.into(), port), e.hops.unwrap_or(0)))
                })
                .collect(),
            // Another layout than the profile's: rippled ignores it.
            _ => return None,
        };
        let fee = (bad > 0).then_some(Charge::InvalidData);
        let private_ok = self.pf.config().gossip_private_addresses;
        if let Some(g) = self.gov.as_mut() {
            let from = g.addr_of(conn);
            // A hop-0 entry is the sender itself, sent without its IP (rippled fills in the
            // address the connection came from).
            let peers = list
                .iter()
                .map(|e| {
                    let ip = if e.addr.ip().is_unspecified() { remote.ip() } else { e.addr.ip() };
                    let hops = u8::try_from(e.hops.saturating_add(1)).ok();
                    LearnedPeer { addr: SocketAddr::new(ip, e.addr.port()), hops }
                })
                // As PeerFinder does (§6.3 step 6): only public addresses, unless lab mode.
                .filter(|p| private_ok || crate::address::is_public_ip(p.addr.ip()))
                .collect();
            g.learned(now, from, peers);
        }
        match self.pf.on_endpoints(remote, list, now, &mut self.rng) {
            Ok(EndpointsOutcome::Accepted { connectivity_check: Some(addr), .. }) => {
                if self.cfg.connectivity_checks {
                    let probe = self.alloc();
                    self.probes.insert(probe, (remote, addr));
                    self.out.push_back(Output::Probe { probe, addr });
                } else {
                    self.pf.check_complete(remote, addr, true);
                }
                fee
            }
            Ok(_) => fee,
            Err(PeerFinderError::TooManyEndpoints(_)) => Some(Charge::InvalidData),
            Err(_) => fee,
        }
    }

    fn endpoints_message(&self, eps: &[HopEndpoint]) -> Message {
        let m = match self.cfg.profile.endpoints_version {
            EndpointsVersion::V2 => proto::TmEndpoints {
                version: Some(2),
                endpoints: vec![],
                endpoints_v2: eps
                    .iter()
                    .map(|e| TmEndpointv2 { endpoint: Some(format_endpoint(&e.addr)), hops: Some(e.hops) })
                    .collect(),
            },
            EndpointsVersion::V1 => proto::TmEndpoints {
                version: Some(1),
                endpoints: eps
                    .iter()
                    .filter_map(|e| {
                        let ip = match e.addr.ip() {
                            IpAddr::V4(v4) => v4,
                            IpAddr::V6(v6) if v6.is_unspecified() => Ipv4Addr::UNSPECIFIED,
                            IpAddr::V6(v6) => v6.to_ipv4_mapped()?,
                        };
                        Some(proto::TmEndpoint {
                            ipv4: Some(proto::TmIpv4Endpoint {
                                ipv4: Some(u32::from(ip)),
                                ipv4_port: Some(u32::from(e.addr.port())),
                            }),
                            hops: Some(e.hops),
                        })
                    })
                    .collect(),
                endpoints_v2: vec![],
            },
        };
        Message::Endpoints(m)
    }

    // --- sending and relay ------------------------------------------------------------------------

    fn send(&mut self, conn: ConnId, message: &Message) {
        self.send_payload(conn, message.message_type().number(), &message.encode_payload());
    }

    /// Frame an encoded payload for `conn` (its own compression setting) and transmit it.
    fn send_payload(&mut self, conn: ConnId, msg_type: u16, payload: &[u8]) {
        let Some(s) = self.session_mut(conn) else { return };
        s.send_queue.on_send(s.queue_len);
        let opts = s.opts;
        let mut data = Vec::new();
        // Only an over-64-MiB message fails to encode; it is dropped (we never build one).
        if encode_frame(msg_type, payload, &opts, &mut data).is_ok() {
            self.transmit(conn, data);
        }
    }

    /// Send `message` to active peers. Relayed types go through the HashRouter (a duplicate,
    /// or a hash relayed within `relay::RELAY_INTERVAL`, is not sent again), never to a peer
    /// known to have it (including `from`), and squelchable types skip peers that squelched
    /// the originating validator. Other types go to every peer but `from`.
    /// `key` is `relay_key(message)`, computed once by the caller.
    fn relay(&mut self, now: Instant, message: &Message, key: Option<[u8; 32]>, from: Option<ConnId>) {
        let msg_type = message.message_type().number();
        let skip = match key {
            Some(key) => match self.router.add_first(now, key, from) {
                Some(skip) => skip,
                None => return,
            },
            None => HashSet::new(),
        };
        let validator = originating_validator(message).filter(|_| RelayPolicy::is_squelchable(msg_type));
        let mut targets = Vec::new();
        let gov = self.gov.as_ref();
        for (id, c) in &mut self.conns {
            let Phase::Active(s) = &mut c.phase else { continue };
            if Some(*id) == from || skip.contains(id) || gov.is_some_and(|g| !g.relays(*id)) {
                continue;
            }
            if validator.is_some_and(|v| s.squelches.is_squelched(now, v)) {
                continue;
            }
            targets.push(*id);
        }
        if targets.is_empty() {
            return;
        }
        // Encoded once, framed per target (compression is a per-link setting).
        let payload = message.encode_payload();
        for t in targets {
            self.send_payload(t, msg_type, &payload);
        }
    }
}

/// The suppression key of a relayed message (§12), `None` for point-to-point types: rippled's
/// per-type keys for transactions and validations, [`relay::suppression_key`] otherwise.
pub fn relay_key(message: &Message) -> Option<[u8; 32]> {
    let msg_type = message.message_type().number();
    if !RelayPolicy::is_relayed(msg_type) {
        return None;
    }
    Some(match message {
        Message::Transaction(t) => {
            relay::transaction_suppression_key(t.raw_transaction.as_deref().unwrap_or_default())
        }
        Message::Validation(v) => {
            relay::validation_suppression_key(v.validation.as_deref().unwrap_or_default())
        }
        _ => relay::suppression_key(msg_type, &message.encode_payload()),
    })
}

/// The validator whose traffic this is, for squelching (§11.1): a proposal's `nodePubKey`, a
/// validation's `sfSigningPubKey`.
pub fn originating_validator(message: &Message) -> Option<&[u8]> {
    match message {
        Message::ProposeSet(p) => p.node_pub_key.as_deref(),
        Message::Validation(v) => v.validation.as_deref().and_then(relay::validation_signing_key),
        _ => None,
    }
}
