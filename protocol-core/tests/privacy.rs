//! Privacy and clusters on the in-memory network (`overlay::testing::Net`, explicit time):
//! - property: over random topologies, once gossip has run, no private node's address is in
//!   any TMEndpoints, `/crawl` or 503 `peer-ips` body, and each `[peer_private]` node is
//!   connected to exactly its fixed peers (peerfinder.md §9, overlay-wire.md §13.1);
//! - cluster members exchange TMCluster, list each other as cluster peers in `/crawl`, and a
//!   member is admitted when `peers_max` is full (peerfinder.md §10, overlay-wire.md §14).
//!
//! Deterministic: the property runs on a fixed proptest seed (`PROPTEST_RNG_SEED` overrides).

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use protocol_core::config::ClusterNode;
use protocol_core::framing::{encode_frame, FrameOptions};
use protocol_core::messages::{proto, Message};
use protocol_core::network::Network;
use protocol_core::overlay::testing::{node_ip, node_key, Net};
use protocol_core::overlay::{OverlayConfig, OverlayEvent, CLUSTER_INTERVAL};
use protocol_core::peerfinder::{parse_endpoint, LimitsInput, PeerFinderConfig};
use protocol_core::resource::{Charge, ResourceKey};

const SEC: Duration = Duration::from_secs(1);
/// TMEndpoints interval of the simulated nodes (lab knob; rippled's 151 s would only make the
/// run longer, the rules are the same).
const GOSSIP: Duration = Duration::from_secs(5);
/// Simulated time per case: dozens of gossip rounds, enough for a few-hop mesh to settle.
const RUN: Duration = Duration::from_secs(180);
/// proptest cases, on a fixed seed so every run checks the same topologies.
const CASES: u32 = 24;
const SEED: u64 = 0x5052_4956; // "PRIV"

/// A scripted client's address: not any node's.
fn outsider(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(203, 0, 113, n))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Public,
    /// `[peer_private] 1`: dials only fixed peers, takes none but them, no self entry.
    Private,
    /// A validator: `Crawl: private`, otherwise public (advertises itself, §9).
    Validator,
}

#[derive(Debug, Clone)]
struct Topology {
    kinds: Vec<Kind>,
    /// Per node: indexes of the nodes it lists in `[ips]` (or `[ips_fixed]` when private).
    links: Vec<Vec<usize>>,
}

fn topology() -> impl Strategy<Value = Topology> {
    (3usize..=5, 1usize..=2, 0usize..=2).prop_flat_map(|(public, private, validators)| {
        let n = public + private + validators;
        let mut kinds = vec![Kind::Public; public];
        kinds.extend(std::iter::repeat_n(Kind::Private, private));
        kinds.extend(std::iter::repeat_n(Kind::Validator, validators));
        // Public node i > 0 knows 1–2 earlier public nodes (so the public part is connected);
        // private nodes have 1–2 public fixed peers; validators know 1–2 public nodes, and a
        // public node may also list a validator.
        let links: Vec<BoxedStrategy<Vec<usize>>> = (0..n)
            .map(|i| match kinds[i] {
                Kind::Public if i == 0 => Just(vec![]).boxed(),
                Kind::Public => {
                    let earlier = proptest::sample::subsequence((0..i).collect::<Vec<_>>(), 1..=i.min(2));
                    let extra = proptest::option::of(public + private..n.max(public + private + 1));
                    (earlier, extra)
                        .prop_map(move |(mut v, x)| {
                            if let Some(x) = x.filter(|x| *x < n) {
                                v.push(x);
                            }
                            v
                        })
                        .boxed()
                }
                _ => proptest::sample::subsequence((0..public).collect::<Vec<_>>(), 1..=2).boxed(),
            })
            .collect();
        (Just(kinds), links).prop_map(|(kinds, links)| Topology { kinds, links })
    })
}

