//! The governor on real sockets (both runtimes): a node with `TargetNumberOfActivePeers = 2`
//! among six reachable peers on loopback keeps exactly two hot and the other four warm, and
//! re-forms two hot peers after a hot peer's process is killed. Observed through the node's
//! log lines `governor: #conn addr hot|warm` and `peer connected/disconnected`; every wait
//! polls with a deadline.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rstest::rstest;

/// Start-up (certificate generation included) must finish within this.
const START_DEADLINE: Duration = Duration::from_secs(30);
/// Six dials and two promotions; then the re-formation after a kill (socket EOF is immediate).
const FORM_DEADLINE: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);
/// The governed node's targets: 2 hot; the established default (13) leaves all six connected.
const GOVERNOR_KEYS: &str = "TargetNumberOfActivePeers = 2\nTargetNumberOfRootPeers = 6\n";
const PEERS: usize = 6;

#[derive(Debug, Clone, Copy)]
enum Rt {
    Tokio,
    AsyncStd,
}

impl Rt {
    fn exe(self) -> &'static str {
        match self {
            Rt::Tokio => env!("CARGO_BIN_EXE_test-node-tokio"),
            Rt::AsyncStd => env!("CARGO_BIN_EXE_test-node-asyncstd"),
        }
    }
}

struct Node {
    child: Option<Child>,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Node {
    fn start(rt: Rt, ip: &str, ips: &[SocketAddr], governor: Option<&str>) -> Node {
        let ip: IpAddr = ip.parse().unwrap();
        let port = TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("node.cfg");
        std::fs::write(&conf, format!("[port_peer]\nip = {ip}\nport = {port}\nprotocol = peer\n")).unwrap();
        let mut cmd = Command::new(rt.exe());
        cmd.arg("--conf").arg(&conf).arg("--data-dir").arg(dir.path());
        for a in ips {
            cmd.arg("--ips").arg(a.to_string());
        }
        if let Some(keys) = governor {
            let path = dir.path().join("governor.cfg");
            std::fs::write(&path, keys).unwrap();
            cmd.arg("--governor").arg(path);
        }
        let log = std::fs::File::create(dir.path().join("node.log")).unwrap();
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log).env("RUST_LOG", "info");
        let node = Node { child: Some(cmd.spawn().unwrap()), addr: SocketAddr::new(ip, port), dir };
        let end = Instant::now() + START_DEADLINE;
        while TcpStream::connect(node.addr).is_err() {
            assert!(Instant::now() < end, "{} not listening; log:\n{}", node.addr, node.log());
            std::thread::sleep(POLL);
        }
        node
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("node.log")).unwrap_or_default()
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// (hot remotes, warm remotes) of the governed outbound connections, replayed from the log.
fn relay_state(log: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut outbound: BTreeMap<String, String> = BTreeMap::new();
    let mut hot: BTreeSet<String> = BTreeSet::new();
    for line in log.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = |w: &str| words.iter().position(|x| *x == w);
        if let Some(i) = at("governor:") {
            let (Some(conn), Some(state)) = (words.get(i + 1), words.get(i + 3)) else { continue };
            if *state == "hot" {
                hot.insert(conn.to_string());
            } else {
                hot.remove(*conn);
            }
        } else if let (Some(i), true) = (at("connected"), line.contains("(outbound")) {
            if words.get(i.wrapping_sub(1)) == Some(&"peer") {
                if let (Some(conn), Some(remote)) = (words.get(i + 1), words.get(i + 2)) {
                    outbound.insert(conn.to_string(), remote.to_string());
                }
            }
        } else if let Some(i) = at("disconnected") {
            if let Some(conn) = words.get(i + 1) {
                outbound.remove(*conn);
                hot.remove(*conn);
            }
        }
    }
    let (h, w): (Vec<_>, Vec<_>) = outbound.iter().partition(|(c, _)| hot.contains(*c));
    (h.into_iter().map(|(_, r)| r.clone()).collect(), w.into_iter().map(|(_, r)| r.clone()).collect())
}

fn wait_state(node: &Node, what: &str, mut ok: impl FnMut(&BTreeSet<String>, &BTreeSet<String>) -> bool) {
    let end = Instant::now() + FORM_DEADLINE;
    loop {
        let (h, w) = relay_state(&node.log());
        if ok(&h, &w) {
            return;
        }
        assert!(
            Instant::now() < end,
            "not {what} within {FORM_DEADLINE:?}: hot {h:?} warm {w:?}; log:\n{}",
            node.log()
        );
        std::thread::sleep(POLL);
    }
}

#[rstest]
fn two_hot_among_six_and_reforms_after_a_kill(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let mut peers: Vec<Node> =
        (0..PEERS).map(|k| Node::start(rt, &format!("127.0.0.{}", 3 + k), &[], None)).collect();
    let addrs: Vec<SocketAddr> = peers.iter().map(|p| p.addr).collect();
    let a = Node::start(rt, "127.0.0.2", &addrs, Some(GOVERNOR_KEYS));
    wait_state(&a, "2 hot + 4 warm", |h, w| h.len() == 2 && w.len() == PEERS - 2);
    let (hot, _) = relay_state(&a.log());
    let victim_addr = hot.iter().next().cloned().unwrap();
    let victim = peers.iter().position(|p| p.addr.to_string() == victim_addr).unwrap();
    peers[victim].kill();
    wait_state(&a, "re-formed to 2 hot without the killed peer", |h, w| {
        h.len() == 2 && !h.contains(&victim_addr) && !w.contains(&victim_addr) && w.len() == PEERS - 3
    });
}
