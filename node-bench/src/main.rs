//! `node-bench`: benchmarks of whole nodes over loopback, each printing one JSON line
//! `{"metric","value","unit","baseline","ratio"}` against a baseline measured in the same run.
//! Run through `ci/bench` (release build); progress goes to stderr, results to stdout.
//!
//! ```text
//! node-bench relay                 relay_tokio, relay_asyncstd (+ relay_asyncstd_vs_tokio)
//! node-bench relay-3hop            the same through two test peers, metrics suffixed _3hop
//! node-bench handshake             handshake_rate
//! node-bench rss --node <binary>   rss_per_peer (a node-tokio binary, started as a process)
//! ```
//!
//! Owns: measurement only. Must not touch: node or protocol behaviour (nodes run unmodified,
//! in-process through node-common's driver, or as their release binary).

mod common;
mod handshake;
mod relay;
mod rss;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let node_bin = args.iter().position(|a| a == "--node").and_then(|i| args.get(i + 1)).map(PathBuf::from);
    let r = match args.first().map(String::as_str) {
        Some("relay") => relay::run(relay::Workload::TwoNodes),
        Some("relay-3hop") => relay::run(relay::Workload::ThreeHops),
        Some("handshake") => handshake::run(),
        Some("rss") => match node_bin {
            Some(p) => rss::run(&p),
            None => common::fail("rss needs --node <path of the node-tokio binary>"),
        },
        _ => {
            eprintln!("usage: node-bench relay | relay-3hop | handshake | rss --node <node-tokio binary>");
            return ExitCode::from(2);
        }
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("node-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
