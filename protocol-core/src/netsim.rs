//! Deterministic multi-node simulator: N governed [`Overlay`]s on a virtual clock and a virtual
//! network with per-pair latency, connect loss, link resets, partitions, node crashes and
//! adversarial nodes (wrong network id, corrupted session signatures, protocol abuse after the
//! handshake). It checks governor.md §17 properties on every node's governance trace and on the
//! cross-layer state (governor view vs. connections) while it runs.
//!
//! Owns only the virtual network; it drives each overlay exactly as a frontend does
//! (`accept`, `handle_input`, `handle_data`, `handle_timeout`, `poll_output`). Must not read a
//! clock or any global RNG: everything derives from [`SimConfig::seed`], so a run replays
//! exactly from its number (`conformance simulate --seed S`).
//!
//! Why on overlays rather than on the single-governor mock (`governor::sim`): adversaries here
//! are real protocol behaviour (handshake headers, frames) seen through the real overlay, and
//! the §17.21 check compares the governor with real connection state. The mock stays the place
//! for the fine-grained timing properties of one governor (13–16, 19, 20 with 0 s bounds).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::framing::{encode_frame, FrameOptions};
use crate::governor::{
    FailureKind, ForgetReason, GovernorAction, GovernorConfig, GovernorEvent, GovernorInput, PeerState,
    PublicRoot, Targets, BACKOFF_BASE, BACKOFF_FUZZ_SECS, BACKOFF_MAX_EXPONENT, CLEAR_FAIL_COUNT_DELAY,
    MAX_CONNECTION_RETRIES,
};
use crate::keys::{NodeKeyPair, Seed};
use crate::messages::{proto, Message};
use crate::network::Network;
use crate::overlay::governance::TraceItem;
use crate::overlay::{ConnId, Input, Output, Overlay, OverlayConfig};
use crate::relay::RelayPolicy;

/// Peer port every simulated node listens on.
pub const SIM_PORT: u16 = 51235;
/// Network id of honest nodes; the wrong-network adversaries use [`SIM_WRONG_NETWORK_ID`].
pub const SIM_NETWORK_ID: u32 = 0;
pub const SIM_WRONG_NETWORK_ID: u32 = 4242;
/// §17.5: fewer than this many governor actions per node at one virtual instant.
pub const SIM_LIVELOCK_ACTIONS: usize = 1000;
/// Public roots each honest node is configured with (random other nodes).
pub const SIM_ROOTS_PER_NODE: usize = 3;
/// Share of honest nodes that ask for privacy (`Crawl: private`): §17.25 checks that nobody
/// shares their addresses.
pub const SIM_PRIVATE_SHARE: f64 = 0.1;
/// Period of the simulated transaction traffic (one broadcast somewhere in the network).
pub const SIM_TRAFFIC_PERIOD: Duration = Duration::from_secs(5);
/// Period of the protocol abuser's garbage frames.
pub const SIM_ABUSE_PERIOD: Duration = Duration::from_secs(30);
/// Disturbances (partitions, crashes, resets) stop this long before the end (or at half time
/// in shorter runs), so the final convergence check sees a settled network.
pub const SIM_QUIET_TAIL: Duration = Duration::from_secs(15 * 60);

fn quiet_tail(duration: Duration) -> Duration {
    SIM_QUIET_TAIL.min(duration / 2)
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub nodes: usize,
    pub seed: u64,
    pub duration: Duration,
    /// Share of nodes that are adversaries (split evenly over the three kinds).
    pub adversary_share: f64,
    /// Probability that a connect attempt is lost.
    pub connect_loss: f64,
    /// Link resets per link per hour.
    pub resets_per_hour: f64,
    /// Number of partitions (each splits the network in two for a few minutes).
    pub partitions: usize,
    /// Number of node crashes (each node restarts after a few minutes with a fresh state).
    pub crashes: usize,
    /// Honest nodes' targets.
    pub targets: Targets,
    /// Check properties on every step (off for pure speed measurements).
    pub check: bool,
}

