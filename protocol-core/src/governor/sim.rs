//! Deterministic mock environment for the governor (governor.md §14, after upstream's
//! `GovernorMockEnvironment`): a virtual clock, a small generated network of scripted peers
//! (reachable or not, connect latency, flapping connections, failing activations, adversarial
//! peers that misbehave after activation, private peers, gossip and share replies), scripted
//! target and local-root changes, and a checker for the single-node properties of §17 that runs
//! on every step of the trace. Owns no governor logic; must not read a clock (the caller gives
//! the origin `Instant`) or the environment.
//!
//! Everything in a run derives from one `u64` seed, so a failure reproduces exactly from its
//! number. The test `protocol-core/tests/governor_props.rs` runs seeds `0..200` by default;
//! `GOVERNOR_SEED=1234 cargo test -p protocol-core --test governor_props` replays one seed, and
//! `GOVERNOR_SEEDS=10000 cargo test --release -p protocol-core --test governor_props` is the
//! long run (seeds `0..10000`).
//!
//! Properties checked (numbers refer to governor.md §17): 1, 2, 4, 9, 11/12 (forgetting only
//! above target or by the failure rule, roots never by failures), 3 (insane targets ignored),
//! 5 (no livelock), 7 (same seed → same trace hash, checked by the test), 13–16 (no promotion or
//! demotion opportunity left once the governor is quiescent: a 0 s bound, stricter than §17),
//! 17–19 (back-off lower bounds and fail-count bookkeeping against an independent replica), 21
//! (the governor's warm/hot view equals the environment's), 23 (churn never raises targets
//! above configuration; demotions happen only above target), 24 (no invented addresses),
//! 25 (private / non-advertised addresses never shareable); plus: a misbehaving peer is cold at
//! once, its connection is closed and it is not dialled again within the quarantine; and, after
//! a quiet final hour, established/active targets and local-root valencies are reached as far
//! as the well-behaved known peers allow.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{
    Counters, DemotionReason, FailureKind, ForgetReason, Governor, GovernorAction, GovernorConfig,
    GovernorEvent, GovernorInput, Job, LearnedPeer, LocalRootGroup, LocalRootPeer, LookupFailed, PeerSource,
    PeerState, PeerView, PublicRoot, Targets, Timing, BACKOFF_BASE, BACKOFF_FUZZ_SECS, BACKOFF_MAX_EXPONENT,
    CLEAR_FAIL_COUNT_DELAY, MAX_CONNECTION_RETRIES, MAX_IN_PROGRESS_PEER_SHARE_REQS, PEER_SHARE_RETRY_TIME,
};

/// Virtual length of one run.
pub const SIM_DURATION: Duration = Duration::from_secs(3 * 3600);
/// From here on no connection flaps and no script changes: the final hour is for convergence.
pub const SIM_QUIET_AFTER: Duration = Duration::from_secs(2 * 3600);
/// §17.5: fewer than this many governor outputs at one virtual instant.
pub const SIM_LIVELOCK_OUTPUTS: usize = 1000;
/// Re-promote delay the mock attaches to every asynchronous demotion (as upstream, §14.2).
pub const SIM_REPROMOTE_DELAY: Duration = Duration::from_secs(10);
/// Activation takes this long in the mock (§14.2).
pub const SIM_ACTIVATE_LATENCY: Duration = Duration::from_secs(1);
/// Period of the unsolicited TMEndpoints push (rippled: 151 s).
pub const SIM_GOSSIP_PERIOD: Duration = Duration::from_secs(151);
const SIM_QUARANTINE: Duration = Duration::from_secs(600);

/// What one run produced (for coverage statistics and determinism checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimOutcome {
    pub seed: u64,
    pub peers: usize,
    pub trace_hash: u64,
    pub steps: usize,
    pub actions: HashMap<&'static str, usize>,
    pub events: HashMap<&'static str, usize>,
    pub final_counters: Counters,
    pub final_targets: Targets,
}

/// A property violation, with the seed that reproduces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimFailure {
    pub seed: u64,
    pub at: Duration,
    pub message: String,
}

