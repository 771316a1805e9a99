//! In-process target doubles for the suite's own tests: a TLS peer port built only from
//! protocol-core pieces, with switches that break it on purpose. Blocking, one thread per
//! connection; every read has a timeout so the double never hangs a test.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use node_common::tls::{self, TlsIdentity, TlsPolicy};
use openssl::ssl::{SslAcceptor, SslStream};
use protocol_core::framing::{encode_frame, FrameDecoder, FrameOptions};
use protocol_core::handshake::{
    build_error_response, build_forbidden, build_switching_response, classify_request, evaluate_inbound,
    parse_request, shared_value, Features, HandshakeConfig, HandshakeError, Parsed, PeerIdentity,
    RequestKind,
};
use protocol_core::keys::{NodeKeyPair, NodePublicKey, Seed};
use protocol_core::messages::{decode, Message};
use protocol_core::Network;

/// Read timeout of the double: its "handshake timeout" for slowloris.
pub const DOUBLE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Does what the spec says (as far as the core's pieces go).
    Reference,
    /// Answers 101 to anything, never disconnects on bad frames, lists private peers' IPs.
    AcceptAll,
    /// Like Reference, but a request whose signature is missing or wrong is accepted anyway.
    NoSignatureCheck,
}

struct Peer {
    key: NodePublicKey,
    crawl_public: bool,
    ip: IpAddr,
}

struct Shared {
    mode: Mode,
    cfg: HandshakeConfig,
    acceptor: SslAcceptor,
    peers: Mutex<Vec<Peer>>,
    stop: AtomicBool,
}

pub struct Double {
    pub addr: SocketAddr,
    pub seed: Seed,
    pub network_id: u32,
    shared: Arc<Shared>,
}

impl Drop for Double {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

pub const DOUBLE_NETWORK_ID: u32 = 777;

impl Double {
    pub fn start(mode: Mode) -> Double {
        let network = Network::Xrpl;
        let seed = Seed::from_passphrase(&format!("conformance double {mode:?}"));
        let mut cfg = HandshakeConfig::new(network.profile(), NodeKeyPair::from_seed(&seed));
        cfg.network_id = Some(DOUBLE_NETWORK_ID);
        cfg.features = Features { compression: true, ..Features::NONE };
        let identity = TlsIdentity::generate(tls::now()).unwrap();
        let acceptor = tls::acceptor(&identity, TlsPolicy::Modern).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            mode,
            cfg,
            acceptor,
            peers: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let s2 = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s2.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(tcp) = conn else { continue };
                let s3 = s2.clone();
                std::thread::spawn(move || serve(s3, tcp));
            }
        });
        Double { addr, seed, network_id: DOUBLE_NETWORK_ID, shared }
    }
}

fn net_now() -> u32 {
    conformance::peer::net_now()
}