impl SimConfig {
    /// A small disturbed network for property runs.
    pub fn small(nodes: usize, seed: u64, duration: Duration) -> Self {
        Self {
            nodes,
            seed,
            duration,
            adversary_share: 0.15,
            connect_loss: 0.02,
            resets_per_hour: 0.5,
            partitions: 1,
            crashes: 2,
            targets: Targets { root: 3, known: 40, established: 5, active: 3 },
            check: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Honest,
    WrongNetwork,
    BadSignature,
    Abuser,
}

/// One checked property.
#[derive(Debug, Clone, Serialize)]
pub struct PropertyResult {
    /// governor.md §17 number(s).
    pub id: &'static str,
    pub name: &'static str,
    pub checks: u64,
    pub violations: u64,
    /// First violation, if any.
    pub first: Option<String>,
}

/// Figures of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    /// Virtual seconds until every honest node first had its active target hot (None: never).
    pub secs_to_targets_all: Option<f64>,
    /// Median over honest nodes of the virtual seconds to their active target.
    pub secs_to_targets_median: Option<f64>,
    pub churn_cycles: u64,
    /// Transactions broadcast by honest nodes (relay traffic for the §16.1 warm check).
    pub broadcasts: u64,
    pub connects: u64,
    pub activations: u64,
    pub deactivations: u64,
    pub closes: u64,
    pub misbehaviour_demotions: u64,
    pub forgotten: u64,
    pub trace_hash: u64,
    pub simulated_secs: f64,
    pub events: u64,
}

/// The outcome of one run.
#[derive(Debug, Clone, Serialize)]
pub struct SimReport {
    pub nodes: usize,
    pub seed: u64,
    pub minutes: f64,
    pub violations: u64,
    pub properties: Vec<PropertyResult>,
    pub figures: Figures,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct End {
    node: usize,
    life: u32,
    conn: ConnId,
}

#[derive(Debug)]
enum Ev {
    Timer(usize),
    Data(End, Vec<u8>),
    Input(usize, u32, Input),
    Hangup(End),
    Crash(usize),
    Restart(usize),
    PartitionStart(Vec<bool>),
    PartitionEnd,
    Abuse(usize),
    Reset,
    /// A random up honest node broadcasts a fresh transaction.
    Traffic,
}

struct SimNode {
    overlay: Overlay,
    role: Role,
    private: bool,
    ip: IpAddr,
    listen: SocketAddr,
    up: bool,
    life: u32,
    roots: Vec<SocketAddr>,
    /// Connections that already sent their first bytes (the HTTP head).
    sent_head: HashSet<ConnId>,
    next_port: u16,
    reached_targets: Option<Duration>,
    replica: Replica,
}

/// Per-node replica built from the trace alone (independent of the governor's bookkeeping).
#[derive(Default)]
struct Replica {
    /// Connection state as implied by the completions.
    state: BTreeMap<SocketAddr, PeerState>,
    /// When each peer last became hot, cleared by a failure (§17.19).
    activated_at: BTreeMap<SocketAddr, Duration>,
    /// Earliest allowed next `Connect` after a counted connect failure (§17.17).
    not_before: BTreeMap<SocketAddr, Duration>,
    fail_count: BTreeMap<SocketAddr, u32>,
    /// Peers with a `Demoting { to: Cold }` since their last completion.
    dropping: BTreeSet<SocketAddr>,
    actions_at: (Duration, usize),
}

#[derive(Default)]
struct Props {
    list: Vec<PropertyResult>,
}

impl Props {
    fn new() -> Self {
        let p = |id, name| PropertyResult { id, name, checks: 0, violations: 0, first: None };
        Self {
            list: vec![
                p("1,2", "set invariants: hot ⊆ established ⊆ known, in-progress sets, roots ⊆ known"),
                p("3", "targets in state are sane; churn never exceeds configured targets"),
                p("4", "Connect only to cold, Activate only warm, Deactivate only hot, Close only warm (or dropping)"),
                p("5", "no livelock: < 1000 governor actions per node per virtual instant"),
                p("7", "same seed, same trace (run twice by the caller)"),
                p("12,18", "roots never forgotten; failure-forgetting only at the 6th consecutive failure"),
                p("17", "no Connect earlier than 5·2^min(k−1,5) − 2 s after the k-th connect failure"),
                p("21", "governor warm/hot view equals the overlay's connections and relay flags"),
                p("19", "fail count cleared only ≥ 120 s after a promotion with no failure since"),
                p("16.1", "warm governed peers are sent pings only: no relayed transaction, proposal or validation"),
                p("24", "no invented addresses: every known peer is a simulated node's address"),
                p("25", "private (advertise = no) addresses never shareable"),
                p("13,15", "after the quiet tail, every up honest node has min(active target, established) hot"),
                p("16.3", "a misbehaving peer is demoted to cold at once and its connection closed"),
            ],
        }
    }
    fn check(&mut self, id: &str, ok: bool, at: Duration, msg: impl FnOnce() -> String) {
        let Some(p) = self.list.iter_mut().find(|p| p.id == id) else { return };
        p.checks += 1;
        if !ok {
            p.violations += 1;
            if p.first.is_none() {
                p.first = Some(format!("t={:.3}s: {}", at.as_secs_f64(), msg()));
            }
        }
    }
}

/// The simulator.
pub struct NetSim {
    cfg: SimConfig,
    origin: Instant,
    now: Duration,
    rng: ChaCha8Rng,
    nodes: Vec<SimNode>,
    by_addr: BTreeMap<SocketAddr, usize>,
    coords: Vec<(f64, f64)>,
    links: BTreeMap<End, End>,
    queue: BinaryHeap<Reverse<(Duration, u64, usize)>>,
    evs: BTreeMap<usize, Ev>,
    seq: u64,
    next_ev: usize,
    /// Timer already queued per node (to avoid duplicates).
    timer_at: Vec<Option<Duration>>,
    side: Option<Vec<bool>>,
    props: Props,
    figures: Figures,
    hasher: DefaultHasher,
    finished: u64,
}

fn sim_ip(i: usize) -> IpAddr {
    // 198.18.0.0/15 (benchmarking range): 131 072 distinct public-looking addresses.
    IpAddr::V4(Ipv4Addr::from(0xC612_0000u32 + 1 + i as u32))
}

fn sim_key(i: usize) -> NodeKeyPair {
    NodeKeyPair::from_seed(&Seed::from_passphrase(&format!("netsim-node-{i}")))
}

fn backoff_floor(k: u32) -> Duration {
    let exp = k.saturating_sub(1).min(BACKOFF_MAX_EXPONENT);
    (BACKOFF_BASE * (1u32 << exp)).saturating_sub(Duration::from_secs_f64(BACKOFF_FUZZ_SECS))
}

impl NetSim {
    pub fn new(cfg: SimConfig, origin: Instant) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let n = cfg.nodes;
        let coords = (0..n).map(|_| (rng.random::<f64>(), rng.random::<f64>())).collect();
        let adversaries = ((n as f64) * cfg.adversary_share).floor() as usize;
        let mut roles = vec![Role::Honest; n];
        for (k, r) in roles.iter_mut().enumerate().skip(1).take(adversaries) {
            *r = match k % 3 {
                0 => Role::WrongNetwork,
                1 => Role::BadSignature,
                _ => Role::Abuser,
            };
        }
        // Shuffle roles but keep node 0 honest.
        for i in (2..n).rev() {
            let j = rng.random_range(1..=i);
            roles.swap(i, j);
        }
        let mut sim = NetSim {
            origin,
            now: Duration::ZERO,
            nodes: Vec::with_capacity(n),
            by_addr: BTreeMap::new(),
            coords,
            links: BTreeMap::new(),
            queue: BinaryHeap::new(),
            evs: BTreeMap::new(),
            seq: 0,
            next_ev: 0,
            timer_at: vec![None; n],
            side: None,
            props: Props::new(),
            figures: Figures::default(),
            hasher: DefaultHasher::new(),
            finished: 0,
            rng,
            cfg,
        };
        for (i, role) in roles.into_iter().enumerate() {
            let roots: Vec<SocketAddr> = (0..SIM_ROOTS_PER_NODE.min(n.saturating_sub(1)))
                .map(|_| {
                    let mut j = sim.rng.random_range(0..n);
                    if j == i {
                        j = (j + 1) % n;
                    }
                    SocketAddr::new(sim_ip(j), SIM_PORT)
                })
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let listen = SocketAddr::new(sim_ip(i), SIM_PORT);
            sim.by_addr.insert(listen, i);
            let private = i != 0 && role == Role::Honest && sim.rng.random::<f64>() < SIM_PRIVATE_SHARE;
            let overlay = sim.make_overlay(i, role, private, &roots, 0);
            sim.nodes.push(SimNode {
                overlay,
                role,
                private,
                ip: sim_ip(i),
                listen,
                up: true,
                life: 0,
                roots,
                sent_head: HashSet::new(),
                next_port: 40_000,
                reached_targets: None,
                replica: Replica::default(),
            });
            sim.arm(i);
            if role == Role::Abuser {
                let first = Duration::from_secs(sim.rng.random_range(5..60));
                sim.schedule(first, Ev::Abuse(i));
            }
        }
        sim.plan_disturbances();
        sim.schedule(SIM_TRAFFIC_PERIOD, Ev::Traffic);
        sim
    }