impl fmt::Display for SimFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "governor property failed for seed {} at t={:.3}s: {} (reproduce: GOVERNOR_SEED={})",
            self.seed,
            self.at.as_secs_f64(),
            self.message,
            self.seed
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conn {
    Cold,
    Connecting,
    Warm,
    Hot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flap {
    Lost,
    ToWarm,
    Noop,
}

#[derive(Debug, Clone)]
struct EnvPeer {
    addr: SocketAddr,
    reachable: bool,
    latency: Duration,
    private: bool,
    adversarial: bool,
    activate_fails: bool,
    flaps: VecDeque<(Duration, Flap)>,
    neighbours: Vec<usize>,
    share_latency: Option<Duration>,
    conn: Conn,
    epoch: u64,
}

impl EnvPeer {
    fn good(&self) -> bool {
        self.reachable && !self.adversarial && !self.activate_fails
    }
}

#[derive(Debug, Clone)]
enum Ev {
    ConnectDone { i: usize, epoch: u64 },
    ActivateDone { i: usize, epoch: u64 },
    Flap { i: usize, epoch: u64, kind: Flap },
    Misbehave { i: usize, epoch: u64 },
    Gossip { i: usize, epoch: u64 },
    ShareReply { i: usize, peers: Vec<LearnedPeer> },
    PublicRoots { result: Result<Vec<SocketAddr>, LookupFailed>, ttl: Duration },
    Targets(Targets),
    LocalRoots(Vec<LocalRootGroup>),
}

#[derive(Debug, Clone, Default)]
struct Track {
    fail_count: u32,
    /// Pending fail-count reset: armed by a warm→hot promotion, cancelled by a failure (§1.2).
    reset_at: Option<Instant>,
    earliest_connect: Option<(Instant, &'static str)>,
    last_share_request: Option<Instant>,
    reestablished_since_share: bool,
}

impl Track {
    fn settle(&mut self, now: Instant) {
        if self.reset_at.is_some_and(|r| r <= now) {
            self.fail_count = 0;
            self.reset_at = None;
        }
    }
}

struct Sim {
    seed: u64,
    origin: Instant,
    now: Instant,
    gov: Governor,
    rng: ChaCha8Rng,
    peers: Vec<EnvPeer>,
    by_addr: HashMap<SocketAddr, usize>,
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    evs: HashMap<u64, Ev>,
    seq: u64,
    pending: VecDeque<GovernorInput>,
    track: HashMap<SocketAddr, Track>,
    revealed: HashSet<SocketAddr>,
    public_root_list: Vec<SocketAddr>,
    hasher: DefaultHasher,
    instant_outputs: (Instant, usize),
    steps: usize,
    actions: HashMap<&'static str, usize>,
    events: HashMap<&'static str, usize>,
    peer_sharing: bool,
}

fn addr_of(i: usize) -> SocketAddr {
    SocketAddr::new(Ipv4Addr::new(10, (i % 6) as u8, (i / 6) as u8, 1).into(), 51235)
}

fn gen_targets(rng: &mut ChaCha8Rng) -> Targets {
    let known = rng.random_range(5..=30);
    let established = rng.random_range(2..=known.min(8));
    let active = rng.random_range(1..=established.min(5));
    let root = rng.random_range(1..=known.min(5));
    Targets { root, known, established, active }
}

fn gen_groups(rng: &mut ChaCha8Rng, n: usize) -> Vec<LocalRootGroup> {
    let groups = rng.random_range(0..=2);
    (0..groups)
        .map(|_| {
            let size = rng.random_range(1..=3usize);
            let members = (0..size)
                .map(|_| LocalRootPeer {
                    addr: addr_of(rng.random_range(0..n)),
                    advertise: rng.random_bool(0.3),
                    trustable: false,
                    behind_firewall: false,
                })
                .collect();
            let warm = rng.random_range(1..=size as u32);
            let hot = rng.random_range(1..=warm);
            LocalRootGroup { hot_valency: hot, warm_valency: warm, members }
        })
        .collect()
}

fn kind_name(a: &GovernorAction) -> &'static str {
    match a {
        GovernorAction::Connect(_) => "Connect",
        GovernorAction::Activate(_) => "Activate",
        GovernorAction::Deactivate(_) => "Deactivate",
        GovernorAction::Close(_) => "Close",
        GovernorAction::RequestPeerShare { .. } => "RequestPeerShare",
        GovernorAction::RequestPublicRoots { .. } => "RequestPublicRoots",
    }
}

fn event_name(e: &GovernorEvent) -> &'static str {
    match e {
        GovernorEvent::TargetsChanged { .. } => "TargetsChanged",
        GovernorEvent::TargetsRejected { .. } => "TargetsRejected",
        GovernorEvent::LocalRootsChanged { .. } => "LocalRootsChanged",
        GovernorEvent::PublicRootsAdded { .. } => "PublicRootsAdded",
        GovernorEvent::PublicRootsFailed { .. } => "PublicRootsFailed",
        GovernorEvent::Learned { .. } => "Learned",
        GovernorEvent::Forgot { reason: ForgetReason::AboveTarget, .. } => "ForgotAboveTarget",
        GovernorEvent::Forgot { reason: ForgetReason::Failures, .. } => "ForgotFailures",
        GovernorEvent::Forgot { reason: ForgetReason::Misbehaviour, .. } => "ForgotMisbehaviour",
        GovernorEvent::FailureCounted { .. } => "FailureCounted",
        GovernorEvent::FailCountCleared { .. } => "FailCountCleared",
        GovernorEvent::AsyncDemotion { .. } => "AsyncDemotion",
        GovernorEvent::Demoting { reason: DemotionReason::Misbehaviour, .. } => "DemotingMisbehaviour",
        GovernorEvent::Demoting { .. } => "Demoting",
        GovernorEvent::Aborted { .. } => "Aborted",
        GovernorEvent::Churn { .. } => "Churn",
    }
}

