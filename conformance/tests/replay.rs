//! Session vectors: the shipped ones replay offline against protocol-core, tampered copies are
//! caught, and a session recorded live from a target replays offline and live.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use conformance::runtime::{self, Runtime};
use conformance::vectors::{load, record, replay_live, replay_offline, replay_path, SessionVector};
use protocol_core::Network;
use support::{Double, Mode};

fn sessions_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors/sessions")
}

fn vector(name: &str) -> SessionVector {
    load(&sessions_dir().join(format!("{name}.json"))).unwrap()
}

#[test]
fn shipped_vectors_replay_against_the_core() {
    let report = replay_path(&sessions_dir()).unwrap();
    println!("{}", report.to_table());
    assert!(report.results.len() >= 10);
    assert_eq!(report.failed_ids(), Vec::<&str>::new());
}

#[test]
fn replay_catches_a_wrong_expectation() {
    // Status the core would not give.
    let mut v = vector("wire-session");
    v.events[0].status = Some(400);
    assert!(replay_offline(&v).unwrap_err().contains("core answers 101"));
    // Recorded known-answer signature altered: the core refuses, the vector says 101.
    let mut v = vector("wire-session");
    let sig = v.events[0].recorded.get_mut("SESSION_SIGNATURE").unwrap();
    *sig = sig.replacen('M', "N", 1);
    assert!(replay_offline(&v).is_err());
    // Finished messages of another session: the known-answer signature no longer verifies.
    let mut v = vector("wire-session");
    v.tls.as_mut().unwrap().initiator_finished_hex = "00".repeat(12);
    assert!(replay_offline(&v).is_err());
    // Wrong field value in a decoded frame.
    let mut v = vector("wire-session");
    v.events[2].fields = Some(serde_json::json!({"seq": 1}));
    assert!(replay_offline(&v).unwrap_err().contains("do not contain"));
    // A bad header claimed to decode.
    let mut v = vector("wire-bad-header-1");
    v.events[1].expect = Some("message".into());
    assert!(replay_offline(&v).is_err());
    // The self-connection vector passes only because the keys are equal.
    let mut v = vector("wire-self-connection");
    v.responder.seed = Some("snMKnVku798EnBwUfxeSD8953sLYA".into());
    assert!(replay_offline(&v).is_err());
}

#[test]
fn vectors_round_trip_and_reject_other_formats() {
    let v = vector("wire-session");
    let again = SessionVector::parse(&v.to_json()).unwrap();
    assert_eq!(again.events.len(), v.events.len());
    assert!(SessionVector::parse(&v.to_json().replace("xrpl-overlay-session/1", "other/9")).is_err());
    assert!(SessionVector::parse("{}").is_err());
}

#[test]
fn recorded_session_replays_offline_and_live() {
    let d = Double::start(Mode::Reference);
    let v = record(d.addr, Network::Xrpl, "double", Duration::from_secs(5)).unwrap();
    assert!(v.events.len() >= 4, "{:?}", v.events);
    let json = v.to_json();
    assert!(json.contains("{{SESSION_SIGNATURE}}") && json.contains("{{NETWORK_TIME}}"));
    let v = SessionVector::parse(&json).unwrap();
    // Offline: the double's real signature verifies over the recorded Finished messages.
    replay_offline(&v).unwrap();
    // Tamper with the recorded responder signature: offline replay must notice.
    let mut bad = v.clone();
    let s = bad.events[1].recorded.get_mut("SESSION_SIGNATURE").unwrap();
    *s = conformance::peer::flip_signature_bit(s);
    assert!(replay_offline(&bad).is_err());
    // Live: the same session re-enacted with fresh TLS values.
    replay_live(&v, d.addr, Duration::from_secs(5)).unwrap();
}

/// Recorded vectors against our node binaries. They are spawned only when built next to the
/// test binary (cargo build -p node-tokio -p node-asyncstd); otherwise the skip is loud.
#[test]
fn recorded_vectors_replay_against_both_runtimes() {
    for rt in [Runtime::Tokio, Runtime::Asyncstd] {
        let Ok(bin) = runtime::find_binary(rt) else {
            eprintln!(
                "SKIPPED: {} binary not built; build it to replay vectors against it",
                rt.binary_name()
            );
            continue;
        };
        let node = match runtime::spawn(&bin, Network::Xrpl, None) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("SKIPPED: {} does not start yet: {e}", rt.binary_name());
                continue;
            }
        };
        let v = record(node.addr, Network::Xrpl, "runtime", Duration::from_secs(10)).unwrap();
        replay_offline(&v).unwrap();
        replay_live(&v, node.addr, Duration::from_secs(10)).unwrap();
        // Every shipped vector recorded from a node is re-enacted against this runtime.
        let mut replayed = 0;
        for entry in std::fs::read_dir(sessions_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let v = load(&path).unwrap();
            if v.source == "conformance record" {
                replay_live(&v, node.addr, Duration::from_secs(10))
                    .unwrap_or_else(|e| panic!("{} against {}: {e}", path.display(), rt.binary_name()));
                replayed += 1;
            }
        }
        assert!(replayed >= 1, "no recorded vector shipped");
        eprintln!("{}: {replayed} recorded vector(s) replayed live", rt.binary_name());
    }
}
