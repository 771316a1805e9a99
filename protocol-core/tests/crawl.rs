//! `/crawl` and `/health`: documents, HTTP bytes, `[crawl]` switches, parser (the `[crawl]`
//! section parser itself is tested in tests/config.rs).
//!
//! Known answers come from the spec (§13), rippled's `OverlayImpl` rules, vectors/wire.json,
//! and the published rippled 1.2.1 `/crawl` example of the XRPL dev portal
//! (`_api-examples/peer-crawler/crawl.json`, trimmed below), never from our own builder.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use protocol_core::crawl::*;
use serde_json::{json, Value};

/// Trimmed from the dev-portal sample (rippled 1.2.1): outbound ports as strings, a v4-mapped
/// IPv6 address, sorted keys, server in non-human form.
const RIPPLED_SAMPLE: &str = r#"{
  "overlay": {
    "active": [
      {
        "complete_ledgers": "45498918-45500918",
        "ip": "88.99.137.170",
        "port": "51235",
        "public_key": "AkU+AY9FWh8AXMc43fAUM69SzfAMGat0d/N+qx3kD6Dg",
        "type": "out",
        "uptime": 208,
        "version": "rippled-1.2.1"
      },
      {
        "complete_ledgers": "45498918-45500918",
        "ip": "::ffff:45.56.78.201",
        "port": "51235",
        "public_key": "AmsXz4UUqjlz6iy8HHhZdHmBHteEBwYZLOHCHA4puCwj",
        "type": "out",
        "uptime": 209,
        "version": "rippled-1.1.0"
      }
    ]
  },
  "server": {
    "build_version": "1.2.1",
    "complete_ledgers": "45500881-45500888",
    "io_latency_ms": 1,
    "jq_trans_overflow": "0",
    "last_close": {"converge_time": 3002, "proposers": 25},
    "load_base": 256,
    "load_factor": 256,
    "peer_disconnects": "0",
    "peer_disconnects_resources": "0",
    "peers": 10,
    "pubkey_node": "n9MJZBu5HyxyEq8xPGBxXFTfT3uzdnNsvR6R1NyXxbEzt79SrZJE",
    "server_state": "full",
    "state_accounting": {"full": {"duration_us": "40756665", "transitions": 1}},
    "uptime": 213,
    "validated_ledger": {"close_time": 604806530, "seq": 45500918}
  },
  "unl": {
    "local_static_keys": [],
    "publisher_lists": [{"available": true, "seq": 47, "uri": "https://vl.ripple.com", "version": 1}],
    "validator_sites": [{"uri": "https://vl.ripple.com", "refresh_interval_min": 5}]
  },
  "version": 2
}"#;

#[test]
fn parses_rippled_sample() {
    let parsed = parse_crawl(RIPPLED_SAMPLE.as_bytes()).unwrap();
    assert_eq!(parsed.version, Some(2));
    assert!(parsed.has_unl && !parsed.has_counts);
    let peers = parsed.peers.unwrap();
    assert_eq!(peers.len(), 2);
    let p = &peers[0];
    // base64 decoded independently (python base64): 02453e01...0fa0e0.
    assert_eq!(
        hex::encode(p.public_key.unwrap()),
        "02453e018f455a1f005cc738ddf01433af52cdf00c19ab7477f37eab1de40fa0e0"
    );
    assert_eq!(p.direction, Some(PeerDirection::Outbound));
    assert_eq!(p.uptime, Some(208));
    assert_eq!(p.ip, Some(IpAddr::V4(Ipv4Addr::new(88, 99, 137, 170))));
    assert_eq!(p.port, Some(51235), "string port accepted");
    assert_eq!(p.version.as_deref(), Some("rippled-1.2.1"));
    assert_eq!(p.complete_ledgers, Some((45498918, 45500918)));
    assert_eq!(peers[1].ip, Some(IpAddr::V6(Ipv4Addr::new(45, 56, 78, 201).to_ipv6_mapped())));
    let server = parsed.server.unwrap();
    assert_eq!(server.build_version.as_deref(), Some("1.2.1"));
    assert_eq!(server.server_state.as_deref(), Some("full"));
    assert_eq!(server.peers, Some(10));
    assert_eq!(server.uptime, Some(213));
    assert_eq!(server.network_id, None);
}

#[test]
fn parser_accepts_numeric_port_and_ignores_unknown_keys() {
    let body = br#"{"version":2,"future":{"x":[1,2]},"overlay":{"active":[
        {"public_key":"A9ScVuGxhfG+iZrmagLvwX946m/FOvheD+VMbot/jHGo","type":"in","uptime":5,
         "ip":"2001:db8::1","port":2459,"new_field":true}]}}"#;
    let parsed = parse_crawl(body).unwrap();
    let p = &parsed.peers.unwrap()[0];
    assert_eq!(p.port, Some(2459));
    assert_eq!(p.direction, Some(PeerDirection::Inbound));
    assert_eq!(p.ip, Some("2001:db8::1".parse().unwrap()));
    assert!(parsed.server.is_none());
}

