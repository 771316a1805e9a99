//! Overlays wired together in memory (`overlay::testing::Net`), explicit time: handshakes,
//! discovery to a full mesh, redirects, ping timeout, relay, /crawl, bad frames, bad signatures.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use protocol_core::handshake::{self, HandshakeConfig};
use protocol_core::messages::{proto, Message};
use protocol_core::network::Network;
use protocol_core::overlay::testing::{node_ip, node_key, tx, Net};
use protocol_core::overlay::{DisconnectReason, Input, OverlayConfig, OverlayEvent};
use protocol_core::peerfinder::{LimitsInput, PeerFinderConfig};

const SEC: Duration = Duration::from_secs(1);

fn cfg_with_ips(net: &Net, ips: &[usize]) -> OverlayConfig {
    let mut c = net.config(Network::Xrpl);
    c.bootstrap = ips.iter().map(|i| net.addr_of(*i, &c)).collect();
    c
}

#[test]
fn handshake_completes_both_directions() {
    let mut net = Net::new(Instant::now());
    let c0 = net.config(Network::Xrpl);
    net.add_node(c0);
    let c1 = cfg_with_ips(&net, &[0]);
    net.add_node(c1);
    assert!(net.run_until(5 * SEC, SEC, |n| n.neighbours(0).len() == 1 && n.neighbours(1).len() == 1));
    let p0 = net.nodes[0].overlay.peers();
    let p1 = net.nodes[1].overlay.peers();
    assert!(p0[0].inbound && !p1[0].inbound);
    assert_eq!(p0[0].public_key, *net.nodes[1].overlay.public_key());
    assert_eq!(p1[0].public_key, *net.nodes[0].overlay.public_key());
    assert_eq!(p0[0].version.to_string(), p1[0].version.to_string());
    // Pings flow and are answered: after a few intervals both links are still up with latency.
    net.run_for(Duration::from_secs(200), SEC);
    assert_eq!(net.neighbours(0).len(), 1);
    assert!(net.nodes[1].overlay.peers()[0].latency_ms.is_some());
}

#[test]
fn three_nodes_reach_full_mesh_through_endpoints() {
    let t0 = Instant::now();
    let mut net = Net::new(t0);
    // B and C know only A, and start a little before A so that A's TMEndpoints broadcast
    // (every 151 s) falls inside the 30 s Livecache lifetime of their announcements.
    let placeholder = net.config(Network::Xrpl);
    let a_addr = net.addr_of(2, &placeholder);
    let mut cb = net.config(Network::Xrpl);
    cb.bootstrap = vec![a_addr];
    let b = net.add_node(cb.clone());
    let c = net.add_node(cb);
    net.run_for(10 * SEC, SEC);
    let a = net.add_node(placeholder);
    assert_eq!(a, 2);
    let meshed = net.run_until(Duration::from_secs(1200), SEC, |n| {
        n.neighbours(a).len() == 2 && n.neighbours(b).len() == 2 && n.neighbours(c).len() == 2
    });
    assert!(meshed, "a={:?} b={:?} c={:?}", net.neighbours(a), net.neighbours(b), net.neighbours(c));
    let took = net.now - t0;
    // A's second broadcast after B and C announced themselves twice (first announcement only
    // triggers the connectivity probe): about 2 × 151 s.
    assert!(took < Duration::from_secs(400), "{took:?}");
    // Crossed dials (B and C dial each other in the same tick) leave exactly one link.
    net.run_for(Duration::from_secs(600), SEC);
    for (i, j) in [(a, b), (a, c), (b, c)] {
        assert!(net.neighbours(i).contains(&j), "{i}-{j} lost");
        assert_eq!(net.nodes[i].overlay.peers().len(), 2);
    }
}