    fn make_overlay(
        &mut self,
        i: usize,
        role: Role,
        private: bool,
        roots: &[SocketAddr],
        life: u32,
    ) -> Overlay {
        let mut c = OverlayConfig::new(Network::Xrpl);
        c.peerfinder.listening_port = SIM_PORT;
        // Asks for privacy in its handshake (`Crawl: private`) but still takes inbound peers.
        c.peerfinder.peer_private = private;
        c.network_id = Some(if role == Role::WrongNetwork { SIM_WRONG_NETWORK_ID } else { SIM_NETWORK_ID });
        c.net_clock_at_start = 757_382_400 + self.now.as_secs() as u32;
        c.governor = Some(GovernorConfig {
            targets: self.cfg.targets,
            public_roots: roots.iter().map(|a| PublicRoot { addr: *a, advertise: true }).collect(),
            ..GovernorConfig::default()
        });
        let seed = self.cfg.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((i as u64) << 20) ^ u64::from(life);
        let mut o = Overlay::new(c, sim_key(i), self.origin + self.now, seed);
        if let Some(g) = o.governance_mut() {
            g.set_tracing(self.cfg.check && role == Role::Honest);
        }
        o
    }

    fn plan_disturbances(&mut self) {
        let end = self.cfg.duration.saturating_sub(quiet_tail(self.cfg.duration));
        if end <= Duration::from_secs(120) {
            return;
        }
        let n = self.cfg.nodes;
        for _ in 0..self.cfg.partitions {
            let start = Duration::from_secs(self.rng.random_range(60..end.as_secs()));
            let len = Duration::from_secs(self.rng.random_range(60..300));
            let side: Vec<bool> = (0..n).map(|k| self.coords[k].0 < 0.5).collect();
            self.schedule(start, Ev::PartitionStart(side));
            self.schedule((start + len).min(end), Ev::PartitionEnd);
        }
        for _ in 0..self.cfg.crashes {
            let node = self.rng.random_range(0..n);
            let start = Duration::from_secs(self.rng.random_range(60..end.as_secs()));
            let len = Duration::from_secs(self.rng.random_range(30..600));
            self.schedule(start, Ev::Crash(node));
            self.schedule((start + len).min(end), Ev::Restart(node));
        }
        if self.cfg.resets_per_hour > 0.0 {
            self.schedule(Duration::from_secs(60), Ev::Reset);
        }
    }

