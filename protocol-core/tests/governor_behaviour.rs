//! Single-scenario governor tests with values from governor.md (§4.2, §6, §7, §10, §16).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use protocol_core::governor::{
    ForgetReason, Governor, GovernorAction, GovernorConfig, GovernorEvent, GovernorInput, LearnedPeer,
    LocalRootGroup, LocalRootPeer, LookupFailed, PeerSource, PeerState, Targets, Timing,
    MAX_FORGET_PER_DECISION, MAX_LEARNED_PER_INPUT, MAX_PENDING_EVENTS,
};

fn a(x: u8, y: u8) -> SocketAddr {
    SocketAddr::new(Ipv4Addr::new(10, x, y, 1).into(), 51235)
}

fn cfg(targets: Targets) -> GovernorConfig {
    GovernorConfig {
        targets,
        timing: Timing { churn_interval: None, ..Timing::default() },
        ..GovernorConfig::default()
    }
}

fn actions(g: &mut Governor) -> Vec<GovernorAction> {
    std::iter::from_fn(|| g.poll_action()).collect()
}

fn events(g: &mut Governor) -> Vec<GovernorEvent> {
    std::iter::from_fn(|| g.poll_event()).collect()
}

fn learn(g: &mut Governor, now: Instant, peers: &[SocketAddr], hops: Option<u8>) {
    let peers = peers.iter().map(|&addr| LearnedPeer { addr, hops }).collect();
    g.handle_input(now, GovernorInput::PeersLearned { from: None, peers });
}

/// §7.2 / §8.5: 5, 10, 20, 40, 80 (±2 s) then forgotten at the 6th consecutive failure.
#[test]
fn gossip_peer_backs_off_exponentially_and_is_forgotten_at_sixth_failure() {
    let t0 = Instant::now();
    let mut g = Governor::new(cfg(Targets { root: 0, known: 10, established: 1, active: 0 }), 1);
    g.handle_timeout(t0);
    let p = a(0, 1);
    learn(&mut g, t0, &[p], Some(2));
    let mut now = t0;
    for (k, base) in [5.0, 10.0, 20.0, 40.0, 80.0].into_iter().enumerate() {
        assert_eq!(actions(&mut g), vec![GovernorAction::Connect(p)], "attempt {}", k + 1);
        g.handle_input(now, GovernorInput::ConnectFailed { peer: p });
        let v = g.peer(&p).expect("still known");
        assert_eq!(v.fail_count, k as u32 + 1);
        let wait = (v.backoff_until.unwrap() - now).as_secs_f64();
        assert!((base - 2.0..=base + 2.0).contains(&wait), "failure {}: back-off {wait}", k + 1);
        assert!(actions(&mut g).is_empty(), "no re-dial during back-off");
        assert_eq!(g.poll_timeout(), v.backoff_until);
        now = v.backoff_until.unwrap();
        g.handle_timeout(now);
    }
    assert_eq!(actions(&mut g), vec![GovernorAction::Connect(p)]);
    g.handle_input(now, GovernorInput::ConnectFailed { peer: p });
    assert!(g.peer(&p).is_none(), "forgotten at the 6th failure");
    assert!(events(&mut g).contains(&GovernorEvent::Forgot { peer: p, reason: ForgetReason::Failures }));
    g.check_invariants().unwrap();
}

/// §10.2, §16.2: local roots are never forgotten; their back-off grows up to the configured cap.
#[test]
fn local_root_is_never_forgotten_and_backoff_is_capped() {
    let t0 = Instant::now();
    let p = a(1, 1);
    let mut c = cfg(Targets { root: 1, known: 10, established: 1, active: 1 });
    c.peer_sharing = false;
    c.timing.local_root_backoff_cap = Duration::from_secs(300);
    c.local_roots = vec![LocalRootGroup::fixed(p)];
    let mut g = Governor::new(c, 2);
    g.handle_timeout(t0);
    let mut now = t0;
    let mut last = 0.0;
    for k in 1..=12u32 {
        let acts = actions(&mut g);
        assert!(acts.contains(&GovernorAction::Connect(p)), "attempt {k}: {acts:?}");
        g.handle_input(now, GovernorInput::ConnectFailed { peer: p });
        let v = g.peer(&p).expect("local roots are never forgotten");
        assert_eq!(v.source, PeerSource::LocalRoot(0));
        last = (v.backoff_until.unwrap() - now).as_secs_f64();
        now = v.backoff_until.unwrap();
        g.handle_timeout(now);
    }
    assert!((298.0..=302.0).contains(&last), "capped back-off {last}");
}

