//! End-to-end: the real binaries (tokio and async-std) on loopback, observed only through their
//! sockets (/crawl over HTTPS, handshakes), their logs and their data directories.
//! Every wait polls with a deadline; nothing sleeps for a fixed time and hopes.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use node_common::datadir::DataDir;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use protocol_core::Network;
use rstest::rstest;

/// Start-up (certificate generation included) must finish within this.
const START_DEADLINE: Duration = Duration::from_secs(30);
/// Two nodes that know each other's address must be connected within this.
const CONNECT_DEADLINE: Duration = Duration::from_secs(30);
/// A mesh learnt by gossip: with `--lab-gossip` [`LAB_GOSSIP_SECS`] (instead of rippled's 151 s,
/// peerfinder.md §6.2) it takes a few intervals: probe, Livecache, broadcast, autoconnect.
const MESH_DEADLINE: Duration = Duration::from_secs(45);
/// TMEndpoints interval of the mesh test's nodes (hidden lab switch, also allows loopback gossip).
const LAB_GOSSIP_SECS: &str = "2";
/// A stopped node must exit within this.
const EXIT_DEADLINE: Duration = Duration::from_secs(15);
/// Poll interval while waiting for a condition.
const POLL: Duration = Duration::from_millis(100);
/// One HTTPS request must complete within this.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

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
    key_b58: String,
    key_b64: String,
    dir: tempfile::TempDir,
}

/// A port free on `ip` right now (the OS picks it; a race with another process is possible but
/// harmless on loopback-only test addresses).
fn free_port(ip: IpAddr) -> u16 {
    TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap().port()
}

impl Node {
    fn start(rt: Rt, ip: &str, extra_conf: &str, ips: &[SocketAddr]) -> Node {
        Node::start_with(rt, ip, extra_conf, ips, &[])
    }