    fn schedule(&mut self, after: Duration, ev: Ev) {
        let at = self.now + after;
        self.seq += 1;
        let id = self.next_ev;
        self.next_ev += 1;
        self.evs.insert(id, ev);
        self.queue.push(Reverse((at, self.seq, id)));
    }

    fn latency(&self, a: usize, b: usize) -> Duration {
        let (x1, y1) = self.coords[a];
        let (x2, y2) = self.coords[b];
        let d = ((x1 - x2).powi(2) + (y1 - y2).powi(2)).sqrt();
        Duration::from_micros(2_000 + (d * 150_000.0) as u64)
    }

    fn blocked(&self, a: usize, b: usize) -> bool {
        self.side.as_ref().is_some_and(|s| s[a] != s[b])
    }

    /// Queue the node's next timer if it is earlier than the one queued.
    fn arm(&mut self, i: usize) {
        if !self.nodes[i].up {
            return;
        }
        let Some(t) = self.nodes[i].overlay.poll_timeout() else { return };
        let at = t.saturating_duration_since(self.origin).max(self.now);
        if self.timer_at[i].is_some_and(|q| q <= at) {
            return;
        }
        self.timer_at[i] = Some(at);
        self.seq += 1;
        let id = self.next_ev;
        self.next_ev += 1;
        self.evs.insert(id, Ev::Timer(i));
        self.queue.push(Reverse((at, self.seq, id)));
    }

