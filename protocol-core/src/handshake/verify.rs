//! Header verification for both directions (overlay-wire.md §2.3 checks 5–8, §2.4, §2.5;
//! networks.md §6.4 for the RTXP/1.2 forks) and the initiator's reading of the response.
//!
//! Owns the accept/refuse rules and their order. Must not build heads (see `build`) or
//! decide about slots (the caller's PeerFinder does that after a success).

use std::net::{IpAddr, SocketAddr};

use crate::keys::{decode_token, NodePublicKey, TokenType};
use crate::network::{LedgerHashEncoding, NetworkIdRule, UpgradeFamily};

use super::head::{parse_response, Headers, Parsed, RequestHead, ResponseHead};
use super::negotiate::{accept_response_version, negotiate_version, token_in_list, Features};
use super::session::{decode_session_signature, shared_value};
use super::{HandshakeConfig, HandshakeError, PeerIdentity};

/// Largest `|their Network-Time − ours|` accepted, in seconds (overlay-wire.md §2.4, §15).
pub const CLOCK_TOLERANCE_SECS: i64 = 20;

/// Most redirect endpoints the initiator takes from one 503 (overlay-wire.md §2.5 step 4).
pub const MAX_REDIRECTS_ACCEPTED: usize = 30;

/// Largest 503 body the initiator reads. rippled sends ≤ 10 endpoints (< 1 KiB); the bound
/// keeps a hostile server from making us buffer without limit (overlay-wire.md §2.5).
pub const MAX_REDIRECT_BODY_BYTES: usize = 16 * 1024;

/// Length limits of `Server-Domain` (rippled `isProperlyFormedTomlDomain`, §2.4).
const SERVER_DOMAIN_LEN: std::ops::RangeInclusive<usize> = 4..=128;
/// Length limits of one domain label and of the TLD.
const LABEL_LEN: std::ops::RangeInclusive<usize> = 1..=63;
const TLD_LEN: std::ops::RangeInclusive<usize> = 2..=63;

/// rippled's `isProperlyFormedTomlDomain`: 4..128 characters; one or more labels of
/// `[A-Za-z0-9-]{1,63}` not starting or ending with `-`, each followed by `.`; then a TLD
/// of 2..63 ASCII letters.
pub fn is_well_formed_server_domain(domain: &str) -> bool {
    if !SERVER_DOMAIN_LEN.contains(&domain.len()) {
        return false;
    }
    let mut parts: Vec<&str> = domain.split('.').collect();
    let Some(tld) = parts.pop() else { return false };
    if parts.is_empty() || !TLD_LEN.contains(&tld.len()) || !tld.bytes().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    parts.iter().all(|l| {
        LABEL_LEN.contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    })
}

/// Whether an address is publicly routable, for the `Remote-IP` / `Local-IP` rules.
///
/// IPv4 follows rippled (`beast::IP::is_public`): not 10/8, 172.16/12, 192.168/16, loopback
/// or multicast; we also exclude unspecified, link-local and broadcast, which never carry a
/// peer connection. IPv6: global unicast only (not loopback, unspecified, multicast, ULA
/// fc00::/7 or link-local fe80::/10); v4-mapped addresses use the IPv4 rule. rippled's own
/// IPv6 test wrongly calls every global address private (XRPLF/rippled#7226); we do not copy it.
pub use crate::address::is_public_ip;

/// beast's `lexicalCastChecked` into an unsigned integer: ASCII digits only (leading zeros
/// allowed), no sign, non-empty, must fit.
fn parse_decimal<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parse one `Closed-Ledger` / `Previous-Ledger` value: 64 hex digits (either case) or
/// base64 of exactly 32 bytes; legacy profiles understand base64 only (networks.md §1, §6.4).
pub fn parse_ledger_hash(value: &str, encoding: LedgerHashEncoding) -> Option<[u8; 32]> {
    if encoding == LedgerHashEncoding::Hex && value.len() == 64 {
        let mut out = [0u8; 32];
        if hex::decode_to_slice(value, &mut out).is_ok() {
            return Some(out);
        }
    }
    super::session::base64_decode_lenient(value)?.try_into().ok()
}

