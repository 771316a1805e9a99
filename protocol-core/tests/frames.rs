//! Framing against the known answers of `vectors/wire.json` (liblz4, rippled capture) and the
//! header rules of overlay-wire.md §6.

use proptest::prelude::*;
use protocol_core::framing::*;
use protocol_core::messages::{self, Message, MessageType};
use protocol_core::network::FrameDialect;
use rstest::rstest;
use serde_json::Value;

fn wire() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/wire.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("vectors/wire.json")).expect("json")
}

fn entry(section: &str, name: &str) -> Value {
    wire()[section]
        .as_array()
        .expect("section")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no {section} entry {name}"))
        .clone()
}

fn hex_field(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(v[key].as_str().unwrap_or_else(|| panic!("{key}"))).expect("hex")
}

fn lz4_decompress(input: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    assert_eq!(lz4_flex::block::decompress_into(input, &mut out).unwrap(), len);
    out
}

fn lz4_compressed_len(input: &[u8]) -> usize {
    let mut out = vec![0; lz4_flex::block::get_maximum_output_size(input.len())];
    lz4_flex::block::compress_into(input, &mut out).unwrap()
}

fn decode_all(bytes: &[u8], opts: FrameOptions) -> Result<Vec<Frame>, FrameError> {
    let mut d = FrameDecoder::new(opts);
    d.push(bytes);
    let mut out = Vec::new();
    while let Some(f) = d.next_frame()? {
        out.push(f);
    }
    assert_eq!(d.buffered_len(), 0, "trailing bytes");
    Ok(out)
}

#[test]
fn every_frames_entry_is_covered() {
    let names: Vec<String> =
        wire()["frames"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().into()).collect();
    assert_eq!(names, ["ping", "pong", "endpoints_v2", "endpoints_v2_lz4"]);
}

#[rstest]
#[case::ping("ping")]
#[case::pong("pong")]
#[case::endpoints_v2("endpoints_v2")]
fn uncompressed_frame_vectors(#[case] name: &str, #[values(false, true)] lz4_link: bool) {
    let v = entry("frames", name);
    let ty = v["type"].as_u64().unwrap() as u16;
    let payload = hex_field(&v, "payload_hex");
    let frame = hex_field(&v, "frame_hex");
    let opts = FrameOptions::modern(lz4_link);

    // Encode: exact bytes, even with LZ4 negotiated (ping is not compressible, endpoints is <= 70 B).
    let mut out = Vec::new();
    assert!(!encode_frame(ty, &payload, &opts, &mut out).unwrap());
    assert_eq!(hex::encode_upper(&out), hex::encode_upper(&frame));

    // Decode.
    let frames = decode_all(&frame, opts).unwrap();
    assert_eq!(frames, vec![Frame { message_type: ty, payload: payload.clone(), compressed: false }]);
    let msg = messages::decode(ty, &frames[0].payload).unwrap().expect("known type");
    assert_eq!(msg.message_type().number(), ty);
    assert_eq!(msg.encode_payload(), payload);
}

#[test]
fn endpoints_v2_lz4_decodes_liblz4_bytes() {
    let v = entry("frames", "endpoints_v2_lz4");
    assert!(v["note"].as_str().unwrap().contains("encoders need not match"));
    let frame = hex_field(&v, "frame_hex");
    let payload = hex_field(&v, "uncompressed_payload_hex");

    let frames = decode_all(&frame, FrameOptions::modern(true)).unwrap();
    assert_eq!(frames, vec![Frame { message_type: 15, payload: payload.clone(), compressed: true }]);
    let Some(Message::Endpoints(ep)) = messages::decode(15, &payload).unwrap() else { panic!("endpoints") };
    assert_eq!(ep.version, Some(2));
    assert_eq!(ep.endpoints_v2.len(), 59);
    assert_eq!(ep.endpoints_v2[0].endpoint.as_deref(), Some("192.0.2.1:51235"));
    assert_eq!(ep.endpoints_v2[0].hops, Some(1));

    // Same frame on a link without compr=lz4: protocol error (§6.4).
    assert_eq!(
        decode_all(&frame, FrameOptions::modern(false)),
        Err(FrameError::CompressionNotNegotiated { message_type: 15 })
    );
}