    /// Run to the end and report.
    pub fn run(mut self) -> SimReport {
        let end = self.cfg.duration;
        while let Some(Reverse((at, _, id))) = self.queue.pop() {
            if at > end {
                break;
            }
            self.now = at;
            let Some(ev) = self.evs.remove(&id) else { continue };
            self.figures.events += 1;
            self.handle(ev);
        }
        self.now = end;
        self.final_checks();
        let violations = self.props.list.iter().map(|p| p.violations).sum();
        self.figures.trace_hash = self.hasher.finish();
        self.figures.simulated_secs = end.as_secs_f64();
        let mut times: Vec<f64> = self
            .nodes
            .iter()
            .filter(|n| n.role == Role::Honest)
            .filter_map(|n| n.reached_targets.map(|d| d.as_secs_f64()))
            .collect();
        times.sort_by(f64::total_cmp);
        let honest = self.nodes.iter().filter(|n| n.role == Role::Honest).count();
        if !times.is_empty() {
            self.figures.secs_to_targets_median = Some(times[times.len() / 2]);
        }
        if times.len() == honest {
            self.figures.secs_to_targets_all = times.last().copied();
        }
        SimReport {
            nodes: self.cfg.nodes,
            seed: self.cfg.seed,
            minutes: end.as_secs_f64() / 60.0,
            violations,
            properties: self.props.list,
            figures: self.figures,
        }
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Timer(i) => {
                if self.timer_at[i] == Some(self.now) {
                    self.timer_at[i] = None;
                }
                if self.nodes[i].up {
                    let now = self.origin + self.now;
                    if self.nodes[i].overlay.poll_timeout().is_some_and(|t| t <= now) {
                        self.nodes[i].overlay.handle_timeout(now);
                    }
                    self.after(i);
                }
            }
            Ev::Data(to, bytes) => {
                if self.alive(to) {
                    let now = self.origin + self.now;
                    self.nodes[to.node].overlay.handle_data(now, to.conn, &bytes);
                    self.after(to.node);
                }
            }
            Ev::Input(i, life, input) => {
                if self.nodes[i].up && self.nodes[i].life == life {
                    let now = self.origin + self.now;
                    self.nodes[i].overlay.handle_input(now, input);
                    self.after(i);
                }
            }
            Ev::Hangup(to) => {
                if self.alive(to) {
                    let now = self.origin + self.now;
                    self.nodes[to.node]
                        .overlay
                        .handle_input(now, Input::Closed { conn: to.conn, error: None });
                    self.after(to.node);
                }
            }
            Ev::Crash(i) => {
                if self.nodes[i].up {
                    self.nodes[i].up = false;
                    // Links to a crashed node go silent; peers notice by ping timeout.
                    self.links.retain(|a, b| a.node != i && b.node != i);
                }
            }
            Ev::Restart(i) => {
                if !self.nodes[i].up {
                    let life = self.nodes[i].life + 1;
                    let (role, private, roots) =
                        (self.nodes[i].role, self.nodes[i].private, self.nodes[i].roots.clone());
                    let overlay = self.make_overlay(i, role, private, &roots, life);
                    let n = &mut self.nodes[i];
                    n.overlay = overlay;
                    n.life = life;
                    n.up = true;
                    n.sent_head.clear();
                    n.replica = Replica::default();
                    self.timer_at[i] = None;
                    self.after(i);
                }
            }
            Ev::Traffic => {
                let i = self.rng.random_range(0..self.nodes.len());
                if self.nodes[i].up && self.nodes[i].role == Role::Honest {
                    self.figures.broadcasts += 1;
                    let n = self.figures.broadcasts;
                    let mut raw = vec![0x12, 0x00, 0x00];
                    raw.extend(n.to_be_bytes());
                    let tx = Message::Transaction(proto::TmTransaction {
                        raw_transaction: Some(raw),
                        status: Some(1),
                        receive_timestamp: None,
                        deferred: None,
                    });
                    let now = self.origin + self.now;
                    self.nodes[i].overlay.handle_input(now, Input::Broadcast(tx));
                    self.after(i);
                }
                self.schedule(SIM_TRAFFIC_PERIOD, Ev::Traffic);
            }
            Ev::PartitionStart(side) => self.side = Some(side),
            Ev::PartitionEnd => self.side = None,
            Ev::Abuse(i) => {
                if self.nodes[i].up {
                    // Ends sort by node first: a range scan, not a scan of every link.
                    let life = self.nodes[i].life;
                    let lo = End { node: i, life, conn: ConnId(0) };
                    let hi = End { node: i, life, conn: ConnId(u64::MAX) };
                    let ends: Vec<End> = self.links.range(lo..=hi).map(|(e, _)| *e).collect();
                    for e in ends {
                        // A TMTransaction frame (type 30) whose payload is not protobuf.
                        let mut data = Vec::new();
                        if encode_frame(30, &[0xff; 12], &FrameOptions::modern(false), &mut data).is_ok() {
                            self.transmit(e, data);
                        }
                    }
                }
                self.schedule(SIM_ABUSE_PERIOD, Ev::Abuse(i));
            }
            Ev::Reset => {
                // Each link resets with probability resets_per_hour / 60 per minute.
                let p = (self.cfg.resets_per_hour / 60.0).min(1.0);
                let ends: Vec<End> =
                    self.links.keys().copied().filter(|e| e.node < self.nodes.len()).collect();
                let mut done = BTreeSet::new();
                for e in ends {
                    if done.contains(&e) || self.rng.random::<f64>() >= p {
                        continue;
                    }
                    if let Some(o) = self.links.remove(&e) {
                        self.links.remove(&o);
                        done.insert(o);
                        let lat = self.latency(e.node, o.node);
                        self.schedule(Duration::ZERO, Ev::Hangup(e));
                        self.schedule(lat, Ev::Hangup(o));
                    }
                }
                if self.now + Duration::from_secs(60)
                    < self.cfg.duration.saturating_sub(quiet_tail(self.cfg.duration))
                {
                    self.schedule(Duration::from_secs(60), Ev::Reset);
                }
            }
        }
    }