/// §16.3: misbehaviour demotes at once (Close), counts a failure, forgets a gossip peer and keeps
/// it out of the known set for the quarantine.
#[test]
fn misbehaving_peer_is_dropped_at_once_and_quarantined() {
    let t0 = Instant::now();
    let mut c = cfg(Targets { root: 0, known: 10, established: 1, active: 1 });
    c.peer_sharing = false;
    let mut g = Governor::new(c, 3);
    g.handle_timeout(t0);
    let p = a(2, 1);
    learn(&mut g, t0, &[p], None);
    assert_eq!(actions(&mut g), vec![GovernorAction::Connect(p)]);
    g.handle_input(t0, GovernorInput::ConnectSucceeded { peer: p, sharing: true });
    assert_eq!(actions(&mut g), vec![GovernorAction::Activate(p)]);
    g.handle_input(t0, GovernorInput::Activated { peer: p });
    assert_eq!(g.peer(&p).unwrap().state, PeerState::Hot);
    g.handle_input(t0, GovernorInput::Misbehaved { peer: p });
    assert_eq!(actions(&mut g), vec![GovernorAction::Close(p)]);
    assert!(g.peer(&p).is_none());
    assert!(events(&mut g).contains(&GovernorEvent::Forgot { peer: p, reason: ForgetReason::Misbehaviour }));
    // The late completion of our Close changes nothing.
    g.handle_input(t0, GovernorInput::Closed { peer: p });
    learn(&mut g, t0 + Duration::from_secs(599), &[p], None);
    assert!(g.peer(&p).is_none(), "re-added from gossip during quarantine");
    learn(&mut g, t0 + Duration::from_secs(601), &[p], None);
    assert!(g.peer(&p).is_some(), "quarantine is not a permanent ban");
    g.check_invariants().unwrap();
}

/// §4.2: request `deficit` roots; errors back off 2, 4, 8 s; success waits the TTL clipped to
/// [60, 900] s.
#[test]
fn public_root_requests_back_off() {
    let t0 = Instant::now();
    let mut c = cfg(Targets { root: 5, known: 20, established: 0, active: 0 });
    c.peer_sharing = false;
    let mut g = Governor::new(c, 4);
    g.handle_timeout(t0);
    assert_eq!(actions(&mut g), vec![GovernorAction::RequestPublicRoots { count: 5 }]);
    let mut now = t0;
    for expect in [2, 4, 8] {
        g.handle_input(
            now,
            GovernorInput::PublicRootsResult { result: Err(LookupFailed), ttl: Duration::ZERO },
        );
        assert_eq!(g.poll_timeout(), Some(now + Duration::from_secs(expect)));
        now += Duration::from_secs(expect);
        g.handle_timeout(now);
        assert_eq!(actions(&mut g), vec![GovernorAction::RequestPublicRoots { count: 5 }]);
    }
    let roots = vec![a(3, 1), a(3, 2)];
    g.handle_input(now, GovernorInput::PublicRootsResult { result: Ok(roots), ttl: Duration::from_secs(5) });
    assert_eq!(g.counters().public_roots, 2);
    assert_eq!(g.public_root_request_state(), (false, Some(now + Duration::from_secs(60))));
    g.check_invariants().unwrap();
}

/// §2.2, §6.1: insane targets are ignored with a trace.
#[test]
fn insane_targets_input_is_ignored() {
    let t0 = Instant::now();
    let base = Targets { root: 1, known: 10, established: 3, active: 2 };
    let mut g = Governor::new(cfg(base), 5);
    g.handle_timeout(t0);
    let bad = Targets { active: 4, ..base };
    g.handle_input(t0, GovernorInput::TargetsChanged(bad));
    assert_eq!(g.configured_targets(), base);
    assert_eq!(g.targets(), base);
    assert!(events(&mut g).iter().any(|e| matches!(e, GovernorEvent::TargetsRejected { .. })));
}

