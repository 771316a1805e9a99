//! The runtime-free embedding example (`node-common/examples/blocking_peer.rs`) against the real
//! node binaries: the example's code is compiled into this test as a module and its
//! `connect_once` runs against a node on loopback.

mod common;

#[path = "../../node-common/examples/blocking_peer.rs"]
mod blocking_peer;

use common::*;
use rstest::rstest;

#[rstest]
fn blocking_example_connects_to_node(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let node = Node::start(rt, "127.0.0.2", "", &[]);
    let c = blocking_peer::connect_once(node.addr, CONNECT_DEADLINE)
        .unwrap_or_else(|e| panic!("{e}\n{}", node.log()));
    assert_eq!(c.public_key, node.key_b58);
    assert_eq!(c.remote, node.addr);
    assert!(c.version.starts_with("XRPL/2."), "{c:?}");
    wait_until(IO_TIMEOUT, "logging the example's connect and disconnect", &[&node], || {
        let log = node.log();
        log.lines().any(|l| l.contains("peer connected") && l.contains(&c.our_key) && l.contains("(inbound"))
            && log.lines().any(|l| l.contains("peer disconnected") && l.contains(&c.our_key))
    });
}