fn serve(sh: Arc<Shared>, tcp: TcpStream) {
    let Ok(remote) = tcp.peer_addr() else { return };
    let _ = tcp.set_read_timeout(Some(DOUBLE_TIMEOUT));
    let _ = tcp.set_write_timeout(Some(DOUBLE_TIMEOUT));
    let Ok(ssl) = tls::server_ssl(&sh.acceptor) else { return };
    let Ok(mut s) = ssl.accept(tcp) else { return };
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    // A total deadline for the head, not per read: a byte a second must not keep it open.
    let head_deadline = std::time::Instant::now() + DOUBLE_TIMEOUT;
    let (req, consumed) = loop {
        let left = head_deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return;
        }
        let _ = s.get_ref().set_read_timeout(Some(left));
        match parse_request(&buf) {
            Ok(Parsed::Complete { head, consumed }) => break (Some(head), consumed),
            Ok(Parsed::Partial) => {}
            Err(_) => break (None, buf.len()),
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let (local, peer_fin) = match tls::finished_messages(s.ssl()) {
        Ok(f) => f,
        Err(_) => return,
    };
    let cfg = &sh.cfg;
    let now = net_now();
    let accept_all = sh.mode == Mode::AcceptAll;
    let Some(req) = req else {
        if accept_all {
            let _ = s.write_all(fake_101(cfg, &local, &peer_fin, remote.ip(), now).as_bytes());
            link(sh.clone(), s, Vec::new(), None, false);
        }
        return;
    };
    let kind = classify_request(&req, cfg.profile);
    match kind {
        RequestKind::Crawl | RequestKind::Health if !accept_all || req.headers.get("Upgrade").is_none() => {
            let body = if kind == RequestKind::Crawl { crawl(&sh) } else { r#"{"info":{}}"#.to_string() };
            let _ = s.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nServer: double\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
            return;
        }
        RequestKind::PeerUpgrade => {}
        _ if accept_all => {}
        _ => {
            let _ = s.write_all(build_forbidden(&cfg.software).as_bytes());
            return;
        }
    }
    let result = if accept_all {
        Err(HandshakeError::NotPeerUpgrade)
    } else {
        evaluate_inbound(cfg, &req, &local, &peer_fin, now, remote.ip())
    };
    let (peer, shared) = match result {
        Ok(acc) => (acc.peer, acc.shared),
        Err(HandshakeError::SessionVerifyFailed | HandshakeError::NoSessionSignature)
            if sh.mode == Mode::NoSignatureCheck =>
        {
            let Some(key) = req
                .headers
                .get("Public-Key")
                .and_then(|k| NodePublicKey::from_base58(k, cfg.profile.alphabet).ok())
            else {
                return;
            };
            (identity(key, &req.headers), shared_value(&local, &peer_fin).unwrap())
        }
        Err(_) if accept_all => {
            let _ = s.write_all(fake_101(cfg, &local, &peer_fin, remote.ip(), now).as_bytes());
            let key = req
                .headers
                .get("Public-Key")
                .and_then(|k| NodePublicKey::from_base58(k, cfg.profile.alphabet).ok());
            link(sh.clone(), s, buf[consumed..].to_vec(), key.map(|k| (k, true, remote.ip())), false);
            return;
        }
        Err(e) => {
            if let Some(text) = build_error_response(cfg, req.http_minor, remote.ip(), &e, &[]) {
                let _ = s.write_all(text.as_bytes());
            }
            return;
        }
    };
    {
        let mut peers = sh.peers.lock().unwrap();
        if peers.iter().any(|p| p.key == peer.public_key) {
            drop(peers);
            let _ = s.write_all(
                protocol_core::handshake::build_redirect(&cfg.software, 1, remote.ip(), &[]).as_bytes(),
            );
            return;
        }
        peers.push(Peer { key: peer.public_key, crawl_public: peer.crawl_public, ip: remote.ip() });
    }
    let resp = build_switching_response(cfg, req.http_minor, &peer, &shared, remote.ip(), now);
    let _ = s.write_all(resp.as_bytes());
    let key = peer.public_key;
    link(sh.clone(), s, buf[consumed..].to_vec(), None, peer.features.compression);
    sh.peers.lock().unwrap().retain(|p| p.key != key);
}

fn identity(key: NodePublicKey, h: &protocol_core::handshake::Headers) -> PeerIdentity {
    PeerIdentity {
        public_key: key,
        version: protocol_core::network::ProtocolVersion::xrpl(2, 2),
        features: Features::NONE,
        crawl_public: h.get("Crawl").is_some_and(|c| c.eq_ignore_ascii_case("public")),
        software: None,
        network_id: None,
        network_time: None,
        closed_ledger: None,
        previous_ledger: None,
        listening_ip: None,
        our_ip_seen_by_peer: None,
        server_domain: None,
        instance_cookie: None,
    }
}

/// A correctly signed 101 for a request we did not check at all.
fn fake_101(cfg: &HandshakeConfig, local: &[u8], peer: &[u8], ip: IpAddr, now: u32) -> String {
    let shared = shared_value(local, peer).unwrap();
    let me = identity(*cfg.node_key.public(), &protocol_core::handshake::Headers::new());
    build_switching_response(cfg, 1, &me, &shared, ip, now)
}

fn crawl(sh: &Shared) -> String {
    let peers = sh.peers.lock().unwrap();
    let active: Vec<serde_json::Value> = peers
        .iter()
        .map(|p| {
            let mut v = serde_json::json!({
                "public_key": base64::engine::general_purpose::STANDARD.encode(p.key.as_bytes()),
                "type": "in",
                "uptime": 0,
            });
            if p.crawl_public || sh.mode == Mode::AcceptAll {
                v["ip"] = serde_json::json!(p.ip.to_string());
            }
            v
        })
        .collect();
    serde_json::json!({"version": 2, "overlay": {"active": active}}).to_string()
}

fn link(
    sh: Arc<Shared>,
    mut s: SslStream<TcpStream>,
    early: Vec<u8>,
    register: Option<(NodePublicKey, bool, IpAddr)>,
    compression: bool,
) {
    if let Some((key, crawl_public, ip)) = register {
        sh.peers.lock().unwrap().push(Peer { key, crawl_public, ip });
    }
    let lenient = sh.mode == Mode::AcceptAll;
    let opts = FrameOptions::modern(compression);
    let mut dec = FrameDecoder::new(opts);
    dec.push(&early);
    let _ = s.get_ref().set_read_timeout(Some(Duration::from_secs(30)));
    let mut chunk = [0u8; 16 * 1024];
    let mut broken = false;
    'outer: loop {
        while !broken {
            match dec.next_frame() {
                Ok(Some(f)) => match decode(f.message_type, &f.payload) {
                    Ok(Some(Message::Ping(mut p))) if p.r#type == Some(0) => {
                        p.r#type = Some(1);
                        let mut out = Vec::new();
                        let _ = encode_frame(3, &Message::Ping(p).encode_payload(), &opts, &mut out);
                        if s.write_all(&out).is_err() {
                            break 'outer;
                        }
                    }
                    Ok(_) => {}
                    Err(_) if lenient => {}
                    Err(_) => break 'outer,
                },
                Ok(None) => break,
                Err(_) if lenient => broken = true,
                Err(_) => break 'outer,
            }
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) if !broken => dec.push(&chunk[..n]),
            Ok(_) => {}
        }
    }
    if let Some((key, _, _)) = register {
        sh.peers.lock().unwrap().retain(|p| p.key != key);
    }
}