/// `peers_max` 11: 10 outbound and exactly one inbound slot (peerfinder.md §3.1).
fn one_inbound_slot(net: &Net) -> OverlayConfig {
    let mut c = net.config(Network::Xrpl);
    let port = c.peerfinder.listening_port;
    c.peerfinder = PeerFinderConfig::compute(&LimitsInput {
        peers_max: Some(11),
        listening_port: port,
        ..LimitsInput::default()
    });
    c
}

fn node_config(net: &Net, kind: Kind, links: &[usize]) -> OverlayConfig {
    let mut c = net.config(Network::Xrpl);
    let port = c.peerfinder.listening_port;
    c.peerfinder = PeerFinderConfig::compute(&LimitsInput {
        peer_private: kind == Kind::Private,
        validator: kind == Kind::Validator,
        listening_port: port,
        ..LimitsInput::default()
    });
    c.peerfinder.endpoints_interval = GOSSIP;
    let addrs: Vec<SocketAddr> = links.iter().map(|j| net.addr_of(*j, &c)).collect();
    if kind == Kind::Private {
        c.fixed_peers = addrs;
    } else {
        c.bootstrap = addrs;
    }
    c
}

/// An upgrade request without `Connect-As: peer`: every node answers 503 with its redirect
/// list (overlay-wire.md §2.3), so the body shows what it would hand out.
const LEAF_REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nUpgrade: XRPL/2.2\r\nConnection: Upgrade\r\nConnect-As: Leaf\r\n\r\n";

fn check_topology(t: &Topology) -> Result<(), TestCaseError> {
    let mut net = Net::new(Instant::now());
    for (i, kind) in t.kinds.iter().enumerate() {
        let c = node_config(&net, *kind, &t.links[i]);
        net.add_node(c);
    }
    net.run_for(RUN, SEC);

    let hidden: BTreeSet<IpAddr> =
        (0..t.kinds.len()).filter(|i| t.kinds[*i] != Kind::Public).map(node_ip).collect();

    // 1. Every TMEndpoints any node received.
    for (n, node) in net.nodes.iter().enumerate() {
        for e in &node.events {
            let OverlayEvent::Message { message: Message::Endpoints(m), .. } = e else { continue };
            for ep in &m.endpoints_v2 {
                let text = ep.endpoint.as_deref().unwrap_or_default();
                if let Ok(addr) = parse_endpoint(text) {
                    prop_assert!(
                        !hidden.contains(&addr.ip()),
                        "node {n} received {text} (hops {:?})",
                        ep.hops
                    );
                }
            }
        }
    }
    // 2. Every node's /crawl.
    for (n, node) in net.nodes.iter().enumerate() {
        let doc = node.overlay.crawl_document(net.now).expect("crawl on");
        for p in doc["overlay"]["active"].as_array().into_iter().flatten() {
            if let Some(ip) = p["ip"].as_str() {
                let ip: IpAddr = ip.parse().expect("ip");
                prop_assert!(!hidden.contains(&ip), "node {n} /crawl shows {ip}: {p}");
            }
        }
    }
    // 3. Every 503 body: the redirects nodes received while running, and one asked for now.
    for (n, node) in net.nodes.iter().enumerate() {
        for e in &node.events {
            if let OverlayEvent::Redirected { peer_ips, .. } = e {
                for a in peer_ips {
                    prop_assert!(!hidden.contains(&a.ip()), "node {n} was redirected to {a}");
                }
            }
        }
    }
    for target in 0..t.kinds.len() {
        let (raw, _) = net.raw_connect(target, outsider(target as u8 + 1)).expect("accepts");
        net.raw_send(raw, LEAF_REQUEST);
        let text = String::from_utf8_lossy(&net.raws[raw].received).to_string();
        prop_assert!(text.starts_with("HTTP/1.1 503"), "{text}");
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(body).expect("json body");
        for a in v["peer-ips"].as_array().into_iter().flatten() {
            let addr = parse_endpoint(a.as_str().unwrap_or_default()).expect("endpoint");
            prop_assert!(!hidden.contains(&addr.ip()), "node {target} redirects to {addr}");
        }
    }
    // 4. A [peer_private] node stays connected, through exactly its fixed peers.
    for (p, kind) in t.kinds.iter().enumerate() {
        if *kind == Kind::Private {
            let fixed: BTreeSet<usize> = t.links[p].iter().copied().collect();
            prop_assert_eq!(net.neighbours(p), fixed, "private node {}", p);
        }
    }
    Ok(())
}

