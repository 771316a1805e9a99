//! `--runtime tokio|asyncstd`: start one of our node binaries on loopback with a temporary data
//! directory and a generated rippled.cfg-style config, wait (bounded) until it answers `/health`,
//! and hand back what the runner needs to test it. The child is killed when [`SpawnedNode`] drops.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use protocol_core::keys::Seed;
use protocol_core::Network;
use rand::RngCore;

use crate::peer;

/// How long a freshly spawned node may take to answer `/health`.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Poll interval while waiting for start-up.
pub const STARTUP_POLL: Duration = Duration::from_millis(200);
/// Network id written into the spawned node's config, so HS-007 has something to violate.
pub const SPAWNED_NETWORK_ID: u32 = 12_345;

/// Which of our frontends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Runtime {
    Tokio,
    Asyncstd,
}

impl Runtime {
    pub fn binary_name(self) -> &'static str {
        match self {
            Runtime::Tokio => "node-tokio",
            Runtime::Asyncstd => "node-asyncstd",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("node binary {0} not found (build it with `cargo build -p node-tokio -p node-asyncstd`, or pass --node-bin)")]
    NotFound(PathBuf),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("node exited during start-up with {status}; stderr tail:\n{stderr}")]
    Exited { status: String, stderr: String },
    #[error("node did not answer /health on {addr} within {secs} s; stderr tail:\n{stderr}")]
    NotReady { addr: SocketAddr, secs: u64, stderr: String },
}

/// A running node we started.
pub struct SpawnedNode {
    pub child: Child,
    pub addr: SocketAddr,
    pub seed: Seed,
    pub network_id: u32,
    pub data_dir: tempfile::TempDir,
}

impl Drop for SpawnedNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `node-tokio` / `node-asyncstd` next to the running executable (or one directory up, for
/// test binaries in `target/*/deps`).
pub fn find_binary(rt: Runtime) -> Result<PathBuf, SpawnError> {
    let exe = std::env::current_exe()?;
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    for _ in 0..2 {
        let candidate = dir.join(rt.binary_name());
        if candidate.is_file() {
            return Ok(candidate);
        }
        if !dir.pop() {
            break;
        }
    }
    Err(SpawnError::NotFound(exe.with_file_name(rt.binary_name())))
}

/// A free loopback port (bound then released; racy only against other local binders).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

/// The config file a spawned node gets.
pub fn node_config(port: u16, seed: &Seed, network: Network, fixed_peer: Option<SocketAddr>) -> String {
    let mut cfg = format!(
        "[server]\nport_peer\n\n[port_peer]\nport = {port}\nip = 127.0.0.1\nprotocol = peer\n\n\
         [node_seed]\n{}\n\n[network_id]\n{SPAWNED_NETWORK_ID}\n\n[compression]\ntrue\n",
        seed.to_base58(network.profile().alphabet)
    );
    if let Some(p) = fixed_peer {
        cfg.push_str(&format!("\n[ips_fixed]\n{} {}\n", p.ip(), p.port()));
    }
    cfg
}

fn stderr_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Starts `bin` on a loopback port and waits for `/health`.
pub fn spawn(
    bin: &Path,
    network: Network,
    fixed_peer: Option<SocketAddr>,
) -> Result<SpawnedNode, SpawnError> {
    if !bin.is_file() {
        return Err(SpawnError::NotFound(bin.to_path_buf()));
    }
    let data_dir = tempfile::tempdir()?;
    let mut raw = [0u8; 16];
    rand::rng().fill_bytes(&mut raw);
    let seed = Seed::from_bytes(raw);
    let port = free_port()?;
    let conf = data_dir.path().join("node.cfg");
    std::fs::write(&conf, node_config(port, &seed, network, fixed_peer))?;
    let log = data_dir.path().join("stderr.log");
    let child = Command::new(bin)
        .arg("--conf")
        .arg(&conf)
        .arg("--network")
        .arg(network.name())
        .arg("--data-dir")
        .arg(data_dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut node = SpawnedNode { child, addr, seed, network_id: SPAWNED_NETWORK_ID, data_dir };
    let conn =
        peer::connector(network.profile().frame_dialect).map_err(|e| std::io::Error::other(e.to_string()))?;
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Some(status) = node.child.try_wait()? {
            return Err(SpawnError::Exited { status: status.to_string(), stderr: stderr_tail(&log) });
        }
        if peer::https_get(addr, &conn, "/health", Duration::from_secs(2)).is_ok() {
            return Ok(node);
        }
        if Instant::now() >= deadline {
            return Err(SpawnError::NotReady {
                addr,
                secs: STARTUP_TIMEOUT.as_secs(),
                stderr: stderr_tail(&log),
            });
        }
        std::thread::sleep(STARTUP_POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_config_parses_with_the_core() {
        let seed = Seed::from_passphrase("masterpassphrase");
        let text = node_config(40000, &seed, Network::Xrpl, Some("127.0.0.1:40001".parse().unwrap()));
        let cfg = protocol_core::config::NodeConfig::parse(&text).unwrap();
        assert_eq!(cfg.listening_port(), 40000);
        assert_eq!(cfg.node_seed, Some(seed));
        assert_eq!(cfg.ips_fixed.len(), 1);
    }
}
