//! End-to-end rules seen from a test peer (the conformance suite's blocking TLS peer) against one
//! running node of each runtime: the missed-pong drop, transaction relay between two peers with
//! duplicate suppression and no echo, and `verifyHandshake` rejections (overlay-wire.md §2.4)
//! of `Server-Domain`, `Local-IP` and `Remote-IP` over a real TLS socket.
//! Ordering, not time, proves absences: a marker message sent after the one that must not come
//! back travels the same FIFO path, so once the marker arrived the other one never will.

mod common;

use std::time::{Duration, Instant};

use common::*;
use conformance::peer::{LinkEvent, RequestPlan};
use protocol_core::messages::proto::{TmPing, TmTransaction, TransactionStatus};
use protocol_core::messages::{decode, Message};
use rstest::rstest;

/// `--lab-ping` of the ping-timeout test: the node pings every this many seconds.
const LAB_PING_SECS: u64 = 1;
/// Slack on top of the two timer ticks a silent peer survives (start-up jitter, a loaded CI host).
const DROP_SLACK: Duration = Duration::from_secs(5);

#[rstest]
fn silent_peer_is_dropped_with_ping_timeout(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let secs = LAB_PING_SECS.to_string();
    let node = Node::start(rt, "127.0.0.2", "", &["--lab-ping", &secs]);
    let interval = Duration::from_secs(LAB_PING_SECS);

    // A peer that answers pings stays up across several ticks.
    let mut good = upgrade(node.addr, &RequestPlan::new(peer_cfg()));
    // Never true: absorbs (and answers) everything until the deadline.
    let _ = good.wait_for(Instant::now() + 3 * interval + interval / 2, |_| false);
    assert!(good.pings_seen >= 2, "node pinged {} times in 3.5 ticks", good.pings_seen);
    good.ping(7, Instant::now() + IO_TIMEOUT)
        .unwrap_or_else(|e| panic!("answering peer dropped: {e}\n{}", node.log()));

    // A peer that reads but never answers: one ping at the first tick, dropped at the next.
    let cfg = peer_cfg();
    let key = cfg.node_key.public().to_base58(protocol_core::Network::Xrpl.profile().alphabet);
    let mut silent = upgrade(node.addr, &RequestPlan::new(cfg));
    let start = Instant::now();
    let deadline = start + 2 * interval + DROP_SLACK;
    let mut pings = 0;
    let closed = loop {
        match silent.next(deadline) {
            LinkEvent::Frame(f) => {
                if let Ok(Some(Message::Ping(TmPing { r#type: Some(0), .. }))) =
                    decode(f.message_type, &f.payload)
                {
                    pings += 1;
                }
            }
            LinkEvent::Closed | LinkEvent::BadFrame(_) => break true,
            LinkEvent::Timeout => break false,
        }
    };
    let after = start.elapsed();
    assert!(closed, "silent peer still connected after {after:?}; log:\n{}", node.log());
    assert!(pings >= 1, "dropped without being pinged");
    assert!(after >= interval / 2, "dropped after {after:?}, before a full tick could pass");
    wait_until(IO_TIMEOUT, "logging the ping timeout", &[&node], || {
        node.log()
            .lines()
            .any(|l| l.contains("peer disconnected") && l.contains(&key) && l.ends_with("ping timeout"))
    });
    // (`good` is not checked again: nobody answered its pings while we watched `silent`.)
    drop(good);
    still_serving(&node);
}

fn tx(raw: &[u8]) -> Message {
    Message::Transaction(TmTransaction {
        raw_transaction: Some(raw.to_vec()),
        status: Some(TransactionStatus::TsNew as i32),
        receive_timestamp: None,
        deferred: None,
    })
}

/// Distinct raw transaction bytes per test run (the node's suppression table outlives nothing,
/// but distinct bytes keep the four messages of one run apart).
fn raw(tag: u8) -> Vec<u8> {
    let mut r = vec![0x12, 0x00, 0x00, tag];
    r.extend_from_slice(fresh_key().public().as_bytes());
    r
}

#[rstest]
fn transaction_relayed_once_never_echoed(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let node = Node::start(rt, "127.0.0.2", "", &[]);
    let mut a = upgrade(node.addr, &RequestPlan::new(peer_cfg()));
    let mut c = upgrade(node.addr, &RequestPlan::new(peer_cfg()));
    let (t1, t2, t3) = (raw(1), raw(2), raw(3));
    let count = |link: &conformance::peer::Link, r: &[u8]| seen_count(link, |m| tx_raw(m) == Some(r));

    // A → node → C.
    a.send(&tx(&t1)).unwrap();
    assert!(
        c.wait_for(Instant::now() + IO_TIMEOUT, |l| count(l, &t1) >= 1),
        "t1 not relayed:\n{}",
        node.log()
    );
    // The same transaction again (suppressed by hash), then a marker behind it on the same link.
    a.send(&tx(&t1)).unwrap();
    a.send(&tx(&t2)).unwrap();
    assert!(
        c.wait_for(Instant::now() + IO_TIMEOUT, |l| count(l, &t2) >= 1),
        "t2 not relayed:\n{}",
        node.log()
    );
    assert_eq!(count(&c, &t1), 1, "C got t1 more than once");
    // C → node → A: anything echoed to A earlier is queued ahead of t3.
    c.send(&tx(&t3)).unwrap();
    assert!(
        a.wait_for(Instant::now() + IO_TIMEOUT, |l| count(l, &t3) >= 1),
        "t3 not relayed:\n{}",
        node.log()
    );
    assert_eq!(count(&a, &t1) + count(&a, &t2), 0, "A's own transactions echoed back");
    assert_eq!(count(&c, &t3), 0, "C's own transaction echoed back");
    // Both links survived (duplicates are not a disconnect offence).
    a.ping(1, Instant::now() + IO_TIMEOUT).unwrap();
    c.ping(2, Instant::now() + IO_TIMEOUT).unwrap();
}

/// A fresh valid handshake and a ping still work, and `/crawl` answers.
fn still_serving(node: &Node) {
    let mut link = upgrade(node.addr, &RequestPlan::new(peer_cfg()));
    link.ping(3, Instant::now() + IO_TIMEOUT).unwrap_or_else(|e| panic!("no pong after rejections: {e}"));
    node.crawl();
}

#[rstest]
fn server_domain_and_ip_header_rules_over_tls(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let node = Node::start(rt, "127.0.0.2", "", &[]);
    // (header, value, expected status, reason fragment) — overlay-wire.md §2.4.
    let refused: [(&str, &str, u16, &str); 5] = [
        ("Server-Domain", "not a domain", 400, "Invalid server domain"),
        ("Server-Domain", "nodot", 400, "Invalid server domain"),
        ("Server-Domain", "-bad-.example.com", 400, "Invalid server domain"),
        ("Local-IP", "300.1.2.3", 400, "Invalid Local-IP"),
        ("Remote-IP", "localhost", 400, "Invalid Remote-IP"),
    ];
    for (name, value, want, reason) in refused {
        let a = attempt(node.addr, &RequestPlan::new(peer_cfg()).set(name, value));
        let Some(status) = a.status() else { panic!("{name}: {value:?} → {}", a.describe()) };
        assert_eq!(status, want, "{name}: {value:?} → {}", a.describe());
        if let conformance::peer::Attempt::Reply(r) = &a {
            assert!(r.head.reason.contains(reason), "{name}: {value:?} → reason {:?}", r.head.reason);
        }
        still_serving(&node);
    }
    // Accepted as rippled accepts them: a well-formed domain; and IP headers that disagree with
    // the socket, because the socket's peer (127.0.0.1) is not a public address, and only a public
    // socket address is compared (`Incorrect Local-IP` / `Incorrect Remote-IP` need one, which
    // loopback cannot provide: conformance HS-019/HS-020 cover them from a public-looking docker
    // bridge in `conformance/tests/containers.rs`).
    let accepted = [("Server-Domain", "example.com"), ("Local-IP", "8.8.8.8"), ("Remote-IP", "9.9.9.9")];
    for (name, value) in accepted {
        let mut link = try_upgrade(node.addr, &RequestPlan::new(peer_cfg()).set(name, value))
            .unwrap_or_else(|e| panic!("{name}: {value:?} refused: {e}\n{}", node.log()));
        link.ping(4, Instant::now() + IO_TIMEOUT).unwrap();
    }
    still_serving(&node);
}

/// A–B–C line of real nodes (A and C bootstrap from B; without `--lab-gossip` loopback addresses
/// are never gossiped, so A and C never meet). B runs the other runtime. A test peer at A injects
/// transactions, one at C watches.
#[rstest]
fn transaction_crosses_a_line_of_nodes_once(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let b = Node::start(rt.other(), "127.0.0.2", "", &[]);
    let ips = b.addr.to_string();
    let a = Node::start(rt, "127.0.0.3", "", &["--ips", &ips]);
    let c = Node::start(rt, "127.0.0.4", "", &["--ips", &ips]);
    wait_until(CONNECT_DEADLINE, "A–B and B–C connected", &[&a, &b, &c], || {
        b.lists(&a) && b.lists(&c) && a.lists(&b) && c.lists(&b)
    });
    let mut pa = upgrade(a.addr, &RequestPlan::new(peer_cfg()));
    let mut pc = upgrade(c.addr, &RequestPlan::new(peer_cfg()));
    let (t1, t2, t3) = (raw(11), raw(12), raw(13));
    let count = |link: &conformance::peer::Link, r: &[u8]| seen_count(link, |m| tx_raw(m) == Some(r));
    let logs = [&a, &b, &c];

    pa.send(&tx(&t1)).unwrap();
    pa.send(&tx(&t1)).unwrap();
    pa.send(&tx(&t2)).unwrap();
    wait_until(IO_TIMEOUT, "t1 and t2 at C's peer", &logs, || {
        pc.wait_for(Instant::now() + POLL, |l| count(l, &t2) >= 1)
    });
    assert_eq!(count(&pc, &t1), 1, "t1 reached C's peer more than once");
    assert_eq!(count(&pc, &t2), 1, "t2 reached C's peer more than once");
    pc.send(&tx(&t3)).unwrap();
    wait_until(IO_TIMEOUT, "t3 at A's peer", &logs, || {
        pa.wait_for(Instant::now() + POLL, |l| count(l, &t3) >= 1)
    });
    assert_eq!(count(&pa, &t1) + count(&pa, &t2), 0, "A's peer got its own transactions back");
    assert_eq!(count(&pc, &t3), 0, "C's peer got its own transaction back");
    assert!(!a.lists(&c) && !c.lists(&a), "A and C must only be linked through B");
}