#[test]
fn private_addresses_never_leak_on_random_topologies() {
    let seed = std::env::var("PROPTEST_RNG_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(SEED);
    let config = Config {
        cases: CASES,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    if let Err(e) = runner.run(&topology(), |t| check_topology(&t)) {
        panic!("{e}");
    }
}

/// P is private behind A; B (public, not fixed at P) dials P directly: P answers 503 after the
/// handshake (`inboundDisabled`, rippled answers every failed activation with a redirect).
#[test]
fn private_node_refuses_a_non_fixed_caller() {
    let mut net = Net::new(Instant::now());
    let a = net.add_node(net.config(Network::Xrpl));
    let p_cfg = node_config(&net, Kind::Private, &[a]);
    let p = net.add_node(p_cfg);
    let mut b_cfg = net.config(Network::Xrpl);
    b_cfg.bootstrap = vec![net.addr_of(p, &b_cfg)];
    let b = net.add_node(b_cfg);
    net.run_for(30 * SEC, SEC);
    assert_eq!(net.neighbours(p), BTreeSet::from([a]));
    let refused = net.nodes[p].events.iter().any(|e| {
        matches!(e, OverlayEvent::HandshakeRejected { remote, status: Some(503), .. } if remote.ip() == node_ip(b))
    });
    assert!(refused, "{:?}", net.nodes[p].events);
    assert!(net.nodes[b].events.iter().any(|e| matches!(e, OverlayEvent::Redirected { .. })));
}

fn cluster_member(i: usize, name: &str) -> ClusterNode {
    ClusterNode { key: *node_key(i).public(), name: Some(name.into()) }
}

fn cluster_peer(doc: &serde_json::Value, i: usize) -> Option<&serde_json::Value> {
    let key = b64(node_key(i).public().as_bytes());
    doc["overlay"]["active"].as_array()?.iter().find(|p| p["public_key"] == key.as_str())
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A (`peers_max` 11: one inbound slot) has C in `[cluster_nodes]`, C has A. X fills A's inbound
/// slot first; C is still admitted (reserved slot), Y is redirected. A and C exchange TMCluster
/// every 10 s, show each other as cluster peers with their names, and a TMCluster from X (not
/// a member) is charged as useless data.
#[test]
fn cluster_members_exchange_status_and_keep_their_slots() {
    let mut net = Net::new(Instant::now());
    let mut a_cfg = one_inbound_slot(&net);
    assert_eq!(a_cfg.peerfinder.in_max(), 1);
    a_cfg.cluster_nodes = vec![cluster_member(2, "charlie")];
    let a = net.add_node(a_cfg);
    let mut x_cfg = net.config(Network::Xrpl);
    x_cfg.bootstrap = vec![net.addr_of(a, &x_cfg)];
    let x = net.add_node(x_cfg.clone());
    assert!(net.run_until(10 * SEC, SEC, |n| n.neighbours(a).contains(&x)));
    let mut c_cfg = x_cfg.clone();
    c_cfg.cluster_nodes = vec![cluster_member(a, "alpha")];
    let c = net.add_node(c_cfg);
    let y = net.add_node(x_cfg);
    assert_eq!(c, 2);
    assert!(net.run_until(10 * SEC, SEC, |n| n.neighbours(a).contains(&c)), "{:?}", net.neighbours(a));
    assert!(!net.neighbours(a).contains(&y), "Y is not a member: A's one inbound slot is taken");
    assert!(net.nodes[y].events.iter().any(|e| matches!(e, OverlayEvent::Redirected { .. })));
    let counts = net.nodes[a].overlay.peerfinder().counts();
    assert_eq!((counts.in_active, counts.reserved_active), (1, 1));

    net.run_for(CLUSTER_INTERVAL * 3, SEC);
    let got_cluster = |n: usize| {
        net.nodes[n]
            .events
            .iter()
            .filter(|e| matches!(e, OverlayEvent::Message { message: Message::Cluster(_), .. }))
            .count()
    };
    assert!(got_cluster(a) >= 2 && got_cluster(c) >= 2, "a {} c {}", got_cluster(a), got_cluster(c));
    assert_eq!(got_cluster(x), 0, "TMCluster goes to members only");
    // Each knows the other's latest report time, and its own entry.
    let ca = net.nodes[a].overlay.cluster().get(node_key(c).public()).map(|m| m.report_time);
    assert!(ca.is_some_and(|t| t > 0), "{ca:?}");
    assert!(net.nodes[c].overlay.cluster().get(node_key(c).public()).is_some());

    let doc_a = net.nodes[a].overlay.crawl_document(net.now).unwrap();
    let doc_c = net.nodes[c].overlay.crawl_document(net.now).unwrap();
    let pc = cluster_peer(&doc_a, c).expect("A lists C");
    assert_eq!((pc["cluster"].as_bool(), pc["name"].as_str()), (Some(true), Some("charlie")), "{pc}");
    let pa = cluster_peer(&doc_c, a).expect("C lists A");
    assert_eq!((pa["cluster"].as_bool(), pa["name"].as_str()), (Some(true), Some("alpha")), "{pa}");
    let px = cluster_peer(&doc_a, x).expect("A lists X");
    assert!(px.get("cluster").is_none(), "{px}");

    // X is not a member: its TMCluster costs it rippled's feeUselessData (150) and is ignored.
    let conn = net.conn_between(x, a).expect("X–A link");
    let fake = Message::Cluster(proto::TmCluster {
        cluster_nodes: vec![proto::TmClusterNode {
            public_key: Some(node_key(x).public().to_base58(Network::Xrpl.profile().alphabet)),
            report_time: Some(u32::MAX),
            node_load: Some(1),
            node_name: Some("intruder".into()),
            address: None,
        }],
        load_sources: vec![],
    });
    let mut frame = Vec::new();
    encode_frame(
        fake.message_type().number(),
        &fake.encode_payload(),
        &FrameOptions::modern(false),
        &mut frame,
    )
    .unwrap();
    let key = ResourceKey::inbound(node_ip(x));
    let before = net.nodes[a].overlay.resource_balance(key, net.now);
    net.inject(x, conn, &frame);
    let after = net.nodes[a].overlay.resource_balance(key, net.now);
    // Balances read as raw units / 32 (the decay window, §10.3): 150 shows as 4; the trivial
    // per-message charge (1) would not show at all.
    assert!(after - before >= Charge::UselessData.units() / 32, "charged {}", after - before);
    assert!(net.nodes[a].overlay.cluster().member(node_key(x).public()).is_none());
}

/// Peer reservations (rippled `peer_reservations_add`) reserve inbound slots only.
#[test]
fn reservation_admits_inbound_when_full() {
    let mut net = Net::new(Instant::now());
    let a_cfg = one_inbound_slot(&net);
    let a = net.add_node(a_cfg);
    let mut x_cfg = net.config(Network::Xrpl);
    x_cfg.bootstrap = vec![net.addr_of(a, &x_cfg)];
    let x = net.add_node(x_cfg.clone());
    assert!(net.run_until(10 * SEC, SEC, |n| n.neighbours(a).contains(&x)));
    let r = net.nodes.len();
    net.nodes[a].overlay.add_peer_reservation(*node_key(r).public(), "friend".into()).unwrap();
    let r2 = net.add_node(x_cfg);
    assert_eq!(r, r2);
    assert!(net.run_until(10 * SEC, SEC, |n| n.neighbours(a).contains(&r)));
    assert!(net.nodes[a].overlay.peers().iter().all(|p| !p.cluster));
}
