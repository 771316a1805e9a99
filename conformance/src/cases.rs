//! Running the catalogue against a live target over sockets. Each case opens its own
//! connections with a fresh node key, so cases do not interfere (duplicate-key refusals) and a
//! case that kills a connection cannot spoil the next one. Every wait is bounded.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use base64::Engine as _;
use openssl::ssl::SslConnector;
use protocol_core::address::is_public_ip;
use protocol_core::framing::{FrameOptions, MAX_PAYLOAD_BYTES};
use protocol_core::handshake::{self, Features, HandshakeConfig};
use protocol_core::keys::{encode_token, NodeKeyPair, Seed, TokenType};
use protocol_core::messages::proto::{tm_endpoints::TmEndpointv2, TmEndpoints, TmPing};
use protocol_core::messages::{decode, Message, MessageType};
use protocol_core::network::{EndpointsVersion, Network, NetworkIdRule, ProtocolVersion, UpgradeFamily};
use rand::RngCore;

use crate::catalogue::{CaseInfo, CATALOGUE};
use crate::peer::{
    self, attempt, https_get, read_request, Attempt, Link, LinkEvent, Listener, PeerError, RequestPlan,
    SignMode,
};
use crate::report::{Outcome, Report};

/// Default bound on one network wait (connect, response, pong, disconnect).
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Default size of the connection flood (RS-005): bounded so a CI machine survives it.
pub const DEFAULT_FLOOD: usize = 200;
/// Clock offset used by the skew cases: three times rippled's 20 s tolerance (§2.4).
pub const SKEW_SECS: i64 = 60;
/// How long the slow cases wait for the target's own ping (rippled's timer is 60 s, §10.1).
pub const SLOW_PING_WAIT: Duration = Duration::from_secs(70);
/// How long the slow endpoint case waits (rippled broadcasts every 151 s, peerfinder.md §6).
pub const SLOW_ENDPOINTS_WAIT: Duration = Duration::from_secs(160);
/// How long the responder cases wait for each dial: a fixed peer is retried after
/// `connectionBackoff[1]` = 1 minute (peerfinder.md §4.1), plus slack.
pub const DEFAULT_PEER_WAIT: Duration = Duration::from_secs(90);
/// Largest hop count a TMEndpoints entry may carry (peerfinder.md §6, `maxHops`).
pub const MAX_HOPS: u32 = 6;
/// Request head size used by HS-018: over rippled's ~8 KiB head limit (§2.3).
pub const OVERSIZE_HEAD_BYTES: usize = 9 * 1024;
/// Wrong values HS-019/HS-020 put in `Local-IP`/`Remote-IP`: RFC 5737 TEST-NET-3 addresses,
/// public in rippled's sense (so a target cannot dismiss them as private) and never assigned to
/// a real host. Two, so one always differs from the right value.
pub const WRONG_IPS: [IpAddr; 2] =
    [IpAddr::V4(Ipv4Addr::new(203, 0, 113, 77)), IpAddr::V4(Ipv4Addr::new(203, 0, 113, 78))];

/// What to run and against what.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub target: SocketAddr,
    pub network: Network,
    /// The target's configured `[network_id]`, if known (HS-007 needs it).
    pub network_id: Option<u32>,
    /// The target's node seed, if known (HS-014 signs with it).
    pub target_seed: Option<Seed>,
    /// The target's configured `[overlay] public_ip`, if known (HS-020 needs it).
    pub target_public_ip: Option<IpAddr>,
    /// Where we listen for the target to dial us (HR cases).
    pub listen: Option<SocketAddr>,
    pub io_timeout: Duration,
    /// Run the cases that wait for the target's timers (PP-004, EP-*).
    pub slow: bool,
    pub flood: usize,
    /// Bound for the slowloris case (the node's handshake timeout plus slack).
    pub slowloris_wait: Duration,
    /// How long to wait for the target to dial our listener.
    pub peer_wait: Duration,
    /// Run only cases whose id starts with one of these (empty: all).
    pub only: Vec<String>,
}

impl RunConfig {
    pub fn new(target: SocketAddr, network: Network) -> Self {
        RunConfig {
            target,
            network,
            network_id: network.profile().default_network_id,
            target_seed: None,
            target_public_ip: None,
            listen: None,
            io_timeout: DEFAULT_IO_TIMEOUT,
            slow: false,
            flood: DEFAULT_FLOOD,
            slowloris_wait: Duration::from_secs(30),
            peer_wait: DEFAULT_PEER_WAIT,
            only: Vec::new(),
        }
    }

    fn selected(&self, id: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|p| id.starts_with(p.as_str()))
    }
}

struct Ctx<'a> {
    rc: &'a RunConfig,
    conn: SslConnector,
}

fn fail(s: impl Into<String>) -> Outcome {
    Outcome::Fail(s.into())
}

