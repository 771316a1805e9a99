//! What every node benchmark shares: the JSON line, medians, in-process nodes on either runtime,
//! and the blocking test-peer connections (bound to a chosen 127.0.0.0/8 source address).
//!
//! Owns: starting/stopping nodes and opening peers for measurements. Must not touch: protocol
//! rules (the nodes and protocol-core apply them; peers speak through conformance's test peer).

use std::fs;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clap::Parser;
use conformance::peer::{read_reply, session_binding, Attempt, Link, PeerError, RequestPlan, Tls};
use futures::channel::oneshot;
use node_common::driver;
use openssl::ssl::SslConnector;
use protocol_core::framing::FrameOptions;
use protocol_core::handshake::HandshakeConfig;
use protocol_core::keys::{NodeKeyPair, Seed};
use protocol_core::Network;
use rand::RngCore;

/// Bound on every connect, TLS handshake and HTTP exchange of a bench peer.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a node gets to start listening (it binds inside its runtime thread).
pub const START_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    Peer(#[from] PeerError),
}

pub type Result<T> = std::result::Result<T, BenchError>;

pub fn fail<T>(msg: impl Into<String>) -> Result<T> {
    Err(BenchError::Failed(msg.into()))
}

/// One result line, the format `ci/bench` promises: `{"metric","value","unit","baseline","ratio"}`.
pub fn emit(metric: &str, value: f64, unit: &str, baseline: f64, ratio: f64) {
    println!(
        "{{\"metric\":\"{metric}\",\"value\":{value:.2},\"unit\":\"{unit}\",\"baseline\":{baseline:.2},\"ratio\":{ratio:.3}}}"
    );
}

/// Median of a non-empty sample (NaN for an empty one).
/// A fresh self-signed identity and the modern-policy acceptor and connector built from it.
pub fn tls_contexts() -> Result<(openssl::ssl::SslAcceptor, SslConnector)> {
    let failed = |e: &dyn std::fmt::Display| BenchError::Failed(e.to_string());
    let identity =
        node_common::tls::TlsIdentity::generate(std::time::SystemTime::now()).map_err(|e| failed(&e))?;
    let policy = node_common::tls::TlsPolicy::Modern;
    let acceptor = node_common::tls::acceptor(&identity, policy).map_err(|e| failed(&e))?;
    let connector = node_common::tls::connector(policy).map_err(|e| failed(&e))?;
    Ok((acceptor, connector))
}

pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A port that was free on `ip` a moment ago (the node binds it itself; a race is harmless here:
/// the start fails loudly).
pub fn free_port(ip: IpAddr) -> Result<u16> {
    Ok(TcpListener::bind((ip, 0))?.local_addr()?.port())
}

/// Which runtime an in-process node runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Tokio,
    AsyncStd,
}

/// A node running the shared driver in a thread of this process, as its binary would.
pub struct InProcessNode {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<std::result::Result<(), String>>>,
}

impl InProcessNode {
    /// Start a node with data directory `dir` (identity reused across starts; the bootcache of a
    /// previous start is removed so it dials only `fixed`), listening on `listen`.
    pub fn start(
        flavor: Flavor,
        dir: &Path,
        listen: SocketAddr,
        fixed: &[SocketAddr],
        extra: &str,
    ) -> Result<Self> {
        Self::start_embedded(flavor, dir, listen, fixed, extra, driver::Embedding::default())
    }

    /// [`InProcessNode::start`] with an application hooked into the driver (inputs, events).
    pub fn start_embedded(
        flavor: Flavor,
        dir: &Path,
        listen: SocketAddr,
        fixed: &[SocketAddr],
        extra: &str,
        embedding: driver::Embedding,
    ) -> Result<Self> {
        let mut conf = format!(
            "[port_peer]\nip = {}\nport = {}\nprotocol = peer\n\n{extra}\n",
            listen.ip(),
            listen.port()
        );
        if !fixed.is_empty() {
            conf.push_str("\n[ips_fixed]\n");
            for a in fixed {
                conf.push_str(&format!("{} {}\n", a.ip(), a.port()));
            }
        }
        let conf_path = dir.join("node.cfg");
        fs::write(&conf_path, conf)?;
        let _ = fs::remove_file(dir.join(node_common::node::BOOTCACHE_FILE));
        let cli = node_common::cli::Cli::try_parse_from([
            "node".as_ref(),
            "--conf".as_ref(),
            conf_path.as_os_str(),
            "--data-dir".as_ref(),
            dir.as_os_str(),
        ])
        .map_err(|e| BenchError::Failed(e.to_string()))?;
        let setup = node_common::node::load(&cli).map_err(|e| BenchError::Failed(e.to_string()))?;
        let (tx, rx) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let shutdown = async move {
                let _ = rx.await;
            };
            let r = match flavor {
                Flavor::Tokio => {
                    let rt = tokio::runtime::Builder::new_multi_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| e.to_string())?;
                    node_tokio::block_on_spawned(
                        &rt,
                        driver::run_embedded(node_tokio::Tokio, setup, shutdown, embedding),
                    )
                }
                Flavor::AsyncStd => node_asyncstd::block_on_spawned(driver::run_embedded(
                    node_asyncstd::AsyncStd,
                    setup,
                    shutdown,
                    embedding,
                )),
            };
            r.map_err(|e| e.to_string())
        });
        let mut node = InProcessNode { addr: listen, stop: Some(tx), thread: Some(thread) };
        // Listening before anyone dials it: a refused dial puts a fixed peer into back-off.
        let deadline = Instant::now() + START_TIMEOUT;
        while TcpStream::connect_timeout(&listen, IO_TIMEOUT).is_err() {
            if Instant::now() > deadline || node.thread.as_ref().is_some_and(|t| t.is_finished()) {
                node.stop()?;
                return fail(format!("node did not listen on {listen}"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(node)
    }

    /// Ask the node to shut down and wait for it (it flushes and closes every connection).
    pub fn stop(&mut self) -> Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(Err(e))) => fail(format!("node {} stopped with an error: {e}", self.addr)),
            Some(Err(_)) => fail(format!("node {} panicked", self.addr)),
            _ => Ok(()),
        }
    }
}