/// What [`verify_handshake`] proved about the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedHeaders {
    pub public_key: NodePublicKey,
    pub network_id: Option<u32>,
    pub network_time: Option<u32>,
    pub listening_ip: Option<IpAddr>,
    pub our_ip_seen_by_peer: Option<IpAddr>,
    pub server_domain: Option<String>,
}

/// rippled's `verifyHandshake`, applied to the other side's headers by both ends
/// (overlay-wire.md §2.4, newest order). `now` is our NetClock time in seconds since
/// 2000-01-01; `remote` the socket's peer address.
///
/// RTXP-family profiles (divvyd, skywelld) read neither `Server-Domain`, `Local-IP` nor
/// `Remote-IP` (networks.md §6.4), so those checks are skipped there; `Network-ID` follows
/// the profile's rule.
pub fn verify_handshake(
    headers: &Headers,
    shared: &[u8; 32],
    cfg: &HandshakeConfig,
    now: u32,
    remote: IpAddr,
) -> Result<VerifiedHeaders, HandshakeError> {
    let modern = cfg.profile.upgrade_family() == UpgradeFamily::Xrpl;

    let mut server_domain = None;
    if modern {
        if let Some(d) = headers.get("Server-Domain") {
            if !is_well_formed_server_domain(d) {
                return Err(HandshakeError::InvalidServerDomain(d.to_string()));
            }
            server_domain = Some(d.to_string());
        }
    }

    let network_id = check_network_id(headers, cfg)?;

    let mut network_time = None;
    if let Some(t) = headers.get("Network-Time") {
        let theirs: u32 =
            parse_decimal(t).ok_or_else(|| HandshakeError::InvalidNetworkTime(t.to_string()))?;
        let offset = i64::from(theirs) - i64::from(now);
        if offset.abs() > CLOCK_TOLERANCE_SECS {
            return Err(HandshakeError::ClockSkew { offset_secs: offset });
        }
        network_time = Some(theirs);
    }

    // rippled's parseBase58<PublicKey> only checks the prefix byte; a 0x02/0x03 key that is
    // not on the curve passes here and fails at signature verification instead.
    let key_text = headers.get("Public-Key").ok_or(HandshakeError::BadPublicKey)?;
    let raw = decode_token(TokenType::NodePublic, key_text, cfg.profile.alphabet)
        .map_err(|_| HandshakeError::BadPublicKey)?;
    // ok: decode_token checked the exact 33-byte payload length, so raw[0] exists.
    let public_key = match raw[0] {
        0xED => return Err(HandshakeError::UnsupportedKeyType),
        0x02 | 0x03 => NodePublicKey::from_bytes(&raw).ok(),
        _ => return Err(HandshakeError::BadPublicKey),
    };

    let sig = headers.get("Session-Signature").ok_or(HandshakeError::NoSessionSignature)?;
    let der = decode_session_signature(sig).ok_or(HandshakeError::SessionVerifyFailed)?;
    let public_key = public_key.ok_or(HandshakeError::SessionVerifyFailed)?;
    public_key.verify_digest(shared, &der).map_err(|_| HandshakeError::SessionVerifyFailed)?;

    if public_key == *cfg.node_key.public() {
        return Err(HandshakeError::SelfConnection);
    }

    let mut listening_ip = None;
    let mut our_ip_seen_by_peer = None;
    if modern {
        if let Some(v) = headers.get("Local-IP") {
            let local: IpAddr = v.parse().map_err(|_| HandshakeError::InvalidLocalIp(v.to_string()))?;
            if is_public_ip(remote) && remote != local {
                return Err(HandshakeError::IncorrectLocalIp { socket: remote, header: local });
            }
            listening_ip = Some(local);
        }
        if let Some(v) = headers.get("Remote-IP") {
            let seen: IpAddr = v.parse().map_err(|_| HandshakeError::InvalidRemoteIp(v.to_string()))?;
            if let Some(ours) = cfg.public_ip {
                if is_public_ip(remote) && seen != ours {
                    return Err(HandshakeError::IncorrectRemoteIp { ours, header: seen });
                }
            }
            our_ip_seen_by_peer = Some(seen);
        }
    }

    Ok(VerifiedHeaders {
        public_key,
        network_id,
        network_time,
        listening_ip,
        our_ip_seen_by_peer,
        server_domain,
    })
}

