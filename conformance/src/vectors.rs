//! Recorded session vectors (format `xrpl-overlay-session/1`, documented in
//! `vectors/sessions/README.md`): reading them, replaying them offline against protocol-core
//! (handshake + framing + messages), replaying their initiator side against a live node, and
//! recording one from a live session.
//!
//! Owns the vector schema and placeholder substitution. Knows the wire only through
//! protocol-core; sockets only through [`crate::peer`].

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use protocol_core::framing::{FrameDecoder, FrameOptions};
use protocol_core::handshake::{
    self, classify_request, evaluate_inbound, handle_response, parse_request, session_signature,
    shared_value, HandshakeConfig, Parsed, RequestKind, ResponseOutcome,
};
use protocol_core::keys::{NodeKeyPair, Seed};
use protocol_core::messages::{decode, type_name};
use protocol_core::network::FrameDialect;
use protocol_core::Network;

use crate::catalogue::{CaseInfo, Group, Severity};
use crate::peer::{self, Attempt, Link, LinkEvent, RequestPlan};
use crate::report::{Outcome, Report};

/// `format` value this code reads and writes.
pub const VECTOR_FORMAT: &str = "xrpl-overlay-session/1";
/// Replacement Finished messages for vectors recorded without their TLS binding (12 bytes each,
/// distinct, as TLS 1.2 verify_data). Only our own signatures can be re-made over them.
pub const SYNTHETIC_INITIATOR_FINISHED: [u8; 12] = *b"conformance1";
pub const SYNTHETIC_RESPONDER_FINISHED: [u8; 12] = *b"conformance2";
/// Largest vector file read (a session with a few ledgers of frames stays far below).
pub const MAX_VECTOR_BYTES: u64 = 16 * 1024 * 1024;

/// Per-session placeholders (what TLS makes unique per session, or the clock).
pub const PH_SESSION_SIGNATURE: &str = "{{SESSION_SIGNATURE}}";
pub const PH_NETWORK_TIME: &str = "{{NETWORK_TIME}}";
pub const PH_PUBLIC_KEY: &str = "{{PUBLIC_KEY}}";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// Initiator to responder.
    I2r,
    /// Responder to initiator.
    R2i,
}

/// One side of the session.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Party {
    /// Base58 family seed, when the key was a throwaway test key (lets a replay re-sign).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// What the node was (free text: "rippled 1.9.3", "xrpl-overlay node-tokio", "conformance").
    #[serde(default)]
    pub software: String,
}

/// The two TLS Finished messages of the recorded session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TlsBinding {
    pub initiator_finished_hex: String,
    pub responder_finished_hex: String,
}

/// One thing that crossed the wire.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Event {
    pub dir: Option<Dir>,
    /// An HTTP head (request or response), CRLF line ends, may hold placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
    /// Bytes after the handshake (one or more frames, or junk), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hex: Option<String>,
    /// Placeholder values as recorded (used offline; a live replay makes fresh ones).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub recorded: BTreeMap<String, String>,
    /// Expected outcome. Heads: the HTTP status the responder answers (request) or has
    /// (response). Frames: `message` (type name) or `skip` or `disconnect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<String>,
    /// Expected message type name, e.g. `mtPING`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// JSON subset the decoded message must contain (field names as in the generated types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A whole recorded session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionVector {
    pub format: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Where it came from (capture, spec section, `conformance record`).
    #[serde(default)]
    pub source: String,
    pub network: String,
    #[serde(default)]
    pub initiator: Party,
    #[serde(default)]
    pub responder: Party,
    /// The responder's configured `[network_id]`, if any.
    #[serde(default)]
    pub responder_network_id: Option<u32>,
    #[serde(default)]
    pub tls: Option<TlsBinding>,
    /// NetClock seconds when recorded (the replay's clock).
    pub net_time: u32,
    /// Check signatures (false for heads captured without their TLS session).
    #[serde(default = "yes")]
    pub verify: bool,
    /// `compr=lz4` in effect for the frames.
    #[serde(default)]
    pub compression: bool,
    pub events: Vec<Event>,
}

fn yes() -> bool {
    true
}