    fn alive(&self, e: End) -> bool {
        self.nodes[e.node].up && self.nodes[e.node].life == e.life
    }

    fn transmit(&mut self, from: End, data: Vec<u8>) {
        if let Some(to) = self.links.get(&from).copied() {
            if self.blocked(from.node, to.node) {
                return;
            }
            let lat = self.latency(from.node, to.node);
            self.schedule(lat, Ev::Data(to, data));
        }
    }

    /// Carry out node `i`'s outputs, check properties, re-arm its timer.
    fn after(&mut self, i: usize) {
        let life = self.nodes[i].life;
        while let Some(o) = self.nodes[i].overlay.poll_output() {
            self.carry_out(i, life, o);
        }
        if self.cfg.check && self.nodes[i].role == Role::Honest {
            self.check_node(i);
        }
        self.arm(i);
    }

    fn carry_out(&mut self, i: usize, life: u32, o: Output) {
        match o {
            Output::Connect { conn, addr } => {
                let me = End { node: i, life, conn };
                let target = self.by_addr.get(&addr).copied().filter(|j| self.nodes[*j].up);
                let lost = self.rng.random::<f64>() < self.cfg.connect_loss;
                let Some(j) = target.filter(|j| !lost && !self.blocked(i, *j)) else {
                    let err = Input::ConnectFailed { conn, error: "connection refused".into() };
                    self.schedule(Duration::from_millis(200), Ev::Input(i, life, err));
                    return;
                };
                let lat = self.latency(i, j);
                let port = self.nodes[i].next_port;
                self.nodes[i].next_port = port.wrapping_add(1).max(40_000);
                let local = SocketAddr::new(self.nodes[i].ip, port);
                let now = self.origin + self.now;
                let listen = self.nodes[j].listen;
                match self.nodes[j].overlay.accept(now, local, listen) {
                    Ok(cj) => {
                        let them = End { node: j, life: self.nodes[j].life, conn: cj };
                        self.links.insert(me, them);
                        self.links.insert(them, me);
                        self.finished += 2;
                        let a = format!("finished-{}", self.finished).into_bytes();
                        let b = format!("finished-{}", self.finished + 1).into_bytes();
                        self.schedule(lat, Ev::Input(i, life, Input::TcpConnected { conn, local }));
                        let tls_i = Input::TlsEstablished {
                            conn,
                            local_finished: a.clone(),
                            peer_finished: b.clone(),
                        };
                        self.schedule(lat * 2, Ev::Input(i, life, tls_i));
                        let tls_j = Input::TlsEstablished { conn: cj, local_finished: b, peer_finished: a };
                        self.schedule(lat * 2, Ev::Input(j, them.life, tls_j));
                        self.after(j);
                    }
                    Err(_) => self.schedule(lat, Ev::Input(i, life, Input::Closed { conn, error: None })),
                }
            }
            Output::Transmit { conn, mut data } => {
                let me = End { node: i, life, conn };
                if self.nodes[i].role == Role::BadSignature && self.nodes[i].sent_head.insert(conn) {
                    corrupt_signature(&mut data);
                }
                if self.cfg.check && self.nodes[i].role == Role::Honest {
                    let warm = self.nodes[i].overlay.governance().is_some_and(|g| g.is_warm(conn));
                    if warm {
                        // Frame header: 4 bytes length (+ flags), then the 2-byte type.
                        let ty = data.get(4..6).map(|b| u16::from_be_bytes([b[0], b[1]]));
                        let relayed = ty.is_some_and(RelayPolicy::is_relayed);
                        let now = self.now;
                        self.props.check("16.1", !relayed, now, || {
                            format!("node {i}: relayed message type {ty:?} sent on warm connection {conn}")
                        });
                    }
                }
                self.transmit(me, data);
            }
            Output::Close { conn, .. } => {
                let me = End { node: i, life, conn };
                if let Some(to) = self.links.remove(&me) {
                    self.links.remove(&to);
                    let lat = self.latency(i, to.node);
                    self.schedule(lat, Ev::Hangup(to));
                }
            }
            Output::Probe { probe, addr } => {
                let reachable =
                    self.by_addr.get(&addr).is_some_and(|j| self.nodes[*j].up && !self.blocked(i, *j));
                self.schedule(
                    Duration::from_millis(100),
                    Ev::Input(i, life, Input::ProbeResult { probe, reachable }),
                );
            }
            Output::Event(_) => {}
        }
    }

