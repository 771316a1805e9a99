//! Message decoding: the §7 type table, wire.json payloads, proto2 required fields and enum
//! ranges (overlay-wire.md §6.4, §7, §8). Payloads are built with a tiny protobuf wire writer
//! below, from the field numbers of the spec, not with prost.

use protocol_core::messages::proto::*;
use protocol_core::messages::*;
use rstest::rstest;
use serde_json::Value;

// -------------------------------------------------------------- independent protobuf wire writer

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Field `n` as a varint.
fn fv(n: u32, v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    varint(u64::from(n) << 3, &mut out);
    varint(v, &mut out);
    out
}

/// Field `n` as length-delimited bytes.
fn fb(n: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint((u64::from(n) << 3) | 2, &mut out);
    varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

fn missing(message: &'static str, field: &'static str) -> MessageError {
    MessageError::MissingField { message, field }
}

// ------------------------------------------------------------------------------- §7 type table

#[test]
fn type_table_matches_spec_section_7() {
    let expected: &[(u16, &str, bool)] = &[
        (1, "mtHELLO", false),
        (2, "mtMANIFESTS", true),
        (3, "mtPING", true),
        (4, "mtPROOFOFWORK", false),
        (5, "mtCLUSTER", true),
        (12, "mtGET_PEERS", false),
        (13, "mtPEERS", false),
        (15, "mtENDPOINTS", true),
        (30, "mtTRANSACTION", true),
        (31, "mtGET_LEDGER", true),
        (32, "mtLEDGER_DATA", true),
        (33, "mtPROPOSE_LEDGER", true),
        (34, "mtSTATUS_CHANGE", true),
        (35, "mtHAVE_SET", true),
        (41, "mtVALIDATION", true),
        (42, "mtGET_OBJECTS", true),
        (50, "mtGET_SHARD_INFO", false),
        (51, "mtSHARD_INFO", false),
        (52, "mtGET_PEER_SHARD_INFO", false),
        (53, "mtPEER_SHARD_INFO", false),
        (54, "mtVALIDATORLIST", true),
        (55, "mtSQUELCH", true),
        (56, "mtVALIDATORLISTCOLLECTION", true),
        (57, "mtPROOF_PATH_REQ", true),
        (58, "mtPROOF_PATH_RESPONSE", true),
        (59, "mtREPLAY_DELTA_REQ", true),
        (60, "mtREPLAY_DELTA_RESPONSE", true),
        (61, "mtGET_PEER_SHARD_INFO_V2", true),
        (62, "mtPEER_SHARD_INFO_V2", true),
        (63, "mtHAVE_TRANSACTIONS", true),
        (64, "mtTRANSACTIONS", true),
    ];
    let table: Vec<(u16, &str, bool)> = MESSAGE_TYPES.iter().map(|(t, n, k)| (t.number(), *n, *k)).collect();
    assert_eq!(table, expected);
    for &(num, name, known) in expected {
        let t = MessageType::from_number(num).unwrap();
        assert_eq!((t.number(), t.name(), t.is_known()), (num, name, known));
    }
    // Unused numbers (§7) are not types.
    for n in (6..=11).chain([14]).chain(16..=29).chain(36..=40).chain(43..=49).chain([0, 65, 0xFFFF]) {
        assert_eq!(MessageType::from_number(n), None, "{n}");
        assert_eq!(type_name(n), "unknown");
    }
}

// ------------------------------------------------------------------------------ wire.json payloads

fn wire_frame(name: &str) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/wire.json");
    let w: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    w["frames"].as_array().unwrap().iter().find(|e| e["name"] == name).unwrap().clone()
}

