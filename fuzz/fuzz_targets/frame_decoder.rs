//! Fuzz target: the streaming frame decoder (overlay-wire.md §6) and message decoding (§7).
//!
//! Input layout: byte 0 picks the link options (`% 3`: Modern without LZ4, Modern with LZ4,
//! Legacy32), byte 1 seeds the chunking, the rest is the byte stream a peer sends. The stream is
//! pushed in pseudo-random chunks (1 byte up to everything at once) and every complete frame is
//! taken out after each push, so split headers, split payloads and many frames per read are all
//! exercised.
//!
//! Checked on every input (a failure aborts, libFuzzer records the input):
//! - no panic anywhere in `push`, `next_frame`, `messages::decode`;
//! - memory: the decoder's capacity never exceeds the most bytes it ever held buffered plus
//!   `MAX_BUFFER_SLACK`, and a failed decoder drops its buffer;
//! - a frame is compressed only on a Modern link that negotiated LZ4, and no payload exceeds
//!   `MAX_PAYLOAD_BYTES`;
//! - once dead, a decoder keeps returning the same error;
//! - every decoded frame re-encodes (`encode_frame`) to bytes a fresh decoder reads back to the
//!   same type and payload; every decoded message re-encodes to a payload that decodes to an
//!   equal message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol_core::framing::{
    encode_frame, Frame, FrameDecoder, FrameOptions, MAX_BUFFER_SLACK, MAX_LENGTH_26, MAX_PAYLOAD_BYTES,
};
use protocol_core::messages;
use protocol_core::network::FrameDialect;

/// Small deterministic generator for chunk sizes (xorshift32); the fuzzer controls the seed.
struct Chunker(u32);

impl Chunker {
    fn next(&mut self, remaining: usize) -> usize {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        let n = match x % 8 {
            0 => remaining,                  // everything left in one read
            1 | 2 => 1,                      // byte by byte
            3 => 6,                          // exactly one short header
            _ => 1 + (x >> 8) as usize % 97, // odd sizes that straddle boundaries
        };
        n.clamp(1, remaining.max(1))
    }
}

fn check_frame(frame: &Frame, opts: &FrameOptions) {
    assert!(frame.payload.len() <= MAX_PAYLOAD_BYTES);
    if frame.compressed {
        assert!(opts.dialect == FrameDialect::Modern && opts.compression, "compressed frame on {opts:?}");
    }

    // Our encoder must produce bytes our decoder reads back to the same frame. (A 64 MiB
    // payload of a non-compressible type has no uncompressed encoding: skip that edge.)
    if frame.payload.len() > MAX_LENGTH_26 {
        return;
    }
    let mut wire = Vec::new();
    encode_frame(frame.message_type, &frame.payload, opts, &mut wire).expect("re-encode decoded frame");
    let mut again = FrameDecoder::new(*opts);
    again.push(&wire);
    let back = again.next_frame().expect("re-decode").expect("complete frame");
    assert_eq!(back.message_type, frame.message_type);
    assert_eq!(back.payload, frame.payload);
    assert!(again.next_frame().expect("no trailing bytes").is_none());

    if let Ok(Some(msg)) = messages::decode(frame.message_type, &frame.payload) {
        let payload = msg.encode_payload();
        let again = messages::decode(frame.message_type, &payload)
            .expect("re-encoded message decodes")
            .expect("known type stays known");
        assert_eq!(again, msg);
    }
}

fuzz_target!(|data: &[u8]| {
    let [mode, seed, stream @ ..] = data else { return };
    let opts = match mode % 3 {
        0 => FrameOptions::modern(false),
        1 => FrameOptions::modern(true),
        _ => FrameOptions::legacy32(),
    };
    let mut dec = FrameDecoder::new(opts);
    let mut chunker = Chunker(u32::from(*seed).wrapping_mul(0x9E37_79B9) | 1);
    let mut rest = stream;
    let mut high_water = 0usize;
    let mut failed = None;
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(chunker.next(rest.len()));
        rest = tail;
        dec.push(chunk);
        if failed.is_none() {
            high_water = high_water.max(dec.buffered_len());
        }
        assert!(
            dec.buffered_capacity() <= high_water + MAX_BUFFER_SLACK,
            "capacity {} > high water {high_water} + slack",
            dec.buffered_capacity()
        );
        loop {
            match dec.next_frame() {
                Ok(Some(frame)) => check_frame(&frame, &opts),
                Ok(None) => break,
                Err(e) => {
                    assert_eq!(dec.buffered_capacity(), 0, "dead decoder keeps its buffer");
                    if let Some(prev) = &failed {
                        assert_eq!(prev, &e, "dead decoder changed its error");
                    }
                    failed = Some(e);
                    break;
                }
            }
        }
    }
});
