//! Config parsing for the governor: cardano-node target keys and the topology JSON
//! (governor.md §2.2, §15, §16.4). Expected values come from the spec text.

use std::net::SocketAddr;

use protocol_core::governor::config::{
    parse_target_keys, parse_topology, GovernorConfig, GovernorConfigError, LocalRootGroup, Targets,
    TargetsError, MAX_TARGET_ACTIVE, MAX_TARGET_KNOWN, MAX_TARGET_TEXT_BYTES, MAX_TOPOLOGY_BYTES,
};

#[test]
fn defaults_are_the_xrpl_suggestions_of_16_4() {
    let s = parse_target_keys("").unwrap();
    assert_eq!(s.targets, Targets { root: 20, known: 200, established: 13, active: 10 });
    assert!(s.peer_sharing);
    assert!(GovernorConfig::default().validate().is_ok());
}

#[test]
fn cardano_keys_are_read_in_both_spellings() {
    let text = "# governor\nTargetNumberOfRootPeers: 60\nTargetNumberOfKnownPeers = 150\n\
                TargetNumberOfEstablishedPeers: 30 # warm+hot\nTargetNumberOfActivePeers: 20\n\
                PeerSharing: false\nTargetNumberOfKnownBigLedgerPeers: 15\n";
    let s = parse_target_keys(text).unwrap();
    // Cardano relay defaults (§2.3).
    assert_eq!(s.targets, Targets { root: 60, known: 150, established: 30, active: 20 });
    assert!(!s.peer_sharing);
}

#[test]
fn active_above_established_is_a_startup_error_naming_both_keys() {
    let e =
        parse_target_keys("TargetNumberOfActivePeers = 20\nTargetNumberOfEstablishedPeers = 13").unwrap_err();
    assert_eq!(
        e,
        GovernorConfigError::Targets(TargetsError::ActiveAboveEstablished { active: 20, established: 13 })
    );
    let msg = e.to_string();
    assert!(
        msg.contains("TargetNumberOfActivePeers") && msg.contains("TargetNumberOfEstablishedPeers"),
        "{msg}"
    );
}

#[test]
fn other_insane_targets() {
    assert!(matches!(
        parse_target_keys("TargetNumberOfEstablishedPeers = 300"),
        Err(GovernorConfigError::Targets(TargetsError::EstablishedAboveKnown { .. }))
    ));
    assert!(matches!(
        parse_target_keys("TargetNumberOfRootPeers = 201"),
        Err(GovernorConfigError::Targets(TargetsError::RootAboveKnown { .. }))
    ));
    let t = Targets { root: 0, known: 1000, established: 1000, active: MAX_TARGET_ACTIVE + 1 };
    assert!(matches!(t.check(), Err(TargetsError::TooLarge { key: "TargetNumberOfActivePeers", .. })));
    let t = Targets { root: 0, known: MAX_TARGET_KNOWN + 1, established: 0, active: 0 };
    assert!(matches!(t.check(), Err(TargetsError::TooLarge { key: "TargetNumberOfKnownPeers", .. })));
    assert!(Targets { root: 0, known: MAX_TARGET_KNOWN, established: 1000, active: 100 }.check().is_ok());
}

#[test]
fn bad_lines_name_key_and_line() {
    assert_eq!(
        parse_target_keys("\nTargetNumberOfActivePeers = many").unwrap_err(),
        GovernorConfigError::BadValue {
            line: 2,
            key: "TargetNumberOfActivePeers".into(),
            value: "many".into(),
            expected: "a non-negative integer"
        }
    );
    assert_eq!(
        parse_target_keys("TargetNumberOfActivPeers = 3").unwrap_err(),
        GovernorConfigError::UnknownKey { line: 1, key: "TargetNumberOfActivPeers".into() }
    );
    assert_eq!(
        parse_target_keys("PeerSharing = 1\nPeerSharing = 0").unwrap_err(),
        GovernorConfigError::DuplicateKey { line: 2, key: "PeerSharing".into() }
    );
    assert_eq!(parse_target_keys("just words").unwrap_err(), GovernorConfigError::Syntax { line: 1 });
    assert_eq!(
        parse_target_keys("TargetNumberOfActivePeers = -1").unwrap_err().to_string(),
        "line 1: `TargetNumberOfActivePeers` must be a non-negative integer, got `-1`"
    );
    let long = "#".repeat(MAX_TARGET_TEXT_BYTES + 1);
    assert!(matches!(parse_target_keys(&long), Err(GovernorConfigError::TooLong { .. })));
}

