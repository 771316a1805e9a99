//! PeerFinder rules, each with explicit time and a seeded RNG (peerfinder.md §2–§8, §13).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use protocol_core::config::NodeConfig;
use protocol_core::keys::{NodeKeyPair, Seed};
use protocol_core::peerfinder::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn key(n: u32) -> protocol_core::keys::NodePublicKey {
    *NodeKeyPair::from_seed(&Seed::from_passphrase(&format!("node {n}"))).public()
}

fn rng() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(7)
}

fn cfg(peers_max: Option<usize>, port: u16, private: bool) -> PeerFinderConfig {
    PeerFinderConfig::compute(&LimitsInput {
        peers_max,
        listening_port: port,
        peer_private: private,
        ..Default::default()
    })
}

const LOCAL: &str = "192.0.2.1:51235";

// --- §3 capacity ---------------------------------------------------------------------------

#[test]
fn in_out_split_matches_the_spec_table() {
    // peerfinder.md §3.1 table.
    for (max, out, inn) in
        [(None, 10, 11), (Some(10), 10, 0), (Some(50), 10, 40), (Some(100), 15, 85), (Some(200), 30, 170)]
    {
        let c = cfg(max, 51235, false);
        assert_eq!((c.out_max(), c.in_max()), (out, inn), "{max:?}");
    }
    // Below the minimum and zero both mean "at least 10" / "21".
    assert_eq!(cfg(Some(3), 51235, false).max_peers, 10);
    assert_eq!(cfg(Some(0), 51235, false).max_peers, 21);
    // Rounding: 15 % of 70 = 10.5 → 11; of 63 = 9.45 → 10 (the minimum anyway); of 110 = 16.5 → 17.
    assert_eq!(calc_out_peers(70), 11);
    assert_eq!(calc_out_peers(110), 17);
    assert_eq!(calc_out_peers(103), 15);
}

#[test]
fn private_or_portless_nodes_take_no_inbound() {
    let p = cfg(Some(50), 51235, true);
    assert_eq!((p.out_max(), p.in_max(), p.want_incoming, p.auto_connect), (50, 0, false, false));
    let noport = cfg(Some(50), 0, false);
    assert_eq!((noport.out_max(), noport.in_max(), noport.auto_connect), (50, 0, true));
    let v =
        PeerFinderConfig::compute(&LimitsInput { listening_port: 1, validator: true, ..Default::default() });
    assert!(v.peer_private && v.want_incoming && v.auto_connect, "validators only hide their IP (§9)");
    let s =
        PeerFinderConfig::compute(&LimitsInput { listening_port: 1, standalone: true, ..Default::default() });
    assert!(!s.auto_connect);
}

#[test]
fn explicit_in_out_pair() {
    let c = PeerFinderConfig::compute(&LimitsInput {
        peers_in_max: Some(7),
        peers_out_max: Some(12),
        listening_port: 1,
        ..Default::default()
    });
    assert_eq!((c.max_peers, c.out_max(), c.in_max()), (0, 12, 7));
}

#[test]
fn automatic_and_configured_ip_limit() {
    // §3.2: 2 + min(5, in/21) when in > 21, then max(1, min(limit, in/2)).
    assert_eq!(cfg(None, 1, false).ip_limit, 2); // in 11
    assert_eq!(cfg(Some(100), 1, false).ip_limit, 6); // in 85: 2 + 4
    assert_eq!(cfg(Some(200), 1, false).ip_limit, 7); // in 170: 2 + min(5, 8)
    assert_eq!(cfg(Some(10), 1, false).ip_limit, 1); // in 0
    let c =
        PeerFinderConfig::compute(&LimitsInput { ip_limit: 100, listening_port: 1, ..Default::default() });
    assert_eq!(c.ip_limit, 5); // in 11 / 2
}

#[test]
fn from_node_config() {
    let nc = NodeConfig::parse("[peers_max]\n100\n[overlay]\nip_limit = 3\n").unwrap();
    let c = PeerFinderConfig::from_node_config(&nc, false, false);
    assert_eq!((c.out_max(), c.in_max(), c.ip_limit, c.listening_port), (15, 85, 3, 51235));
}

// --- §2, §3.2, §11 slots --------------------------------------------------------------------

#[test]
fn per_ip_inbound_limit_applies_to_public_sources_only() {
    let now = Instant::now();
    let mut pf = PeerFinder::new(cfg(None, 51235, false), now); // ip_limit 2
    pf.new_inbound_slot(sa(LOCAL), sa("203.0.113.5:1000")).unwrap();
    pf.new_inbound_slot(sa(LOCAL), sa("203.0.113.5:1001")).unwrap();
    assert_eq!(
        pf.new_inbound_slot(sa(LOCAL), sa("203.0.113.5:1002")),
        Err(PeerFinderError::IpLimitExceeded("203.0.113.5".parse().unwrap()))
    );
    // Outbound slots to that IP count too ("any direction").
    pf.new_outbound_slot(sa("203.0.113.6:51235")).unwrap();
    pf.new_inbound_slot(sa(LOCAL), sa("203.0.113.6:1000")).unwrap();
    assert!(pf.new_inbound_slot(sa(LOCAL), sa("203.0.113.6:1001")).is_err());
    for port in 1000..1010 {
        pf.new_inbound_slot(sa(LOCAL), SocketAddr::new("10.0.0.9".parse().unwrap(), port)).unwrap();
    }
}

