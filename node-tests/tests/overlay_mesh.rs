//! End-to-end overlay behaviour between several real nodes on loopback, for each runtime:
//! a full node's 503 `peer-ips` redirect followed by the dialer, and the field types of `/crawl`
//! (overlay-wire.md §13.1, rippled's `OverlayImpl::getOverlayInfo`) in a gossip-built mesh.

mod common;

use std::net::SocketAddr;

use common::*;
use conformance::peer::{Attempt, RequestPlan};
use rstest::rstest;

/// peers_max 11 ⇒ 10 outbound + 1 inbound slot (peerfinder.md §3.1): the second caller is refused.
const ONE_INBOUND_SLOT: &str = "[peers_max]\n11\n";

/// The `peer-ips` of a 503 answer to a test peer, or `None` for any other answer.
fn redirect_ips(addr: SocketAddr) -> Option<Vec<String>> {
    match attempt(addr, &RequestPlan::new(peer_cfg())) {
        Attempt::Reply(r) if r.head.status == 503 => {
            let v: serde_json::Value = serde_json::from_slice(&r.rest).ok()?;
            Some(v["peer-ips"].as_array()?.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        }
        _ => None,
    }
}

#[rstest]
fn dialer_follows_503_redirect_to_listed_peer(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let lab = ["--lab-gossip", LAB_GOSSIP_SECS];
    let f = Node::start(rt, "127.0.0.2", ONE_INBOUND_SLOT, &lab);
    let g = Node::start(rt, "127.0.0.3", "", &[&lab[..], &["--ips", &f.addr.to_string()]].concat());
    wait_until(CONNECT_DEADLINE, "G connected to F", &[&f, &g], || f.lists(&g));
    // F is full; once G's TMEndpoints made it into F's Livecache, F's 503 names G.
    wait_until(MESH_DEADLINE, "F redirecting to G", &[&f, &g], || {
        redirect_ips(f.addr).is_some_and(|ips| ips.contains(&g.addr.to_string()))
    });
    // D knows only F.
    let d = Node::start(rt, "127.0.0.4", "", &[&lab[..], &["--ips", &f.addr.to_string()]].concat());
    wait_until(MESH_DEADLINE, "D connected to G through F's redirect", &[&d, &f, &g], || {
        d.lists(&g) && g.lists(&d)
    });
    let log = d.log();
    assert!(log.contains(&format!("{} redirected us", f.addr)), "D never followed a redirect from F:\n{log}");
    assert!(!d.lists(&f), "F had no free inbound slot");
}

fn as_b64_key(v: &serde_json::Value) -> Vec<u8> {
    let s = v.as_str().unwrap_or_else(|| panic!("public_key {v} is not a string"));
    openssl::base64::decode_block(s).unwrap_or_else(|e| panic!("public_key {s:?} is not base64: {e}"))
}

#[rstest]
fn crawl_fields_have_rippled_types_in_a_mesh(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let lab = ["--lab-gossip", LAB_GOSSIP_SECS];
    let a = Node::start(rt, "127.0.0.2", "", &lab);
    let ips = ["--ips", &a.addr.to_string()].map(str::to_string);
    let args: Vec<&str> = lab.iter().copied().chain(ips.iter().map(String::as_str)).collect();
    let b = Node::start(rt, "127.0.0.3", "", &args);
    let c = Node::start(rt, "127.0.0.4", "", &args);
    let nodes = [&a, &b, &c];
    wait_until(MESH_DEADLINE, "a full mesh", &nodes, || {
        nodes.iter().all(|x| nodes.iter().filter(|y| x.addr != y.addr).all(|y| x.lists(y)))
    });

    for x in nodes {
        let doc = x.crawl();
        assert_eq!(doc["version"], serde_json::json!(2), "{doc}");
        for y in nodes.iter().filter(|y| y.addr != x.addr) {
            let e = x.entry_for(&y.key_b64).unwrap_or_else(|| panic!("{} lost {}", x.addr, y.addr));
            let ctx = format!("{} lists {}: {e}", x.addr, y.addr);
            let key = as_b64_key(&e["public_key"]);
            assert_eq!(key.len(), 33, "{ctx}");
            assert!(matches!(key[0], 0x02 | 0x03), "{ctx}");
            assert!(e["uptime"].is_u64(), "uptime is not an unsigned integer: {ctx}");
            assert!(e["version"].as_str().is_some_and(|v| !v.is_empty()), "version is not a string: {ctx}");
            let ty = e["type"].as_str().unwrap_or_else(|| panic!("type is not a string: {ctx}"));
            assert!(ty == "in" || ty == "out", "{ctx}");
            // The other side sees the same link the other way round.
            let back = y.entry_for(&x.key_b64).unwrap_or_else(|| panic!("{} lost {}", y.addr, x.addr));
            let want_back = if ty == "in" { "out" } else { "in" };
            assert_eq!(back["type"].as_str(), Some(want_back), "{ctx}\nback: {back}");
            // Our nodes send `Crawl: public`, so rippled's rule lists ip (and port: the dialled
            // port outbound, the verified listening port inbound); it does not look at whether
            // the address itself is public, so loopback addresses do appear.
            assert_eq!(e["ip"].as_str(), Some(y.addr.ip().to_string().as_str()), "{ctx}");
            match ty {
                "out" => assert_eq!(e["port"].as_u64(), Some(u64::from(y.addr.port())), "{ctx}"),
                _ => assert!(
                    e.get("port").is_none_or(|p| p.as_u64() == Some(u64::from(y.addr.port()))),
                    "{ctx}"
                ),
            }
            assert!(e.get("complete_ledgers").is_none(), "no ledgers, no complete_ledgers: {ctx}");
        }
    }

    // A peer that asked for privacy (`Crawl: private`) is listed by key only; a public one with
    // its IP, and without a port until its listening port is verified.
    let mut private_cfg = peer_cfg();
    private_cfg.crawl_public = false;
    let private_b64 = openssl::base64::encode_block(private_cfg.node_key.public().as_bytes());
    let public_cfg = peer_cfg();
    let public_b64 = openssl::base64::encode_block(public_cfg.node_key.public().as_bytes());
    let _p = upgrade(a.addr, &RequestPlan::new(private_cfg));
    let _q = upgrade(a.addr, &RequestPlan::new(public_cfg));
    let e = a.entry_for(&private_b64).expect("private test peer listed");
    assert!(e.get("ip").is_none() && e.get("port").is_none(), "private peer shows its address: {e}");
    assert_eq!(e["type"].as_str(), Some("in"));
    let e = a.entry_for(&public_b64).expect("public test peer listed");
    assert_eq!(e["ip"].as_str(), Some("127.0.0.1"), "{e}");
    assert!(e.get("port").is_none(), "inbound peer without TMEndpoints has no verified port: {e}");
}