#[test]
fn full_node_redirects_with_peer_ips_and_dialer_follows() {
    let mut net = Net::new(Instant::now());
    // A takes one inbound peer only.
    let mut ca = net.config(Network::Xrpl);
    ca.peerfinder = PeerFinderConfig::compute(&LimitsInput {
        peers_in_max: Some(1),
        peers_out_max: Some(10),
        listening_port: 51235,
        ..LimitsInput::default()
    });
    let a = net.add_node(ca);
    let b = net.add_node(cfg_with_ips(&net, &[a]));
    // Wait until A learned B's listening address (Livecache) from B's TMEndpoints.
    assert!(net.run_until(Duration::from_secs(900), SEC, |n| !n.nodes[a]
        .overlay
        .peerfinder()
        .livecache()
        .is_empty()));
    let c = net.add_node(cfg_with_ips(&net, &[a]));
    let ok = net.run_until(10 * SEC, SEC, |n| n.neighbours(c).contains(&b));
    assert!(ok, "c events {:#?}\na closes {:?}", net.nodes[c].events, net.nodes[a].closes);
    let redirected = net.nodes[c].events.iter().find_map(|e| match e {
        OverlayEvent::Redirected { peer_ips, .. } => Some(peer_ips.clone()),
        _ => None,
    });
    let b_listen: SocketAddr = net.nodes[b].listen;
    assert_eq!(redirected, Some(vec![b_listen]));
    assert!(net.nodes[a].closes.iter().any(|(_, r)| *r == DisconnectReason::SlotsFull));
    assert!(!net.neighbours(c).contains(&a));
}

#[test]
fn silent_peer_is_dropped_by_ping_timeout() {
    let mut net = Net::new(Instant::now());
    let mut c0 = net.config(Network::Xrpl);
    c0.ping_interval = 10 * SEC;
    let a = net.add_node(c0);
    let b = net.add_node(cfg_with_ips(&net, &[a]));
    assert!(net.run_until(5 * SEC, SEC, |n| n.neighbours(a).len() == 1));
    net.nodes[b].muted = true;
    let start = net.now;
    assert!(net.run_until(Duration::from_secs(60), SEC, |n| n.neighbours(a).is_empty()));
    let took = net.now - start;
    // First ping at the next tick, drop at the one after: at most two intervals.
    assert!(took <= 20 * SEC, "{took:?}");
    assert!(net.nodes[a].closes.iter().any(|(_, r)| *r == DisconnectReason::PingTimeout));
    assert!(net.nodes[a]
        .events
        .iter()
        .any(|e| matches!(e, OverlayEvent::PeerDisconnected { reason: DisconnectReason::PingTimeout, .. })));
}

#[test]
fn transaction_crosses_a_line_once_and_is_not_echoed() {
    let mut net = Net::new(Instant::now());
    let a = net.add_node(net.config(Network::Xrpl));
    let b = net.add_node(cfg_with_ips(&net, &[a]));
    let c = net.add_node(cfg_with_ips(&net, &[b]));
    assert!(net.run_until(10 * SEC, SEC, |n| n.neighbours(b).len() == 2));
    assert_eq!(net.neighbours(a), [b].into());
    assert_eq!(net.neighbours(c), [b].into());
    let m = tx(1);
    net.input(a, Input::Broadcast(m.clone()));
    assert_eq!(net.received(b, &m), 1);
    assert_eq!(net.received(c, &m), 1);
    assert_eq!(net.received(a, &m), 0, "echoed back to the origin");
    // The same transaction again from the application: suppressed everywhere.
    net.input(a, Input::Broadcast(m.clone()));
    // And re-injected by C's side towards B: B has it, nothing moves.
    net.input(c, Input::Broadcast(m.clone()));
    assert_eq!(net.received(b, &m), 1);
    assert_eq!(net.received(c, &m), 1);
    assert_eq!(net.received(a, &m), 0);
}

