//! Frame decode + re-encode throughput of 1 KiB TMTransaction frames, against a plain memcpy of
//! the same bytes in the same run. The headline figure uses the zero-copy `decode_next` path; the
//! push + `next_frame_ref` and push + `next_frame` (owned) paths are printed too. After criterion, a short timed loop prints one JSON line:
//! `{"metric":"frame_codec","value":<MB/s>,"unit":"MB/s","baseline":<memcpy MB/s>,"ratio":..}`.
//!
//! `cargo bench --bench frame_codec -- --json` skips criterion and prints only the `frame_codec`
//! line (what `ci/bench` runs; a few seconds).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, Throughput};
use protocol_core::framing::{encode_frame, FrameDecoder, FrameOptions};
use protocol_core::messages::{proto, Message};

/// Frames per stream; 1 MiB in total.
const FRAMES: usize = 1024;
/// Frame size on the wire.
const FRAME_BYTES: usize = 1024;
/// Read size fed to the decoder (rippled's read-buffer hint, §6.4).
const READ_CHUNK: usize = 16 * 1024;

fn tx_frame() -> Vec<u8> {
    // Deterministic filler that LZ4 cannot shrink much, like a signed transaction.
    let mut x: u32 = 0x1234_5678;
    let mut raw = Vec::new();
    let mut build = |raw_len: usize| {
        raw.clear();
        raw.extend((0..raw_len).map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        }));
        let msg = Message::Transaction(proto::TmTransaction {
            raw_transaction: Some(raw.clone()),
            status: Some(proto::TransactionStatus::TsNew as i32),
            receive_timestamp: Some(800_000_000),
            deferred: Some(false),
        });
        let mut out = Vec::new();
        encode_frame(30, &msg.encode_payload(), &FrameOptions::modern(false), &mut out).unwrap();
        out
    };
    // Pick the raw length that makes the frame exactly FRAME_BYTES.
    let overhead = build(1000).len() - 1000;
    let frame = build(FRAME_BYTES - overhead);
    assert_eq!(frame.len(), FRAME_BYTES);
    frame
}

fn stream() -> Vec<u8> {
    tx_frame().repeat(FRAMES)
}

fn memcpy(stream: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(stream);
}

/// Owned path: push, `next_frame` (payload copied out), encode into `out`.
fn codec_owned(stream: &[u8], dec: &mut FrameDecoder, opts: &FrameOptions, out: &mut Vec<u8>) {
    out.clear();
    for chunk in stream.chunks(READ_CHUNK) {
        dec.push(chunk);
        while let Some(f) = dec.next_frame().unwrap() {
            encode_frame(f.message_type, &f.payload, opts, out).unwrap();
        }
    }
}

/// Borrowed path: push, `next_frame_ref` (payload borrowed), encode into `out`.
fn codec_borrowed(stream: &[u8], dec: &mut FrameDecoder, opts: &FrameOptions, out: &mut Vec<u8>) {
    out.clear();
    for chunk in stream.chunks(READ_CHUNK) {
        dec.push(chunk);
        while let Some(f) = dec.next_frame_ref().unwrap() {
            encode_frame(f.message_type, &f.payload, opts, out).unwrap();
        }
    }
}

/// Zero-copy path: `decode_next` straight from each read, encode into `out`.
fn codec_zero_copy(stream: &[u8], dec: &mut FrameDecoder, opts: &FrameOptions, out: &mut Vec<u8>) {
    out.clear();
    for chunk in stream.chunks(READ_CHUNK) {
        let mut input = chunk;
        while let Some(f) = dec.decode_next(&mut input).unwrap() {
            encode_frame(f.message_type, &f.payload, opts, out).unwrap();
        }
    }
}

fn bench(c: &mut Criterion) {
    let stream = stream();
    let plain = FrameOptions::modern(false);
    let lz4 = FrameOptions::modern(true);
    let mut out = Vec::with_capacity(stream.len() * 2);
    let mut g = c.benchmark_group("frame_codec_1KiB_tx");
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.bench_function("memcpy", |b| b.iter(|| memcpy(black_box(&stream), &mut out)));
    let mut dec = FrameDecoder::new(plain);
    g.bench_function("decode_encode_owned", |b| {
        b.iter(|| codec_owned(black_box(&stream), &mut dec, &plain, &mut out))
    });
    g.bench_function("decode_encode_borrowed", |b| {
        b.iter(|| codec_borrowed(black_box(&stream), &mut dec, &plain, &mut out))
    });
    g.bench_function("decode_encode_zero_copy", |b| {
        b.iter(|| codec_zero_copy(black_box(&stream), &mut dec, &plain, &mut out))
    });
    let mut dec_lz4 = FrameDecoder::new(lz4);
    g.bench_function("decode_encode_borrowed_lz4_link", |b| {
        b.iter(|| codec_borrowed(black_box(&stream), &mut dec_lz4, &lz4, &mut out))
    });
    g.finish();
}

/// MB/s of one timed run of `f` repeated for about `budget`.
fn throughput(bytes: usize, budget: Duration, f: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    let mut iters = 0u64;
    while start.elapsed() < budget {
        f();
        iters += 1;
    }
    (bytes as f64 * iters as f64) / start.elapsed().as_secs_f64() / 1e6
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// One timed code path of the summary.
type Path<'a> = dyn FnMut(&mut FrameDecoder, &mut Vec<u8>) + 'a;

/// Interleaved rounds (the machine is shared, so paths are timed alternately, not one after the
/// other), medians per path, then the JSON lines.
fn summary(headline_only: bool) {
    const ROUNDS: usize = 21;
    let stream = stream();
    let plain = FrameOptions::modern(false);
    let budget = Duration::from_millis(60);
    let mut out = Vec::with_capacity(stream.len() * 2);
    let mut dec = FrameDecoder::new(plain);
    let mut paths: Vec<(&str, Box<Path>)> = vec![
        ("memcpy", Box::new(|_, out| memcpy(black_box(&stream), out))),
        ("frame_codec", Box::new(|d, out| codec_zero_copy(black_box(&stream), d, &plain, out))),
        ("frame_codec_borrowed", Box::new(|d, out| codec_borrowed(black_box(&stream), d, &plain, out))),
        ("frame_codec_owned", Box::new(|d, out| codec_owned(black_box(&stream), d, &plain, out))),
    ];
    let mut samples = vec![Vec::new(); paths.len()];
    for _ in 0..ROUNDS {
        for (i, (_, f)) in paths.iter_mut().enumerate() {
            samples[i].push(throughput(stream.len(), budget, &mut || f(&mut dec, &mut out)));
        }
    }
    let medians: Vec<f64> = samples.into_iter().map(median).collect();
    let base = medians[0];
    let shown = if headline_only { 1 } else { paths.len() - 1 };
    for ((name, _), v) in paths.iter().zip(&medians).skip(1).take(shown) {
        println!(
            "{{\"metric\":\"{name}\",\"value\":{v:.0},\"unit\":\"MB/s\",\"baseline\":{base:.0},\"ratio\":{:.3}}}",
            v / base
        );
    }
}

criterion_group!(benches, bench);

fn main() {
    if std::env::args().any(|a| a == "--json") {
        summary(true);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary(false);
}
