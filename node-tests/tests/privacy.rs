//! End-to-end privacy and cluster checks on loopback, both runtimes (peerfinder.md §9, §10;
//! overlay-wire.md §13.1, §14), observed only through sockets (/crawl and 503 bodies over
//! HTTPS) and logs. Every wait polls with a deadline.
//!
//! - Five nodes: private P (`[peer_private]`, `[ips_fixed]` A) behind public A; B, C and D are
//!   public and gossip with `--lab-gossip`. P's address never shows in any /crawl or 503 body,
//!   P keeps its link to A, and P refuses D, which dials it without being one of P's fixed peers.
//! - Cluster: A2 (`[peers_max] 11`: one inbound slot) has C2 in `[cluster_nodes]` and the other
//!   way round; X2 takes A2's only inbound slot, C2 is still admitted, and each lists the other
//!   as a named cluster peer in /crawl.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use rstest::rstest;

/// After the mesh formed, keep reading every /crawl and 503 body for this long (several
/// gossip rounds) and require P's address to stay absent the whole time.
const OBSERVE: Duration = Duration::from_secs(8);

/// Starts a gossiping lab node with identity `id` that bootstraps from `ips`.
fn start(rt: Rt, id: Identity, ip: &str, conf: &str, ips: &[SocketAddr]) -> Node {
    let ips = ips_args(ips);
    let ips: Vec<&str> = ips.iter().map(String::as_str).collect();
    Node::start_as(rt, id, ip, conf, &[&ips[..], &["--lab-gossip", LAB_GOSSIP_SECS]].concat())
}

#[rstest]
fn private_node_stays_hidden_behind_its_fixed_peer(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let a = start(rt, Identity::new(), "127.0.0.2", "", &[]);
    let p = start(
        rt,
        Identity::new(),
        "127.0.0.6",
        &format!("[peer_private]\n1\n\n[ips_fixed]\n{} {}\n", a.addr.ip(), a.addr.port()),
        &[],
    );
    let b = start(rt, Identity::new(), "127.0.0.3", "", &[a.addr]);
    let c = start(rt, Identity::new(), "127.0.0.4", "", &[a.addr]);
    // D dials P directly (P in its [ips]) without being one of P's fixed peers.
    let d = start(rt, Identity::new(), "127.0.0.5", "", &[p.addr, a.addr]);
    let public = [&a, &b, &c, &d];
    let all = [&a, &b, &c, &d, &p];

    wait_until(CONNECT_DEADLINE, "P linked to A", &all, || a.lists(&p) && p.lists(&a));
    wait_until(MESH_DEADLINE, "a public full mesh", &all, || {
        public.iter().all(|x| public.iter().filter(|y| x.addr != y.addr).all(|y| x.lists(y)))
    });
    // P refused D after the handshake with a 503 (rippled: inboundDisabled → redirect).
    let d_ip = d.addr.ip().to_string();
    wait_until(CONNECT_DEADLINE, "D refused by P", &all, || {
        p.log().lines().any(|l| l.contains("rejected (503)") && l.contains(&d_ip))
    });

    let hidden = p.addr.ip().to_string();
    let end = Instant::now() + OBSERVE;
    let mut rounds = 0;
    while Instant::now() < end || rounds == 0 {
        for n in all {
            let crawl = n.crawl_text().unwrap_or_else(|| panic!("no /crawl from {}", n.addr));
            assert!(!crawl.contains(&hidden), "{} /crawl reveals P: {crawl}", n.addr);
            let redirect = n.redirect_body();
            assert!(!redirect.contains(&hidden), "{} 503 body reveals P: {redirect}", n.addr);
        }
        // P stays connected through A, and only A.
        assert!(a.lists(&p), "P lost its fixed peer:\n{}", p.log());
        assert_eq!(p.active_count(), Some(1), "P has a non-fixed peer:\n{}", p.log());
        rounds += 1;
        std::thread::sleep(POLL);
    }
    // A lists P by key, without address (Crawl: private).
    let entry = a.entry_of(&p).expect("A lists P");
    assert!(entry.get("ip").is_none() && entry.get("port").is_none(), "{entry}");
    assert!(!d.lists(&p) && !p.lists(&d));
}

#[rstest]
fn cluster_member_is_admitted_when_full_and_listed_by_name(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let (a_id, c_id) = (Identity::new(), Identity::new());
    let a_conf = format!("[peers_max]\n11\n\n[cluster_nodes]\n{} charlie\n", c_id.key_b58);
    let c_conf = format!("[cluster_nodes]\n{} alpha\n", a_id.key_b58);
    let a = start(rt, a_id, "127.0.0.7", &a_conf, &[]);
    // peers_max 11 ⇒ 10 outbound + 1 inbound slot (peerfinder.md §3.1): X takes it.
    let x = start(rt, Identity::new(), "127.0.0.8", "", &[a.addr]);
    wait_until(CONNECT_DEADLINE, "X linked to A", &[&a, &x], || a.lists(&x));
    let c = start(rt, c_id, "127.0.0.9", &c_conf, &[a.addr]);
    wait_until(CONNECT_DEADLINE, "C admitted by A as a cluster peer", &[&a, &x, &c], || {
        a.entry_of(&c).is_some_and(|e| e["cluster"] == true && e["name"] == "charlie")
            && c.entry_of(&a).is_some_and(|e| e["cluster"] == true && e["name"] == "alpha")
    });
    assert!(a.lists(&x), "the ordinary inbound peer keeps its slot");
    assert!(a.entry_of(&x).is_some_and(|e| e.get("cluster").is_none()));
}
