//! rippled.cfg parsing: a realistic rippled example config, every error class with its line
//! number, unknown stanzas kept aside, defaults per network, CLI overrides.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use protocol_core::config::{
    CliOverrides, ConfigErrorKind, NodeConfig, Origin, PeerAddress, PeerHost, RelayPolicy,
};
use protocol_core::keys::Alphabet;
use protocol_core::Network;

/// Shaped after rippled's `cfg/rippled-example.cfg` (stanzas and comments as shipped), plus
/// the peer stanzas an operator adds.
const EXAMPLE: &str = r#"# rippled example configuration
[server]
port_rpc_admin_local
port_peer
port_ws_admin_local
#port_ws_public
#ssl_key = /etc/ssl/private/server.key

[port_rpc_admin_local]
port = 5005
ip = 127.0.0.1
admin = 127.0.0.1
protocol = http

[port_peer]
port = 51235
ip = 0.0.0.0
# alternatively, to accept connections on IPv4 + IPv6, use:
#ip = ::
protocol = peer

[port_ws_admin_local]
port = 6006
ip = 127.0.0.1
admin = 127.0.0.1
protocol = ws
send_queue_limit = 500

[node_size]
medium

[node_db]
type=NuDB
path=/var/lib/rippled/db/nudb
online_delete=512
advisory_delete=0

[database_path]
/var/lib/rippled/db

[debug_logfile]
/var/log/rippled/debug.log

[sntp_servers]
time.windows.com
time.apple.com

[ips]
r.ripple.com 51235
zaphod.alloy.ee:51235
[2001:db8::1]:51236
2001:db8::2
203.0.113.7   # a comment after the value

[ips_fixed]
198.51.100.1 51235

[peers_max]
50

[peer_private]
0

[node_seed]
snoPBrXtMeMyMHUVTgbuqAfg1SUTb

[cluster_nodes]
n94a1u4jAz288pZLtw6yFWVbi89YamiC6JBXPVUj5zmExe5fTVg9 alpha one
n9MTuDc97XTCsvNEo9D3nVNbvqWeLPZ3jXkq9oRyH2Enzd3BV3Co

[network_id]
main

[overlay]
ip_limit = 3
max_unknown_time = 900
max_diverged_time = 120
public_ip = 203.0.113.50

[crawl]
counts = 1
unl = 0

[compression]
true

[ledger_replay]
1

[reduce_relay]
vp_base_squelch_enable = 1
tx_enable = 1
tx_relay_percentage = 30

[server_domain]
example.com

[relay_proposals]
all

[rpc_startup]
{ "command": "log_level", "severity": "warning" }

[validators_file]
validators.txt

[ssl_verify]
1
"#;