#[rstest]
#[case("ping")]
#[case("pong")]
fn ping_vectors(#[case] name: &str) {
    let v = wire_frame(name);
    let payload = hex::decode(v["payload_hex"].as_str().unwrap()).unwrap();
    let json = &v["message"]["TMPing"];
    let Some(Message::Ping(p)) = decode(3, &payload).unwrap() else { panic!() };
    let ty = tm_ping::PingType::try_from(p.r#type.unwrap()).unwrap();
    assert_eq!(ty.as_str_name(), json["type"].as_str().unwrap());
    assert_eq!(p.seq.map(u64::from), json["seq"].as_u64());
    assert_eq!(p.ping_time, None);
    // Built from the JSON description, our encoder gives the known bytes.
    let built = TmPing {
        r#type: Some(tm_ping::PingType::from_str_name(json["type"].as_str().unwrap()).unwrap() as i32),
        seq: Some(json["seq"].as_u64().unwrap() as u32),
        ..Default::default()
    };
    assert_eq!(Message::Ping(built).encode_payload(), payload);
}

#[test]
fn endpoints_v2_vector() {
    let v = wire_frame("endpoints_v2");
    let payload = hex::decode(v["payload_hex"].as_str().unwrap()).unwrap();
    let json = &v["message"]["TMEndpoints"];
    let Some(Message::Endpoints(ep)) = decode(15, &payload).unwrap() else { panic!() };
    assert_eq!(ep.version.map(u64::from), json["version"].as_u64());
    assert!(ep.endpoints.is_empty());
    let want: Vec<(String, u32)> = json["endpoints_v2"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["endpoint"].as_str().unwrap().to_string(), e["hops"].as_u64().unwrap() as u32))
        .collect();
    let got: Vec<(String, u32)> =
        ep.endpoints_v2.iter().map(|e| (e.endpoint.clone().unwrap(), e.hops.unwrap())).collect();
    assert_eq!(got, want);
    let built = TmEndpoints {
        version: Some(2),
        endpoints: vec![],
        endpoints_v2: want
            .iter()
            .map(|(e, h)| tm_endpoints::TmEndpointv2 { endpoint: Some(e.clone()), hops: Some(*h) })
            .collect(),
    };
    assert_eq!(Message::Endpoints(built).encode_payload(), payload);
}

#[test]
fn endpoints_v1_legacy_layout_decodes() {
    // divvyd/skywelld: version 1, field 2 = TMEndpoint{ ipv4 = TMIPv4Endpoint{ipv4, ipv4Port}, hops }.
    let ip = u32::from(std::net::Ipv4Addr::new(10, 0, 0, 1));
    let entry = cat(&[fb(1, &cat(&[fv(1, u64::from(ip)), fv(2, 51235)])), fv(2, 3)]);
    let payload = cat(&[fv(1, 1), fb(2, &entry)]);
    let Some(Message::Endpoints(ep)) = decode(15, &payload).unwrap() else { panic!() };
    assert_eq!(ep.version, Some(1));
    assert!(ep.endpoints_v2.is_empty());
    let e = &ep.endpoints[0];
    assert_eq!(e.ipv4, Some(TmIpv4Endpoint { ipv4: Some(ip), ipv4_port: Some(51235) }));
    assert_eq!(e.hops, Some(3));
    assert_eq!(Message::Endpoints(ep).encode_payload(), payload);

    // Required fields inside the v1 entry.
    let no_port = cat(&[fv(1, 1), fb(2, &cat(&[fb(1, &fv(1, u64::from(ip))), fv(2, 3)]))]);
    assert_eq!(decode(15, &no_port), Err(missing("TMIPv4Endpoint", "ipv4Port")));
    let no_ipv4 = cat(&[fv(1, 1), fb(2, &fv(2, 3))]);
    assert_eq!(decode(15, &no_ipv4), Err(missing("TMEndpoint", "ipv4")));
    let no_hops = cat(&[fv(1, 1), fb(2, &fb(1, &cat(&[fv(1, 1), fv(2, 2)])))]);
    assert_eq!(decode(15, &no_hops), Err(missing("TMEndpoint", "hops")));
}

// ------------------------------------------------------------------------------ required fields

/// Empty payload of every known type: which required field rippled reports missing first.
#[rstest]
#[case(2, None)]
#[case(3, Some(("TMPing", "type")))]
#[case(5, None)]
#[case(15, Some(("TMEndpoints", "version")))]
#[case(30, Some(("TMTransaction", "rawTransaction")))]
#[case(31, Some(("TMGetLedger", "itype")))]
#[case(32, Some(("TMLedgerData", "ledgerHash")))]
#[case(33, Some(("TMProposeSet", "proposeSeq")))]
#[case(34, None)]
#[case(35, Some(("TMHaveTransactionSet", "status")))]
#[case(41, Some(("TMValidation", "validation")))]
#[case(42, Some(("TMGetObjectByHash", "type")))]
#[case(54, Some(("TMValidatorList", "manifest")))]
#[case(55, Some(("TMSquelch", "squelch")))]
#[case(56, Some(("TMValidatorListCollection", "version")))]
#[case(57, Some(("TMProofPathRequest", "key")))]
#[case(58, Some(("TMProofPathResponse", "key")))]
#[case(59, Some(("TMReplayDeltaRequest", "ledgerHash")))]
#[case(60, Some(("TMReplayDeltaResponse", "ledgerHash")))]
#[case(61, Some(("TMGetPeerShardInfoV2", "relays")))]
#[case(62, Some(("TMPeerShardInfoV2", "timestamp")))]
#[case(63, None)]
#[case(64, None)]
fn empty_payload_per_type(#[case] ty: u16, #[case] first_missing: Option<(&'static str, &'static str)>) {
    let got = decode(ty, &[]);
    match first_missing {
        None => assert_eq!(got.unwrap().unwrap().message_type().number(), ty),
        Some((m, f)) => assert_eq!(got, Err(missing(m, f))),
    }
}

