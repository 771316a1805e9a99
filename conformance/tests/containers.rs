//! Container tests: a small network of our node images (built by `ci/build-images`), the
//! catalogue run against one container, then one node cut off to show the others re-form; and
//! one node on a bridge with a public-looking subnet, so the rules that rippled applies only to
//! public peers (`Local-IP`, `Remote-IP`: overlay-wire.md §2.4) are exercised over real TLS.
//!
//! Driven through the `docker` CLI (no daemon API crate): each test skips LOUDLY, printing
//! `SKIPPED: …`, when there is no docker client, no reachable engine, or the images are not
//! built. Containers and the network are removed on drop, even when an assertion fails.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use conformance::cases::{run, source_ip_towards, RunConfig};
use conformance::peer;
use conformance::report::Outcome;
use conformance::runtime::SPAWNED_NETWORK_ID;
use protocol_core::address::is_public_ip;
use protocol_core::keys::Seed;
use protocol_core::Network;
use rand::RngCore;

/// Images `ci/build-images` produces.
const IMAGES: [&str; 2] = ["xrpl-overlay/node-tokio:local", "xrpl-overlay/node-asyncstd:local"];
/// Peer port inside the containers (the image's EXPOSE).
const PORT: u16 = 51235;
/// Bound for the mesh to form and for the survivors to notice a cut-off node. A silently cut
/// peer is only noticed by the ping timer (overlay-wire.md §10.1: 60 s tick, drop on the next
/// unanswered one), so this is generous.
const MESH_WAIT: Duration = Duration::from_secs(200);
/// Bound for a freshly started container to answer `/health`.
const START_WAIT: Duration = Duration::from_secs(30);
/// The public-looking bridge is one /28 out of RFC 5737 TEST-NET-2 (198.51.100.0/24), tried in
/// order until docker accepts one (another run may hold the first). Why this is safe: the range
/// is reserved for documentation and never assigned to a real host, and the route docker adds
/// for it exists only on this host while the test runs (the bridge is not reachable from
/// outside, and containers on it reach nothing we would not reach anyway). Why not a private
/// range: `protocol_core::address::is_public_ip` calls 10/8, 172.16/12 and 192.168/16 private
/// (as rippled's `is_public` does), and the node would then skip the very checks under test.
/// TEST-NET-1 (192.0.2.0/24) is avoided: some sandboxes use it for the host's own interface.
const PUBLIC_BRIDGE_BLOCKS: u8 = 16;

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

    /// A bridge on the first free /28 of TEST-NET-2 (see [`PUBLIC_BRIDGE_BLOCKS`]); returns the
    /// cluster and the subnet's base address (gateway = base + 1, the host's side).
    fn new_public(tag: &str) -> Result<(Cluster, Ipv4Addr), String> {
        let network = format!("xo-conformance-{tag}-{}", std::process::id());
        let mut last = String::new();
        for block in 0..PUBLIC_BRIDGE_BLOCKS {
            let base = Ipv4Addr::new(198, 51, 100, block * 16);
            let subnet = format!("{base}/28");
            match docker(&["network", "create", "--subnet", &subnet, &network]) {
                Ok(_) => return Ok((Cluster { network, containers: Vec::new() }, base)),
                Err(e) => last = e,
            }
        }
        Err(format!("no free /28 in 198.51.100.0/24 for a bridge: {last}"))
    }

    /// Starts a node at a fixed address with `conf` as its `--conf` file (copied in before the
    /// start: the image is `FROM scratch`, there is no shell to write it).
    fn start_with_conf(&mut self, image: &str, ip: Ipv4Addr, conf: &str) -> Result<SocketAddr, String> {
        let name = format!("{}-{}", self.network, self.containers.len());
        let (ip_text, port) = (ip.to_string(), PORT.to_string());
        let id = docker(&[
            "create",
            "--name",
            &name,
            "--network",
            &self.network,
            "--ip",
            &ip_text,
            image,
            "--conf",
            "/data/node.cfg",
            "--peer-port",
            &port,
        ])?;
        self.containers.push(id.clone());
        let dir = std::env::temp_dir().join(format!("{name}-conf"));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let file = dir.join("node.cfg");
        std::fs::write(&file, conf).map_err(|e| format!("{}: {e}", file.display()))?;
        let copied = docker(&["cp", &file.to_string_lossy(), &format!("{id}:/data/node.cfg")]);
        let _ = std::fs::remove_dir_all(&dir);
        copied?;
        docker(&["start", &id])?;
        Ok(SocketAddr::new(IpAddr::V4(ip), PORT))
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

fn wait_until(what: &str, f: impl FnMut() -> bool) -> Result<(), String> {
    wait_within(MESH_WAIT, what, f)
}

/// Polls `f` (once a second at most) until it holds or `limit` passes.
fn wait_within(limit: Duration, what: &str, mut f: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if f() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(1).min(limit / 10));
    }
    Err(format!("timed out after {} s waiting for {what}", limit.as_secs()))
}

