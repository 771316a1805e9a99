//! The blocking test peer: TLS over `std::net`, handshake attempts with deliberate faults,
//! framed links, HTTPS GETs and an inbound listener. A tool, not a frontend: it reads the
//! clock and blocks, and every wait is bounded by a deadline the caller gives.
//!
//! Wire rules come from protocol-core (heads, signatures, frames, messages); this module only
//! moves bytes and bends requests where a case asks for it.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use node_common::tls::{self, TlsIdentity, TlsPolicy};
use openssl::ssl::{SslAcceptor, SslConnector, SslStream};
use protocol_core::framing::{encode_frame, Frame, FrameDecoder, FrameError, FrameOptions};
use protocol_core::handshake::{
    self, build_request, handle_response, parse_response, shared_value, HandshakeConfig, HandshakeError,
    Parsed, PeerIdentity, ResponseHead, ResponseOutcome,
};
use protocol_core::messages::proto::TmPing;
use protocol_core::messages::{decode, Message};
use protocol_core::network::FrameDialect;

/// A TLS stream over a blocking socket.
pub type Tls = SslStream<TcpStream>;

/// Seconds between the Unix epoch and the XRPL NetClock epoch 2000-01-01 (overlay-wire.md §2.1).
pub const NETCLOCK_EPOCH_UNIX: u64 = 946_684_800;

/// Largest HTTP body we read from a target (`/crawl` of a big hub stays far below).
pub const MAX_HTTP_BODY: usize = 4 * 1024 * 1024;

/// Read chunk size for the blocking loops.
const READ_CHUNK: usize = 16 * 1024;

/// The test peer could not even get to the point of testing.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("TCP connect to {addr}: {source}")]
    Connect { addr: SocketAddr, source: io::Error },
    #[error("TLS handshake with {addr}: {detail}")]
    Tls { addr: SocketAddr, detail: String },
    #[error("I/O: {0}")]
    Io(#[from] io::Error),
    #[error("TLS set-up: {0}")]
    Setup(String),
}

/// NetClock seconds now (seconds since 2000-01-01).
pub fn net_now() -> u32 {
    let unix = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    u32::try_from(unix.saturating_sub(NETCLOCK_EPOCH_UNIX)).unwrap_or(u32::MAX)
}

/// Unix seconds now.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn remaining(deadline: Instant) -> Option<Duration> {
    let now = Instant::now();
    (deadline > now).then(|| deadline - now)
}

/// TCP connect with read/write timeouts set.
pub fn tcp_connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, PeerError> {
    let s =
        TcpStream::connect_timeout(&addr, timeout).map_err(|source| PeerError::Connect { addr, source })?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    let _ = s.set_nodelay(true);
    Ok(s)
}

/// A TLS client connector for a dialect (no verification, no SNI, as rippled).
pub fn connector(dialect: FrameDialect) -> Result<SslConnector, PeerError> {
    let policy = match dialect {
        FrameDialect::Modern => TlsPolicy::Modern,
        FrameDialect::Legacy32 => TlsPolicy::Legacy,
    };
    tls::connector(policy).map_err(|e| PeerError::Setup(e.to_string()))
}

/// TCP + TLS client handshake.
pub fn tls_connect(addr: SocketAddr, conn: &SslConnector, timeout: Duration) -> Result<Tls, PeerError> {
    let tcp = tcp_connect(addr, timeout)?;
    let ssl = tls::client_ssl(conn).map_err(|e| PeerError::Setup(e.to_string()))?;
    ssl.connect(tcp).map_err(|e| PeerError::Tls { addr, detail: e.to_string() })
}

/// What binds a handshake to one TLS session (overlay-wire.md §3).
pub struct Binding {
    pub shared: [u8; 32],
    /// Finished we sent.
    pub local: Vec<u8>,
    /// Finished we received.
    pub peer: Vec<u8>,
}

/// The binding of an established TLS session.
pub fn session_binding(s: &Tls) -> Result<Binding, PeerError> {
    let (local, peer) = tls::finished_messages(s.ssl()).map_err(|e| PeerError::Setup(e.to_string()))?;
    let shared = shared_value(&local, &peer).map_err(|e| PeerError::Setup(e.to_string()))?;
    Ok(Binding { shared, local, peer })
}

/// How the request's `Session-Signature` is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignMode {
    /// Correct: our key over this session's shared value.
    Session,
    /// Correct signature with one bit of S flipped (still DER, no longer valid).
    FlipBit,
    /// A valid signature by our key over some other value (e.g. another session's).
    Other([u8; 32]),
}