#[test]
fn parser_rejects_bad_values_with_index() {
    let bad = |peer: Value| {
        let body = json!({"version": 2, "overlay": {"active": [{"type": "in"}, peer]}});
        parse_crawl(body.to_string().as_bytes()).unwrap_err()
    };
    assert!(matches!(bad(json!({"port": "http"})), CrawlParseError::BadPort { index: 1, .. }));
    assert!(matches!(bad(json!({"port": 65536})), CrawlParseError::BadPort { index: 1, .. }));
    assert!(matches!(bad(json!({"public_key": "AAAA"})), CrawlParseError::BadPublicKey { index: 1, .. }));
    assert!(matches!(bad(json!({"ip": "999.1.1.1"})), CrawlParseError::BadIp { index: 1, .. }));
    assert!(matches!(bad(json!({"type": "sideways"})), CrawlParseError::BadType { index: 1, .. }));
    assert!(matches!(
        bad(json!({"complete_ledgers": "empty"})),
        CrawlParseError::BadCompleteLedgers { index: 1, .. }
    ));
    assert!(matches!(bad(json!({"uptime": "long"})), CrawlParseError::Json(_)));
    assert!(matches!(parse_crawl(b"[1,2]"), Err(CrawlParseError::Json(_))));
    assert!(matches!(parse_crawl(b"{"), Err(CrawlParseError::Json(_))));
}

#[test]
fn parser_bounds() {
    let big = vec![b' '; MAX_CRAWL_BODY_BYTES + 1];
    assert_eq!(
        parse_crawl(&big),
        Err(CrawlParseError::TooLarge { len: MAX_CRAWL_BODY_BYTES + 1, limit: MAX_CRAWL_BODY_BYTES })
    );
    let entries = |n: usize| {
        let mut s = String::from(r#"{"overlay":{"active":["#);
        for i in 0..n {
            if i > 0 {
                s.push(',');
            }
            s.push_str("{}");
        }
        s.push_str("]}}");
        s
    };
    assert_eq!(
        parse_crawl(entries(MAX_CRAWL_PEERS).as_bytes()).unwrap().peers.unwrap().len(),
        MAX_CRAWL_PEERS
    );
    let err = parse_crawl(entries(MAX_CRAWL_PEERS + 1).as_bytes()).unwrap_err();
    assert!(matches!(err, CrawlParseError::Json(ref m) if m.contains("more than")), "{err}");
    // Deep nesting: skipped iteratively in an ignored member, refused (serde_json recursion
    // limit) where a typed value is expected; never a stack overflow.
    let deep = format!(r#"{{"x":{}{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_crawl(deep.as_bytes()).unwrap().peers.is_none());
    let deep = format!(
        r#"{{"overlay":{{"active":[{{"version":{}{}}}]}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(matches!(parse_crawl(deep.as_bytes()), Err(CrawlParseError::Json(_))));
}

fn key(hex_str: &str) -> [u8; 33] {
    hex::decode(hex_str).unwrap().try_into().unwrap()
}

fn snapshot() -> CrawlSnapshot {
    // Node public keys from vectors/wire.json.
    let a = key("03D49C56E1B185F1BE899AE66A02EFC17F78EA6FC53AF85E0FE54C6E8B7F8C71A8");
    let b = key("0380A62D4B65CDB14859A55A28D0AF5427D667F9037915B2523BEF4175B987CDF5");
    CrawlSnapshot {
        peers: vec![
            CrawlPeer {
                public_key: a,
                outbound: true,
                uptime_secs: 208,
                ip: Some(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7))),
                port: Some(51235),
                version: Some("rippled-2.2.0".into()),
                complete_ledgers: Some((32570, 90000000)),
                crawl_public: true,
                cluster: None,
            },
            CrawlPeer {
                // A private peer (e.g. a validator): key only.
                public_key: b,
                outbound: false,
                uptime_secs: 5,
                ip: Some(IpAddr::V6(Ipv6Addr::LOCALHOST)),
                port: Some(2459),
                version: Some(String::new()),
                complete_ledgers: Some((0, 0)),
                crawl_public: false,
                cluster: None,
            },
        ],
        server: ServerInfo::overlay_only(
            "0.1.0",
            3600,
            2,
            "n94a1u4jAz288pZLtw6yFWVbi89YamiC6JBXPVUj5zmExe5fTVg9",
            None,
        ),
        sections: CrawlSections::default(),
    }
}

#[test]
fn crawl_body_shape() {
    let body = crawl_body(&snapshot()).unwrap();
    assert_eq!(body["version"], json!(2));
    let active = body["overlay"]["active"].as_array().unwrap();
    assert_eq!(
        active[0],
        json!({
            // base64 of the wire.json key computed independently (python base64).
            "public_key": "A9ScVuGxhfG+iZrmagLvwX946m/FOvheD+VMbot/jHGo",
            "type": "out",
            "uptime": 208,
            "ip": "198.51.100.7",
            "port": 51235,
            "version": "rippled-2.2.0",
            "complete_ledgers": "32570-90000000",
        })
    );
    // Private peer: no ip/port; empty version and 0-0 range omitted.
    let private = active[1].as_object().unwrap();
    let mut keys: Vec<&str> = private.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["public_key", "type", "uptime"]);
    assert_eq!(private["type"], json!("in"));

    let server = &body["server"];
    assert_eq!(server["build_version"], json!("0.1.0"));
    assert_eq!(server["server_state"], json!("connected"));
    assert_eq!(server["complete_ledgers"], json!("empty"));
    assert_eq!(server["peers"], json!(2));
    assert_eq!(server["uptime"], json!(3600));
    assert_eq!(server["load_base"], json!(256));
    assert_eq!(server["peer_disconnects"], json!("0"), "string, as rippled");
    assert!(server.get("network_id").is_none());
    assert!(server.get("hostid").is_none() && server.get("validation_quorum").is_none());
    assert!(body.get("counts").is_none(), "counts is off by default");
    assert!(body["unl"].is_object());
}

