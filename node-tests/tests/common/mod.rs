//! Harness shared by every end-to-end test file: start the real binaries on loopback, read their logs and `/crawl`, and
//! talk to them as a test peer through the conformance suite's blocking TLS peer.
//! Every wait polls with a deadline; nothing sleeps for a fixed time and hopes.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use conformance::peer::{self, Attempt, Link, RequestPlan};
use node_common::datadir::DataDir;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use protocol_core::framing::FrameOptions;
use protocol_core::handshake::HandshakeConfig;
use protocol_core::keys::{NodeKeyPair, Seed};
use protocol_core::messages::{decode, Message};
use protocol_core::network::FrameDialect;
use protocol_core::Network;

/// Start-up (certificate generation included) must finish within this.
pub const START_DEADLINE: Duration = Duration::from_secs(30);
/// Two nodes that know each other's address must be connected within this.
pub const CONNECT_DEADLINE: Duration = Duration::from_secs(30);
/// A mesh learnt by gossip with `--lab-gossip` [`LAB_GOSSIP_SECS`]: a few intervals of probe,
/// Livecache, broadcast, autoconnect.
pub const MESH_DEADLINE: Duration = Duration::from_secs(45);
/// TMEndpoints interval of nodes that must learn addresses by gossip (hidden lab switch that also
/// allows loopback addresses in gossip and 503 redirects).
pub const LAB_GOSSIP_SECS: &str = "2";
/// Poll interval while waiting for a condition.
pub const POLL: Duration = Duration::from_millis(100);
/// One request or one expected frame must arrive within this.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rt {
    Tokio,
    AsyncStd,
}

impl Rt {
    pub fn exe(self) -> &'static str {
        match self {
            Rt::Tokio => env!("CARGO_BIN_EXE_test-node-tokio"),
            Rt::AsyncStd => env!("CARGO_BIN_EXE_test-node-asyncstd"),
        }
    }

    pub fn other(self) -> Rt {
        match self {
            Rt::Tokio => Rt::AsyncStd,
            Rt::AsyncStd => Rt::Tokio,
        }
    }
}

/// A stopped node must exit within this.
pub const EXIT_DEADLINE: Duration = Duration::from_secs(15);

/// A data directory whose node identity exists before the node starts, so tests (and other
/// nodes' configurations, e.g. `[cluster_nodes]`) can name its key.
pub struct Identity {
    dir: tempfile::TempDir,
    pub key_b58: String,
    pub key_b64: String,
}

impl Identity {
    pub fn new() -> Identity {
        let dir = tempfile::tempdir().unwrap();
        let id = DataDir::open(dir.path().to_path_buf(), Network::Xrpl).unwrap().node_identity(None).unwrap();
        let key = id.keys.public();
        Identity {
            key_b58: key.to_base58(Network::Xrpl.profile().alphabet),
            key_b64: openssl::base64::encode_block(key.as_bytes()),
            dir,
        }
    }
}

/// A node binary running on a loopback address with its own data directory; killed on drop.
pub struct Node {
    child: Option<Child>,
    pub rt: Rt,
    pub addr: SocketAddr,
    pub key_b58: String,
    pub key_b64: String,
    dir: tempfile::TempDir,
}

/// A port free on `ip` right now (the OS picks it).
pub fn free_port(ip: IpAddr) -> u16 {
    TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap().port()
}

/// `--ips` flags for each address.
pub fn ips_args(ips: &[SocketAddr]) -> Vec<String> {
    ips.iter().flat_map(|a| ["--ips".to_string(), a.to_string()]).collect()
}

impl Node {
    /// Starts `rt`'s binary listening on `ip` (keep nodes that others dial off 127.0.0.1: the
    /// harness connects from there and PeerFinder squelches dials to the IP of an open slot).
    /// `extra_conf` is appended to the generated rippled.cfg; `args` are extra CLI flags.
    pub fn start(rt: Rt, ip: &str, extra_conf: &str, args: &[&str]) -> Node {
        Node::start_as(rt, Identity::new(), ip, extra_conf, args)
    }

    /// As [`Node::start`] with an identity made in advance.
    pub fn start_as(rt: Rt, id: Identity, ip: &str, extra_conf: &str, args: &[&str]) -> Node {
        let ip: IpAddr = ip.parse().unwrap();
        let port = free_port(ip);
        Node::launch(rt, id, SocketAddr::new(ip, port), extra_conf, args)
    }

    /// As [`Node::start`] on a given address (for configurations that must name it in advance).
    pub fn start_on(rt: Rt, addr: SocketAddr, extra_conf: &str, args: &[&str]) -> Node {
        Node::launch(rt, Identity::new(), addr, extra_conf, args)
    }

    fn launch(rt: Rt, id: Identity, addr: SocketAddr, extra_conf: &str, args: &[&str]) -> Node {
        let Identity { dir, key_b58, key_b64 } = id;
        let conf = dir.path().join("node.cfg");
        let (ip, port) = (addr.ip(), addr.port());
        std::fs::write(
            &conf,
            format!("[port_peer]\nip = {ip}\nport = {port}\nprotocol = peer\n\n{extra_conf}\n"),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("node.log")).unwrap();
        let child = Command::new(rt.exe())
            .arg("--conf")
            .arg(&conf)
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .env("RUST_LOG", "info")
            .spawn()
            .unwrap();
        let node = Node { child: Some(child), rt, addr, key_b58, key_b64, dir };
        wait_until(START_DEADLINE, "listening", &[&node], || TcpStream::connect(node.addr).is_ok());
        node
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("node.log")).unwrap_or_default()
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The raw `/crawl` body, if the node answered 200.
    pub fn crawl_text(&self) -> Option<String> {
        match https(self.addr, "GET /crawl HTTP/1.1\r\nHost: t\r\n\r\n") {
            Ok((200, _, body)) => Some(body),
            _ => None,
        }
    }

