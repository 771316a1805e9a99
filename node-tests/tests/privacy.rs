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

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use node_common::datadir::DataDir;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use protocol_core::Network;
use rstest::rstest;

/// Start-up (certificate generation included) must finish within this.
const START_DEADLINE: Duration = Duration::from_secs(30);
/// Links between nodes that know each other's address.
const CONNECT_DEADLINE: Duration = Duration::from_secs(30);
/// A mesh learnt by gossip every [`LAB_GOSSIP_SECS`] (nodes.rs uses the same bound).
const MESH_DEADLINE: Duration = Duration::from_secs(45);
/// TMEndpoints interval (hidden lab switch; also lets loopback addresses be gossiped).
const LAB_GOSSIP_SECS: &str = "2";
/// After the mesh formed, keep reading every /crawl and 503 body for this long (several
/// gossip rounds) and require P's address to stay absent the whole time.
const OBSERVE: Duration = Duration::from_secs(8);
const POLL: Duration = Duration::from_millis(100);
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

/// A data directory whose node identity exists before the node starts, so other nodes'
/// configurations can name its key.
struct Identity {
    dir: tempfile::TempDir,
    key_b58: String,
    key_b64: String,
}

impl Identity {
    fn new() -> Identity {
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

struct Node {
    child: Option<Child>,
    addr: SocketAddr,
    id: Identity,
}

fn free_port(ip: IpAddr) -> u16 {
    TcpListener::bind((ip, 0)).unwrap().local_addr().unwrap().port()
}

impl Node {
    fn start(rt: Rt, id: Identity, ip: &str, conf: &str, ips: &[SocketAddr]) -> Node {
        let ip: IpAddr = ip.parse().unwrap();
        let port = free_port(ip);
        let path = id.dir.path().join("node.cfg");
        std::fs::write(&path, format!("[port_peer]\nip = {ip}\nport = {port}\nprotocol = peer\n\n{conf}\n"))
            .unwrap();
        let mut cmd = Command::new(rt.exe());
        cmd.arg("--conf").arg(&path).arg("--data-dir").arg(id.dir.path());
        for a in ips {
            cmd.arg("--ips").arg(a.to_string());
        }
        cmd.args(["--lab-gossip", LAB_GOSSIP_SECS]);
        let log = std::fs::File::create(id.dir.path().join("node.log")).unwrap();
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log).env("RUST_LOG", "info");
        let node = Node { child: Some(cmd.spawn().unwrap()), addr: SocketAddr::new(ip, port), id };
        wait_until(START_DEADLINE, "listening", &[&node], || TcpStream::connect(node.addr).is_ok());
        node
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.id.dir.path().join("node.log")).unwrap_or_default()
    }

    /// The raw /crawl body.
    fn crawl_text(&self) -> Option<String> {
        match https(self.addr, "GET /crawl HTTP/1.1\r\nHost: t\r\n\r\n") {
            Ok((200, _, body)) => Some(body),
            _ => None,
        }
    }

    /// `other`'s entry in our /crawl `overlay.active`.
    fn entry_of(&self, other: &Node) -> Option<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_str(&self.crawl_text()?).ok()?;
        v["overlay"]["active"]
            .as_array()?
            .iter()
            .find(|p| p["public_key"] == other.id.key_b64.as_str())
            .cloned()
    }

    fn lists(&self, other: &Node) -> bool {
        self.entry_of(other).is_some()
    }

    fn active_count(&self) -> Option<usize> {
        let v: serde_json::Value = serde_json::from_str(&self.crawl_text()?).ok()?;
        v["overlay"]["active"].as_array().map(Vec::len)
    }

    /// The body of the 503 we get for an upgrade request without `Connect-As: peer`: the
    /// node's redirect list (overlay-wire.md §2.3).
    fn redirect_body(&self) -> String {
        let req = "GET / HTTP/1.1\r\nUpgrade: XRPL/2.2\r\nConnection: Upgrade\r\nConnect-As: Leaf\r\n\r\n";
        let (status, head, body) = https(self.addr, req).unwrap();
        assert_eq!(status, 503, "{head}");
        body
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// One request over TLS (self-signed peer certificates: no verification, no SNI).
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
fn private_node_stays_hidden_behind_its_fixed_peer(#[values(Rt::Tokio, Rt::AsyncStd)] rt: Rt) {
    let a = Node::start(rt, Identity::new(), "127.0.0.2", "", &[]);
    let p = Node::start(
        rt,
        Identity::new(),
        "127.0.0.6",
        &format!("[peer_private]\n1\n\n[ips_fixed]\n{} {}\n", a.addr.ip(), a.addr.port()),
        &[],
    );
    let b = Node::start(rt, Identity::new(), "127.0.0.3", "", &[a.addr]);
    let c = Node::start(rt, Identity::new(), "127.0.0.4", "", &[a.addr]);
    // D dials P directly (P in its [ips]) without being one of P's fixed peers.
    let d = Node::start(rt, Identity::new(), "127.0.0.5", "", &[p.addr, a.addr]);
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
    let a = Node::start(rt, a_id, "127.0.0.7", &a_conf, &[]);
    // peers_max 11 ⇒ 10 outbound + 1 inbound slot (peerfinder.md §3.1): X takes it.
    let x = Node::start(rt, Identity::new(), "127.0.0.8", "", &[a.addr]);
    wait_until(CONNECT_DEADLINE, "X linked to A", &[&a, &x], || a.lists(&x));
    let c = Node::start(rt, c_id, "127.0.0.9", &c_conf, &[a.addr]);
    wait_until(CONNECT_DEADLINE, "C admitted by A as a cluster peer", &[&a, &x, &c], || {
        a.entry_of(&c).is_some_and(|e| e["cluster"] == true && e["name"] == "charlie")
            && c.entry_of(&a).is_some_and(|e| e["cluster"] == true && e["name"] == "alpha")
    });
    assert!(a.lists(&x), "the ordinary inbound peer keeps its slot");
    assert!(a.entry_of(&x).is_some_and(|e| e.get("cluster").is_none()));
}
