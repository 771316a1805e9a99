//! Handshake behaviour against the spec: captured rippled heads (vectors/handshakes), every
//! rejection of overlay-wire.md §2.3/§2.4 with its status and message, the §5 grammar edge
//! cases, §2.6 feature parsing, head limits, and full in-memory exchanges for XRPL and XDV.

use std::net::{IpAddr, SocketAddr};

use protocol_core::handshake::*;
use protocol_core::keys::{encode_token, Alphabet, NodeKeyPair, NodePublicKey, Seed, TokenType};
use protocol_core::network::{Network, ProtocolVersion, UpgradeFamily};

const NOW: u32 = 731_242_816;

fn vector(name: &str) -> Vec<u8> {
    let path = format!("{}/../vectors/handshakes/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .replace('\n', "\r\n")
        .into_bytes()
}

fn request(bytes: &[u8]) -> RequestHead {
    match parse_request(bytes).unwrap() {
        Parsed::Complete { head, consumed } => {
            assert_eq!(consumed, bytes.len());
            head
        }
        Parsed::Partial => panic!("incomplete head"),
    }
}

fn response(bytes: &[u8]) -> ResponseHead {
    match parse_response(bytes).unwrap() {
        Parsed::Complete { head, .. } => head,
        Parsed::Partial => panic!("incomplete head"),
    }
}

fn b64_32(v: &str) -> String {
    use base64::Engine as _;
    hex::encode_upper(base64::engine::general_purpose::STANDARD.decode(v).unwrap())
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn key(pass: &str) -> NodeKeyPair {
    NodeKeyPair::from_seed(&Seed::from_passphrase(pass))
}

fn cfg(net: Network, pass: &str) -> HandshakeConfig {
    HandshakeConfig::new(net.profile(), key(pass))
}

// ---------------------------------------------------------------- captured vectors

#[test]
fn rippled_193_request_parses_and_negotiates_xrpl_2_2() {
    let req = request(&vector("rippled-1.9.3-request.txt"));
    let xrpl = Network::Xrpl.profile();
    assert_eq!((req.method.as_str(), req.target.as_str(), req.http_minor), ("GET", "/", 1));
    assert_eq!(req.headers.len(), 11);
    assert_eq!(classify_request(&req, xrpl), RequestKind::PeerUpgrade);
    let h = &req.headers;
    assert_eq!(h.get("user-agent"), Some("rippled-1.9.3+47dec467ea659c1b64c7b5f4eb8a1bfa9759ff91.DEBUG"));
    assert_eq!(
        parse_versions(h.get("Upgrade").unwrap(), UpgradeFamily::Xrpl),
        vec![ProtocolVersion::xrpl(2, 0), ProtocolVersion::xrpl(2, 1), ProtocolVersion::xrpl(2, 2)]
    );
    assert_eq!(negotiate_version(h.get("Upgrade").unwrap(), xrpl), Some(ProtocolVersion::xrpl(2, 2)));
    let offered = Features::offered_by(h.get("X-Protocol-Ctl"));
    assert_eq!(
        offered,
        Features { compression: false, ledger_replay: true, tx_reduce_relay: true, vp_reduce_relay: false }
    );
    let text = h.get("Public-Key").unwrap();
    let pk = NodePublicKey::from_base58(text, Alphabet::Xrpl).unwrap();
    assert_eq!(pk.to_base58(Alphabet::Xrpl), text);
    // A rippled-produced signature is strict DER: it parses and simply fails to verify over
    // an unrelated digest (Finished messages of that session were not published).
    let der = decode_session_signature(h.get("Session-Signature").unwrap()).unwrap();
    assert_eq!(&der[..4], &[0x30, 0x45, 0x02, 0x21]);
    assert_eq!(pk.verify_digest(&[1; 32], &der), Err(protocol_core::keys::KeyError::BadSignature));
    let closed = parse_ledger_hash(h.get("Closed-Ledger").unwrap(), xrpl.ledger_hash_encoding).unwrap();
    assert_eq!(hex::encode_upper(closed), b64_32("cIaWNDUFFgvLmCesvyiXUgBh0mGaliIrmZFqqglAlAM="));
}

#[test]
fn rippled_193_response_parses_and_client_accepts_single_token() {
    let resp = response(&vector("rippled-1.9.3-response.txt"));
    assert_eq!((resp.status, resp.reason.as_str(), resp.http_minor), (101, "Switching Protocols", 1));
    let h = &resp.headers;
    assert_eq!(
        accept_response_version(h.get("Upgrade").unwrap(), Network::Xrpl.profile()),
        Some(ProtocolVersion::xrpl(2, 2))
    );
    let pk = NodePublicKey::from_base58(h.get("Public-Key").unwrap(), Alphabet::Xrpl).unwrap();
    let der = decode_session_signature(h.get("Session-Signature").unwrap()).unwrap();
    assert_eq!(der.len(), 70);
    assert_eq!(pk.verify_digest(&[1; 32], &der), Err(protocol_core::keys::KeyError::BadSignature));
    let prev_req = request(&vector("rippled-1.9.3-request.txt"));
    let enc = Network::Xrpl.profile().ledger_hash_encoding;
    // Same parent ledger in both captures.
    assert_eq!(
        parse_ledger_hash(h.get("Previous-Ledger").unwrap(), enc),
        parse_ledger_hash(prev_req.headers.get("Previous-Ledger").unwrap(), enc)
    );
    assert!(parse_ledger_hash(h.get("Closed-Ledger").unwrap(), enc).is_some());
}

#[test]
fn readme_request_keys_and_ledgers_decode_to_documented_bytes() {
    let req = request(&vector("readme-1.4-request.txt"));
    let h = &req.headers;
    let pk = NodePublicKey::from_base58(h.get("Public-Key").unwrap(), Alphabet::Xrpl).unwrap();
    assert_eq!(pk.to_hex(), "03F6C3E88832F06AF325648A83FEA5B9E78ABE2AA8C81A2C58D2C2B84FEE491570");
    let der = decode_session_signature(h.get("Session-Signature").unwrap()).unwrap();
    assert_eq!((der.len(), &der[..4]), (71, &[0x30u8, 0x45, 0x02, 0x21][..]));
    for enc in
        [protocol_core::network::LedgerHashEncoding::Hex, protocol_core::network::LedgerHashEncoding::Base64]
    {
        assert_eq!(
            hex::encode_upper(parse_ledger_hash(h.get("Closed-Ledger").unwrap(), enc).unwrap()),
            "96545948AAAF362786A4FA9B1469E6DF9F29985D5A5BDE920C8510727321E872"
        );
        assert_eq!(
            hex::encode_upper(parse_ledger_hash(h.get("Previous-Ledger").unwrap(), enc).unwrap()),
            "AB868A6CFEEC779C2FF845C0AF00A642259986AF40C01976A7F842B6918936C7"
        );
    }
    assert_eq!(h.get("Network-ID"), Some("1"));
    assert_eq!(h.get("Remote-IP"), Some("192.0.2.79"));
    // `RTXP/1.2, XRPL/2.0`: a peer upgrade for both families, but only the RTXP side has a
    // version in common with us (we no longer offer XRPL/2.0).
    let xrpl = Network::Xrpl.profile();
    let xdv = Network::Xdv.profile();
    assert_eq!(classify_request(&req, xrpl), RequestKind::PeerUpgrade);
    assert_eq!(classify_request(&req, xdv), RequestKind::PeerUpgrade);
    assert_eq!(negotiate_version(h.get("Upgrade").unwrap(), xrpl), None);
    assert_eq!(negotiate_version(h.get("Upgrade").unwrap(), xdv), Some(ProtocolVersion::rtxp(1, 2)));
    let server = cfg(Network::Xrpl, "server");
    let err = evaluate_inbound(&server, &req, &[1; 12], &[2; 12], 619_234_489, ip("192.0.2.1")).unwrap_err();
    assert_eq!(
        (err.http_status(), err.message().as_str()),
        (Some(400), "Unable to agree on a protocol version")
    );
}

#[test]
fn readme_response_is_rtxp_only() {
    let resp = response(&vector("readme-1.4-response.txt"));
    let h = &resp.headers;
    let pk = NodePublicKey::from_base58(h.get("Public-Key").unwrap(), Alphabet::Xrpl).unwrap();
    assert_eq!(pk.to_hex(), "02AEFB22997FB87919FDA6D8863B3FC11F39014284E4059056454FD2673CF83A5A");
    assert_eq!(decode_session_signature(h.get("Session-Signature").unwrap()).unwrap().len(), 70);
    assert_eq!(accept_response_version(h.get("Upgrade").unwrap(), Network::Xrpl.profile()), None);
    assert_eq!(
        accept_response_version(h.get("Upgrade").unwrap(), Network::Xdv.profile()),
        Some(ProtocolVersion::rtxp(1, 2))
    );
    let enc = protocol_core::network::LedgerHashEncoding::Base64;
    assert!(parse_ledger_hash(h.get("Closed-Ledger").unwrap(), enc).is_some());
    assert!(parse_ledger_hash(h.get("Previous-Ledger").unwrap(), enc).is_some());
}

// ---------------------------------------------------------------- head limits and classification

#[test]
fn head_is_parsed_incrementally() {
    let bytes = vector("rippled-1.9.3-request.txt");
    for cut in 0..bytes.len() {
        assert_eq!(parse_request(&bytes[..cut]).unwrap(), Parsed::Partial, "cut {cut}");
    }
    let mut more = bytes.clone();
    more.extend_from_slice(b"\x00\x00\x00\x05\x00\x03frame");
    match parse_request(&more).unwrap() {
        Parsed::Complete { consumed, .. } => assert_eq!(consumed, bytes.len()),
        Parsed::Partial => panic!(),
    }
}

fn head_of_size(total: usize) -> Vec<u8> {
    let start = "GET / HTTP/1.1\r\nUpgrade: XRPL/2.2\r\nX-Pad: ";
    let end = "\r\n\r\n";
    let pad = total - start.len() - end.len();
    format!("{start}{}{end}", "a".repeat(pad)).into_bytes()
}

#[test]
fn max_head_bytes_limit() {
    assert_eq!(MAX_HEAD_BYTES, 8192);
    assert!(matches!(parse_request(&head_of_size(MAX_HEAD_BYTES)), Ok(Parsed::Complete { .. })));
    assert_eq!(parse_request(&head_of_size(MAX_HEAD_BYTES + 1)), Err(HeadError::TooLarge));
    // An unterminated head stops being "partial" once it reaches the limit.
    let open = &head_of_size(MAX_HEAD_BYTES + 100)[..MAX_HEAD_BYTES];
    assert_eq!(parse_request(open), Err(HeadError::TooLarge));
    assert_eq!(parse_request(&open[..MAX_HEAD_BYTES - 1]), Ok(Parsed::Partial));
    let big_resp =
        format!("HTTP/1.1 101 Switching Protocols\r\nServer: {}\r\n\r\n", "s".repeat(MAX_HEAD_BYTES));
    assert_eq!(parse_response(big_resp.as_bytes()), Err(HeadError::TooLarge));
}

#[test]
fn max_headers_limit() {
    let head = |n: usize| {
        let mut s = String::from("GET / HTTP/1.1\r\n");
        for i in 0..n {
            s.push_str(&format!("X-H{i}: v\r\n"));
        }
        s.push_str("\r\n");
        s.into_bytes()
    };
    assert!(matches!(parse_request(&head(MAX_HEADERS)), Ok(Parsed::Complete { .. })));
    assert_eq!(parse_request(&head(MAX_HEADERS + 1)), Err(HeadError::TooManyHeaders));
    assert!(matches!(parse_request(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"), Err(HeadError::Malformed(_))));
}

#[test]
fn request_classification() {
    let xrpl = Network::Xrpl.profile();
    let kind = |text: &str| classify_request(&request(text.as_bytes()), xrpl);
    let up = "Connection: Upgrade\r\nUpgrade: XRPL/2.2\r\n";
    assert_eq!(kind(&format!("GET /crawl HTTP/1.1\r\n{up}\r\n")), RequestKind::Crawl);
    assert_eq!(kind("GET /health HTTP/1.1\r\n\r\n"), RequestKind::Health);
    assert_eq!(kind("GET /vl/ED2677 HTTP/1.1\r\n\r\n"), RequestKind::ValidatorList("/vl/ED2677".into()));
    assert_eq!(kind(&format!("GET / HTTP/1.1\r\n{up}\r\n")), RequestKind::PeerUpgrade);
    // Target not checked; tokens case-insensitive in comma lists.
    assert_eq!(
        kind("GET /anything HTTP/1.1\r\nconnection: keep-alive, UPGRADE\r\nupgrade: XRPL/2.2\r\n\r\n"),
        RequestKind::PeerUpgrade
    );
    assert_eq!(kind(&format!("POST / HTTP/1.1\r\n{up}\r\n")), RequestKind::Other);
    assert_eq!(kind(&format!("GET / HTTP/1.0\r\n{up}\r\n")), RequestKind::Other);
    assert_eq!(
        kind("GET / HTTP/1.1\r\nConnection: keep-alive\r\nUpgrade: XRPL/2.2\r\n\r\n"),
        RequestKind::Other
    );
    assert_eq!(
        kind("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: RTXP/1.2\r\n\r\n"),
        RequestKind::Other
    );
    assert_eq!(
        kind("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"),
        RequestKind::Other
    );
    // The RTXP family accepts its own token.
    let rtxp = request(b"GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: RTXP/1.2\r\n\r\n");
    assert_eq!(classify_request(&rtxp, Network::Xdv.profile()), RequestKind::PeerUpgrade);
    // 403 for "other" on a peer-only port.
    let forbidden = build_forbidden("xrpl-overlay-0.1.0");
    assert!(forbidden.starts_with("HTTP/1.1 403 Forbidden\r\n"));
    assert!(forbidden.contains("\r\nConnection: close\r\n"));
    assert_eq!(HandshakeError::NotPeerUpgrade.http_status(), Some(403));
}

// ---------------------------------------------------------------- §5 versions

#[test]
fn version_grammar_edge_cases() {
    let x = |s: &str| parse_version_token(s, UpgradeFamily::Xrpl);
    assert_eq!(x("XRPL/2.2"), Some(ProtocolVersion::xrpl(2, 2)));
    assert_eq!(x("XRPL/2.0"), Some(ProtocolVersion::xrpl(2, 0)));
    assert_eq!(x("XRPL/10.0"), Some(ProtocolVersion::xrpl(10, 0)));
    assert_eq!(x("XRPL/65535.65535"), Some(ProtocolVersion::xrpl(65535, 65535)));
    for bad in [
        "XRPL/02.1",
        "XRPL/2.01",
        "XRPL/-2.2",
        "XRPL/",
        "XRPL/2",
        "XRPL/2.",
        "XRPL/.2",
        "XRPL/1.9",
        "XRPL/0.0",
        "XRPL/65536.0",
        "XRPL/2.65536",
        "xrpl/2.2",
        "XRPL/2.2 ",
        "XRPL/+2.2",
        "XRPL/2.2.1",
        "XRPL\\2.2",
        "RTXP/1.2",
        "XRPL/２.2",
    ] {
        assert_eq!(x(bad), None, "{bad:?} accepted");
    }
    let r = |s: &str| parse_version_token(s, UpgradeFamily::Rtxp);
    assert_eq!(r("RTXP/1.2"), Some(ProtocolVersion::rtxp(1, 2)));
    assert_eq!(r("XRPL/2.2"), None);
    assert_eq!(r("RTXP/01.2"), None);

    assert_eq!(
        parse_versions(" XRPL/2.2 ,RTXP/1.2, XRPL/02.1,,XRPL/2.1, XRPL/2.2, XRPL/-2.2", UpgradeFamily::Xrpl),
        vec![ProtocolVersion::xrpl(2, 1), ProtocolVersion::xrpl(2, 2)]
    );
}

#[test]
fn version_negotiation() {
    let xrpl = Network::Xrpl.profile();
    assert_eq!(negotiate_version("XRPL/2.0, XRPL/2.1", xrpl), Some(ProtocolVersion::xrpl(2, 1)));
    assert_eq!(negotiate_version("XRPL/2.3, XRPL/2.2, XRPL/9.0", xrpl), Some(ProtocolVersion::xrpl(2, 2)));
    assert_eq!(negotiate_version("XRPL/2.0", xrpl), None);
    assert_eq!(negotiate_version("RTXP/1.2", xrpl), None);
    assert_eq!(negotiate_version("XRPL/02.1", xrpl), None);
    assert_eq!(negotiate_version("XRPL/2.01", xrpl), None);
    assert_eq!(
        negotiate_version("XRPL/2.2, RTXP/1.2", Network::Xdv.profile()),
        Some(ProtocolVersion::rtxp(1, 2))
    );
    assert_eq!(negotiate_version("RTXP/1.3", Network::Swtc.profile()), None);
    // The client takes exactly one supported token.
    assert_eq!(accept_response_version("XRPL/2.1", xrpl), Some(ProtocolVersion::xrpl(2, 1)));
    assert_eq!(accept_response_version("XRPL/2.1, XRPL/2.2", xrpl), None);
    assert_eq!(accept_response_version("XRPL/2.3", xrpl), None);
    assert_eq!(accept_response_version("XRPL/2.2, XRPL/2.2", xrpl), Some(ProtocolVersion::xrpl(2, 2)));
    assert_eq!(accept_response_version("", xrpl), None);
}

// ---------------------------------------------------------------- §2.6 features

#[test]
fn feature_header_order_and_parse_rule() {
    assert_eq!(Features::ALL.to_header(), "compr=lz4;ledgerreplay=1;txrr=1;vprr=1;");
    assert_eq!(Features::NONE.to_header(), "");
    let f = |h: &str| Features::offered_by(Some(h));
    assert_eq!(f("compr=lz4;ledgerreplay=1;txrr=1;vprr=1;"), Features::ALL);
    assert_eq!(Features::offered_by(None), Features::NONE);
    // Unanchored search: a suffix match counts, as in rippled.
    assert!(f("xcompr=lz4").compression);
    // Token list, case-insensitive tokens; name is case-sensitive.
    assert!(f("compr=zstd,LZ4;").compression);
    assert!(!f("COMPR=lz4;").compression);
    // The first non-empty value wins; an empty one is skipped.
    assert!(f("compr=;compr=lz4;").compression);
    assert!(!f("compr=zstd;compr=lz4;").compression);
    assert!(!f("txrr= 1;").tx_reduce_relay);
    assert!(!f("ledgerreplay=0;").ledger_replay);
    assert!(f("vprr=1").vp_reduce_relay);
    assert_eq!(feature_value("a=1; txrr=1 ; b", "txrr"), Some("1"));
    let mine =
        Features { compression: true, ledger_replay: true, tx_reduce_relay: false, vp_reduce_relay: true };
    assert_eq!(
        mine.intersect(f("ledgerreplay=1;txrr=1;")),
        Features { ledger_replay: true, ..Features::NONE }
    );
}

// ---------------------------------------------------------------- request building

#[test]
fn request_carries_every_rippled_header_in_order() {
    let mut c = cfg(Network::Xrpl, "client");
    c.software = "rippled-2.2.0".into();
    c.network_id = Some(1);
    c.features = Features::ALL;
    c.crawl_public = false;
    c.public_ip = Some(ip("203.0.113.10"));
    c.server_domain = Some("example.com".into());
    c.instance_cookie = Some(123456789);
    c.ledger = Some(LedgerHashes { closed: [0xAB; 32], previous: [0x01; 32] });
    let shared = shared_value(&[1; 12], &[2; 12]).unwrap();
    let text = build_request(&c, &shared, ip("198.51.100.20"), NOW);
    let names: Vec<String> = text
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "User-Agent",
            "Upgrade",
            "Connection",
            "Connect-As",
            "Crawl",
            "X-Protocol-Ctl",
            "Network-ID",
            "Network-Time",
            "Public-Key",
            "Session-Signature",
            "Instance-Cookie",
            "Server-Domain",
            "Remote-IP",
            "Local-IP",
            "Closed-Ledger",
            "Previous-Ledger"
        ]
    );
    assert!(text.starts_with("GET / HTTP/1.1\r\nUser-Agent: rippled-2.2.0\r\nUpgrade: XRPL/2.1, XRPL/2.2\r\nConnection: Upgrade\r\nConnect-As: Peer\r\nCrawl: private\r\nX-Protocol-Ctl: compr=lz4;ledgerreplay=1;txrr=1;vprr=1;\r\nNetwork-ID: 1\r\nNetwork-Time: 731242816\r\n"));
    assert!(text.contains(&format!("\r\nClosed-Ledger: {}\r\n", "AB".repeat(32))));
    assert!(text.contains("\r\nRemote-IP: 198.51.100.20\r\nLocal-IP: 203.0.113.10\r\n"));
    assert!(text.ends_with("\r\n\r\n"));

    // Private peer address: no Remote-IP. No network id configured: no Network-ID. Empty
    // X-Protocol-Ctl still sent, as rippled does.
    let plain = cfg(Network::Xrpl, "client");
    let t = build_request(&plain, &shared, ip("10.0.0.7"), NOW);
    assert!(!t.contains("Remote-IP") && !t.contains("Network-ID") && !t.contains("Local-IP"));
    assert!(t.contains("\r\nX-Protocol-Ctl: \r\n"));
    // Xahau: Network-ID is mandatory, 21337 by default.
    let t = build_request(&cfg(Network::Xahau, "client"), &shared, ip("10.0.0.7"), NOW);
    assert!(t.contains("\r\nNetwork-ID: 21337\r\n"));
}

#[test]
fn legacy_request_is_rtxp_style() {
    let mut c = cfg(Network::Xdv, "masterpassphrase");
    c.software = "divvyd-0.28.2".into();
    c.network_id = Some(5);
    c.features = Features::ALL;
    c.ledger = Some(LedgerHashes { closed: [0xAB; 32], previous: [0x01; 32] });
    let shared = shared_value(&[1; 12], &[2; 12]).unwrap();
    let text = build_request(&c, &shared, ip("198.51.100.20"), NOW);
    let sig = session_signature(&c.node_key, &shared);
    use base64::Engine as _;
    let b64 = |b: [u8; 32]| base64::engine::general_purpose::STANDARD.encode(b);
    assert_eq!(
        text,
        format!(
            "GET / HTTP/1.1\r\nUser-Agent: divvyd-0.28.2\r\nUpgrade: RTXP/1.2\r\nConnection: Upgrade\r\nConnect-As: Peer\r\nCrawl: public\r\nPublic-Key: n94a1u4jAz288pZLtw6yFWVbi89YamiC6JBXPVUj5zmExe5fTVg9\r\nSession-Signature: {sig}\r\nNetwork-Time: {NOW}\r\nClosed-Ledger: {}\r\nPrevious-Ledger: {}\r\n\r\n",
            b64([0xAB; 32]),
            b64([0x01; 32])
        )
    );
    // SWTC encodes the key with its own alphabet (networks.md §8.1).
    let s = cfg(Network::Swtc, "masterpassphrase");
    assert!(build_request(&s, &shared, ip("10.0.0.1"), NOW)
        .contains("Public-Key: n94a1u4rAz288pZLtw6yFWVbi89YamiC6JBXPVUr5zmExe5fTVg9\r\n"));
}

// ---------------------------------------------------------------- inbound rejections

const A: [u8; 12] = [0x11; 12];
const B: [u8; 12] = [0x22; 12];
const CLIENT_IP: &str = "203.0.113.10";
const SERVER_IP: &str = "198.51.100.20";

/// A valid request from `client` to a server at SERVER_IP, as text.
fn client_request(client: &HandshakeConfig) -> String {
    let shared = shared_value(&A, &B).unwrap();
    build_request(client, &shared, ip(SERVER_IP), NOW)
}

/// Replace (Some) or remove (None) a header line; add it if absent.
fn with_header(text: &str, name: &str, value: Option<&str>) -> String {
    let mut lines: Vec<String> = text.trim_end_matches("\r\n").split("\r\n").map(str::to_string).collect();
    let pos = lines
        .iter()
        .position(|l| l.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase())));
    match (pos, value) {
        (Some(i), Some(v)) => lines[i] = format!("{name}: {v}"),
        (Some(i), None) => {
            lines.remove(i);
        }
        (None, Some(v)) => lines.push(format!("{name}: {v}")),
        (None, None) => {}
    }
    format!("{}\r\n\r\n", lines.join("\r\n"))
}

fn evaluate(
    server: &HandshakeConfig,
    text: &str,
    remote: &str,
    now: u32,
) -> Result<InboundAccepted, HandshakeError> {
    evaluate_inbound(server, &request(text.as_bytes()), &B, &A, now, ip(remote))
}

fn reject(server: &HandshakeConfig, text: &str) -> HandshakeError {
    evaluate(server, text, CLIENT_IP, NOW).unwrap_err()
}

fn assert_400(err: &HandshakeError, message: &str) {
    assert_eq!(err.http_status(), Some(400), "{err}");
    assert_eq!(err.message(), message, "{err}");
    let resp = build_bad_request("xrpl-overlay-0.1.0", 1, ip(CLIENT_IP), &err.message());
    assert_eq!(
        resp,
        format!("HTTP/1.1 400 Bad Request ({message})\r\nServer: xrpl-overlay-0.1.0\r\nRemote-Address: {CLIENT_IP}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    );
}

#[test]
fn baseline_request_is_accepted() {
    let client = cfg(Network::Xrpl, "client");
    let server = cfg(Network::Xrpl, "server");
    let ok = evaluate(&server, &client_request(&client), CLIENT_IP, NOW).unwrap();
    assert_eq!(ok.peer.public_key, *client.node_key.public());
    assert_eq!(ok.shared, shared_value(&A, &B).unwrap());
}

#[test]
fn connect_as_without_peer_is_redirected_with_503() {
    let client = cfg(Network::Xrpl, "client");
    let server = cfg(Network::Xrpl, "server");
    let base = client_request(&client);
    for v in [None, Some("Leaf"), Some("")] {
        let err = reject(&server, &with_header(&base, "Connect-As", v));
        assert_eq!((err.http_status(), err.disposition()), (Some(503), Disposition::Redirect));
    }
    assert!(evaluate(&server, &with_header(&base, "Connect-As", Some("leaf, PEER")), CLIENT_IP, NOW).is_ok());

    let peers: Vec<SocketAddr> = (0..12)
        .map(|i| {
            if i == 1 {
                "[2001:db8::1]:51235".parse().unwrap()
            } else {
                format!("192.0.2.{i}:51235").parse().unwrap()
            }
        })
        .collect();
    let err = reject(&server, &with_header(&base, "Connect-As", None));
    let resp = build_error_response(&server, 1, ip(CLIENT_IP), &err, &peers).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
    assert!(head.contains(&format!("\r\nRemote-Address: {CLIENT_IP}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}", body.len())));
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    let ips = json["peer-ips"].as_array().unwrap();
    assert_eq!(ips.len(), MAX_REDIRECT_IPS_SENT);
    assert_eq!(ips[0], "192.0.2.0:51235");
    assert_eq!(ips[1], "[2001:db8::1]:51235");
    assert_eq!(
        build_redirect("s", 1, ip(CLIENT_IP), &[]).split_once("\r\n\r\n").unwrap().1,
        r#"{"peer-ips":[]}"#
    );
}

#[test]
fn version_and_security_cookie_rejections() {
    let client = cfg(Network::Xrpl, "client");
    let server = cfg(Network::Xrpl, "server");
    let base = client_request(&client);
    assert_400(
        &reject(&server, &with_header(&base, "Upgrade", Some("XRPL/2.0, XRPL/2.3"))),
        "Unable to agree on a protocol version",
    );
    let req = request(base.as_bytes());
    for (local, peer) in [(&A[..], &A[..]), (&B[..11], &A[..]), (&B[..], &[][..])] {
        let err = evaluate_inbound(&server, &req, local, peer, NOW, ip(CLIENT_IP)).unwrap_err();
        assert_400(&err, "Incorrect security cookie");
    }
}

#[test]
fn server_domain_rule() {
    let client = cfg(Network::Xrpl, "client");
    let server = cfg(Network::Xrpl, "server");
    let base = client_request(&client);
    for good in ["example.com", "a.io", "xn--80ak6aa92e.com", "a-b.c-d.example.museum", "1.2.co"] {
        assert!(is_well_formed_server_domain(good), "{good}");
        assert!(evaluate(&server, &with_header(&base, "Server-Domain", Some(good)), CLIENT_IP, NOW).is_ok());
    }
    for bad in [
        "",
        "a.b",
        "example",
        "-a.com",
        "a-.com",
        "a..com",
        "example.com.",
        "exa mple.com",
        "example.c0m",
        "ex_ample.com",
        &format!("{}.com", "a".repeat(64)),
        &format!("{}.com", "a.".repeat(63)),
    ] {
        assert!(!is_well_formed_server_domain(bad), "{bad}");
        assert_400(
            &reject(&server, &with_header(&base, "Server-Domain", Some(bad))),
            "Invalid server domain",
        );
    }
}

#[test]
fn network_id_rules_by_profile() {
    let base_for = |net: Network, id: Option<u32>| {
        let mut c = cfg(net, "client");
        c.network_id = id;
        client_request(&c)
    };
    // Optional (rippled): compared only when both sides have one.
    let mut server = cfg(Network::Xrpl, "server");
    server.network_id = Some(0);
    assert!(evaluate(&server, &base_for(Network::Xrpl, None), CLIENT_IP, NOW).is_ok());
    assert!(evaluate(&server, &base_for(Network::Xrpl, Some(0)), CLIENT_IP, NOW).is_ok());
    let err = reject(&server, &base_for(Network::Xrpl, Some(1)));
    assert_eq!(err, HandshakeError::WrongNetwork { ours: 0, theirs: 1 });
    assert_400(&err, "Peer is on a different network");
    for junk in ["abc", "", "-1", "4294967296", "1.0", " 1x"] {
        assert_400(
            &reject(&server, &with_header(&base_for(Network::Xrpl, None), "Network-ID", Some(junk))),
            "Invalid peer network identifier",
        );
    }
    server.network_id = None;
    let ok = evaluate(&server, &base_for(Network::Xrpl, Some(1)), CLIENT_IP, NOW).unwrap();
    assert_eq!(ok.peer.network_id, Some(1));
    // Mandatory (xahaud): a missing header counts as 0.
    let xahau = cfg(Network::Xahau, "server");
    let no_id = with_header(&base_for(Network::Xahau, None), "Network-ID", None);
    assert_eq!(reject(&xahau, &no_id), HandshakeError::WrongNetwork { ours: 21337, theirs: 0 });
    assert!(evaluate(&xahau, &base_for(Network::Xahau, None), CLIENT_IP, NOW).is_ok());
    assert!(
        reject(&xahau, &base_for(Network::Xahau, Some(21338))).message() == "Peer is on a different network"
    );
    // Unsupported (divvyd): never read.
    let xdv = cfg(Network::Xdv, "server");
    let t = with_header(&client_request(&cfg(Network::Xdv, "client")), "Network-ID", Some("junk"));
    assert!(evaluate(&xdv, &t, CLIENT_IP, NOW).is_ok());
}

#[test]
fn network_time_rule() {
    let client = cfg(Network::Xrpl, "client");
    let server = cfg(Network::Xrpl, "server");
    let base = client_request(&client);
    for now in [NOW - 20, NOW + 20] {
        assert!(evaluate(&server, &base, CLIENT_IP, now).is_ok(), "{now}");
    }
    let err = evaluate(&server, &base, CLIENT_IP, NOW + 21).unwrap_err();
    assert_eq!(err, HandshakeError::ClockSkew { offset_secs: -21 });
    assert_400(&err, "Peer clock is too far off");
    assert_400(&evaluate(&server, &base, CLIENT_IP, NOW - 21).unwrap_err(), "Peer clock is too far off");
    assert!(evaluate(&server, &with_header(&base, "Network-Time", None), CLIENT_IP, 0).is_ok());
    assert!(evaluate(
        &server,
        &with_header(&base, "Network-Time", Some(&format!("000{NOW}"))),
        CLIENT_IP,
        NOW
    )
    .is_ok());
    for junk in ["", "x", "-5", "+731242816", "4294967296", "731242816.0"] {
        assert_400(
            &reject(&server, &with_header(&base, "Network-Time", Some(junk))),
            "Invalid peer clock timestamp",
        );
    }
}

#[test]
fn public_key_and_signature_rules() {
    let client = cfg(Network::Xrpl, "client");
    let server = cfg(Network::Xrpl, "server");
    let base = client_request(&client);
    assert_400(&reject(&server, &with_header(&base, "Public-Key", None)), "Bad node public key");
    let xdv_text = client.node_key.public().to_base58(Alphabet::Xdv);
    let xrpl_text = client.node_key.public().to_base58(Alphabet::Xrpl);
    if xdv_text != xrpl_text {
        assert_400(
            &reject(&server, &with_header(&base, "Public-Key", Some(&xdv_text))),
            "Bad node public key",
        );
    }
    let mut ed = vec![0xED];
    ed.extend([7u8; 32]);
    let ed_text = encode_token(TokenType::NodePublic, &ed, Alphabet::Xrpl);
    assert_400(
        &reject(&server, &with_header(&base, "Public-Key", Some(&ed_text))),
        "Unsupported public key type",
    );
    let account_pub =
        encode_token(TokenType::AccountPublic, client.node_key.public().as_bytes(), Alphabet::Xrpl);
    assert_400(
        &reject(&server, &with_header(&base, "Public-Key", Some(&account_pub))),
        "Bad node public key",
    );
    // 0x02 prefix, not on the curve: rippled's parse accepts it and verification fails.
    let mut off_curve = vec![0x02];
    off_curve.extend([0xFF; 32]);
    let off = encode_token(TokenType::NodePublic, &off_curve, Alphabet::Xrpl);
    assert_400(&reject(&server, &with_header(&base, "Public-Key", Some(&off))), "Failed to verify session");

    assert_400(
        &reject(&server, &with_header(&base, "Session-Signature", None)),
        "No session signature specified",
    );
    let shared = shared_value(&A, &B).unwrap();
    let der_hex = hex::encode(client.node_key.sign_digest(&shared));
    assert_400(
        &reject(&server, &with_header(&base, "Session-Signature", Some(&der_hex))),
        "Failed to verify session",
    );
    let other = session_signature(&key("mallory"), &shared);
    assert_400(
        &reject(&server, &with_header(&base, "Session-Signature", Some(&other))),
        "Failed to verify session",
    );
    let wrong_shared = session_signature(&client.node_key, &[9; 32]);
    assert_400(
        &reject(&server, &with_header(&base, "Session-Signature", Some(&wrong_shared))),
        "Failed to verify session",
    );
    assert_400(
        &reject(&server, &with_header(&base, "Session-Signature", Some("!!!"))),
        "Failed to verify session",
    );
    // A man in the middle: the signature was made over the other leg's Finished messages.
    let mitm = evaluate_inbound(&server, &request(base.as_bytes()), &[0x33; 12], &A, NOW, ip(CLIENT_IP))
        .unwrap_err();
    assert_400(&mitm, "Failed to verify session");
}

#[test]
fn self_connection_is_refused() {
    let me = cfg(Network::Xrpl, "same");
    assert_400(&reject(&me, &client_request(&me)), "Self connection");
}

#[test]
fn local_ip_and_remote_ip_rules() {
    let client = cfg(Network::Xrpl, "client");
    let mut server = cfg(Network::Xrpl, "server");
    let base = client_request(&client);
    assert_400(&reject(&server, &with_header(&base, "Local-IP", Some("not-an-ip"))), "Invalid Local-IP");
    let t = with_header(&base, "Local-IP", Some("198.51.100.7"));
    let err = reject(&server, &t);
    assert_eq!(err.message(), format!("Incorrect Local-IP: {CLIENT_IP} instead of 198.51.100.7"));
    assert_eq!(err.http_status(), Some(400));
    assert!(evaluate(&server, &t, "10.1.2.3", NOW).is_ok(), "private socket address is not compared");
    let ok = evaluate(&server, &with_header(&base, "Local-IP", Some(CLIENT_IP)), CLIENT_IP, NOW).unwrap();
    assert_eq!(ok.peer.listening_ip, Some(ip(CLIENT_IP)));

    assert_400(&reject(&server, &with_header(&base, "Remote-IP", Some("300.1.1.1"))), "Invalid Remote-IP");
    // Without our public_ip nothing is compared.
    assert!(
        evaluate(&server, &with_header(&base, "Remote-IP", Some("198.51.100.99")), CLIENT_IP, NOW).is_ok()
    );
    server.public_ip = Some(ip(SERVER_IP));
    let err = reject(&server, &with_header(&base, "Remote-IP", Some("198.51.100.99")));
    assert_eq!(err.message(), format!("Incorrect Remote-IP: {SERVER_IP} instead of 198.51.100.99"));
    assert_eq!(err.http_status(), Some(400));
    assert!(evaluate(&server, &with_header(&base, "Remote-IP", Some("198.51.100.99")), "192.168.1.5", NOW)
        .is_ok());
    let ok = evaluate(&server, &base, CLIENT_IP, NOW).unwrap();
    assert_eq!(ok.peer.our_ip_seen_by_peer, Some(ip(SERVER_IP)));

    for (addr, public) in [
        ("8.8.8.8", true),
        ("192.0.2.79", true),
        ("10.0.0.1", false),
        ("172.16.5.4", false),
        ("192.168.0.1", false),
        ("127.0.0.1", false),
        ("224.0.0.1", false),
        ("169.254.1.1", false),
        ("2001:db8::1", true),
        ("2a01:4f8::1", true),
        ("::1", false),
        ("fd00::1", false),
        ("fe80::1", false),
        ("ff02::1", false),
        ("::ffff:10.0.0.1", false),
        ("::ffff:8.8.8.8", true),
    ] {
        assert_eq!(is_public_ip(ip(addr)), public, "{addr}");
    }
}

#[test]
fn ledger_headers_close_without_http_error() {
    let client = cfg(Network::Xrpl, "client");
    let server = cfg(Network::Xrpl, "server");
    let base = client_request(&client);
    let hex64 = "96545948AAAF362786A4FA9B1469E6DF9F29985D5A5BDE920C8510727321E872";
    let b64 = "llRZSKqvNieGpPqbFGnm358pmF1aW96SDIUQcnMh6HI=";
    let with = |c: Option<&str>, p: Option<&str>| {
        with_header(&with_header(&base, "Closed-Ledger", c), "Previous-Ledger", p)
    };
    let ok = evaluate(&server, &with(Some(hex64), Some(b64)), CLIENT_IP, NOW).unwrap();
    assert_eq!(ok.peer.closed_ledger, ok.peer.previous_ledger);
    assert_eq!(hex::encode_upper(ok.peer.closed_ledger.unwrap()), hex64);
    assert!(evaluate(&server, &with(Some(&hex64.to_lowercase()), None), CLIENT_IP, NOW).is_ok());
    for (text, n) in [
        (with(Some("zz"), Some(b64)), 1),
        (with(Some(&hex64[..62]), None), 1),
        (with(Some(hex64), Some("AAAA")), 2),
        (with(None, Some(hex64)), 3),
    ] {
        let err = reject(&server, &text);
        assert_eq!(err, HandshakeError::MalformedLedger(n));
        assert_eq!((err.disposition(), err.http_status()), (Disposition::Close, None));
        assert_eq!(build_error_response(&server, 1, ip(CLIENT_IP), &err, &[]), None);
        assert_eq!(err.to_string(), format!("Malformed handshake data ({n})"));
    }
    // Legacy profiles read base64 only (networks.md §1).
    let xdv_server = cfg(Network::Xdv, "server");
    let xdv_base = client_request(&cfg(Network::Xdv, "client"));
    let t = with_header(&xdv_base, "Closed-Ledger", Some(hex64));
    assert_eq!(reject(&xdv_server, &t), HandshakeError::MalformedLedger(1));
    let t = with_header(&xdv_base, "Closed-Ledger", Some(b64));
    assert_eq!(
        hex::encode_upper(evaluate(&xdv_server, &t, CLIENT_IP, NOW).unwrap().peer.closed_ledger.unwrap()),
        hex64
    );
}

// ---------------------------------------------------------------- full exchanges

fn exchange(net: Network, finished_len: usize) {
    let client_local: Vec<u8> = (0..finished_len as u8).collect();
    let server_local: Vec<u8> = (0..finished_len as u8).map(|b| b.wrapping_mul(7).wrapping_add(3)).collect();
    let mut client = cfg(net, "alice");
    client.features = Features::ALL;
    client.ledger = Some(LedgerHashes { closed: [0xC1; 32], previous: [0xC0; 32] });
    let mut server = cfg(net, "bob");
    server.features =
        Features { compression: true, ledger_replay: false, tx_reduce_relay: true, vp_reduce_relay: true };
    server.crawl_public = false;
    server.public_ip = Some(ip(SERVER_IP));

    // Initiator.
    let c_shared = shared_value(&client_local, &server_local).unwrap();
    let req_text = build_request(&client, &c_shared, ip(SERVER_IP), NOW);

    // Responder reads it in two pieces.
    let bytes = req_text.as_bytes();
    assert_eq!(parse_request(&bytes[..bytes.len() / 2]).unwrap(), Parsed::Partial);
    let req = request(bytes);
    assert_eq!(classify_request(&req, server.profile), RequestKind::PeerUpgrade);
    let accepted =
        evaluate_inbound(&server, &req, &server_local, &client_local, NOW + 3, ip(CLIENT_IP)).unwrap();
    assert_eq!(accepted.shared, c_shared);
    let peer = &accepted.peer;
    assert_eq!(peer.public_key, *client.node_key.public());
    assert!(peer.crawl_public);
    assert_eq!(peer.software.as_deref(), Some(client.software.as_str()));
    assert_eq!(peer.closed_ledger, Some([0xC1; 32]));
    assert_eq!(peer.previous_ledger, Some([0xC0; 32]));
    let expected_version = *server.profile.versions.last().unwrap();
    assert_eq!(peer.version, expected_version);
    let link = if server.profile.feature_negotiation {
        Features { compression: true, ledger_replay: false, tx_reduce_relay: true, vp_reduce_relay: true }
    } else {
        Features::NONE
    };
    assert_eq!(peer.features, link);

    let resp =
        build_switching_response(&server, req.http_minor, peer, &accepted.shared, ip(CLIENT_IP), NOW + 3);
    assert!(resp.starts_with(&format!(
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: {expected_version}\r\n"
    )));
    if server.profile.feature_negotiation {
        assert!(resp.contains("\r\nConnect-As: Peer\r\n"));
        assert!(resp.contains("\r\nX-Protocol-Ctl: compr=lz4;txrr=1;vprr=1;\r\n"));
        assert!(resp.contains(&format!("\r\nRemote-IP: {CLIENT_IP}\r\n")));
    } else {
        assert!(resp.contains("\r\nConnect-AS: Peer\r\n"));
        assert!(
            !resp.contains("X-Protocol-Ctl") && !resp.contains("Remote-IP") && !resp.contains("Local-IP")
        );
    }

    // Initiator reads the 101 plus the first frame bytes of the same TLS record.
    let mut wire = resp.into_bytes();
    let frame = [0u8, 0, 0, 2, 0, 3, 0xAA, 0xBB];
    assert_eq!(
        handle_response(&client, &wire[..wire.len() - 1], &c_shared, NOW, ip(SERVER_IP)).unwrap(),
        None
    );
    wire.extend_from_slice(&frame);
    match handle_response(&client, &wire, &c_shared, NOW, ip(SERVER_IP)).unwrap() {
        Some(ResponseOutcome::Upgraded { peer, leftover }) => {
            assert_eq!(leftover, frame);
            assert_eq!(peer.public_key, *server.node_key.public());
            assert_eq!(peer.version, expected_version);
            assert_eq!(peer.features, link);
            assert!(!peer.crawl_public);
            assert_eq!(peer.software.as_deref(), Some(server.software.as_str()));
            assert_eq!(peer.network_time, Some(NOW + 3));
        }
        other => panic!("{other:?}"),
    }
    // The response signature binds the session: a different leg fails.
    let wrong = shared_value(&client_local, &[0x5A; 12]).unwrap();
    let err = handle_response(&client, &wire, &wrong, NOW, ip(SERVER_IP)).unwrap_err();
    assert_eq!(err, HandshakeError::SessionVerifyFailed);
}

#[test]
fn xrpl_exchange_tls12_finished() {
    exchange(Network::Xrpl, 12);
}

#[test]
fn xrpl_exchange_tls13_finished() {
    exchange(Network::Xrpl, 48);
}

#[test]
fn xdv_exchange_tls12_finished() {
    exchange(Network::Xdv, 12);
}

#[test]
fn xdv_exchange_tls13_finished() {
    exchange(Network::Xdv, 48);
}

#[test]
fn xahau_and_swtc_exchanges() {
    exchange(Network::Xahau, 12);
    exchange(Network::Swtc, 12);
}

#[test]
fn initiator_reads_redirects_and_errors() {
    let client = cfg(Network::Xrpl, "alice");
    let shared = [7u8; 32];
    let mut peers: Vec<String> = (0..40).map(|i| format!("\"192.0.2.{i}:51235\"")).collect();
    peers.insert(0, "\"[2001:db8::2]:2459\"".into());
    peers.insert(1, "\"not an endpoint\"".into());
    peers.insert(2, "17".into());
    let body = format!("{{\"peer-ips\":[{}]}}", peers.join(","));
    let resp = format!("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    // Body not complete yet.
    assert_eq!(
        handle_response(&client, &resp.as_bytes()[..resp.len() - 3], &shared, NOW, ip(SERVER_IP)).unwrap(),
        None
    );
    match handle_response(&client, resp.as_bytes(), &shared, NOW, ip(SERVER_IP)).unwrap() {
        Some(ResponseOutcome::Redirect { endpoints }) => {
            assert_eq!(endpoints.len(), MAX_REDIRECTS_ACCEPTED);
            assert_eq!(endpoints[0], "[2001:db8::2]:2459".parse::<SocketAddr>().unwrap());
            assert_eq!(endpoints[1], "192.0.2.0:51235".parse::<SocketAddr>().unwrap());
        }
        other => panic!("{other:?}"),
    }
    // Our own 503 round-trips through the initiator's reader.
    let ours = build_redirect("s", 1, ip(CLIENT_IP), &["192.0.2.9:51235".parse().unwrap()]);
    assert_eq!(
        handle_response(&client, ours.as_bytes(), &shared, NOW, ip(SERVER_IP)).unwrap(),
        Some(ResponseOutcome::Redirect { endpoints: vec!["192.0.2.9:51235".parse().unwrap()] })
    );
    let huge = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: {}\r\n\r\n",
        MAX_REDIRECT_BODY_BYTES + 1
    );
    assert_eq!(
        handle_response(&client, huge.as_bytes(), &shared, NOW, ip(SERVER_IP)),
        Err(HandshakeError::RedirectBodyTooLarge)
    );
    let bad = build_bad_request("s", 1, ip(CLIENT_IP), "Peer is on a different network");
    assert_eq!(
        handle_response(&client, bad.as_bytes(), &shared, NOW, ip(SERVER_IP)),
        Err(HandshakeError::UnexpectedResponse {
            status: 400,
            reason: "Bad Request (Peer is on a different network)".into()
        })
    );
    let no_upgrade = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: XRPL/2.2\r\n\r\n";
    assert!(matches!(
        handle_response(&client, no_upgrade.as_bytes(), &shared, NOW, ip(SERVER_IP)),
        Err(HandshakeError::UnexpectedResponse { status: 101, .. })
    ));
    let two =
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: XRPL/2.1, XRPL/2.2\r\n\r\n";
    assert!(matches!(
        handle_response(&client, two.as_bytes(), &shared, NOW, ip(SERVER_IP)),
        Err(HandshakeError::BadResponseVersion { .. })
    ));
}

#[test]
fn finished_limits() {
    assert_eq!((MIN_FINISHED_LEN, MAX_FINISHED_LEN), (12, 1024));
    let long: Vec<u8> = (0..2000u32).map(|i| (i % 251) as u8).collect();
    let other = [0x42u8; 32];
    // Only the first MAX_FINISHED_LEN bytes are hashed, as rippled's 1024-byte buffer does.
    assert_eq!(shared_value(&long, &other), shared_value(&long[..MAX_FINISHED_LEN], &other));
    assert_ne!(shared_value(&long, &other), shared_value(&long[..MAX_FINISHED_LEN - 1], &other));
    assert!(shared_value(&long[..MIN_FINISHED_LEN], &other).is_ok());
    assert_eq!(
        shared_value(&other, &long[..MIN_FINISHED_LEN - 1]),
        Err(HandshakeError::FinishedTooShort { side: FinishedSide::Peer, len: 11 })
    );
    // Many list elements are fine: only the head size bounds them.
    let upgrade = format!("{}XRPL/2.2", "junk, ".repeat(1000));
    assert_eq!(negotiate_version(&upgrade, Network::Xrpl.profile()), Some(ProtocolVersion::xrpl(2, 2)));
}