impl Drop for InProcessNode {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// TCP connect from `src` (any port) to `addr`, with timeouts and no Nagle.
pub fn connect_from(src: IpAddr, addr: SocketAddr) -> io::Result<TcpStream> {
    let sock = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
    sock.bind(&SocketAddr::new(src, 0).into())?;
    sock.connect_timeout(&addr.into(), IO_TIMEOUT)?;
    let s: TcpStream = sock.into();
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(s)
}

/// A handshake plan with a fresh node key, as a new peer would have.
pub fn fresh_plan(network: Network) -> RequestPlan {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    let mut cfg = HandshakeConfig::new(network.profile(), NodeKeyPair::from_seed(&Seed::from_bytes(b)));
    cfg.software = "xrpl-overlay-bench".into();
    RequestPlan::new(cfg)
}

/// TCP + TLS from `src` to `addr`, retrying a refused connect until `deadline` (a node that is
/// still starting).
pub fn tls_from(src: IpAddr, addr: SocketAddr, connector: &SslConnector, deadline: Instant) -> Result<Tls> {
    let tcp = loop {
        match connect_from(src, addr) {
            Ok(s) => break s,
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e.into()),
        }
    };
    let ssl = node_common::tls::client_ssl(connector).map_err(|e| BenchError::Failed(e.to_string()))?;
    ssl.connect(tcp).map_err(|e| BenchError::Failed(format!("TLS with {addr}: {e}")))
}

/// A full, verified peer handshake from `src`; the framed link on success.
pub fn upgrade_from(
    src: IpAddr,
    addr: SocketAddr,
    connector: &SslConnector,
    plan: &RequestPlan,
) -> Result<Link> {
    let mut s = tls_from(src, addr, connector, Instant::now() + START_TIMEOUT)?;
    let shared = session_binding(&s)?.shared;
    s.write_all(plan.render(&shared, addr.ip()).as_bytes())?;
    match read_reply(s, shared, &plan.cfg, addr.ip(), Instant::now() + IO_TIMEOUT)? {
        Attempt::Reply(r) if r.head.status == 101 => match &r.verdict {
            Some(Ok(_)) => Ok(Link::new(*r, FrameOptions::modern(false))),
            Some(Err(e)) => fail(format!("{addr}: 101 does not verify: {e}")),
            None => fail(format!("{addr}: no verdict on a 101")),
        },
        other => fail(format!("{addr}: handshake answered {}", other.describe())),
    }
}

/// The client half of one peer handshake, as cheap as a client can make it: TLS, the signed
/// request, and the response head's status line (no verification of the node's signature:
/// the benchmark measures the node's side).
pub fn handshake_once(
    src: IpAddr,
    addr: SocketAddr,
    connector: &SslConnector,
    plan: &RequestPlan,
) -> Result<()> {
    let mut s = tls_from(src, addr, connector, Instant::now() + IO_TIMEOUT)?;
    let shared = session_binding(&s)?.shared;
    s.write_all(plan.render(&shared, addr.ip()).as_bytes())?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut chunk)?;
        if n == 0 || buf.len() > 16 * 1024 {
            return fail(format!("{addr}: closed before a response head"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    if !buf.starts_with(b"HTTP/1.1 101") {
        let line = String::from_utf8_lossy(&buf[..buf.len().min(40)]).into_owned();
        return fail(format!("{addr}: handshake answered {line:?}"));
    }
    Ok(())
}