#[test]
fn duplicate_remote_endpoints_are_refused() {
    let now = Instant::now();
    let mut pf = PeerFinder::new(cfg(Some(100), 51235, false), now);
    pf.new_inbound_slot(sa(LOCAL), sa("10.0.0.1:5")).unwrap();
    assert_eq!(
        pf.new_inbound_slot(sa(LOCAL), sa("10.0.0.1:5")),
        Err(PeerFinderError::DuplicateEndpoint(sa("10.0.0.1:5")))
    );
    pf.new_outbound_slot(sa("10.0.0.2:51235")).unwrap();
    assert!(pf.new_outbound_slot(sa("10.0.0.2:51235")).is_err());
}

#[test]
fn self_connection_is_detected_by_local_endpoint() {
    let now = Instant::now();
    let mut pf = PeerFinder::new(cfg(None, 51235, false), now);
    // We dial our own public address; the accept side sees our ephemeral port as remote.
    pf.new_outbound_slot(sa("198.51.100.1:51235")).unwrap();
    pf.new_inbound_slot(sa("198.51.100.1:51235"), sa("198.51.100.1:40000")).unwrap();
    assert_eq!(
        pf.on_connected(sa("198.51.100.1:51235"), sa("198.51.100.1:40000")),
        Err(PeerFinderError::SelfConnection(sa("198.51.100.1:40000")))
    );
    pf.new_outbound_slot(sa("198.51.100.2:51235")).unwrap();
    pf.on_connected(sa("198.51.100.2:51235"), sa("192.0.2.1:40001")).unwrap();
    assert_eq!(pf.slot(&sa("198.51.100.2:51235")).unwrap().state, SlotState::Connected);
}

#[test]
fn activation_results() {
    let now = Instant::now();
    // peers_max 10 ⇒ out 10, in 0: inbound disabled.
    let mut pf = PeerFinder::new(cfg(Some(10), 51235, false), now);
    pf.new_inbound_slot(sa(LOCAL), sa("10.0.0.1:1")).unwrap();
    assert_eq!(pf.activate(sa("10.0.0.1:1"), key(1), false, now), Ok(Activation::InboundDisabled));
    // Reserved (cluster) slots bypass the limit.
    assert_eq!(pf.activate(sa("10.0.0.1:1"), key(1), true, now), Ok(Activation::Success));
    assert_eq!(pf.counts().in_active, 0, "reserved slots are not counted");
    assert_eq!(pf.counts().reserved_active, 1);

    // Default: in 11.
    let mut pf = PeerFinder::new(cfg(None, 51235, false), now);
    for i in 0..11u32 {
        let r = SocketAddr::new("10.1.0.1".parse().unwrap(), 1000 + i as u16);
        pf.new_inbound_slot(sa(LOCAL), r).unwrap();
        assert_eq!(pf.activate(r, key(i), false, now), Ok(Activation::Success));
    }
    pf.new_inbound_slot(sa(LOCAL), sa("10.1.0.1:2000")).unwrap();
    assert_eq!(pf.activate(sa("10.1.0.1:2000"), key(99), false, now), Ok(Activation::Full));
    // Duplicate node key is checked first.
    assert_eq!(pf.activate(sa("10.1.0.1:2000"), key(3), false, now), Ok(Activation::DuplicatePeer));
    // Activating an active slot again is a state error, not a panic.
    assert_eq!(
        pf.activate(sa("10.1.0.1:1000"), key(50), false, now),
        Err(PeerFinderError::WrongState(sa("10.1.0.1:1000")))
    );
    assert_eq!(
        pf.activate(sa("10.9.9.9:1"), key(50), false, now),
        Err(PeerFinderError::UnknownSlot(sa("10.9.9.9:1")))
    );
}

#[test]
fn fixed_inbound_by_ip_bypasses_limits() {
    let now = Instant::now();
    let mut pf = PeerFinder::new(cfg(Some(10), 51235, false), now); // in_max 0
    pf.add_fixed_peer(sa("10.2.0.1:51235"), now).unwrap();
    pf.new_inbound_slot(sa(LOCAL), sa("10.2.0.1:45000")).unwrap();
    assert!(pf.slot(&sa("10.2.0.1:45000")).unwrap().fixed);
    assert_eq!(pf.activate(sa("10.2.0.1:45000"), key(1), false, now), Ok(Activation::Success));
    assert_eq!(pf.add_fixed_peer(sa("10.2.0.2:0"), now), Err(PeerFinderError::PortZero(sa("10.2.0.2:0"))));
}

#[test]
fn outbound_full_still_counts_as_bootcache_success() {
    let now = Instant::now();
    let mut pf = PeerFinder::new(cfg(None, 51235, false), now); // out 10
    for i in 0..11u32 {
        let r = SocketAddr::new(format!("198.51.100.{}", i + 1).parse().unwrap(), 51235);
        pf.new_outbound_slot(r).unwrap();
        pf.on_connected(r, SocketAddr::new("192.0.2.1".parse().unwrap(), 40000 + i as u16)).unwrap();
        let want = if i < 10 { Activation::Success } else { Activation::Full };
        assert_eq!(pf.activate(r, key(i), false, now), Ok(want));
        assert_eq!(pf.bootcache().valence(&r), Some(1));
    }
}

#[test]
fn closing_before_activation_is_a_bootcache_failure() {
    let now = Instant::now();
    let mut pf = PeerFinder::new(cfg(None, 51235, false), now);
    let r = sa("198.51.100.9:51235");
    pf.new_outbound_slot(r).unwrap();
    pf.on_closed(r, now).unwrap();
    assert_eq!(pf.bootcache().valence(&r), Some(-1));
    pf.new_outbound_slot(r).unwrap();
    pf.on_closed(r, now).unwrap();
    assert_eq!(pf.bootcache().valence(&r), Some(-2));
    assert!(pf.slot(&r).is_none());
}