impl Ctx<'_> {
    fn deadline(&self) -> Instant {
        Instant::now() + self.rc.io_timeout
    }

    fn fresh_key() -> NodeKeyPair {
        let mut b = [0u8; 16];
        rand::rng().fill_bytes(&mut b);
        NodeKeyPair::from_seed(&Seed::from_bytes(b))
    }

    fn cfg_with(&self, key: NodeKeyPair) -> HandshakeConfig {
        let mut cfg = HandshakeConfig::new(self.rc.network.profile(), key);
        cfg.network_id = self.rc.network_id;
        cfg.software = format!("xrpl-overlay-conformance-{}", env!("CARGO_PKG_VERSION"));
        cfg
    }

    fn cfg(&self) -> HandshakeConfig {
        self.cfg_with(Self::fresh_key())
    }

    fn attempt(&self, plan: &RequestPlan) -> Result<Attempt, String> {
        attempt(self.rc.target, &self.conn, plan, self.rc.io_timeout).map_err(|e| e.to_string())
    }

    /// A valid handshake, verified; returns the framed link.
    fn upgrade_with(&self, plan: &RequestPlan) -> Result<Link, String> {
        peer::upgrade(self.rc.target, &self.conn, plan, self.rc.io_timeout)
    }

    fn upgrade(&self) -> Result<Link, String> {
        self.upgrade_with(&RequestPlan::new(self.cfg()))
    }

    /// A request the target must refuse with one of `want` (and never 101).
    fn expect_refused(&self, plan: &RequestPlan, want: &[u16]) -> Outcome {
        match self.attempt(plan) {
            Err(e) => fail(e),
            Ok(Attempt::Reply(r)) if want.contains(&r.head.status) => Outcome::Pass,
            Ok(Attempt::Reply(r)) if r.head.status == 101 => fail("upgraded (101) a request it must refuse"),
            Ok(a) => fail(format!("expected HTTP {want:?}, got {}", a.describe())),
        }
    }

    /// Frames-level check: send `bytes` on a fresh link, expect a disconnect.
    fn expect_disconnect(&self, bytes: &[u8]) -> Outcome {
        let mut link = match self.upgrade() {
            Ok(l) => l,
            Err(e) => return fail(e),
        };
        if let Err(e) = link.send_raw(bytes) {
            // A reset during our write already is a disconnect.
            return if e.kind() == std::io::ErrorKind::BrokenPipe
                || e.kind() == std::io::ErrorKind::ConnectionReset
            {
                Outcome::Pass
            } else {
                fail(format!("write failed: {e}"))
            };
        }
        if link.closed_by(self.deadline()) {
            Outcome::Pass
        } else {
            fail(format!("still connected {} s after the bad frame", self.rc.io_timeout.as_secs()))
        }
    }

    /// After something hostile: a fresh valid handshake must still work.
    fn still_serving(&self) -> Result<(), String> {
        let mut link = self.upgrade().map_err(|e| format!("node no longer serving: {e}"))?;
        link.ping(1, self.deadline()).map(|_| ()).map_err(|e| format!("fresh link does not answer ping: {e}"))
    }
}