#[test]
fn squelched_validator_proposals_are_not_relayed_to_that_peer() {
    let mut net = Net::new(Instant::now());
    let a = net.add_node(net.config(Network::Xrpl));
    let b = net.add_node(cfg_with_ips(&net, &[a]));
    let c = net.add_node(cfg_with_ips(&net, &[b]));
    assert!(net.run_until(10 * SEC, SEC, |n| n.neighbours(b).len() == 2));
    let validator = node_key(99).public().as_bytes().to_vec();
    let squelch = Message::Squelch(proto::TmSquelch {
        squelch: Some(true),
        validator_pub_key: Some(validator.clone()),
        squelch_duration: Some(600),
    });
    let cb = net.conn_between(c, b).unwrap();
    net.input(c, Input::Send { conn: cb, message: squelch });
    let proposal = |seq: u32| {
        Message::ProposeSet(proto::TmProposeSet {
            propose_seq: Some(seq),
            current_tx_hash: Some(vec![1; 32]),
            node_pub_key: Some(validator.clone()),
            close_time: Some(1),
            signature: Some(vec![3; 70]),
            previousledger: Some(vec![2; 32]),
            ..Default::default()
        })
    };
    let p1 = proposal(1);
    net.input(a, Input::Broadcast(p1.clone()));
    assert_eq!(net.received(b, &p1), 1);
    assert_eq!(net.received(c, &p1), 0, "squelched validator relayed");
    // After the squelch expires, traffic flows again.
    net.run_for(Duration::from_secs(601), Duration::from_secs(10));
    let p2 = proposal(2);
    net.input(a, Input::Broadcast(p2.clone()));
    assert_eq!(net.received(c, &p2), 1);
}