const EXAMPLE: &str = r#"{
  "localRoots": [
    {
      "accessPoints": [
        { "address": "10.0.0.11", "port": 51235 },
        { "address": "relay-b.example.internal", "port": 51235 }
      ],
      "advertise": false,
      "trustable": true,
      "hotValency": 1,
      "warmValency": 2,
      "diffusionMode": "InitiatorAndResponder"
    },
    {
      "accessPoints": [ { "address": "203.0.113.7", "port": 6000 } ],
      "advertise": false,
      "behindFirewall": true,
      "valency": 1
    }
  ],
  "publicRoots": [
    { "accessPoints": [ { "address": "r.ripple.com", "port": 51235 }, { "address": "192.0.2.5", "port": 51235 } ], "advertise": false }
  ],
  "bootstrapPeers": [ { "address": "boot-1.example.org", "port": 3001 } ],
  "useLedgerAfterSlot": 0,
  "peerSnapshotFile": "peer-snapshot.json"
}"#;

#[test]
fn topology_example_of_15_2() {
    let t = parse_topology(EXAMPLE).unwrap();
    assert_eq!(t.local_roots.len(), 2);
    let g0 = &t.local_roots[0];
    assert_eq!((g0.hot_valency, g0.warm_valency, g0.trustable, g0.advertise), (1, 2, true, false));
    // Legacy `valency` = hot valency; warm defaults to it (§15.1).
    let g1 = &t.local_roots[1];
    assert_eq!((g1.hot_valency, g1.warm_valency, g1.behind_firewall), (1, 1, true));
    let resolved: SocketAddr = "10.0.0.12:51235".parse().unwrap();
    let groups = t.local_root_groups(51235, |host, port| {
        assert_eq!((host, port), ("relay-b.example.internal", 51235));
        vec![resolved]
    });
    assert_eq!(groups[0].members.len(), 2);
    assert_eq!(groups[0].members[1].addr, resolved);
    assert!(groups[1].members[0].behind_firewall);
    let publics = t.literal_public_roots();
    assert_eq!(publics.len(), 1);
    assert_eq!(publics[0].addr, "192.0.2.5:51235".parse().unwrap());
}

#[test]
fn topology_errors_are_clear() {
    let e =
        parse_topology(r#"{"localRoots":[{"accessPoints":[],"hotValency":3,"warmValency":2}]}"#).unwrap_err();
    assert_eq!(e, GovernorConfigError::HotAboveWarm { group: 0, hot: 3, warm: 2 });
    let e = parse_topology(r#"{"localRoots":[{"accessPoints":[]}]}"#).unwrap_err();
    assert_eq!(e, GovernorConfigError::MissingValency { group: 0 });
    let e = parse_topology(r#"{"localRoots":[{"accessPoints":[],"hotValency":0}]}"#).unwrap_err();
    assert_eq!(e, GovernorConfigError::ZeroValency { group: 0 });
    let e =
        parse_topology(r#"{"localRoots":[{"accessPoints":[{"address":"0.0.0.0","port":1}],"valency":1}]}"#)
            .unwrap_err();
    assert!(e.to_string().contains("localRoots[0].accessPoints[0]"), "{e}");
    let e = parse_topology(r#"{"publicRoots":[{"accessPoints":[{"address":"a.example","port":0}]}]}"#)
        .unwrap_err();
    assert_eq!(e, GovernorConfigError::ZeroPort { field: "publicRoots[0].accessPoints[0]".into() });
    // A typo must not silently drop a target.
    let e = parse_topology(r#"{"localRoots":[{"accessPoints":[],"hotvalency":1}]}"#).unwrap_err();
    assert!(e.to_string().contains("hotvalency"), "{e}");
    assert!(matches!(parse_topology("{"), Err(GovernorConfigError::Json(_))));
    let big = format!("{{\"localRoots\":[],\"x\":\"{}\"}}", "a".repeat(MAX_TOPOLOGY_BYTES));
    assert!(matches!(parse_topology(&big), Err(GovernorConfigError::TooLong { .. })));
}

#[test]
fn ips_fixed_maps_to_a_valency_one_group() {
    let a: SocketAddr = "198.51.100.1:51235".parse().unwrap();
    let g = LocalRootGroup::fixed(a);
    assert_eq!((g.hot_valency, g.warm_valency, g.members.len()), (1, 1, 1));
    assert!(!g.members[0].advertise);
}
