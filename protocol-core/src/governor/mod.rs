//! The outbound peer-selection governor (governor.md, after Cardano's P2P governor): it owns the
//! cold/warm/hot peer sets, the targets, local and public roots, back-off and forgetting, churn
//! and the XRPL diversity policy (§16.5). It must not see bytes, messages or sockets: peers are
//! `SocketAddr`s, time comes in as `now`, randomness from the seed given to [`Governor::new`].
//!
//! Shape (quinn-proto / str0m style):
//! [`Governor::handle_input`] / [`Governor::handle_timeout`] apply an input and then run the
//! guarded decisions of §5.2 in priority order until none is enabled; [`Governor::poll_action`]
//! hands out the jobs ([`GovernorAction`]) whose completions come back as inputs and are applied
//! to the state *as it is then* (stale completions are traced as aborted, §5.1);
//! [`Governor::poll_timeout`] is the next instant at which a decision could become enabled by
//! time alone. Call `handle_timeout(now)` once after construction to start.
//!
//! Complexity: every per-step lookup on the known set is O(1) or O(log n) through derived
//! indexes that are updated whenever a peer changes (see `Index`); scans are only over the
//! established set, which the sanity caps bound to [`MAX_TARGET_ESTABLISHED`] plus in-flight work.
//!
//! Testing: [`sim`] is a deterministic mock environment (virtual clock, scripted peers) that
//! checks the §17 properties on every trace. See its module doc for `GOVERNOR_SEED` and
//! `GOVERNOR_SEEDS`.

pub mod churn;
pub mod config;
mod index;
pub mod sim;

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use churn::ChurnPhase;
pub use config::{
    parse_target_keys, parse_topology, AccessPoint, GovernorConfig, GovernorConfigError, LocalRootGroup,
    LocalRootPeer, PublicRoot, TargetSettings, Targets, TargetsError, Timing, Topology, MAX_TARGET_ACTIVE,
    MAX_TARGET_ESTABLISHED, MAX_TARGET_KNOWN,
};
use index::IndexedSet;

// ---------------------------------------------------------------------------------------------
// Constants (governor.md §8.1, §8.5, §16.4, §16.5).

/// Base of the cold→warm back-off `5·2^min(k−1,5)` s (§7.2).
pub const BACKOFF_BASE: Duration = Duration::from_secs(5);
/// Largest exponent of the back-off for ordinary peers: cap 160 s (§7.2).
pub const BACKOFF_MAX_EXPONENT: u32 = 5;
/// ± fuzz on the connect back-off and on the activation-failure delay, seconds (§7.2, §7.3).
pub const BACKOFF_FUZZ_SECS: f64 = 2.0;
/// A forgettable peer is forgotten at the failure after this many (i.e. the 6th) (§10.2).
pub const MAX_CONNECTION_RETRIES: u32 = 5;
/// Re-dial delay after a failed warm→hot promotion (`error_delay`, §7.3).
pub const ACTIVATE_FAILURE_DELAY: Duration = Duration::from_secs(10);
/// Re-promote delay used when an asynchronous demotion reports none (`repromoteErrorDelay`, §8.3).
pub const DEFAULT_REPROMOTE_DELAY: Duration = Duration::from_secs(10);
/// Fuzz U(a, b) s added to an asynchronous →cold delay (§6.3).
pub const ASYNC_COLD_FUZZ_SECS: (f64, f64) = (0.1, 4.0);
/// Fuzz U(a, b) s added to an asynchronous hot→warm delay (§6.3).
pub const ASYNC_WARM_FUZZ_SECS: (f64, f64) = (0.1, 10.0);
/// The fail count resets this long after a warm→hot promotion with no failure since (§1.2).
pub const CLEAR_FAIL_COUNT_DELAY: Duration = Duration::from_secs(120);
/// Concurrent peer-share requests (§6.6b).
pub const MAX_IN_PROGRESS_PEER_SHARE_REQS: usize = 2;
/// Minimum time between two share requests to one peer (§8.1, §16.4: > 151 s push period).
pub const PEER_SHARE_RETRY_TIME: Duration = Duration::from_secs(900);
/// Phase-1 wait of a share batch (§7.1).
pub const PEER_SHARE_BATCH_WAIT: Duration = Duration::from_secs(3);
/// Overall deadline of a share batch (§7.1).
pub const PEER_SHARE_OVERALL_TIMEOUT: Duration = Duration::from_secs(10);
/// A newly established peer is asked to share only after this delay (§6.6).
pub const PEER_SHARE_ACTIVATION_DELAY: Duration = Duration::from_secs(300);
/// Per-peer amount bounds of a share request (§6.6b).
pub const PEER_SHARE_MIN_AMOUNT: u32 = 8;
pub const PEER_SHARE_MAX_AMOUNT: u32 = 255;
/// Public-root back-off `2^min(n, 8)` s (§4.2).
pub const PUBLIC_ROOT_BACKOFF_MAX_EXPONENT: u32 = 8;
/// Public-root TTL clip (§4.1, §4.2).
pub const PUBLIC_ROOT_TTL_MIN: Duration = Duration::from_secs(60);
pub const PUBLIC_ROOT_TTL_MAX: Duration = Duration::from_secs(900);
/// Largest public-root result we take in one go (bounds memory on a hostile resolver).
pub const MAX_PUBLIC_ROOTS_PER_RESULT: usize = 1000;
/// Soft per-prefix limit among established + connecting peers (/16 IPv4, /48 IPv6, §16.5).
pub const MAX_PEERS_PER_PREFIX: u32 = 2;
/// Random tries per pick to find a candidate under the prefix limit before taking any (§16.5).
pub const DIVERSITY_PICK_TRIES: usize = 4;
/// Number of TMEndpoints hop buckets: 1, 2–3, 4+, unknown (§16.5).
pub const HOP_BUCKETS: usize = 4;
/// Forgets per decision; a larger surplus is worked off by the following decisions (§6.7).
pub const MAX_FORGET_PER_DECISION: usize = 256;
/// Decisions per run; reaching it is a livelock and leaves `poll_timeout() == now` (§17.5).
pub const MAX_DECISIONS_PER_RUN: usize = 1000;
/// Addresses considered per gossip input; the rest are dropped (bounds work per input).
pub const MAX_LEARNED_PER_INPUT: usize = 1000;
/// Addresses remembered in misbehaviour quarantine; the oldest entry is dropped beyond this.
pub const MAX_QUARANTINE: usize = 4096;
/// Undrained trace events kept; older ones are dropped (a caller that ignores events must not
/// grow memory).
pub const MAX_PENDING_EVENTS: usize = 4096;
/// Undrained actions before the governor stops deciding (each action is a job the frontend must
/// run; a frontend that does not poll must not grow memory).
pub const MAX_PENDING_ACTIONS: usize = 4096;

// ---------------------------------------------------------------------------------------------
// Public types.

/// An address learned from gossip (TMEndpoints, a share reply, a 503 redirect) with its hop
/// distance as seen from us (1 = the sender's own address or its neighbour; 0 or unknown is
/// allowed). Only the bucket matters (§16.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LearnedPeer {
    pub addr: SocketAddr,
    pub hops: Option<u8>,
}

/// The public-root provider could not answer (DNS error etc.).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LookupFailed;

/// Everything the governor observes (governor.md §13.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GovernorInput {
    /// Unsolicited gossip (TMEndpoints, redirects). Merged while known is below target.
    PeersLearned {
        from: Option<SocketAddr>,
        peers: Vec<LearnedPeer>,
    },
    /// Reply to [`GovernorAction::RequestPeerShare`]; an error is an empty list (§7.1).
    PeerShareReply {
        peer: SocketAddr,
        peers: Vec<LearnedPeer>,
    },
    /// Completion of `Connect`: the handshake is done. `sharing = false` when the peer asked
    /// for privacy: we then never share its address (§16.2).
    ConnectSucceeded {
        peer: SocketAddr,
        sharing: bool,
    },
    ConnectFailed {
        peer: SocketAddr,
    },
    Activated {
        peer: SocketAddr,
    },
    ActivateFailed {
        peer: SocketAddr,
    },
    Deactivated {
        peer: SocketAddr,
    },
    /// Completion of `Close` (the connection is gone).
    Closed {
        peer: SocketAddr,
    },
    /// Asynchronous demotion to cold: socket error, ping timeout, remote close (§6.3).
    ConnectionLost {
        peer: SocketAddr,
        repromote_delay: Option<Duration>,
    },
    /// Asynchronous hot→warm demotion (§6.3).
    DemotedToWarm {
        peer: SocketAddr,
        repromote_delay: Option<Duration>,
    },
    /// Protocol abuse detected by the session/overlay: immediate demotion to cold, a failure,
    /// and quarantine (§16.3).
    Misbehaved {
        peer: SocketAddr,
    },
    TargetsChanged(Targets),
    LocalRootsChanged(Vec<LocalRootGroup>),
    /// Completion of [`GovernorAction::RequestPublicRoots`].
    PublicRootsResult {
        result: Result<Vec<SocketAddr>, LookupFailed>,
        ttl: Duration,
    },
    /// Policy inputs: ping RTT and a relay score (first deliveries of validations).
    PeerMetrics {
        peer: SocketAddr,
        rtt: Option<Duration>,
        relay_score: Option<u64>,
    },
}

