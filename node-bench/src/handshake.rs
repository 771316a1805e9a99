//! `handshake_rate`: completed inbound peer handshakes per second on a node (tokio), against a
//! plain OpenSSL server doing a TLS handshake + one secp256k1 sign + one verify per connection,
//! measured in the same run with the same clients.
//!
//! Both servers face the same client: TLS connect, a signed upgrade request, read the response
//! head, close. The node does TLS, verifies the client's session signature, signs its own
//! response, checks headers and slots; the plain server does TLS, one sign, one verify.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use conformance::peer::{session_binding, RequestPlan};
use openssl::ssl::{SslAcceptor, SslConnector};
use protocol_core::keys::{NodeKeyPair, Seed};
use protocol_core::Network;

use crate::common::{
    emit, free_port, fresh_plan, handshake_once, median, tls_contexts, BenchError, Flavor, InProcessNode,
    Result,
};

/// Client threads (the machine has 2 cores; enough to keep a server busy).
pub const CLIENTS: usize = 4;
/// Server threads of the plain baseline: one per client, so no client waits for a free server
/// (the node serves every client concurrently too).
pub const BASELINE_SERVERS: usize = CLIENTS;
/// Node keys each client rotates through: a key is reused only long after its previous
/// connection closed, so the node never sees a live duplicate.
const KEYS_PER_CLIENT: usize = 32;
pub const MEASURE: Duration = Duration::from_millis(1500);
pub const ROUNDS: usize = 5;

/// Handshakes per second from [`CLIENTS`] threads against `addr`, for [`MEASURE`].
fn clients(
    addr: SocketAddr,
    connector: &SslConnector,
    subnet: u8,
    plans: &[Vec<RequestPlan>],
) -> Result<f64> {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let threads: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let (done, stop, connector, plans) =
                (done.clone(), stop.clone(), connector.clone(), plans[t].clone());
            std::thread::spawn(move || -> Result<()> {
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    // Spread sources over 127.<subnet>.<t>.<1..=250>, as many distinct peers.
                    let src: IpAddr = Ipv4Addr::new(127, subnet, t as u8, (i % 250) as u8 + 1).into();
                    handshake_once(src, addr, &connector, &plans[i % plans.len()])?;
                    done.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
                Ok(())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let (c0, t0) = (done.load(Ordering::Relaxed), Instant::now());
    std::thread::sleep(MEASURE);
    let (c1, t1) = (done.load(Ordering::Relaxed), Instant::now());
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().map_err(|_| BenchError::Failed("client panicked".into()))??;
    }
    let _ = start;
    Ok((c1 - c0) as f64 / (t1 - t0).as_secs_f64())
}

/// The plain server: TLS accept, read the request head, one sign and one verify over the
/// session's shared value, a fixed 101 head.
fn baseline_server(listener: TcpListener, acceptor: SslAcceptor, key: NodeKeyPair, stop: Arc<AtomicBool>) {
    let _ = listener.set_nonblocking(false);
    while !stop.load(Ordering::Relaxed) {
        let Ok((tcp, _)) = listener.accept() else { continue };
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let _ = tcp.set_nodelay(true);
        let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
        let Ok(ssl) = node_common::tls::server_ssl(&acceptor) else { continue };
        let Ok(mut s) = openssl::ssl::Ssl::accept(ssl, tcp) else { continue };
        let Ok(shared) = session_binding(&s).map(|b| b.shared) else { continue };
        let mut buf = Vec::with_capacity(1024);
        let mut chunk = [0u8; 2048];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let sig = key.sign_digest(&shared);
        if key.public().verify_digest(&shared, &sig).is_err() {
            continue;
        }
        let _ = s.write_all(
            b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: XRPL/2.2\r\n\r\n",
        );
    }
}

fn baseline(acceptor: &SslAcceptor, connector: &SslConnector, plans: &[Vec<RequestPlan>]) -> Result<f64> {
    let listener = TcpListener::bind((Ipv4Addr::new(127, 2, 0, 2), 0))?;
    let addr = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let servers: Vec<_> = (0..BASELINE_SERVERS)
        .map(|_| {
            let (l, a, s) = (listener.try_clone(), acceptor.clone(), stop.clone());
            let key = NodeKeyPair::from_seed(&Seed::from_bytes([7; 16]));
            std::thread::spawn(move || {
                if let Ok(l) = l {
                    baseline_server(l, a, key, s)
                }
            })
        })
        .collect();
    let r = clients(addr, connector, 3, plans);
    stop.store(true, Ordering::Relaxed);
    // Wake every blocked accept.
    for _ in 0..BASELINE_SERVERS {
        let _ = std::net::TcpStream::connect(addr);
    }
    for s in servers {
        let _ = s.join();
    }
    r
}

pub fn run() -> Result<()> {
    let (acceptor, connector) = tls_contexts()?;
    let plans: Vec<Vec<RequestPlan>> =
        (0..CLIENTS).map(|_| (0..KEYS_PER_CLIENT).map(|_| fresh_plan(Network::Xrpl)).collect()).collect();
    let dir = tempfile::tempdir()?;
    let ip: IpAddr = Ipv4Addr::new(127, 2, 0, 1).into();
    let addr = SocketAddr::new(ip, free_port(ip)?);
    let mut node = InProcessNode::start(
        Flavor::Tokio,
        dir.path(),
        addr,
        &[],
        "[peers_in_max]\n1000\n\n[peers_out_max]\n10\n",
    )?;
    let (mut base, mut ours) = (Vec::new(), Vec::new());
    let result = (|| -> Result<()> {
        // Let the node come up (the first handshake retries refused connects).
        handshake_once(Ipv4Addr::new(127, 4, 0, 1).into(), addr, &connector, &fresh_plan(Network::Xrpl))?;
        for round in 0..ROUNDS {
            if round % 2 == 0 {
                base.push(baseline(&acceptor, &connector, &plans)?);
                ours.push(clients(addr, &connector, 4, &plans)?);
            } else {
                ours.push(clients(addr, &connector, 4, &plans)?);
                base.push(baseline(&acceptor, &connector, &plans)?);
            }
            eprintln!(
                "handshake round {round}: baseline {:.0}/s, node {:.0}/s",
                base.last().copied().unwrap_or(0.0),
                ours.last().copied().unwrap_or(0.0)
            );
        }
        Ok(())
    })();
    node.stop()?;
    result?;
    let (b, v) = (median(base), median(ours));
    emit("handshake_rate", v, "handshakes/s", b, v / b);
    Ok(())
}
