//! §17 properties over many seeds on small disturbed networks (`netsim`). Every seed runs twice
//! (§17.7 determinism). Replay one seed: `NETSIM_SEED=17 cargo test -p protocol-core --test
//! netsim_props`; the long run: `NETSIM_SEEDS=10000 cargo test --release -p protocol-core --test
//! netsim_props` (and `conformance simulate --nodes 10000 --seed 1 --minutes 30 --json` for the
//! large network).

use std::time::{Duration, Instant};

use protocol_core::netsim::{run_checked, NetSim, SimConfig};

/// Default seeds per CI run.
const DEFAULT_SEEDS: u64 = 200;
/// Virtual length of one CI run.
const CI_MINUTES: u64 = 10;
/// Every this many seeds also runs twice for §17.7 (determinism); the rest run once.
const DETERMINISM_EVERY: u64 = 10;
/// The seeds are split over this many test functions so nextest runs them in parallel.
const SHARDS: u64 = 4;

fn seeds() -> Vec<u64> {
    if let Some(s) = std::env::var("NETSIM_SEED").ok().and_then(|v| v.parse().ok()) {
        return vec![s];
    }
    let n = std::env::var("NETSIM_SEEDS").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_SEEDS);
    (0..n).collect()
}

fn shard(k: u64) {
    let origin = Instant::now();
    let mut failures = Vec::new();
    for seed in seeds().into_iter().filter(|s| s % SHARDS == k) {
        let nodes = 6 + (seed % 12) as usize;
        let cfg = SimConfig::small(nodes, seed, Duration::from_secs(CI_MINUTES * 60));
        let r = if seed % DETERMINISM_EVERY == 0 {
            run_checked(cfg, origin)
        } else {
            NetSim::new(cfg, origin).run()
        };
        if r.violations > 0 {
            let bad: Vec<_> = r.properties.iter().filter(|p| p.violations > 0).collect();
            failures.push(format!("seed {seed} ({nodes} nodes): {bad:?}"));
        }
    }
    assert!(failures.is_empty(), "{} failing seeds:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn properties_shard_0() {
    shard(0);
}

#[test]
fn properties_shard_1() {
    shard(1);
}

#[test]
fn properties_shard_2() {
    shard(2);
}

#[test]
fn properties_shard_3() {
    shard(3);
}

#[test]
fn a_seed_replays_exactly() {
    let origin = Instant::now();
    let cfg = SimConfig::small(8, 4242, Duration::from_secs(600));
    let a = NetSim::new(cfg.clone(), origin).run();
    let b = NetSim::new(cfg, Instant::now()).run();
    assert_eq!(a.figures.trace_hash, b.figures.trace_hash);
    assert_eq!(a.figures.events, b.figures.events);
}
