//! The governor wired into the overlay (`overlay::governance`), on the in-memory `Net`:
//! targets reached, warm peers get no relayed traffic, a lost hot peer is replaced, abuse by a
//! governed peer demotes it at once, and the governor's view matches the connections (§17.21).

use std::time::{Duration, Instant};

use protocol_core::governor::{GovernorConfig, PeerState, PublicRoot, Targets};
use protocol_core::messages::{proto, Message};
use protocol_core::network::Network;
use protocol_core::overlay::testing::{tx, Net};
use protocol_core::overlay::OverlayConfig;

const SEC: Duration = Duration::from_secs(1);

/// Six plain nodes (1..=6) and node 0 governed with `active` hot among them.
fn star(active: u32) -> Net {
    let mut net = Net::new(Instant::now());
    let probe = net.config(Network::Xrpl);
    let roots: Vec<_> = (1..=6).map(|i| net.addr_of(i, &probe)).collect();
    let mut c0: OverlayConfig = net.config(Network::Xrpl);
    c0.governor = Some(GovernorConfig {
        targets: Targets { root: 6, known: 20, established: 13, active },
        public_roots: roots.iter().map(|a| PublicRoot { addr: *a, advertise: true }).collect(),
        ..GovernorConfig::default()
    });
    net.add_node(c0);
    for _ in 1..=6 {
        let c = net.config(Network::Xrpl);
        net.add_node(c);
    }
    net
}

fn hot_and_warm(net: &Net) -> (Vec<usize>, Vec<usize>) {
    let g = net.nodes[0].overlay.governance().expect("governed");
    let mut hot = vec![];
    let mut warm = vec![];
    for (addr, _, is_hot) in g.governed() {
        let i = net.nodes.iter().position(|n| n.listen == addr).expect("a node");
        if is_hot {
            hot.push(i);
        } else {
            warm.push(i);
        }
    }
    (hot, warm)
}

#[test]
fn two_hot_rest_warm_and_warm_peers_get_no_relay() {
    let mut net = star(2);
    let formed = net.run_until(Duration::from_secs(60), SEC, |n| {
        let (h, w) = hot_and_warm(n);
        h.len() == 2 && w.len() == 4
    });
    assert!(formed, "{:?}", hot_and_warm(&net));
    let g = net.nodes[0].overlay.governance().expect("governed");
    g.check_view().expect("view matches connections");
    g.governor().check_invariants().expect("invariants");
    let hot_count = g.governor().peers().filter(|p| p.state == PeerState::Hot).count();
    assert_eq!(hot_count, 2);

    // A transaction from node 0 reaches only its hot peers.
    let (hot, warm) = hot_and_warm(&net);
    let m = tx(1);
    net.input(0, protocol_core::overlay::Input::Broadcast(m.clone()));
    for h in &hot {
        assert_eq!(net.received(*h, &m), 1, "hot peer {h}");
    }
    for w in &warm {
        assert_eq!(net.received(*w, &m), 0, "warm peer {w}");
    }
    // What a warm peer relays to node 0 is not forwarded to node 0's hot peers.
    let m2 = tx(2);
    let w = warm[0];
    net.input(w, protocol_core::overlay::Input::Broadcast(m2.clone()));
    for h in &hot {
        assert_eq!(net.received(*h, &m2), 0, "hot peer {h} got a warm peer's relay");
    }
    // A hot peer's relay is forwarded to the other hot peer, not to warm peers.
    let m3 = tx(3);
    net.input(hot[0], protocol_core::overlay::Input::Broadcast(m3.clone()));
    assert_eq!(net.received(hot[1], &m3), 1);
    for w in &warm {
        assert_eq!(net.received(*w, &m3), 0);
    }
}

#[test]
fn killed_hot_peer_is_replaced() {
    let mut net = star(2);
    assert!(net.run_until(Duration::from_secs(60), SEC, |n| hot_and_warm(n).0.len() == 2));
    let (hot, _) = hot_and_warm(&net);
    let victim = hot[0];
    net.nodes[victim].up = false;
    net.nodes[victim].muted = true;
    // The dead link is noticed by the ping timeout (two peer-timer ticks), then a warm peer is
    // promoted.
    let reformed = net.run_until(Duration::from_secs(400), SEC, |n| {
        let (h, w) = hot_and_warm(n);
        h.len() == 2 && !h.contains(&victim) && !w.contains(&victim)
    });
    assert!(reformed, "{:?}", hot_and_warm(&net));
    let g = net.nodes[0].overlay.governance().expect("governed");
    g.check_view().expect("view matches connections");
}

#[test]
fn abusive_governed_peer_is_demoted_at_once() {
    let mut net = star(6);
    assert!(net.run_until(Duration::from_secs(60), SEC, |n| hot_and_warm(n).0.len() == 6));
    // Node 1 sends a TMEndpoints with an unparsable entry: InvalidData, protocol abuse.
    let bad = Message::Endpoints(proto::TmEndpoints {
        version: Some(2),
        endpoints: vec![],
        endpoints_v2: vec![proto::tm_endpoints::TmEndpointv2 {
            endpoint: Some("not an address".into()),
            hops: Some(0),
        }],
    });
    let conn = net.conn_between(1, 0).expect("link 1→0");
    net.input(1, protocol_core::overlay::Input::Send { conn, message: bad });
    let addr1 = net.nodes[1].listen;
    let g = net.nodes[0].overlay.governance().expect("governed");
    let view = g.governor().peer(&addr1).expect("still known (a root)");
    assert_eq!(view.state, PeerState::Cold);
    assert!(net.conn_between(0, 1).is_none(), "connection closed");
    g.check_view().expect("view matches connections");
    // Quarantined: not re-dialled within the next minutes.
    net.run_for(Duration::from_secs(300), SEC);
    assert!(net.conn_between(0, 1).is_none());
}

#[test]
fn bootcache_seeds_the_known_set() {
    use protocol_core::peerfinder::{BootcacheEntry, BootcacheSnapshot};
    let mut net = Net::new(Instant::now());
    let probe = net.config(Network::Xrpl);
    let mut c0: OverlayConfig = net.config(Network::Xrpl);
    c0.governor = Some(GovernorConfig {
        targets: Targets { root: 0, known: 20, established: 3, active: 2 },
        ..GovernorConfig::default()
    });
    net.add_node(c0);
    for _ in 1..=3 {
        let c = net.config(Network::Xrpl);
        net.add_node(c);
    }
    let snap = BootcacheSnapshot {
        entries: (1..=3)
            .map(|i| BootcacheEntry { address: net.addr_of(i, &probe).to_string(), valence: 1 })
            .collect(),
    };
    let text = serde_json::to_string(&snap).expect("json");
    net.input(0, protocol_core::overlay::Input::BootcacheLoaded(text));
    let formed = net.run_until(Duration::from_secs(60), SEC, |n| {
        let (h, w) = hot_and_warm(n);
        h.len() == 2 && w.len() == 1
    });
    assert!(formed, "{:?}", hot_and_warm(&net));
}