// --- §4 autoconnect, §4.1 fixed back-off ----------------------------------------------------

#[test]
fn fixed_peer_backoff_follows_the_fibonacci_table() {
    let t0 = Instant::now();
    let mut r = rng();
    // Private: only fixed peers are dialled. (A failed fixed attempt is also a Bootcache
    // failure, and rippled's Bootcache step would redial it regardless of the back-off.)
    let mut pf = PeerFinder::new(cfg(None, 51235, true), t0);
    let f = sa("198.51.100.50:51235");
    pf.add_fixed_peer(f, t0).unwrap();
    let mut now = t0;
    let mut waits = vec![];
    for _ in 0..11 {
        assert_eq!(pf.autoconnect(now, &mut r), vec![f]);
        pf.new_outbound_slot(f).unwrap();
        pf.on_closed(f, now).unwrap();
        let (when, _) = pf.fixed_peer_state(&f).unwrap();
        let wait = when - now;
        waits.push(wait.as_secs() / 60);
        // Not eligible one second before the back-off ends (and the recent-attempt set expires).
        now = when - Duration::from_secs(1);
        pf.once_per_second(now);
        assert!(pf.autoconnect(now, &mut r).is_empty());
        now = when;
        pf.once_per_second(now);
    }
    assert_eq!(waits, [1, 2, 3, 5, 8, 13, 21, 34, 55, 55, 55]);

    // Reaching active resets the counter; a later disconnect allows an immediate retry.
    assert_eq!(pf.autoconnect(now, &mut r), vec![f]);
    pf.new_outbound_slot(f).unwrap();
    pf.on_connected(f, sa("192.0.2.1:40000")).unwrap();
    assert_eq!(pf.activate(f, key(1), false, now), Ok(Activation::Success));
    assert_eq!(pf.fixed_peer_state(&f).unwrap(), (now, 0));
    pf.on_closed(f, now).unwrap();
    assert_eq!(pf.fixed_peer_state(&f).unwrap(), (now, 0));
}

#[test]
fn recent_attempts_are_not_redialled_for_60_seconds() {
    let t0 = Instant::now();
    let mut r = rng();
    let mut pf = PeerFinder::new(cfg(None, 51235, false), t0);
    let a = sa("198.51.100.7:51235");
    pf.add_bootstrap_addresses([a]);
    assert_eq!(pf.autoconnect(t0, &mut r), vec![a]);
    // The attempt failed immediately; the address stays squelched.
    pf.new_outbound_slot(a).unwrap();
    pf.on_closed(a, t0).unwrap();
    pf.once_per_second(t0 + Duration::from_secs(59));
    assert!(pf.autoconnect(t0 + Duration::from_secs(59), &mut r).is_empty());
    pf.once_per_second(t0 + Duration::from_secs(60));
    assert_eq!(pf.autoconnect(t0 + Duration::from_secs(60), &mut r), vec![a]);
}

#[test]
fn autoconnect_order_fixed_then_livecache_then_bootcache() {
    let t0 = Instant::now();
    let mut r = rng();
    let mut pf = PeerFinder::new(cfg(None, 51235, false), t0);
    let fixed = sa("198.51.100.1:51235");
    let boot = sa("198.51.100.2:51235");
    pf.add_fixed_peer(fixed, t0).unwrap();
    pf.add_bootstrap_addresses([boot]);
    assert_eq!(pf.autoconnect(t0, &mut r), vec![fixed]);
    // With the fixed attempt in flight and no eligible fixed peer, wait.
    pf.new_outbound_slot(fixed).unwrap();
    assert!(pf.autoconnect(t0, &mut r).is_empty());
    pf.on_connected(fixed, sa("192.0.2.1:40000")).unwrap();
    pf.activate(fixed, key(1), false, t0).unwrap();
    // Now the Livecache, highest hops first.
    let src = fixed;
    let list =
        vec![HopEndpoint::new(sa("203.0.113.10:51235"), 1), HopEndpoint::new(sa("203.0.113.11:51235"), 5)];
    pf.on_endpoints(src, list, t0, &mut r).unwrap();
    assert_eq!(pf.autoconnect(t0, &mut r), vec![sa("203.0.113.11:51235"), sa("203.0.113.10:51235")]);
    // Both are squelched now and in flight? No: not dialled yet, but squelched; Bootcache next.
    assert_eq!(pf.autoconnect(t0, &mut r), vec![boot]);
    assert!(pf.autoconnect(t0, &mut r).is_empty());
}

#[test]
fn private_node_dials_only_fixed_peers() {
    let t0 = Instant::now();
    let mut r = rng();
    let mut pf = PeerFinder::new(cfg(None, 51235, true), t0);
    pf.add_bootstrap_addresses([sa("198.51.100.2:51235")]);
    assert!(pf.autoconnect(t0, &mut r).is_empty());
    pf.add_fixed_peer(sa("198.51.100.3:51235"), t0).unwrap();
    assert_eq!(pf.autoconnect(t0, &mut r), vec![sa("198.51.100.3:51235")]);
}

