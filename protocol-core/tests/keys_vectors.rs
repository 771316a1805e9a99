//! Known answers for keys and session signatures from vectors/wire.json (computed
//! independently of this project with libsecp256k1/python-ecdsa; the first three key cases
//! are rippled's Seed_test values). Every entry is driven, none is sampled.

use protocol_core::handshake::{session_signature, shared_value, verify_session_signature, HandshakeError};
use protocol_core::keys::{Alphabet, KeyError, NodeKeyPair, NodePublicKey, Seed};
use serde_json::Value;

fn wire() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/wire.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read vectors/wire.json")).expect("json")
}

fn alphabets() -> [(&'static str, Alphabet); 3] {
    [("xrpl", Alphabet::Xrpl), ("xdv", Alphabet::Xdv), ("swtc", Alphabet::Swtc)]
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("missing {k} in {v}"))
}

fn bytes<const N: usize>(hex_text: &str) -> [u8; N] {
    hex::decode(hex_text).expect("hex").try_into().expect("length")
}

#[test]
fn every_key_entry_in_all_three_alphabets() {
    let w = wire();
    let keys = w["keys"].as_array().expect("keys");
    assert!(keys.len() >= 3);
    for k in keys {
        let seed = Seed::from_bytes(bytes::<16>(s(k, "seed_hex")));
        if let Some(p) = k["passphrase"].as_str() {
            assert_eq!(Seed::from_passphrase(p), seed, "passphrase {p}");
        }
        let kp = NodeKeyPair::from_seed(&seed);
        assert_eq!(hex::encode_upper(kp.secret_bytes()), s(k, "node_secret_hex"));
        assert_eq!(kp.public().to_hex(), s(k, "node_public_hex"));
        let from_secret = NodeKeyPair::from_secret_bytes(&bytes::<32>(s(k, "node_secret_hex"))).unwrap();
        assert_eq!(from_secret.public(), kp.public());
        let raw_pub = hex::decode(s(k, "node_public_hex")).unwrap();
        assert_eq!(NodePublicKey::from_bytes(&raw_pub).unwrap(), *kp.public());

        for (name, alpha) in alphabets() {
            let seed_text = s(&k["seed_base58"], name);
            assert_eq!(seed.to_base58(alpha), seed_text, "seed {name}");
            assert_eq!(Seed::from_base58(seed_text, alpha).unwrap(), seed, "seed decode {name}");

            let pub_text = s(&k["node_public_base58"], name);
            assert_eq!(kp.public().to_base58(alpha), pub_text, "public {name}");
            assert_eq!(NodePublicKey::from_base58(pub_text, alpha).unwrap(), *kp.public());

            let priv_text = s(&k["node_private_base58"], name);
            assert_eq!(kp.to_private_base58(alpha), priv_text, "private {name}");
            let back = NodeKeyPair::from_private_base58(priv_text, alpha).unwrap();
            assert_eq!(back.public(), kp.public());
        }
    }
}

#[test]
fn every_invalid_seed_is_rejected() {
    let w = wire();
    let bad = w["invalid_seeds"].as_array().expect("invalid_seeds");
    assert!(!bad.is_empty());
    for v in bad {
        let text = v.as_str().unwrap();
        assert!(Seed::from_base58(text, Alphabet::Xrpl).is_err(), "{text:?} accepted");
    }
}

#[test]
fn every_session_signature_vector() {
    let w = wire();
    let sigs = w["session_signatures"].as_array().expect("session_signatures");
    assert!(!sigs.is_empty());
    for v in sigs {
        let kp = NodeKeyPair::from_secret_bytes(&bytes::<32>(s(v, "node_secret_hex"))).unwrap();
        assert_eq!(kp.public().to_base58(Alphabet::Xrpl), s(v, "node_public_base58"));
        let local = hex::decode(s(v, "local_finished_hex")).unwrap();
        let peer = hex::decode(s(v, "peer_finished_hex")).unwrap();
        let shared = shared_value(&local, &peer).unwrap();
        assert_eq!(hex::encode_upper(shared), s(v, "shared_value_hex"));
        // The other end computes the same value from the swapped pair (§3).
        assert_eq!(shared_value(&peer, &local).unwrap(), shared);

        let der = kp.sign_digest(&shared);
        assert_eq!(hex::encode_upper(&der), s(v, "signature_der_hex"));
        let header = session_signature(&kp, &shared);
        assert_eq!(header, s(v, "session_signature_header"));
        assert_eq!(verify_session_signature(kp.public(), &shared, &header), Ok(()));
        // The expected header itself (not our output) verifies too.
        verify_session_signature(kp.public(), &shared, s(v, "session_signature_header")).unwrap();
    }
}

