//! Start-up shared by both binaries: configuration file + command line → [`NodeSetup`] (config,
//! data directory, node identity, TLS identity, resolved peer addresses, overlay configuration,
//! stored bootcache), and the bootcache file written at shutdown.
//!
//! Owns: file reading, hostname resolution, the one start-up log line, exit codes.
//! Must not touch: sockets, async runtimes (see [`crate::driver`]) or protocol rules (protocol-core).

use std::io::Read;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use protocol_core::config::{CliOverrides, ConfigError, NodeConfig, PeerAddress, PeerHost, MAX_CONFIG_BYTES};
use protocol_core::governor::{parse_target_keys, parse_topology, GovernorConfigError};

use crate::cli::Cli;
use crate::datadir::{DataDir, DataDirError, IdentitySource, NodeIdentity};
use crate::overlay_core::OverlayConfig;
use crate::tls::{TlsIdentity, TlsPolicy};

/// Bootcache file inside the data directory, written at shutdown and read at start.
pub const BOOTCACHE_FILE: &str = "bootcache.json";
/// Largest bootcache file we read back (the core keeps a bounded cache; anything bigger was not
/// written by us).
pub const MAX_BOOTCACHE_BYTES: u64 = 4 * 1024 * 1024;
/// Exit code when the node cannot start (bad configuration, data directory, listen address).
pub const EXIT_STARTUP_FAILED: u8 = 1;

/// Everything a frontend needs to run one node.
pub struct NodeSetup {
    pub config: NodeConfig,
    pub data_dir: DataDir,
    pub identity: NodeIdentity,
    pub tls: TlsIdentity,
    pub tls_policy: TlsPolicy,
    /// `[port_peer]` ip:port; `None`: no inbound connections.
    pub listen: Option<SocketAddr>,
    /// `[ips]` after hostname resolution (unresolvable names are logged and skipped).
    pub bootstrap: Vec<SocketAddr>,
    /// `[ips_fixed]` after hostname resolution.
    pub fixed: Vec<SocketAddr>,
    pub overlay: OverlayConfig,
    /// Contents of the stored bootcache file, if any.
    pub bootcache: Option<String>,
}

/// Why the node could not start. Every variant names the file or option to fix.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read configuration file {}: {source}", path.display())]
    ReadConf {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("configuration file {} is larger than {MAX_CONFIG_BYTES} bytes", path.display())]
    ConfTooLarge { path: PathBuf },
    #[error("configuration file {} is not UTF-8 text", path.display())]
    ConfNotText { path: PathBuf },
    #[error("{}: {source}", path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "command line".into()))]
    Config {
        path: Option<PathBuf>,
        #[source]
        source: ConfigError,
    },
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error("cannot read {what} {}: {source}", path.display())]
    ReadFile {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Governor {
        path: PathBuf,
        #[source]
        source: GovernorConfigError,
    },
}

/// Read the configuration (or built-in defaults), apply the command line, open the data
/// directory and load or create the node and TLS identities.
pub fn load(cli: &Cli) -> Result<NodeSetup, LoadError> {
    let overrides = CliOverrides {
        network: cli.network,
        peer_port: cli.peer_port,
        ips: cli.ips.clone(),
        ..CliOverrides::default()
    };
    let config = match &cli.conf {
        Some(path) => {
            let text = read_conf(path)?;
            NodeConfig::parse_with(&text, &overrides)
                .map_err(|source| LoadError::Config { path: Some(path.clone()), source })?
        }
        None => {
            let mut c = NodeConfig::defaults(overrides.network.unwrap_or(protocol_core::Network::Xrpl));
            c.apply_overrides(&overrides).map_err(|source| LoadError::Config { path: None, source })?;
            c
        }
    };
    for w in &config.warnings {
        tracing::warn!("configuration: {w}");
    }
    let network = config.network;
    let alphabet = network.profile().alphabet;
    let data_dir = DataDir::resolve(cli.data_dir.as_deref(), network)?;
    let seed_text = config.node_seed.as_ref().map(|s| s.to_base58(alphabet));
    let identity = data_dir.node_identity(seed_text.as_deref())?;
    let tls = data_dir.tls_identity(crate::tls::now())?;
    let tls_policy = TlsPolicy::for_profile(network.profile());
    let listen = config.peer_port.map(|p| SocketAddr::new(p.ip, p.port));
    let bootstrap = resolve_all(&config.ips, "[ips]");
    let fixed = resolve_all(&config.ips_fixed, "[ips_fixed]");
    let mut overlay = overlay_config(&config, &bootstrap, &fixed);
    apply_governor_files(&mut overlay, cli.governor.as_deref(), cli.topology.as_deref(), network)?;
    if let Some(secs) = cli.lab_gossip {
        apply_lab_gossip(&mut overlay, secs);
        tracing::warn!(
            "LAB MODE (--lab-gossip {secs}): gossiping private/loopback addresses every {secs} s; not for real networks"
        );
    }
    if let Some(secs) = cli.lab_ping {
        apply_lab_ping(&mut overlay, secs);
        tracing::warn!(
            "LAB MODE (--lab-ping {secs}): peer timer (ping) every {secs} s; not for real networks"
        );
    }
    let bootcache = read_bootcache(&data_dir);

    let key = identity.keys.public().to_base58(alphabet);
    let listen_text = listen.map(|a| a.to_string()).unwrap_or_else(|| "none (outbound only)".into());
    let id_source = match &identity.source {
        IdentitySource::Config => "[node_seed]".to_string(),
        IdentitySource::SeedFile(p) => p.display().to_string(),
        IdentitySource::Generated(p) => format!("{} (new)", p.display()),
    };
    tracing::info!(
        "starting {network} node: listen {listen_text}, node key {key} from {id_source}, data dir {}, {} bootstrap and {} fixed peers",
        data_dir.path().display(),
        bootstrap.len(),
        fixed.len()
    );
    Ok(NodeSetup {
        config,
        data_dir,
        identity,
        tls,
        tls_policy,
        listen,
        bootstrap,
        fixed,
        overlay,
        bootcache,
    })
}