#[test]
fn crawl_sections_switches() {
    let mut snap = snapshot();
    snap.sections = CrawlSections { overlay: false, counts: true, unl: false, ..CrawlSections::default() };
    snap.server.network_id = Some(21337);
    let body = crawl_body(&snap).unwrap();
    let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["counts", "server", "version"]);
    assert_eq!(body["server"]["network_id"], json!(21337));
    snap.sections = CrawlSections::disabled();
    assert!(crawl_body(&snap).is_none());
    assert!(crawl_response(&snap, "x").is_none());
}

#[test]
fn our_body_round_trips_through_parser_and_keys_are_sorted() {
    // Consistency only (the known answers are in the tests above): the parser reads what we
    // serve, and the JSON keys come out sorted like rippled's std::map-backed Json::Value.
    let snap = snapshot();
    let bytes = crawl_body(&snap).unwrap().to_string();
    let parsed = parse_crawl(bytes.as_bytes()).unwrap();
    let peers = parsed.peers.unwrap();
    assert_eq!(peers[0].public_key, Some(snap.peers[0].public_key));
    assert_eq!(peers[0].port, Some(51235));
    assert_eq!(peers[1].ip, None);
    let i_overlay = bytes.find("\"overlay\"").unwrap();
    let i_server = bytes.find("\"server\"").unwrap();
    let i_unl = bytes.find("\"unl\"").unwrap();
    let i_version = bytes.find("\"version\":2").unwrap();
    assert!(i_overlay < i_server && i_server < i_unl && i_unl < i_version);
}

fn split_response(bytes: &[u8]) -> (String, Vec<u8>) {
    let pos = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (String::from_utf8(bytes[..pos + 4].to_vec()).unwrap(), bytes[pos + 4..].to_vec())
}