#[test]
fn at_most_20_attempts_in_flight_and_bootcache_waits_for_them() {
    let t0 = Instant::now();
    let mut r = rng();
    let mut pf = PeerFinder::new(cfg(Some(200), 51235, false), t0);
    let addrs: Vec<SocketAddr> =
        (1..=30).map(|i| SocketAddr::new(format!("203.0.113.{i}").parse().unwrap(), 51235)).collect();
    pf.add_bootstrap_addresses(addrs.clone());
    assert_eq!(pf.autoconnect(t0, &mut r).len(), MAX_CONNECT_ATTEMPTS);

    // Livecache: 30 gossiped addresses, 5 attempts in flight ⇒ 15 more.
    let mut pf = PeerFinder::new(cfg(Some(200), 51235, false), t0);
    let src = active_outbound(&mut pf, "198.51.100.200:51235", 1, t0);
    pf.on_endpoints(src, addrs.iter().map(|a| HopEndpoint::new(*a, 2)).collect(), t0, &mut r).unwrap();
    for i in 1..=5 {
        pf.new_outbound_slot(SocketAddr::new(format!("198.51.100.{i}").parse().unwrap(), 51235)).unwrap();
    }
    let dial = pf.autoconnect(t0, &mut r);
    assert_eq!(dial.len(), MAX_CONNECT_ATTEMPTS - 5);
    // The other 15 gossiped addresses are not squelched yet.
    let more = pf.autoconnect(t0, &mut r);
    assert_eq!(more.len(), 15);
    assert!(more.iter().all(|a| !dial.contains(a)));
    // Livecache exhausted (all squelched) with attempts in flight: wait, even with a fresh
    // Bootcache entry (rippled Logic::autoconnect step 2).
    pf.add_bootstrap_addresses([sa("198.51.100.99:51235")]);
    assert!(pf.autoconnect(t0, &mut r).is_empty());
}

// --- §6 Livecache and TMEndpoints ----------------------------------------------------------

#[test]
fn livecache_insert_rules_and_30s_expiry() {
    let t0 = Instant::now();
    let mut lc = Livecache::new();
    let a = sa("203.0.113.1:51235");
    assert_eq!(lc.insert(HopEndpoint::new(a, 3), t0), LiveInsert::New);
    assert_eq!(
        lc.insert(HopEndpoint::new(a, 4), t0 + Duration::from_secs(20)),
        LiveInsert::IgnoredHigherHops
    );
    // Ignored inserts do not refresh: still expires at t0 + 30.
    lc.expire(t0 + Duration::from_secs(29));
    assert_eq!(lc.len(), 1);
    lc.expire(t0 + Duration::from_secs(30));
    assert!(lc.is_empty());
    assert_eq!(lc.insert(HopEndpoint::new(a, 3), t0), LiveInsert::New);
    assert_eq!(lc.insert(HopEndpoint::new(a, 3), t0 + Duration::from_secs(20)), LiveInsert::Refreshed);
    assert_eq!(lc.insert(HopEndpoint::new(a, 2), t0 + Duration::from_secs(25)), LiveInsert::Improved);
    assert_eq!(lc.hops_of(&a), Some(2));
    assert_eq!(lc.histogram()[2], 1);
    lc.expire(t0 + Duration::from_secs(54));
    assert_eq!(lc.len(), 1);
    lc.expire(t0 + Duration::from_secs(55));
    assert!(lc.is_empty());
    assert_eq!(lc.insert(HopEndpoint::new(a, 8), t0), LiveInsert::OutOfRange);
}

fn active_outbound(pf: &mut PeerFinder, remote: &str, n: u32, now: Instant) -> SocketAddr {
    let r = sa(remote);
    pf.new_outbound_slot(r).unwrap();
    pf.on_connected(r, SocketAddr::new("192.0.2.1".parse().unwrap(), 40000 + n as u16)).unwrap();
    assert_eq!(pf.activate(r, key(n), false, now), Ok(Activation::Success));
    r
}

#[test]
fn received_endpoints_are_preprocessed_like_rippled() {
    let t0 = Instant::now();
    let mut r = rng();
    let mut pf = PeerFinder::new(cfg(None, 51235, false), t0);
    let peer = active_outbound(&mut pf, "198.51.100.1:51235", 1, t0);
    let list = vec![
        HopEndpoint::new(sa("[::]:51235"), 0),        // self: gets the socket IP
        HopEndpoint::new(sa("0.0.0.0:9999"), 0),      // extra self: dropped
        HopEndpoint::new(sa("203.0.113.1:51235"), 6), // stored at 7
        HopEndpoint::new(sa("203.0.113.2:51235"), 7), // too many hops
        HopEndpoint::new(sa("10.0.0.1:51235"), 1),    // private
        HopEndpoint::new(sa("203.0.113.3:0"), 1),     // port 0
        HopEndpoint::new(sa("203.0.113.4:51235"), 2),
        HopEndpoint::new(sa("203.0.113.4:51235"), 3), // duplicate
        HopEndpoint::new(sa("[2001:db8::5]:51235"), 1),
        HopEndpoint::new(sa("[fe80::1]:51235"), 1), // link-local
    ];
    let out = pf.on_endpoints(peer, list, t0, &mut r).unwrap();
    // Outbound slots count as checked: no connectivity check needed.
    assert_eq!(out, EndpointsOutcome::Accepted { stored: 4, connectivity_check: None });
    let lc = pf.livecache();
    assert_eq!(lc.hops_of(&sa("198.51.100.1:51235")), Some(1));
    assert_eq!(lc.hops_of(&sa("203.0.113.1:51235")), Some(7));
    assert_eq!(lc.hops_of(&sa("203.0.113.4:51235")), Some(3));
    assert_eq!(lc.hops_of(&sa("[2001:db8::5]:51235")), Some(2));
    assert_eq!(lc.len(), 4);
    assert_eq!(pf.bootcache().valence(&sa("203.0.113.4:51235")), Some(0));

    // Rate limit: next accepted message only 151 s later.
    let again = vec![HopEndpoint::new(sa("203.0.113.9:51235"), 1)];
    assert_eq!(
        pf.on_endpoints(peer, again.clone(), t0 + Duration::from_secs(150), &mut r),
        Ok(EndpointsOutcome::RateLimited)
    );
    assert!(matches!(
        pf.on_endpoints(peer, again, t0 + Duration::from_secs(151), &mut r),
        Ok(EndpointsOutcome::Accepted { stored: 1, .. })
    ));
}

