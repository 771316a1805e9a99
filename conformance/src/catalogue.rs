//! The numbered case catalogue: every case's id, the spec section it checks, its severity and a
//! one-line description. Pure data; running a case lives in [`crate::cases`], reporting in
//! [`crate::report`]. Ids are stable: a case is never renumbered, only retired.
//!
//! Id prefixes: `HS` handshake with the target as responder (we dial), `HR` handshake with the
//! target as initiator (it dials us as a fixed peer), `FR` framing, `PP` ping/pong, `EP`
//! endpoints gossip, `HT` HTTP endpoints on the peer port, `PV` privacy, `RD` redirects,
//! `RS` resistance. Sections refer to `overlay-wire.md` unless prefixed (`peerfinder.md §…`).

use serde::Serialize;

/// How binding a case is. Only `Must` failures make the run fail (exit code 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// rippled-compatible nodes have to behave this way to interoperate or stay safe.
    Must,
    /// Recommended; what rippled does, but a difference does not break the network.
    Should,
}

/// Which group a case belongs to (JUnit `testsuite`, table section).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    HandshakeResponder,
    HandshakeInitiator,
    Framing,
    PingPong,
    Endpoints,
    Http,
    Privacy,
    Redirects,
    Resistance,
    /// Recorded session vectors replayed offline (ids `VX-<file>`, not in [`CATALOGUE`]).
    Replay,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::HandshakeResponder => "handshake-responder",
            Group::HandshakeInitiator => "handshake-initiator",
            Group::Framing => "framing",
            Group::PingPong => "ping-pong",
            Group::Endpoints => "endpoints",
            Group::Http => "http",
            Group::Privacy => "privacy",
            Group::Redirects => "redirects",
            Group::Resistance => "resistance",
            Group::Replay => "replay",
        }
    }
}

/// One catalogue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CaseInfo {
    /// Stable id, e.g. `HS-004`.
    pub id: &'static str,
    pub group: Group,
    /// Spec section checked, e.g. `overlay-wire.md §2.4`.
    pub section: &'static str,
    pub severity: Severity,
    /// One line: the behaviour required of the target.
    pub description: &'static str,
}

use Group::*;
use Severity::*;

const fn case(
    id: &'static str,
    group: Group,
    section: &'static str,
    severity: Severity,
    description: &'static str,
) -> CaseInfo {
    CaseInfo { id, group, section, severity, description }
}