/// One handshake attempt: who we are and what we bend.
#[derive(Debug, Clone)]
pub struct RequestPlan {
    pub cfg: HandshakeConfig,
    pub sign: SignMode,
    /// Offset added to our NetClock time in `Network-Time`.
    pub time_offset: i64,
    /// Header replacements after the request is built: `(name, Some(value))` sets or adds,
    /// `(name, None)` removes.
    pub edits: Vec<(String, Option<String>)>,
}

impl RequestPlan {
    pub fn new(cfg: HandshakeConfig) -> Self {
        RequestPlan { cfg, sign: SignMode::Session, time_offset: 0, edits: Vec::new() }
    }

    pub fn set(mut self, name: &str, value: impl Into<String>) -> Self {
        self.edits.push((name.to_string(), Some(value.into())));
        self
    }

    pub fn remove(mut self, name: &str) -> Self {
        self.edits.push((name.to_string(), None));
        self
    }

    /// The request bytes for a session with shared value `shared`.
    pub fn render(&self, shared: &[u8; 32], peer_ip: IpAddr) -> String {
        let now = i64::from(net_now()) + self.time_offset;
        let now = u32::try_from(now.max(0)).unwrap_or(u32::MAX);
        let signed_over = match self.sign {
            SignMode::Other(v) => v,
            _ => *shared,
        };
        let mut text = build_request(&self.cfg, &signed_over, peer_ip, now);
        if self.sign == SignMode::FlipBit {
            let sig = handshake::session_signature(&self.cfg.node_key, shared);
            text = edit_header(&text, "Session-Signature", Some(&flip_signature_bit(&sig)));
        }
        for (name, value) in &self.edits {
            text = edit_header(&text, name, value.as_deref());
        }
        text
    }
}

/// Flips the lowest bit of the last byte of a base64 DER signature (inside S, so the DER shape
/// survives and only verification fails).
pub fn flip_signature_bit(b64: &str) -> String {
    let eng = base64::engine::general_purpose::STANDARD;
    match eng.decode(b64) {
        Ok(mut der) if !der.is_empty() => {
            let last = der.len() - 1;
            der[last] ^= 1;
            eng.encode(der)
        }
        _ => format!("{b64}A"),
    }
}

/// Replaces (or removes, or appends) one header in a head ending with CRLFCRLF.
pub fn edit_header(head: &str, name: &str, value: Option<&str>) -> String {
    let body_start = head.find("\r\n\r\n").map_or(head.len(), |i| i + 2);
    let (lines, tail) = head.split_at(body_start);
    let mut out = String::with_capacity(head.len() + 64);
    let mut done = false;
    for line in lines.split_inclusive("\r\n") {
        let is_it = line.split_once(':').is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name));
        if is_it {
            if let (Some(v), false) = (value, done) {
                out.push_str(&format!("{name}: {v}\r\n"));
            }
            done = true;
        } else {
            out.push_str(line);
        }
    }
    if let (Some(v), false) = (value, done) {
        out.push_str(&format!("{name}: {v}\r\n"));
    }
    out.push_str(tail);
    out
}

/// What came back for a handshake attempt.
pub struct Reply {
    pub head: ResponseHead,
    /// Bytes after the head (a 503 body, or early frames after a 101).
    pub rest: Vec<u8>,
    /// For a 101: the core's verdict on the response (signature, version, headers).
    pub verdict: Option<Result<PeerIdentity, HandshakeError>>,
    pub stream: Tls,
    pub shared: [u8; 32],
}

/// How a handshake attempt ended.
pub enum Attempt {
    Reply(Box<Reply>),
    /// The target closed the connection without a complete response head.
    Closed {
        partial: Vec<u8>,
    },
    /// No complete response before the deadline.
    Timeout,
}

impl Attempt {
    pub fn status(&self) -> Option<u16> {
        match self {
            Attempt::Reply(r) => Some(r.head.status),
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Attempt::Reply(r) => format!("HTTP {} {}", r.head.status, r.head.reason),
            Attempt::Closed { partial } if partial.is_empty() => "closed without a response".into(),
            Attempt::Closed { partial } => format!("closed after {} bytes of a response", partial.len()),
            Attempt::Timeout => "no response before the deadline".into(),
        }
    }
}