#[test]
fn endpoint_list_limits() {
    let t0 = Instant::now();
    let mut r = rng();
    let mut pf = PeerFinder::new(cfg(None, 51235, false), t0);
    let peer = active_outbound(&mut pf, "198.51.100.1:51235", 1, t0);
    let many = |n: usize| -> Vec<HopEndpoint> {
        (0..n)
            .map(|i| {
                HopEndpoint::new(
                    SocketAddr::new(format!("203.0.{}.{}", i / 200, i % 200 + 1).parse().unwrap(), 51235),
                    2,
                )
            })
            .collect()
    };
    assert_eq!(pf.on_endpoints(peer, many(1024), t0, &mut r), Err(PeerFinderError::TooManyEndpoints(1024)));
    assert_eq!(
        pf.on_endpoints(peer, many(1023), t0, &mut r),
        Ok(EndpointsOutcome::Accepted { stored: NUMBER_OF_ENDPOINTS_MAX, connectivity_check: None })
    );
}

#[test]
fn inbound_neighbour_gets_a_connectivity_check_first() {
    let t0 = Instant::now();
    let mut r = rng();
    let mut pf = PeerFinder::new(cfg(None, 51235, false), t0);
    let peer = sa("198.51.100.8:40123");
    pf.new_inbound_slot(sa(LOCAL), peer).unwrap();
    pf.activate(peer, key(1), false, t0).unwrap();
    let me = vec![HopEndpoint::new(sa("[::]:51235"), 0)];
    assert_eq!(
        pf.on_endpoints(peer, me.clone(), t0, &mut r),
        Ok(EndpointsOutcome::Accepted { stored: 0, connectivity_check: Some(sa("198.51.100.8:51235")) })
    );
    pf.check_complete(peer, sa("198.51.100.8:51235"), true);
    assert_eq!(pf.slot(&peer).unwrap().listening_port, Some(51235));
    let t1 = t0 + SECONDS_PER_MESSAGE;
    assert_eq!(
        pf.on_endpoints(peer, me, t1, &mut r),
        Ok(EndpointsOutcome::Accepted { stored: 1, connectivity_check: None })
    );
    assert_eq!(pf.livecache().hops_of(&sa("198.51.100.8:51235")), Some(1));

    // A failed check: the address is a Bootcache failure and never cached from this slot.
    let other = sa("198.51.100.9:40000");
    pf.new_inbound_slot(sa(LOCAL), other).unwrap();
    pf.activate(other, key(2), false, t0).unwrap();
    let me = vec![HopEndpoint::new(sa("[::]:51235"), 0)];
    pf.on_endpoints(other, me.clone(), t0, &mut r).unwrap();
    pf.check_complete(other, sa("198.51.100.9:51235"), false);
    assert_eq!(pf.bootcache().valence(&sa("198.51.100.9:51235")), Some(-1));
    assert_eq!(
        pf.on_endpoints(other, me, t1, &mut r),
        Ok(EndpointsOutcome::Accepted { stored: 0, connectivity_check: None })
    );
}

#[test]
fn outgoing_endpoints_follow_rippled_handout_rules() {
    let t0 = Instant::now();
    let mut r = rng();
    let mut pf = PeerFinder::new(cfg(None, 51235, false), t0);
    let a = active_outbound(&mut pf, "198.51.100.1:51235", 1, t0);
    let b = active_outbound(&mut pf, "198.51.100.2:51235", 2, t0);
    // A tells us about 20 addresses (hops 1..=6 after increment 2..=7), plus B's IP.
    let mut list: Vec<HopEndpoint> = (1..=20)
        .map(|i| {
            HopEndpoint::new(
                SocketAddr::new(format!("203.0.113.{i}").parse().unwrap(), 51235),
                (i % 7) as u32,
            )
        })
        .collect();
    list.push(HopEndpoint::new(sa("198.51.100.2:51235"), 3));
    pf.on_endpoints(a, list, t0, &mut r).unwrap();

    let out = pf.build_endpoints_for_peers(t0, &mut r);
    assert_eq!(out.len(), 2);
    for (to, eps) in &out {
        assert!(eps.len() <= NUMBER_OF_ENDPOINTS, "{}", eps.len());
        // Self entry first, hops 0, unspecified IPv6 with our port.
        assert_eq!(eps[0], HopEndpoint::new(sa("[::]:51235"), 0));
        for e in &eps[1..] {
            assert!(e.hops >= 1 && e.hops <= MAX_HOPS);
            assert_ne!(e.addr.ip(), to.ip(), "never a peer's own address");
        }
        let mut ips: Vec<_> = eps.iter().map(|e| e.addr.ip()).collect();
        ips.dedup();
        assert_eq!(ips.len(), eps.len());
        if *to == a {
            // Everything A told us is in its recent cache at ≤ that hop count: nothing to send back.
            assert_eq!(eps.len(), 1);
        } else {
            assert_eq!(*to, b);
            assert_eq!(eps.len(), NUMBER_OF_ENDPOINTS);
        }
    }
    // The next broadcast is 151 s later.
    assert!(pf.build_endpoints_for_peers(t0 + Duration::from_secs(150), &mut r).is_empty());
    assert_eq!(pf.build_endpoints_for_peers(t0 + SECONDS_PER_MESSAGE, &mut r).len(), 2);
}