impl SessionVector {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() // ok: plain data
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let v: SessionVector =
            serde_json::from_str(text).map_err(|e| format!("not a session vector: {e}"))?;
        if v.format != VECTOR_FORMAT {
            return Err(format!("format {:?}, this build reads {VECTOR_FORMAT:?}", v.format));
        }
        v.network_profile()?;
        Ok(v)
    }

    pub fn network_profile(&self) -> Result<Network, String> {
        self.network.parse::<Network>().map_err(|e| e.to_string())
    }

    fn key(
        &self,
        party: &Party,
        alphabet: protocol_core::keys::Alphabet,
    ) -> Result<Option<NodeKeyPair>, String> {
        party
            .seed
            .as_deref()
            .map(|s| {
                Seed::from_base58(s, alphabet)
                    .map(|seed| NodeKeyPair::from_seed(&seed))
                    .map_err(|e| e.to_string())
            })
            .transpose()
    }

    /// (initiator Finished, responder Finished).
    fn finished(&self) -> Result<(Vec<u8>, Vec<u8>), String> {
        match &self.tls {
            Some(t) => Ok((
                hex::decode(&t.initiator_finished_hex).map_err(|e| format!("tls: {e}"))?,
                hex::decode(&t.responder_finished_hex).map_err(|e| format!("tls: {e}"))?,
            )),
            None => Ok((SYNTHETIC_INITIATOR_FINISHED.to_vec(), SYNTHETIC_RESPONDER_FINISHED.to_vec())),
        }
    }
}

/// Fills placeholders: recorded values first (offline), else computed from `key` and `shared`.
fn substitute(
    text: &str,
    recorded: &BTreeMap<String, String>,
    key: Option<&NodeKeyPair>,
    shared: &[u8; 32],
    now: u32,
    alphabet: protocol_core::keys::Alphabet,
) -> Result<String, String> {
    let mut out = text.to_string();
    for (ph, name) in [
        (PH_SESSION_SIGNATURE, "SESSION_SIGNATURE"),
        (PH_NETWORK_TIME, "NETWORK_TIME"),
        (PH_PUBLIC_KEY, "PUBLIC_KEY"),
    ] {
        if !out.contains(ph) {
            continue;
        }
        let value = match (recorded.get(name), name) {
            (Some(v), _) => v.clone(),
            (None, "NETWORK_TIME") => now.to_string(),
            (None, "SESSION_SIGNATURE") => {
                session_signature(key.ok_or("no recorded signature and no seed to make one")?, shared)
            }
            (None, _) => key.ok_or("no recorded public key and no seed")?.public().to_base58(alphabet),
        };
        out = out.replace(ph, &value);
    }
    Ok(out)
}

fn frame_outcome(ev: &Event, decoder: &mut FrameDecoder) -> Result<bool, String> {
    // Returns Ok(true) when the session ended (expected disconnect).
    let want = ev.expect.as_deref().unwrap_or("message");
    loop {
        match decoder.next_frame() {
            Ok(None) => {
                return if want == "disconnect" {
                    Err("expected a disconnect, the bytes decode (or wait for more)".into())
                } else {
                    Ok(false)
                };
            }
            Err(e) => {
                return if want == "disconnect" { Ok(true) } else { Err(format!("frame error: {e}")) };
            }
            Ok(Some(f)) => match decode(f.message_type, &f.payload) {
                Err(e) if want == "disconnect" => {
                    let _ = e;
                    return Ok(true);
                }
                Err(e) => return Err(format!("message error: {e}")),
                Ok(None) if want == "skip" => {}
                Ok(None) => return Err(format!("type {} skipped, expected {want}", f.message_type)),
                Ok(Some(m)) => {
                    if want != "message" {
                        return Err(format!("decoded {}, expected {want}", type_name(f.message_type)));
                    }
                    let name = type_name(f.message_type);
                    if let Some(w) = &ev.message {
                        if w != name {
                            return Err(format!("decoded {name}, expected {w}"));
                        }
                    }
                    if let Some(fields) = &ev.fields {
                        let got = message_json(&m);
                        if !json_contains(&got, fields) {
                            return Err(format!("{name} fields {got} do not contain {fields}"));
                        }
                    }
                }
            },
        }
    }
}

