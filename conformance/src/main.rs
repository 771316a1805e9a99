//! `conformance`: run the catalogue against a node and write reports.
//!
//! Exit codes: 0 every must-case passed (unsupported/skipped do not count), 1 a must-case
//! failed, 2 usage error or the target could not be reached / started.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use conformance::cases::{self, RunConfig};
use conformance::report::{Report, EXIT_USAGE};
use conformance::runtime::{self, Runtime};
use conformance::{catalogue, vectors};
use protocol_core::keys::Seed;
use protocol_core::Network;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Conformance suite for XRPL-family peer-protocol nodes",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Print the case catalogue (id, severity, section, description).
    List,
    /// Record a live session with a node as a session vector (JSON).
    Record {
        #[arg(long)]
        target: String,
        #[arg(long, default_value = "xrpl")]
        network: Network,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Name stored in the vector.
        #[arg(long, default_value = "recorded")]
        name: String,
    },
    /// Deterministic multi-node governor simulation (protocol_core::netsim): virtual clock,
    /// latency, connect loss, link resets, partitions, crashes and adversaries; checks the
    /// governor.md §17 properties. Exit 0 when no property was violated, 1 otherwise.
    Simulate {
        #[arg(long, default_value_t = 10)]
        nodes: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Virtual minutes.
        #[arg(long, default_value_t = 30)]
        minutes: u64,
        /// Print one JSON object (default: a short text summary).
        #[arg(long)]
        json: bool,
        /// Skip the property checks and the determinism re-run (pure speed).
        #[arg(long)]
        no_check: bool,
    },
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Any node: host:port of its peer port.
    #[arg(long, conflicts_with_all = ["runtime", "replay"])]
    target: Option<String>,
    /// Start our own node binary on loopback and test it.
    #[arg(long, value_enum, conflicts_with = "replay")]
    runtime: Option<Runtime>,
    /// Replay recorded session vectors offline against protocol-core (directory or file).
    #[arg(long, num_args = 0..=1, default_missing_value = "vectors/sessions")]
    replay: Option<PathBuf>,
    /// Network profile of the target.
    #[arg(long, default_value = "xrpl")]
    network: Network,
    /// Node binary for --runtime (default: next to this executable).
    #[arg(long)]
    node_bin: Option<PathBuf>,
    /// The target's configured network id (enables HS-007).
    #[arg(long)]
    network_id: Option<u32>,
    /// The target's node seed (enables the self-connection case HS-014).
    #[arg(long)]
    target_seed: Option<String>,
    /// The target's configured `[overlay] public_ip` (enables HS-020; only checked by the target
    /// when we connect from a public address).
    #[arg(long)]
    target_public_ip: Option<std::net::IpAddr>,
    /// Listen here for responder cases; configure it on the target as a fixed peer.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Seconds for each network wait.
    #[arg(long, default_value_t = cases::DEFAULT_IO_TIMEOUT.as_secs())]
    timeout: u64,
    /// Connections in the flood case RS-005.
    #[arg(long, default_value_t = cases::DEFAULT_FLOOD)]
    flood: usize,
    /// Seconds the slowloris case waits for the node to close.
    #[arg(long, default_value_t = 30)]
    slowloris_wait: u64,
    /// Seconds to wait for the target to dial our --listen address.
    #[arg(long, default_value_t = cases::DEFAULT_PEER_WAIT.as_secs())]
    peer_wait: u64,
    /// Also run cases that wait for the target's own timers (60 s ping, endpoint broadcast).
    #[arg(long)]
    slow: bool,
    /// Only cases whose id starts with one of these (comma list, e.g. HS,FR-001).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Write the JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
}

fn simulate(nodes: usize, seed: u64, minutes: u64, json: bool, no_check: bool) -> ExitCode {
    use protocol_core::netsim::{run_checked, NetSim, SimConfig};
    if nodes < 2 {
        return usage("--nodes must be at least 2");
    }
    let mut cfg = SimConfig::small(nodes, seed, Duration::from_secs(minutes.saturating_mul(60)));
    cfg.check = !no_check;
    let origin = std::time::Instant::now();
    let started = std::time::Instant::now();
    let report = if no_check { NetSim::new(cfg, origin).run() } else { run_checked(cfg, origin) };
    let wall = started.elapsed().as_secs_f64();
    // The checked run simulates everything twice (determinism, §17.7).
    let runs = if no_check { 1.0 } else { 2.0 };
    let ratio = report.figures.simulated_secs * runs / wall.max(1e-9);
    let mut value = match serde_json::to_value(&report) {
        Ok(v) => v,
        Err(e) => return usage(format!("serialising the report: {e}")),
    };
    if let Some(f) = value.get_mut("figures").and_then(|f| f.as_object_mut()) {
        f.insert("wall_secs".into(), serde_json::json!(wall));
        f.insert("simulated_secs_per_wall_sec".into(), serde_json::json!(ratio));
    }
    if json {
        println!("{value}");
    } else {
        println!(
            "{} nodes, seed {}, {} virtual minutes: {} violations; {:.0} simulated s per wall s",
            report.nodes, report.seed, minutes, report.violations, ratio
        );
        for p in &report.properties {
            let sec = if p.id.starts_with("16") { format!("§{}", p.id) } else { format!("§17.{}", p.id) };
            println!("  {sec:<10} {:>8} checks {:>4} violations  {}", p.checks, p.violations, p.name);
            if let Some(f) = &p.first {
                println!("           first: {f}");
            }
        }
    }
    ExitCode::from(u8::from(report.violations > 0))
}

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(EXIT_USAGE)
}