#[test]
fn every_session_signature_reject() {
    let w = wire();
    let rejects = w["session_signature_rejects"].as_array().expect("rejects");
    assert!(!rejects.is_empty());
    for v in rejects {
        let name = s(v, "name");
        assert_eq!(s(v, "expect"), "reject");
        let local = hex::decode(s(v, "local_finished_hex")).unwrap();
        let peer = hex::decode(s(v, "peer_finished_hex")).unwrap();
        match name {
            "identical finished messages" => {
                assert_eq!(shared_value(&local, &peer), Err(HandshakeError::IdenticalFinished))
            }
            "finished shorter than 12 bytes" => {
                assert!(matches!(
                    shared_value(&local, &peer),
                    Err(HandshakeError::FinishedTooShort { len: 11, .. })
                ))
            }
            "tampered signature" => {
                let key = NodePublicKey::from_base58(s(v, "node_public_base58"), Alphabet::Xrpl).unwrap();
                let shared = shared_value(&local, &peer).unwrap();
                assert_eq!(
                    verify_session_signature(&key, &shared, s(v, "session_signature_header")),
                    Err(HandshakeError::SessionVerifyFailed)
                );
            }
            other => panic!("unhandled reject vector {other:?}: add its rule to this test"),
        }
    }
}

/// secp256k1 group order n, big-endian.
const N: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA,
    0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41,
];

fn sub_be(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = a[i] as i16 - b[i] as i16 - borrow;
        borrow = if d < 0 { 1 } else { 0 };
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    out
}

/// Minimal DER INTEGER of a 32-byte big-endian value.
fn der_int(v: &[u8; 32]) -> Vec<u8> {
    let mut body: Vec<u8> = v.iter().copied().skip_while(|&b| b == 0).collect();
    if body.is_empty() || body[0] & 0x80 != 0 {
        body.insert(0, 0);
    }
    let mut out = vec![0x02, body.len() as u8];
    out.extend(body);
    out
}

fn der_sig(r: &[u8; 32], s: &[u8; 32]) -> Vec<u8> {
    let (r, s) = (der_int(r), der_int(s));
    let mut out = vec![0x30, (r.len() + s.len()) as u8];
    out.extend(r);
    out.extend(s);
    out
}

/// Split a strict DER signature into 32-byte R and S (test helper for known vectors only).
fn split_der(der: &[u8]) -> ([u8; 32], [u8; 32]) {
    let rlen = der[3] as usize;
    let r = &der[4..4 + rlen];
    let s = &der[4 + rlen + 2..];
    let pad = |x: &[u8]| {
        let x = if x.len() == 33 { &x[1..] } else { x };
        let mut o = [0u8; 32];
        o[32 - x.len()..].copy_from_slice(x);
        o
    };
    (pad(r), pad(s))
}

#[test]
fn high_s_variant_is_accepted_as_rippled_does_and_non_strict_der_is_not() {
    let w = wire();
    let v = &w["session_signatures"][0];
    let key = NodePublicKey::from_base58(s(v, "node_public_base58"), Alphabet::Xrpl).unwrap();
    let shared = bytes::<32>(s(v, "shared_value_hex"));
    let der = hex::decode(s(v, "signature_der_hex")).unwrap();
    let (r, low_s) = split_der(&der);
    assert_eq!(der_sig(&r, &low_s), der, "helper re-encodes the vector exactly");

    let high_s = sub_be(&N, &low_s);
    let high = der_sig(&r, &high_s);
    assert_ne!(high, der);
    assert_eq!(key.verify_digest(&shared, &high), Ok(()), "high S accepted (mustBeFullyCanonical = false)");

    // Superfluous leading zero on R: BER-valid, not strict DER.
    let mut padded = vec![0x30, der[1] + 1, 0x02, der[3] + 1, 0x00];
    padded.extend_from_slice(&der[4..]);
    assert_eq!(key.verify_digest(&shared, &padded), Err(KeyError::MalformedSignature));
    // Long-form sequence length.
    let mut long_form = vec![0x30, 0x81, der[1]];
    long_form.extend_from_slice(&der[2..]);
    assert_eq!(key.verify_digest(&shared, &long_form), Err(KeyError::MalformedSignature));
    // Trailing garbage.
    let mut trailing = der.clone();
    trailing.push(0);
    assert_eq!(key.verify_digest(&shared, &trailing), Err(KeyError::MalformedSignature));
    // S = n is out of range even though it is "high".
    assert_eq!(key.verify_digest(&shared, &der_sig(&r, &N)), Err(KeyError::MalformedSignature));
}
