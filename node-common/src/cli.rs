//! The command line both node binaries accept. Each binary passes its own name and runtime
//! entry point; everything else here is shared.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use protocol_core::Network;

use crate::keygen::{keygen, SeedSource};

#[derive(Debug, Parser)]
#[command(version, about = "XRP Ledger family peer-to-peer overlay node")]
pub struct Cli {
    /// rippled.cfg-style configuration file.
    #[arg(long, global = true)]
    pub conf: Option<PathBuf>,
    /// Network profile: xrpl, xdv, swtc or xahau (overrides `[network]`).
    #[arg(long, global = true)]
    pub network: Option<Network>,
    /// Peer port to listen on (overrides `[port_peer] port`).
    #[arg(long)]
    pub peer_port: Option<u16>,
    /// Bootstrap peers, `host:port` or `host port`; repeatable (overrides `[ips]`).
    #[arg(long = "ips", value_delimiter = ',')]
    pub ips: Vec<String>,
    /// Data directory (node key, TLS certificate, bootcache).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Governor target keys (`TargetNumberOfActivePeers = 2`, …, `PeerSharing`; cardano-node
    /// names, governor.md §15.3). Missing keys keep the defaults of §16.4.
    #[arg(long, global = true, value_name = "PATH")]
    pub governor: Option<PathBuf>,
    /// Topology JSON (`localRoots`, `publicRoots`; governor.md §15.1), added to `[ips_fixed]`
    /// (local roots) and `[ips]` (public roots).
    #[arg(long, global = true, value_name = "PATH")]
    pub topology: Option<PathBuf>,
    /// TEST/LAB ONLY (hidden): gossip loopback and private addresses in TMEndpoints and 503
    /// redirects, and send/accept TMEndpoints every SECONDS instead of rippled's 151. Lets several
    /// nodes on one host (127.0.0.x) find each other; never use it on a real network.
    #[arg(long, hide = true, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub lab_gossip: Option<u64>,
    /// TEST/LAB ONLY (hidden): run the per-peer timer (ping, missed-pong drop, send-queue check)
    /// every SECONDS instead of rippled's 60 (overlay-wire.md §10.1), so tests can watch a peer
    /// that never answers pings get dropped. A real network would charge us for pinging this often.
    #[arg(long, hide = true, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub lab_ping: Option<u64>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a node identity as JSON (seed, node public and private key).
    Keygen {
        /// Family seed (`s…`) to derive from.
        #[arg(long, conflicts_with = "passphrase")]
        seed: Option<String>,
        /// Passphrase to derive the seed from (first 16 bytes of SHA-512).
        #[arg(long)]
        passphrase: Option<String>,
    },
}

/// Run `keygen`, printing JSON or a one-line error (exit code 2).
pub fn run_keygen(seed: Option<&str>, passphrase: Option<&str>, network: Network) -> ExitCode {
    let source = match (seed, passphrase) {
        (Some(s), _) => SeedSource::Base58(s),
        (None, Some(p)) => SeedSource::Passphrase(p),
        (None, None) => SeedSource::Random,
    };
    match keygen(source, network) {
        Ok(v) => {
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Parse the command line and dispatch. `run_node` is the binary's own runtime entry.
pub fn main_with(run_node: impl FnOnce(Cli) -> ExitCode) -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Keygen { seed, passphrase }) => {
            run_keygen(seed.as_deref(), passphrase.as_deref(), cli.network.unwrap_or(Network::Xrpl))
        }
        None => run_node(cli),
    }
}