/// The catalogue, in execution order.
pub const CATALOGUE: &[CaseInfo] = &[
    // --- handshake, target as responder (we dial)
    case("HS-001", HandshakeResponder, "overlay-wire.md §2.2, §3", Must, "valid upgrade request is answered 101 with one Upgrade version and a Session-Signature that verifies over this TLS session"),
    case("HS-002", HandshakeResponder, "overlay-wire.md §5", Must, "version negotiation picks the highest version both sides list (probed one version at a time)"),
    case("HS-003", HandshakeResponder, "overlay-wire.md §2.3 #6", Must, "no common protocol version -> 400"),
    case("HS-004", HandshakeResponder, "overlay-wire.md §2.4, §3", Must, "tampered Session-Signature (one bit flipped) -> 400"),
    case("HS-005", HandshakeResponder, "overlay-wire.md §3", Must, "valid signature made for a different TLS session (replayed binding) -> 400"),
    case("HS-006", HandshakeResponder, "overlay-wire.md §2.4", Must, "missing Session-Signature -> 400"),
    case("HS-007", HandshakeResponder, "overlay-wire.md §2.4, networks.md §1", Must, "Network-ID different from the target's configured one -> 400"),
    case("HS-008", HandshakeResponder, "overlay-wire.md §2.4", Must, "Network-Time 60 s ahead of the target's clock -> 400"),
    case("HS-009", HandshakeResponder, "overlay-wire.md §2.4", Should, "Network-Time 60 s behind the target's clock -> 400"),
    case("HS-010", HandshakeResponder, "overlay-wire.md §2.4", Should, "Network-Time that is not a number -> 400"),
    case("HS-011", HandshakeResponder, "overlay-wire.md §2.1, §2.4", Must, "missing Public-Key -> 400"),
    case("HS-012", HandshakeResponder, "overlay-wire.md §2.4, §4.1", Must, "ed25519 Public-Key (0xED prefix) -> 400"),
    case("HS-013", HandshakeResponder, "overlay-wire.md §4.2", Should, "Public-Key with a bad base58 checksum -> 400"),
    case("HS-014", HandshakeResponder, "overlay-wire.md §2.4", Must, "self-connection (request signed with the target's own node key) -> 400"),
    case("HS-015", HandshakeResponder, "overlay-wire.md §2.3 #9", Should, "second connection with a node key already connected is refused (503 or close)"),
    case("HS-016", HandshakeResponder, "overlay-wire.md §2.3 #2, §13.4", Must, "non-peer upgrade (Upgrade: websocket) is not upgraded (403/400)"),
    case("HS-017", HandshakeResponder, "overlay-wire.md §2.1", Should, "unknown extra request headers are ignored (still 101)"),
    case("HS-018", HandshakeResponder, "overlay-wire.md §2.3", Should, "request head over 8 KiB is refused without a 101"),
    case("HS-019", HandshakeResponder, "overlay-wire.md §2.4", Should, "Local-IP other than the address the target sees us at -> 400 Incorrect Local-IP; then the right Local-IP still upgrades (needs a public source address)"),
    case("HS-020", HandshakeResponder, "overlay-wire.md §2.4", Should, "Remote-IP other than the target's [overlay] public_ip -> 400 Incorrect Remote-IP; then the right Remote-IP still upgrades (needs a public source address and --target-public-ip)"),
    // --- handshake, target as initiator (it dials our listener as a fixed peer)
    case("HR-001", HandshakeInitiator, "overlay-wire.md §2.1", Must, "target's request: GET, Connection: Upgrade, Connect-As: Peer, a valid version list, Public-Key"),
    case("HR-002", HandshakeInitiator, "overlay-wire.md §3", Must, "target's Session-Signature verifies over the TLS session it opened to us"),
    case("HR-003", HandshakeInitiator, "overlay-wire.md §2.5, §10.1", Must, "after our valid 101 the target speaks frames (answers our ping)"),
    case("HR-004", HandshakeInitiator, "overlay-wire.md §2.5 #7", Must, "our 101 with a bad Session-Signature makes the target close without framing"),
    // --- framing
    case("FR-001", Framing, "overlay-wire.md §6.1, §6.4", Must, "uncompressed header with reserved bits 0xFC set -> disconnect"),
    case("FR-002", Framing, "overlay-wire.md §6.2, §6.4", Must, "compressed header with a non-LZ4 algorithm nibble -> disconnect"),
    case("FR-003", Framing, "overlay-wire.md §6.2", Should, "compressed header with reserved bits 0x0C set -> disconnect"),
    case("FR-004", Framing, "overlay-wire.md §6.4", Must, "declared payload over 64 MiB -> disconnect (without waiting for the bytes)"),
    case("FR-005", Framing, "overlay-wire.md §2.6, §6.4", Should, "compressed frame on a link without compr=lz4 -> disconnect"),
    case("FR-006", Framing, "overlay-wire.md §6.4", Must, "unknown message type is skipped; the link still answers a ping"),
    case("FR-007", Framing, "overlay-wire.md §6.4, §8", Must, "TMPing missing its required `type` field -> disconnect"),
    case("FR-008", Framing, "overlay-wire.md §6.4", Should, "garbage protobuf payload of a known type -> disconnect"),
    case("FR-009", Framing, "overlay-wire.md §6.3", Should, "with compr=lz4 negotiated, an LZ4-compressed ping is accepted and answered"),
    case("FR-010", Framing, "overlay-wire.md §6.3, §6.4", Should, "with compr=lz4 negotiated, corrupt LZ4 data -> disconnect"),
    case("FR-011", Framing, "overlay-wire.md §6.4", Should, "a frame split into 1-byte writes is reassembled (ping answered)"),
    // --- ping/pong
    case("PP-001", PingPong, "overlay-wire.md §10.1", Must, "ptPING is answered with ptPONG echoing seq"),
    case("PP-002", PingPong, "overlay-wire.md §10.1", Should, "the pong echoes every field of the ping (pingTime, netTime)"),
    case("PP-003", PingPong, "overlay-wire.md §10.1", Should, "a stray pong (unknown seq) is ignored: link stays up and answers the next ping"),
    case("PP-004", PingPong, "overlay-wire.md §10.1", Should, "the target sends its own ptPING within the wait (--slow: 60 s timer)"),
    // --- endpoints
    case("EP-001", Endpoints, "overlay-wire.md §8.1, peerfinder.md §6", Should, "TMEndpoints sent within the wait use the profile's version (v2 for XRPL/Xahau)"),
    case("EP-002", Endpoints, "peerfinder.md §6", Should, "every TMEndpoints entry parses as ip:port and has hops <= 6"),
    // --- http endpoints
    case("HT-001", Http, "overlay-wire.md §13.1", Must, "GET /crawl: 200 JSON with version 2 and overlay.active[] of {public_key (base64, 33 bytes), type in|out}"),
    case("HT-002", Http, "overlay-wire.md §13.2", Must, "GET /health: JSON {\"info\":{...}} with status 200, 503 or 500"),
    case("HT-003", Http, "overlay-wire.md §13.4", Should, "GET of an unknown path without upgrade -> 403"),
    case("HT-004", Http, "overlay-wire.md §13.1", Should, "/crawl lists our connected test peer by its key"),
    // --- privacy
    case("PV-001", Privacy, "overlay-wire.md §13.1, peerfinder.md §9", Must, "a peer that sent Crawl: private is listed in /crawl without ip/port"),
    // --- redirects
    case("RD-001", Redirects, "overlay-wire.md §2.3 #5", Should, "Connect-As without peer -> 503 with a JSON {\"peer-ips\": [...]} body of <= 10 endpoints"),
    // --- resistance
    case("RS-001", Resistance, "overlay-wire.md §1", Must, "random bytes instead of a TLS ClientHello: no 101, and a fresh valid handshake still succeeds"),
    case("RS-002", Resistance, "overlay-wire.md §2.3", Must, "random bytes inside TLS instead of an HTTP head: no 101, and a fresh valid handshake still succeeds"),
    case("RS-003", Resistance, "overlay-wire.md §6.4", Must, "random bytes after the handshake: disconnect, and a fresh valid handshake still succeeds"),
    case("RS-004", Resistance, "overlay-wire.md §2.5", Should, "slowloris (one head byte at a time) is closed within the node's handshake timeout"),
    case("RS-005", Resistance, "overlay-wire.md §2.3 #3-4", Must, "after a bounded connection flood (closed again) the node completes a valid handshake and answers /health"),
    case("RS-006", Resistance, "overlay-wire.md §2.3 #3-4", Should, "while a bounded flood of idle connections is held open the node still completes a valid handshake and answers /health"),
];

/// Looks a case up by id.
pub fn find(id: &str) -> Option<&'static CaseInfo> {
    CATALOGUE.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for c in CATALOGUE {
            assert!(seen.insert(c.id), "duplicate id {}", c.id);
            let (prefix, num) = c.id.split_once('-').expect("id has a dash");
            assert_eq!(prefix.len(), 2, "{}", c.id);
            assert_eq!(num.len(), 3, "{}", c.id);
            assert!(num.chars().all(|ch| ch.is_ascii_digit()), "{}", c.id);
            assert!(!c.description.is_empty() && !c.description.contains('\n'));
            assert!(c.section.contains('§'), "{} names no section", c.id);
        }
    }

    #[test]
    fn covers_every_required_area() {
        for g in [
            HandshakeResponder,
            HandshakeInitiator,
            Framing,
            PingPong,
            Endpoints,
            Http,
            Privacy,
            Redirects,
            Resistance,
        ] {
            assert!(CATALOGUE.iter().any(|c| c.group == g), "no case for {g:?}");
        }
        assert!(find("HS-004").is_some());
        assert!(find("XX-999").is_none());
    }
}