#[test]
fn realistic_example_parses() {
    let c = NodeConfig::parse(EXAMPLE).unwrap();
    assert_eq!(c.network, Network::Xrpl);
    let pp = c.peer_port.unwrap();
    assert_eq!((pp.ip, pp.port), (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 51235));
    let ips: Vec<String> = c.ips.iter().map(|a| a.to_string()).collect();
    // A port-less entry gets the profile's fallback port (XRPL: 2459, networks.md §1).
    assert_eq!(
        ips,
        [
            "r.ripple.com:51235",
            "zaphod.alloy.ee:51235",
            "[2001:db8::1]:51236",
            "[2001:db8::2]:2459",
            "203.0.113.7:2459"
        ]
    );
    assert!(!c.ips[3].explicit_port);
    assert_eq!(c.ips_fixed[0].to_string(), "198.51.100.1:51235");
    assert_eq!(c.peers_max, Some(50));
    assert!(!c.peer_private);
    // Known answer: overlay-wire.md §4.4.
    assert_eq!(
        hex::encode_upper(c.node_seed.as_ref().unwrap().as_bytes()),
        "DEDCE9CE67B451D852FD4E846FCDE31C"
    );
    assert_eq!(c.cluster_nodes.len(), 2);
    assert_eq!(
        c.cluster_nodes[0].key.to_hex(),
        "03D49C56E1B185F1BE899AE66A02EFC17F78EA6FC53AF85E0FE54C6E8B7F8C71A8"
    );
    assert_eq!(c.cluster_nodes[0].name.as_deref(), Some("alpha one"));
    assert_eq!(c.cluster_nodes[1].name, None);
    assert_eq!(c.network_id, Some(0));
    assert_eq!(c.overlay.ip_limit, 3);
    assert_eq!(c.overlay.max_unknown_time, Duration::from_secs(900));
    assert_eq!(c.overlay.max_diverged_time, Duration::from_secs(120));
    assert_eq!(c.overlay.public_ip, Some("203.0.113.50".parse().unwrap()));
    assert!(c.crawl.enabled && c.crawl.overlay && c.crawl.server && c.crawl.counts && !c.crawl.unl);
    assert!(c.compression && c.ledger_replay);
    assert!(c.reduce_relay.vp_base_squelch_enable && c.reduce_relay.tx_enable);
    assert_eq!(c.reduce_relay.tx_relay_percentage, 30);
    assert_eq!(c.reduce_relay.tx_min_peers, 20);
    assert_eq!(c.server_domain.as_deref(), Some("example.com"));
    assert_eq!(c.relay_proposals, RelayPolicy::All);
    assert_eq!(c.relay_validations, RelayPolicy::All);
    // Unknown stanzas are ignored but kept verbatim; port sections are not "unknown".
    assert_eq!(c.other_sections["node_size"], ["medium"]);
    assert_eq!(c.other_sections["node_db"][0], "type=NuDB");
    assert_eq!(c.other_sections["rpc_startup"][0], r#"{ "command": "log_level", "severity": "warning" }"#);
    assert!(c.other_sections.contains_key("sntp_servers"));
    assert!(!c.other_sections.contains_key("port_rpc_admin_local"));
    assert!(!c.other_sections.contains_key("ips"));
}

#[test]
fn crlf_and_cr_line_ends_keep_line_numbers() {
    let crlf = "[peers_max]\r\n30\r\n[peer_private]\r\nmaybe\r\n";
    let e = NodeConfig::parse(crlf).unwrap_err();
    assert_eq!((e.section(), e.line()), (Some("peer_private"), Some(4)));
    let cr = "[peers_max]\r30\r";
    assert_eq!(NodeConfig::parse(cr).unwrap().peers_max, Some(30));
}

#[test]
fn defaults_per_network() {
    let x = NodeConfig::parse("").unwrap();
    assert_eq!(x.listening_port(), 51235);
    assert_eq!(x.network_id, None);
    assert!(x.crawl.enabled && !x.crawl.counts && x.vl_enabled);
    assert_eq!(x.overlay.max_unknown_time, Duration::from_secs(600));
    assert_eq!(x.overlay.max_diverged_time, Duration::from_secs(300));
    assert_eq!((x.relay_proposals, x.relay_validations), (RelayPolicy::Trusted, RelayPolicy::All));

    let xah = NodeConfig::parse("[network]\nxahau\n[ips]\nbacab.alloy.ee\n").unwrap();
    assert_eq!(xah.network, Network::Xahau);
    assert_eq!(xah.network_id, Some(21337));
    assert_eq!(xah.listening_port(), 21337);
    assert_eq!(xah.ips[0].port, 21337);

    let xdv = NodeConfig::parse("[network]\nxdv\n").unwrap();
    assert_eq!(xdv.listening_port(), 51255);
}

#[test]
fn server_without_peer_port_means_no_listening() {
    let c = NodeConfig::parse("[server]\nport_rpc\n[port_rpc]\nport = 5005\nprotocol = http\n").unwrap();
    assert_eq!(c.peer_port, None);
    assert_eq!(c.listening_port(), 0);
}

#[test]
fn peers_max_wins_over_in_out_pair() {
    let c = NodeConfig::parse("[peers_max]\n40\n[peers_in_max]\n5\n").unwrap();
    assert_eq!((c.peers_max, c.peers_in_max, c.peers_out_max), (Some(40), None, None));
    let c = NodeConfig::parse("[peers_in_max]\n5\n[peers_out_max]\n12\n").unwrap();
    assert_eq!((c.peers_in_max, c.peers_out_max), (Some(5), Some(12)));
}

#[test]
fn network_id_names_and_numbers() {
    for (text, id) in [("main", 0), ("testnet", 1), ("devnet", 2), ("21338", 21338)] {
        let c = NodeConfig::parse(&format!("[network_id]\n{text}\n")).unwrap();
        assert_eq!(c.network_id, Some(id), "{text}");
    }
}

/// rippled `setup_Overlay`: section keys go through `get<bool>(section, key, default)`, i.e.
/// boost `lexical_cast<bool>` with the default kept (silently) when it throws.
#[test]
fn crawl_keys_keep_their_default_on_values_boost_rejects() {
    let c = NodeConfig::parse("[crawl]\noverlay = true\ncounts = 2\nunl = yes\nserver = 0\n").unwrap();
    assert!(c.crawl.enabled && c.crawl.overlay && !c.crawl.counts && c.crawl.unl && !c.crawl.server);
    let lines: Vec<usize> = c
        .warnings
        .iter()
        .filter_map(|w| match &w.origin {
            protocol_core::config::Origin::Line { section, line } if section == "crawl" => Some(*line),
            _ => None,
        })
        .collect();
    assert_eq!(lines.len(), 3, "{:?}", c.warnings);
    assert!(lines.contains(&2) && lines.contains(&3) && lines.contains(&4));
    // boost's grammar: sign, leading zeros, final 0/1.
    let c = NodeConfig::parse("[crawl]\n+1\ncounts = 001\noverlay = -0\n").unwrap();
    assert!(c.crawl.enabled && c.crawl.counts && !c.crawl.overlay && c.warnings.is_empty());
    // Every section off: rippled's crawlOptions is Disabled and /crawl is not served.
    let c = NodeConfig::parse("[crawl]\noverlay = 0\nserver = 0\nunl = 0\n").unwrap();
    assert!(c.crawl.enabled && !c.crawl.serves());
    assert!(NodeConfig::parse("").unwrap().crawl.serves());
}

#[test]
fn lexical_cast_bool_matches_boost() {
    use protocol_core::config::lexical_cast_bool as b;
    for (t, want) in [
        ("1", Some(true)),
        ("0", Some(false)),
        ("+1", Some(true)),
        ("+0", Some(false)),
        ("-0", Some(false)),
        ("0001", Some(true)),
        ("00", Some(false)),
        ("-1", None),
        ("true", None),
        ("", None),
        ("2", None),
        ("10", None),
        ("01a", None),
        ("+", None),
        (" 1", None),
    ] {
        assert_eq!(b(t), want, "{t:?}");
    }
}

#[test]
fn crawl_master_switch() {
    let c = NodeConfig::parse("[crawl]\n0\n").unwrap();
    assert!(!c.crawl.enabled);
    let c = NodeConfig::parse("[crawl]\n1\noverlay = 0\n").unwrap();
    assert!(c.crawl.enabled && !c.crawl.overlay);
    // Defaults (§13.1: counts off, the rest on); unknown keys are ignored as rippled does.
    assert_eq!(NodeConfig::parse("").unwrap().crawl, protocol_core::crawl::CrawlSections::default());
    let c = NodeConfig::parse("[crawl]\n1\ncounts = 1\noverlay=0\nother = 7\n").unwrap();
    assert!(c.crawl.enabled && c.crawl.counts && !c.crawl.overlay && c.crawl.server && c.crawl.unl);
}

#[test]
fn vp_enable_alias() {
    let c = NodeConfig::parse("[reduce_relay]\nvp_enable = 1\n").unwrap();
    assert!(c.reduce_relay.vp_base_squelch_enable);
}

#[test]
fn escaped_hash_is_kept() {
    let c = NodeConfig::parse("[server_domain]\nexample.com # comment\n").unwrap();
    assert_eq!(c.server_domain.as_deref(), Some("example.com"));
}

/// (config text, section, 1-based line, offending text, kind)
fn expect_error(text: &str, section: &str, line: usize, offending: &str, kind: ConfigErrorKind) {
    let e = NodeConfig::parse(text).expect_err(text);
    assert_eq!(e.origin, Origin::Line { section: section.into(), line }, "{text}: {e}");
    assert_eq!(e.text, offending, "{text}");
    assert_eq!(e.kind, kind, "{text}");
    let shown = e.to_string();
    assert!(shown.contains(&format!("[{section}] line {line}")), "{shown}");
}

#[test]
fn every_error_class_names_section_line_and_text() {
    use ConfigErrorKind::*;
    expect_error("[ips]\nr.ripple.com 51235\nr.ripple.com 99999\n", "ips", 3, "r.ripple.com 99999", BadPort);
    expect_error(
        "[ips_fixed]\n\n# c\nhost 1 2\n",
        "ips_fixed",
        4,
        "host 1 2",
        BadPeerAddress("expected `host port`"),
    );
    expect_error(
        "[ips]\nbad_host!.com\n",
        "ips",
        2,
        "bad_host!.com",
        BadPeerAddress("not a host name or IP address"),
    );
    expect_error("[ips]\n[2001:db8::1\n", "ips", 2, "[2001:db8::1", BadPeerAddress("missing `]`"));
    expect_error("[ips]\n1.2.3.4:0\n", "ips", 2, "1.2.3.4:0", BadPort);
    expect_error("[peers_max]\nmany\n", "peers_max", 2, "many", NotANumber);
    expect_error("[peers_max]\n-3\n", "peers_max", 2, "-3", NotANumber);
    expect_error("\n[peers_in_max]\n5\n", "peers_in_max", 2, "peers_in_max", PeersInOutPair);
    expect_error(
        "[peers_in_max]\n1001\n[peers_out_max]\n10\n",
        "peers_in_max",
        2,
        "1001",
        OutOfRange { min: 0, max: 1000 },
    );
    expect_error(
        "[peers_in_max]\n10\n[peers_out_max]\n9\n",
        "peers_out_max",
        4,
        "9",
        OutOfRange { min: 10, max: 1000 },
    );
    expect_error("[peer_private]\n2\n", "peer_private", 2, "2", NotABool);
    expect_error("[peers_max]\n10\n20\n", "peers_max", 3, "20", TooManyValues);
    expect_error("[network]\nripple-classic\n", "network", 2, "ripple-classic", UnknownNetwork);
    expect_error("[network_id]\nmainnet\n", "network_id", 2, "mainnet", BadNetworkId);
    expect_error("[network_id]\n4294967296\n", "network_id", 2, "4294967296", BadNetworkId);
    let e = NodeConfig::parse("[node_seed]\nsnoPBrXtMeMyMHUVTgbuqAfg1SUTc\n").unwrap_err();
    assert!(matches!(e.kind, BadSeed(_)) && e.line() == Some(2), "{e}");
    let e = NodeConfig::parse("[cluster_nodes]\nn9bogus name\n").unwrap_err();
    assert!(matches!(e.kind, BadNodeKey(_)) && e.line() == Some(2) && e.text == "n9bogus name", "{e}");
    expect_error(
        "[overlay]\nmax_unknown_time = 299\n",
        "overlay",
        2,
        "299",
        OutOfRange { min: 300, max: 1800 },
    );
    expect_error(
        "[overlay]\nmax_unknown_time = 1801\n",
        "overlay",
        2,
        "1801",
        OutOfRange { min: 300, max: 1800 },
    );
    expect_error("[overlay]\nmax_diverged_time = 59\n", "overlay", 2, "59", OutOfRange { min: 60, max: 900 });
    expect_error(
        "[overlay]\nmax_diverged_time = 901\n",
        "overlay",
        2,
        "901",
        OutOfRange { min: 60, max: 900 },
    );
    expect_error("[overlay]\nmax_diverged_time = 5m\n", "overlay", 2, "5m", NotANumber);
    expect_error("[overlay]\npublic_ip = 10.1.2.3\n", "overlay", 2, "10.1.2.3", NotPublicIp);
    expect_error("[overlay]\npublic_ip = example.com\n", "overlay", 2, "example.com", BadIp);
    expect_error("[overlay]\nip_limit = -1\n", "overlay", 2, "-1", NotANumber);
    // overlay-wire.md §13.1: more than one bare value is an error.
    expect_error("[crawl]\n1\n0\n", "crawl", 3, "0", TooManyValues);
    expect_error("[crawl]\nyes\n", "crawl", 2, "yes", NotABool);
    expect_error("[crawl]\ntrue\n", "crawl", 2, "true", NotABool);
    expect_error("[compression]\nlz4\n", "compression", 2, "lz4", NotABool);
    expect_error("[ledger_replay]\non\n", "ledger_replay", 2, "on", NotABool);
    expect_error(
        "[reduce_relay]\nvp_base_squelch_enable = 1\nvp_enable = 1\n",
        "reduce_relay",
        3,
        "1",
        Conflicting("vp_base_squelch_enable", "vp_enable"),
    );
    expect_error(
        "[reduce_relay]\ntx_relay_percentage = 9\n",
        "reduce_relay",
        2,
        "9",
        OutOfRange { min: 10, max: 100 },
    );
    expect_error(
        "[reduce_relay]\ntx_relay_percentage = 101\n",
        "reduce_relay",
        2,
        "101",
        OutOfRange { min: 10, max: 100 },
    );
    expect_error(
        "[reduce_relay]\ntx_min_peers = 9\n",
        "reduce_relay",
        2,
        "9",
        OutOfRange { min: 10, max: u32::MAX as u64 },
    );
    expect_error(
        "[reduce_relay]\nvp_base_squelch_max_selected_peers = 2\n",
        "reduce_relay",
        2,
        "2",
        OutOfRange { min: 3, max: u32::MAX as u64 },
    );
    expect_error("[server_domain]\n-bad-.com\n", "server_domain", 2, "-bad-.com", BadDomain);
    expect_error("[server_domain]\nlocalhost\n", "server_domain", 2, "localhost", BadDomain);
    expect_error(
        "[relay_validations]\nsome\n",
        "relay_validations",
        2,
        "some",
        BadChoice("all, trusted, drop_untrusted"),
    );
    expect_error("[port_peer]\nport = 51235\nprotocol = http\n", "port_peer", 3, "http", NotAPeerPort);
    expect_error("[port_peer]\nport = 51235\n", "port_peer", 1, "port_peer", NotAPeerPort);
    expect_error("[port_peer]\nport = 0\nprotocol = peer\n", "port_peer", 2, "0", BadPort);
    expect_error(
        "[port_peer]\nport = 51235\nip = nowhere\nprotocol = peer\n",
        "port_peer",
        3,
        "nowhere",
        BadIp,
    );
    expect_error(
        "[server]\na\nb\n[a]\nprotocol = peer\n[b]\nprotocol = peer,ws\n",
        "b",
        6,
        "b",
        MultiplePeerPorts,
    );
}

#[test]
fn oversized_text_is_refused_without_parsing() {
    let big = "#".repeat(protocol_core::config::MAX_CONFIG_BYTES + 1);
    assert_eq!(NodeConfig::parse(&big).unwrap_err().kind, ConfigErrorKind::TooLarge);
}

#[test]
fn peer_address_forms() {
    let p = |s: &str| PeerAddress::parse(s, 2459).unwrap();
    assert_eq!(p("1.2.3.4 51235").host, PeerHost::Ip("1.2.3.4".parse().unwrap()));
    assert_eq!(p("1.2.3.4:51235").port, 51235);
    assert_eq!(p("[::1] 5").host, PeerHost::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)));
    assert_eq!(p("[::1] 5").port, 5);
    assert_eq!(p("fe80::1 51235").port, 51235);
    assert_eq!(p("host.example").port, 2459);
    assert!(PeerAddress::parse("[::1]:5 6", 2459).is_err());
    assert!(PeerAddress::parse("1.2.3.4:x", 2459).is_err());
    assert!(PeerAddress::parse("a:b:c", 2459).is_err());
}