#[test]
fn endpoints_v2_lz4_encoder_follows_rippled_rule() {
    // The note says our LZ4 bytes need not equal liblz4's; check the header rule instead.
    let payload = hex_field(&entry("frames", "endpoints_v2_lz4"), "uncompressed_payload_hex");
    let mut out = Vec::new();
    assert!(encode_frame(15, &payload, &FrameOptions::modern(true), &mut out).unwrap());
    assert_eq!(out[0] & 0xF0, 0x90);
    assert_eq!(&out[4..6], &[0, 15]);
    assert_eq!(u32::from_be_bytes(out[6..10].try_into().unwrap()) as usize, payload.len());
    let wire_len = u32::from_be_bytes(out[0..4].try_into().unwrap()) as usize & 0x0FFF_FFFF;
    assert_eq!(wire_len, out.len() - COMPRESSED_HEADER_BYTES);
    assert!(wire_len < payload.len() - 4);
    // Our LZ4 block must be a valid block: decode it with lz4_flex directly (bypassing our
    // framing code); liblz4 itself is not available to the tests.
    assert_eq!(lz4_decompress(&out[10..], payload.len()), payload);
}

#[rstest]
#[case::top_bits("uncompressed header with any of the top six bits set", true, FrameError::BadHeader { byte0: 0x04 })]
#[case::algo("compressed flag with a non-LZ4 algorithm nibble", true, FrameError::UnknownCompression { byte0: 0xA0 })]
#[case::reserved("compressed header with reserved bits 0x0C set", true, FrameError::ReservedBits { byte0: 0x9C })]
#[case::too_large_lz4_link(
    "declared uncompressed length over 64 MiB",
    true,
    FrameError::TooLarge { field: LengthField::Uncompressed, declared: 0x0400_0001, limit: MAX_PAYLOAD_BYTES }
)]
#[case::too_large_plain_link(
    "declared uncompressed length over 64 MiB",
    false,
    FrameError::TooLarge { field: LengthField::Uncompressed, declared: 0x0400_0001, limit: MAX_PAYLOAD_BYTES }
)]
#[case::not_negotiated(
    "compressed frame on a link that did not negotiate compr=lz4",
    false,
    FrameError::CompressionNotNegotiated { message_type: 15 }
)]
fn bad_frame_headers(#[case] name: &str, #[case] lz4_link: bool, #[case] expected: FrameError) {
    let v = entry("bad_frame_headers", name);
    assert_eq!(v["expect"], "disconnect");
    let bytes = hex_field(&v, "bytes_hex");
    let mut d = FrameDecoder::new(FrameOptions::modern(lz4_link));
    d.push(&bytes);
    assert_eq!(d.next_frame(), Err(expected.clone()));
    // The decoder stays dead: more input is ignored and the error repeats.
    d.push(&[0, 0, 0, 0, 0, 3]);
    assert_eq!(d.next_frame(), Err(expected));
    assert_eq!(d.buffered_capacity(), 0);
}

#[test]
fn every_bad_frame_header_is_covered() {
    assert_eq!(wire()["bad_frame_headers"].as_array().unwrap().len(), 5);
}

#[test]
fn captured_rippled_validation_round_trips() {
    let v = entry("captured_frames", "TMValidation from rippled 1.9.3 (captured by a third-party suite)");
    let frame = hex_field(&v, "frame_hex");
    assert_eq!(v["type"], 41);
    for lz4_link in [false, true] {
        let opts = FrameOptions::modern(lz4_link);
        let frames = decode_all(&frame, opts).unwrap();
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].message_type, MessageType::Validation.number());
        let msg = messages::decode(41, &frames[0].payload).unwrap().expect("known");
        let Message::Validation(val) = &msg else { panic!("not a TMValidation: {msg:?}") };
        assert_eq!(val.validation.as_ref().map(Vec::len), Some(0xe8));
        let mut out = Vec::new();
        encode_frame(41, &msg.encode_payload(), &opts, &mut out).unwrap();
        assert_eq!(out, frame);
    }
}

/// (message type, uncompressed payload, arrived compressed)
type Expected = (u16, Vec<u8>, bool);

