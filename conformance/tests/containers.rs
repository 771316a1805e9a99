//! Container tests: a small network of our node images (built by `ci/build-images`), the
//! catalogue run against one container, then one node cut off to show the others re-form.
//!
//! Driven through the `docker` CLI (no daemon API crate): each test skips LOUDLY, printing
//! `SKIPPED: …`, when there is no docker client, no reachable engine, or the images are not
//! built. Containers and the network are removed on drop, even when an assertion fails.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use conformance::cases::{run, RunConfig};
use conformance::peer;
use protocol_core::Network;

/// Images `ci/build-images` produces.
const IMAGES: [&str; 2] = ["xrpl-overlay/node-tokio:local", "xrpl-overlay/node-asyncstd:local"];
/// Peer port inside the containers (the image's EXPOSE).
const PORT: u16 = 51235;
/// Bound for the mesh to form and for the survivors to notice a cut-off node. A silently cut
/// peer is only noticed by the ping timer (overlay-wire.md §10.1: 60 s tick, drop on the next
/// unanswered one), so this is generous.
const MESH_WAIT: Duration = Duration::from_secs(200);

fn docker(args: &[&str]) -> Result<String, String> {
    let out = Command::new("docker").args(args).output().map_err(|e| format!("docker: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!("docker {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Why container tests cannot run here, if they cannot.
fn unavailable(image: &str) -> Option<String> {
    if Command::new("docker").arg("--version").output().is_err() {
        return Some("SKIPPED: no docker client on this machine".into());
    }
    if docker(&["info", "--format", "{{.ServerVersion}}"]).is_err() {
        return Some("SKIPPED: no docker engine reachable".into());
    }
    if docker(&["image", "inspect", image]).is_err() {
        return Some(format!("SKIPPED: image {image} not built (run ci/build-images)"));
    }
    None
}

/// A docker network and its containers, removed on drop.
struct Cluster {
    network: String,
    containers: Vec<String>,
}

impl Cluster {
    fn new(tag: &str) -> Result<Cluster, String> {
        let network = format!("xo-conformance-{tag}-{}", std::process::id());
        docker(&["network", "create", &network])?;
        Ok(Cluster { network, containers: Vec::new() })
    }

    /// Starts a node; returns (container id, peer address as seen from the host).
    fn start(&mut self, image: &str, ips: &[SocketAddr]) -> Result<(String, SocketAddr), String> {
        let name = format!("{}-{}", self.network, self.containers.len());
        let mut args = vec!["run", "-d", "--name", &name, "--network", &self.network, image];
        let port = PORT.to_string();
        args.extend(["--peer-port", &port]);
        let ips_text: Vec<String> = ips.iter().map(|a| a.to_string()).collect();
        let joined = ips_text.join(",");
        if !ips.is_empty() {
            args.extend(["--ips", &joined]);
        }
        let id = docker(&args)?;
        self.containers.push(id.clone());
        let ip = docker(&["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", &id])?;
        let addr: SocketAddr =
            format!("{ip}:{PORT}").parse().map_err(|e| format!("container ip {ip:?}: {e}"))?;
        Ok((id, addr))
    }

    fn logs(&self) -> String {
        self.containers
            .iter()
            .map(|c| format!("--- {c}\n{}", docker(&["logs", "--tail", "30", c]).unwrap_or_else(|e| e)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = docker(&["rm", "-f", c]);
        }
        let _ = docker(&["network", "rm", &self.network]);
    }
}

/// Base64 node keys listed in `/crawl` overlay.active (empty on any error).
fn crawl_keys(addr: SocketAddr) -> Vec<String> {
    let Ok(conn) = peer::connector(Network::Xrpl.profile().frame_dialect) else { return vec![] };
    let Ok((200, body)) = peer::https_get(addr, &conn, "/crawl", Duration::from_secs(5)) else {
        return vec![];
    };
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    v.pointer("/overlay/active")
        .and_then(|a| a.as_array())
        .map(|a| a.iter().filter_map(|p| p.get("public_key")?.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// The node's own key, from its `/crawl` `server.pubkey_node` (base58), as base64.
fn own_key(addr: SocketAddr) -> Option<String> {
    let conn = peer::connector(Network::Xrpl.profile().frame_dialect).ok()?;
    let (_, body) = peer::https_get(addr, &conn, "/crawl", Duration::from_secs(5)).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&body).ok()?;
    let text = v.pointer("/server/pubkey_node")?.as_str()?;
    let key = protocol_core::keys::NodePublicKey::from_base58(text, Network::Xrpl.profile().alphabet).ok()?;
    Some(base64::engine::general_purpose::STANDARD.encode(key.as_bytes()))
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + MESH_WAIT;
    while Instant::now() < deadline {
        if f() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    Err(format!("timed out after {} s waiting for {what}", MESH_WAIT.as_secs()))
}

fn network_of_three(image: &str) -> Result<(), String> {
    let mut cluster = Cluster::new(image.split(['/', ':']).nth(1).unwrap_or("node"))?;
    let (_, a) = cluster.start(image, &[])?;
    let (_, b) = cluster.start(image, &[a])?;
    let (c_id, c) = cluster.start(image, &[a, b])?;
    let result = (|| {
        wait_until("all three nodes to answer /health", || {
            [a, b, c].iter().all(|n| {
                let conn = peer::connector(Network::Xrpl.profile().frame_dialect).unwrap();
                peer::https_get(*n, &conn, "/health", Duration::from_secs(2)).is_ok()
            })
        })?;
        // The catalogue against one container.
        let mut rc = RunConfig::new(a, Network::Xrpl);
        rc.io_timeout = Duration::from_secs(5);
        let report = run(&rc).map_err(|e| e.to_string())?;
        println!("{}", report.to_table());
        if report.exit_code() != 0 {
            return Err(format!("must-cases failed against {image}: {:?}", report.failed_ids()));
        }
        // The mesh forms: every node sees the two others.
        wait_until("a full mesh (each node lists 2 peers)", || {
            [a, b, c].iter().all(|n| crawl_keys(*n).len() >= 2)
        })?;
        let c_key = own_key(c);
        // Cut C off; A and B drop it and stay connected to each other.
        docker(&["network", "disconnect", "-f", &cluster.network, &c_id])?;
        wait_until("A and B to drop the cut-off node and keep each other", || {
            let (ka, kb) = (crawl_keys(a), crawl_keys(b));
            let gone = match &c_key {
                Some(k) => !ka.contains(k) && !kb.contains(k),
                None => ka.len() == 1 && kb.len() == 1,
            };
            gone && !ka.is_empty() && !kb.is_empty()
        })
    })();
    result.map_err(|e| format!("{e}\n{}", cluster.logs()))
}

fn container_test(image: &str) {
    if let Some(why) = unavailable(image) {
        eprintln!("{why}");
        println!("{why}");
        return;
    }
    network_of_three(image).unwrap();
}

#[test]
fn tokio_image_network_passes_and_reforms() {
    container_test(IMAGES[0]);
}

#[test]
fn asyncstd_image_network_passes_and_reforms() {
    container_test(IMAGES[1]);
}