/// Counts from a JUnit document that parsed and passed the structural rules.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct JunitCounts {
    pub suites: usize,
    pub cases: usize,
    pub failures: usize,
    pub skipped: usize,
    /// `name` attributes of failed test cases.
    pub failed_names: Vec<String>,
}

/// Parses `xml` with quick-xml (well-formedness, entity validity, matching end tags) and checks
/// the JUnit structure CI readers expect (Surefire/Jenkins schema): `testsuites > testsuite >
/// testcase > (properties > property | failure | skipped)`, required attributes present, numeric
/// counts consistent with the children, times parse as decimals.
pub fn validate_junit(xml: &str) -> Result<JunitCounts, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut out = JunitCounts::default();
    let mut declared: Vec<(usize, usize, usize)> = Vec::new();
    let mut suite_counts = (0usize, 0usize, 0usize);
    let mut current_case = String::new();
    let allowed = |parent: Option<&str>, child: &str| -> bool {
        matches!(
            (parent, child),
            (None, "testsuites")
                | (Some("testsuites"), "testsuite")
                | (Some("testsuite"), "testcase")
                | (Some("testcase"), "properties" | "failure" | "skipped")
                | (Some("properties"), "property")
        )
    };
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("not well-formed at {}: {e}", reader.buffer_position()))?;
        let (start, empty) = match &ev {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            let name = String::from_utf8(e.name().as_ref().to_vec()).map_err(|e| e.to_string())?;
            if !allowed(stack.last().map(String::as_str), &name) {
                return Err(format!("<{name}> not allowed inside {:?}", stack.last()));
            }
            let mut attrs = std::collections::HashMap::new();
            for a in e.attributes() {
                let a = a.map_err(|e| format!("bad attribute: {e}"))?;
                let k = String::from_utf8(a.key.as_ref().to_vec()).map_err(|e| e.to_string())?;
                let v = a.unescape_value().map_err(|e| format!("bad escape: {e}"))?.into_owned();
                attrs.insert(k, v);
            }
            let need: &[&str] = match name.as_str() {
                "testsuite" => &["name", "tests", "failures", "errors", "skipped", "time"],
                "testcase" => &["name", "classname", "time"],
                "property" => &["name", "value"],
                _ => &[],
            };
            for n in need {
                if !attrs.contains_key(*n) {
                    return Err(format!("<{name}> lacks {n}"));
                }
            }
            if let Some(t) = attrs.get("time") {
                t.parse::<f64>().map_err(|_| format!("time {t:?} is not a decimal"))?;
            }
            match name.as_str() {
                "testsuite" => {
                    out.suites += 1;
                    let n = |k: &str| attrs[k].parse::<usize>().map_err(|_| format!("{k} not a count"));
                    declared.push((n("tests")?, n("failures")?, n("skipped")?));
                    suite_counts = (0, 0, 0);
                }
                "testcase" => {
                    out.cases += 1;
                    suite_counts.0 += 1;
                    current_case = attrs["name"].clone();
                }
                "failure" => {
                    out.failures += 1;
                    suite_counts.1 += 1;
                    out.failed_names.push(current_case.clone());
                }
                "skipped" => {
                    out.skipped += 1;
                    suite_counts.2 += 1;
                }
                _ => {}
            }
            if !empty {
                stack.push(name);
            } else if name == "testsuite" && declared.pop() != Some(suite_counts) {
                return Err("empty testsuite counts mismatch".into());
            }
            continue;
        }
        match ev {
            Event::End(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).map_err(|e| e.to_string())?;
                if name == "testsuite" {
                    let d = declared.pop().ok_or("unbalanced")?;
                    if d != suite_counts {
                        return Err(format!("testsuite declares {d:?} but holds {suite_counts:?}"));
                    }
                }
                stack.pop();
            }
            Event::Text(t) => {
                let raw = String::from_utf8(t.to_vec()).map_err(|e| e.to_string())?;
                quick_xml::escape::unescape(&raw).map_err(|e| format!("bad text escape: {e}"))?;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed elements {stack:?}"));
    }
    Ok(out)
}