fn all_vector_frames() -> (Vec<u8>, Vec<Expected>) {
    let w = wire();
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for e in w["frames"].as_array().unwrap().iter().chain(w["captured_frames"].as_array().unwrap()) {
        stream.extend(hex_field(e, "frame_hex"));
        let compressed = e["compressed"].as_bool().unwrap_or(false);
        let payload = if compressed {
            hex_field(e, "uncompressed_payload_hex")
        } else if e.get("payload_hex").is_some() {
            hex_field(e, "payload_hex")
        } else {
            hex_field(e, "frame_hex")[HEADER_BYTES..].to_vec()
        };
        expected.push((e["type"].as_u64().unwrap() as u16, payload, compressed));
    }
    (stream, expected)
}

#[test]
fn byte_at_a_time() {
    let (stream, expected) = all_vector_frames();
    let mut d = FrameDecoder::new(FrameOptions::modern(true));
    let mut got = Vec::new();
    for b in &stream {
        d.push(std::slice::from_ref(b));
        while let Some(f) = d.next_frame().unwrap() {
            got.push((f.message_type, f.payload, f.compressed));
        }
        assert!(d.buffered_capacity() <= stream.len() + MAX_BUFFER_SLACK);
    }
    assert_eq!(got, expected);
    assert_eq!(d.buffered_len(), 0);
}

#[test]
fn whole_stream_in_one_push_and_borrowed_frames() {
    let (stream, expected) = all_vector_frames();
    let mut d = FrameDecoder::new(FrameOptions::modern(true));
    d.push(&stream);
    let mut n = 0;
    while let Some(f) = d.next_frame_ref().unwrap() {
        assert_eq!((f.message_type, f.payload.to_vec(), f.compressed), expected[n]);
        n += 1;
    }
    assert_eq!(n, expected.len());
    // Stateless decoding of the same stream.
    let mut rest = &stream[..];
    for exp in &expected {
        let (f, used) = decode_frame(rest, &FrameOptions::modern(true)).unwrap().unwrap();
        assert_eq!((f.message_type, f.payload.to_vec(), f.compressed), *exp);
        rest = &rest[used..];
    }
    assert!(rest.is_empty());
}

/// Feeds `stream` in reads of the given sizes through the zero-copy `decode_next`.
fn decode_next_in_reads(
    stream: &[u8],
    cuts: &[usize],
    opts: FrameOptions,
) -> Result<Vec<Expected>, FrameError> {
    let mut d = FrameDecoder::new(opts);
    let mut got = Vec::new();
    let mut rest = stream;
    let mut i = 0;
    while !rest.is_empty() {
        let n = cuts[i % cuts.len()].min(rest.len());
        i += 1;
        let mut input = &rest[..n];
        rest = &rest[n..];
        while let Some(f) = d.decode_next(&mut input)? {
            got.push((f.message_type, f.payload.to_vec(), f.compressed));
        }
        assert!(input.is_empty());
        assert!(d.buffered_capacity() <= stream.len() + MAX_BUFFER_SLACK);
    }
    assert_eq!(d.buffered_len(), 0);
    Ok(got)
}

#[test]
fn zero_copy_feeding() {
    let (stream, expected) = all_vector_frames();
    for cuts in [vec![1], vec![stream.len()], vec![7, 1, 300, 2], vec![16 * 1024]] {
        assert_eq!(decode_next_in_reads(&stream, &cuts, FrameOptions::modern(true)).unwrap(), expected);
    }
    // Frames that lie whole in the read are borrowed from it: nothing is buffered.
    let mut d = FrameDecoder::new(FrameOptions::modern(true));
    let mut input = &stream[..];
    while let Some(f) = d.decode_next(&mut input).unwrap() {
        assert!(matches!(f.payload, std::borrow::Cow::Borrowed(_)) || f.compressed);
    }
    assert_eq!(d.buffered_capacity(), 0);
    // Mixed with push.
    let mut d = FrameDecoder::new(FrameOptions::modern(true));
    d.push(&stream[..3]);
    let mut input = &stream[3..];
    let mut n = 0;
    while d.decode_next(&mut input).unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, expected.len());
    // Errors are sticky here too.
    let mut d = FrameDecoder::new(FrameOptions::modern(false));
    let mut input: &[u8] = &[0x04, 0, 0, 0, 0, 3];
    assert_eq!(d.decode_next(&mut input).err(), Some(FrameError::BadHeader { byte0: 0x04 }));
    assert_eq!(d.next_frame(), Err(FrameError::BadHeader { byte0: 0x04 }));
}