fn check_network_id(headers: &Headers, cfg: &HandshakeConfig) -> Result<Option<u32>, HandshakeError> {
    let parse =
        |v: &str| parse_decimal::<u32>(v).ok_or_else(|| HandshakeError::InvalidNetworkId(v.to_string()));
    match cfg.profile.network_id_rule {
        NetworkIdRule::Unsupported => Ok(None),
        NetworkIdRule::Optional => {
            let Some(v) = headers.get("Network-ID") else { return Ok(None) };
            let theirs = parse(v)?;
            match cfg.network_id {
                Some(ours) if ours != theirs => Err(HandshakeError::WrongNetwork { ours, theirs }),
                _ => Ok(Some(theirs)),
            }
        }
        NetworkIdRule::Mandatory => {
            let theirs = headers.get("Network-ID").map(parse).transpose()?;
            let ours = cfg.network_id_to_send().unwrap_or(0);
            let effective = theirs.unwrap_or(0);
            if effective != ours {
                return Err(HandshakeError::WrongNetwork { ours, theirs: effective });
            }
            Ok(theirs)
        }
    }
}

type LedgerPair = (Option<[u8; 32]>, Option<[u8; 32]>);

/// `Closed-Ledger` / `Previous-Ledger` as rippled's `PeerImp::run` reads them; a failure
/// closes the connection without an HTTP answer.
fn parse_ledgers(headers: &Headers, cfg: &HandshakeConfig) -> Result<LedgerPair, HandshakeError> {
    let enc = cfg.profile.ledger_hash_encoding;
    let closed = match headers.get("Closed-Ledger") {
        Some(v) => Some(parse_ledger_hash(v, enc).ok_or(HandshakeError::MalformedLedger(1))?),
        None => None,
    };
    let previous = match headers.get("Previous-Ledger") {
        Some(v) => Some(parse_ledger_hash(v, enc).ok_or(HandshakeError::MalformedLedger(2))?),
        None => None,
    };
    if previous.is_some() && closed.is_none() {
        return Err(HandshakeError::MalformedLedger(3));
    }
    Ok((closed, previous))
}

fn identity(
    headers: &Headers,
    cfg: &HandshakeConfig,
    v: VerifiedHeaders,
    version: crate::network::ProtocolVersion,
    features: Features,
    software_header: &str,
) -> Result<PeerIdentity, HandshakeError> {
    let (closed_ledger, previous_ledger) = parse_ledgers(headers, cfg)?;
    Ok(PeerIdentity {
        public_key: v.public_key,
        version,
        features,
        crawl_public: headers.get("Crawl").is_some_and(|c| c.eq_ignore_ascii_case("public")),
        software: headers.get(software_header).filter(|s| !s.is_empty()).map(str::to_string),
        network_id: v.network_id,
        network_time: v.network_time,
        closed_ledger,
        previous_ledger,
        listening_ip: v.listening_ip,
        our_ip_seen_by_peer: v.our_ip_seen_by_peer,
        server_domain: v.server_domain,
        instance_cookie: headers.get("Instance-Cookie").and_then(parse_decimal),
    })
}

/// A request that passed checks 5–8 and the ledger parse: the caller activates a slot and,
/// on success, answers with [`super::build_switching_response`] using `shared`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundAccepted {
    pub peer: PeerIdentity,
    pub shared: [u8; 32],
}

/// Server side, in rippled's order (overlay-wire.md §2.3): `Connect-As` lists `peer` (else
/// 503), version negotiation (else 400), shared value (else 400 "Incorrect security cookie"),
/// [`verify_handshake`] (else 400), then the ledger hashes (else close, no answer).
/// The request must already be classified as [`super::RequestKind::PeerUpgrade`].
pub fn evaluate_inbound(
    cfg: &HandshakeConfig,
    req: &RequestHead,
    local_finished: &[u8],
    peer_finished: &[u8],
    now: u32,
    remote: IpAddr,
) -> Result<InboundAccepted, HandshakeError> {
    let h = &req.headers;
    if !h.get("Connect-As").is_some_and(|c| token_in_list(c, "peer")) {
        return Err(HandshakeError::NotConnectAsPeer);
    }
    let upgrade = h.get("Upgrade").unwrap_or("");
    let version = negotiate_version(upgrade, cfg.profile)
        .ok_or_else(|| HandshakeError::NoCommonVersion { offered: upgrade.to_string() })?;
    let shared = shared_value(local_finished, peer_finished)?;
    let verified = verify_handshake(h, &shared, cfg, now, remote)?;
    let features = cfg.local_features().intersect(Features::offered_by(h.get("X-Protocol-Ctl")));
    let peer = identity(h, cfg, verified, version, features, "User-Agent")?;
    Ok(InboundAccepted { peer, shared })
}