/// The jobs the governor asks for (governor.md §13.2). Each must be completed by an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GovernorAction {
    /// Dial and handshake (cold→warm). Completion: `ConnectSucceeded` / `ConnectFailed`.
    Connect(SocketAddr),
    /// Start relaying to this warm peer (warm→hot). Completion: `Activated` / `ActivateFailed`.
    Activate(SocketAddr),
    /// Stop relaying, keep pinging (hot→warm). Completion: `Deactivated` (or `ConnectionLost`).
    Deactivate(SocketAddr),
    /// Close the connection (warm→cold, or at once on misbehaviour). Completion: `Closed`.
    Close(SocketAddr),
    /// Ask a peer for up to `amount` addresses. Completion: `PeerShareReply`.
    RequestPeerShare { peer: SocketAddr, amount: u8 },
    /// Resolve up to `count` public roots. Completion: `PublicRootsResult`.
    RequestPublicRoots { count: u32 },
}

/// The connection state of a peer as the governor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerState {
    Cold,
    Warm,
    Hot,
}

/// In-progress job of a peer (at most one; this makes the disjointness invariants of §1.4
/// structural).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    PromoteCold,
    PromoteWarm,
    DemoteWarm,
    DemoteHot,
}

/// Where the governor got a peer from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerSource {
    /// Member of local-root group `n` (index into [`Governor::local_roots`]).
    LocalRoot(u32),
    PublicRoot,
    Gossip,
}

/// Why a peer was forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForgetReason {
    AboveTarget,
    Failures,
    Misbehaviour,
}

/// Why the governor chose to demote a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemotionReason {
    AboveTarget,
    LocalGroupAboveValency,
    LocalRootRemoved,
    Misbehaviour,
    ActivateFailed,
    UnexpectedConnection,
}

/// What kind of failure was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    Connect,
    Activate,
    ConnectionLost,
    Misbehaviour,
}

/// Trace events, for logs, metrics and trace-checking tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GovernorEvent {
    TargetsChanged {
        old: Targets,
        new: Targets,
    },
    TargetsRejected {
        targets: Targets,
        error: TargetsError,
    },
    LocalRootsChanged {
        groups: usize,
        peers: usize,
    },
    PublicRootsAdded {
        count: usize,
    },
    PublicRootsFailed {
        retry_in: Duration,
    },
    Learned {
        from: Option<SocketAddr>,
        count: usize,
    },
    Forgot {
        peer: SocketAddr,
        reason: ForgetReason,
    },
    /// `retry_after` is the applied back-off; `None` when the peer was forgotten.
    FailureCounted {
        peer: SocketAddr,
        kind: FailureKind,
        fail_count: u32,
        retry_after: Option<Duration>,
    },
    FailCountCleared {
        peer: SocketAddr,
    },
    AsyncDemotion {
        peer: SocketAddr,
        to: PeerState,
        repromote_after: Option<Duration>,
    },
    Demoting {
        peer: SocketAddr,
        to: PeerState,
        reason: DemotionReason,
    },
    /// A completion that no longer matched the state (§5.1): no set changed.
    Aborted {
        peer: SocketAddr,
        completion: &'static str,
    },
    Churn {
        phase: ChurnPhase,
        targets: Targets,
    },
}

/// Set sizes, cheap to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub known: usize,
    pub established: usize,
    pub active: usize,
    pub promote_cold: usize,
    pub promote_warm: usize,
    pub demote_warm: usize,
    pub demote_hot: usize,
    pub local_roots: usize,
    pub public_roots: usize,
    pub share_requests_in_flight: usize,
    pub available_cold: usize,
    pub shareable: usize,
}

/// A read-only view of one peer (for tests, metrics and the admin API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerView {
    pub addr: SocketAddr,
    pub state: PeerState,
    pub job: Option<Job>,
    pub source: PeerSource,
    pub fail_count: u32,
    pub backoff_until: Option<Instant>,
    /// Established but not eligible for warm→hot before this instant (re-promote delay, §6.3).
    pub next_activate: Option<Instant>,
    pub advertise: bool,
    pub shareable: bool,
    pub remote_sharing: Option<bool>,
    pub next_share: Option<Instant>,
    pub hops: Option<u8>,
    pub behind_firewall: bool,
}

// ---------------------------------------------------------------------------------------------
// Internal state.

#[derive(Debug, Clone)]
struct Conn {
    hot: bool,
    hot_since: Option<Instant>,
    next_activate: Option<Instant>,
    next_share: Option<Instant>,
    rtt: Option<Duration>,
    relay_score: u64,
}

#[derive(Debug, Clone)]
struct Peer {
    source: PeerSource,
    advertise: bool,
    behind_firewall: bool,
    hops: Option<u8>,
    fail_count: u32,
    backoff_until: Option<Instant>,
    fail_reset_at: Option<Instant>,
    ever_connected: bool,
    tepid: bool,
    remote_sharing: Option<bool>,
    conn: Option<Conn>,
    job: Option<Job>,
}

impl Peer {
    fn new(source: PeerSource, advertise: bool, hops: Option<u8>) -> Self {
        Self {
            source,
            advertise,
            behind_firewall: false,
            hops,
            fail_count: 0,
            backoff_until: None,
            fail_reset_at: None,
            ever_connected: false,
            tepid: false,
            remote_sharing: None,
            conn: None,
            job: None,
        }
    }

    fn state(&self) -> PeerState {
        match &self.conn {
            None => PeerState::Cold,
            Some(c) if c.hot => PeerState::Hot,
            Some(_) => PeerState::Warm,
        }
    }

    fn is_local(&self) -> bool {
        matches!(self.source, PeerSource::LocalRoot(_))
    }

    fn shareable(&self) -> bool {
        // A peer that asked for privacy stays unshared even if later configured otherwise.
        self.advertise && self.ever_connected && self.fail_count == 0 && self.remote_sharing != Some(false)
    }
}

fn hop_bucket(hops: Option<u8>) -> usize {
    match hops {
        Some(0..=1) => 0,
        Some(2..=3) => 1,
        Some(_) => 2,
        None => 3,
    }
}

