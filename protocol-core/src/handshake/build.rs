//! Writing heads: the initiator's request, the 101 answer and the 400/403/503 refusals
//! (overlay-wire.md §2.1–2.3; networks.md §6.4 for the RTXP/1.2 style).
//!
//! Owns header names, order and spelling on the wire. Decides nothing: the caller says what
//! was negotiated and which error occurred.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use base64::Engine as _;

use crate::network::{LedgerHashEncoding, UpgradeFamily};

use super::session::session_signature;
use super::verify::is_public_ip;
use super::{Disposition, HandshakeConfig, HandshakeError, PeerIdentity};

/// Most endpoints a 503 redirect lists (overlay-wire.md §2.3, peerfinder.md §7).
pub const MAX_REDIRECT_IPS_SENT: usize = 10;

fn header(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = write!(out, "{name}: {value}\r\n");
}

fn ledger_text(hash: &[u8; 32], enc: LedgerHashEncoding) -> String {
    match enc {
        LedgerHashEncoding::Hex => hex::encode_upper(hash),
        LedgerHashEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(hash),
    }
}

/// The identity block both heads end with. Modern order is rippled's `buildHandshake`;
/// the RTXP order and set is divvyd's `appendHello` (no Network-ID, Instance-Cookie,
/// Server-Domain, Remote-IP or Local-IP: those peers do not read them).
fn identity_headers(out: &mut String, cfg: &HandshakeConfig, shared: &[u8; 32], peer_ip: IpAddr, now: u32) {
    let p = cfg.profile;
    let key = cfg.node_key.public().to_base58(p.alphabet);
    let sig = session_signature(&cfg.node_key, shared);
    if p.upgrade_family() == UpgradeFamily::Rtxp {
        header(out, "Public-Key", key);
        header(out, "Session-Signature", sig);
        header(out, "Network-Time", now);
    } else {
        if let Some(id) = cfg.network_id_to_send() {
            header(out, "Network-ID", id);
        }
        header(out, "Network-Time", now);
        header(out, "Public-Key", key);
        header(out, "Session-Signature", sig);
        if let Some(c) = cfg.instance_cookie {
            header(out, "Instance-Cookie", c);
        }
        if let Some(d) = &cfg.server_domain {
            header(out, "Server-Domain", d);
        }
        if is_public_ip(peer_ip) {
            header(out, "Remote-IP", peer_ip);
        }
        if let Some(ip) = cfg.public_ip {
            header(out, "Local-IP", ip);
        }
    }
    if let Some(l) = &cfg.ledger {
        header(out, "Closed-Ledger", ledger_text(&l.closed, p.ledger_hash_encoding));
        header(out, "Previous-Ledger", ledger_text(&l.previous, p.ledger_hash_encoding));
    }
}

fn crawl(cfg: &HandshakeConfig) -> &'static str {
    if cfg.crawl_public {
        "public"
    } else {
        "private"
    }
}

/// The initiator's upgrade request (rippled `makeRequest` + `buildHandshake`, §2.1).
/// `shared` comes from [`super::shared_value`]; `peer_ip` is the socket's remote address
/// (sent as `Remote-IP` only when public); `now` is NetClock seconds.
pub fn build_request(cfg: &HandshakeConfig, shared: &[u8; 32], peer_ip: IpAddr, now: u32) -> String {
    let mut out = String::from("GET / HTTP/1.1\r\n");
    header(&mut out, "User-Agent", &cfg.software);
    header(&mut out, "Upgrade", cfg.profile.upgrade_header());
    header(&mut out, "Connection", "Upgrade");
    header(&mut out, "Connect-As", "Peer");
    header(&mut out, "Crawl", crawl(cfg));
    if cfg.profile.feature_negotiation {
        header(&mut out, "X-Protocol-Ctl", cfg.features.to_header());
    }
    identity_headers(&mut out, cfg, shared, peer_ip, now);
    out.push_str("\r\n");
    out
}