fn ping_frame(seq: u32, opts: &FrameOptions) -> Vec<u8> {
    let mut out = Vec::new();
    let p = Message::Ping(TmPing { r#type: Some(0), seq: Some(seq), ping_time: None, net_time: None });
    let _ = protocol_core::framing::encode_frame(3, &p.encode_payload(), opts, &mut out);
    out
}

/// Header bytes for an uncompressed 6-byte frame header.
fn header6(len: u32, ty: u16) -> Vec<u8> {
    let mut h = len.to_be_bytes().to_vec();
    h.extend_from_slice(&ty.to_be_bytes());
    h
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rand::rng().fill_bytes(&mut v);
    v
}

/// Runs the catalogue. `Err` only when the target cannot be reached at all (exit code 2).
/// The responder cases bind `rc.listen` when they start; see [`run_with_listener`] for a
/// target that dials at start-up (a fixed peer is dialled once, then backed off for minutes).
pub fn run(rc: &RunConfig) -> Result<Report, PeerError> {
    run_with_listener(rc, None)
}

/// [`run`] with the responder listener already bound (before the target was started).
pub fn run_with_listener(rc: &RunConfig, listener: Option<Listener>) -> Result<Report, PeerError> {
    let mut listener = listener;
    let conn = peer::connector(rc.network.profile().frame_dialect)?;
    // Reachability first: a dead target is a usage/connection error, not 40 failures.
    peer::tls_connect(rc.target, &conn, rc.io_timeout)?;
    let ctx = Ctx { rc, conn };
    let mut report = Report::new(rc.target.to_string(), rc.network.name(), peer::unix_now());
    let mut hr_results: Option<Vec<(&'static str, Outcome)>> = None;
    for info in CATALOGUE {
        if !rc.selected(info.id) {
            continue;
        }
        let start = Instant::now();
        let outcome = if info.id.starts_with("HR-") {
            let all = hr_results.get_or_insert_with(|| run_responder_cases(&ctx, listener.take()));
            all.iter()
                .find(|(id, _)| *id == info.id)
                .map(|(_, o)| o.clone())
                .unwrap_or(Outcome::Skipped("not run".into()))
        } else {
            run_case(&ctx, info)
        };
        report.push(*info, outcome, start.elapsed().as_millis() as u64);
    }
    Ok(report)
}

fn run_case(ctx: &Ctx, info: &CaseInfo) -> Outcome {
    let p = ctx.rc.network.profile();
    match info.id {
        "HS-001" => match ctx.upgrade() {
            Ok(_) => Outcome::Pass,
            Err(e) => fail(e),
        },
        "HS-002" => hs_version_negotiation(ctx),
        "HS-003" => {
            let bogus = format!("{}/99.0", p.upgrade_family().token_prefix());
            ctx.expect_refused(&RequestPlan::new(ctx.cfg()).set("Upgrade", bogus), &[400])
        }
        "HS-004" => {
            let mut plan = RequestPlan::new(ctx.cfg());
            plan.sign = SignMode::FlipBit;
            ctx.expect_refused(&plan, &[400])
        }
        "HS-005" => {
            let mut plan = RequestPlan::new(ctx.cfg());
            let mut other = [0u8; 32];
            rand::rng().fill_bytes(&mut other);
            plan.sign = SignMode::Other(other);
            ctx.expect_refused(&plan, &[400])
        }
        "HS-006" => ctx.expect_refused(&RequestPlan::new(ctx.cfg()).remove("Session-Signature"), &[400]),
        "HS-007" => {
            if p.network_id_rule == NetworkIdRule::Unsupported {
                return Outcome::Unsupported(format!("{} has no Network-ID header", p.name));
            }
            let Some(id) = ctx.rc.network_id else {
                return Outcome::Unsupported(
                    "target's network id unknown (--network-id); a node without one accepts any".into(),
                );
            };
            let wrong = id.wrapping_add(1000);
            ctx.expect_refused(&RequestPlan::new(ctx.cfg()).set("Network-ID", wrong.to_string()), &[400])
        }
        "HS-008" | "HS-009" => {
            let mut plan = RequestPlan::new(ctx.cfg());
            plan.time_offset = if info.id == "HS-008" { SKEW_SECS } else { -SKEW_SECS };
            ctx.expect_refused(&plan, &[400])
        }
        "HS-010" => ctx.expect_refused(&RequestPlan::new(ctx.cfg()).set("Network-Time", "soon"), &[400]),
        "HS-011" => ctx.expect_refused(&RequestPlan::new(ctx.cfg()).remove("Public-Key"), &[400]),
        "HS-012" => {
            let mut ed = [0u8; 33];
            ed[0] = 0xED;
            rand::rng().fill_bytes(&mut ed[1..]);
            let token = encode_token(TokenType::NodePublic, &ed, p.alphabet);
            ctx.expect_refused(&RequestPlan::new(ctx.cfg()).set("Public-Key", token), &[400])
        }
        "HS-013" => {
            let cfg = ctx.cfg();
            let mut token = cfg.node_key.public().to_base58(p.alphabet).into_bytes();
            let last = token.len() - 1;
            let alphabet = p.alphabet.chars();
            let i = alphabet.iter().position(|c| *c == token[last]).unwrap_or(0);
            token[last] = alphabet[(i + 1) % alphabet.len()];
            let token = String::from_utf8_lossy(&token).into_owned();
            ctx.expect_refused(&RequestPlan::new(cfg).set("Public-Key", token), &[400])
        }
        "HS-014" => match &ctx.rc.target_seed {
            None => Outcome::Unsupported(
                "needs the target's node seed (--target-seed); only the target can sign as itself".into(),
            ),
            Some(seed) => {
                ctx.expect_refused(&RequestPlan::new(ctx.cfg_with(NodeKeyPair::from_seed(seed))), &[400])
            }
        },
        "HS-015" => hs_duplicate_key(ctx),
        "HS-016" => {
            let plan = RequestPlan::new(ctx.cfg()).set("Upgrade", "websocket");
            ctx.expect_refused(&plan, &[403, 400, 401])
        }
        "HS-017" => {
            let plan =
                RequestPlan::new(ctx.cfg()).set("X-Conformance-Probe", "ignore-me").set("Foo", "bar, baz");
            match ctx.upgrade_with(&plan) {
                Ok(_) => Outcome::Pass,
                Err(e) => fail(e),
            }
        }
        "HS-018" => {
            let plan = RequestPlan::new(ctx.cfg()).set("X-Padding", "a".repeat(OVERSIZE_HEAD_BYTES));
            match ctx.attempt(&plan) {
                Err(e) => fail(e),
                Ok(Attempt::Reply(r)) if r.head.status == 101 => fail("upgraded a head over 8 KiB"),
                Ok(_) => Outcome::Pass,
            }
        }
        "HS-019" => hs_ip_header(ctx, IpHeader::Local),
        "HS-020" => hs_ip_header(ctx, IpHeader::Remote),
        // ---- framing
        "FR-001" => ctx.expect_disconnect(&[0x04, 0, 0, 0, 0, 3]),
        "FR-002" => ctx.expect_disconnect(&[0xA0, 0, 0, 8, 0, 3, 0, 0, 0, 16]),
        "FR-003" => ctx.expect_disconnect(&[0x9C, 0, 0, 8, 0, 3, 0, 0, 0, 16]),
        "FR-004" => ctx.expect_disconnect(&header6(MAX_PAYLOAD_BYTES as u32 + 1, 3)),
        "FR-005" => {
            if !p.feature_negotiation {
                return Outcome::Unsupported(format!("{} has no compression negotiation", p.name));
            }
            let mut frame = vec![0x90, 0, 0, 8, 0, 3, 0, 0, 0, 8];
            frame.extend_from_slice(&random_bytes(8));
            ctx.expect_disconnect(&frame)
        }
        "FR-006" => {
            let mut link = match ctx.upgrade() {
                Ok(l) => l,
                Err(e) => return fail(e),
            };
            // 99 is not in §7; 6..=11 are reserved-unused; send both kinds.
            let mut bytes = header6(4, 99);
            bytes.extend_from_slice(&[1, 2, 3, 4]);
            bytes.extend_from_slice(&header6(2, 7));
            bytes.extend_from_slice(&[0xFF, 0xFF]);
            if let Err(e) = link.send_raw(&bytes) {
                return fail(format!("write failed: {e}"));
            }
            match link.ping(0xC0FFEE, ctx.deadline()) {
                Ok(_) => Outcome::Pass,
                Err(e) => fail(format!("after an unknown type: {e}")),
            }
        }
        "FR-007" => {
            // TMPing with only seq (field 2): required `type` absent.
            let payload = [0x10, 0x05];
            let mut b = header6(payload.len() as u32, 3);
            b.extend_from_slice(&payload);
            ctx.expect_disconnect(&b)
        }
        "FR-008" => {
            // Field 1 with wire type 7 (invalid) inside a TMPing.
            let payload = [0x0F, 0xFF, 0xFF, 0xFF];
            let mut b = header6(payload.len() as u32, 3);
            b.extend_from_slice(&payload);
            ctx.expect_disconnect(&b)
        }
        "FR-009" | "FR-010" => fr_compressed(ctx, info.id == "FR-010"),
        "FR-011" => {
            let mut link = match ctx.upgrade() {
                Ok(l) => l,
                Err(e) => return fail(e),
            };
            let frame = ping_frame(0x5117, &link.opts);
            for b in &frame {
                if let Err(e) = link.send_raw(std::slice::from_ref(b)) {
                    return fail(format!("write failed: {e}"));
                }
            }
            match link.await_pong(0x5117, ctx.deadline()) {
                Ok(_) => Outcome::Pass,
                Err(e) => fail(e),
            }
        }
        // ---- ping/pong
        "PP-001" => {
            let mut link = match ctx.upgrade() {
                Ok(l) => l,
                Err(e) => return fail(e),
            };
            let seq = rand::rng().next_u32();
            match link.ping(seq, ctx.deadline()) {
                Ok(p) if p.r#type == Some(1) => Outcome::Pass,
                Ok(p) => fail(format!("answer has type {:?}", p.r#type)),
                Err(e) => fail(e),
            }
        }
        "PP-002" => {
            let mut link = match ctx.upgrade() {
                Ok(l) => l,
                Err(e) => return fail(e),
            };
            let ping =
                TmPing { r#type: Some(0), seq: Some(77), ping_time: Some(123_456_789), net_time: Some(42) };
            if let Err(e) = link.send(&Message::Ping(ping)) {
                return fail(format!("write failed: {e}"));
            }
            match link.await_pong(77, ctx.deadline()) {
                Ok(p) if p.ping_time == Some(123_456_789) && p.net_time == Some(42) => Outcome::Pass,
                Ok(p) => {
                    fail(format!("pong drops fields: pingTime {:?} netTime {:?}", p.ping_time, p.net_time))
                }
                Err(e) => fail(e),
            }
        }
        "PP-003" => {
            let mut link = match ctx.upgrade() {
                Ok(l) => l,
                Err(e) => return fail(e),
            };
            let stray = TmPing { r#type: Some(1), seq: Some(0xDEAD), ping_time: None, net_time: None };
            if let Err(e) = link.send(&Message::Ping(stray)) {
                return fail(format!("write failed: {e}"));
            }
            match link.ping(0xBEEF, ctx.deadline()) {
                Ok(_) => Outcome::Pass,
                Err(e) => fail(format!("after a stray pong: {e}")),
            }
        }
        "PP-004" => {
            if !ctx.rc.slow {
                return Outcome::Skipped("waits for the target's 60 s ping timer; run with --slow".into());
            }
            let mut link = match ctx.upgrade() {
                Ok(l) => l,
                Err(e) => return fail(e),
            };
            if link.wait_for(Instant::now() + SLOW_PING_WAIT, |l| l.pings_seen > 0) {
                Outcome::Pass
            } else {
                fail(format!("no ptPING within {} s", SLOW_PING_WAIT.as_secs()))
            }
        }
        "EP-001" | "EP-002" => ep_case(ctx, info.id),
        "HT-001" => ht_crawl(ctx),
        "HT-002" => ht_health(ctx),
        "HT-003" => match https_get(ctx.rc.target, &ctx.conn, "/conformance-unknown-path", ctx.rc.io_timeout)
        {
            Ok((403, _)) => Outcome::Pass,
            Ok((s, _)) => fail(format!("expected 403, got {s}")),
            Err(e) => fail(e.to_string()),
        },
        "HT-004" | "PV-001" => crawl_lists_peer(ctx, info.id == "PV-001"),
        "RD-001" => rd_redirect(ctx),
        "RS-001" => rs_raw_garbage(ctx),
        "RS-002" => rs_tls_garbage(ctx),
        "RS-003" => {
            let mut link = match ctx.upgrade() {
                Ok(l) => l,
                Err(e) => return fail(e),
            };
            // 0xFF first byte: compressed flag with algorithm 0xF0, refused by any decoder.
            let mut junk = random_bytes(512);
            junk[0] = 0xFF;
            let _ = link.send_raw(&junk);
            if !link.closed_by(ctx.deadline()) {
                return fail("still connected after random bytes");
            }
            match ctx.still_serving() {
                Ok(()) => Outcome::Pass,
                Err(e) => fail(e),
            }
        }
        "RS-004" => rs_slowloris(ctx),
        "RS-005" => rs_flood(ctx, Flood::After),
        "RS-006" => rs_flood(ctx, Flood::During),
        other => Outcome::Skipped(format!("{other}: no runner")),
    }
}

fn hs_version_negotiation(ctx: &Ctx) -> Outcome {
    let p = ctx.rc.network.profile();
    let family = p.upgrade_family();
    // Probe the versions the target supports, one at a time, from everything we know of.
    let mut candidates: Vec<ProtocolVersion> = p.versions.to_vec();
    if family == protocol_core::network::UpgradeFamily::Xrpl {
        for minor in 0..=3 {
            let v = ProtocolVersion::xrpl(2, minor);
            if !candidates.contains(&v) {
                candidates.push(v);
            }
        }
    }
    candidates.sort();
    let mut supported = Vec::new();
    for v in &candidates {
        match ctx.attempt(&RequestPlan::new(ctx.cfg()).set("Upgrade", v.to_string())) {
            Ok(Attempt::Reply(r)) if r.head.status == 101 => {
                let got = r.head.headers.get("Upgrade").unwrap_or("").trim().to_string();
                if got != v.to_string() {
                    return fail(format!("offered only {v}, target answered Upgrade: {got:?}"));
                }
                supported.push(*v);
            }
            Ok(_) => {}
            Err(e) => return fail(e),
        }
    }
    let Some(best) = supported.iter().max() else {
        return fail("no single version was accepted");
    };
    let all: Vec<String> = candidates.iter().map(|v| v.to_string()).collect();
    let offer = format!("{}, {}/99.0", all.join(", "), family.token_prefix());
    match ctx.attempt(&RequestPlan::new(ctx.cfg()).set("Upgrade", offer)) {
        Ok(Attempt::Reply(r)) if r.head.status == 101 => {
            let got = r.head.headers.get("Upgrade").unwrap_or("").trim().to_string();
            if got == best.to_string() {
                Outcome::Pass
            } else {
                fail(format!("target supports {supported:?}; answered {got:?} instead of {best}"))
            }
        }
        Ok(a) => fail(format!("full offer not upgraded: {}", a.describe())),
        Err(e) => fail(e),
    }
}

/// The source address the kernel picks for connections to `target`: what the target sees us at
/// unless a NAT sits between (then ours is private and the IP-header cases are unsupported).
/// A connected UDP socket sends nothing and takes no slot on the target.
pub fn source_ip_towards(target: SocketAddr) -> std::io::Result<IpAddr> {
    let any: SocketAddr = match target {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let s = UdpSocket::bind(any)?;
    s.connect(target)?;
    Ok(s.local_addr()?.ip())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IpHeader {
    Local,
    Remote,
}

/// HS-019 / HS-020 (overlay-wire.md §2.4): rippled compares `Local-IP` with the socket's peer
/// address, and `Remote-IP` with its `[overlay] public_ip`, only when that peer address is
/// public. From a private source (loopback, a LAN, behind NAT) a correct target accepts both
/// headers, so the case cannot tell right from wrong and reports unsupported.
fn hs_ip_header(ctx: &Ctx, which: IpHeader) -> Outcome {
    let p = ctx.rc.network.profile();
    let header = match which {
        IpHeader::Local => "Local-IP",
        IpHeader::Remote => "Remote-IP",
    };
    if p.upgrade_family() != UpgradeFamily::Xrpl {
        return Outcome::Unsupported(format!("{} reads no {header} header", p.name));
    }
    let ours = match source_ip_towards(ctx.rc.target) {
        Ok(ip) => ip,
        Err(e) => return fail(format!("cannot learn our source address towards the target: {e}")),
    };
    if !is_public_ip(ours) {
        return Outcome::Unsupported(format!(
            "the target sees us at {ours}, which is not public; it checks {header} only for public peers"
        ));
    }
    let right = match which {
        IpHeader::Local => ours,
        IpHeader::Remote => match ctx.rc.target_public_ip {
            Some(ip) => ip,
            None => {
                return Outcome::Unsupported(
                    "target's [overlay] public_ip unknown (--target-public-ip); without one a node compares nothing"
                        .into(),
                )
            }
        },
    };
    let wrong = if right == WRONG_IPS[0] { WRONG_IPS[1] } else { WRONG_IPS[0] };
    // rippled's reason: `Bad Request (Incorrect Local-IP: <socket> instead of <header>)`. The
    // reason is checked so a 400 for some other fault of the request cannot pass the case.
    let expect = format!("Incorrect {header}");
    match ctx.attempt(&RequestPlan::new(ctx.cfg()).set(header, wrong.to_string())) {
        Err(e) => return fail(e),
        Ok(Attempt::Reply(r)) if r.head.status == 400 && r.head.reason.contains(&expect) => {}
        Ok(Attempt::Reply(r)) if r.head.status == 400 => {
            return fail(format!("400 for another reason: {:?} (expected {expect:?})", r.head.reason))
        }
        Ok(a) => {
            return fail(format!(
                "{header}: {wrong} (right: {right}): expected HTTP 400, got {}",
                a.describe()
            ))
        }
    }
    // The node keeps serving, and the same header with the right value is accepted: the 400
    // came from the value, not from the header being there.
    let mut link = match ctx.upgrade_with(&RequestPlan::new(ctx.cfg()).set(header, right.to_string())) {
        Ok(l) => l,
        Err(e) => return fail(format!("after the refusal, {header}: {right} (right) not upgraded: {e}")),
    };
    match link.ping(1, ctx.deadline()) {
        Ok(_) => Outcome::Pass,
        Err(e) => fail(format!("fresh link with the right {header} does not answer ping: {e}")),
    }
}

fn hs_duplicate_key(ctx: &Ctx) -> Outcome {
    let key = Ctx::fresh_key();
    let plan = RequestPlan::new(ctx.cfg_with(key));
    let mut first = match ctx.upgrade_with(&plan) {
        Ok(l) => l,
        Err(e) => return fail(format!("first connection: {e}")),
    };
    // Make sure the first session is fully active before the second arrives.
    if let Err(e) = first.ping(3, ctx.deadline()) {
        return fail(format!("first connection: {e}"));
    }
    match ctx.attempt(&plan) {
        Ok(Attempt::Reply(r)) if r.head.status == 101 => {
            // Some nodes drop the older session instead; accept that only if one of them dies.
            let mut second = Link::new(*r, first.opts);
            let d = Instant::now() + ctx.rc.io_timeout;
            if second.closed_by(d) || first.ping(4, ctx.deadline()).is_err() {
                Outcome::Pass
            } else {
                fail("two live sessions with the same node key")
            }
        }
        Ok(_) => Outcome::Pass,
        Err(e) => fail(e),
    }
}

fn fr_compressed(ctx: &Ctx, corrupt: bool) -> Outcome {
    let p = ctx.rc.network.profile();
    if !p.feature_negotiation {
        return Outcome::Unsupported(format!("{} has no compression", p.name));
    }
    let mut cfg = ctx.cfg();
    cfg.features = Features { compression: true, ..Features::NONE };
    let mut link = match ctx.upgrade_with(&RequestPlan::new(cfg)) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    if !link.opts.compression {
        return Outcome::Unsupported("target did not enable compr=lz4 (its [compression] is off)".into());
    }
    let payload =
        Message::Ping(TmPing { r#type: Some(0), seq: Some(0x1A4), ping_time: Some(0), net_time: Some(0) })
            .encode_payload();
    let mut comp = lz4_block(&payload);
    if corrupt {
        comp = vec![0xF0; comp.len().max(4)];
    }
    let mut frame = (comp.len() as u32).to_be_bytes().to_vec();
    frame[0] |= 0x90;
    frame.extend_from_slice(&3u16.to_be_bytes());
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(&comp);
    if let Err(e) = link.send_raw(&frame) {
        return fail(format!("write failed: {e}"));
    }
    if corrupt {
        if link.closed_by(ctx.deadline()) {
            Outcome::Pass
        } else {
            fail("still connected after corrupt LZ4")
        }
    } else {
        match link.await_pong(0x1A4, ctx.deadline()) {
            Ok(_) => Outcome::Pass,
            Err(e) => fail(format!("compressed ping: {e}")),
        }
    }
}

/// LZ4 block (no frame header) of `data`, as rippled writes it (§6.3). A literal-only block is
/// valid LZ4 and needs no compressor: token, length extension, literals.
fn lz4_block(data: &[u8]) -> Vec<u8> {
    let n = data.len();
    let mut out = Vec::with_capacity(n + 2 + n / 255);
    if n < 15 {
        out.push((n as u8) << 4);
    } else {
        out.push(0xF0);
        let mut rest = n - 15;
        while rest >= 255 {
            out.push(255);
            rest -= 255;
        }
        out.push(rest as u8);
    }
    out.extend_from_slice(data);
    out
}

fn ep_case(ctx: &Ctx, id: &str) -> Outcome {
    if !ctx.rc.slow {
        return Outcome::Skipped(
            "waits for the target's endpoint broadcast (151 s in rippled); run with --slow".into(),
        );
    }
    let mut link = match ctx.upgrade() {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let ep = MessageType::Endpoints.number();
    let got =
        link.wait_for(Instant::now() + SLOW_ENDPOINTS_WAIT, |l| l.seen.iter().any(|f| f.message_type == ep));
    if !got {
        return fail(format!("no TMEndpoints within {} s", SLOW_ENDPOINTS_WAIT.as_secs()));
    }
    let Some(frame) = link.seen.iter().find(|f| f.message_type == ep) else { return fail("lost frame") };
    let msg = match decode(ep, &frame.payload) {
        Ok(Some(Message::Endpoints(m))) => m,
        Ok(_) => return fail("TMEndpoints did not decode"),
        Err(e) => return fail(format!("TMEndpoints: {e}")),
    };
    let want = match ctx.rc.network.profile().endpoints_version {
        EndpointsVersion::V1 => 1,
        EndpointsVersion::V2 => 2,
    };
    if id == "EP-001" {
        return if msg.version == Some(want) {
            Outcome::Pass
        } else {
            fail(format!("version {:?}, profile wants {want}", msg.version))
        };
    }
    check_endpoint_entries(&msg)
}

/// EP-002's rule, also used by the replayer's tests.
pub fn check_endpoint_entries(msg: &TmEndpoints) -> Outcome {
    for TmEndpointv2 { endpoint, hops } in &msg.endpoints_v2 {
        let text = endpoint.as_deref().unwrap_or("");
        let ok = text.parse::<SocketAddr>().is_ok()
            || text
                .rsplit_once(' ')
                .is_some_and(|(ip, port)| format!("{ip}:{port}").parse::<SocketAddr>().is_ok());
        if !ok {
            return fail(format!("endpoint {text:?} does not parse"));
        }
        if hops.is_none_or(|h| h > MAX_HOPS) {
            return fail(format!("endpoint {text:?} has hops {hops:?} (max {MAX_HOPS})"));
        }
    }
    for e in &msg.endpoints {
        if e.hops.is_none_or(|h| h > MAX_HOPS) {
            return fail(format!("v1 endpoint has hops {:?}", e.hops));
        }
    }
    Outcome::Pass
}

fn get_json(ctx: &Ctx, path: &str) -> Result<(u16, serde_json::Value), String> {
    let (status, body) =
        https_get(ctx.rc.target, &ctx.conn, path, ctx.rc.io_timeout).map_err(|e| e.to_string())?;
    let v = serde_json::from_slice(&body).map_err(|e| {
        format!("{path}: HTTP {status}, body is not JSON ({e}): {:?}", String::from_utf8_lossy(&body))
    })?;
    Ok((status, v))
}

/// HT-001's shape rules for a /crawl document (pub for the offline tests).
pub fn check_crawl_shape(v: &serde_json::Value) -> Result<(), String> {
    if v.get("version").and_then(|x| x.as_u64()) != Some(2) {
        return Err(format!("version is {:?}, not 2", v.get("version")));
    }
    let active = v
        .get("overlay")
        .and_then(|o| o.get("active"))
        .and_then(|a| a.as_array())
        .ok_or("overlay.active is not an array")?;
    for peer in active {
        let key = peer.get("public_key").and_then(|k| k.as_str()).ok_or("peer without public_key")?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(key)
            .map_err(|_| format!("public_key {key:?} is not base64"))?;
        if raw.len() != 33 {
            return Err(format!("public_key {key:?} decodes to {} bytes, not 33", raw.len()));
        }
        match peer.get("type").and_then(|t| t.as_str()) {
            Some("in") | Some("out") => {}
            t => return Err(format!("peer type {t:?} is not in/out")),
        }
        if peer.get("port").is_some() && peer.get("ip").is_none() {
            return Err("port without ip".into());
        }
    }
    Ok(())
}

fn ht_crawl(ctx: &Ctx) -> Outcome {
    match get_json(ctx, "/crawl") {
        Ok((200, v)) => match check_crawl_shape(&v) {
            Ok(()) => Outcome::Pass,
            Err(e) => fail(e),
        },
        Ok((s, _)) => fail(format!("/crawl answered {s}")),
        Err(e) => fail(e),
    }
}

fn ht_health(ctx: &Ctx) -> Outcome {
    match get_json(ctx, "/health") {
        Ok((s @ (200 | 503 | 500), v)) => match v.get("info") {
            Some(serde_json::Value::Object(m)) if s == 200 || !m.is_empty() => Outcome::Pass,
            Some(serde_json::Value::Object(_)) => fail(format!("status {s} but info lists no metric")),
            _ => fail("no info object"),
        },
        Ok((s, _)) => fail(format!("/health answered {s}")),
        Err(e) => fail(e),
    }
}

fn crawl_lists_peer(ctx: &Ctx, private: bool) -> Outcome {
    let mut cfg = ctx.cfg();
    cfg.crawl_public = !private;
    let b64 = base64::engine::general_purpose::STANDARD.encode(cfg.node_key.public().as_bytes());
    let mut link = match ctx.upgrade_with(&RequestPlan::new(cfg)) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let _ = link.ping(9, ctx.deadline());
    let v = match get_json(ctx, "/crawl") {
        Ok((200, v)) => v,
        Ok((s, _)) => return Outcome::Unsupported(format!("/crawl answered {s} (crawl disabled?)")),
        Err(e) => return fail(e),
    };
    let Some(active) = v.pointer("/overlay/active").and_then(|a| a.as_array()) else {
        return Outcome::Unsupported("/crawl has no overlay section ([crawl] overlay=0?)".into());
    };
    let Some(me) = active.iter().find(|p| p.get("public_key").and_then(|k| k.as_str()) == Some(b64.as_str()))
    else {
        return fail("our connected test peer is not listed in overlay.active");
    };
    if private && (me.get("ip").is_some() || me.get("port").is_some()) {
        return fail(format!("private peer listed with an address: {me}"));
    }
    Outcome::Pass
}

fn rd_redirect(ctx: &Ctx) -> Outcome {
    let plan = RequestPlan::new(ctx.cfg()).set("Connect-As", "Leaf");
    match ctx.attempt(&plan) {
        Ok(Attempt::Reply(r)) if r.head.status == 503 => {
            let v: serde_json::Value = match serde_json::from_slice(&r.rest) {
                Ok(v) => v,
                Err(e) => return fail(format!("503 body is not JSON: {e}")),
            };
            match v.get("peer-ips").and_then(|a| a.as_array()) {
                Some(a) if a.len() <= handshake::MAX_REDIRECT_IPS_SENT => {
                    if a.iter().all(|e| e.as_str().is_some_and(|s| s.parse::<SocketAddr>().is_ok())) {
                        Outcome::Pass
                    } else {
                        fail(format!("peer-ips has entries that are not ip:port: {a:?}"))
                    }
                }
                Some(a) => fail(format!("{} peer-ips (max {})", a.len(), handshake::MAX_REDIRECT_IPS_SENT)),
                None => fail("503 body has no peer-ips array"),
            }
        }
        Ok(a) => fail(format!("expected 503, got {}", a.describe())),
        Err(e) => fail(e),
    }
}

fn rs_raw_garbage(ctx: &Ctx) -> Outcome {
    match peer::tcp_connect(ctx.rc.target, ctx.rc.io_timeout) {
        Ok(mut s) => {
            let _ = s.write_all(&random_bytes(4096));
            let _ = s.write_all(b"\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n");
            let mut buf = [0u8; 1024];
            let _ = s.set_read_timeout(Some(ctx.rc.io_timeout));
            if let Ok(n) = std::io::Read::read(&mut s, &mut buf) {
                if buf[..n].windows(4).any(|w| w == b" 101") {
                    return fail("answered 101 to random bytes");
                }
            }
        }
        Err(e) => return fail(e.to_string()),
    }
    match ctx.still_serving() {
        Ok(()) => Outcome::Pass,
        Err(e) => fail(e),
    }
}

fn rs_tls_garbage(ctx: &Ctx) -> Outcome {
    match peer::tls_connect(ctx.rc.target, &ctx.conn, ctx.rc.io_timeout) {
        Ok(mut s) => {
            let mut junk = random_bytes(2048);
            junk.extend_from_slice(b"\r\n\r\n");
            let _ = s.write_all(&junk);
            let cfg = ctx.cfg();
            if let Ok(Attempt::Reply(r)) =
                peer::read_reply(s, [0; 32], &cfg, ctx.rc.target.ip(), ctx.deadline())
            {
                if r.head.status == 101 {
                    return fail("answered 101 to random bytes");
                }
            }
        }
        Err(e) => return fail(e.to_string()),
    }
    match ctx.still_serving() {
        Ok(()) => Outcome::Pass,
        Err(e) => fail(e),
    }
}

fn rs_slowloris(ctx: &Ctx) -> Outcome {
    let mut s = match peer::tls_connect(ctx.rc.target, &ctx.conn, ctx.rc.io_timeout) {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    let head = b"GET / HTTP/1.1\r\nUpgrade: XRPL/2.2\r\nConnection: Upgrade\r\nX-Slow: ";
    let start = Instant::now();
    let deadline = start + ctx.rc.slowloris_wait;
    let mut i = 0usize;
    while Instant::now() < deadline {
        let byte = head.get(i).copied().unwrap_or(b'a');
        i += 1;
        if s.write_all(&[byte]).and_then(|_| s.flush()).is_err() {
            return Outcome::Pass;
        }
        // Peek for a close: a short read timeout, then keep dripping.
        let _ = s.get_ref().set_read_timeout(Some(Duration::from_secs(1)));
        let mut b = [0u8; 256];
        match std::io::Read::read(&mut s, &mut b) {
            Ok(0) => return Outcome::Pass,
            Ok(_) => return Outcome::Pass, // an error answer (408/400) also ends the slow head
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return Outcome::Pass,
        }
    }
    fail(format!("a 1-byte/s head was still open after {} s", ctx.rc.slowloris_wait.as_secs()))
}

enum Flood {
    /// Check service after the flood connections are closed again.
    After,
    /// Check service while they are still open.
    During,
}

fn rs_flood(ctx: &Ctx, mode: Flood) -> Outcome {
    let mut held: Vec<TcpStream> = Vec::with_capacity(ctx.rc.flood);
    let mut refused = 0usize;
    for i in 0..ctx.rc.flood {
        match TcpStream::connect_timeout(&ctx.rc.target, Duration::from_secs(2)) {
            Ok(mut s) => {
                // Every other connection also sends a partial ClientHello-sized blob.
                if i % 2 == 0 {
                    let _ = s.write_all(&[0x16, 0x03, 0x01, 0x00, 0x05]);
                }
                held.push(s);
            }
            Err(_) => refused += 1,
        }
    }
    if matches!(mode, Flood::After) {
        held.clear();
    }
    // RS-006: while the flood is still held open; RS-005: once it is closed again.
    let serving = ctx.still_serving();
    let health = https_get(ctx.rc.target, &ctx.conn, "/health", ctx.rc.io_timeout);
    drop(held);
    match (serving, health) {
        (Ok(()), Ok((s, _))) if [200, 500, 503].contains(&s) => Outcome::Pass,
        (Ok(()), Ok((s, _))) => fail(format!("/health answered {s} ({refused} flood connects refused)")),
        (Err(e), _) => fail(format!("{e} (flood of {} connections, {refused} refused)", ctx.rc.flood)),
        (_, Err(e)) => fail(format!("/health: {e}")),
    }
}

/// HR cases: we listen; the target dials us. Two inbound connections are used: the first gets
/// a valid 101 (HR-001..003), the second a 101 with a bad signature (HR-004).
fn run_responder_cases(ctx: &Ctx, bound: Option<Listener>) -> Vec<(&'static str, Outcome)> {
    let ids = ["HR-001", "HR-002", "HR-003", "HR-004"];
    let Some(addr) = ctx.rc.listen else {
        return ids
            .iter()
            .map(|id| {
                (
                    *id,
                    Outcome::Skipped("needs --listen ADDR, configured on the target as a fixed peer".into()),
                )
            })
            .collect();
    };
    let p = ctx.rc.network.profile();
    let listener = match bound.map_or_else(|| Listener::bind(addr, p.frame_dialect), Ok) {
        Ok(l) => l,
        Err(e) => return ids.iter().map(|id| (*id, fail(format!("cannot listen on {addr}: {e}")))).collect(),
    };
    let mut out = Vec::new();
    let our_cfg = ctx.cfg();
    let Some((mut s, from)) = listener.accept(Instant::now() + ctx.rc.peer_wait) else {
        let msg = format!("target did not dial {addr} within {} s", ctx.rc.peer_wait.as_secs());
        return ids.iter().map(|id| (*id, fail(msg.clone()))).collect();
    };
    let Some((req, rest)) = read_request(&mut s, ctx.deadline()) else {
        return ids.iter().map(|id| (*id, fail("no complete request head from the target"))).collect();
    };
    let classified = handshake::classify_request(&req, p);
    out.push((
        "HR-001",
        if classified == handshake::RequestKind::PeerUpgrade
            && req.headers.get("Connect-As").is_some_and(|c| handshake::token_in_list(c, "peer"))
            && req.headers.get("Public-Key").is_some()
        {
            Outcome::Pass
        } else {
            fail(format!("request is not a well-formed peer upgrade: {:?} {:?}", req.target, req.headers))
        },
    ));
    let (local, peer_fin) = match node_common::tls::finished_messages(s.ssl()) {
        Ok(f) => f,
        Err(e) => {
            out.push(("HR-002", fail(e.to_string())));
            out.push(("HR-003", fail("no session")));
            out.push(("HR-004", Outcome::Skipped("no session".into())));
            return out;
        }
    };
    let now = peer::net_now();
    let accepted = handshake::evaluate_inbound(&our_cfg, &req, &local, &peer_fin, now, from.ip());
    match accepted {
        Ok(acc) => {
            out.push(("HR-002", Outcome::Pass));
            let resp = handshake::build_switching_response(
                &our_cfg,
                req.http_minor,
                &acc.peer,
                &acc.shared,
                from.ip(),
                now,
            );
            let opts = match p.frame_dialect {
                protocol_core::network::FrameDialect::Modern => {
                    FrameOptions::modern(acc.peer.features.compression)
                }
                protocol_core::network::FrameDialect::Legacy32 => FrameOptions::legacy32(),
            };
            let hr3 = if s.write_all(resp.as_bytes()).is_err() {
                fail("could not write our 101")
            } else {
                let head = handshake::ResponseHead {
                    http_minor: 1,
                    status: 101,
                    reason: String::new(),
                    headers: handshake::Headers::new(),
                };
                let reply = peer::Reply { head, rest, verdict: None, stream: s, shared: acc.shared };
                let mut link = Link::new(reply, opts);
                match link.ping(0x4852, ctx.deadline()) {
                    Ok(_) => Outcome::Pass,
                    Err(e) => fail(format!("after our 101: {e}")),
                }
            };
            out.push(("HR-003", hr3));
        }
        Err(e) => {
            out.push(("HR-002", fail(format!("target's request fails verification: {e}"))));
            out.push(("HR-003", Outcome::Skipped("its request did not verify".into())));
        }
    }
    // Second dial: answer with a bad signature; the target must not start framing.
    let hr4 = match listener.accept(Instant::now() + ctx.rc.peer_wait) {
        None => Outcome::Skipped(format!("target did not redial within {} s", ctx.rc.peer_wait.as_secs())),
        Some((mut s, from)) => match read_request(&mut s, ctx.deadline()) {
            None => fail("no request head on the second dial"),
            Some((req, rest)) => {
                let (local, peer_fin) = node_common::tls::finished_messages(s.ssl()).unwrap_or_default();
                match handshake::evaluate_inbound(
                    &our_cfg,
                    &req,
                    &local,
                    &peer_fin,
                    peer::net_now(),
                    from.ip(),
                ) {
                    Err(e) => fail(format!("second request fails verification: {e}")),
                    Ok(acc) => {
                        let good = handshake::build_switching_response(
                            &our_cfg,
                            req.http_minor,
                            &acc.peer,
                            &acc.shared,
                            from.ip(),
                            peer::net_now(),
                        );
                        let sig = handshake::session_signature(&our_cfg.node_key, &acc.shared);
                        let bad = good.replace(&sig, &peer::flip_signature_bit(&sig));
                        let _ = s.write_all(bad.as_bytes());
                        let head = handshake::ResponseHead {
                            http_minor: 1,
                            status: 101,
                            reason: String::new(),
                            headers: handshake::Headers::new(),
                        };
                        let reply = peer::Reply { head, rest, verdict: None, stream: s, shared: acc.shared };
                        let opts = FrameOptions::modern(false);
                        let mut link = Link::new(reply, opts);
                        let ping = ping_frame(0x4854, &opts);
                        let _ = link.send_raw(&ping);
                        match link.next(ctx.deadline()) {
                            LinkEvent::Closed | LinkEvent::BadFrame(_) => Outcome::Pass,
                            LinkEvent::Timeout => fail("target kept a session whose 101 did not verify"),
                            LinkEvent::Frame(f) => {
                                fail(format!("target sent frame type {} after a bad 101", f.message_type))
                            }
                        }
                    }
                }
            }
        },
    };
    out.push(("HR-004", hr4));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_lz4_block_decodes() {
        for n in [0usize, 5, 14, 15, 16, 300, 600] {
            let data: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let block = lz4_block(&data);
            let mut opts_frame = (block.len() as u32).to_be_bytes().to_vec();
            opts_frame[0] |= 0x90;
            opts_frame.extend_from_slice(&2u16.to_be_bytes());
            opts_frame.extend_from_slice(&(n as u32).to_be_bytes());
            opts_frame.extend_from_slice(&block);
            let mut d = protocol_core::framing::FrameDecoder::new(FrameOptions::modern(true));
            d.push(&opts_frame);
            let r = d.next_frame();
            if n == 0 {
                assert!(r.is_err(), "empty LZ4 payloads are refused");
                continue;
            }
            let f = r.unwrap().unwrap();
            assert_eq!(f.payload, data, "n={n}");
        }
    }

    #[test]
    fn crawl_shape_rules() {
        let good = serde_json::json!({"version": 2, "overlay": {"active": [
            {"public_key": "A5zEDFsNY0hFHWkdWrWMdx4NSeD4Y3amo6MgSOa/5Lsj", "type": "in", "ip": "1.2.3.4", "port": 51235}]}});
        check_crawl_shape(&good).unwrap();
        let bad_key =
            serde_json::json!({"version": 2, "overlay": {"active": [{"public_key": "n9abc", "type": "in"}]}});
        assert!(check_crawl_shape(&bad_key).is_err());
        assert!(check_crawl_shape(&serde_json::json!({"version": 1, "overlay": {"active": []}})).is_err());
    }

    #[test]
    fn endpoint_entry_rules() {
        let ok = TmEndpoints {
            version: Some(2),
            endpoints: vec![],
            endpoints_v2: vec![TmEndpointv2 { endpoint: Some("[2001:db8::1]:51235".into()), hops: Some(6) }],
        };
        assert_eq!(check_endpoint_entries(&ok), Outcome::Pass);
        let far = TmEndpoints {
            version: Some(2),
            endpoints: vec![],
            endpoints_v2: vec![TmEndpointv2 { endpoint: Some("10.0.0.1:1".into()), hops: Some(7) }],
        };
        assert!(check_endpoint_entries(&far).is_fail());
    }
}
