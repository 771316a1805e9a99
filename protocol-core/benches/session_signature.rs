//! Session-signature cost per handshake: shared value, signing and verification
//! (overlay-wire.md §3). Inputs are the first known-answer vector of vectors/wire.json.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use protocol_core::handshake::{session_signature, shared_value, verify_session_signature};
use protocol_core::keys::NodeKeyPair;

fn bench(c: &mut Criterion) {
    let secret: [u8; 32] = hex::decode("395898665728F57DE5D90F1DE102278A967D6941A45A6C9A98CB123394489E55")
        .unwrap()
        .try_into()
        .unwrap();
    let key = NodeKeyPair::from_secret_bytes(&secret).unwrap();
    let local = hex::decode("18190C35171E93DCBF860F72").unwrap();
    let peer = hex::decode("440B3FD76BDD23D966582602").unwrap();
    let shared = shared_value(&local, &peer).unwrap();
    let header = session_signature(&key, &shared);

    let mut g = c.benchmark_group("session_signature");
    g.throughput(Throughput::Elements(1));
    g.bench_function("shared_value", |b| b.iter(|| shared_value(std::hint::black_box(&local), &peer)));
    g.bench_function("sign", |b| b.iter(|| session_signature(&key, std::hint::black_box(&shared))));
    g.bench_function("verify", |b| {
        b.iter(|| verify_session_signature(key.public(), std::hint::black_box(&shared), &header))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