/// Reads until `done(buf)` or EOF/deadline. Returns (bytes, closed).
fn read_until(s: &mut Tls, deadline: Instant, mut done: impl FnMut(&[u8]) -> bool) -> (Vec<u8>, bool) {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        if done(&buf) {
            return (buf, false);
        }
        let Some(left) = remaining(deadline) else { return (buf, false) };
        let _ = s.get_ref().set_read_timeout(Some(left));
        match s.read(&mut chunk) {
            Ok(0) => return (buf, true),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if is_timeout(&e) => {}
            Err(_) => return (buf, true),
        }
        if buf.len() > MAX_HTTP_BODY {
            return (buf, false);
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

fn head_complete(buf: &[u8]) -> bool {
    matches!(parse_response(buf), Ok(Parsed::Complete { .. }) | Err(_))
}

/// Connects, sends `plan`'s request and reads the answer (and, for 503, its body).
pub fn attempt(
    addr: SocketAddr,
    conn: &SslConnector,
    plan: &RequestPlan,
    timeout: Duration,
) -> Result<Attempt, PeerError> {
    let mut s = tls_connect(addr, conn, timeout)?;
    let shared = session_binding(&s)?.shared;
    let req = plan.render(&shared, addr.ip());
    s.write_all(req.as_bytes())?;
    read_reply(s, shared, &plan.cfg, addr.ip(), Instant::now() + timeout)
}

/// A valid handshake with `plan`, verified like the core verifies a 101; returns the framed link
/// in the dialect of `plan`'s profile.
pub fn upgrade(
    addr: SocketAddr,
    conn: &SslConnector,
    plan: &RequestPlan,
    timeout: Duration,
) -> Result<Link, String> {
    match attempt(addr, conn, plan, timeout).map_err(|e| e.to_string())? {
        Attempt::Reply(r) if r.head.status == 101 => {
            let compression = match &r.verdict {
                Some(Ok(p)) => p.features.compression,
                Some(Err(e)) => return Err(format!("101 does not verify: {e}")),
                None => return Err("101 without verdict".into()),
            };
            let opts = match plan.cfg.profile.frame_dialect {
                FrameDialect::Modern => FrameOptions::modern(compression),
                FrameDialect::Legacy32 => FrameOptions::legacy32(),
            };
            Ok(Link::new(*r, opts))
        }
        other => Err(format!("valid request not upgraded: {}", other.describe())),
    }
}

/// Reads a response head (and a 503's body) from an upgraded-or-not stream.
pub fn read_reply(
    mut s: Tls,
    shared: [u8; 32],
    cfg: &HandshakeConfig,
    remote: IpAddr,
    deadline: Instant,
) -> Result<Attempt, PeerError> {
    let (buf, closed) = read_until(&mut s, deadline, head_complete);
    let (head, consumed) = match parse_response(&buf) {
        Ok(Parsed::Complete { head, consumed }) => (head, consumed),
        _ if closed => return Ok(Attempt::Closed { partial: buf }),
        Ok(Parsed::Partial) => return Ok(Attempt::Timeout),
        Err(_) => return Ok(Attempt::Closed { partial: buf }),
    };
    let mut rest = buf[consumed..].to_vec();
    if head.status != 101 {
        let want = head.headers.get("Content-Length").and_then(|v| v.trim().parse::<usize>().ok());
        if want.is_none_or(|w| rest.len() < w) && !closed {
            let (more, _) = read_until(&mut s, deadline, |b| want.is_some_and(|w| rest.len() + b.len() >= w));
            rest.extend_from_slice(&more);
        }
    }
    let verdict = (head.status == 101).then(|| {
        let mut whole = buf[..consumed].to_vec();
        whole.extend_from_slice(&rest);
        match handle_response(cfg, &whole, &shared, net_now(), remote) {
            Ok(Some(ResponseOutcome::Upgraded { peer, .. })) => Ok(*peer),
            Ok(_) => Err(HandshakeError::UnexpectedResponse { status: 101, reason: "incomplete".into() }),
            Err(e) => Err(e),
        }
    });
    Ok(Attempt::Reply(Box::new(Reply { head, rest, verdict, stream: s, shared })))
}

/// What reading a link produced.
#[derive(Debug)]
pub enum LinkEvent {
    Frame(Frame),
    Closed,
    Timeout,
    /// The target sent a frame our decoder refuses.
    BadFrame(FrameError),
}

/// An upgraded connection speaking frames.
pub struct Link {
    pub stream: Tls,
    pub decoder: FrameDecoder,
    pub opts: FrameOptions,
    /// Pings the target sent us (answered automatically while waiting for something else).
    pub pings_seen: usize,
    /// Every decodable message the target sent, by type number (for endpoint cases).
    pub seen: Vec<Frame>,
}

impl Link {
    pub fn new(reply: Reply, opts: FrameOptions) -> Self {
        let mut decoder = FrameDecoder::new(opts);
        decoder.push(&reply.rest);
        Link { stream: reply.stream, decoder, opts, pings_seen: 0, seen: Vec::new() }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    pub fn send(&mut self, msg: &Message) -> io::Result<()> {
        let mut out = Vec::new();
        encode_frame(msg.message_type().number(), &msg.encode_payload(), &self.opts, &mut out)
            .map_err(io::Error::other)?;
        self.send_raw(&out)
    }

    /// Next frame before `deadline`.
    pub fn next(&mut self, deadline: Instant) -> LinkEvent {
        let mut chunk = vec![0u8; READ_CHUNK];
        loop {
            match self.decoder.next_frame() {
                Ok(Some(f)) => return LinkEvent::Frame(f),
                Ok(None) => {}
                Err(e) => return LinkEvent::BadFrame(e),
            }
            let Some(left) = remaining(deadline) else { return LinkEvent::Timeout };
            let _ = self.stream.get_ref().set_read_timeout(Some(left));
            match self.stream.read(&mut chunk) {
                Ok(0) => return LinkEvent::Closed,
                Ok(n) => self.decoder.push(&chunk[..n]),
                Err(e) if is_timeout(&e) => return LinkEvent::Timeout,
                Err(_) => return LinkEvent::Closed,
            }
        }
    }

    /// Handles a frame we were not waiting for: answers pings, remembers the rest.
    fn absorb(&mut self, f: Frame) -> io::Result<Option<TmPing>> {
        if let Ok(Some(Message::Ping(p))) = decode(f.message_type, &f.payload) {
            if p.r#type == Some(0) {
                self.pings_seen += 1;
                let mut pong = p;
                pong.r#type = Some(1);
                self.send(&Message::Ping(pong))?;
                return Ok(None);
            }
            return Ok(Some(p));
        }
        self.seen.push(f);
        Ok(None)
    }

    /// Waits for a pong with `seq`, answering the target's pings meanwhile.
    pub fn await_pong(&mut self, seq: u32, deadline: Instant) -> Result<TmPing, String> {
        loop {
            match self.next(deadline) {
                LinkEvent::Frame(f) => match self.absorb(f) {
                    Ok(Some(p)) if p.seq == Some(seq) => return Ok(p),
                    Ok(_) => {}
                    Err(e) => return Err(format!("write failed: {e}")),
                },
                LinkEvent::Closed => return Err("connection closed".into()),
                LinkEvent::Timeout => return Err("no pong before the deadline".into()),
                LinkEvent::BadFrame(e) => return Err(format!("target sent a bad frame: {e}")),
            }
        }
    }

    /// Sends `ptPING{seq}` and waits for the matching pong.
    pub fn ping(&mut self, seq: u32, deadline: Instant) -> Result<TmPing, String> {
        let ping = TmPing { r#type: Some(0), seq: Some(seq), ping_time: None, net_time: None };
        self.send(&Message::Ping(ping)).map_err(|e| format!("write failed: {e}"))?;
        self.await_pong(seq, deadline)
    }

    /// True when the target closes the link before `deadline` (frames it sends meanwhile are
    /// absorbed; a pong we did not ask for does not count as staying up).
    pub fn closed_by(&mut self, deadline: Instant) -> bool {
        loop {
            match self.next(deadline) {
                LinkEvent::Frame(f) => {
                    if self.absorb(f).is_err() {
                        return true;
                    }
                }
                LinkEvent::Closed | LinkEvent::BadFrame(_) => return true,
                LinkEvent::Timeout => return false,
            }
        }
    }

    /// Waits until `pred` matches a frame the target sends (answering pings), or the deadline.
    pub fn wait_for(&mut self, deadline: Instant, mut pred: impl FnMut(&Link) -> bool) -> bool {
        loop {
            if pred(self) {
                return true;
            }
            match self.next(deadline) {
                LinkEvent::Frame(f) => {
                    if self.absorb(f).is_err() {
                        return pred(self);
                    }
                }
                _ => return pred(self),
            }
        }
    }
}

/// A plain HTTPS GET on the peer port. Returns (status, body).
pub fn https_get(
    addr: SocketAddr,
    conn: &SslConnector,
    path: &str,
    timeout: Duration,
) -> Result<(u16, Vec<u8>), PeerError> {
    let mut s = tls_connect(addr, conn, timeout)?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: xrpl-overlay-conformance\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes())?;
    let deadline = Instant::now() + timeout;
    let (buf, _) = read_until(&mut s, deadline, |b| match parse_response(b) {
        Ok(Parsed::Complete { head, consumed }) => head
            .headers
            .get("Content-Length")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .is_some_and(|len| b.len() >= consumed + len),
        _ => false,
    });
    match parse_response(&buf) {
        Ok(Parsed::Complete { head, consumed }) => {
            let mut body = buf[consumed..].to_vec();
            if head.headers.get("Transfer-Encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
                body = dechunk(&body);
            }
            Ok((head.status, body))
        }
        _ => Err(PeerError::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("no complete HTTP response to GET {path} ({} bytes)", buf.len()),
        ))),
    }
}