    fn check_node(&mut self, i: usize) {
        let now = self.now;
        let trace = match self.nodes[i].overlay.governance_mut() {
            Some(g) => g.drain_trace(),
            None => return,
        };
        let roots: BTreeSet<SocketAddr> = self.nodes[i].roots.iter().copied().collect();
        for (_, item) in trace {
            i.hash(&mut self.hasher);
            now.hash(&mut self.hasher);
            format!("{item:?}").hash(&mut self.hasher);
            self.check_item(i, &roots, item);
        }
        let Some(g) = self.nodes[i].overlay.governance() else { return };
        let gov = g.governor();
        let inv = gov.check_invariants();
        self.props.check("1,2", inv.is_ok(), now, || {
            format!("node {i}: {}", inv.clone().err().unwrap_or_default())
        });
        let view = g.check_view();
        self.props.check("21", view.is_ok(), now, || {
            format!("node {i}: {}", view.clone().err().unwrap_or_default())
        });
        let t = gov.targets();
        let sane = t.check().is_ok()
            && t.active <= self.cfg.targets.active
            && t.established <= self.cfg.targets.established
            && t.known <= self.cfg.targets.known;
        self.props.check("3", sane, now, || format!("node {i}: targets {t:?}"));
        let c = gov.counters();
        if self.nodes[i].reached_targets.is_none() && c.active >= self.cfg.targets.active as usize {
            self.nodes[i].reached_targets = Some(now);
        }
    }

    fn check_item(&mut self, i: usize, roots: &BTreeSet<SocketAddr>, item: TraceItem) {
        let now = self.now;
        let rep = &mut self.nodes[i].replica;
        match item {
            TraceItem::Action(a) => {
                if rep.actions_at.0 == now {
                    rep.actions_at.1 += 1;
                } else {
                    rep.actions_at = (now, 1);
                }
                let n = rep.actions_at.1;
                self.props.check("5", n < SIM_LIVELOCK_ACTIONS, now, || {
                    format!("node {i}: {n} actions at one instant")
                });
                let rep = &mut self.nodes[i].replica;
                let state = |r: &Replica, p: &SocketAddr| r.state.get(p).copied().unwrap_or(PeerState::Cold);
                match a {
                    GovernorAction::Connect(p) => {
                        self.figures.connects += 1;
                        let st = state(rep, &p);
                        let early = rep.not_before.get(&p).copied().filter(|nb| now < *nb);
                        self.props.check("4", st == PeerState::Cold, now, || {
                            format!("node {i}: Connect {p} while {st:?}")
                        });
                        self.props.check("17", early.is_none(), now, || {
                            format!("node {i}: Connect {p} before back-off end {:?}", early)
                        });
                    }
                    GovernorAction::Activate(p) => {
                        self.figures.activations += 1;
                        let st = state(rep, &p);
                        self.props.check("4", st == PeerState::Warm, now, || {
                            format!("node {i}: Activate {p} while {st:?}")
                        });
                    }
                    GovernorAction::Deactivate(p) => {
                        self.figures.deactivations += 1;
                        let st = state(rep, &p);
                        self.props.check("4", st == PeerState::Hot, now, || {
                            format!("node {i}: Deactivate {p} while {st:?}")
                        });
                    }
                    GovernorAction::Close(p) => {
                        self.figures.closes += 1;
                        let st = state(rep, &p);
                        let ok = st == PeerState::Warm || rep.dropping.contains(&p);
                        self.props.check("4", ok, now, || format!("node {i}: Close {p} while {st:?}"));
                    }
                    _ => {}
                }
            }
            TraceItem::Input(inp) => {
                let set = |r: &mut Replica, p: SocketAddr, s: PeerState| {
                    r.dropping.remove(&p);
                    r.state.insert(p, s);
                };
                match inp {
                    GovernorInput::ConnectSucceeded { peer, .. } => set(rep, peer, PeerState::Warm),
                    GovernorInput::Activated { peer } => {
                        set(rep, peer, PeerState::Hot);
                        rep.activated_at.insert(peer, now);
                    }
                    GovernorInput::Deactivated { peer } => set(rep, peer, PeerState::Warm),
                    GovernorInput::ConnectFailed { peer }
                    | GovernorInput::Closed { peer }
                    | GovernorInput::ConnectionLost { peer, .. } => set(rep, peer, PeerState::Cold),
                    GovernorInput::Misbehaved { peer } => {
                        set(rep, peer, PeerState::Cold);
                        self.figures.misbehaviour_demotions += 1;
                        // §16.3: the governor must now hold it cold (the connection is closed
                        // by the overlay in the same step).
                        let g = self.nodes[i].overlay.governance().map(|g| g.governor().peer(&peer));
                        let cold = g.flatten().is_none_or(|v| v.state == PeerState::Cold);
                        self.props
                            .check("16.3", cold, now, || format!("node {i}: misbehaving {peer} not cold"));
                    }
                    _ => {}
                }
            }
            TraceItem::Event(e) => match e {
                GovernorEvent::FailureCounted { peer, kind, fail_count, .. } => {
                    rep.fail_count.insert(peer, fail_count);
                    rep.activated_at.remove(&peer);
                    if kind == FailureKind::Connect {
                        rep.not_before.insert(peer, now + backoff_floor(fail_count));
                    } else {
                        rep.not_before.remove(&peer);
                    }
                }
                GovernorEvent::FailCountCleared { peer } => {
                    rep.fail_count.remove(&peer);
                    let since = rep.activated_at.get(&peer).copied();
                    let ok = since.is_some_and(|t| now >= t + CLEAR_FAIL_COUNT_DELAY);
                    self.props.check("19", ok, now, || {
                        format!("node {i}: fail count of {peer} cleared at {now:?}, promoted at {since:?}")
                    });
                }
                GovernorEvent::Demoting { peer, to: PeerState::Cold, .. } => {
                    rep.dropping.insert(peer);
                }
                GovernorEvent::Forgot { peer, reason } => {
                    self.figures.forgotten += 1;
                    let k = rep.fail_count.get(&peer).copied().unwrap_or(0);
                    let is_root = roots.contains(&peer);
                    let ok = match reason {
                        ForgetReason::Failures => !is_root && k > MAX_CONNECTION_RETRIES,
                        _ => !is_root,
                    };
                    self.props.check("12,18", ok, now, || {
                        format!("node {i}: forgot {peer} ({reason:?}) root={is_root} fail_count={k}")
                    });
                    let rep = &mut self.nodes[i].replica;
                    rep.fail_count.remove(&peer);
                    rep.not_before.remove(&peer);
                }
                GovernorEvent::Churn { .. } => self.figures.churn_cycles += 1,
                _ => {}
            },
        }
    }