/// Run one seed. `origin` is the virtual clock's zero (any `Instant`; only differences matter).
pub fn run_seed(seed: u64, origin: Instant) -> Result<SimOutcome, SimFailure> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x005e_ed0f_e4b1_u64.rotate_left(17));
    let n = rng.random_range(8..=40usize);
    let mut peers = Vec::with_capacity(n);
    for i in 0..n {
        let latency = match rng.random_range(0..10) {
            0..=5 => Duration::from_secs(1),
            6..=8 => Duration::from_secs(5),
            _ => Duration::from_secs(20),
        };
        let flaps = (0..rng.random_range(0..=3))
            .map(|_| {
                let kind = match rng.random_range(0..10) {
                    0..=1 => Flap::Lost,
                    2..=3 => Flap::ToWarm,
                    _ => Flap::Noop,
                };
                let delay = [1, 60, 600][rng.random_range(0..3)];
                (Duration::from_secs(delay), kind)
            })
            .collect();
        let degree = rng.random_range(1..=6.min(n - 1));
        let mut neighbours = Vec::new();
        while neighbours.len() < degree {
            let j = rng.random_range(0..n);
            if j != i && !neighbours.contains(&j) {
                neighbours.push(j);
            }
        }
        let share_latency = match rng.random_range(0..10) {
            0..=4 => Some(Duration::from_secs(1)),
            5..=7 => Some(Duration::from_secs(5)),
            8 => Some(Duration::from_secs(25)),
            _ => None,
        };
        peers.push(EnvPeer {
            addr: addr_of(i),
            reachable: rng.random_bool(0.8),
            latency,
            private: rng.random_bool(0.15),
            adversarial: rng.random_bool(0.07),
            activate_fails: rng.random_bool(0.05),
            flaps,
            neighbours,
            share_latency,
            conn: Conn::Cold,
            epoch: 0,
        });
    }
    let targets = gen_targets(&mut rng);
    let local_roots = gen_groups(&mut rng, n);
    let public_root_list: Vec<SocketAddr> =
        (0..rng.random_range(1..=3)).map(|_| addr_of(rng.random_range(0..n))).collect();
    let public_roots = public_root_list
        .iter()
        .take(public_root_list.len() / 2)
        .map(|a| PublicRoot { addr: *a, advertise: false })
        .collect();
    let peer_sharing = rng.random_bool(0.85);
    let config = GovernorConfig {
        targets,
        peer_sharing,
        local_roots: local_roots.clone(),
        public_roots,
        timing: Timing {
            local_root_backoff_cap: Duration::from_secs(300),
            churn_interval: Some(Duration::from_secs(1200)),
            churn_fuzz: Duration::from_secs(120),
            misbehaviour_quarantine: SIM_QUARANTINE,
        },
    };
    let mut revealed: HashSet<SocketAddr> = public_root_list.iter().copied().collect();
    revealed.extend(local_roots.iter().flat_map(|g| g.members.iter().map(|m| m.addr)));
    let by_addr = peers.iter().enumerate().map(|(i, p)| (p.addr, i)).collect();
    let mut sim = Sim {
        seed,
        origin,
        now: origin,
        gov: Governor::new(config, seed),
        rng,
        peers,
        by_addr,
        heap: BinaryHeap::new(),
        evs: HashMap::new(),
        seq: 0,
        pending: VecDeque::new(),
        track: HashMap::new(),
        revealed,
        public_root_list,
        hasher: DefaultHasher::new(),
        instant_outputs: (origin, 0),
        steps: 0,
        actions: HashMap::new(),
        events: HashMap::new(),
        peer_sharing,
    };
    // Scripted changes before the quiet hour.
    for _ in 0..sim.rng.random_range(0..=2) {
        let at = Duration::from_secs(sim.rng.random_range(1..SIM_QUIET_AFTER.as_secs()));
        let mut t = gen_targets(&mut sim.rng);
        if sim.rng.random_bool(0.25) {
            t.active = t.established + 1;
        }
        sim.schedule(at, Ev::Targets(t));
    }
    if sim.rng.random_bool(0.3) {
        let at = Duration::from_secs(sim.rng.random_range(1..SIM_QUIET_AFTER.as_secs()));
        let groups = gen_groups(&mut sim.rng, n);
        for g in &groups {
            sim.revealed.extend(g.members.iter().map(|m| m.addr));
        }
        sim.schedule(at, Ev::LocalRoots(groups));
    }
    sim.run()
}

impl Sim {
    fn fail(&self, message: impl Into<String>) -> SimFailure {
        SimFailure { seed: self.seed, at: self.now - self.origin, message: message.into() }
    }