fn resolve(target: &str) -> Result<SocketAddr, String> {
    target
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {target:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("{target:?} resolves to no address"))
}

fn emit(report: &Report, a: &RunArgs) -> ExitCode {
    print!("{}", report.to_table());
    for (path, text) in [(&a.json, report.to_json()), (&a.junit, report.to_junit())] {
        if let Some(p) = path {
            if let Err(e) = std::fs::write(p, text) {
                return usage(format!("writing {}: {e}", p.display()));
            }
        }
    }
    ExitCode::from(report.exit_code())
}

fn run_config(a: &RunArgs, target: SocketAddr) -> Result<RunConfig, String> {
    let mut rc = RunConfig::new(target, a.network);
    if a.network_id.is_some() {
        rc.network_id = a.network_id;
    }
    if let Some(s) = &a.target_seed {
        rc.target_seed = Some(
            Seed::from_base58(s, a.network.profile().alphabet).map_err(|e| format!("--target-seed: {e}"))?,
        );
    }
    rc.target_public_ip = a.target_public_ip;
    rc.listen = a.listen;
    rc.io_timeout = Duration::from_secs(a.timeout.max(1));
    rc.flood = a.flood;
    rc.slowloris_wait = Duration::from_secs(a.slowloris_wait);
    rc.peer_wait = Duration::from_secs(a.peer_wait);
    rc.slow = a.slow;
    rc.only = a.only.clone();
    Ok(rc)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Cmd::List) => {
            for c in catalogue::CATALOGUE {
                println!(
                    "{:<7} {:<6} {:<40} {}",
                    c.id,
                    format!("{:?}", c.severity).to_lowercase(),
                    c.section,
                    c.description
                );
            }
            return ExitCode::SUCCESS;
        }
        Some(Cmd::Simulate { nodes, seed, minutes, json, no_check }) => {
            return simulate(nodes, seed, minutes, json, no_check);
        }
        Some(Cmd::Record { target, network, out, name }) => {
            let addr = match resolve(&target) {
                Ok(a) => a,
                Err(e) => return usage(e),
            };
            return match vectors::record(addr, network, &name, Duration::from_secs(10)) {
                Ok(v) => match std::fs::write(&out, v.to_json()) {
                    Ok(()) => {
                        println!("wrote {} ({} events)", out.display(), v.events.len());
                        ExitCode::SUCCESS
                    }
                    Err(e) => usage(format!("writing {}: {e}", out.display())),
                },
                Err(e) => usage(e),
            };
        }
        None => {}
    }
    let a = cli.run;
    if let Some(dir) = &a.replay {
        return match vectors::replay_path(dir) {
            Ok(report) => emit(&report, &a),
            Err(e) => usage(e),
        };
    }
    if let Some(rt) = a.runtime {
        let bin = match &a.node_bin {
            Some(b) => b.clone(),
            None => match runtime::find_binary(rt) {
                Ok(b) => b,
                Err(e) => return usage(e),
            },
        };
        let fixed = a.listen;
        // Bind before the node starts: it dials its fixed peer at once and backs off for a
        // minute after a refused connection (peerfinder.md §4.1).
        let listener =
            match a.listen.map(|l| conformance::peer::Listener::bind(l, a.network.profile().frame_dialect)) {
                Some(Ok(l)) => Some(l),
                Some(Err(e)) => return usage(format!("--listen: {e}")),
                None => None,
            };
        // `--listen 127.0.0.1:0`: the port actually bound is the one the node gets.
        let fixed = listener.as_ref().and_then(|l| l.socket.local_addr().ok()).or(fixed);
        let node = match runtime::spawn(&bin, a.network, fixed) {
            Ok(n) => n,
            Err(e) => return usage(e),
        };
        let mut rc = match run_config(&a, node.addr) {
            Ok(rc) => rc,
            Err(e) => return usage(e),
        };
        rc.listen = fixed;
        rc.network_id = Some(node.network_id);
        rc.target_seed = Some(node.seed.clone());
        return match cases::run_with_listener(&rc, listener) {
            Ok(mut report) => {
                report.target = format!("runtime:{} ({})", rt.binary_name(), node.addr);
                emit(&report, &a)
            }
            Err(e) => usage(e),
        };
    }
    let Some(target) = &a.target else {
        return usage(
            "give one of --target HOST:PORT, --runtime tokio|asyncstd, --replay [DIR] (see --help)",
        );
    };
    let addr = match resolve(target) {
        Ok(a) => a,
        Err(e) => return usage(e),
    };
    let rc = match run_config(&a, addr) {
        Ok(rc) => rc,
        Err(e) => return usage(e),
    };
    match cases::run(&rc) {
        Ok(report) => emit(&report, &a),
        Err(e) => usage(format!("target {addr} unreachable: {e}")),
    }
}