    /// The node's `/crawl` document, or `None` if it did not answer 200 with JSON.
    pub fn try_crawl(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.crawl_text()?).ok()
    }

    pub fn crawl(&self) -> serde_json::Value {
        self.try_crawl().unwrap_or_else(|| panic!("{} /crawl failed; log:\n{}", self.addr, self.log()))
    }

    /// `other`'s entry in our `/crawl` `overlay.active`, if listed.
    pub fn entry_for(&self, other_b64: &str) -> Option<serde_json::Value> {
        let v = self.try_crawl()?;
        v["overlay"]["active"]
            .as_array()?
            .iter()
            .find(|p| p["public_key"].as_str() == Some(other_b64))
            .cloned()
    }

    /// `other`'s entry in our `/crawl` `overlay.active`, if listed.
    pub fn entry_of(&self, other: &Node) -> Option<serde_json::Value> {
        self.entry_for(&other.key_b64)
    }

    /// Whether `other` is in our `/crawl` `overlay.active`.
    pub fn lists(&self, other: &Node) -> bool {
        self.entry_of(other).is_some()
    }

    /// How many peers our `/crawl` lists as active.
    pub fn active_count(&self) -> Option<usize> {
        self.try_crawl()?["overlay"]["active"].as_array().map(Vec::len)
    }

    /// The body of the 503 we get for an upgrade request without `Connect-As: peer`: the
    /// node's redirect list (overlay-wire.md §2.3).
    pub fn redirect_body(&self) -> String {
        let req = "GET / HTTP/1.1\r\nUpgrade: XRPL/2.2\r\nConnection: Upgrade\r\nConnect-As: Leaf\r\n\r\n";
        let (status, head, body) = https(self.addr, req).unwrap();
        assert_eq!(status, 503, "{head}");
        body
    }

    pub fn sigterm(&self) {
        let pid = self.child.as_ref().unwrap().id();
        let st = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().unwrap();
        assert!(st.success());
    }

    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        wait_exit(&mut child)
            .unwrap_or_else(|| panic!("no exit within {EXIT_DEADLINE:?}; log:\n{}", self.log()))
    }
}

/// The exit status, or `None` (and the process killed) after [`EXIT_DEADLINE`].
pub fn wait_exit(child: &mut Child) -> Option<std::process::ExitStatus> {
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

/// One request over TLS (no certificate verification, no SNI). Returns status, head and body;
/// reads until the server closes.
pub fn https(addr: SocketAddr, request: &str) -> Result<(u16, String, String), String> {
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

/// Polls `cond` until true; panics with the nodes' logs after `limit`.
pub fn wait_until(limit: Duration, what: &str, nodes: &[&Node], mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if cond() {
            return;
        }
        std::thread::sleep(POLL);
    }
    let logs: Vec<String> =
        nodes.iter().map(|n| format!("--- {} ({:?})\n{}", n.addr, n.rt, n.log())).collect();
    panic!("not {what} within {limit:?}\n{}", logs.join("\n"));
}

// --- test peer ------------------------------------------------------------------------------------

/// A fresh node identity for a test peer (distinct per call within the process and across runs).
pub fn fresh_key() -> NodeKeyPair {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    NodeKeyPair::from_seed(&Seed::from_passphrase(&format!("node-tests peer {} {n} {t}", std::process::id())))
}

/// Handshake settings of a test peer on the xrpl profile.
pub fn peer_cfg() -> HandshakeConfig {
    let mut cfg = HandshakeConfig::new(Network::Xrpl.profile(), fresh_key());
    cfg.software = "xrpl-overlay-node-tests".into();
    cfg
}

/// One handshake attempt of `plan` against `addr` over real TLS.
pub fn attempt(addr: SocketAddr, plan: &RequestPlan) -> Attempt {
    let conn = peer::connector(FrameDialect::Modern).unwrap();
    peer::attempt(addr, &conn, plan, IO_TIMEOUT).unwrap_or_else(|e| panic!("attempt on {addr}: {e}"))
}

/// A verified upgrade as a test peer: the framed link, or a description of what came back.
pub fn try_upgrade(addr: SocketAddr, plan: &RequestPlan) -> Result<Link, String> {
    match attempt(addr, plan) {
        Attempt::Reply(r) if r.head.status == 101 => {
            let peer = match &r.verdict {
                Some(Ok(p)) => p.clone(),
                other => return Err(format!("101 does not verify: {:?}", other.as_ref().map(|v| v.is_ok()))),
            };
            Ok(Link::new(*r, FrameOptions::modern(peer.features.compression)))
        }
        other => Err(other.describe()),
    }
}

pub fn upgrade(addr: SocketAddr, plan: &RequestPlan) -> Link {
    try_upgrade(addr, plan).unwrap_or_else(|e| panic!("upgrade on {addr}: {e}"))
}

/// How many frames the link has absorbed that decode to a message matching `pred`.
pub fn seen_count(link: &Link, mut pred: impl FnMut(&Message) -> bool) -> usize {
    link.seen.iter().filter(|f| matches!(decode(f.message_type, &f.payload), Ok(Some(m)) if pred(&m))).count()
}

/// The raw bytes of a TMTransaction, if `m` is one.
pub fn tx_raw(m: &Message) -> Option<&[u8]> {
    match m {
        Message::Transaction(t) => t.raw_transaction.as_deref(),
        _ => None,
    }
}
