//! Mixed networks (issue 4): a tokio node and an async-std node handshake in both directions,
//! keep each other alive with pings, exchange TMEndpoints, and list each other in `/crawl`; and a
//! mesh whose members learn each other only through a hub of the other runtime.

mod common;

use common::*;
use rstest::rstest;

/// `--lab-ping` of the mixed pair: a link is checked for a missed pong every this many seconds.
const LAB_PING_SECS: u64 = 2;

/// `dialer` starts with `--ips` pointing at a node of the other runtime.
#[rstest]
fn tokio_and_async_std_nodes_interoperate(#[values(Rt::Tokio, Rt::AsyncStd)] dialer: Rt) {
    let ping = LAB_PING_SECS.to_string();
    let lab = ["--lab-gossip", LAB_GOSSIP_SECS, "--lab-ping", &ping];
    let listener = Node::start(dialer.other(), "127.0.0.2", "", &lab);
    let ips = listener.addr.to_string();
    let d = Node::start(dialer, "127.0.0.3", "", &[&lab[..], &["--ips", &ips]].concat());
    let nodes = [&listener, &d];
    // Each side pings at one tick and drops a peer whose pong is missing at the next: surviving
    // more than two ticks on both sides means both answered. The inbound side's entry gets a port
    // only once the dialer's hops-0 TMEndpoints entry arrived and its listening port was verified.
    let survived = 2 * LAB_PING_SECS + 1;
    wait_until(MESH_DEADLINE, "pinging, gossiping and listed both ways", &nodes, || {
        let (Some(out), Some(inb)) = (d.entry_for(&listener.key_b64), listener.entry_for(&d.key_b64)) else {
            return false;
        };
        out["type"] == "out"
            && inb["type"] == "in"
            && out["uptime"].as_u64().is_some_and(|u| u > survived)
            && inb["uptime"].as_u64().is_some_and(|u| u > survived)
            && inb["port"].as_u64() == Some(u64::from(d.addr.port()))
    });
    for n in nodes {
        let log = n.log();
        assert!(!log.contains("ping timeout"), "{:?} dropped a peer for a missed pong:\n{log}", n.rt);
        assert_eq!(log.matches("peer connected").count(), 1, "{:?} reconnected:\n{log}", n.rt);
    }
    assert!(d.log().contains(&format!("{} {} (outbound", listener.addr, listener.key_b58)), "{}", d.log());
}

/// The hub runs `hub`; the two others run the other runtime and learn each other's address only
/// from the hub's TMEndpoints.
#[rstest]
fn endpoints_from_other_runtime_build_the_mesh(#[values(Rt::Tokio, Rt::AsyncStd)] hub: Rt) {
    let lab = ["--lab-gossip", LAB_GOSSIP_SECS];
    let a = Node::start(hub, "127.0.0.2", "", &lab);
    let ips = a.addr.to_string();
    let args = [&lab[..], &["--ips", &ips]].concat();
    let b = Node::start(hub.other(), "127.0.0.3", "", &args);
    let c = Node::start(hub.other(), "127.0.0.4", "", &args);
    let nodes = [&a, &b, &c];
    wait_until(MESH_DEADLINE, "a full mixed mesh", &nodes, || {
        nodes.iter().all(|x| nodes.iter().filter(|y| x.addr != y.addr).all(|y| x.lists(y)))
    });
}