/// Decodes a chunked body as far as it is well formed.
fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = b.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&b[..i]);
        let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16) else {
            break;
        };
        if size == 0 || b.len() < i + 2 + size {
            break;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + size]);
        b = &b[(i + 4 + size).min(b.len())..];
    }
    out
}

/// Our listener for responder cases (the target dials us as a fixed peer).
pub struct Listener {
    pub socket: TcpListener,
    pub acceptor: SslAcceptor,
}

impl Listener {
    pub fn bind(addr: SocketAddr, dialect: FrameDialect) -> Result<Self, PeerError> {
        let socket = TcpListener::bind(addr)?;
        let identity = TlsIdentity::generate(tls::now()).map_err(|e| PeerError::Setup(e.to_string()))?;
        let policy = match dialect {
            FrameDialect::Modern => TlsPolicy::Modern,
            FrameDialect::Legacy32 => TlsPolicy::Legacy,
        };
        let acceptor = tls::acceptor(&identity, policy).map_err(|e| PeerError::Setup(e.to_string()))?;
        Ok(Listener { socket, acceptor })
    }

    /// Accepts one TLS connection before `deadline`, or `None`.
    pub fn accept(&self, deadline: Instant) -> Option<(Tls, SocketAddr)> {
        self.socket.set_nonblocking(true).ok()?;
        loop {
            match self.socket.accept() {
                Ok((tcp, from)) => {
                    tcp.set_nonblocking(false).ok()?;
                    let left = remaining(deadline).unwrap_or(Duration::from_millis(1));
                    tcp.set_read_timeout(Some(left)).ok()?;
                    tcp.set_write_timeout(Some(left)).ok()?;
                    let ssl = tls::server_ssl(&self.acceptor).ok()?;
                    match ssl.accept(tcp) {
                        Ok(s) => return Some((s, from)),
                        Err(_) => continue,
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    remaining(deadline)?;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(_) => return None,
            }
        }
    }
}

/// Reads one request head from an accepted connection.
pub fn read_request(s: &mut Tls, deadline: Instant) -> Option<(handshake::RequestHead, Vec<u8>)> {
    let (buf, _) = read_until(s, deadline, |b| {
        matches!(handshake::parse_request(b), Ok(Parsed::Complete { .. }) | Err(_))
    });
    match handshake::parse_request(&buf) {
        Ok(Parsed::Complete { head, consumed }) => Some((head, buf[consumed..].to_vec())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_header_sets_removes_and_adds() {
        let h = "GET / HTTP/1.1\r\nA: 1\r\nPublic-Key: x\r\n\r\n";
        assert_eq!(edit_header(h, "public-key", None), "GET / HTTP/1.1\r\nA: 1\r\n\r\n");
        assert_eq!(edit_header(h, "A", Some("2")), "GET / HTTP/1.1\r\nA: 2\r\nPublic-Key: x\r\n\r\n");
        assert_eq!(edit_header(h, "B", Some("3")), "GET / HTTP/1.1\r\nA: 1\r\nPublic-Key: x\r\nB: 3\r\n\r\n");
    }

    #[test]
    fn flipped_signature_stays_der_and_fails() {
        use protocol_core::keys::{NodeKeyPair, Seed};
        let key = NodeKeyPair::from_seed(&Seed::from_passphrase("masterpassphrase"));
        let shared = [7u8; 32];
        let sig = handshake::session_signature(&key, &shared);
        let bad = flip_signature_bit(&sig);
        assert_ne!(sig, bad);
        let der = base64::engine::general_purpose::STANDARD.decode(&bad).unwrap();
        assert_eq!(der[0], 0x30);
        assert!(key.public().verify_digest(&shared, &der).is_err());
    }

    #[test]
    fn dechunk_reads_chunks() {
        assert_eq!(dechunk(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), b"abcde");
    }
}