#[test]
fn seeds_and_keys_use_the_network_alphabet() {
    // SWTC alphabet swaps r and j (known answer from wire.json).
    let swtc = "[network]\nswtc\n[cluster_nodes]\nn94a1u4rAz288pZLtw6yFWVbi89YamiC6JBXPVUr5zmExe5fTVg9\n";
    let c = NodeConfig::parse(swtc).unwrap();
    assert_eq!(
        c.cluster_nodes[0].key.to_base58(Alphabet::Xrpl),
        "n94a1u4jAz288pZLtw6yFWVbi89YamiC6JBXPVUj5zmExe5fTVg9"
    );
    let wrong = "[network]\nswtc\n[cluster_nodes]\nn94a1u4jAz288pZLtw6yFWVbi89YamiC6JBXPVUj5zmExe5fTVg9\n";
    assert_eq!(NodeConfig::parse(wrong).unwrap_err().line(), Some(4));
}

#[test]
fn command_line_overrides() {
    let cli = CliOverrides {
        network: Some(Network::Xahau),
        peer_port: Some(21338),
        ips: vec!["9.9.9.9".into()],
        ips_fixed: vec![],
        peers_max: Some(30),
        peer_private: Some(true),
    };
    let c = NodeConfig::parse_with(
        "[network]\nxrpl\n[ips]\nr.ripple.com 51235\n[port_peer]\nip = ::\nport = 1\nprotocol = peer\n",
        &cli,
    )
    .unwrap();
    assert_eq!(c.network, Network::Xahau);
    assert_eq!(c.peer_port.unwrap().port, 21338);
    assert_eq!(c.peer_port.unwrap().ip, "::".parse::<IpAddr>().unwrap());
    assert_eq!(c.ips.len(), 1);
    assert_eq!(c.ips[0].to_string(), "9.9.9.9:21337");
    assert_eq!(c.peers_max, Some(30));
    assert!(c.peer_private);

    let bad = CliOverrides { ips: vec!["1.2.3.4:70000".into()], ..Default::default() };
    let e = NodeConfig::parse_with("", &bad).unwrap_err();
    assert_eq!(e.origin, Origin::CommandLine { option: "--ips".into() });
    assert_eq!(e.kind, ConfigErrorKind::BadPort);
    assert_eq!(e.line(), None);
}
