//! `rss_per_peer`: resident memory per established idle peer of a real node process (the
//! release `node-tokio` binary) with [`PEERS`] handshaken peers, from `/proc/<pid>/status`
//! VmRSS before any peer and after all of them. Baseline: the goal, 48 KiB; ratio =
//! value / goal (≤ 1 meets it).
//!
//! Peers come from distinct 127.5.x.y addresses. Loopback is not a public address, so
//! peerfinder's per-IP inbound limit does not apply to it (as in rippled); distinct sources
//! still give the node one resource-table entry per peer, as on the internet.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use conformance::peer::Link;
use protocol_core::Network;

use crate::common::{emit, fail, free_port, fresh_plan, upgrade_from, BenchError, Result, START_TIMEOUT};

/// Established peers measured.
pub const PEERS: usize = 1000;
/// The goal of issue 8: at most 48 KiB per idle peer.
pub const GOAL_BYTES: f64 = 48.0 * 1024.0;
/// Threads opening peers.
const OPENERS: usize = 4;
/// Pause after the last handshake, so the node has processed every activation.
const SETTLE: Duration = Duration::from_millis(1000);

/// VmRSS of `pid` in bytes.
pub fn vm_rss(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"));
    let kib = line
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| BenchError::Failed(format!("no VmRSS in /proc/{pid}/status")))?;
    Ok(kib * 1024)
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn run(node_bin: &Path) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let ip: IpAddr = Ipv4Addr::new(127, 5, 0, 1).into();
    let addr = SocketAddr::new(ip, free_port(ip)?);
    let conf = dir.path().join("node.cfg");
    std::fs::write(
        &conf,
        format!(
            "[port_peer]\nip = {ip}\nport = {}\nprotocol = peer\n\n[peers_in_max]\n{PEERS}\n\n[peers_out_max]\n10\n",
            addr.port()
        ),
    )?;
    let child = Command::new(node_bin)
        .arg("--conf")
        .arg(&conf)
        .arg("--data-dir")
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| BenchError::Failed(format!("cannot start {}: {e}", node_bin.display())))?;
    let node = Killed(child);
    let pid = node.0.id();
    // Up when it accepts TCP; then let start-up allocations settle.
    let deadline = Instant::now() + START_TIMEOUT;
    while std::net::TcpStream::connect(addr).is_err() {
        if Instant::now() > deadline {
            return fail(format!("{} did not listen on {addr}", node_bin.display()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let before = vm_rss(pid)?;

    let connector = node_common::tls::connector(node_common::tls::TlsPolicy::Modern)
        .map_err(|e| BenchError::Failed(e.to_string()))?;
    let openers: Vec<_> = (0..OPENERS)
        .map(|t| {
            let connector = connector.clone();
            std::thread::spawn(move || -> Result<Vec<Link>> {
                let mut links = Vec::new();
                for i in (t..PEERS).step_by(OPENERS) {
                    let src: IpAddr = Ipv4Addr::new(127, 5, 1 + (i / 250) as u8, 1 + (i % 250) as u8).into();
                    links.push(upgrade_from(src, addr, &connector, &fresh_plan(Network::Xrpl))?);
                }
                Ok(links)
            })
        })
        .collect();
    let mut links = Vec::new();
    for o in openers {
        links.extend(o.join().map_err(|_| BenchError::Failed("peer opener panicked".into()))??);
    }
    std::thread::sleep(SETTLE);
    let after = vm_rss(pid)?;
    if links.len() != PEERS {
        return fail(format!("only {} of {PEERS} peers established", links.len()));
    }
    eprintln!("rss: before {before} B, after {after} B with {PEERS} peers");
    let per_peer = after.saturating_sub(before) as f64 / PEERS as f64;
    emit("rss_per_peer", per_peer, "B", GOAL_BYTES, per_peer / GOAL_BYTES);
    drop(links);
    Ok(())
}