// ---------------------------------------------------------------------------------------- limits

fn header(bytes: &[u8], opts: FrameOptions) -> Result<Option<FrameHeader>, FrameError> {
    parse_header(bytes, &opts)
}

#[test]
fn limit_is_64_mib() {
    assert_eq!(MAX_PAYLOAD_BYTES, 67_108_864);
    // Exactly 64 MiB uncompressed is allowed (the limit is "greater than"), with enough input
    // for the ratio bound (64 MiB / 255 rounded up = 263_173 = 0x040405).
    let ok = [0x90, 0x04, 0x04, 0x05, 0x00, 0x0F, 0x04, 0x00, 0x00, 0x00];
    assert_eq!(
        header(&ok, FrameOptions::modern(true)).unwrap().unwrap().uncompressed_len,
        Some(MAX_PAYLOAD_BYTES)
    );
    // A modern uncompressed length cannot exceed 26 bits, so byte 0 = 0x04 is a header error.
    assert_eq!(
        header(&[0x04, 0, 0, 0, 0, 3], FrameOptions::modern(false)),
        Err(FrameError::BadHeader { byte0: 0x04 })
    );
    assert_eq!(
        header(&[0x03, 0xFF, 0xFF, 0xFF, 0, 3], FrameOptions::modern(false)).unwrap().unwrap().wire_len,
        MAX_LENGTH_26
    );
}

#[test]
fn legacy32_header_uses_all_32_bits_but_keeps_the_limit() {
    let legacy = FrameOptions::legacy32();
    assert_eq!(legacy.dialect, FrameDialect::Legacy32);
    // 64 MiB exactly: fine in the legacy dialect (no 26-bit field).
    assert_eq!(header(&[0x04, 0, 0, 0, 0, 3], legacy).unwrap().unwrap().wire_len, MAX_PAYLOAD_BYTES);
    assert_eq!(
        header(&[0x04, 0, 0, 1, 0, 3], legacy),
        Err(FrameError::TooLarge {
            field: LengthField::Payload,
            declared: 0x0400_0001,
            limit: MAX_PAYLOAD_BYTES
        })
    );
    // The top bit is length, not a compression flag.
    assert_eq!(
        header(&[0x90, 0, 0, 0x10, 0, 15], legacy),
        Err(FrameError::TooLarge {
            field: LengthField::Payload,
            declared: 0x9000_0010,
            limit: MAX_PAYLOAD_BYTES
        })
    );
    // Same ping bytes as the modern vector (lengths < 2^26 are written identically).
    let v = entry("frames", "ping");
    let mut out = Vec::new();
    assert!(!encode_frame(3, &hex_field(&v, "payload_hex"), &legacy, &mut out).unwrap());
    assert_eq!(out, hex_field(&v, "frame_hex"));
    assert_eq!(decode_all(&out, legacy).unwrap()[0].payload, hex_field(&v, "payload_hex"));
    // Never compressed, even if the caller sets compression.
    let big = vec![0u8; 1000];
    let opts = FrameOptions { dialect: FrameDialect::Legacy32, compression: true };
    out.clear();
    assert!(!encode_frame(30, &big, &opts, &mut out).unwrap());
    assert_eq!(out.len(), HEADER_BYTES + 1000);
}

#[test]
fn lz4_ratio_bound_rejects_before_allocating() {
    assert_eq!(LZ4_MAX_RATIO, 255);
    let opts = FrameOptions::modern(true);
    // 1 compressed byte may claim up to 255 bytes...
    assert!(header(&[0x90, 0, 0, 1, 0, 15, 0, 0, 0, 255], opts).unwrap().is_some());
    // ...not 256.
    assert_eq!(
        header(&[0x90, 0, 0, 1, 0, 15, 0, 0, 1, 0], opts),
        Err(FrameError::ImplausibleRatio { compressed: 1, uncompressed: 256 })
    );
    // Zero sizes are refused like rippled's lz4Decompress does.
    assert!(matches!(header(&[0x90, 0, 0, 0, 0, 15, 0, 0, 0, 5], opts), Err(FrameError::Decompress { .. })));
    assert!(matches!(header(&[0x90, 0, 0, 5, 0, 15, 0, 0, 0, 0], opts), Err(FrameError::Decompress { .. })));
}