/// §4.1: groups made disjoint, valencies clamped to size, total clamped to the known target.
#[test]
fn local_roots_are_normalised() {
    let t0 = Instant::now();
    let m = |addr| LocalRootPeer { addr, advertise: false, trustable: false, behind_firewall: false };
    let mut c = cfg(Targets { root: 0, known: 4, established: 0, active: 0 });
    c.local_roots = vec![
        LocalRootGroup { hot_valency: 5, warm_valency: 9, members: vec![m(a(4, 1)), m(a(4, 2))] },
        // a(4, 2) already belongs to group 0.
        LocalRootGroup { hot_valency: 1, warm_valency: 2, members: vec![m(a(4, 2)), m(a(4, 3)), m(a(4, 4))] },
        // No room left under the known target of 4.
        LocalRootGroup { hot_valency: 1, warm_valency: 1, members: vec![m(a(4, 5))] },
    ];
    let mut g = Governor::new(c, 6);
    g.handle_timeout(t0);
    let groups = g.local_roots();
    assert_eq!(groups.len(), 2);
    assert_eq!((groups[0].hot_valency, groups[0].warm_valency, groups[0].members.len()), (2, 2, 2));
    assert_eq!((groups[1].hot_valency, groups[1].warm_valency, groups[1].members.len()), (1, 2, 2));
    assert!(g.peer(&a(4, 5)).is_none());
    // Local roots are pursued even with an established target of 0 (§2.1).
    let acts = actions(&mut g);
    assert_eq!(acts.iter().filter(|x| matches!(x, GovernorAction::Connect(_))).count(), 4);
    g.check_invariants().unwrap();
}

/// §5.1: completions that no longer match are aborted; an unexpected connection is closed.
#[test]
fn stale_completions_are_aborted() {
    let t0 = Instant::now();
    let mut g = Governor::new(cfg(Targets { root: 0, known: 10, established: 0, active: 0 }), 7);
    g.handle_timeout(t0);
    let p = a(5, 1);
    learn(&mut g, t0, &[p], None);
    g.handle_input(t0, GovernorInput::Activated { peer: p });
    g.handle_input(t0, GovernorInput::ConnectSucceeded { peer: p, sharing: true });
    assert_eq!(actions(&mut g), vec![GovernorAction::Close(p)]);
    let ev = events(&mut g);
    assert!(ev.contains(&GovernorEvent::Aborted { peer: p, completion: "Activated" }));
    assert!(ev.contains(&GovernorEvent::Aborted { peer: p, completion: "ConnectSucceeded" }));
    assert_eq!(g.peer(&p).unwrap().state, PeerState::Cold);
    g.check_invariants().unwrap();
}

/// §16.5: a /16 already holding two established or connecting peers is avoided while others
/// are available; and the hop buckets are filled evenly.
#[test]
fn cold_to_warm_picks_are_diverse() {
    let t0 = Instant::now();
    let mut c = cfg(Targets { root: 0, known: 1000, established: 8, active: 0 });
    c.peer_sharing = false;
    let mut g = Governor::new(c, 8);
    g.handle_timeout(t0);
    // 200 peers in one /16 at hop 1, 20 peers each in its own /16 at hop 5.
    let crowded: Vec<SocketAddr> = (0..200).map(|i| a(0, i as u8)).collect();
    let spread: Vec<SocketAddr> = (1..=20).map(|i| a(i, 0)).collect();
    let mut peers: Vec<LearnedPeer> =
        crowded.iter().map(|&addr| LearnedPeer { addr, hops: Some(1) }).collect();
    peers.extend(spread.iter().map(|&addr| LearnedPeer { addr, hops: Some(5) }));
    g.handle_input(t0, GovernorInput::PeersLearned { from: None, peers });
    let dialled: Vec<SocketAddr> = actions(&mut g)
        .into_iter()
        .filter_map(|x| if let GovernorAction::Connect(p) = x { Some(p) } else { None })
        .collect();
    assert_eq!(dialled.len(), 8);
    let same_prefix = dialled.iter().filter(|p| crowded.contains(p)).count();
    assert!(same_prefix <= 2, "{same_prefix} of 8 picks from one /16");
    // Hop buckets 1 and 4+ are filled evenly.
    assert_eq!(dialled.iter().filter(|p| spread.contains(p)).count(), 8 - same_prefix);
    assert!(8 - same_prefix >= 4);
    g.check_invariants().unwrap();
}