#[test]
fn recent_cache_stops_repeats_within_30s() {
    let t0 = Instant::now();
    let mut r = rng();
    let mut pf = PeerFinder::new(cfg(Some(10), 51235, false), t0); // in_max 0: no self entry
    let a = active_outbound(&mut pf, "198.51.100.1:51235", 1, t0);
    let b = active_outbound(&mut pf, "198.51.100.2:51235", 2, t0);
    pf.on_endpoints(a, vec![HopEndpoint::new(sa("203.0.113.1:51235"), 1)], t0, &mut r).unwrap();
    let first = pf.build_endpoints_for_peers(t0, &mut r);
    let to_b: Vec<_> = first.iter().filter(|(to, _)| *to == b).flat_map(|(_, e)| e.clone()).collect();
    assert_eq!(to_b, [HopEndpoint::new(sa("203.0.113.1:51235"), 2)]);
    // Keep the Livecache entry alive, and check B does not get it again within 30 s.
    let mut rc = RecentCache::default();
    rc.insert(sa("203.0.113.1:51235"), 2, t0);
    assert!(rc.filter(&sa("203.0.113.1:51235"), 2));
    assert!(rc.filter(&sa("203.0.113.1:51235"), 3));
    assert!(!rc.filter(&sa("203.0.113.1:51235"), 1));
    rc.expire(t0 + Duration::from_secs(29));
    assert_eq!(rc.len(), 1);
    rc.expire(t0 + Duration::from_secs(30));
    assert!(rc.is_empty());
}

#[test]
fn private_node_never_advertises_itself() {
    let t0 = Instant::now();
    let mut r = rng();
    let mut pf = PeerFinder::new(cfg(None, 51235, true), t0);
    pf.add_fixed_peer(sa("198.51.100.1:51235"), t0).unwrap();
    let a = active_outbound(&mut pf, "198.51.100.1:51235", 1, t0);
    let out = pf.build_endpoints_for_peers(t0, &mut r);
    assert_eq!(out, vec![(a, vec![])], "an empty list is still sent");
}

#[test]
fn private_peers_are_never_handed_out() {
    let t0 = Instant::now();
    let mut r = rng();
    let mut pf = PeerFinder::new(cfg(None, 51235, false), t0);
    let p = sa("198.51.100.7:40000");
    pf.new_inbound_slot(sa(LOCAL), p).unwrap();
    pf.activate(p, key(7), false, t0).unwrap();
    pf.set_slot_private(p, true).unwrap();
    pf.on_endpoints(p, vec![HopEndpoint::new(sa("[::]:51235"), 0)], t0, &mut r).unwrap();
    pf.check_complete(p, sa("198.51.100.7:51235"), true);
    let t1 = t0 + SECONDS_PER_MESSAGE;
    let list = vec![HopEndpoint::new(sa("[::]:51235"), 0), HopEndpoint::new(sa("203.0.113.1:51235"), 1)];
    assert_eq!(
        pf.on_endpoints(p, list, t1, &mut r),
        Ok(EndpointsOutcome::Accepted { stored: 1, connectivity_check: None })
    );
    assert_eq!(pf.livecache().hops_of(&sa("198.51.100.7:51235")), None);
    // Another peer tells us about the private peer's address: still not handed out while known private.
    let q = active_outbound(&mut pf, "198.51.100.8:51235", 8, t1);
    pf.on_endpoints(q, vec![HopEndpoint::new(sa("198.51.100.7:51235"), 2)], t1, &mut r).unwrap();
    let c = active_outbound(&mut pf, "198.51.100.9:51235", 9, t1);
    let out = pf.build_endpoints_for_peers(t1, &mut r);
    let to_c = &out.iter().find(|(to, _)| *to == c).unwrap().1;
    assert!(to_c.iter().all(|e| e.addr.ip() != p.ip()), "{to_c:?}");
    assert!(pf.redirect(sa("198.51.100.100:1"), &mut r).iter().all(|a| a.ip() != p.ip()));
}

// --- §7 redirects ---------------------------------------------------------------------------

#[test]
fn redirect_lists() {
    let t0 = Instant::now();
    let mut r = rng();
    let mut pf = PeerFinder::new(cfg(None, 51235, false), t0);
    let a = active_outbound(&mut pf, "198.51.100.1:51235", 1, t0);
    let mut list: Vec<HopEndpoint> = (1..=15)
        .map(|i| HopEndpoint::new(SocketAddr::new(format!("203.0.113.{i}").parse().unwrap(), 51235), 1))
        .collect();
    list.push(HopEndpoint::new(sa("203.0.113.1:51236"), 1)); // same IP, other port
    list.push(HopEndpoint::new(sa("203.0.113.99:51235"), 6)); // stored at 7: never redirected
    pf.on_endpoints(a, list, t0, &mut r).unwrap();
    let requester = sa("203.0.113.2:40000");
    let out = pf.redirect(requester, &mut r);
    assert_eq!(out.len(), REDIRECT_ENDPOINT_COUNT);
    assert!(out.iter().all(|x| x.ip() != requester.ip() && x.ip() != sa("203.0.113.99:1").ip()));
    let mut ips: Vec<_> = out.iter().map(|x| x.ip()).collect();
    ips.sort();
    ips.dedup();
    assert_eq!(ips.len(), out.len());
}