#[test]
fn crawl_json_lists_peers_with_base64_keys() {
    let mut net = Net::new(Instant::now());
    let a = net.add_node(net.config(Network::Xrpl));
    let b = net.add_node(cfg_with_ips(&net, &[a]));
    assert!(net.run_until(5 * SEC, SEC, |n| n.neighbours(a).len() == 1));
    net.run_for(Duration::from_secs(400), SEC);
    let (raw, _) = net.raw_connect(a, node_ip(50)).unwrap();
    net.raw_send(raw, b"GET /crawl HTTP/1.1\r\nHost: x\r\n\r\n");
    let resp = String::from_utf8(net.raws[raw].received.clone()).unwrap();
    assert!(net.raws[raw].closed);
    assert!(resp.starts_with("HTTP/1.1 200 OK\r\n"), "{resp}");
    assert!(resp.contains("Content-Type: application/json\r\n"));
    assert!(resp.contains("Connection: close\r\n"));
    let body = &resp[resp.find("\r\n\r\n").unwrap() + 4..];
    let doc: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(doc["version"], 2);
    let active = doc["overlay"]["active"].as_array().unwrap();
    assert_eq!(active.len(), 1);
    let p = &active[0];
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD.decode(p["public_key"].as_str().unwrap()).unwrap();
    assert_eq!(key, net.nodes[b].overlay.public_key().as_bytes());
    assert_eq!(p["type"], "in");
    assert_eq!(p["ip"], net.nodes[b].ip.to_string());
    // Inbound: the verified listening port from B's hop-0 TMEndpoints entry.
    assert_eq!(p["port"], 51235);
    assert!(p["uptime"].as_u64().unwrap() >= 400);
    assert!(p["version"].as_str().unwrap().starts_with("rippled-") || p["version"].is_string());
    assert!(doc["server"]["pubkey_node"].is_string());
    // /health with one peer and no ledger: validated_ledger -1, peers 1, server_state
    // connected are all warnings in rippled's processHealth (age -1 < 20), so 503.
    let (raw, _) = net.raw_connect(a, node_ip(51)).unwrap();
    net.raw_send(raw, b"GET /health HTTP/1.1\r\n\r\n");
    let resp = String::from_utf8(net.raws[raw].received.clone()).unwrap();
    assert!(resp.starts_with("HTTP/1.1 503 "), "{resp}");
    let body: serde_json::Value = serde_json::from_str(&resp[resp.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(body["info"]["validated_ledger"], -1);
    assert_eq!(body["info"]["peers"], 1);
    // Anything else: 403.
    let (raw, _) = net.raw_connect(a, node_ip(52)).unwrap();
    net.raw_send(raw, b"GET /foo HTTP/1.1\r\n\r\n");
    let resp = String::from_utf8(net.raws[raw].received.clone()).unwrap();
    assert!(resp.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{resp}");
}

#[test]
fn bad_frame_disconnects_with_reason() {
    let mut net = Net::new(Instant::now());
    let a = net.add_node(net.config(Network::Xrpl));
    let b = net.add_node(cfg_with_ips(&net, &[a]));
    assert!(net.run_until(5 * SEC, SEC, |n| n.neighbours(a).len() == 1));
    let conn = net.conn_between(b, a).unwrap();
    // First byte 0xFC: reserved bits of an uncompressed header set (overlay-wire.md §6.1).
    net.inject(b, conn, &[0xFC, 0, 0, 1, 0, 3, 0]);
    assert!(net.neighbours(a).is_empty());
    let reason = net.nodes[a].closes.last().unwrap().1.clone();
    assert!(matches!(reason, DisconnectReason::BadFrame(_)), "{reason:?}");
    assert!(reason.to_string().contains("reserved bits"), "{reason}");
}

#[test]
fn bad_message_disconnects_and_unknown_type_is_skipped() {
    let mut net = Net::new(Instant::now());
    let a = net.add_node(net.config(Network::Xrpl));
    let b = net.add_node(cfg_with_ips(&net, &[a]));
    assert!(net.run_until(5 * SEC, SEC, |n| n.neighbours(a).len() == 1));
    let conn = net.conn_between(b, a).unwrap();
    // Unknown type 999 with a junk payload: skipped, link stays up.
    net.inject(b, conn, &[0, 0, 0, 2, 0x03, 0xE7, 0xFF, 0xFF]);
    assert_eq!(net.neighbours(a).len(), 1);
    // TMPing (type 3) without its required `type` field: bad message.
    net.inject(b, conn, &[0, 0, 0, 2, 0, 3, 0x10, 0x05]);
    assert!(net.neighbours(a).is_empty());
    let reason = net.nodes[a].closes.last().unwrap().1.clone();
    assert!(matches!(reason, DisconnectReason::BadMessage(_)), "{reason:?}");
}

#[test]
fn bad_session_signature_gets_400() {
    let mut net = Net::new(Instant::now());
    let a = net.add_node(net.config(Network::Xrpl));
    let (raw, _) = net.raw_connect(a, node_ip(60)).unwrap();
    // Sign over a shared value that is not this TLS session's.
    let hs = HandshakeConfig::new(Network::Xrpl.profile(), node_key(60));
    let req = handshake::build_request(&hs, &[0x42; 32], node_ip(0), net.net_clock());
    net.raw_send(raw, req.as_bytes());
    let resp = String::from_utf8(net.raws[raw].received.clone()).unwrap();
    assert!(resp.starts_with("HTTP/1.1 400 Bad Request (Failed to verify session)\r\n"), "{resp}");
    assert!(net.raws[raw].closed);
    assert!(net.nodes[a]
        .events
        .iter()
        .any(|e| matches!(e, OverlayEvent::HandshakeRejected { status: Some(400), .. })));
    assert!(net.nodes[a].overlay.peers().is_empty());
}

#[test]
fn handshake_deadline_closes_silent_connection() {
    let mut net = Net::new(Instant::now());
    let a = net.add_node(net.config(Network::Xrpl));
    let (raw, _) = net.raw_connect(a, node_ip(61)).unwrap();
    net.raw_send(raw, b"GET / HTTP/1.1\r\n");
    net.run_for(14 * SEC, SEC);
    assert!(!net.raws[raw].closed);
    net.run_for(2 * SEC, SEC);
    assert!(net.raws[raw].closed);
    assert_eq!(net.nodes[a].closes.last().unwrap().1, DisconnectReason::HandshakeTimeout);
}

#[test]
fn shutdown_closes_everything() {
    let mut net = Net::new(Instant::now());
    let a = net.add_node(net.config(Network::Xrpl));
    let b = net.add_node(cfg_with_ips(&net, &[a]));
    assert!(net.run_until(5 * SEC, SEC, |n| n.neighbours(b).len() == 1));
    let now = net.now;
    net.nodes[a].overlay.shutdown(now);
    net.pump();
    assert!(net.nodes[a].closes.iter().any(|(_, r)| *r == DisconnectReason::Shutdown));
    assert!(net.neighbours(b).is_empty());
    assert!(net.nodes[a].overlay.poll_timeout().is_none());
    let json = net.nodes[b].overlay.bootcache_json();
    assert!(json.contains(&net.nodes[a].listen.to_string()), "{json}");
}