#[test]
fn every_known_type_is_in_the_required_table() {
    let known = MESSAGE_TYPES.iter().filter(|(_, _, k)| *k).count();
    assert_eq!(known, 23);
}

#[rstest]
#[case::ping_without_type(3, fv(2, 7), "TMPing", "type")]
#[case::endpoint_without_hops(15, cat(&[fv(1, 2), fb(3, &fb(1, b"10.0.0.1:51235"))]), "TMEndpoints.TMEndpointv2", "hops")]
#[case::endpoint_without_address(15, cat(&[fv(1, 2), fb(3, &fv(2, 0))]), "TMEndpoints.TMEndpointv2", "endpoint")]
#[case::manifest_entry(2, fb(1, &[]), "TMManifest", "stobject")]
#[case::cluster_node(5, fb(1, &cat(&[fb(1, b"n9..."), fv(2, 1)])), "TMClusterNode", "nodeLoad")]
#[case::load_source(5, fb(2, &fb(1, b"1.2.3.4")), "TMLoadSource", "cost")]
#[case::tx_status(30, fb(1, b"tx"), "TMTransaction", "status")]
#[case::txs_entry(64, fb(1, &fv(2, 1)), "TMTransaction", "rawTransaction")]
#[case::ledger_node(32, cat(&[fb(1, &[0; 32]), fv(2, 5), fv(3, 1), fb(4, &fb(2, b"id"))]), "TMLedgerNode", "nodedata")]
#[case::ledger_data_type(32, cat(&[fb(1, &[0; 32]), fv(2, 5)]), "TMLedgerData", "type")]
#[case::propose_prev(33, cat(&[fv(1, 1), fb(2, &[0; 32]), fb(3, &[2; 33]), fv(4, 9), fb(5, &[0; 70])]), "TMProposeSet", "previousledger")]
#[case::have_set_hash(35, fv(1, 1), "TMHaveTransactionSet", "hash")]
#[case::get_objects_query(42, fv(1, 7), "TMGetObjectByHash", "query")]
#[case::vl_version(54, cat(&[fb(1, b"m"), fb(2, b"b"), fb(3, b"s")]), "TMValidatorList", "version")]
#[case::squelch_key(55, fv(1, 1), "TMSquelch", "validatorPubKey")]
#[case::blob_info(56, cat(&[fv(1, 2), fb(2, b"m"), fb(3, &fb(2, b"b"))]), "ValidatorBlobInfo", "signature")]
#[case::proof_path_type(57, cat(&[fb(1, b"k"), fb(2, b"h")]), "TMProofPathRequest", "type")]
#[case::shard_incomplete(62, cat(&[fv(1, 1), fb(2, &fv(1, 3))]), "TMPeerShardInfoV2.TMIncomplete", "state")]
#[case::shard_chain(61, cat(&[fb(1, &[]), fv(2, 1)]), "TMPublicKey", "publicKey")]
fn missing_required_field(
    #[case] ty: u16,
    #[case] payload: Vec<u8>,
    #[case] message: &'static str,
    #[case] field: &'static str,
) {
    assert_eq!(decode(ty, &payload), Err(missing(message, field)));
}

#[rstest]
#[case::ping(3, fv(1, 2), "TMPing", "type", 2)]
#[case::tx_status_zero(30, cat(&[fb(1, b"tx"), fv(2, 0)]), "TMTransaction", "status", 0)]
#[case::tx_status_nine(30, cat(&[fb(1, b"tx"), fv(2, 9)]), "TMTransaction", "status", 9)]
#[case::have_set(35, cat(&[fv(1, 4), fb(2, &[0; 32])]), "TMHaveTransactionSet", "status", 4)]
#[case::object_type(42, cat(&[fv(1, 8), fv(2, 1)]), "TMGetObjectByHash", "type", 8)]
#[case::itype(31, fv(1, 4), "TMGetLedger", "itype", 4)]
#[case::map_type(58, cat(&[fb(1, b"k"), fb(2, b"h"), fv(3, 3)]), "TMProofPathResponse", "type", 3)]
fn required_enum_out_of_range(
    #[case] ty: u16,
    #[case] payload: Vec<u8>,
    #[case] message: &'static str,
    #[case] field: &'static str,
    #[case] value: i32,
) {
    assert_eq!(decode(ty, &payload), Err(MessageError::BadEnum { message, field, value }));
}