#[test]
fn received_redirects_fill_the_bootcache_up_to_30() {
    let now = Instant::now();
    let mut pf = PeerFinder::new(cfg(None, 51235, false), now);
    let mut ips: Vec<String> = vec!["garbage".into(), "10.0.0.1:51235".into(), "[2001:db8::1]:51235".into()];
    ips.extend((1..=40).map(|i| format!("203.0.113.{i}:51235")));
    assert_eq!(pf.on_redirects(&ips), MAX_REDIRECTS);
    assert_eq!(pf.bootcache().len(), 30);
    assert_eq!(pf.bootcache().valence(&sa("[2001:db8::1]:51235")), Some(0));
    assert_eq!(pf.bootcache().valence(&sa("10.0.0.1:51235")), None);
}

// --- §8 Bootcache ---------------------------------------------------------------------------

#[test]
fn bootcache_valence_rules_and_order() {
    let mut bc = Bootcache::new();
    let (a, b, c) = (sa("203.0.113.1:1"), sa("203.0.113.2:1"), sa("203.0.113.3:1"));
    assert!(bc.insert(a));
    assert!(!bc.insert(a));
    bc.on_failure(a);
    bc.on_failure(a);
    assert_eq!(bc.valence(&a), Some(-2));
    bc.on_success(a);
    assert_eq!(bc.valence(&a), Some(1), "max(v, 0) + 1");
    bc.on_failure(a);
    assert_eq!(bc.valence(&a), Some(-1), "min(v, 0) - 1");
    bc.on_success(b);
    assert_eq!(bc.valence(&b), Some(1));
    bc.insert(c);
    assert!(bc.insert_static(c));
    assert_eq!(bc.valence(&c), Some(STATIC_VALENCE));
    assert!(!bc.insert_static(c));
    let order: Vec<_> = bc.iter().collect();
    assert_eq!(order, [(c, 32), (b, 1), (a, -1)]);
}

#[test]
fn bootcache_prunes_lowest_10_percent_above_1000() {
    let mut bc = Bootcache::new();
    for i in 0..BOOTCACHE_SIZE {
        let a = SocketAddr::new(format!("203.{}.{}.1", i / 250, i % 250).parse().unwrap(), 51235);
        bc.insert(a);
        if i < 500 {
            bc.on_success(a);
        }
    }
    assert_eq!(bc.len(), 1000);
    bc.on_failure(sa("198.51.100.1:51235"));
    // 1001 entries → remove 1001 * 10 / 100 = 100 lowest valence.
    assert_eq!(bc.len(), 901);
    assert_eq!(bc.valence(&sa("198.51.100.1:51235")), None);
    assert!(bc.iter().filter(|(_, v)| *v == 1).count() == 500);
}

#[test]
fn bootcache_snapshot_json_and_cooldown() {
    let t0 = Instant::now();
    let mut bc = Bootcache::new();
    bc.insert_static(sa("203.0.113.1:51235"));
    bc.on_failure(sa("[2001:db8::1]:51235"));
    let snap = bc.snapshot_if_due(t0).unwrap();
    let json = serde_json::to_string(&snap).unwrap();
    assert_eq!(
        json,
        r#"{"entries":[{"address":"203.0.113.1:51235","valence":32},{"address":"[2001:db8::1]:51235","valence":-1}]}"#
    );
    assert!(bc.snapshot_if_due(t0 + Duration::from_secs(1)).is_none(), "nothing changed");
    bc.insert(sa("203.0.113.2:51235"));
    assert!(bc.snapshot_if_due(t0 + Duration::from_secs(60)).is_none(), "cooldown 60 s");
    assert!(bc.snapshot_if_due(t0 + Duration::from_secs(61)).is_some());

    let mut back: BootcacheSnapshot = serde_json::from_str(&json).unwrap();
    back.entries.push(BootcacheEntry { address: "not an address".into(), valence: 3 });
    let (loaded, skipped) = Bootcache::from_snapshot(&back);
    assert_eq!(skipped, 1);
    assert_eq!(loaded.valence(&sa("[2001:db8::1]:51235")), Some(-1));
}

// --- façade, endpoints text ----------------------------------------------------------------

#[test]
fn timer_ticks_every_second_and_broadcasts_first() {
    let t0 = Instant::now();
    let mut r = rng();
    let mut pf = PeerFinder::new(cfg(None, 51235, false), t0);
    pf.add_bootstrap_addresses([sa("198.51.100.1:51235")]);
    assert_eq!(pf.poll_timeout(), t0);
    let out = pf.handle_timeout(t0, &mut r);
    assert_eq!(out.connect, vec![sa("198.51.100.1:51235")]);
    assert!(out.bootcache_save.is_some());
    assert_eq!(pf.poll_timeout(), t0 + TIMER_INTERVAL);
    assert_eq!(pf.handle_timeout(t0 + Duration::from_millis(500), &mut r), TickOutput::default());
}

#[test]
fn endpoint_strings() {
    assert_eq!(parse_endpoint("1.2.3.4:51235"), Ok(sa("1.2.3.4:51235")));
    assert_eq!(parse_endpoint("1.2.3.4 51235"), Ok(sa("1.2.3.4:51235")));
    assert_eq!(parse_endpoint("[2001:db8::1]:5"), Ok(sa("[2001:db8::1]:5")));
    assert_eq!(parse_endpoint("[2001:db8::1] 5"), Ok(sa("[2001:db8::1]:5")));
    assert_eq!(parse_endpoint("2001:db8::1"), Ok(sa("[2001:db8::1]:0")));
    assert_eq!(parse_endpoint("1.2.3.4:x"), Err(EndpointParseError::Malformed));
    assert_eq!(parse_endpoint("r.ripple.com:51235"), Err(EndpointParseError::Malformed));
    assert_eq!(parse_endpoint(&"1".repeat(65)), Err(EndpointParseError::TooLong));
    assert_eq!(format_endpoint(&sa("[::]:51235")), "[::]:51235");
    assert!(!is_public_ip("172.20.0.1".parse().unwrap()));
    assert!(is_public_ip("172.32.0.1".parse().unwrap()));
    assert!(!is_public_ip("::ffff:192.168.1.1".parse().unwrap()));
    assert!(!is_public_ip("fd00::1".parse().unwrap()));
    assert!(is_public_ip("2001:db8::1".parse().unwrap()));
}