/// §16.5 "long link": one hot peer comes from the slowest RTT tercile.
#[test]
fn one_hot_peer_is_a_long_link() {
    let t0 = Instant::now();
    let peers: Vec<SocketAddr> = (1..=9).map(|i| a(i, 1)).collect();
    // Connect all nine with no active target, feed RTTs, then ask for three hot peers.
    let rtt: HashMap<SocketAddr, Duration> =
        peers.iter().enumerate().map(|(i, p)| (*p, Duration::from_millis(10 + 100 * i as u64))).collect();
    let mut g2 = Governor::new(
        GovernorConfig {
            targets: Targets { root: 0, known: 20, established: 9, active: 0 },
            ..cfg(Targets::ZERO)
        },
        9,
    );
    g2.handle_timeout(t0);
    learn(&mut g2, t0, &peers, None);
    for x in actions(&mut g2) {
        if let GovernorAction::Connect(p) = x {
            g2.handle_input(t0, GovernorInput::ConnectSucceeded { peer: p, sharing: false });
            g2.handle_input(
                t0,
                GovernorInput::PeerMetrics { peer: p, rtt: Some(rtt[&p]), relay_score: None },
            );
        }
    }
    g2.handle_input(
        t0,
        GovernorInput::TargetsChanged(Targets { root: 0, known: 20, established: 9, active: 3 }),
    );
    let activated: Vec<SocketAddr> = actions(&mut g2)
        .into_iter()
        .filter_map(|x| if let GovernorAction::Activate(p) = x { Some(p) } else { None })
        .collect();
    assert_eq!(activated.len(), 3);
    let slow = activated.iter().filter(|p| rtt[p] >= Duration::from_millis(610)).count();
    assert!(slow >= 1, "no long link among {activated:?}");
    let fast = activated.iter().filter(|p| rtt[p] < Duration::from_millis(410)).count();
    assert!(fast >= 1, "low RTT not preferred: {activated:?}");
    g2.check_invariants().unwrap();
}

/// Limits: one gossip input considers at most MAX_LEARNED_PER_INPUT addresses; undrained events
/// are bounded; forgetting a large surplus proceeds MAX_FORGET_PER_DECISION at a time.
#[test]
fn limits_bound_work_and_memory() {
    let t0 = Instant::now();
    let mut c = cfg(Targets { root: 0, known: 5000, established: 0, active: 0 });
    c.peer_sharing = false;
    let mut g = Governor::new(c, 10);
    g.handle_timeout(t0);
    let many: Vec<SocketAddr> =
        (0..3000u32).map(|i| SocketAddr::new(Ipv4Addr::from(0x0a00_0000 + i).into(), 51235)).collect();
    learn(&mut g, t0, &many, Some(3));
    assert_eq!(g.counters().known, MAX_LEARNED_PER_INPUT);
    for chunk in many.chunks(MAX_LEARNED_PER_INPUT) {
        learn(&mut g, t0, chunk, Some(3));
    }
    assert_eq!(g.counters().known, 3000);
    let _ = events(&mut g);
    g.handle_input(
        t0,
        GovernorInput::TargetsChanged(Targets { root: 0, known: 10, established: 0, active: 0 }),
    );
    assert_eq!(g.counters().known, 10, "surplus worked off over several decisions");
    let ev = events(&mut g);
    let forgets = ev.iter().filter(|e| matches!(e, GovernorEvent::Forgot { .. })).count();
    assert!(ev.len() <= MAX_PENDING_EVENTS);
    assert!(forgets > MAX_FORGET_PER_DECISION);
    assert!(g.events_dropped() > 0 || forgets == 2990);
    g.check_invariants().unwrap();
}

/// Limits: the quarantine remembers at most MAX_QUARANTINE addresses (oldest dropped first), and
/// one public-root result adds at most MAX_PUBLIC_ROOTS_PER_RESULT roots.
#[test]
fn quarantine_and_public_root_results_are_bounded() {
    use protocol_core::governor::{MAX_PUBLIC_ROOTS_PER_RESULT, MAX_QUARANTINE};
    let t0 = Instant::now();
    let mut c = cfg(Targets { root: 1500, known: 5000, established: 0, active: 0 });
    c.peer_sharing = false;
    let mut g = Governor::new(c, 11);
    g.handle_timeout(t0);
    let addr = |i: u32| SocketAddr::new(Ipv4Addr::from(0x0c00_0000 + i).into(), 51235);
    for i in 0..=MAX_QUARANTINE as u32 {
        g.handle_input(t0, GovernorInput::Misbehaved { peer: addr(i) });
    }
    learn(&mut g, t0, &[addr(0), addr(1)], None);
    assert!(g.peer(&addr(0)).is_some(), "oldest quarantine entry dropped");
    assert!(g.peer(&addr(1)).is_none(), "newer entries kept");
    assert_eq!(actions(&mut g), vec![GovernorAction::RequestPublicRoots { count: 1500 }]);
    let many: Vec<SocketAddr> = (0..1500u32).map(|i| addr(100_000 + i)).collect();
    g.handle_input(t0, GovernorInput::PublicRootsResult { result: Ok(many), ttl: Duration::from_secs(60) });
    assert_eq!(g.counters().public_roots, MAX_PUBLIC_ROOTS_PER_RESULT);
    g.check_invariants().unwrap();
}