/// `HTTP/1.1 101 Switching Protocols` for an accepted peer (rippled `makeResponse`, §2.2):
/// one version token, `X-Protocol-Ctl` with the link's features, then the identity block.
/// RTXP profiles spell the header `Connect-AS` as divvyd does (networks.md §6.4).
/// `request_http_minor` is copied from the request, as rippled does.
pub fn build_switching_response(
    cfg: &HandshakeConfig,
    request_http_minor: u8,
    peer: &PeerIdentity,
    shared: &[u8; 32],
    peer_ip: IpAddr,
    now: u32,
) -> String {
    let mut out = format!("HTTP/1.{request_http_minor} 101 Switching Protocols\r\n");
    header(&mut out, "Connection", "Upgrade");
    header(&mut out, "Upgrade", peer.version);
    let rtxp = cfg.profile.upgrade_family() == UpgradeFamily::Rtxp;
    header(&mut out, if rtxp { "Connect-AS" } else { "Connect-As" }, "Peer");
    header(&mut out, "Server", &cfg.software);
    header(&mut out, "Crawl", crawl(cfg));
    if cfg.profile.feature_negotiation {
        header(&mut out, "X-Protocol-Ctl", peer.features.to_header());
    }
    identity_headers(&mut out, cfg, shared, peer_ip, now);
    out.push_str("\r\n");
    out
}

/// `400 Bad Request (<message>)` then close (rippled `makeErrorResponse`, §2.3).
pub fn build_bad_request(server: &str, request_http_minor: u8, remote_ip: IpAddr, message: &str) -> String {
    let mut out = format!("HTTP/1.{request_http_minor} 400 Bad Request ({message})\r\n");
    header(&mut out, "Server", server);
    header(&mut out, "Remote-Address", remote_ip);
    header(&mut out, "Connection", "close");
    header(&mut out, "Content-Length", 0);
    out.push_str("\r\n");
    out
}

/// `403 Forbidden` then close: a request that is neither an endpoint nor a peer upgrade on
/// a peer-only port (§13.4).
pub fn build_forbidden(server: &str) -> String {
    let mut out = String::from("HTTP/1.1 403 Forbidden\r\n");
    header(&mut out, "Server", server);
    header(&mut out, "Connection", "close");
    header(&mut out, "Content-Length", 0);
    out.push_str("\r\n");
    out
}

/// `503 Service Unavailable` with `{"peer-ips":[…]}` (rippled `makeRedirectResponse`, §2.3):
/// the first [`MAX_REDIRECT_IPS_SENT`] endpoints, IPv6 as `[addr]:port`.
pub fn build_redirect(
    server: &str,
    request_http_minor: u8,
    remote_ip: IpAddr,
    peers: &[SocketAddr],
) -> String {
    let ips: Vec<String> = peers.iter().take(MAX_REDIRECT_IPS_SENT).map(|a| a.to_string()).collect();
    let body = serde_json::json!({ "peer-ips": ips }).to_string();
    let mut out = format!("HTTP/1.{request_http_minor} 503 Service Unavailable\r\n");
    header(&mut out, "Server", server);
    header(&mut out, "Remote-Address", remote_ip);
    header(&mut out, "Content-Type", "application/json");
    header(&mut out, "Connection", "close");
    header(&mut out, "Content-Length", body.len());
    out.push_str("\r\n");
    out.push_str(&body);
    out
}

/// The answer the inbound side writes for `err`, or `None` when it just closes.
/// `redirect_peers` is PeerFinder's list for a 503.
pub fn build_error_response(
    cfg: &HandshakeConfig,
    request_http_minor: u8,
    remote_ip: IpAddr,
    err: &HandshakeError,
    redirect_peers: &[SocketAddr],
) -> Option<String> {
    match err.disposition() {
        Disposition::BadRequest => {
            Some(build_bad_request(&cfg.software, request_http_minor, remote_ip, &err.message()))
        }
        Disposition::Forbidden => Some(build_forbidden(&cfg.software)),
        Disposition::Redirect => {
            Some(build_redirect(&cfg.software, request_http_minor, remote_ip, redirect_peers))
        }
        Disposition::Close => None,
    }
}