    /// Nodes dial from their listening address; the harness itself connects from 127.0.0.1, and
    /// PeerFinder squelches dials to the IP of any open slot for 60 s (peerfinder.md §4), so
    /// tests keep nodes that others dial off 127.0.0.1.
    fn start_with(rt: Rt, ip: &str, extra_conf: &str, ips: &[SocketAddr], args: &[&str]) -> Node {
        let ip: IpAddr = ip.parse().unwrap();
        let port = free_port(ip);
        let dir = tempfile::tempdir().unwrap();
        // Create the identity first so the test knows the key the node will use.
        let id = DataDir::open(dir.path().to_path_buf(), Network::Xrpl).unwrap().node_identity(None).unwrap();
        let key = id.keys.public();
        let conf = dir.path().join("node.cfg");
        std::fs::write(
            &conf,
            format!("[port_peer]\nip = {ip}\nport = {port}\nprotocol = peer\n\n{extra_conf}\n"),
        )
        .unwrap();
        let mut cmd = Command::new(rt.exe());
        cmd.arg("--conf").arg(&conf).arg("--data-dir").arg(dir.path());
        for a in ips {
            cmd.arg("--ips").arg(a.to_string());
        }
        cmd.args(args);
        let log = std::fs::File::create(dir.path().join("node.log")).unwrap();
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log).env("RUST_LOG", "info");
        let child = cmd.spawn().unwrap();
        let node = Node {
            child: Some(child),
            addr: SocketAddr::new(ip, port),
            key_b58: key.to_base58(Network::Xrpl.profile().alphabet),
            key_b64: openssl::base64::encode_block(key.as_bytes()),
            dir,
        };
        node.wait_for(START_DEADLINE, "listening", || TcpStream::connect(node.addr).is_ok());
        node
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("node.log")).unwrap_or_default()
    }

    fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Poll `cond` until true; panic with the node's log on timeout.
    fn wait_for(&self, limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if cond() {
                return;
            }
            std::thread::sleep(POLL);
        }
        panic!("{} not {what} within {limit:?}; log:\n{}", self.addr, self.log());
    }

    fn crawl(&self) -> serde_json::Value {
        let (status, _, body) = https(self.addr, "GET /crawl HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Whether `other`'s key is in our /crawl `overlay.active`.
    fn lists(&self, other: &Node) -> bool {
        let Ok((200, _, body)) = https(self.addr, "GET /crawl HTTP/1.1\r\nHost: t\r\n\r\n") else {
            return false;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) else { return false };
        v["overlay"]["active"].as_array().is_some_and(|peers| {
            peers.iter().any(|p| {
                let k = p["public_key"].as_str().unwrap_or_default();
                k == other.key_b64 || k == other.key_b58
            })
        })
    }

    fn sigterm(&self) {
        let pid = self.child.as_ref().unwrap().id();
        let st = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().unwrap();
        assert!(st.success());
    }

    fn wait_exit(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        wait_exit(&mut child)
            .unwrap_or_else(|| panic!("no exit within {EXIT_DEADLINE:?}; log:\n{}", self.log()))
    }
}

/// The exit status, or `None` (and the process killed) after [`EXIT_DEADLINE`].
fn wait_exit(child: &mut Child) -> Option<std::process::ExitStatus> {
    let end = Instant::now() + EXIT_DEADLINE;
    while Instant::now() < end {
        if let Some(st) = child.try_wait().unwrap() {
            return Some(st);
        }
        std::thread::sleep(POLL);
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// One request over TLS (no certificate verification, no SNI: peer-port certificates are
/// self-signed). Returns status, head and body; reads until the server closes.
fn https(addr: SocketAddr, request: &str) -> Result<(u16, String, String), String> {
    let mut b = SslConnector::builder(SslMethod::tls()).map_err(|e| e.to_string())?;
    b.set_verify(SslVerifyMode::NONE);
    let connector = b.build();
    let tcp = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(IO_TIMEOUT)).map_err(|e| e.to_string())?;
    tcp.set_write_timeout(Some(IO_TIMEOUT)).map_err(|e| e.to_string())?;
    let mut cfg = connector.configure().map_err(|e| e.to_string())?;
    cfg.set_use_server_name_indication(false);
    cfg.set_verify_hostname(false);
    let mut tls = cfg.connect("", tcp).map_err(|e| e.to_string())?;
    tls.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    // A server that closes without close_notify yields an error after the data: keep the data.
    let _ = tls.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| format!("no HTTP head in {text:?}"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    Ok((status, head.to_string(), body.to_string()))
}

fn wait_until(limit: Duration, what: &str, nodes: &[&Node], mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if cond() {
            return;
        }
        std::thread::sleep(POLL);
    }
    let logs: Vec<String> = nodes.iter().map(|n| format!("--- {}\n{}", n.addr, n.log())).collect();
    panic!("not {what} within {limit:?}\n{}", logs.join("\n"));
}

#[rstest]
fn two_default_nodes_handshake(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let a = Node::start(rt, "127.0.0.2", "", &[]);
    let b = Node::start(rt, "127.0.0.3", "", &[a.addr]);
    wait_until(CONNECT_DEADLINE, "listed in each other's /crawl", &[&a, &b], || a.lists(&b) && b.lists(&a));
    assert!(a.log().contains("peer connected"), "{}", a.log());
    assert!(b.log().contains(&a.key_b58), "outbound connect line names the peer key:\n{}", b.log());
}

#[rstest]
fn three_nodes_reach_full_mesh(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let lab = ["--lab-gossip", LAB_GOSSIP_SECS];
    let a = Node::start_with(rt, "127.0.0.2", "", &[], &lab);
    let b = Node::start_with(rt, "127.0.0.3", "", &[a.addr], &lab);
    let c = Node::start_with(rt, "127.0.0.4", "", &[a.addr], &lab);
    let nodes = [&a, &b, &c];
    wait_until(MESH_DEADLINE, "a full mesh", &nodes, || {
        nodes.iter().all(|x| nodes.iter().filter(|y| x.addr != y.addr).all(|y| x.lists(y)))
    });
}

#[rstest]
fn full_node_redirects_with_503(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    // peers_max 11 ⇒ 10 outbound + 1 inbound slot (peerfinder.md §3.1): the second caller is refused.
    let a = Node::start(rt, "127.0.0.2", "[peers_max]\n11\n", &[]);
    let b = Node::start(rt, "127.0.0.3", "", &[a.addr]);
    wait_until(CONNECT_DEADLINE, "connected", &[&a, &b], || a.lists(&b));
    let c = Node::start(rt, "127.0.0.4", "", &[a.addr]);
    wait_until(CONNECT_DEADLINE, "redirected", &[&a, &c], || {
        let log = c.log();
        log.contains("redirected us") || log.contains("rejected (503)")
    });
    assert!(!a.lists(&c));
}

#[rstest]
fn bad_upgrade_requests_get_their_status_and_node_keeps_serving(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let a = Node::start(rt, "127.0.0.1", "", &[]);
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
    let mut a = Node::start(rt, "127.0.0.2", "", &[]);
    let b = Node::start(rt, "127.0.0.3", "", &[a.addr]);
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