    fn schedule(&mut self, after: Duration, ev: Ev) {
        let at = self.now + after;
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq)));
        self.evs.insert(self.seq, ev);
    }

    fn rel(&self) -> u128 {
        (self.now - self.origin).as_nanos()
    }

    fn run(mut self) -> Result<SimOutcome, SimFailure> {
        let end = self.origin + SIM_DURATION;
        self.gov.handle_timeout(self.now);
        self.after_gov()?;
        let mut same_instant_steps = 0usize;
        loop {
            let t_env = self.heap.peek().map(|r| r.0 .0);
            let t_gov = self.gov.poll_timeout();
            let t = match (t_env, t_gov) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => break,
            };
            if t > end {
                break;
            }
            if t > self.now {
                self.now = t;
                same_instant_steps = 0;
            }
            same_instant_steps += 1;
            if same_instant_steps > 10 * SIM_LIVELOCK_OUTPUTS {
                return Err(self.fail("livelock: virtual time does not advance"));
            }
            self.steps += 1;
            if t_gov.is_some_and(|g| g <= self.now) {
                self.gov.handle_timeout(self.now);
            } else if let Some(Reverse((_, seq))) = self.heap.pop() {
                if let Some(ev) = self.evs.remove(&seq) {
                    self.env_event(ev)?;
                }
            }
            self.after_gov()?;
        }
        self.final_checks()?;
        Ok(SimOutcome {
            seed: self.seed,
            peers: self.peers.len(),
            trace_hash: self.hasher.finish(),
            steps: self.steps,
            actions: self.actions,
            events: self.events,
            final_counters: self.gov.counters(),
            final_targets: self.gov.targets(),
        })
    }

    fn quiet(&self) -> bool {
        self.now >= self.origin + SIM_QUIET_AFTER
    }

    // ----- environment -------------------------------------------------------------------------

    fn env_event(&mut self, ev: Ev) -> Result<(), SimFailure> {
        match ev {
            Ev::ConnectDone { i, epoch } => {
                let p = &mut self.peers[i];
                if p.conn != Conn::Connecting || p.epoch != epoch {
                    return Ok(());
                }
                let addr = p.addr;
                if p.reachable {
                    p.conn = Conn::Warm;
                    let sharing = !p.private;
                    let flap = p.flaps.pop_front();
                    let epoch = p.epoch;
                    if let Some((d, kind)) = flap {
                        self.schedule(d, Ev::Flap { i, epoch, kind });
                    }
                    let first = Duration::from_secs(self.rng.random_range(1..=SIM_GOSSIP_PERIOD.as_secs()));
                    self.schedule(first, Ev::Gossip { i, epoch });
                    self.track.entry(addr).or_default().reestablished_since_share = true;
                    self.deliver(GovernorInput::ConnectSucceeded { peer: addr, sharing })?;
                } else {
                    p.conn = Conn::Cold;
                    p.epoch += 1;
                    self.deliver(GovernorInput::ConnectFailed { peer: addr })?;
                }
            }
            Ev::ActivateDone { i, epoch } => {
                let p = &mut self.peers[i];
                if p.conn != Conn::Warm || p.epoch != epoch {
                    return Ok(());
                }
                let addr = p.addr;
                if p.activate_fails {
                    self.deliver(GovernorInput::ActivateFailed { peer: addr })?;
                } else {
                    p.conn = Conn::Hot;
                    if p.adversarial {
                        let d = Duration::from_secs(self.rng.random_range(5..=120));
                        self.schedule(d, Ev::Misbehave { i, epoch });
                    }
                    self.deliver(GovernorInput::Activated { peer: addr })?;
                }
            }
            Ev::Flap { i, epoch, kind } => {
                if self.quiet() || self.peers[i].epoch != epoch {
                    return Ok(());
                }
                let addr = self.peers[i].addr;
                match (kind, self.peers[i].conn) {
                    (Flap::Lost, Conn::Warm | Conn::Hot) => {
                        self.peers[i].conn = Conn::Cold;
                        self.peers[i].epoch += 1;
                        self.deliver(GovernorInput::ConnectionLost {
                            peer: addr,
                            repromote_delay: Some(SIM_REPROMOTE_DELAY),
                        })?;
                    }
                    (Flap::ToWarm, Conn::Hot) => {
                        self.peers[i].conn = Conn::Warm;
                        self.deliver(GovernorInput::DemotedToWarm {
                            peer: addr,
                            repromote_delay: Some(SIM_REPROMOTE_DELAY),
                        })?;
                    }
                    _ => {}
                }
            }
            Ev::Misbehave { i, epoch } => {
                if self.peers[i].epoch == epoch && self.peers[i].conn == Conn::Hot {
                    let addr = self.peers[i].addr;
                    self.deliver(GovernorInput::Misbehaved { peer: addr })?;
                    if self.gov.peer(&addr).is_some_and(|v| v.state != PeerState::Cold) {
                        return Err(self.fail(format!("misbehaving {addr} not demoted to cold at once")));
                    }
                    // That its connection is closed at once is checked by the §17.21 view
                    // comparison after the governor's actions ran.
                }
            }
            Ev::Gossip { i, epoch } => {
                if self.peers[i].epoch != epoch || !matches!(self.peers[i].conn, Conn::Warm | Conn::Hot) {
                    return Ok(());
                }
                let from = self.peers[i].addr;
                let peers = self.sample_neighbours(i, 5);
                self.schedule(SIM_GOSSIP_PERIOD, Ev::Gossip { i, epoch });
                self.deliver(GovernorInput::PeersLearned { from: Some(from), peers })?;
            }
            Ev::ShareReply { i, peers } => {
                let peer = self.peers[i].addr;
                self.deliver(GovernorInput::PeerShareReply { peer, peers })?;
            }
            Ev::PublicRoots { result, ttl } => {
                self.deliver(GovernorInput::PublicRootsResult { result, ttl })?;
            }
            Ev::Targets(t) => {
                let before = self.gov.configured_targets();
                self.deliver(GovernorInput::TargetsChanged(t))?;
                if t.check().is_err() && self.gov.configured_targets() != before {
                    return Err(self.fail(format!("insane targets {t:?} were adopted")));
                }
            }
            Ev::LocalRoots(groups) => self.deliver(GovernorInput::LocalRootsChanged(groups))?,
        }
        Ok(())
    }

    fn sample_neighbours(&mut self, i: usize, max: usize) -> Vec<LearnedPeer> {
        let ns = self.peers[i].neighbours.clone();
        let k = self.rng.random_range(1..=ns.len().min(max));
        let mut out = Vec::with_capacity(k);
        for _ in 0..k {
            let j = ns[self.rng.random_range(0..ns.len())];
            let addr = self.peers[j].addr;
            self.revealed.insert(addr);
            out.push(LearnedPeer { addr, hops: Some(self.rng.random_range(1..=6)) });
        }
        out
    }

    /// Give an input to the governor, with the failure-accounting checks (§17.17–19) around it.
    fn deliver(&mut self, input: GovernorInput) -> Result<(), SimFailure> {
        let failure = match &input {
            GovernorInput::ConnectFailed { peer } => Some((*peer, FailureKind::Connect)),
            GovernorInput::ActivateFailed { peer } => Some((*peer, FailureKind::Activate)),
            GovernorInput::ConnectionLost { peer, .. } => Some((*peer, FailureKind::ConnectionLost)),
            GovernorInput::Misbehaved { peer } => Some((*peer, FailureKind::Misbehaviour)),
            _ => None,
        };
        if let GovernorInput::Activated { peer } = &input {
            let t = self.track.entry(*peer).or_default();
            t.settle(self.now);
            t.reset_at = Some(self.now + CLEAR_FAIL_COUNT_DELAY);
        }
        let before = failure.and_then(|(a, _)| self.gov.peer(&a));
        format!("{input:?}").hash(&mut self.hasher);
        self.gov.handle_input(self.now, input);
        let Some((addr, kind)) = failure else { return Ok(()) };
        let Some(before) = before else { return Ok(()) };
        // A lost connection we asked to close is no failure; the governor and the mock agree on
        // that by construction (the mock closes instantly), so every failure input here counts.
        let now = self.now;
        let t = self.track.entry(addr).or_default();
        t.settle(now);
        t.reset_at = None;
        t.fail_count += 1;
        let k = t.fail_count;
        t.earliest_connect = Some(match kind {
            FailureKind::Connect => {
                let base = BACKOFF_BASE * (1u32 << (k - 1).min(BACKOFF_MAX_EXPONENT));
                (now + base - Duration::from_secs_f64(BACKOFF_FUZZ_SECS), "connect back-off")
            }
            FailureKind::Activate => (now + Duration::from_secs(8), "activation failure delay"),
            FailureKind::ConnectionLost => {
                (now + SIM_REPROMOTE_DELAY + Duration::from_millis(100), "async demotion delay")
            }
            FailureKind::Misbehaviour => (now + SIM_QUARANTINE, "misbehaviour quarantine"),
        });
        let after = self.gov.peer(&addr);
        let forgettable = before.source == PeerSource::Gossip;
        let mut forgot = None;
        while let Some(e) = self.gov.poll_event() {
            if let GovernorEvent::Forgot { peer, reason } = &e {
                if *peer == addr {
                    forgot = Some(*reason);
                }
            }
            self.on_event(e)?;
        }
        match after {
            // Cold and idle now, so possibly forgotten by the known-above-target rule.
            None if forgot == Some(ForgetReason::AboveTarget) => {}
            None if !forgettable => {
                return Err(
                    self.fail(format!("unforgettable {addr} ({:?}) forgotten on failure", before.source))
                )
            }
            None if kind != FailureKind::Misbehaviour && k <= MAX_CONNECTION_RETRIES => {
                return Err(self.fail(format!(
                    "{addr} forgotten at failure {k} ({kind:?}), before the 6th; governor count before: {}",
                    before.fail_count
                )))
            }
            Some(_) if forgettable && (k > MAX_CONNECTION_RETRIES || kind == FailureKind::Misbehaviour) => {
                return Err(self.fail(format!("forgettable {addr} still known after failure {k} ({kind:?})")))
            }
            Some(v) if v.fail_count != k => {
                return Err(self.fail(format!("{addr}: governor fail count {} != replica {k}", v.fail_count)))
            }
            _ => {}
        }
        Ok(())
    }

    // ----- governor outputs ----------------------------------------------------------------------

    fn after_gov(&mut self) -> Result<(), SimFailure> {
        loop {
            while let Some(e) = self.gov.poll_event() {
                self.on_event(e)?;
            }
            if let Some(a) = self.gov.poll_action() {
                self.on_action(a)?;
                continue;
            }
            if let Some(input) = self.pending.pop_front() {
                self.deliver(input)?;
                continue;
            }
            break;
        }
        self.quiescent_checks()
    }

    fn on_event(&mut self, e: GovernorEvent) -> Result<(), SimFailure> {
        *self.events.entry(event_name(&e)).or_default() += 1;
        (self.rel(), format!("{e:?}")).hash(&mut self.hasher);
        let c = self.gov.counters();
        let t = self.gov.targets();
        match e {
            GovernorEvent::Forgot { peer, reason } => {
                if self.gov.local_roots().iter().any(|g| g.members.iter().any(|m| m.addr == peer)) {
                    return Err(self.fail(format!("local root {peer} forgotten")));
                }
                if reason == ForgetReason::AboveTarget && c.known < t.known as usize {
                    return Err(self.fail(format!("{peer} forgotten although known {} < target", c.known)));
                }
                let tr = self.track.entry(peer).or_default();
                let keep = if reason == ForgetReason::Misbehaviour { tr.earliest_connect } else { None };
                *tr = Track { earliest_connect: keep, ..Track::default() };
            }
            GovernorEvent::Demoting { peer, to, reason: DemotionReason::AboveTarget } => {
                let ok = match to {
                    PeerState::Warm => c.active - c.demote_hot >= t.active as usize,
                    _ => c.established - c.demote_warm >= t.established as usize,
                };
                if !ok {
                    return Err(self.fail(format!("{peer} demoted to {to:?} below target: {c:?} {t:?}")));
                }
            }
            GovernorEvent::AsyncDemotion { peer, repromote_after: Some(d), .. }
                if d == SIM_REPROMOTE_DELAY =>
            {
                return Err(self.fail(format!("{peer}: re-promote delay applied without fuzz")));
            }
            _ => {}
        }
        Ok(())
    }

    fn env_index(&self, addr: &SocketAddr) -> Result<usize, SimFailure> {
        self.by_addr
            .get(addr)
            .copied()
            .ok_or_else(|| self.fail(format!("action for invented address {addr}")))
    }

    fn on_action(&mut self, a: GovernorAction) -> Result<(), SimFailure> {
        *self.actions.entry(kind_name(&a)).or_default() += 1;
        (self.rel(), a).hash(&mut self.hasher);
        if self.instant_outputs.0 == self.now {
            self.instant_outputs.1 += 1;
            if self.instant_outputs.1 >= SIM_LIVELOCK_OUTPUTS {
                return Err(self.fail("livelock: 1000 outputs at one instant"));
            }
        } else {
            self.instant_outputs = (self.now, 1);
        }
        match a {
            GovernorAction::Connect(addr) => {
                let i = self.env_index(&addr)?;
                if self.peers[i].conn != Conn::Cold {
                    return Err(self.fail(format!("Connect to {addr} while {:?}", self.peers[i].conn)));
                }
                if let Some((t, why)) = self.track.get(&addr).and_then(|t| t.earliest_connect) {
                    if self.now < t {
                        return Err(self.fail(format!(
                            "Connect to {addr} {:.3}s before the end of its {why}",
                            (t - self.now).as_secs_f64()
                        )));
                    }
                }
                if self.gov.peer(&addr).and_then(|v| v.job) != Some(Job::PromoteCold) {
                    return Err(self.fail(format!("Connect to {addr} without PromoteCold")));
                }
                let p = &mut self.peers[i];
                p.conn = Conn::Connecting;
                p.epoch += 1;
                let (latency, epoch) = (p.latency, p.epoch);
                self.schedule(latency, Ev::ConnectDone { i, epoch });
            }
            GovernorAction::Activate(addr) => {
                let i = self.env_index(&addr)?;
                if self.peers[i].conn != Conn::Warm {
                    return Err(self.fail(format!("Activate {addr} while {:?}", self.peers[i].conn)));
                }
                let epoch = self.peers[i].epoch;
                self.schedule(SIM_ACTIVATE_LATENCY, Ev::ActivateDone { i, epoch });
            }
            GovernorAction::Deactivate(addr) => {
                let i = self.env_index(&addr)?;
                if self.peers[i].conn != Conn::Hot {
                    return Err(self.fail(format!("Deactivate {addr} while {:?}", self.peers[i].conn)));
                }
                self.peers[i].conn = Conn::Warm;
                self.pending.push_back(GovernorInput::Deactivated { peer: addr });
            }
            GovernorAction::Close(addr) => {
                let i = self.env_index(&addr)?;
                if !matches!(self.peers[i].conn, Conn::Warm | Conn::Hot) {
                    return Err(self.fail(format!("Close {addr} while {:?}", self.peers[i].conn)));
                }
                self.peers[i].conn = Conn::Cold;
                self.peers[i].epoch += 1;
                self.pending.push_back(GovernorInput::Closed { peer: addr });
            }
            GovernorAction::RequestPeerShare { peer, amount } => {
                let i = self.env_index(&peer)?;
                if !self.peer_sharing || self.peers[i].private {
                    return Err(self.fail(format!("share request to {peer} without consent")));
                }
                let now = self.now;
                let t = self.track.entry(peer).or_default();
                if let Some(last) = t.last_share_request {
                    if now < last + PEER_SHARE_RETRY_TIME && !t.reestablished_since_share {
                        let since = (now - last).as_secs_f64();
                        return Err(self.fail(format!("{peer} asked to share again after {since:.1}s")));
                    }
                }
                t.last_share_request = Some(now);
                t.reestablished_since_share = false;
                if let Some(lat) = self.peers[i].share_latency {
                    let peers = self.sample_neighbours(i, amount as usize);
                    self.schedule(lat, Ev::ShareReply { i, peers });
                }
            }
            GovernorAction::RequestPublicRoots { count } => {
                if count == 0 {
                    return Err(self.fail("public-root request for 0 peers"));
                }
                let result = if self.rng.random_bool(0.2) {
                    Err(LookupFailed)
                } else {
                    Ok(self.public_root_list.clone())
                };
                let ttl = Duration::from_secs(self.rng.random_range(30..=1200));
                self.schedule(Duration::from_secs(1), Ev::PublicRoots { result, ttl });
            }
        }
        Ok(())
    }

    // ----- checks ------------------------------------------------------------------------------

    fn quiescent_checks(&mut self) -> Result<(), SimFailure> {
        self.gov.check_invariants().map_err(|e| self.fail(format!("invariant: {e}")))?;
        let now = self.now;
        let t = self.gov.targets();
        let base = self.gov.configured_targets();
        if t.active > base.active
            || t.established > base.established
            || t.known > base.known
            || t.root > base.root
        {
            return Err(self.fail(format!("effective targets {t:?} above configured {base:?}")));
        }
        // §17.21: warm/hot views agree before time advances.
        for p in &self.peers {
            let view = self.gov.peer(&p.addr).map(|v| v.state).unwrap_or(PeerState::Cold);
            let env = match p.conn {
                Conn::Cold | Conn::Connecting => PeerState::Cold,
                Conn::Warm => PeerState::Warm,
                Conn::Hot => PeerState::Hot,
            };
            if view != env {
                return Err(self.fail(format!("{}: governor sees {view:?}, environment {env:?}", p.addr)));
            }
        }
        let views: Vec<PeerView> = self.gov.peers().collect();
        let c = self.gov.counters();
        let backoff_over = |v: &PeerView| v.backoff_until.is_none_or(|b| b <= now);
        let ready = |v: &PeerView| {
            v.state == PeerState::Warm && v.job.is_none() && v.next_activate.is_none_or(|r| r <= now)
        };
        let local = |v: &PeerView| matches!(v.source, PeerSource::LocalRoot(_));
        let fail = |what: &str| {
            Err(self.fail(format!("opportunity ignored: {what}; counters {c:?}, targets {t:?}")))
        };
        // §17.13.
        if c.established + c.promote_cold < t.established as usize
            && views.iter().any(|v| {
                v.state == PeerState::Cold
                    && v.job.is_none()
                    && !local(v)
                    && backoff_over(v)
                    && !v.behind_firewall
            })
        {
            return fail("cold peer not promoted while established below target");
        }
        // §17.15.
        if c.active + c.promote_warm < t.active as usize && views.iter().any(|v| ready(v) && !local(v)) {
            return fail("ready warm peer not promoted while active below target");
        }
        if c.active - c.demote_hot > t.active as usize
            && views.iter().any(|v| v.state == PeerState::Hot && v.job.is_none() && !local(v))
        {
            return fail("active above target without demotion");
        }
        // §17.12.
        if c.known > t.known as usize
            && views
                .iter()
                .any(|v| v.state == PeerState::Cold && v.job.is_none() && v.source == PeerSource::Gossip)
        {
            return fail("known above target without forgetting");
        }
        // §17.14.
        let local_warm = views.iter().filter(|v| local(v) && v.state == PeerState::Warm).count() as i64;
        let est = c.established as i64;
        let n = (est - i64::from(t.established)).min(est - local_warm - c.active as i64)
            - c.demote_warm as i64
            - c.promote_warm as i64;
        if n > 0 && views.iter().any(|v| v.state == PeerState::Warm && v.job.is_none() && !local(v)) {
            return fail("established above target without demotion");
        }
        // §17.16.
        for (gi, g) in self.gov.local_roots().iter().enumerate() {
            let members: Vec<&PeerView> =
                views.iter().filter(|v| v.source == PeerSource::LocalRoot(gi as u32)).collect();
            let count = |f: &dyn Fn(&PeerView) -> bool| members.iter().filter(|v| f(v)).count() as u32;
            let est = count(&|v| v.state != PeerState::Cold);
            let pc = count(&|v| v.job == Some(Job::PromoteCold));
            let hot = count(&|v| v.state == PeerState::Hot);
            let pw = count(&|v| v.job == Some(Job::PromoteWarm));
            let dh = count(&|v| v.job == Some(Job::DemoteHot));
            if est + pc < g.warm_valency
                && members.iter().any(|v| v.state == PeerState::Cold && v.job.is_none() && backoff_over(v))
            {
                return fail("local root not dialled below warm valency");
            }
            if hot + pw < g.hot_valency && members.iter().any(|v| ready(v)) {
                return fail("local root not activated below hot valency");
            }
            if hot - dh > g.hot_valency
                && members.iter().any(|v| v.state == PeerState::Hot && v.job.is_none())
            {
                return fail("local group above hot valency");
            }
        }
        // §17.8 (with a 0 s bound).
        if self.peer_sharing
            && c.known < t.known as usize
            && c.share_requests_in_flight < MAX_IN_PROGRESS_PEER_SHARE_REQS
            && views.iter().any(|v| {
                v.state != PeerState::Cold
                    && v.remote_sharing == Some(true)
                    && v.job != Some(Job::DemoteWarm)
                    && v.next_share.is_some_and(|s| s <= now)
            })
        {
            return fail("share request not sent while known below target");
        }
        // Public roots (§4.2).
        let (in_flight, retry) = self.gov.public_root_request_state();
        if c.local_roots + c.public_roots < t.root as usize && !in_flight && retry.is_none_or(|r| r <= now) {
            return fail("public roots below target without request");
        }
        // §17.25.
        for v in &views {
            if v.shareable {
                let private = self.by_addr.get(&v.addr).is_some_and(|i| self.peers[*i].private);
                if private || !v.advertise {
                    return Err(self.fail(format!("{} shareable although private/not advertised", v.addr)));
                }
            }
        }
        Ok(())
    }

    fn final_checks(&self) -> Result<(), SimFailure> {
        let views: Vec<PeerView> = self.gov.peers().collect();
        // §17.24.
        for v in &views {
            if !self.revealed.contains(&v.addr) {
                return Err(self.fail(format!("{} known but never revealed", v.addr)));
            }
        }
        let t = self.gov.targets();
        let good = |v: &PeerView| self.by_addr.get(&v.addr).is_some_and(|i| self.peers[*i].good());
        let local = |v: &PeerView| matches!(v.source, PeerSource::LocalRoot(_));
        let busy_est = |v: &PeerView| v.state != PeerState::Cold || v.job == Some(Job::PromoteCold);
        let local_est = views.iter().filter(|v| local(v) && busy_est(v)).count();
        let other_est = views.iter().filter(|v| !local(v) && busy_est(v)).count();
        let good_other = views.iter().filter(|v| !local(v) && good(v)).count();
        let want = (t.established as usize).saturating_sub(local_est).min(good_other);
        if other_est < want {
            return Err(self.fail(format!(
                "after the quiet hour only {other_est} non-local peers established, want {want} ({t:?})"
            )));
        }
        for (gi, g) in self.gov.local_roots().iter().enumerate() {
            let members: Vec<&PeerView> =
                views.iter().filter(|v| v.source == PeerSource::LocalRoot(gi as u32)).collect();
            let good_members = members.iter().filter(|v| good(v)).count() as u32;
            let est = members.iter().filter(|v| busy_est(v)).count() as u32;
            if est < g.warm_valency.min(good_members) {
                return Err(self.fail(format!("local group {gi}: {est} established < warm valency")));
            }
            let good_est = members.iter().filter(|v| good(v) && v.state != PeerState::Cold).count() as u32;
            let hot = members
                .iter()
                .filter(|v| v.state == PeerState::Hot || v.job == Some(Job::PromoteWarm))
                .count() as u32;
            if hot < g.hot_valency.min(good_est) {
                return Err(self.fail(format!("local group {gi}: {hot} hot < hot valency")));
            }
        }
        Ok(())
    }
}
