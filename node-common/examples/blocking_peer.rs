//! Embedding `protocol-core` without an async runtime: one thread, blocking `std::net` sockets
//! and OpenSSL, driving the sans-IO overlay (`protocol_core::overlay::Overlay`) by hand.
//!
//! ```text
//! cargo run -p node-common --example blocking_peer -- 127.0.0.1:51235
//! ```
//!
//! It dials the node as a fixed peer, lets the core run the HTTP upgrade, prints the peer it
//! connected to and exits. The loop is the whole contract between an application and the core:
//! carry out every `Output` (dial, write, close), feed back what happened (`Input`s and bytes via
//! `handle_data`), and call `handle_timeout` when `poll_timeout` says so. Everything protocol-
//! shaped (handshake headers, session signature, framing, pings) stays inside the core.
//! This example keeps one connection; a real application would hold one socket per `ConnId`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use node_common::tls::{self, TlsPolicy};
use openssl::ssl::SslStream;
use protocol_core::keys::{NodeKeyPair, Seed};
use protocol_core::overlay::{ConnId, Input, Output, Overlay, OverlayConfig, OverlayEvent};
use protocol_core::peerfinder::{LimitsInput, PeerFinderConfig};
use protocol_core::Network;

/// Longest a single blocking read waits, so timers run even on a silent socket.
const READ_SLICE: Duration = Duration::from_millis(100);
/// TCP connect timeout for a dial the core asked for.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default overall limit (`--timeout` overrides).
const DEFAULT_LIMIT: Duration = Duration::from_secs(30);

/// Who we ended up connected to.
#[derive(Debug, Clone)]
pub struct Connected {
    /// The node's public key, base58 (`n…`).
    pub public_key: String,
    pub remote: SocketAddr,
    /// Negotiated protocol version, e.g. `XRPL/2.2`.
    pub version: String,
    /// The node's `Server` header.
    pub software: String,
    /// Our own (throw-away) node key.
    pub our_key: String,
}

#[derive(Debug)]
pub enum PeerError {
    Setup(String),
    /// The core gave up on the connection (refused handshake, closed, timed out).
    Rejected(String),
    Timeout(Duration),
}

impl std::fmt::Display for PeerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerError::Setup(e) => write!(f, "set-up failed: {e}"),
            PeerError::Rejected(e) => write!(f, "connection failed: {e}"),
            PeerError::Timeout(d) => write!(f, "no peer connection within {d:?}"),
        }
    }
}

/// Dials `target` (xrpl profile), runs the handshake through the core and returns the peer once
/// the core reports it active; the connection is then closed cleanly.
pub fn connect_once(target: SocketAddr, limit: Duration) -> Result<Connected, PeerError> {
    let network = Network::Xrpl;
    // A throw-away identity: 16 random bytes of seed.
    let mut seed = [0u8; 16];
    openssl::rand::rand_bytes(&mut seed).map_err(|e| PeerError::Setup(e.to_string()))?;
    let identity = NodeKeyPair::from_seed(&Seed::from_bytes(seed));
    let our_key = identity.public().to_base58(network.profile().alphabet);

    let mut cfg = OverlayConfig::new(network);
    // Not listening: no inbound slots, nothing to advertise. The target is a fixed peer, which
    // the core dials at once.
    cfg.peerfinder = PeerFinderConfig::compute(&LimitsInput::default());
    cfg.fixed_peers = vec![target];
    cfg.connectivity_checks = false;
    cfg.net_clock_at_start = net_clock_now();
    cfg.software = format!("blocking-peer-example/{}", env!("CARGO_PKG_VERSION"));

    let connector = tls::connector(TlsPolicy::for_profile(network.profile()))
        .map_err(|e| PeerError::Setup(e.to_string()))?;
    let mut rng_seed = [0u8; 8];
    openssl::rand::rand_bytes(&mut rng_seed).map_err(|e| PeerError::Setup(e.to_string()))?;
    let mut core = Overlay::new(cfg, identity, Instant::now(), u64::from_le_bytes(rng_seed));

    let end = Instant::now() + limit;
    let mut socket: Option<(ConnId, SslStream<TcpStream>)> = None;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        // 1. Carry out everything the core asked for.
        while let Some(out) = core.poll_output() {
            match out {
                Output::Connect { conn, addr } => {
                    socket = dial(&mut core, &connector, conn, addr).map(|s| (conn, s));
                }
                Output::Transmit { conn, data } => {
                    if let Some((id, s)) = socket.as_mut().filter(|(id, _)| *id == conn) {
                        if let Err(e) = s.write_all(&data).and_then(|()| s.flush()) {
                            let id = *id;
                            socket = None;
                            core.handle_input(
                                Instant::now(),
                                Input::Closed { conn: id, error: Some(e.to_string()) },
                            );
                        }
                    }
                }
                Output::Close { conn, .. } => {
                    if socket.as_ref().is_some_and(|(id, _)| *id == conn) {
                        if let Some((_, mut s)) = socket.take() {
                            let _ = s.shutdown();
                        }
                    }
                }
                Output::Event(OverlayEvent::PeerActivated {
                    public_key,
                    remote,
                    version,
                    user_agent,
                    ..
                }) => {
                    let found = Connected {
                        public_key: public_key.to_base58(network.profile().alphabet),
                        remote,
                        version: version.to_string(),
                        software: user_agent,
                        our_key,
                    };
                    // Say goodbye properly: the core closes every connection (Close outputs).
                    core.shutdown(Instant::now());
                    while let Some(out) = core.poll_output() {
                        if let Output::Close { conn: closing, .. } = out {
                            if let Some((_, mut s)) = socket.take_if(|(id, _)| *id == closing) {
                                let _ = s.shutdown();
                            }
                        }
                    }
                    return Ok(found);
                }
                Output::Event(OverlayEvent::HandshakeRejected { remote, status, reason, .. }) => {
                    return Err(PeerError::Rejected(format!("{remote}: {status:?} {reason}")));
                }
                Output::Event(OverlayEvent::PeerDisconnected { remote, reason, .. }) => {
                    return Err(PeerError::Rejected(format!("{remote}: {reason}")));
                }
                Output::Event(_) => {}
                // Only asked for when connectivity checks are on; answer anyway.
                Output::Probe { probe, .. } => {
                    core.handle_input(Instant::now(), Input::ProbeResult { probe, reachable: false });
                }
            }
        }
        let now = Instant::now();
        if now >= end {
            return Err(PeerError::Timeout(limit));
        }
        // 2. Wait for bytes or the next deadline, whichever comes first.
        let wake = core.poll_timeout().unwrap_or(end).min(end);
        match socket.as_mut() {
            Some((conn, s)) => {
                let wait = wake.saturating_duration_since(now).clamp(Duration::from_millis(1), READ_SLICE);
                let _ = s.get_ref().set_read_timeout(Some(wait));
                let conn = *conn;
                match s.read(&mut buf) {
                    Ok(0) => {
                        socket = None;
                        core.handle_input(Instant::now(), Input::Closed { conn, error: None });
                    }
                    Ok(n) => core.handle_data(Instant::now(), conn, &buf[..n]),
                    Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
                    Err(e) => {
                        socket = None;
                        core.handle_input(Instant::now(), Input::Closed { conn, error: Some(e.to_string()) });
                    }
                }
            }
            None => std::thread::sleep(wake.saturating_duration_since(now).min(READ_SLICE)),
        }
        // 3. Timers (handshake deadlines, pings, dial back-off).
        if core.poll_timeout().is_some_and(|t| t <= Instant::now()) {
            core.handle_timeout(Instant::now());
        }
    }
}