#[test]
fn in_range_enums_pass() {
    // otTRANSACTIONS = 7 (txrr), tsHELD_LEDGER = 8, reBAD_REQUEST = 3: the highest values.
    assert!(decode(42, &cat(&[fv(1, 7), fv(2, 1)])).unwrap().is_some());
    assert!(decode(30, &cat(&[fb(1, b"tx"), fv(2, 8)])).unwrap().is_some());
    let Some(Message::LedgerData(ld)) =
        decode(32, &cat(&[fb(1, &[0; 32]), fv(2, 5), fv(3, 3), fv(6, 3)])).unwrap()
    else {
        panic!()
    };
    assert_eq!(ld.error, Some(TmReplyError::ReBadRequest as i32));
}

#[test]
fn optional_enum_out_of_range_reads_as_unset() {
    // proto2 closed enums: rippled's parser treats these as absent, the message stays valid.
    let Some(Message::StatusChange(sc)) = decode(34, &cat(&[fv(1, 9), fv(2, 4), fv(3, 100)])).unwrap() else {
        panic!()
    };
    assert_eq!(
        (sc.new_status, sc.new_event, sc.ledger_seq),
        (None, Some(NodeEvent::NeLostSync as i32), Some(100))
    );
    let Some(Message::GetLedger(gl)) = decode(31, &cat(&[fv(1, 0), fv(2, 7), fv(7, 1)])).unwrap() else {
        panic!()
    };
    assert_eq!((gl.ltype, gl.query_type), (None, None));
}

#[test]
fn unknown_and_retired_types_are_skipped() {
    for ty in [0u16, 1, 4, 6, 12, 13, 50, 53, 65, 999, 0xFFFF] {
        assert_eq!(decode(ty, &[0xFF, 0xFF, 0xFF]), Ok(None), "type {ty}");
    }
}

#[test]
fn garbage_for_a_known_type_is_a_protobuf_error() {
    // Truncated varint.
    assert!(matches!(decode(3, &[0x08, 0x80]), Err(MessageError::Protobuf { message_type: "mtPING", .. })));
    // Length beyond the payload.
    assert!(matches!(decode(41, &[0x0A, 0x05, 1]), Err(MessageError::Protobuf { .. })));
}

#[test]
fn unknown_fields_are_ignored() {
    // Field 9 (unknown) next to a valid ping.
    let payload = cat(&[fv(1, 1), fv(9, 5), fb(10, b"x")]);
    let Some(Message::Ping(p)) = decode(3, &payload).unwrap() else { panic!() };
    assert_eq!(p.r#type, Some(1));
}

#[test]
fn legacy_messages_via_decode_checked() {
    let hello = cat(&[fv(1, (1 << 16) | 2), fv(2, (1 << 16) | 2), fb(3, &[2; 33])]);
    assert_eq!(decode_checked::<TmHello>(MessageType::Hello, &hello), Err(missing("TMHello", "nodeProof")));
    let with_pow = cat(&[hello.clone(), fb(4, &[0x30]), fb(12, &fv(2, 1))]);
    assert_eq!(
        decode_checked::<TmHello>(MessageType::Hello, &with_pow),
        Err(missing("TMProofWork", "token"))
    );
    let ok = cat(&[hello, fb(4, &[0x30]), fb(12, &cat(&[fb(1, b"t"), fv(6, 77)]))]);
    let h = decode_checked::<TmHello>(MessageType::Hello, &ok).unwrap();
    assert_eq!(h.proof_of_work.unwrap().result, None);
    assert_eq!(
        decode_checked::<TmGetPeers>(MessageType::GetPeers, &[]),
        Err(missing("TMGetPeers", "doWeNeedThis"))
    );
    assert_eq!(
        decode_checked::<TmPeers>(MessageType::Peers, &fb(1, &fv(1, 1))),
        Err(missing("TMIPv4Endpoint", "ipv4Port"))
    );
}

#[test]
fn errors_read_well() {
    assert_eq!(
        missing("TMEndpoints.TMEndpointv2", "hops").to_string(),
        "TMEndpoints.TMEndpointv2 is missing required field `hops`"
    );
}