fn answers_health(addr: SocketAddr) -> bool {
    peer::connector(Network::Xrpl.profile().frame_dialect)
        .is_ok_and(|conn| peer::https_get(addr, &conn, "/health", Duration::from_secs(2)).is_ok())
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

/// One node on a public-looking bridge with `[overlay] public_ip` = its own address. The host
/// reaches it from the bridge gateway, which is public too, so the node applies the `Local-IP`
/// and `Remote-IP` checks (overlay-wire.md §2.4) that loopback tests can never trigger. Only
/// the HS group runs: one connection at a time, so rippled's per-IP inbound limit (2, applied
/// to public sources) is never in the way.
fn public_bridge_ip_headers(image: &str) -> Result<(), String> {
    let tag = format!("pub-{}", image.split(['/', ':']).nth(1).unwrap_or("node"));
    let (mut cluster, base) = Cluster::new_public(&tag)?;
    let [a, b, c, d] = base.octets();
    let node_ip = Ipv4Addr::new(a, b, c, d + 2);
    let gateway = Ipv4Addr::new(a, b, c, d + 1);
    assert!(is_public_ip(node_ip.into()) && is_public_ip(gateway.into()), "bridge range is not public");
    let mut seed = [0u8; 16];
    rand::rng().fill_bytes(&mut seed);
    let seed = Seed::from_bytes(seed);
    let alphabet = Network::Xrpl.profile().alphabet;
    let conf = format!(
        "[overlay]\npublic_ip = {node_ip}\n\n[node_seed]\n{}\n\n[network_id]\n{SPAWNED_NETWORK_ID}\n",
        seed.to_base58(alphabet)
    );
    let target = cluster.start_with_conf(image, node_ip, &conf)?;
    let result = (|| {
        wait_within(START_WAIT, "the node to answer /health", || answers_health(target))?;
        let ours = source_ip_towards(target).map_err(|e| format!("source address: {e}"))?;
        if !is_public_ip(ours) {
            return Err(format!("the host reaches {target} from {ours}, not from the public bridge gateway"));
        }
        let mut rc = RunConfig::new(target, Network::Xrpl);
        rc.io_timeout = Duration::from_secs(5);
        rc.target_seed = Some(seed.clone());
        rc.network_id = Some(SPAWNED_NETWORK_ID);
        rc.target_public_ip = Some(node_ip.into());
        rc.only = vec!["HS".into()];
        let report = run(&rc).map_err(|e| e.to_string())?;
        println!("{}", report.to_table());
        if report.exit_code() != 0 || !report.failed_ids().is_empty() {
            return Err(format!("HS cases failed from a public source: {:?}", report.failed_ids()));
        }
        for id in ["HS-019", "HS-020"] {
            match report.outcome_of(id) {
                Some(Outcome::Pass) => {}
                other => return Err(format!("{id}: expected pass, got {other:?}")),
            }
        }
        if !answers_health(target) {
            return Err("node stopped answering /health after the HS cases".into());
        }
        Ok(())
    })();
    result.map_err(|e| format!("{e}\n{}", cluster.logs()))
}

fn container_test(image: &str, test: fn(&str) -> Result<(), String>) {
    if let Some(why) = unavailable(image) {
        eprintln!("{why}");
        println!("{why}");
        return;
    }
    test(image).unwrap();
}

#[test]
fn tokio_image_network_passes_and_reforms() {
    container_test(IMAGES[0], network_of_three);
}

#[test]
fn asyncstd_image_network_passes_and_reforms() {
    container_test(IMAGES[1], network_of_three);
}

#[test]
fn tokio_image_checks_ip_headers_from_a_public_source() {
    container_test(IMAGES[0], public_bridge_ip_headers);
}

#[test]
fn asyncstd_image_checks_ip_headers_from_a_public_source() {
    container_test(IMAGES[1], public_bridge_ip_headers);
}