/// A target that dials `listen` twice as a fixed peer would (the responder cases, HR-*).
/// `verify_response: false` makes it keep a session whose 101 does not verify (broken).
pub fn dial_twice(listen: SocketAddr, verify_response: bool) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let seed = Seed::from_passphrase("conformance dialer");
        let cfg = HandshakeConfig::new(Network::Xrpl.profile(), NodeKeyPair::from_seed(&seed));
        let connector = tls::connector(TlsPolicy::Modern).unwrap();
        for _ in 0..2 {
            let start = std::time::Instant::now();
            let tcp = loop {
                match TcpStream::connect(listen) {
                    Ok(t) => break t,
                    Err(_) if start.elapsed() < Duration::from_secs(30) => {
                        std::thread::sleep(Duration::from_millis(50))
                    }
                    Err(_) => return,
                }
            };
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
            let ssl = tls::client_ssl(&connector).unwrap();
            let Ok(mut s) = ssl.connect(tcp) else { continue };
            let (local, peer) = tls::finished_messages(s.ssl()).unwrap();
            let shared = shared_value(&local, &peer).unwrap();
            let now = net_now();
            let req = protocol_core::handshake::build_request(&cfg, &shared, listen.ip(), now);
            if s.write_all(req.as_bytes()).is_err() {
                continue;
            }
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let outcome = loop {
                match protocol_core::handshake::handle_response(&cfg, &buf, &shared, now, listen.ip()) {
                    Ok(Some(o)) => break Ok(o),
                    Ok(None) => {}
                    Err(e) => break Err(e),
                }
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break Err(HandshakeError::NotPeerUpgrade),
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            };
            let early = match outcome {
                Ok(protocol_core::handshake::ResponseOutcome::Upgraded { leftover, .. }) => leftover,
                Err(HandshakeError::SessionVerifyFailed) if !verify_response => {
                    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").map_or(buf.len(), |i| i + 4);
                    buf[end..].to_vec()
                }
                _ => continue,
            };
            // Answer pings until the other side closes.
            let opts = FrameOptions::modern(false);
            let mut dec = FrameDecoder::new(opts);
            dec.push(&early);
            'link: loop {
                while let Ok(Some(f)) = dec.next_frame() {
                    if let Ok(Some(Message::Ping(mut p))) = decode(f.message_type, &f.payload) {
                        if p.r#type == Some(0) {
                            p.r#type = Some(1);
                            let mut out = Vec::new();
                            let _ = encode_frame(3, &Message::Ping(p).encode_payload(), &opts, &mut out);
                            if s.write_all(&out).is_err() {
                                break 'link;
                            }
                        }
                    }
                }
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => dec.push(&chunk[..n]),
                }
            }
        }
    })
}
