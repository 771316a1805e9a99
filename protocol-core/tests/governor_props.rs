//! Property runs of the governor in its deterministic mock environment (governor.md §14, §17).
//!
//! - default: seeds `0..200` (CI; well under a minute in debug);
//! - `GOVERNOR_SEED=1234`: replay exactly that seed;
//! - `GOVERNOR_SEEDS=10000`: the long run over seeds `0..10000` (use `--release`).

use std::collections::HashMap;
use std::time::Instant;

use protocol_core::governor::sim::{run_seed, SimOutcome};

const DEFAULT_SEEDS: u64 = 200;

fn seeds() -> Vec<u64> {
    if let Ok(s) = std::env::var("GOVERNOR_SEED") {
        return vec![s.trim().parse().expect("GOVERNOR_SEED must be a u64")];
    }
    let n = std::env::var("GOVERNOR_SEEDS")
        .ok()
        .map(|s| s.trim().parse().expect("GOVERNOR_SEEDS must be a u64"))
        .unwrap_or(DEFAULT_SEEDS);
    (0..n).collect()
}

#[test]
fn governor_properties_hold_on_random_networks() {
    let origin = Instant::now();
    let mut failures = Vec::new();
    let mut actions: HashMap<&'static str, usize> = HashMap::new();
    let mut events: HashMap<&'static str, usize> = HashMap::new();
    let mut outcomes: Vec<SimOutcome> = Vec::new();
    let list = seeds();
    for seed in &list {
        match run_seed(*seed, origin) {
            Ok(o) => {
                for (k, v) in &o.actions {
                    *actions.entry(k).or_default() += v;
                }
                for (k, v) in &o.events {
                    *events.entry(k).or_default() += v;
                }
                outcomes.push(o);
            }
            Err(f) => {
                eprintln!("{f}");
                failures.push(f);
            }
        }
    }
    let mut a: Vec<_> = actions.iter().collect();
    a.sort();
    let mut e: Vec<_> = events.iter().collect();
    e.sort();
    eprintln!("{} seeds; actions {a:?}\nevents {e:?}", list.len());
    assert!(failures.is_empty(), "{} of {} seeds failed; first: {}", failures.len(), list.len(), failures[0]);
    if list.len() >= DEFAULT_SEEDS as usize {
        // Coverage: the generated environments exercise every path the properties talk about.
        for k in ["Connect", "Activate", "Deactivate", "Close", "RequestPeerShare", "RequestPublicRoots"] {
            assert!(actions.get(k).copied().unwrap_or(0) > 0, "no {k} in any run");
        }
        for k in [
            "ForgotFailures",
            "ForgotMisbehaviour",
            "ForgotAboveTarget",
            "DemotingMisbehaviour",
            "AsyncDemotion",
            "Churn",
            "TargetsRejected",
            "LocalRootsChanged",
            "FailCountCleared",
            "Learned",
            "PublicRootsFailed",
        ] {
            assert!(events.get(k).copied().unwrap_or(0) > 0, "no {k} event in any run");
        }
    }
}

#[test]
fn same_seed_same_trace() {
    let origin = Instant::now();
    for seed in [0u64, 7, 42, 1234] {
        let a = run_seed(seed, origin).unwrap_or_else(|f| panic!("{f}"));
        let b = run_seed(seed, origin + std::time::Duration::from_secs(5)).unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(a.trace_hash, b.trace_hash, "seed {seed} not reproducible");
        assert_eq!(a.final_counters, b.final_counters);
    }
    let x = run_seed(1, origin).unwrap_or_else(|f| panic!("{f}"));
    let y = run_seed(2, origin).unwrap_or_else(|f| panic!("{f}"));
    assert_ne!(x.trace_hash, y.trace_hash);
}