fn read_conf(path: &Path) -> Result<String, LoadError> {
    let io = |source| LoadError::ReadConf { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut raw = Vec::new();
    file.take(MAX_CONFIG_BYTES as u64 + 1).read_to_end(&mut raw).map_err(io)?;
    if raw.len() > MAX_CONFIG_BYTES {
        return Err(LoadError::ConfTooLarge { path: path.to_path_buf() });
    }
    String::from_utf8(raw).map_err(|_| LoadError::ConfNotText { path: path.to_path_buf() })
}

/// Resolve configured peer addresses. Names go through the system resolver once, at start-up;
/// a name that does not resolve is logged and skipped rather than stopping the node.
pub fn resolve_all(list: &[PeerAddress], section: &str) -> Vec<SocketAddr> {
    let mut out = Vec::new();
    for entry in list {
        match &entry.host {
            PeerHost::Ip(ip) => out.push(SocketAddr::new(*ip, entry.port)),
            PeerHost::Name(name) => match (name.as_str(), entry.port).to_socket_addrs() {
                Ok(addrs) => {
                    let before = out.len();
                    out.extend(addrs);
                    if out.len() == before {
                        tracing::warn!("{section} {entry}: name resolved to no address, skipped");
                    }
                }
                Err(e) => tracing::warn!("{section} {entry}: cannot resolve ({e}), skipped"),
            },
        }
    }
    out.dedup();
    out
}

/// Seconds between the Unix epoch and the NetClock epoch, 2000-01-01T00:00:00Z (rippled's
/// `epoch_offset`, overlay-wire.md: TMPing/TMEndpoints times are NetClock seconds).
pub const NET_CLOCK_EPOCH_OFFSET: u64 = 946_684_800;

/// NetClock seconds now, from the wall clock. The core never reads a clock: the frontend samples
/// it once, next to the `Instant` it hands to `Overlay::new`. A clock before 2000 yields 0 and one
/// past 2136 saturates, rather than failing start-up.
pub fn net_clock_now() -> u32 {
    let unix =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    u32::try_from(unix.saturating_sub(NET_CLOCK_EPOCH_OFFSET)).unwrap_or(u32::MAX)
}

/// The core's configuration from the parsed file and the resolved addresses. This node never
/// validates (no ledger), so `validator` is false. `net_clock_at_start` is re-sampled by the
/// driver right before `Overlay::new`.
pub fn overlay_config(config: &NodeConfig, bootstrap: &[SocketAddr], fixed: &[SocketAddr]) -> OverlayConfig {
    OverlayConfig::from_node_config(config, false, bootstrap.to_vec(), fixed.to_vec(), net_clock_now())
}

/// Largest governor keys or topology file we read (the parsers bound the text again).
pub const MAX_GOVERNOR_FILE_BYTES: u64 = 1 << 20;

fn read_small(path: &Path, what: &'static str) -> Result<String, LoadError> {
    let io = |source| LoadError::ReadFile { what, path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut raw = Vec::new();
    file.take(MAX_GOVERNOR_FILE_BYTES + 1).read_to_end(&mut raw).map_err(io)?;
    String::from_utf8(raw).map_err(|_| {
        io(std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text (or too large)"))
    })
}

/// `--governor` (target keys) and `--topology` (local and public roots) on top of the governor
/// defaults `OverlayConfig::from_node_config` set. Bad targets (e.g. active > established) and
/// bad topology files stop start-up with an error naming the file.
pub fn apply_governor_files(
    overlay: &mut OverlayConfig,
    governor: Option<&Path>,
    topology: Option<&Path>,
    network: protocol_core::Network,
) -> Result<(), LoadError> {
    let Some(gov) = overlay.governor.as_mut() else { return Ok(()) };
    if let Some(path) = governor {
        let text = read_small(path, "governor keys")?;
        let keys = parse_target_keys(&text)
            .map_err(|source| LoadError::Governor { path: path.to_path_buf(), source })?;
        gov.targets = keys.targets;
        gov.peer_sharing = gov.peer_sharing && keys.peer_sharing;
    }
    if let Some(path) = topology {
        let text = read_small(path, "topology")?;
        let topo = parse_topology(&text)
            .map_err(|source| LoadError::Governor { path: path.to_path_buf(), source })?;
        let port = network.profile().default_peer_port;
        gov.local_roots.extend(topo.local_root_groups(port, |host, port| {
            (host, port).to_socket_addrs().map(|a| a.collect()).unwrap_or_default()
        }));
        gov.public_roots.extend(topo.literal_public_roots());
    }
    gov.validate().map_err(|source| LoadError::Governor {
        path: governor.or(topology).map(Path::to_path_buf).unwrap_or_default(),
        source,
    })?;
    Ok(())
}

/// The hidden `--lab-gossip SECONDS` switch: private/loopback addresses count as gossipable and
/// TMEndpoints go out (and are accepted) every `secs` seconds. Test and lab meshes on one host only.
pub fn apply_lab_gossip(overlay: &mut OverlayConfig, secs: u64) {
    overlay.peerfinder.gossip_private_addresses = true;
    overlay.peerfinder.endpoints_interval = std::time::Duration::from_secs(secs);
}

/// The hidden `--lab-ping SECONDS` switch: the core's per-peer timer (`ping_interval`: one ping
/// per tick, an unanswered ping at the next tick drops the peer) runs every `secs` seconds.
/// Tests only: lets an end-to-end test see "ping timeout" without waiting two minutes.
pub fn apply_lab_ping(overlay: &mut OverlayConfig, secs: u64) {
    overlay.ping_interval = std::time::Duration::from_secs(secs);
}

pub fn bootcache_path(dir: &DataDir) -> PathBuf {
    dir.path().join(BOOTCACHE_FILE)
}

/// The stored bootcache, or `None` (missing, unreadable or oversized files are logged, never fatal:
/// the node can always start from `[ips]`).
pub fn read_bootcache(dir: &DataDir) -> Option<String> {
    let path = bootcache_path(dir);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!("cannot read bootcache {}: {e}; starting without it", path.display());
            return None;
        }
    };
    let mut raw = Vec::new();
    if let Err(e) = file.take(MAX_BOOTCACHE_BYTES + 1).read_to_end(&mut raw) {
        tracing::warn!("cannot read bootcache {}: {e}; starting without it", path.display());
        return None;
    }
    if raw.len() as u64 > MAX_BOOTCACHE_BYTES {
        tracing::warn!("bootcache {} is over {MAX_BOOTCACHE_BYTES} bytes; ignored", path.display());
        return None;
    }
    match String::from_utf8(raw) {
        Ok(s) => Some(s),
        Err(_) => {
            tracing::warn!("bootcache {} is not UTF-8; ignored", path.display());
            None
        }
    }
}

/// Write the bootcache atomically (temp file + rename).
pub fn write_bootcache(dir: &DataDir, json: &str) -> std::io::Result<PathBuf> {
    let path = bootcache_path(dir);
    crate::datadir::write_file_atomic(&path, json.as_bytes(), false)?;
    Ok(path)
}

/// The `run` half of a binary's `main`: logging, [`load`], then the runtime-specific `run`.
/// Start-up errors print one line and exit with [`EXIT_STARTUP_FAILED`].
pub fn run_main(cli: Cli, run: impl FnOnce(NodeSetup) -> Result<(), crate::driver::RunError>) -> ExitCode {
    if let Err(e) = crate::logging::init_logging() {
        eprintln!("error: {e}");
        return ExitCode::from(EXIT_STARTUP_FAILED);
    }
    let setup = match load(&cli) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(EXIT_STARTUP_FAILED);
        }
    };
    match run(setup) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::from(EXIT_STARTUP_FAILED)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use protocol_core::Network;

    fn cli(args: &[&str]) -> Cli {
        Cli::parse_from(std::iter::once("node").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_without_conf_use_profile_port_and_cli_overrides() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().to_str().unwrap();
        let s = load(&cli(&["--data-dir", d])).unwrap();
        assert_eq!(
            s.listen,
            Some(SocketAddr::from(([0, 0, 0, 0], Network::Xrpl.profile().default_peer_port)))
        );
        assert!(s.bootstrap.is_empty() && s.bootcache.is_none());

        let s = load(&cli(&[
            "--data-dir",
            d,
            "--network",
            "xahau",
            "--peer-port",
            "4000",
            "--ips",
            "127.0.0.9:5",
        ]))
        .unwrap();
        assert_eq!(s.config.network, Network::Xahau);
        assert_eq!(s.listen.map(|a| a.port()), Some(4000));
        assert_eq!(s.bootstrap, vec![SocketAddr::from(([127, 0, 0, 9], 5))]);
        assert_eq!(s.tls_policy, TlsPolicy::Modern);
    }

    #[test]
    fn lab_ping_shortens_the_peer_timer_only_when_given() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().to_str().unwrap();
        let s = load(&cli(&["--data-dir", d])).unwrap();
        assert_eq!(s.overlay.ping_interval, protocol_core::overlay::PING_INTERVAL);
        let s = load(&cli(&["--data-dir", d, "--lab-ping", "2"])).unwrap();
        assert_eq!(s.overlay.ping_interval, std::time::Duration::from_secs(2));
        assert!(Cli::try_parse_from(["node", "--lab-ping", "0"]).is_err(), "0 s would spin the timer");
    }

    #[test]
    fn conf_errors_name_the_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().to_str().unwrap();
        let missing = tmp.path().join("missing.cfg");
        let e = load(&cli(&["--data-dir", d, "--conf", missing.to_str().unwrap()])).err().unwrap();
        assert!(matches!(e, LoadError::ReadConf { .. }));
        assert!(e.to_string().contains(&missing.display().to_string()), "{e}");

        let bad = tmp.path().join("bad.cfg");
        std::fs::write(&bad, "[port_peer]\nport = 70000\nprotocol = peer\n").unwrap();
        let e = load(&cli(&["--data-dir", d, "--conf", bad.to_str().unwrap()])).err().unwrap();
        let msg = e.to_string();
        assert!(msg.starts_with(&bad.display().to_string()) && msg.contains('2'), "{msg}");

        std::fs::write(&bad, [0xffu8, 0xfe]).unwrap();
        let e = load(&cli(&["--data-dir", d, "--conf", bad.to_str().unwrap()])).err().unwrap();
        assert!(matches!(e, LoadError::ConfNotText { .. }));

        std::fs::write(&bad, vec![b'#'; MAX_CONFIG_BYTES + 1]).unwrap();
        let e = load(&cli(&["--data-dir", d, "--conf", bad.to_str().unwrap()])).err().unwrap();
        assert!(matches!(e, LoadError::ConfTooLarge { .. }));

        let e = load(&cli(&["--data-dir", d, "--peer-port", "0"])).err().unwrap();
        assert!(e.to_string().starts_with("command line"), "{e}");
    }

    #[test]
    fn conf_listen_address_and_hostnames() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().to_str().unwrap();
        let conf = tmp.path().join("n.cfg");
        std::fs::write(
            &conf,
            "[port_peer]\nip = 127.0.0.2\nport = 51300\nprotocol = peer\n\n[ips]\nlocalhost 51301\nno-such-host.invalid 1\n127.0.0.3 51302\n\n[ips_fixed]\n127.0.0.4:51303\n",
        )
        .unwrap();
        let s = load(&cli(&["--data-dir", d, "--conf", conf.to_str().unwrap()])).unwrap();
        assert_eq!(s.listen, Some("127.0.0.2:51300".parse().unwrap()));
        // localhost resolves (to 127.0.0.1 and maybe ::1); the .invalid name is skipped.
        assert!(s.bootstrap.contains(&"127.0.0.1:51301".parse().unwrap()), "{:?}", s.bootstrap);
        assert!(s.bootstrap.contains(&"127.0.0.3:51302".parse().unwrap()));
        assert!(s.bootstrap.iter().all(|a| a.port() != 1));
        assert_eq!(s.fixed, vec!["127.0.0.4:51303".parse().unwrap()]);
    }

    #[test]
    fn bootcache_round_trip_and_limits() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path().to_path_buf(), Network::Xrpl).unwrap();
        assert_eq!(read_bootcache(&dir), None);
        let path = write_bootcache(&dir, "[\"1.2.3.4:51235\"]").unwrap();
        assert_eq!(path, tmp.path().join(BOOTCACHE_FILE));
        assert_eq!(read_bootcache(&dir).as_deref(), Some("[\"1.2.3.4:51235\"]"));
        std::fs::write(&path, vec![b' '; MAX_BOOTCACHE_BYTES as usize + 1]).unwrap();
        assert_eq!(read_bootcache(&dir), None, "oversized file ignored");
        std::fs::write(&path, vec![b' '; MAX_BOOTCACHE_BYTES as usize]).unwrap();
        assert!(read_bootcache(&dir).is_some(), "exactly at the limit is read");
        std::fs::write(&path, [0xff]).unwrap();
        assert_eq!(read_bootcache(&dir), None);
    }
}