    fn final_checks(&mut self) {
        let now = self.now;
        if !self.cfg.check {
            return;
        }
        let private: BTreeSet<SocketAddr> =
            self.nodes.iter().filter(|n| n.private).map(|n| n.listen).collect();
        for i in 0..self.nodes.len() {
            if self.nodes[i].role != Role::Honest || !self.nodes[i].up {
                continue;
            }
            self.check_node(i);
            let Some(g) = self.nodes[i].overlay.governance() else { continue };
            let gov = g.governor();
            let invented: Vec<SocketAddr> =
                gov.peers().map(|p| p.addr).filter(|a| !self.by_addr.contains_key(a)).collect();
            self.props.check("24", invented.is_empty(), now, || format!("node {i}: invented {invented:?}"));
            let leaked: Vec<SocketAddr> = gov
                .peers()
                .filter(|p| (private.contains(&p.addr) || !p.advertise) && p.shareable)
                .map(|p| p.addr)
                .collect();
            self.props
                .check("25", leaked.is_empty(), now, || format!("node {i}: shareable private {leaked:?}"));
            // §17.15 after the quiet tail: no ready warm peer left unpromoted below target.
            let c = gov.counters();
            let want = (gov.targets().active as usize).min(c.established);
            self.props.check("13,15", c.active >= want, now, || {
                format!("node {i}: {} hot < min(target, established) {want} at the end ({c:?})", c.active)
            });
        }
        // §17.7 is checked by the caller (run twice, compare `trace_hash`); count it here once.
        self.props.check("7", true, now, String::new);
    }
}

/// Flip one character of the `Session-Signature` value in an HTTP head (bad-signature adversary).
fn corrupt_signature(data: &mut [u8]) {
    let needle = b"Session-Signature: ";
    if let Some(pos) = data.windows(needle.len()).position(|w| w == needle) {
        let at = pos + needle.len() + 10;
        if let Some(b) = data.get_mut(at) {
            *b = if *b == b'A' { b'B' } else { b'A' };
        }
    }
}

/// Run one seed twice and fold the determinism check (§17.7) into the report.
pub fn run_checked(cfg: SimConfig, origin: Instant) -> SimReport {
    let mut first = NetSim::new(cfg.clone(), origin).run();
    if cfg.check {
        let second = NetSim::new(cfg, origin).run();
        let same = first.figures.trace_hash == second.figures.trace_hash;
        if let Some(p) = first.properties.iter_mut().find(|p| p.id == "7") {
            if !same {
                p.violations += 1;
                p.first =
                    Some(format!("trace hash {} vs {}", first.figures.trace_hash, second.figures.trace_hash));
                first.violations += 1;
            }
        }
    }
    first
}