/// /16 for IPv4, /48 for IPv6 (§16.5).
fn prefix(addr: &SocketAddr) -> (u8, u64) {
    match addr.ip() {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            (4, u64::from(o[0]) << 8 | u64::from(o[1]))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            (6, u64::from(s[0]) << 32 | u64::from(s[1]) << 16 | u64::from(s[2]))
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct GroupCounts {
    established: u32,
    active: u32,
    promote_cold: u32,
    promote_warm: u32,
    demote_hot: u32,
}

/// Indexes derived from the peer table. `apply(addr, peer, add)` is called with `add = false`
/// before and `add = true` after every change of a peer, so membership is a pure function of
/// the peer's fields and can be recomputed from scratch by `check_invariants`.
#[derive(Debug, Default, Clone)]
struct Index {
    established: IndexedSet,
    available_cold: [IndexedSet; HOP_BUCKETS],
    forget_failed: IndexedSet,
    forget_clean: IndexedSet,
    forget_public: IndexedSet,
    shareable: IndexedSet,
    backoff_local: BTreeSet<(Instant, SocketAddr)>,
    backoff_other: BTreeSet<(Instant, SocketAddr)>,
    fail_resets: BTreeSet<(Instant, SocketAddr)>,
    prefix_load: HashMap<(u8, u64), u32>,
    bucket_load: [u32; HOP_BUCKETS],
    active: usize,
    promote_cold: usize,
    promote_warm: usize,
    demote_warm: usize,
    demote_hot: usize,
    local: usize,
    public: usize,
    groups: Vec<GroupCounts>,
}

fn bump(n: &mut usize, add: bool) {
    if add {
        *n += 1;
    } else {
        *n = n.saturating_sub(1);
    }
}

fn bump32(n: &mut u32, add: bool) {
    if add {
        *n += 1;
    } else {
        *n = n.saturating_sub(1);
    }
}

fn set_op(set: &mut IndexedSet, addr: SocketAddr, add: bool) {
    if add {
        set.insert(addr);
    } else {
        set.remove(&addr);
    }
}

fn tree_op(set: &mut BTreeSet<(Instant, SocketAddr)>, key: (Instant, SocketAddr), add: bool) {
    if add {
        set.insert(key);
    } else {
        set.remove(&key);
    }
}

impl Index {
    fn apply(&mut self, addr: SocketAddr, p: &Peer, add: bool) {
        let cold = p.conn.is_none();
        let idle = p.job.is_none();
        if !cold {
            set_op(&mut self.established, addr, add);
        }
        if p.state() == PeerState::Hot {
            bump(&mut self.active, add);
        }
        match p.job {
            Some(Job::PromoteCold) => bump(&mut self.promote_cold, add),
            Some(Job::PromoteWarm) => bump(&mut self.promote_warm, add),
            Some(Job::DemoteWarm) => bump(&mut self.demote_warm, add),
            Some(Job::DemoteHot) => bump(&mut self.demote_hot, add),
            None => {}
        }
        if !cold || p.job == Some(Job::PromoteCold) {
            let e = self.prefix_load.entry(prefix(&addr)).or_insert(0);
            bump32(e, add);
            if *e == 0 {
                self.prefix_load.remove(&prefix(&addr));
            }
            bump32(&mut self.bucket_load[hop_bucket(p.hops)], add);
        }
        match p.source {
            PeerSource::LocalRoot(g) => {
                bump(&mut self.local, add);
                if let Some(c) = self.groups.get_mut(g as usize) {
                    if !cold {
                        bump32(&mut c.established, add);
                    }
                    if p.state() == PeerState::Hot {
                        bump32(&mut c.active, add);
                    }
                    match p.job {
                        Some(Job::PromoteCold) => bump32(&mut c.promote_cold, add),
                        Some(Job::PromoteWarm) => bump32(&mut c.promote_warm, add),
                        Some(Job::DemoteHot) => bump32(&mut c.demote_hot, add),
                        _ => {}
                    }
                }
                if let Some(t) = p.backoff_until {
                    tree_op(&mut self.backoff_local, (t, addr), add);
                }
            }
            PeerSource::PublicRoot | PeerSource::Gossip => {
                if p.source == PeerSource::PublicRoot {
                    bump(&mut self.public, add);
                }
                if let Some(t) = p.backoff_until {
                    tree_op(&mut self.backoff_other, (t, addr), add);
                }
                if cold && idle && p.backoff_until.is_none() && !p.behind_firewall {
                    set_op(&mut self.available_cold[hop_bucket(p.hops)], addr, add);
                }
                if cold && idle {
                    let set = match (p.source, p.fail_count > 0) {
                        (PeerSource::PublicRoot, _) => &mut self.forget_public,
                        (_, true) => &mut self.forget_failed,
                        (_, false) => &mut self.forget_clean,
                    };
                    set_op(set, addr, add);
                }
            }
        }
        if p.shareable() {
            set_op(&mut self.shareable, addr, add);
        }
        if let Some(t) = p.fail_reset_at {
            tree_op(&mut self.fail_resets, (t, addr), add);
        }
    }

    fn available_cold_len(&self) -> usize {
        self.available_cold.iter().map(IndexedSet::len).sum()
    }
}

#[derive(Debug, Clone)]
struct ShareBatch {
    phase1: Instant,
    overall: Instant,
    phase1_merged: bool,
    pending: Vec<(SocketAddr, u32)>,
    answers: Vec<LearnedPeer>,
}

/// The governor. See the module documentation.
#[derive(Debug, Clone)]
pub struct Governor {
    config: GovernorConfig,
    rng: ChaCha8Rng,
    now: Option<Instant>,
    base_targets: Targets,
    targets: Targets,
    churn: churn::Churn,
    requested_local_roots: Vec<LocalRootGroup>,
    local_roots: Vec<LocalRootGroup>,
    local_roots_dirty: bool,
    peers: HashMap<SocketAddr, Peer>,
    idx: Index,
    public_root_in_flight: bool,
    public_root_backoffs: i32,
    public_root_retry: Option<Instant>,
    share_batches: Vec<ShareBatch>,
    share_in_flight: usize,
    quarantine: HashMap<SocketAddr, Instant>,
    quarantine_order: VecDeque<(Instant, SocketAddr)>,
    actions: VecDeque<GovernorAction>,
    events: VecDeque<GovernorEvent>,
    events_dropped: u64,
    overloaded: bool,
}

fn uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    rng.random_range(lo..=hi)
}

fn secs(d: f64) -> Duration {
    Duration::from_secs_f64(d.max(0.0))
}

impl Governor {
    /// A governor with `config` whose every random choice comes from `seed`. Targets start at
    /// zero and are adopted by the first decision, before local roots (§5.2 note). Validate the
    /// config with [`GovernorConfig::validate`] at startup; insane targets given here are
    /// ignored like any insane targets input.
    pub fn new(config: GovernorConfig, seed: u64) -> Self {
        let churn = churn::Churn::new(config.timing.churn_interval, config.timing.churn_fuzz);
        let mut g = Self {
            base_targets: Targets::ZERO,
            targets: Targets::ZERO,
            churn,
            requested_local_roots: config.local_roots.clone(),
            local_roots: Vec::new(),
            local_roots_dirty: true,
            peers: HashMap::new(),
            idx: Index::default(),
            public_root_in_flight: false,
            public_root_backoffs: 0,
            public_root_retry: None,
            share_batches: Vec::new(),
            share_in_flight: 0,
            quarantine: HashMap::new(),
            quarantine_order: VecDeque::new(),
            actions: VecDeque::new(),
            events: VecDeque::new(),
            events_dropped: 0,
            overloaded: false,
            rng: ChaCha8Rng::seed_from_u64(seed),
            now: None,
            config,
        };
        g.set_base_targets(g.config.targets);
        for pr in g.config.public_roots.clone() {
            if !g.peers.contains_key(&pr.addr) {
                g.insert_peer(pr.addr, Peer::new(PeerSource::PublicRoot, pr.advertise, None));
            }
        }
        g
    }

    // ----- public API --------------------------------------------------------------------

    /// Apply one input at `now`, then run the decisions.
    pub fn handle_input(&mut self, now: Instant, input: GovernorInput) {
        let now = self.clock(now);
        self.advance_time(now);
        self.apply_input(now, input);
        self.run(now);
    }

    /// Let time pass to `now` and run the decisions.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clock(now);
        self.advance_time(now);
        self.run(now);
    }

    /// The next job to run.
    pub fn poll_action(&mut self) -> Option<GovernorAction> {
        self.actions.pop_front()
    }

    /// The next trace event.
    pub fn poll_event(&mut self) -> Option<GovernorEvent> {
        self.events.pop_front()
    }

    /// The next instant at which time alone could enable a decision.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let now = self.now?;
        if self.overloaded {
            return Some(now);
        }
        let mut best: Option<Instant> = None;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                best = Some(best.map_or(t, |b| b.min(t)));
            }
        };
        consider(self.idx.fail_resets.first().map(|x| x.0));
        consider(self.churn.deadline());
        for b in &self.share_batches {
            consider(Some(if b.phase1_merged { b.overall } else { b.phase1 }));
        }
        if self.root_deficit() > 0 && !self.public_root_in_flight {
            consider(self.public_root_retry);
        }
        if self.other_established_want() > 0 {
            consider(self.idx.backoff_other.first().map(|x| x.0));
        }
        let (local_warm_deficit, local_hot_deficit) = self.local_deficits();
        if local_warm_deficit {
            consider(self.idx.backoff_local.first().map(|x| x.0));
        }
        let active_deficit = self.other_active_want() > 0 || local_hot_deficit;
        let share_wanted = self.config.peer_sharing
            && self.known_deficit() > 0
            && self.share_in_flight < MAX_IN_PROGRESS_PEER_SHARE_REQS;
        if active_deficit || share_wanted {
            for a in self.idx.established.iter() {
                let Some(c) = self.peers.get(a).and_then(|p| p.conn.as_ref()) else { continue };
                if active_deficit && !c.hot {
                    consider(c.next_activate.filter(|t| *t > now));
                }
                if share_wanted {
                    consider(c.next_share.filter(|t| *t > now));
                }
            }
        }
        best.map(|t| t.max(now))
    }

    /// The effective targets (configured, lowered by churn while a cycle runs).
    pub fn targets(&self) -> Targets {
        self.targets
    }

    /// The configured targets (last sane `TargetsChanged` or the config).
    pub fn configured_targets(&self) -> Targets {
        self.base_targets
    }

    /// The normalised local-root groups in force (§4.1).
    pub fn local_roots(&self) -> &[LocalRootGroup] {
        &self.local_roots
    }

    pub fn counters(&self) -> Counters {
        Counters {
            known: self.peers.len(),
            established: self.idx.established.len(),
            active: self.idx.active,
            promote_cold: self.idx.promote_cold,
            promote_warm: self.idx.promote_warm,
            demote_warm: self.idx.demote_warm,
            demote_hot: self.idx.demote_hot,
            local_roots: self.idx.local,
            public_roots: self.idx.public,
            share_requests_in_flight: self.share_in_flight,
            available_cold: self.idx.available_cold_len(),
            shareable: self.idx.shareable.len(),
        }
    }

    /// Whether a public-root request is in flight and when the next one is allowed.
    pub fn public_root_request_state(&self) -> (bool, Option<Instant>) {
        (self.public_root_in_flight, self.public_root_retry)
    }

    /// Current churn phase.
    pub fn churn_phase(&self) -> ChurnPhase {
        self.churn.phase
    }

    /// Events dropped because nobody drained them.
    pub fn events_dropped(&self) -> u64 {
        self.events_dropped
    }

    pub fn peer(&self, addr: &SocketAddr) -> Option<PeerView> {
        self.peers.get(addr).map(|p| self.view(*addr, p))
    }

    /// All known peers, in no particular order (hash order: do not let it drive decisions).
    pub fn peers(&self) -> impl Iterator<Item = PeerView> + '_ {
        self.peers.iter().map(|(a, p)| self.view(*a, p))
    }

    /// Up to `max` addresses we may pass on (TMEndpoints, `/crawl`, share replies):
    /// advertise ∧ ever connected ∧ no current failure (§9). Random subset.
    pub fn shareable_peers(&mut self, max: usize) -> Vec<SocketAddr> {
        let set = &self.idx.shareable;
        if set.len() <= max {
            return set.iter().copied().collect();
        }
        let mut chosen = HashSet::new();
        let mut out = Vec::with_capacity(max);
        let mut tries = 0;
        while out.len() < max && tries < max * 4 {
            tries += 1;
            let i = self.rng.random_range(0..set.len());
            if chosen.insert(i) {
                if let Some(a) = set.get(i) {
                    out.push(a);
                }
            }
        }
        out
    }

    // ----- time ------------------------------------------------------------------------------

    fn clock(&mut self, now: Instant) -> Instant {
        let now = match self.now {
            Some(prev) if now < prev => prev,
            _ => now,
        };
        self.now = Some(now);
        now
    }

    fn advance_time(&mut self, now: Instant) {
        while let Some(&(t, a)) = self.idx.backoff_other.first() {
            if t > now {
                break;
            }
            self.with_peer(a, |p| p.backoff_until = None);
        }
        while let Some(&(t, a)) = self.idx.backoff_local.first() {
            if t > now {
                break;
            }
            self.with_peer(a, |p| p.backoff_until = None);
        }
        while let Some(&(t, a)) = self.idx.fail_resets.first() {
            if t > now {
                break;
            }
            self.with_peer(a, |p| {
                p.fail_count = 0;
                p.fail_reset_at = None;
            });
            self.event(GovernorEvent::FailCountCleared { peer: a });
        }
        while let Some(&(t, a)) = self.quarantine_order.front() {
            if t > now {
                break;
            }
            self.quarantine_order.pop_front();
            if self.quarantine.get(&a) == Some(&t) {
                self.quarantine.remove(&a);
            }
        }
        let mut i = 0;
        while i < self.share_batches.len() {
            let b = &mut self.share_batches[i];
            if now >= b.overall {
                let b = self.share_batches.remove(i);
                self.share_in_flight = self.share_in_flight.saturating_sub(b.pending.len());
                self.merge_share_answers(b.answers, None);
                continue;
            }
            if now >= b.phase1 && !b.phase1_merged {
                b.phase1_merged = true;
                let answers = std::mem::take(&mut b.answers);
                self.merge_share_answers(answers, None);
            }
            i += 1;
        }
        for _ in 0..8 {
            let levels = churn::Levels {
                active: self.idx.active as u32,
                established: self.idx.established.len() as u32,
                known: self.peers.len() as u32,
            };
            match self.churn.step(now, self.base_targets, levels, &mut self.rng) {
                Some(phase) => {
                    let targets = self.churn.effective(self.base_targets);
                    self.event(GovernorEvent::Churn { phase, targets });
                }
                None => break,
            }
        }
    }

    // ----- bookkeeping helpers ---------------------------------------------------------------

    fn event(&mut self, e: GovernorEvent) {
        if self.events.len() >= MAX_PENDING_EVENTS {
            self.events.pop_front();
            self.events_dropped += 1;
        }
        self.events.push_back(e);
    }

    fn view(&self, addr: SocketAddr, p: &Peer) -> PeerView {
        PeerView {
            addr,
            state: p.state(),
            job: p.job,
            source: p.source,
            fail_count: p.fail_count,
            backoff_until: p.backoff_until,
            next_activate: p.conn.as_ref().and_then(|c| c.next_activate),
            advertise: p.advertise,
            shareable: p.shareable(),
            remote_sharing: p.remote_sharing,
            next_share: p.conn.as_ref().and_then(|c| c.next_share),
            hops: p.hops,
            behind_firewall: p.behind_firewall,
        }
    }

    fn insert_peer(&mut self, addr: SocketAddr, p: Peer) {
        self.idx.apply(addr, &p, true);
        self.peers.insert(addr, p);
    }

    fn with_peer<R>(&mut self, addr: SocketAddr, f: impl FnOnce(&mut Peer) -> R) -> Option<R> {
        let p = self.peers.get_mut(&addr)?;
        self.idx.apply(addr, p, false);
        let r = f(p);
        self.idx.apply(addr, p, true);
        Some(r)
    }

    fn forget(&mut self, addr: SocketAddr, reason: ForgetReason) {
        if let Some(p) = self.peers.remove(&addr) {
            self.idx.apply(addr, &p, false);
            self.event(GovernorEvent::Forgot { peer: addr, reason });
        }
    }

    fn quarantine(&mut self, addr: SocketAddr, now: Instant) {
        let until = now + self.config.timing.misbehaviour_quarantine;
        if self.quarantine_order.len() >= MAX_QUARANTINE {
            if let Some((t, a)) = self.quarantine_order.pop_front() {
                if self.quarantine.get(&a) == Some(&t) {
                    self.quarantine.remove(&a);
                }
            }
        }
        self.quarantine.insert(addr, until);
        self.quarantine_order.push_back((until, addr));
    }

    fn quarantined(&self, addr: &SocketAddr, now: Instant) -> bool {
        self.quarantine.get(addr).is_some_and(|t| *t > now)
    }

    fn job(&self, addr: &SocketAddr) -> Option<Job> {
        self.peers.get(addr).and_then(|p| p.job)
    }

    fn state(&self, addr: &SocketAddr) -> Option<PeerState> {
        self.peers.get(addr).map(Peer::state)
    }

    fn connect_backoff(&mut self, fail_count: u32, local: bool) -> Duration {
        let k = fail_count.max(1) - 1;
        let base = if local {
            let raw = BACKOFF_BASE.saturating_mul(1u32 << k.min(20));
            raw.min(self.config.timing.local_root_backoff_cap.max(BACKOFF_BASE))
        } else {
            BACKOFF_BASE * (1u32 << k.min(BACKOFF_MAX_EXPONENT))
        };
        secs(base.as_secs_f64() + uniform(&mut self.rng, -BACKOFF_FUZZ_SECS, BACKOFF_FUZZ_SECS))
    }

    /// Count a failure (§7.2, §6.3, §10.2). The peer must already be cold and idle.
    fn record_failure(
        &mut self,
        addr: SocketAddr,
        now: Instant,
        kind: FailureKind,
        delay: Option<Duration>,
    ) -> Option<Duration> {
        let p = self.peers.get(&addr)?;
        let previous = p.fail_count;
        let fail_count = previous.saturating_add(1);
        let local = p.is_local();
        let forgettable = p.source == PeerSource::Gossip;
        let forget = forgettable && (previous >= MAX_CONNECTION_RETRIES || kind == FailureKind::Misbehaviour);
        let retry = if forget {
            None
        } else {
            Some(match kind {
                FailureKind::Connect => self.connect_backoff(fail_count, local),
                FailureKind::Activate => secs(
                    ACTIVATE_FAILURE_DELAY.as_secs_f64()
                        + uniform(&mut self.rng, -BACKOFF_FUZZ_SECS, BACKOFF_FUZZ_SECS),
                ),
                FailureKind::ConnectionLost => {
                    let (lo, hi) = ASYNC_COLD_FUZZ_SECS;
                    secs(
                        delay.unwrap_or(DEFAULT_REPROMOTE_DELAY).as_secs_f64()
                            + uniform(&mut self.rng, lo, hi),
                    )
                }
                FailureKind::Misbehaviour => self.config.timing.misbehaviour_quarantine,
            })
        };
        self.with_peer(addr, |p| {
            p.fail_count = fail_count;
            p.fail_reset_at = None;
            p.backoff_until = retry.map(|d| now + d);
        });
        self.event(GovernorEvent::FailureCounted { peer: addr, kind, fail_count, retry_after: retry });
        if forget {
            let reason = if kind == FailureKind::Misbehaviour {
                ForgetReason::Misbehaviour
            } else {
                ForgetReason::Failures
            };
            self.forget(addr, reason);
        }
        retry
    }

    fn learn(&mut self, peers: &[LearnedPeer], now: Instant, budget: usize, source: PeerSource) -> usize {
        let mut added = 0;
        for lp in peers.iter().take(MAX_LEARNED_PER_INPUT) {
            if let Some(p) = self.peers.get(&lp.addr) {
                let better = match (p.hops, lp.hops) {
                    (Some(old), Some(new)) => new < old,
                    (None, Some(_)) => true,
                    _ => false,
                };
                if better {
                    self.with_peer(lp.addr, |p| p.hops = lp.hops);
                }
                continue;
            }
            if added >= budget || self.quarantined(&lp.addr, now) || !dialable(&lp.addr) {
                continue;
            }
            self.insert_peer(lp.addr, Peer::new(source, true, lp.hops));
            added += 1;
        }
        added
    }

    fn merge_share_answers(&mut self, mut answers: Vec<LearnedPeer>, from: Option<SocketAddr>) {
        let Some(now) = self.now else { return };
        let deficit = self.known_deficit();
        if answers.is_empty() {
            return;
        }
        // Fresh random order per merge, so neither address order nor the fastest responder
        // decides which addresses win when there are more than we want (§7.1).
        for i in (1..answers.len()).rev() {
            let j = self.rng.random_range(0..=i);
            answers.swap(i, j);
        }
        let count = self.learn(&answers, now, deficit, PeerSource::Gossip);
        if count > 0 {
            self.event(GovernorEvent::Learned { from, count });
        }
    }

    // ----- inputs ----------------------------------------------------------------------------

    fn set_base_targets(&mut self, t: Targets) {
        match t.check() {
            Ok(()) => self.base_targets = t,
            Err(error) => self.event(GovernorEvent::TargetsRejected { targets: t, error }),
        }
    }

    fn apply_input(&mut self, now: Instant, input: GovernorInput) {
        match input {
            GovernorInput::PeersLearned { from, peers } => {
                let deficit = self.known_deficit();
                let count = self.learn(&peers, now, deficit, PeerSource::Gossip);
                if count > 0 {
                    self.event(GovernorEvent::Learned { from, count });
                }
            }
            GovernorInput::PeerShareReply { peer, mut peers } => {
                let found = self.share_batches.iter().position(|b| b.pending.iter().any(|(a, _)| *a == peer));
                match found {
                    Some(bi) => {
                        let b = &mut self.share_batches[bi];
                        let pos = b.pending.iter().position(|(a, _)| *a == peer).unwrap_or(0); // ok: found above
                        let (_, amount) = b.pending.swap_remove(pos);
                        // A reply longer than asked is a protocol violation (§7.1): keep what
                        // was asked for, no more.
                        peers.truncate(amount as usize);
                        b.answers.extend(peers);
                        self.share_in_flight = self.share_in_flight.saturating_sub(1);
                        if b.pending.is_empty() {
                            let b = self.share_batches.remove(bi);
                            self.merge_share_answers(b.answers, Some(peer));
                        }
                    }
                    None => self.merge_share_answers(peers, Some(peer)),
                }
            }
            GovernorInput::ConnectSucceeded { peer, sharing } => {
                if self.job(&peer) == Some(Job::PromoteCold) && self.state(&peer) == Some(PeerState::Cold) {
                    self.with_peer(peer, |p| {
                        p.job = None;
                        p.ever_connected = true;
                        p.tepid = false;
                        p.remote_sharing = Some(sharing);
                        if !sharing {
                            p.advertise = false;
                        }
                        p.conn = Some(Conn {
                            hot: false,
                            hot_since: None,
                            next_activate: None,
                            next_share: sharing.then(|| now + PEER_SHARE_ACTIVATION_DELAY),
                            rtt: None,
                            relay_score: 0,
                        });
                    });
                } else {
                    // We did not ask for (or no longer want) this connection: drop it so the
                    // environment and our view agree.
                    self.event(GovernorEvent::Aborted { peer, completion: "ConnectSucceeded" });
                    self.demote(
                        peer,
                        PeerState::Cold,
                        DemotionReason::UnexpectedConnection,
                        GovernorAction::Close(peer),
                    );
                }
            }
            GovernorInput::ConnectFailed { peer } => {
                if self.job(&peer) == Some(Job::PromoteCold) {
                    self.with_peer(peer, |p| p.job = None);
                    self.record_failure(peer, now, FailureKind::Connect, None);
                } else {
                    self.event(GovernorEvent::Aborted { peer, completion: "ConnectFailed" });
                }
            }
            GovernorInput::Activated { peer } => {
                if self.job(&peer) == Some(Job::PromoteWarm) && self.state(&peer) == Some(PeerState::Warm) {
                    self.with_peer(peer, |p| {
                        p.job = None;
                        p.fail_reset_at = Some(now + CLEAR_FAIL_COUNT_DELAY);
                        if let Some(c) = p.conn.as_mut() {
                            c.hot = true;
                            c.hot_since = Some(now);
                            c.next_activate = None;
                        }
                    });
                } else {
                    self.event(GovernorEvent::Aborted { peer, completion: "Activated" });
                }
            }
            GovernorInput::ActivateFailed { peer } => {
                if self.job(&peer) == Some(Job::PromoteWarm) {
                    self.with_peer(peer, |p| {
                        p.job = None;
                        p.conn = None;
                    });
                    self.demote(
                        peer,
                        PeerState::Cold,
                        DemotionReason::ActivateFailed,
                        GovernorAction::Close(peer),
                    );
                    self.record_failure(peer, now, FailureKind::Activate, None);
                } else {
                    self.event(GovernorEvent::Aborted { peer, completion: "ActivateFailed" });
                }
            }
            GovernorInput::Deactivated { peer } => {
                if self.job(&peer) == Some(Job::DemoteHot) && self.state(&peer) == Some(PeerState::Hot) {
                    self.with_peer(peer, |p| {
                        p.job = None;
                        p.tepid = true;
                        if let Some(c) = p.conn.as_mut() {
                            c.hot = false;
                            c.hot_since = None;
                        }
                    });
                } else {
                    self.event(GovernorEvent::Aborted { peer, completion: "Deactivated" });
                }
            }
            GovernorInput::Closed { peer } => self.connection_gone(now, peer, None, "Closed"),
            GovernorInput::ConnectionLost { peer, repromote_delay } => {
                self.connection_gone(now, peer, Some(repromote_delay), "ConnectionLost")
            }
            GovernorInput::DemotedToWarm { peer, repromote_delay } => {
                let hot = self.state(&peer) == Some(PeerState::Hot);
                if hot && self.job(&peer) != Some(Job::DemoteHot) {
                    let until = repromote_delay.map(|d| {
                        let (lo, hi) = ASYNC_WARM_FUZZ_SECS;
                        secs(d.as_secs_f64() + uniform(&mut self.rng, lo, hi))
                    });
                    self.with_peer(peer, |p| {
                        if let Some(c) = p.conn.as_mut() {
                            c.hot = false;
                            c.hot_since = None;
                            c.next_activate = until.map(|d| now + d);
                        }
                    });
                    self.event(GovernorEvent::AsyncDemotion {
                        peer,
                        to: PeerState::Warm,
                        repromote_after: until,
                    });
                } else if hot {
                    // Our own deactivation finishing by another route.
                    self.apply_input(now, GovernorInput::Deactivated { peer });
                } else {
                    self.event(GovernorEvent::Aborted { peer, completion: "DemotedToWarm" });
                }
            }
            GovernorInput::Misbehaved { peer } => self.misbehaved(now, peer),
            GovernorInput::TargetsChanged(t) => self.set_base_targets(t),
            GovernorInput::LocalRootsChanged(groups) => {
                self.requested_local_roots = groups;
                self.local_roots_dirty = true;
            }
            GovernorInput::PublicRootsResult { result, ttl } => self.public_roots_result(now, result, ttl),
            GovernorInput::PeerMetrics { peer, rtt, relay_score } => {
                if let Some(c) = self.peers.get_mut(&peer).and_then(|p| p.conn.as_mut()) {
                    if rtt.is_some() {
                        c.rtt = rtt;
                    }
                    if let Some(s) = relay_score {
                        c.relay_score = s;
                    }
                }
            }
        }
    }

    fn connection_gone(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        lost: Option<Option<Duration>>,
        completion: &'static str,
    ) {
        let Some(state) = self.state(&peer) else {
            self.event(GovernorEvent::Aborted { peer, completion });
            return;
        };
        if state == PeerState::Cold {
            // The usual completion of a Close we issued while dropping the peer at once
            // (misbehaviour, failed activation, unexpected connection): nothing to do.
            if lost.is_some() {
                self.event(GovernorEvent::Aborted { peer, completion });
            }
            return;
        }
        let requested = self.job(&peer) == Some(Job::DemoteWarm);
        self.with_peer(peer, |p| {
            p.job = None;
            p.conn = None;
        });
        if !requested {
            let retry = self.record_failure(peer, now, FailureKind::ConnectionLost, lost.flatten());
            self.event(GovernorEvent::AsyncDemotion { peer, to: PeerState::Cold, repromote_after: retry });
        }
    }

    fn misbehaved(&mut self, now: Instant, peer: SocketAddr) {
        self.quarantine(peer, now);
        let Some(state) = self.state(&peer) else { return };
        if state != PeerState::Cold {
            self.with_peer(peer, |p| {
                p.job = None;
                p.conn = None;
            });
            self.demote(peer, PeerState::Cold, DemotionReason::Misbehaviour, GovernorAction::Close(peer));
        } else if self.job(&peer) == Some(Job::PromoteCold) {
            // The dial is in flight; its success will be answered with Close.
            self.with_peer(peer, |p| p.job = None);
        }
        self.record_failure(peer, now, FailureKind::Misbehaviour, None);
    }

    fn public_roots_result(
        &mut self,
        now: Instant,
        result: Result<Vec<SocketAddr>, LookupFailed>,
        ttl: Duration,
    ) {
        if !self.public_root_in_flight {
            self.event(GovernorEvent::Aborted {
                peer: SocketAddr::from(([0, 0, 0, 0], 0)),
                completion: "PublicRootsResult",
            });
            return;
        }
        self.public_root_in_flight = false;
        match result {
            Err(LookupFailed) => {
                self.public_root_backoffs = self.public_root_backoffs.min(0) - 1;
                let n = self.public_root_backoffs.unsigned_abs().min(PUBLIC_ROOT_BACKOFF_MAX_EXPONENT);
                let retry_in = Duration::from_secs(1u64 << n);
                self.public_root_retry = Some(now + retry_in);
                self.event(GovernorEvent::PublicRootsFailed { retry_in });
            }
            Ok(addrs) => {
                let mut added = 0;
                for addr in addrs.into_iter().take(MAX_PUBLIC_ROOTS_PER_RESULT) {
                    if !dialable(&addr) || self.quarantined(&addr, now) {
                        continue;
                    }
                    match self.peers.get(&addr).map(|p| p.source) {
                        Some(PeerSource::Gossip) => {
                            self.with_peer(addr, |p| {
                                p.source = PeerSource::PublicRoot;
                                p.advertise = false;
                            });
                            added += 1;
                        }
                        Some(_) => {}
                        None => {
                            self.insert_peer(addr, Peer::new(PeerSource::PublicRoot, false, None));
                            added += 1;
                        }
                    }
                }
                if added == 0 {
                    self.public_root_backoffs = self.public_root_backoffs.max(0) + 1;
                    let n = self.public_root_backoffs.unsigned_abs().min(PUBLIC_ROOT_BACKOFF_MAX_EXPONENT);
                    self.public_root_retry = Some(now + Duration::from_secs(1u64 << n));
                } else {
                    self.public_root_backoffs = 0;
                    self.public_root_retry = Some(now + ttl.clamp(PUBLIC_ROOT_TTL_MIN, PUBLIC_ROOT_TTL_MAX));
                    self.event(GovernorEvent::PublicRootsAdded { count: added });
                }
            }
        }
    }

    fn push_action(&mut self, a: GovernorAction) {
        self.actions.push_back(a);
    }

    /// Announce a demotion and queue the job that carries it out.
    fn demote(&mut self, peer: SocketAddr, to: PeerState, reason: DemotionReason, action: GovernorAction) {
        self.event(GovernorEvent::Demoting { peer, to, reason });
        self.push_action(action);
    }

    // ----- derived quantities ------------------------------------------------------------------

    fn known_deficit(&self) -> usize {
        (self.targets.known as usize).saturating_sub(self.peers.len())
    }

    fn root_deficit(&self) -> usize {
        (self.targets.root as usize).saturating_sub(self.idx.local + self.idx.public)
    }

    fn other_established_want(&self) -> usize {
        (self.targets.established as usize).saturating_sub(self.idx.established.len() + self.idx.promote_cold)
    }

    fn other_active_want(&self) -> usize {
        (self.targets.active as usize).saturating_sub(self.idx.active + self.idx.promote_warm)
    }

    fn local_deficits(&self) -> (bool, bool) {
        let mut warm = false;
        let mut hot = false;
        for (g, c) in self.local_roots.iter().zip(&self.idx.groups) {
            warm |= c.established + c.promote_cold < g.warm_valency;
            hot |= c.active + c.promote_warm < g.hot_valency;
        }
        (warm, hot)
    }

    // ----- the decision loop (§5) --------------------------------------------------------------

    fn run(&mut self, now: Instant) {
        let mut n = 0;
        while n < MAX_DECISIONS_PER_RUN && self.actions.len() < MAX_PENDING_ACTIONS && self.step(now) {
            n += 1;
        }
        self.overloaded = n == MAX_DECISIONS_PER_RUN || self.actions.len() >= MAX_PENDING_ACTIONS;
    }

    /// Evaluate the guarded decisions in the priority order of §5.2 and apply the first enabled
    /// one. Monitors (§5.2 items 2–3) are applied as the inputs arrive.
    fn step(&mut self, now: Instant) -> bool {
        self.targets_changed()
            || self.local_roots_changed()
            || self.public_roots_below(now)
            || self.known_below(now)
            || self.known_above()
            || self.established_below_local()
            || self.established_below_other()
            || self.established_above()
            || self.active_below_local(now)
            || self.active_below_other(now)
            || self.active_above_local()
            || self.active_above_other()
    }

    /// §6.1.
    fn targets_changed(&mut self) -> bool {
        let want = self.churn.effective(self.base_targets);
        if want == self.targets || want.check().is_err() {
            return false;
        }
        let old = self.targets;
        self.targets = want;
        if want.known != old.known {
            self.local_roots_dirty = true;
        }
        self.event(GovernorEvent::TargetsChanged { old, new: want });
        true
    }

    /// §4.1 normalisation: disjoint groups, valencies clamped, total clamped to known target.
    fn normalise_local_roots(&self) -> Vec<LocalRootGroup> {
        let mut seen = HashSet::new();
        let mut room = self.targets.known as usize;
        let mut out = Vec::new();
        for g in &self.requested_local_roots {
            if room == 0 {
                break;
            }
            let mut members: Vec<LocalRootPeer> = Vec::new();
            for m in &g.members {
                if dialable(&m.addr) && seen.insert(m.addr) {
                    members.push(*m);
                }
            }
            members.truncate(room);
            let warm = g.warm_valency.min(members.len() as u32);
            let hot = g.hot_valency.min(warm);
            if hot == 0 || warm == 0 {
                for m in &members {
                    seen.remove(&m.addr);
                }
                continue;
            }
            room -= members.len();
            out.push(LocalRootGroup { hot_valency: hot, warm_valency: warm, members });
        }
        out
    }

    /// §6.2.
    fn local_roots_changed(&mut self) -> bool {
        if !self.local_roots_dirty {
            return false;
        }
        self.local_roots_dirty = false;
        let new = self.normalise_local_roots();
        if new == self.local_roots {
            return false;
        }
        let new_members: HashMap<SocketAddr, (u32, LocalRootPeer)> = new
            .iter()
            .enumerate()
            .flat_map(|(gi, g)| g.members.iter().map(move |m| (m.addr, (gi as u32, *m))))
            .collect();
        // Unindex every old local root, change the groups, then re-index.
        let old_addrs: Vec<SocketAddr> =
            self.local_roots.iter().flat_map(|g| g.members.iter().map(|m| m.addr)).collect();
        for a in &old_addrs {
            if let Some(p) = self.peers.get(a) {
                self.idx.apply(*a, p, false);
            }
        }
        self.idx.groups = vec![GroupCounts::default(); new.len()];
        let mut to_deactivate = Vec::new();
        for a in &old_addrs {
            if new_members.contains_key(a) {
                continue;
            }
            if let Some(p) = self.peers.get_mut(a) {
                p.source = PeerSource::Gossip;
                if p.state() == PeerState::Hot && p.job.is_none() {
                    p.job = Some(Job::DemoteHot);
                    to_deactivate.push(*a);
                }
            }
        }
        for a in &old_addrs {
            if new_members.contains_key(a) {
                continue;
            }
            if let Some(p) = self.peers.get(a) {
                self.idx.apply(*a, p, true);
            }
        }
        for g in &new {
            for m in &g.members {
                let (gi, cfg) = new_members[&m.addr];
                let was_old_root = old_addrs.contains(&m.addr);
                match self.peers.get_mut(&m.addr) {
                    Some(p) => {
                        if !was_old_root {
                            self.idx.apply(m.addr, p, false);
                        }
                        p.source = PeerSource::LocalRoot(gi);
                        p.advertise = cfg.advertise;
                        p.behind_firewall = cfg.behind_firewall;
                        self.idx.apply(m.addr, p, true);
                    }
                    None => {
                        let mut p = Peer::new(PeerSource::LocalRoot(gi), cfg.advertise, None);
                        p.behind_firewall = cfg.behind_firewall;
                        // A configured root that misbehaved recently waits out its quarantine.
                        let now = self.now;
                        p.backoff_until =
                            self.quarantine.get(&m.addr).copied().filter(|t| now.is_some_and(|n| *t > n));
                        self.insert_peer(m.addr, p);
                    }
                }
            }
        }
        let peers = new.iter().map(|g| g.members.len()).sum();
        self.event(GovernorEvent::LocalRootsChanged { groups: new.len(), peers });
        self.local_roots = new;
        for a in to_deactivate {
            self.demote(a, PeerState::Warm, DemotionReason::LocalRootRemoved, GovernorAction::Deactivate(a));
        }
        true
    }

    /// §4.2.
    fn public_roots_below(&mut self, now: Instant) -> bool {
        let deficit = self.root_deficit();
        if deficit == 0 || self.public_root_in_flight || self.public_root_retry.is_some_and(|t| now < t) {
            return false;
        }
        self.public_root_in_flight = true;
        self.push_action(GovernorAction::RequestPublicRoots { count: deficit as u32 });
        true
    }

    /// §6.6b.
    fn known_below(&mut self, now: Instant) -> bool {
        if !self.config.peer_sharing {
            return false;
        }
        let deficit = self.known_deficit();
        let slots = MAX_IN_PROGRESS_PEER_SHARE_REQS.saturating_sub(self.share_in_flight);
        if deficit == 0 || slots == 0 {
            return false;
        }
        let mut candidates: Vec<(u32, SocketAddr)> = Vec::new();
        for a in self.idx.established.iter() {
            let Some(p) = self.peers.get(a) else { continue };
            let due = p.conn.as_ref().and_then(|c| c.next_share).is_some_and(|t| t <= now);
            if due && p.remote_sharing == Some(true) && p.job != Some(Job::DemoteWarm) {
                candidates.push((0, *a));
            }
        }
        if candidates.is_empty() {
            return false;
        }
        let picked = self.pick_random(candidates, slots);
        let amount =
            (deficit as u32 / picked.len() as u32).clamp(PEER_SHARE_MIN_AMOUNT, PEER_SHARE_MAX_AMOUNT);
        let mut pending = Vec::with_capacity(picked.len());
        for a in picked {
            if let Some(c) = self.peers.get_mut(&a).and_then(|p| p.conn.as_mut()) {
                c.next_share = Some(now + PEER_SHARE_RETRY_TIME);
            }
            pending.push((a, amount));
            self.push_action(GovernorAction::RequestPeerShare { peer: a, amount: amount as u8 });
        }
        self.share_in_flight += pending.len();
        self.share_batches.push(ShareBatch {
            phase1: now + PEER_SHARE_BATCH_WAIT,
            overall: now + PEER_SHARE_OVERALL_TIMEOUT,
            phase1_merged: false,
            pending,
            answers: Vec::new(),
        });
        true
    }

    fn pick_random(&mut self, mut candidates: Vec<(u32, SocketAddr)>, n: usize) -> Vec<SocketAddr> {
        for c in candidates.iter_mut() {
            c.0 = self.rng.random();
        }
        candidates.sort_unstable();
        candidates.into_iter().take(n).map(|c| c.1).collect()
    }

    fn random_member(&mut self, set_id: ForgetSet) -> Option<SocketAddr> {
        let set = match set_id {
            ForgetSet::Failed => &self.idx.forget_failed,
            ForgetSet::Clean => &self.idx.forget_clean,
            ForgetSet::Public => &self.idx.forget_public,
        };
        if set.is_empty() {
            return None;
        }
        let i = self.rng.random_range(0..set.len());
        set.get(i)
    }

    /// §6.7. Failing peers go first (the policy of §8.1 divides the random key by fail count + 1;
    /// we take them before clean ones, which is the limit of that weighting).
    fn known_above(&mut self) -> bool {
        let known = self.peers.len();
        let target = self.targets.known as usize;
        if known <= target {
            return false;
        }
        let mut n = (known - target).min(MAX_FORGET_PER_DECISION);
        let spare_roots = (self.idx.local + self.idx.public) as i64 - i64::from(self.targets.root);
        let mut done = 0;
        for set in [ForgetSet::Failed, ForgetSet::Clean] {
            while n > 0 {
                let Some(a) = self.random_member(set) else { break };
                self.forget(a, ForgetReason::AboveTarget);
                n -= 1;
                done += 1;
            }
        }
        let mut public_room = spare_roots.max(0) as usize;
        while n > 0 && public_room > 0 {
            let Some(a) = self.random_member(ForgetSet::Public) else { break };
            self.forget(a, ForgetReason::AboveTarget);
            n -= 1;
            public_room -= 1;
            done += 1;
        }
        done > 0
    }

    /// §6.8a.
    fn established_below_local(&mut self) -> bool {
        let mut picked_any = false;
        for gi in 0..self.local_roots.len() {
            let g = &self.local_roots[gi];
            let c = self.idx.groups[gi];
            let want = g.warm_valency.saturating_sub(c.established + c.promote_cold) as usize;
            if want == 0 {
                continue;
            }
            let candidates: Vec<(u32, SocketAddr)> = g
                .members
                .iter()
                .filter(|m| {
                    self.peers.get(&m.addr).is_some_and(|p| {
                        p.conn.is_none() && p.job.is_none() && p.backoff_until.is_none() && !p.behind_firewall
                    })
                })
                .map(|m| (0, m.addr))
                .collect();
            if candidates.is_empty() {
                continue;
            }
            for a in self.pick_random(candidates, want) {
                self.with_peer(a, |p| p.job = Some(Job::PromoteCold));
                self.push_action(GovernorAction::Connect(a));
                picked_any = true;
            }
        }
        picked_any
    }

    /// §6.8c with the §16.5 diversity policy: prefer an address whose /16 (/48) prefix has
    /// fewer than [`MAX_PEERS_PER_PREFIX`] established or connecting peers, looking in the
    /// least-loaded hop bucket first ([`DIVERSITY_PICK_TRIES`] random tries per bucket). Soft:
    /// when no such address is found, the first one seen is taken, so targets are still reached
    /// on a homogeneous address space. At most 16 lookups per pick, whatever the known size.
    fn established_below_other(&mut self) -> bool {
        let want = self.other_established_want();
        if want == 0 || self.idx.available_cold_len() == 0 {
            return false;
        }
        for _ in 0..want {
            // Buckets by ascending load (ties: bucket order), then random tries per bucket for
            // an address under the prefix limit; the first address seen is the fallback.
            let mut order: [usize; HOP_BUCKETS] = std::array::from_fn(|b| b);
            order.sort_by_key(|&b| self.idx.bucket_load[b]);
            let mut fallback = None;
            let mut choice = None;
            'buckets: for b in order {
                let set = &self.idx.available_cold[b];
                if set.is_empty() {
                    continue;
                }
                for _ in 0..DIVERSITY_PICK_TRIES {
                    let Some(a) = set.get(self.rng.random_range(0..set.len())) else { break };
                    fallback = fallback.or(Some(a));
                    if self.idx.prefix_load.get(&prefix(&a)).copied().unwrap_or(0) < MAX_PEERS_PER_PREFIX {
                        choice = Some(a);
                        break 'buckets;
                    }
                }
            }
            let choice = choice.or(fallback);
            let Some(a) = choice else { break };
            self.with_peer(a, |p| p.job = Some(Job::PromoteCold));
            self.push_action(GovernorAction::Connect(a));
        }
        true
    }

    /// §6.9.
    fn established_above(&mut self) -> bool {
        let est = self.idx.established.len() as i64;
        let target = i64::from(self.targets.established);
        if est <= target {
            return false;
        }
        let local_warm: i64 =
            self.idx.groups.iter().map(|c| i64::from(c.established) - i64::from(c.active)).sum::<i64>();
        let n = (est - target).min(est - local_warm - self.idx.active as i64)
            - self.idx.demote_warm as i64
            - self.idx.promote_warm as i64;
        if n <= 0 {
            return false;
        }
        let mut candidates = Vec::new();
        for a in self.idx.established.iter() {
            let Some(p) = self.peers.get(a) else { continue };
            if p.state() == PeerState::Warm && p.job.is_none() && !p.is_local() {
                candidates.push((*a, p.tepid));
            }
        }
        if candidates.is_empty() {
            return false;
        }
        // Random key, halved for tepid peers so they are twice as likely to go (§8.1).
        let mut keyed: Vec<(u32, SocketAddr)> = candidates
            .into_iter()
            .map(|(a, tepid)| {
                let k: u32 = self.rng.random();
                (if tepid { k / 2 } else { k }, a)
            })
            .collect();
        keyed.sort_unstable();
        for (_, a) in keyed.into_iter().take(n as usize) {
            self.with_peer(a, |p| p.job = Some(Job::DemoteWarm));
            self.demote(a, PeerState::Cold, DemotionReason::AboveTarget, GovernorAction::Close(a));
        }
        true
    }

    /// §6.10a.
    fn active_below_local(&mut self, now: Instant) -> bool {
        let mut picked_any = false;
        for gi in 0..self.local_roots.len() {
            let g = &self.local_roots[gi];
            let c = self.idx.groups[gi];
            let want = g.hot_valency.saturating_sub(c.active + c.promote_warm) as usize;
            if want == 0 {
                continue;
            }
            let candidates: Vec<(u32, SocketAddr)> = g
                .members
                .iter()
                .filter(|m| self.peers.get(&m.addr).is_some_and(|p| ready_warm(p, now)))
                .map(|m| (0, m.addr))
                .collect();
            if candidates.is_empty() {
                continue;
            }
            for a in self.pick_random(candidates, want) {
                self.with_peer(a, |p| p.job = Some(Job::PromoteWarm));
                self.push_action(GovernorAction::Activate(a));
                picked_any = true;
            }
        }
        picked_any
    }

    /// The RTT at the slowest-tercile boundary of the established peers, if enough are measured.
    fn long_link_threshold(&self) -> Option<Duration> {
        let mut rtts: Vec<Duration> = self
            .idx
            .established
            .iter()
            .filter_map(|a| self.peers.get(a).and_then(|p| p.conn.as_ref()).and_then(|c| c.rtt))
            .collect();
        if rtts.len() < 3 {
            return None;
        }
        rtts.sort_unstable();
        rtts.get(rtts.len() * 2 / 3).copied()
    }

    fn is_long_link(&self, a: &SocketAddr, threshold: Option<Duration>) -> bool {
        let rtt = self.peers.get(a).and_then(|p| p.conn.as_ref()).and_then(|c| c.rtt);
        matches!((rtt, threshold), (Some(r), Some(t)) if r >= t)
    }

    /// §6.10c with §16.5: prefer low RTT (random key scaled by RTT, so speed helps but does not
    /// decide), but make sure one hot peer is a "long link" from the slowest RTT tercile.
    fn active_below_other(&mut self, now: Instant) -> bool {
        let want = self.other_active_want();
        if want == 0 {
            return false;
        }
        let mut candidates = Vec::new();
        let mut rtts = Vec::new();
        for a in self.idx.established.iter() {
            let Some(p) = self.peers.get(a) else { continue };
            if !p.is_local() && ready_warm(p, now) {
                let rtt = p.conn.as_ref().and_then(|c| c.rtt);
                if let Some(r) = rtt {
                    rtts.push(r);
                }
                candidates.push((*a, rtt));
            }
        }
        if candidates.is_empty() {
            return false;
        }
        rtts.sort_unstable();
        let median = rtts.get(rtts.len() / 2).copied().unwrap_or(Duration::from_millis(100));
        let threshold = self.long_link_threshold();
        let have_long_hot = self.idx.established.iter().any(|a| {
            self.peers.get(a).is_some_and(|p| p.state() == PeerState::Hot) && self.is_long_link(a, threshold)
        });
        let mut keyed: Vec<(u64, SocketAddr)> = candidates
            .iter()
            .map(|(a, rtt)| {
                let scale = rtt.unwrap_or(median).as_micros().max(1) as f64;
                let k = scale * uniform(&mut self.rng, 0.5, 1.5);
                (k as u64, *a)
            })
            .collect();
        keyed.sort_unstable();
        let mut picked: Vec<SocketAddr> = Vec::with_capacity(want);
        if !have_long_hot {
            if let Some((_, a)) = keyed.iter().rev().find(|(_, a)| self.is_long_link(a, threshold)) {
                picked.push(*a);
            }
        }
        for (_, a) in keyed {
            if picked.len() >= want {
                break;
            }
            if !picked.contains(&a) {
                picked.push(a);
            }
        }
        for a in picked {
            self.with_peer(a, |p| p.job = Some(Job::PromoteWarm));
            self.push_action(GovernorAction::Activate(a));
        }
        true
    }

    /// Order hot candidates for demotion: lowest relay score, then earlier hot, then random
    /// (§8.2, §16.5); the only long-link hot peer is kept while others are available.
    fn pick_hot_to_demote(&mut self, candidates: Vec<SocketAddr>, n: usize) -> Vec<SocketAddr> {
        let threshold = self.long_link_threshold();
        let long: Vec<&SocketAddr> = candidates.iter().filter(|a| self.is_long_link(a, threshold)).collect();
        let protect = if long.len() == 1 && candidates.len() > n { Some(*long[0]) } else { None };
        let mut keyed: Vec<(u64, Option<Instant>, u32, SocketAddr)> = candidates
            .into_iter()
            .filter(|a| Some(*a) != protect)
            .map(|a| {
                let c = self.peers.get(&a).and_then(|p| p.conn.as_ref());
                let score = c.map_or(0, |c| c.relay_score);
                let since = c.and_then(|c| c.hot_since);
                (score, since, self.rng.random(), a)
            })
            .collect();
        keyed.sort_unstable();
        keyed.into_iter().take(n).map(|k| k.3).collect()
    }

    /// §6.11a.
    fn active_above_local(&mut self) -> bool {
        let mut any = false;
        for gi in 0..self.local_roots.len() {
            let c = self.idx.groups[gi];
            let hot = self.local_roots[gi].hot_valency;
            let n = c.active.saturating_sub(c.demote_hot).saturating_sub(hot) as usize;
            if n == 0 {
                continue;
            }
            let candidates: Vec<SocketAddr> = self.local_roots[gi]
                .members
                .iter()
                .filter(|m| {
                    self.peers.get(&m.addr).is_some_and(|p| p.state() == PeerState::Hot && p.job.is_none())
                })
                .map(|m| m.addr)
                .collect();
            for a in self.pick_hot_to_demote(candidates, n) {
                self.with_peer(a, |p| p.job = Some(Job::DemoteHot));
                self.demote(
                    a,
                    PeerState::Warm,
                    DemotionReason::LocalGroupAboveValency,
                    GovernorAction::Deactivate(a),
                );
                any = true;
            }
        }
        any
    }

    /// §6.11b.
    fn active_above_other(&mut self) -> bool {
        let n =
            self.idx.active.saturating_sub(self.idx.demote_hot).saturating_sub(self.targets.active as usize);
        if n == 0 {
            return false;
        }
        let candidates: Vec<SocketAddr> = self
            .idx
            .established
            .iter()
            .filter(|a| {
                self.peers
                    .get(a)
                    .is_some_and(|p| p.state() == PeerState::Hot && p.job.is_none() && !p.is_local())
            })
            .copied()
            .collect();
        if candidates.is_empty() {
            return false;
        }
        for a in self.pick_hot_to_demote(candidates, n) {
            self.with_peer(a, |p| p.job = Some(Job::DemoteHot));
            self.demote(a, PeerState::Warm, DemotionReason::AboveTarget, GovernorAction::Deactivate(a));
        }
        true
    }

    // ----- invariants (§1.4) -------------------------------------------------------------------

    /// Check the §1.4 invariants and that every derived index equals a recomputation from the
    /// peer table. O(known): for tests and debug assertions.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut fresh =
            Index { groups: vec![GroupCounts::default(); self.local_roots.len()], ..Index::default() };
        for (a, p) in &self.peers {
            fresh.apply(*a, p, true);
        }
        let idx = &self.idx;
        let sets = [
            ("established", &idx.established, &fresh.established),
            ("forget_failed", &idx.forget_failed, &fresh.forget_failed),
            ("forget_clean", &idx.forget_clean, &fresh.forget_clean),
            ("forget_public", &idx.forget_public, &fresh.forget_public),
            ("shareable", &idx.shareable, &fresh.shareable),
        ];
        for (name, a, b) in sets {
            if !a.same_members(b) {
                return Err(format!("index {name} out of date"));
            }
        }
        for b in 0..HOP_BUCKETS {
            if !idx.available_cold[b].same_members(&fresh.available_cold[b]) {
                return Err(format!("index available_cold[{b}] out of date"));
            }
        }
        if idx.backoff_local != fresh.backoff_local
            || idx.backoff_other != fresh.backoff_other
            || idx.fail_resets != fresh.fail_resets
        {
            return Err("time queues out of date".into());
        }
        let counts = (
            idx.active,
            idx.promote_cold,
            idx.promote_warm,
            idx.demote_warm,
            idx.demote_hot,
            idx.local,
            idx.public,
        );
        let fresh_counts = (
            fresh.active,
            fresh.promote_cold,
            fresh.promote_warm,
            fresh.demote_warm,
            fresh.demote_hot,
            fresh.local,
            fresh.public,
        );
        if counts != fresh_counts || idx.groups != fresh.groups {
            return Err(format!("counters {counts:?} != recomputed {fresh_counts:?}"));
        }
        if idx.prefix_load != fresh.prefix_load || idx.bucket_load != fresh.bucket_load {
            return Err("diversity load out of date".into());
        }
        // 3.
        self.targets.check().map_err(|e| format!("targets insane: {e}"))?;
        self.base_targets.check().map_err(|e| format!("configured targets insane: {e}"))?;
        // 2, 4, 11.
        let mut seen = HashSet::new();
        let mut total = 0usize;
        for (gi, g) in self.local_roots.iter().enumerate() {
            if !(0 < g.hot_valency
                && g.hot_valency <= g.warm_valency
                && g.warm_valency as usize <= g.members.len())
            {
                return Err(format!(
                    "local group {gi} valencies {}/{} invalid",
                    g.hot_valency, g.warm_valency
                ));
            }
            for m in &g.members {
                if !seen.insert(m.addr) {
                    return Err(format!("local root {} in two groups", m.addr));
                }
                match self.peers.get(&m.addr) {
                    Some(p) if p.source == PeerSource::LocalRoot(gi as u32) => {}
                    _ => return Err(format!("local root {} not known as such", m.addr)),
                }
                total += 1;
            }
        }
        if total != idx.local {
            return Err(format!("{} peers marked local, {total} in groups", idx.local));
        }
        if total > self.targets.known as usize {
            return Err(format!("{total} local roots exceed the known target {}", self.targets.known));
        }
        for (a, p) in &self.peers {
            let st = p.state();
            // 1: active ⊆ ready established.
            if st == PeerState::Hot && p.conn.as_ref().is_some_and(|c| c.next_activate.is_some()) {
                return Err(format!("{a} hot but not ready"));
            }
            // 5.
            if st != PeerState::Cold && p.backoff_until.is_some() {
                return Err(format!("{a} established but in back-off"));
            }
            // 6.
            let ok = match p.job {
                None => true,
                Some(Job::PromoteCold) => st == PeerState::Cold,
                Some(Job::PromoteWarm) | Some(Job::DemoteWarm) => st == PeerState::Warm,
                Some(Job::DemoteHot) => st == PeerState::Hot,
            };
            if !ok {
                return Err(format!("{a} in {:?} while {st:?}", p.job));
            }
            // 9.
            if p.conn.as_ref().is_some_and(|c| c.next_share.is_some()) && p.remote_sharing != Some(true) {
                return Err(format!("{a} scheduled for sharing without consent"));
            }
            if let PeerSource::LocalRoot(g) = p.source {
                if !seen.contains(a) || g as usize >= self.local_roots.len() {
                    return Err(format!("{a} marked local root of unknown group {g}"));
                }
            }
        }
        // 10.
        let pending: usize = self.share_batches.iter().map(|b| b.pending.len()).sum();
        if pending != self.share_in_flight || self.share_in_flight > MAX_IN_PROGRESS_PEER_SHARE_REQS {
            return Err(format!("share in flight {} vs pending {pending}", self.share_in_flight));
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum ForgetSet {
    Failed,
    Clean,
    Public,
}

fn ready_warm(p: &Peer, now: Instant) -> bool {
    p.job.is_none() && p.conn.as_ref().is_some_and(|c| !c.hot && c.next_activate.is_none_or(|t| t <= now))
}

/// Addresses we would never dial: unspecified, port 0, multicast.
fn dialable(addr: &SocketAddr) -> bool {
    addr.port() != 0 && !addr.ip().is_unspecified() && !addr.ip().is_multicast()
}