/// TCP connect + TLS client handshake for `conn`, reporting each step to the core.
fn dial(
    core: &mut Overlay,
    connector: &openssl::ssl::SslConnector,
    conn: ConnId,
    addr: SocketAddr,
) -> Option<SslStream<TcpStream>> {
    let tcp = match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
        Ok(t) => t,
        Err(e) => {
            core.handle_input(Instant::now(), Input::ConnectFailed { conn, error: e.to_string() });
            return None;
        }
    };
    let local = match tcp.local_addr() {
        Ok(l) => l,
        Err(e) => {
            core.handle_input(Instant::now(), Input::ConnectFailed { conn, error: e.to_string() });
            return None;
        }
    };
    let _ = tcp.set_nodelay(true);
    let _ = tcp.set_read_timeout(Some(CONNECT_TIMEOUT));
    core.handle_input(Instant::now(), Input::TcpConnected { conn, local });
    let tls = tls::client_ssl(connector)
        .map_err(|e| e.to_string())
        .and_then(|ssl| ssl.connect(tcp).map_err(|e| e.to_string()));
    let stream = match tls {
        Ok(s) => s,
        Err(error) => {
            core.handle_input(Instant::now(), Input::TlsFailed { conn, error });
            return None;
        }
    };
    // The session binding: both Finished messages go to the core, which signs and verifies.
    match tls::finished_messages(stream.ssl()) {
        Ok((local_finished, peer_finished)) => {
            core.handle_input(Instant::now(), Input::TlsEstablished { conn, local_finished, peer_finished });
            Some(stream)
        }
        Err(e) => {
            core.handle_input(Instant::now(), Input::TlsFailed { conn, error: e.to_string() });
            None
        }
    }
}

/// NetClock seconds (since 2000-01-01) for `OverlayConfig::net_clock_at_start`.
fn net_clock_now() -> u32 {
    node_common::node::net_clock_now()
}

#[allow(dead_code)] // also compiled into node-tests as a module, where `main` is unused
fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(target) = args.next().and_then(|a| a.parse::<SocketAddr>().ok()) else {
        eprintln!("usage: blocking_peer <ip:port> [timeout-seconds]");
        return ExitCode::from(2);
    };
    let limit = args.next().and_then(|s| s.parse().ok()).map_or(DEFAULT_LIMIT, Duration::from_secs);
    match connect_once(target, limit) {
        Ok(c) => {
            println!(
                "connected to {} at {} ({}, {:?}) as {}",
                c.public_key, c.remote, c.version, c.software, c.our_key
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