#[test]
fn lz4_must_yield_exactly_the_declared_size() {
    let v = entry("frames", "endpoints_v2_lz4");
    let mut frame = hex_field(&v, "frame_hex");
    let declared = u32::from_be_bytes(frame[6..10].try_into().unwrap());
    for wrong in [declared - 1, declared + 1] {
        frame[6..10].copy_from_slice(&wrong.to_be_bytes());
        assert!(matches!(
            decode_all(&frame, FrameOptions::modern(true)),
            Err(FrameError::Decompress { message_type: 15, .. })
        ));
    }
    // Corrupt block: a truncated copy of the liblz4 bytes with a fixed-up length.
    let mut frame = hex_field(&v, "frame_hex");
    frame.truncate(frame.len() - 20);
    let wire = (frame.len() - 10) as u32;
    frame[0..4].copy_from_slice(&(wire | 0x9000_0000).to_be_bytes());
    assert!(matches!(decode_all(&frame, FrameOptions::modern(true)), Err(FrameError::Decompress { .. })));
}

#[test]
fn declared_length_is_not_allocated_up_front() {
    // Header declaring 60 MiB, then only 1000 bytes of body.
    let len: u32 = 60 << 20;
    let mut bytes = len.to_be_bytes().to_vec();
    bytes.extend([0, 30]);
    let mut d = FrameDecoder::new(FrameOptions::modern(false));
    d.push(&bytes);
    assert_eq!(d.next_frame(), Ok(None));
    d.push(&[7u8; 1000]);
    assert_eq!(d.next_frame(), Ok(None));
    assert!(d.buffered_capacity() <= 2 * (1000 + 6), "capacity {}", d.buffered_capacity());
}

// -------------------------------------------------------------------------------- encoder rule

#[rstest]
#[case::exactly_70(30, vec![0u8; 70], true, false)]
#[case::above_70(30, vec![0u8; 71], true, true)]
#[case::not_negotiated(30, vec![0u8; 1000], false, false)]
#[case::ping_never(3, vec![0u8; 1000], true, false)]
#[case::validation_never(41, vec![0u8; 1000], true, false)]
#[case::manifests(2, vec![0u8; 1000], true, true)]
#[case::endpoints(15, vec![0u8; 1000], true, true)]
#[case::get_ledger(31, vec![0u8; 1000], true, true)]
#[case::ledger_data(32, vec![0u8; 1000], true, true)]
#[case::get_objects(42, vec![0u8; 1000], true, true)]
#[case::vl_collection(56, vec![0u8; 1000], true, true)]
#[case::vl_v1_never(54, vec![0u8; 1000], true, false)]
#[case::replay_delta_response(60, vec![0u8; 1000], true, true)]
#[case::transactions(64, vec![0u8; 1000], true, true)]
#[case::incompressible(30, (0..200u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect(), true, false)]
fn compression_rule(#[case] ty: u16, #[case] payload: Vec<u8>, #[case] lz4: bool, #[case] compressed: bool) {
    let mut out = vec![0xEE]; // encode appends
    assert_eq!(encode_frame(ty, &payload, &FrameOptions::modern(lz4), &mut out).unwrap(), compressed);
    let frames = decode_all(&out[1..], FrameOptions::modern(true)).unwrap();
    assert_eq!(frames, vec![Frame { message_type: ty, payload, compressed }]);
    assert_eq!(out[0], 0xEE);
}

#[test]
fn compressed_only_when_it_saves_more_than_4_bytes() {
    // Find payloads around the break-even point: compressed size must be < len - 4.
    for len in 71..400 {
        let payload: Vec<u8> =
            (0..len).map(|i| if i % 3 == 0 { 0 } else { (i * 7919 % 251) as u8 }).collect();
        let c = lz4_compressed_len(&payload);
        let mut out = Vec::new();
        let was = encode_frame(30, &payload, &FrameOptions::modern(true), &mut out).unwrap();
        assert_eq!(was, c < len - 4, "len {len} compressed {c}");
    }
}