#[test]
fn crawl_http_response_bytes() {
    let resp = crawl_response(&snapshot(), "xrpl-overlay-0.1.0").unwrap();
    let (head, body) = split_response(&resp);
    let expected_head = format!(
        "HTTP/1.1 200 OK\r\nServer: xrpl-overlay-0.1.0\r\nContent-Type: application/json\r\n\
         Connection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    assert_eq!(head, expected_head);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["version"], json!(2));
    // The head parses as HTTP.
    let mut headers = [httparse::EMPTY_HEADER; 8];
    let mut r = httparse::Response::new(&mut headers);
    assert!(r.parse(&resp).unwrap().is_complete());
    assert_eq!(r.code, Some(200));
}

#[test]
fn header_injection_is_neutralised() {
    let resp = http_response(200, "evil\r\nSet-Cookie: x", b"{}");
    let (head, _) = split_response(&resp);
    assert!(head.contains("Server: evilSet-Cookie: x\r\n"));
    assert_eq!(head.matches("\r\n").count(), 6);
}

fn healthy() -> ServerInfo {
    ServerInfo {
        server_state: ServerState::Full,
        validated_ledger_age_secs: Some(3),
        ..ServerInfo::overlay_only("x", 1, 10, "n9", None)
    }
}

#[test]
fn health_rules() {
    // §13.2 / rippled processHealth.
    let r = health_report(&healthy());
    assert_eq!((r.status, r.body.clone()), (HealthStatus::Healthy, json!({"info": {}})));

    let check = |f: &dyn Fn(&mut ServerInfo), status: HealthStatus, info: Value| {
        let mut s = healthy();
        f(&mut s);
        let r = health_report(&s);
        assert_eq!(r.status, status, "{info}");
        assert_eq!(r.body, json!({ "info": info }));
    };
    check(&|s| s.validated_ledger_age_secs = Some(6), HealthStatus::Healthy, json!({}));
    check(&|s| s.validated_ledger_age_secs = Some(7), HealthStatus::Warning, json!({"validated_ledger": 7}));
    check(
        &|s| s.validated_ledger_age_secs = Some(19),
        HealthStatus::Warning,
        json!({"validated_ledger": 19}),
    );
    check(
        &|s| s.validated_ledger_age_secs = Some(20),
        HealthStatus::Critical,
        json!({"validated_ledger": 20}),
    );
    // rippled: `age < 20` -> warning, so "no validated ledger" (-1) is a warning.
    check(&|s| s.validated_ledger_age_secs = None, HealthStatus::Warning, json!({"validated_ledger": -1}));
    check(&|s| s.peers = 8, HealthStatus::Healthy, json!({}));
    check(&|s| s.peers = 7, HealthStatus::Warning, json!({"peers": 7}));
    check(&|s| s.peers = 0, HealthStatus::Critical, json!({"peers": 0}));
    check(&|s| s.amendment_blocked = true, HealthStatus::Critical, json!({"amendment_blocked": true}));
    for state in [ServerState::Validating, ServerState::Proposing] {
        check(&|s| s.server_state = state, HealthStatus::Healthy, json!({}));
    }
    for state in [ServerState::Syncing, ServerState::Tracking, ServerState::Connected] {
        check(&|s| s.server_state = state, HealthStatus::Warning, json!({"server_state": state.as_str()}));
    }
    check(
        &|s| s.server_state = ServerState::Disconnected,
        HealthStatus::Critical,
        json!({"server_state": "disconnected"}),
    );
    check(&|s| s.load_factor_server = 100 * 256, HealthStatus::Healthy, json!({}));
    check(&|s| s.load_factor_server = 101 * 256, HealthStatus::Warning, json!({"load_factor": 101.0}));
    check(&|s| s.load_factor_server = 1000 * 256, HealthStatus::Critical, json!({"load_factor": 1000.0}));
}

#[test]
fn health_of_overlay_only_node() {
    // No ledger: -1 and "connected" are warnings -> 503 with enough peers; 500 without.
    let s = ServerInfo::overlay_only("0.1.0", 10, 12, "n9", Some(0));
    let r = health_report(&s);
    assert_eq!(r.status, HealthStatus::Warning);
    assert_eq!(r.body, json!({"info": {"validated_ledger": -1, "server_state": "connected"}}));
    let lonely = ServerInfo::overlay_only("0.1.0", 10, 0, "n9", Some(0));
    let r = health_report(&lonely);
    assert_eq!(r.status, HealthStatus::Critical);
    assert_eq!(r.body, json!({"info": {"validated_ledger": -1, "peers": 0, "server_state": "disconnected"}}));

    let resp = health_response(&s, "xrpl-overlay-0.1.0");
    let (head, body) = split_response(&resp);
    assert!(head.starts_with("HTTP/1.1 503 Service Unavailable\r\nServer: xrpl-overlay-0.1.0\r\n"));
    assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())));
    assert_eq!(
        String::from_utf8(body).unwrap(),
        r#"{"info":{"server_state":"connected","validated_ledger":-1}}"#
    );
    let resp = health_response(&lonely, "s");
    assert!(resp.starts_with(b"HTTP/1.1 500 Internal Server Error\r\n"));
    let resp = health_response(&healthy(), "s");
    assert!(resp.starts_with(b"HTTP/1.1 200 OK\r\n"));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// Arbitrary bytes never panic the parser.
    #[test]
    fn parser_never_panics_on_bytes(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        let _ = parse_crawl(&body);
    }

    /// Mutations of the rippled sample never panic the parser.
    #[test]
    fn parser_never_panics_on_mutated_sample(pos in 0usize..RIPPLED_SAMPLE.len(), byte in proptest::prelude::any::<u8>()) {
        let mut body = RIPPLED_SAMPLE.as_bytes().to_vec();
        body[pos] = byte;
        let _ = parse_crawl(&body);
    }
}
