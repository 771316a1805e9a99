//! Overlay limits: pending handshakes, per-IP inbound limit, resource drop, oversized heads,
//! endpoints in both layouts.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use protocol_core::framing::{encode_frame, FrameOptions};
use protocol_core::messages::{proto, Message};
use protocol_core::network::Network;
use protocol_core::overlay::testing::{node_ip, Net};
use protocol_core::overlay::{DisconnectReason, Input, Overlay, OverlayConfig, Refused, MAX_HTTP_HEAD_BYTES};
use protocol_core::resource::{Charge, DECAY_WINDOW_SECS, DROP_THRESHOLD};

const SEC: Duration = Duration::from_secs(1);

fn listen(o: &Overlay) -> SocketAddr {
    SocketAddr::new(node_ip(0), o.config().peerfinder.listening_port)
}

#[test]
fn pending_handshakes_are_bounded_by_evicting_the_busiest_address() {
    let now = Instant::now();
    let mut cfg = OverlayConfig::new(Network::Xrpl);
    cfg.max_pending_handshakes = 3;
    let mut o = Overlay::new(cfg, protocol_core::overlay::testing::node_key(0), now, 1);
    let l = listen(&o);
    // Private sources are exempt from the per-IP limit, so only the pending cap applies.
    let flood: Vec<_> = (0..3)
        .map(|port| o.accept(now, SocketAddr::new("10.0.0.1".parse().unwrap(), 1000 + port), l).unwrap())
        .collect();
    // A fourth connection evicts the oldest of the flood instead of being refused.
    let newcomer = o.accept(now, "10.0.0.2:2000".parse().unwrap(), l).unwrap();
    let closes: Vec<_> = std::iter::from_fn(|| o.poll_output())
        .filter_map(|out| match out {
            protocol_core::overlay::Output::Close { conn, reason } => Some((conn, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(closes, vec![(flood[0], DisconnectReason::Evicted)]);
    // 10.0.0.1 still holds the most pending connections: it pays again, not the newcomer.
    o.accept(now, "10.0.0.3:3000".parse().unwrap(), l).unwrap();
    let evicted: Vec<_> = std::iter::from_fn(|| o.poll_output())
        .filter_map(|out| match out {
            protocol_core::overlay::Output::Close { conn, .. } => Some(conn),
            _ => None,
        })
        .collect();
    assert_eq!(evicted, vec![flood[1]]);
    assert_ne!(evicted[0], newcomer);
    // The deadline frees them all.
    o.handle_timeout(now + Duration::from_secs(15));
    assert!(o.accept(now + Duration::from_secs(15), "10.0.0.1:2001".parse().unwrap(), l).is_ok());
}

#[test]
fn a_table_full_of_outbound_attempts_refuses_inbound() {
    let now = Instant::now();
    let mut cfg = OverlayConfig::new(Network::Xrpl);
    cfg.max_pending_handshakes = 2;
    cfg.fixed_peers = vec!["10.1.0.1:51235".parse().unwrap(), "10.1.0.2:51235".parse().unwrap()];
    let mut o = Overlay::new(cfg, protocol_core::overlay::testing::node_key(0), now, 1);
    o.handle_timeout(now);
    let dials = std::iter::from_fn(|| o.poll_output())
        .filter(|out| matches!(out, protocol_core::overlay::Output::Connect { .. }))
        .count();
    assert_eq!(dials, 2, "both fixed peers are dialled at once");
    let l = listen(&o);
    let err = o.accept(now, "10.0.0.1:2000".parse().unwrap(), l).unwrap_err();
    assert_eq!(err, Refused::TooManyPendingHandshakes(2));
}

#[test]
fn per_ip_inbound_limit_and_duplicate_endpoint() {
    let now = Instant::now();
    let mut o =
        Overlay::new(OverlayConfig::new(Network::Xrpl), protocol_core::overlay::testing::node_key(0), now, 1);
    let l = listen(&o);
    let limit = o.peerfinder().config().ip_limit;
    assert_eq!(limit, 2, "rippled's automatic limit for 11 inbound slots (peerfinder.md §3.2)");
    let ip: IpAddr = "198.51.100.77".parse().unwrap();
    for port in 0..limit as u16 {
        o.accept(now, SocketAddr::new(ip, 5000 + port), l).unwrap();
    }
    assert_eq!(o.accept(now, SocketAddr::new(ip, 6000), l).unwrap_err(), Refused::PerIpLimit(limit));
    let other: SocketAddr = "198.51.100.78:5000".parse().unwrap();
    o.accept(now, other, l).unwrap();
    assert_eq!(o.accept(now, other, l).unwrap_err(), Refused::DuplicateEndpoint(other));
}

#[test]
fn oversized_http_head_closes_without_answer() {
    let mut net = Net::new(Instant::now());
    let a = net.add_node(OverlayConfig::new(Network::Xrpl));
    let (raw, _) = net.raw_connect(a, node_ip(40)).unwrap();
    let mut head = b"GET / HTTP/1.1\r\nX-Pad: ".to_vec();
    head.resize(MAX_HTTP_HEAD_BYTES + 1, b'a');
    net.raw_send(raw, &head);
    assert!(net.raws[raw].closed);
    assert!(net.raws[raw].received.is_empty());
    assert!(matches!(net.nodes[a].closes.last().unwrap().1, DisconnectReason::Handshake(_)));
}

#[test]
fn ping_flood_is_dropped_for_resources_and_address_refused_afterwards() {
    let mut net = Net::new(Instant::now());
    let a = net.add_node(OverlayConfig::new(Network::Xrpl));
    let mut cb = OverlayConfig::new(Network::Xrpl);
    cb.bootstrap = vec![net.nodes[a].listen];
    let b = net.add_node(cb);
    assert!(net.run_until(5 * SEC, SEC, |n| n.neighbours(a).len() == 1));
    let conn = net.conn_between(b, a).unwrap();
    let ping =
        Message::Ping(proto::TmPing { r#type: Some(0), seq: Some(1), ping_time: None, net_time: None });
    let mut frame = vec![];
    encode_frame(3, &ping.encode_payload(), &FrameOptions::modern(false), &mut frame).unwrap();
    // rippled charges each message once (PeerImp::onMessageEnd), a ping at feeModerateBurdenPeer
    // (250, §10.3); the drop comes at 25 000 × 32 units charged within one second: ping 3200.
    let needed = (DROP_THRESHOLD * DECAY_WINDOW_SECS) / Charge::ModeratePeer.units();
    assert_eq!(needed, 3200);
    let mut flood = vec![];
    for _ in 0..needed - 1 {
        flood.extend(&frame);
    }
    net.inject(b, conn, &flood);
    assert_eq!(net.neighbours(a).len(), 1, "dropped before the threshold");
    net.inject(b, conn, &frame);
    assert!(net.neighbours(a).is_empty());
    assert_eq!(net.nodes[a].closes.last().unwrap().1, DisconnectReason::Resources);
    // /crawl counts it (rippled emits these counters as strings).
    let doc = net.nodes[a].overlay.crawl_document(net.now).unwrap();
    assert_eq!(doc["server"]["peer_disconnects"], "1");
    assert_eq!(doc["server"]["peer_disconnects_resources"], "1");
    let now = net.now;
    let b_ip = net.nodes[b].ip;
    let l = net.nodes[a].listen;
    let refused = net.nodes[a].overlay.accept(now, SocketAddr::new(b_ip, 50000), l);
    assert_eq!(refused.unwrap_err(), Refused::ResourceLimit);
}

#[test]
fn legacy_network_links_and_exchanges_v1_endpoints() {
    // XDV: RTXP/1.2, 32-bit frame lengths, v1 TMEndpoints (networks.md).
    let mut net = Net::new(Instant::now());
    let a = net.add_node(OverlayConfig::new(Network::Xdv));
    let mut cb = OverlayConfig::new(Network::Xdv);
    cb.bootstrap = vec![net.nodes[a].listen];
    let b = net.add_node(cb);
    assert!(net.run_until(5 * SEC, SEC, |n| n.neighbours(a).len() == 1));
    assert_eq!(net.nodes[a].overlay.peers()[0].version.to_string(), "RTXP/1.2");
    // Two TMEndpoints rounds: B's listening address reaches A's Livecache through v1 entries.
    let b_port = net.nodes[b].listen.port();
    assert!(net.run_until(Duration::from_secs(400), SEC, |n| {
        n.nodes[a].overlay.peerfinder().slots().any(|s| s.listening_port == Some(b_port))
    }));
    assert_eq!(net.neighbours(b).len(), 1);
}

#[test]
fn stuck_send_queue_is_dropped_on_the_fifth_tick() {
    // rippled PeerImp::onTimer: `if (large_sendq_++ >= sendqIntervals) fail("Large send queue")`
    // with sendqIntervals = 4 and targetSendQueue = 128 (§10.1): a queue that never drains
    // survives four ticks and is dropped on the fifth.
    let mut net = Net::new(Instant::now());
    let mut ca = OverlayConfig::new(Network::Xrpl);
    ca.ping_interval = 10 * SEC;
    let a = net.add_node(ca);
    let mut cb = OverlayConfig::new(Network::Xrpl);
    cb.bootstrap = vec![net.nodes[a].listen];
    let b = net.add_node(cb);
    assert!(net.run_until(5 * SEC, SEC / 10, |n| n.neighbours(a).len() == 1));
    let conn = net.conn_between(a, b).unwrap();
    net.input(a, Input::SendQueue { conn, messages: protocol_core::relay::TARGET_SEND_QUEUE });
    net.run_for(45 * SEC, SEC);
    assert_eq!(net.neighbours(a).len(), 1, "dropped before the fifth tick");
    net.run_for(10 * SEC, SEC);
    assert!(net.neighbours(a).is_empty());
    assert!(net.nodes[a].closes.iter().any(|(c, r)| *c == conn && *r == DisconnectReason::LargeSendQueue));
}