/// How an upgrade attempt ended on the initiator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseOutcome {
    /// 101 verified. `leftover` holds bytes after the head: frames may arrive in the same read.
    Upgraded { peer: Box<PeerIdentity>, leftover: Vec<u8> },
    /// 503 with up to [`MAX_REDIRECTS_ACCEPTED`] endpoints to try instead; close afterwards.
    Redirect { endpoints: Vec<SocketAddr> },
}

/// Initiator side (overlay-wire.md §2.5): read the response from the bytes received so far.
/// `Ok(None)` means more bytes are needed. `shared` is the value our request was signed over.
pub fn handle_response(
    cfg: &HandshakeConfig,
    buf: &[u8],
    shared: &[u8; 32],
    now: u32,
    remote: IpAddr,
) -> Result<Option<ResponseOutcome>, HandshakeError> {
    let (head, consumed) = match parse_response(buf)? {
        Parsed::Partial => return Ok(None),
        Parsed::Complete { head, consumed } => (head, consumed),
    };
    let rest = &buf[consumed..];
    if head.status == 503 {
        return redirect_outcome(&head, rest);
    }
    let upgraded = head.status == 101
        && head.http_minor >= 1
        && head.headers.get("Connection").is_some_and(|c| token_in_list(c, "upgrade"));
    if !upgraded {
        return Err(HandshakeError::UnexpectedResponse { status: head.status, reason: head.reason });
    }
    let upgrade = head.headers.get("Upgrade").unwrap_or("");
    let version = accept_response_version(upgrade, cfg.profile)
        .ok_or_else(|| HandshakeError::BadResponseVersion { upgrade: upgrade.to_string() })?;
    let verified = verify_handshake(&head.headers, shared, cfg, now, remote)?;
    let features = cfg.local_features().intersect(Features::offered_by(head.headers.get("X-Protocol-Ctl")));
    let peer = identity(&head.headers, cfg, verified, version, features, "Server")?;
    Ok(Some(ResponseOutcome::Upgraded { peer: Box::new(peer), leftover: rest.to_vec() }))
}

fn redirect_outcome(head: &ResponseHead, rest: &[u8]) -> Result<Option<ResponseOutcome>, HandshakeError> {
    let body = match head.headers.get("Content-Length") {
        Some(v) => {
            let len: usize = parse_decimal(v).ok_or_else(|| HandshakeError::UnexpectedResponse {
                status: head.status,
                reason: format!("bad Content-Length {v:?}"),
            })?;
            if len > MAX_REDIRECT_BODY_BYTES {
                return Err(HandshakeError::RedirectBodyTooLarge);
            }
            if rest.len() < len {
                return Ok(None);
            }
            &rest[..len]
        }
        // Without a length the body runs to the close; the caller passes what it has.
        None if rest.len() > MAX_REDIRECT_BODY_BYTES => return Err(HandshakeError::RedirectBodyTooLarge),
        None => rest,
    };
    Ok(Some(ResponseOutcome::Redirect { endpoints: parse_redirect_body(body) }))
}

/// `{"peer-ips": ["ip:port", "[v6]:port", …]}`: string elements that parse as endpoints,
/// at most [`MAX_REDIRECTS_ACCEPTED`]; anything malformed yields no endpoints (§2.5 step 4).
fn parse_redirect_body(body: &[u8]) -> Vec<SocketAddr> {
    let Ok(serde_json::Value::Object(obj)) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let Some(serde_json::Value::Array(ips)) = obj.get("peer-ips") else { return Vec::new() };
    ips.iter()
        .filter_map(|v| v.as_str())
        .filter_map(|s| s.trim().parse::<SocketAddr>().ok())
        .take(MAX_REDIRECTS_ACCEPTED)
        .collect()
}
