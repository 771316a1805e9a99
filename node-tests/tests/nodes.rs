//! End-to-end: the real binaries (tokio and async-std) on loopback, observed only through their
//! sockets (/crawl over HTTPS, handshakes), their logs and their data directories.
//! Every wait polls with a deadline; nothing sleeps for a fixed time and hopes.

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::*;
use rstest::rstest;

/// Starts a node that bootstraps from `ips`, with extra CLI `args`.
fn start(rt: Rt, ip: &str, extra_conf: &str, ips: &[SocketAddr], args: &[&str]) -> Node {
    let ips = ips_args(ips);
    let ips: Vec<&str> = ips.iter().map(String::as_str).collect();
    Node::start(rt, ip, extra_conf, &[&ips[..], args].concat())
}

#[rstest]
fn two_default_nodes_handshake(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let a = start(rt, "127.0.0.2", "", &[], &[]);
    let b = start(rt, "127.0.0.3", "", &[a.addr], &[]);
    wait_until(CONNECT_DEADLINE, "listed in each other's /crawl", &[&a, &b], || a.lists(&b) && b.lists(&a));
    assert!(a.log().contains("peer connected"), "{}", a.log());
    assert!(b.log().contains(&a.key_b58), "outbound connect line names the peer key:\n{}", b.log());
}

#[rstest]
fn three_nodes_reach_full_mesh(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let lab = ["--lab-gossip", LAB_GOSSIP_SECS];
    let a = start(rt, "127.0.0.2", "", &[], &lab);
    let b = start(rt, "127.0.0.3", "", &[a.addr], &lab);
    let c = start(rt, "127.0.0.4", "", &[a.addr], &lab);
    let nodes = [&a, &b, &c];
    wait_until(MESH_DEADLINE, "a full mesh", &nodes, || {
        nodes.iter().all(|x| nodes.iter().filter(|y| x.addr != y.addr).all(|y| x.lists(y)))
    });
}

#[rstest]
fn full_node_redirects_with_503(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    // peers_max 11 ⇒ 10 outbound + 1 inbound slot (peerfinder.md §3.1): the second caller is refused.
    let a = start(rt, "127.0.0.2", "[peers_max]\n11\n", &[], &[]);
    let b = start(rt, "127.0.0.3", "", &[a.addr], &[]);
    wait_until(CONNECT_DEADLINE, "connected", &[&a, &b], || a.lists(&b));
    let c = start(rt, "127.0.0.4", "", &[a.addr], &[]);
    wait_until(CONNECT_DEADLINE, "redirected", &[&a, &c], || {
        let log = c.log();
        log.contains("redirected us") || log.contains("rejected (503)")
    });
    assert!(!a.lists(&c));
}

#[rstest]
fn bad_upgrade_requests_get_their_status_and_node_keeps_serving(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let a = start(rt, "127.0.0.1", "", &[], &[]);
    // overlay-wire.md §2.3: (request, expected status)
    let cases: [(&str, u16); 3] = [
        // #2: not a peer upgrade on a peer-only port.
        ("GET / HTTP/1.1\r\nHost: t\r\n\r\n", 403),
        // #6: a valid XRPL token but no version in common.
        ("GET / HTTP/1.1\r\nUpgrade: XRPL/9.9\r\nConnection: Upgrade\r\nConnect-As: Peer\r\n\r\n", 400),
        // #7/#8: a version we speak but no session signature or public key.
        ("GET / HTTP/1.1\r\nUpgrade: XRPL/2.2\r\nConnection: Upgrade\r\nConnect-As: Peer\r\n\r\n", 400),
    ];
    for (req, want) in cases {
        let (status, head, _) = https(a.addr, req).unwrap();
        assert_eq!(status, want, "{req:?} → {head}");
    }
    // Still serving.
    let v = a.crawl();
    assert!(v["overlay"]["active"].as_array().is_some_and(|p| p.is_empty()), "{v}");
}

#[rstest]
fn sigterm_exits_cleanly_and_writes_bootcache(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let mut a = start(rt, "127.0.0.2", "", &[], &[]);
    let b = start(rt, "127.0.0.3", "", &[a.addr], &[]);
    wait_until(CONNECT_DEADLINE, "connected", &[&a, &b], || b.lists(&a));
    let bootcache: PathBuf = a.data_dir().join(node_common::node::BOOTCACHE_FILE);
    assert!(!bootcache.exists());
    a.sigterm();
    let st = a.wait_exit();
    assert!(st.success(), "exit {st:?}; log:\n{}", a.log());
    let text = std::fs::read_to_string(&bootcache).unwrap();
    serde_json::from_str::<serde_json::Value>(&text).expect("bootcache is JSON");
    assert!(a.log().contains("bootcache written"), "{}", a.log());
    // The peer saw the close.
    wait_until(CONNECT_DEADLINE, "disconnected", &[&b], || b.log().contains("peer disconnected"));
}

#[rstest]
fn runs_on_built_in_defaults(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    // No --conf, no --data-dir: the data directory comes from XDG_DATA_HOME. Only the port is
    // given, because the default 51235 may be taken on a shared machine.
    let home = tempfile::tempdir().unwrap();
    let port = free_port("0.0.0.0".parse().unwrap());
    let mut child = Command::new(rt.exe())
        .arg("--peer-port")
        .arg(port.to_string())
        .env("XDG_DATA_HOME", home.path())
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let end = Instant::now() + START_DEADLINE;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    while https(addr, "GET /crawl HTTP/1.1\r\nHost: t\r\n\r\n").map(|r| r.0) != Ok(200) {
        assert!(Instant::now() < end, "no /crawl on {addr}");
        assert!(child.try_wait().unwrap().is_none(), "node exited");
        std::thread::sleep(POLL);
    }
    let st = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    assert!(st.success());
    let status = wait_exit(&mut child).expect("exit after SIGTERM");
    assert!(status.success());
    let data = home.path().join("xrpl-overlay").join("xrpl");
    assert!(data.join("node_seed").exists() && data.join(node_common::node::BOOTCACHE_FILE).exists());
}

#[rstest]
fn missing_conf_file_is_a_clear_error(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.cfg");
    let out = Command::new(rt.exe())
        .arg("--conf")
        .arg(&missing)
        .arg("--data-dir")
        .arg(dir.path())
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read configuration file") && err.contains(&missing.display().to_string()),
        "{err}"
    );
}