#[test]
fn encoder_refuses_what_cannot_be_framed() {
    let big = vec![0u8; MAX_LENGTH_26 + 1];
    let mut out = Vec::new();
    assert_eq!(
        encode_frame(3, &big, &FrameOptions::modern(true), &mut out),
        Err(FrameError::PayloadTooLarge { len: MAX_LENGTH_26 + 1, limit: MAX_LENGTH_26 })
    );
    assert!(out.is_empty());
}

#[test]
fn unknown_type_frames_still_decode() {
    // Framing does not judge types; messages::decode skips them.
    let frame = [0, 0, 0, 2, 0x03, 0xE7, 0xAB, 0xCD];
    let frames = decode_all(&frame, FrameOptions::modern(false)).unwrap();
    assert_eq!(frames[0].message_type, 999);
    assert_eq!(messages::decode(999, &frames[0].payload), Ok(None));
}

// ------------------------------------------------------------------------------------ proptest

fn opts_strategy() -> impl Strategy<Value = FrameOptions> {
    prop_oneof![
        Just(FrameOptions::modern(false)),
        Just(FrameOptions::modern(true)),
        Just(FrameOptions::legacy32()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic_and_memory_is_bounded(
        data in prop::collection::vec(any::<u8>(), 0..4096),
        cuts in prop::collection::vec(1usize..300, 1..64),
        opts in opts_strategy(),
        prefix_valid in any::<bool>(),
    ) {
        let mut bytes = Vec::new();
        if prefix_valid {
            // Start with a real frame so the random tail is not always rejected at byte 0.
            bytes.extend(hex::decode("000000080003080010EFFDB6F50D").unwrap());
        }
        bytes.extend(&data);
        let mut d = FrameDecoder::new(opts);
        let mut received = 0;
        let mut rest = &bytes[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = cuts[i % cuts.len()].min(rest.len());
            i += 1;
            d.push(&rest[..n]);
            received += n;
            rest = &rest[n..];
            prop_assert!(d.buffered_capacity() <= received + MAX_BUFFER_SLACK);
            while let Ok(Some(f)) = d.next_frame() {
                prop_assert!(f.payload.len() <= MAX_PAYLOAD_BYTES);
                let _ = messages::decode(f.message_type, &f.payload);
            }
            prop_assert!(d.buffered_capacity() <= received + MAX_BUFFER_SLACK);
        }
    }

    #[test]
    fn random_chunking_gives_the_same_frames(cuts in prop::collection::vec(1usize..64, 1..32)) {
        let (stream, expected) = all_vector_frames();
        let mut d = FrameDecoder::new(FrameOptions::modern(true));
        let mut got = Vec::new();
        let mut rest = &stream[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = cuts[i % cuts.len()].min(rest.len());
            i += 1;
            d.push(&rest[..n]);
            rest = &rest[n..];
            while let Some(f) = d.next_frame().unwrap() {
                got.push((f.message_type, f.payload, f.compressed));
            }
        }
        prop_assert_eq!(got, expected.clone());
        prop_assert_eq!(decode_next_in_reads(&stream, &cuts, FrameOptions::modern(true)).unwrap(), expected);
    }

    #[test]
    fn random_bytes_through_decode_next(
        data in prop::collection::vec(any::<u8>(), 0..4096),
        cuts in prop::collection::vec(1usize..300, 1..64),
        opts in opts_strategy(),
    ) {
        let mut d = FrameDecoder::new(opts);
        let mut received = 0;
        let mut rest = &data[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = cuts[i % cuts.len()].min(rest.len());
            i += 1;
            let mut input = &rest[..n];
            rest = &rest[n..];
            received += n;
            while let Ok(Some(f)) = d.decode_next(&mut input) {
                let _ = messages::decode(f.message_type, &f.payload);
            }
            prop_assert!(d.buffered_capacity() <= received + MAX_BUFFER_SLACK);
        }
    }
}