#[test]
fn bootstrap_sources_fall_back_to_fixed_then_builtin() {
    let c = NodeConfig::parse("").unwrap();
    let names: Vec<String> = bootstrap_sources(&c).iter().map(|a| a.to_string()).collect();
    assert_eq!(names[0], "r.ripple.com:51235");
    assert_eq!(names.len(), 4);
    let c = NodeConfig::parse("[ips_fixed]\n198.51.100.1 51235\n").unwrap();
    assert_eq!(bootstrap_sources(&c)[0].to_string(), "198.51.100.1:51235");
}

/// Rough cost of one broadcast with a big overlay; run with `--ignored --nocapture`.
#[test]
#[ignore]
fn measure_broadcast_cost() {
    let t0 = Instant::now();
    let mut r = rng();
    let mut pf = PeerFinder::new(cfg(Some(1000), 51235, false), t0);
    let mut peers = vec![];
    for i in 0..500u32 {
        let p = SocketAddr::new(format!("198.{}.{}.1", 18 + i / 250, i % 250).parse().unwrap(), 51235);
        pf.new_inbound_slot(sa(LOCAL), p).unwrap();
        pf.activate(p, key(i), true, t0).unwrap();
        peers.push(p);
    }
    for (n, p) in peers.iter().enumerate() {
        let list = (0..64)
            .map(|k| {
                HopEndpoint::new(
                    SocketAddr::new(format!("44.{}.{}.{}", n % 200, k, 1 + n / 200).parse().unwrap(), 51235),
                    2,
                )
            })
            .collect();
        pf.on_endpoints(*p, list, t0, &mut r).unwrap();
    }
    let start = std::time::Instant::now();
    let out = pf.build_endpoints_for_peers(t0, &mut r);
    println!(
        "livecache {} entries, {} peers: broadcast built in {:?}",
        pf.livecache().len(),
        out.len(),
        start.elapsed()
    );
    let start = std::time::Instant::now();
    pf.once_per_second(t0 + LIVECACHE_TTL);
    println!("expire all in {:?}", start.elapsed());
}

#[test]
fn lab_gossip_knobs_default_to_rippled_and_admit_loopback_when_set() {
    let t0 = Instant::now();
    let mut r = rng();
    // Defaults: rippled's 151 s and public addresses only (§6.2, §6.3 step 6).
    let c = cfg(None, 51235, false);
    assert!(!c.gossip_private_addresses);
    assert_eq!(c.endpoints_interval, SECONDS_PER_MESSAGE);
    let loopback =
        vec![HopEndpoint::new(sa("127.0.0.7:51235"), 1), HopEndpoint::new(sa("10.1.2.3:51235"), 2)];
    let mut pf = PeerFinder::new(c, t0);
    let peer = active_outbound(&mut pf, "198.51.100.1:51235", 1, t0);
    assert_eq!(
        pf.on_endpoints(peer, loopback.clone(), t0, &mut r),
        Ok(EndpointsOutcome::Accepted { stored: 0, connectivity_check: None })
    );
    assert_eq!(pf.on_redirects(&["127.0.0.7:51235"]), 0);

    // Lab settings: the same entries are stored, port 0 and unspecified still are not, and the
    // rate limit follows the shorter interval.
    let mut lab = cfg(None, 51235, false);
    lab.gossip_private_addresses = true;
    lab.endpoints_interval = Duration::from_secs(2);
    let mut pf = PeerFinder::new(lab, t0);
    let peer = active_outbound(&mut pf, "127.0.0.2:51235", 1, t0);
    let mut list = loopback;
    list.push(HopEndpoint::new(sa("127.0.0.8:0"), 1));
    list.push(HopEndpoint::new(sa("0.0.0.0:51235"), 1));
    assert_eq!(
        pf.on_endpoints(peer, list, t0, &mut r),
        Ok(EndpointsOutcome::Accepted { stored: 2, connectivity_check: None })
    );
    assert_eq!(pf.livecache().hops_of(&sa("127.0.0.7:51235")), Some(2));
    assert_eq!(pf.on_redirects(&["127.0.0.7:51235", "127.0.0.9:0"]), 1);
    let again = vec![HopEndpoint::new(sa("127.0.0.9:51235"), 1)];
    assert_eq!(
        pf.on_endpoints(peer, again.clone(), t0 + Duration::from_millis(1999), &mut r),
        Ok(EndpointsOutcome::RateLimited)
    );
    assert!(matches!(
        pf.on_endpoints(peer, again, t0 + Duration::from_secs(2), &mut r),
        Ok(EndpointsOutcome::Accepted { stored: 1, .. })
    ));
    // Broadcasts follow the interval too: first at once, the next 2 s later.
    assert_eq!(pf.build_endpoints_for_peers(t0, &mut r).len(), 1);
    assert!(pf.build_endpoints_for_peers(t0 + Duration::from_secs(1), &mut r).is_empty());
    assert_eq!(pf.build_endpoints_for_peers(t0 + Duration::from_secs(2), &mut r).len(), 1);
}