/// The decoded message as JSON via its Debug form's fields we care about: prost types do not
/// implement serde, so we compare a small projection of common fields.
fn message_json(m: &protocol_core::messages::Message) -> serde_json::Value {
    use protocol_core::messages::Message as M;
    match m {
        M::Ping(p) => serde_json::json!({"type": p.r#type, "seq": p.seq}),
        M::Endpoints(e) => serde_json::json!({
            "version": e.version,
            "endpoints_v2": e.endpoints_v2.iter().map(|x| serde_json::json!({"endpoint": x.endpoint, "hops": x.hops})).collect::<Vec<_>>()
        }),
        M::Validation(v) => serde_json::json!({"validation_len": v.validation.as_ref().map(|b| b.len())}),
        M::StatusChange(s) => serde_json::json!({"ledgerSeq": s.ledger_seq, "newEvent": s.new_event}),
        _ => serde_json::json!({}),
    }
}

fn json_contains(got: &serde_json::Value, want: &serde_json::Value) -> bool {
    match (got, want) {
        (serde_json::Value::Object(g), serde_json::Value::Object(w)) => {
            w.iter().all(|(k, wv)| g.get(k).is_some_and(|gv| json_contains(gv, wv)))
        }
        (serde_json::Value::Array(g), serde_json::Value::Array(w)) => {
            g.len() == w.len() && g.iter().zip(w).all(|(a, b)| json_contains(a, b))
        }
        (g, w) => g == w,
    }
}

/// Replays one vector against protocol-core. `Ok(())` when every expectation held.
pub fn replay_offline(v: &SessionVector) -> Result<(), String> {
    let network = v.network_profile()?;
    let profile = network.profile();
    let alphabet = profile.alphabet;
    let ikey = v.key(&v.initiator, alphabet)?;
    let rkey = v.key(&v.responder, alphabet)?;
    let (ifin, rfin) = v.finished()?;
    let shared = shared_value(&ifin, &rfin).map_err(|e| format!("shared value: {e}"))?;
    let remote = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let fallback = || NodeKeyPair::from_seed(&Seed::from_passphrase("conformance replay placeholder key"));
    let mut rcfg = HandshakeConfig::new(profile, rkey.clone().unwrap_or_else(fallback));
    rcfg.network_id = v.responder_network_id;
    let icfg = HandshakeConfig::new(profile, ikey.clone().unwrap_or_else(fallback));
    let mut compression = v.compression;
    let mut decoder: Option<FrameDecoder> = None;
    for (i, ev) in v.events.iter().enumerate() {
        let at = |e: String| format!("event {i}: {e}");
        if let Some(head) = &ev.head {
            let (key, dir) = match ev.dir {
                Some(Dir::R2i) => (rkey.as_ref(), Dir::R2i),
                _ => (ikey.as_ref(), Dir::I2r),
            };
            let text = substitute(head, &ev.recorded, key, &shared, v.net_time, alphabet).map_err(at)?;
            match dir {
                Dir::I2r => {
                    let req = match parse_request(text.as_bytes()).map_err(|e| at(e.to_string()))? {
                        Parsed::Complete { head, .. } => head,
                        Parsed::Partial => return Err(at("request head incomplete".into())),
                    };
                    let status = match classify_request(&req, profile) {
                        RequestKind::PeerUpgrade if !v.verify => 101,
                        RequestKind::PeerUpgrade => {
                            match evaluate_inbound(&rcfg, &req, &rfin, &ifin, v.net_time, remote) {
                                Ok(acc) => {
                                    compression = acc.peer.features.compression;
                                    101
                                }
                                Err(e) => e.http_status().unwrap_or(0),
                            }
                        }
                        RequestKind::Other => 403,
                        _ => 200,
                    };
                    if let Some(want) = ev.status {
                        if want != status {
                            return Err(at(format!("core answers {status}, vector says {want}")));
                        }
                    }
                }
                Dir::R2i => {
                    let outcome = if v.verify {
                        handle_response(&icfg, text.as_bytes(), &shared, v.net_time, remote)
                            .map_err(|e| at(e.to_string()))?
                    } else {
                        match handshake::parse_response(text.as_bytes()).map_err(|e| at(e.to_string()))? {
                            Parsed::Complete { head, .. } => {
                                if let Some(want) = ev.status {
                                    if head.status != want {
                                        return Err(at(format!("status {} vs {want}", head.status)));
                                    }
                                }
                                if head.status == 101 {
                                    let up = head.headers.get("Upgrade").unwrap_or("");
                                    handshake::accept_response_version(up, profile)
                                        .ok_or_else(|| at(format!("Upgrade {up:?} not acceptable")))?;
                                }
                                None
                            }
                            Parsed::Partial => return Err(at("response head incomplete".into())),
                        }
                    };
                    if v.verify {
                        match (outcome, ev.status) {
                            (Some(ResponseOutcome::Upgraded { peer, .. }), Some(101) | None) => {
                                compression = peer.features.compression && compression;
                            }
                            (Some(ResponseOutcome::Redirect { .. }), Some(503)) => {}
                            (o, want) => {
                                return Err(at(format!("response outcome {o:?}, vector says {want:?}")))
                            }
                        }
                    }
                }
            }
            continue;
        }
        if let Some(h) = &ev.hex {
            let bytes = hex::decode(h.trim()).map_err(|e| at(format!("hex: {e}")))?;
            let opts = match profile.frame_dialect {
                FrameDialect::Modern => FrameOptions::modern(compression),
                FrameDialect::Legacy32 => FrameOptions::legacy32(),
            };
            let d = decoder.get_or_insert_with(|| FrameDecoder::new(opts));
            d.push(&bytes);
            if frame_outcome(ev, d).map_err(at)? {
                return if i + 1 == v.events.len() {
                    Ok(())
                } else {
                    Err(at("events after an expected disconnect".into()))
                };
            }
        }
    }
    Ok(())
}

/// Reads every `*.json` vector under `path` (or the one file) and replays each offline.
pub fn replay_path(path: &Path) -> Result<Report, String> {
    let mut files = Vec::new();
    if path.is_dir() {
        for e in std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))? {
            let p = e.map_err(|e| e.to_string())?.path();
            if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
        files.sort();
    } else {
        files.push(path.to_path_buf());
    }
    if files.is_empty() {
        return Err(format!("no *.json vectors in {}", path.display()));
    }
    let mut report = Report::new(format!("replay:{}", path.display()), "per-vector", peer::unix_now());
    for f in files {
        let start = Instant::now();
        let name = f.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let outcome = match load(&f) {
            Ok(v) => match replay_offline(&v) {
                Ok(()) => Outcome::Pass,
                Err(e) => Outcome::Fail(e),
            },
            Err(e) => Outcome::Fail(e),
        };
        report.push(vector_case(&name), outcome, start.elapsed().as_millis() as u64);
    }
    Ok(report)
}

pub fn load(path: &Path) -> Result<SessionVector, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > MAX_VECTOR_BYTES {
        return Err(format!("{}: over {MAX_VECTOR_BYTES} bytes", path.display()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    SessionVector::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Report entry for a vector. Vector names are data, the report wants `'static` text: the
/// leak is bounded by the number of vector files in one run.
fn vector_case(name: &str) -> CaseInfo {
    let id: &'static str = Box::leak(format!("VX-{name}").into_boxed_str());
    CaseInfo {
        id,
        group: Group::Replay,
        section: "vectors/sessions/README.md §replay",
        severity: Severity::Must,
        description: "recorded session replays against protocol-core with every expectation met",
    }
}

/// Replays the initiator side of `v` against a live node at `addr`: fresh TLS, placeholders
/// filled for this session, responder expectations checked (head status, expected frames).
/// Vectors whose initiator key is not a throwaway seed cannot be replayed live.
pub fn replay_live(v: &SessionVector, addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    let network = v.network_profile()?;
    let profile = network.profile();
    let ikey =
        v.key(&v.initiator, profile.alphabet)?.ok_or("initiator seed not recorded: cannot sign live")?;
    let conn = peer::connector(profile.frame_dialect).map_err(|e| e.to_string())?;
    let mut link: Option<Link> = None;
    let mut events = v.events.iter().peekable();
    while let Some(ev) = events.next() {
        match (ev.dir, &ev.head, &ev.hex) {
            (Some(Dir::I2r), Some(head), _) => {
                // The request head: rebuild it from the vector with this session's values.
                let mut cfg = HandshakeConfig::new(profile, ikey.clone());
                cfg.network_id = v.responder_network_id;
                let mut s = peer::tls_connect(addr, &conn, timeout).map_err(|e| e.to_string())?;
                let shared = peer::session_binding(&s).map_err(|e| e.to_string())?.shared;
                let empty = BTreeMap::new();
                let text = substitute(head, &empty, Some(&ikey), &shared, peer::net_now(), profile.alphabet)?;
                std::io::Write::write_all(&mut s, text.as_bytes()).map_err(|e| e.to_string())?;
                let want = ev.status.or_else(|| events.peek().and_then(|n| n.status)).unwrap_or(101);
                let deadline = Instant::now() + timeout;
                match peer::read_reply(s, shared, &cfg, addr.ip(), deadline).map_err(|e| e.to_string())? {
                    Attempt::Reply(r) if r.head.status == want => {
                        if want == 101 {
                            let p = r.verdict.clone().ok_or("no verdict")?.map_err(|e| e.to_string())?;
                            let opts = match profile.frame_dialect {
                                FrameDialect::Modern => FrameOptions::modern(p.features.compression),
                                FrameDialect::Legacy32 => FrameOptions::legacy32(),
                            };
                            link = Some(Link::new(*r, opts));
                        }
                    }
                    a => return Err(format!("expected {want}, got {}", a.describe())),
                }
                // The vector's response head is covered by the status check.
                if events.peek().is_some_and(|n| n.dir == Some(Dir::R2i) && n.head.is_some()) {
                    events.next();
                }
            }
            (Some(Dir::I2r), None, Some(h)) => {
                let l = link.as_mut().ok_or("frames before a handshake")?;
                let bytes = hex::decode(h.trim()).map_err(|e| e.to_string())?;
                l.send_raw(&bytes).map_err(|e| e.to_string())?;
                if ev.expect.as_deref() == Some("disconnect") && !l.closed_by(Instant::now() + timeout) {
                    return Err("node stayed connected after bytes the vector expects to disconnect".into());
                }
            }
            (Some(Dir::R2i), None, Some(_)) => {
                // Wait for a frame of the same type the node sent when recorded.
                let l = link.as_mut().ok_or("frames before a handshake")?;
                let Some(want) = ev.message.as_deref() else { continue };
                let deadline = Instant::now() + timeout;
                loop {
                    match l.next(deadline) {
                        LinkEvent::Frame(f) if type_name(f.message_type) == want => break,
                        LinkEvent::Frame(_) => {}
                        e => return Err(format!("waiting for {want}: {e:?}")),
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Records a session with a live node: a valid handshake, a ping and its pong, and whatever
/// the node sends within a short window. Our key is a throwaway whose seed is stored, so the
/// vector can be replayed live; the node's signature and clock are kept as recorded values.
pub fn record(
    addr: SocketAddr,
    network: Network,
    name: &str,
    timeout: Duration,
) -> Result<SessionVector, String> {
    let profile = network.profile();
    let mut raw = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut raw);
    let seed = Seed::from_bytes(raw);
    let key = NodeKeyPair::from_seed(&seed);
    let mut cfg = HandshakeConfig::new(profile, key.clone());
    cfg.software = format!("xrpl-overlay-conformance-{}", env!("CARGO_PKG_VERSION"));
    let conn = peer::connector(profile.frame_dialect).map_err(|e| e.to_string())?;
    let mut s = peer::tls_connect(addr, &conn, timeout).map_err(|e| e.to_string())?;
    let peer::Binding { shared, local, peer: peer_fin } =
        peer::session_binding(&s).map_err(|e| e.to_string())?;
    let plan = RequestPlan::new(cfg.clone());
    let request = plan.render(&shared, addr.ip());
    std::io::Write::write_all(&mut s, request.as_bytes()).map_err(|e| e.to_string())?;
    let now = peer::net_now();
    let reply = match peer::read_reply(s, shared, &cfg, addr.ip(), Instant::now() + timeout)
        .map_err(|e| e.to_string())?
    {
        Attempt::Reply(r) => r,
        a => return Err(format!("no response: {}", a.describe())),
    };
    let status = reply.head.status;
    let mut resp_text = format!("HTTP/1.{} {} {}\r\n", reply.head.http_minor, status, reply.head.reason);
    for (n, val) in reply.head.headers.iter() {
        resp_text.push_str(&format!("{n}: {val}\r\n"));
    }
    resp_text.push_str("\r\n");
    let mut events = Vec::new();
    let (req_ph, req_rec) = placeholders(&request);
    events.push(Event {
        dir: Some(Dir::I2r),
        head: Some(req_ph),
        recorded: req_rec,
        status: Some(status),
        ..Default::default()
    });
    let (resp_ph, resp_rec) = placeholders(&resp_text);
    events.push(Event {
        dir: Some(Dir::R2i),
        head: Some(resp_ph),
        recorded: resp_rec,
        status: Some(status),
        ..Default::default()
    });
    if status == 101 {
        let verdict = reply
            .verdict
            .clone()
            .ok_or("no verdict")?
            .map_err(|e| format!("node's 101 does not verify: {e}"))?;
        let opts = match profile.frame_dialect {
            FrameDialect::Modern => FrameOptions::modern(verdict.features.compression),
            FrameDialect::Legacy32 => FrameOptions::legacy32(),
        };
        let mut link = Link::new(*reply, opts);
        let seq = 0x5EC0_4D00;
        let ping = protocol_core::messages::Message::Ping(protocol_core::messages::proto::TmPing {
            r#type: Some(0),
            seq: Some(seq),
            ping_time: None,
            net_time: None,
        });
        let mut ping_bytes = Vec::new();
        protocol_core::framing::encode_frame(3, &ping.encode_payload(), &opts, &mut ping_bytes)
            .map_err(|e| e.to_string())?;
        link.send_raw(&ping_bytes).map_err(|e| e.to_string())?;
        events.push(Event {
            dir: Some(Dir::I2r),
            hex: Some(hex::encode_upper(&ping_bytes)),
            expect: Some("message".into()),
            message: Some("mtPING".into()),
            fields: Some(serde_json::json!({"type": 0, "seq": seq})),
            ..Default::default()
        });
        // Record raw frames as they arrive (re-encoded exactly as received is not possible
        // after decoding; we keep the uncompressed form, which decodes to the same message).
        let deadline = Instant::now() + timeout;
        let mut got_pong = false;
        while let LinkEvent::Frame(f) = link.next(deadline) {
            let mut bytes = Vec::new();
            let plain = FrameOptions { compression: false, ..opts };
            let _ = protocol_core::framing::encode_frame(f.message_type, &f.payload, &plain, &mut bytes);
            let known = decode(f.message_type, &f.payload).ok().flatten().is_some();
            let is_pong = matches!(decode(f.message_type, &f.payload), Ok(Some(protocol_core::messages::Message::Ping(p))) if p.seq == Some(seq));
            events.push(Event {
                dir: Some(Dir::R2i),
                hex: Some(hex::encode_upper(&bytes)),
                expect: Some(if known { "message" } else { "skip" }.into()),
                message: known.then(|| type_name(f.message_type).to_string()),
                fields: is_pong.then(|| serde_json::json!({"type": 1, "seq": seq})),
                ..Default::default()
            });
            if is_pong {
                got_pong = true;
                break;
            }
        }
        if !got_pong {
            return Err("node did not answer the ping while recording".into());
        }
    }
    Ok(SessionVector {
        format: VECTOR_FORMAT.into(),
        name: name.into(),
        description: format!("live session recorded with `conformance record` from {addr}"),
        source: "conformance record".into(),
        network: network.name().into(),
        initiator: Party { seed: Some(seed.to_base58(profile.alphabet)), software: cfg.software.clone() },
        responder: Party { seed: None, software: String::new() },
        responder_network_id: None,
        tls: Some(TlsBinding {
            initiator_finished_hex: hex::encode_upper(&local),
            responder_finished_hex: hex::encode_upper(&peer_fin),
        }),
        net_time: now,
        verify: true,
        compression: false,
        events,
    })
}

/// Replaces the per-session header values with placeholders, keeping the recorded values.
fn placeholders(head: &str) -> (String, BTreeMap<String, String>) {
    let mut rec = BTreeMap::new();
    let mut out = String::new();
    for line in head.split_inclusive("\r\n") {
        let Some((n, val)) = line.split_once(':') else {
            out.push_str(line);
            continue;
        };
        let val = val.trim();
        let ph = match n.trim().to_ascii_lowercase().as_str() {
            "session-signature" => Some(("SESSION_SIGNATURE", PH_SESSION_SIGNATURE)),
            "network-time" => Some(("NETWORK_TIME", PH_NETWORK_TIME)),
            _ => None,
        };
        match ph {
            Some((name, p)) => {
                rec.insert(name.to_string(), val.to_string());
                out.push_str(&format!("{}: {p}\r\n", n.trim()));
            }
            None => out.push_str(line),
        }
    }
    (out, rec)
}
