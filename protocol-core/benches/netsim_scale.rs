//! Simulated seconds per wall second of the multi-node simulator (`netsim`), for a 1,000-node
//! network, against a same-run 100-node baseline (the ratio says how the cost grows with N).
//! Not a timed test: it prints figures only. Run:
//! `cargo bench -p protocol-core --bench netsim_scale` (`NETSIM_BENCH_NODES`, `NETSIM_BENCH_MINUTES`
//! override the large network's size and virtual length).

use std::time::{Duration, Instant};

use protocol_core::netsim::{NetSim, SimConfig};

/// Default size of the large network.
const NODES: usize = 1000;
/// Size of the same-run baseline network.
const BASELINE_NODES: usize = 100;
/// Default virtual minutes per run.
const MINUTES: u64 = 10;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// (simulated s per wall s, events, wall s) of one unchecked run.
fn measure(nodes: usize, minutes: u64) -> (f64, u64, f64) {
    let mut cfg = SimConfig::small(nodes, 1, Duration::from_secs(minutes * 60));
    cfg.check = false;
    let t0 = Instant::now();
    let r = NetSim::new(cfg, Instant::now()).run();
    let wall = t0.elapsed().as_secs_f64();
    (r.figures.simulated_secs / wall.max(1e-9), r.figures.events, wall)
}

fn main() {
    // `cargo test --benches` passes --bench-less args; run a tiny smoke instead of the full bench.
    let nodes = env("NETSIM_BENCH_NODES", NODES as u64) as usize;
    let minutes = env("NETSIM_BENCH_MINUTES", MINUTES);
    if !std::env::args().any(|a| a == "--bench") {
        let (r, _, _) = measure(20, 1);
        println!("netsim smoke: 20 nodes, {r:.0} simulated s per wall s");
        return;
    }
    let (base, base_events, base_wall) = measure(BASELINE_NODES, minutes);
    println!(
        "netsim {BASELINE_NODES} nodes, {minutes} virtual min: {base:.1} simulated s/wall s ({base_events} events, {base_wall:.2} s)"
    );
    let (big, events, wall) = measure(nodes, minutes);
    println!("netsim {nodes} nodes, {minutes} virtual min: {big:.1} simulated s/wall s ({events} events, {wall:.2} s)");
    let per_node = (big * nodes as f64) / (base * BASELINE_NODES as f64);
    println!(
        "ratio {nodes}/{BASELINE_NODES} nodes: {:.3} of the baseline speed; node-seconds per wall s {:.2}x the baseline's",
        big / base,
        per_node
    );
}
