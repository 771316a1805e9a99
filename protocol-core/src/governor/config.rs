//! Governor configuration: targets (the cardano-node `TargetNumberOf…` keys), local-root groups,
//! public roots and timing knobs; a parser for the target keys (text in) and one for the
//! topology JSON (`localRoots` / `publicRoots`, governor.md §15.1). Owns validation and the
//! §16.4 defaults. Must not resolve names or read files: DNS names stay [`AccessPoint`]s until the
//! caller resolves them.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::Deserialize;

/// Sanity cap on the active target (governor.md §2.2).
pub const MAX_TARGET_ACTIVE: u32 = 100;
/// Sanity cap on the established target (governor.md §2.2).
pub const MAX_TARGET_ESTABLISHED: u32 = 1000;
/// Sanity cap on the known target. Cardano uses 10 000 (governor.md §2.2); we allow 100 000 so a
/// crawler-sized node (and the 100k-peer benchmark) is expressible. Known peers cost ~200 bytes
/// each, so the cap bounds the peer table at about 20 MB.
pub const MAX_TARGET_KNOWN: u32 = 100_000;
/// Largest topology file we parse (bytes); bounds memory on a hostile or mistaken file.
pub const MAX_TOPOLOGY_BYTES: usize = 1 << 20;
/// Largest target-keys text we parse (bytes).
pub const MAX_TARGET_TEXT_BYTES: usize = 64 * 1024;
/// Default cap on the local-root reconnect back-off: rippled's fixed-peer cap of 55 minutes
/// (governor.md §16.2, peerfinder.md §4.1).
pub const DEFAULT_LOCAL_ROOT_BACKOFF_CAP: Duration = Duration::from_secs(55 * 60);
/// Default churn interval when caught up: 3300 s (governor.md §11).
pub const DEFAULT_CHURN_INTERVAL: Duration = Duration::from_secs(3300);
/// Default churn fuzz: U(0, 600 s) added to the interval (governor.md §11).
pub const DEFAULT_CHURN_FUZZ: Duration = Duration::from_secs(600);
/// How long an address demoted for misbehaviour stays out: not re-added from gossip, and a root
/// is not re-dialled (governor.md §16.3, our addition; Cardano keeps no ban list).
pub const DEFAULT_MISBEHAVIOUR_QUARANTINE: Duration = Duration::from_secs(600);

/// The four peer targets (governor.md §2.1). Big-ledger targets have no XRPL meaning (§16.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Targets {
    /// `TargetNumberOfRootPeers`: one-sided minimum of local ∪ public roots to know.
    pub root: u32,
    /// `TargetNumberOfKnownPeers`.
    pub known: u32,
    /// `TargetNumberOfEstablishedPeers` (warm + hot, local roots included).
    pub established: u32,
    /// `TargetNumberOfActivePeers` (hot, local roots included).
    pub active: u32,
}

impl Targets {
    /// Suggested XRPL defaults (governor.md §16.4): 10 active = rippled's outbound slots,
    /// 3 warm spares, 200 known, 20 roots.
    pub const XRPL_DEFAULT: Targets = Targets { root: 20, known: 200, established: 13, active: 10 };
    /// All zero: the state before the first targets are adopted (governor.md §5.2 note).
    pub const ZERO: Targets = Targets { root: 0, known: 0, established: 0, active: 0 };

    /// The sanity rule of governor.md §2.2 (with our larger known cap).
    pub fn check(&self) -> Result<(), TargetsError> {
        let caps = [
            ("TargetNumberOfActivePeers", self.active, MAX_TARGET_ACTIVE),
            ("TargetNumberOfEstablishedPeers", self.established, MAX_TARGET_ESTABLISHED),
            ("TargetNumberOfKnownPeers", self.known, MAX_TARGET_KNOWN),
        ];
        for (key, value, max) in caps {
            if value > max {
                return Err(TargetsError::TooLarge { key, value, max });
            }
        }
        if self.active > self.established {
            return Err(TargetsError::ActiveAboveEstablished {
                active: self.active,
                established: self.established,
            });
        }
        if self.established > self.known {
            return Err(TargetsError::EstablishedAboveKnown {
                established: self.established,
                known: self.known,
            });
        }
        if self.root > self.known {
            return Err(TargetsError::RootAboveKnown { root: self.root, known: self.known });
        }
        Ok(())
    }
}

impl Default for Targets {
    fn default() -> Self {
        Self::XRPL_DEFAULT
    }
}

/// Why a set of targets is not sane (governor.md §2.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetsError {
    #[error("{key} = {value} exceeds the maximum {max}")]
    TooLarge { key: &'static str, value: u32, max: u32 },
    #[error("TargetNumberOfActivePeers ({active}) exceeds TargetNumberOfEstablishedPeers ({established})")]
    ActiveAboveEstablished { active: u32, established: u32 },
    #[error("TargetNumberOfEstablishedPeers ({established}) exceeds TargetNumberOfKnownPeers ({known})")]
    EstablishedAboveKnown { established: u32, known: u32 },
    #[error("TargetNumberOfRootPeers ({root}) exceeds TargetNumberOfKnownPeers ({known})")]
    RootAboveKnown { root: u32, known: u32 },
}

/// One member of a local-root group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalRootPeer {
    pub addr: SocketAddr,
    /// May we pass this address on in gossip (default false, governor.md §1.2).
    pub advertise: bool,
    /// Trusted source while syncing (Cardano `trustable`; `[cluster_nodes]` map to true).
    pub trustable: bool,
    /// Never dialled (governor.md §4.1). We have no inbound-reuse path yet, so such members are
    /// simply never promoted by the governor.
    pub behind_firewall: bool,
}

/// A local-root group with its valencies (governor.md §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalRootGroup {
    pub hot_valency: u32,
    pub warm_valency: u32,
    pub members: Vec<LocalRootPeer>,
}

impl LocalRootGroup {
    /// The group for one `[ips_fixed]` entry: hot = warm = 1, not advertised (governor.md §16.2).
    pub fn fixed(addr: SocketAddr) -> Self {
        Self {
            hot_valency: 1,
            warm_valency: 1,
            members: vec![LocalRootPeer { addr, advertise: false, trustable: false, behind_firewall: false }],
        }
    }
}

/// A configured public root with a literal address (`[ips]` entries the caller resolved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicRoot {
    pub addr: SocketAddr,
    pub advertise: bool,
}

/// Timing knobs that differ between deployments and tests; every other delay is a constant of
/// the governor (governor.md §8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Upper bound of the local-root reconnect back-off (governor.md §16.2).
    pub local_root_backoff_cap: Duration,
    /// Churn interval (governor.md §11); `None` disables churn.
    pub churn_interval: Option<Duration>,
    /// Churn fuzz U(0, fuzz).
    pub churn_fuzz: Duration,
    /// Misbehaviour quarantine (governor.md §16.3).
    pub misbehaviour_quarantine: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            local_root_backoff_cap: DEFAULT_LOCAL_ROOT_BACKOFF_CAP,
            churn_interval: Some(DEFAULT_CHURN_INTERVAL),
            churn_fuzz: DEFAULT_CHURN_FUZZ,
            misbehaviour_quarantine: DEFAULT_MISBEHAVIOUR_QUARANTINE,
        }
    }
}

/// Everything the governor needs at construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GovernorConfig {
    pub targets: Targets,
    /// `PeerSharing`: take part in gossip requests (false when `peer_private`, §16.2).
    pub peer_sharing: bool,
    pub local_roots: Vec<LocalRootGroup>,
    pub public_roots: Vec<PublicRoot>,
    pub timing: Timing,
}

impl Default for GovernorConfig {
    fn default() -> Self {
        Self {
            targets: Targets::XRPL_DEFAULT,
            peer_sharing: true,
            local_roots: Vec::new(),
            public_roots: Vec::new(),
            timing: Timing::default(),
        }
    }
}

impl GovernorConfig {
    /// Startup validation: insane targets are an error here (at run time they are ignored,
    /// governor.md §6.1).
    pub fn validate(&self) -> Result<(), GovernorConfigError> {
        self.targets.check()?;
        for (i, g) in self.local_roots.iter().enumerate() {
            check_valency(i, g.hot_valency, g.warm_valency)?;
        }
        Ok(())
    }
}

fn check_valency(group: usize, hot: u32, warm: u32) -> Result<(), GovernorConfigError> {
    if hot == 0 {
        return Err(GovernorConfigError::ZeroValency { group });
    }
    if hot > warm {
        return Err(GovernorConfigError::HotAboveWarm { group, hot, warm });
    }
    Ok(())
}

/// Result of parsing the target keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetSettings {
    pub targets: Targets,
    pub peer_sharing: bool,
}

impl Default for TargetSettings {
    fn default() -> Self {
        Self { targets: Targets::XRPL_DEFAULT, peer_sharing: true }
    }
}

/// Errors of the governor configuration parsers. Each names the key (and line) at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GovernorConfigError {
    #[error("bad peer targets: {0}")]
    Targets(#[from] TargetsError),
    #[error("line {line}: expected `Key = value` or `Key: value`")]
    Syntax { line: usize },
    #[error("line {line}: unknown governor key `{key}`")]
    UnknownKey { line: usize, key: String },
    #[error("line {line}: `{key}` given twice")]
    DuplicateKey { line: usize, key: String },
    #[error("line {line}: `{key}` must be {expected}, got `{value}`")]
    BadValue { line: usize, key: String, value: String, expected: &'static str },
    #[error("governor config text is {len} bytes, more than the limit {max}")]
    TooLong { len: usize, max: usize },
    #[error("topology JSON: {0}")]
    Json(String),
    #[error("localRoots[{group}]: hotValency must be at least 1")]
    ZeroValency { group: usize },
    #[error("localRoots[{group}]: hotValency ({hot}) exceeds warmValency ({warm})")]
    HotAboveWarm { group: usize, hot: u32, warm: u32 },
    #[error("localRoots[{group}]: neither `hotValency` nor `valency` given")]
    MissingValency { group: usize },
    #[error("{field}: address `{address}` is unspecified (0.0.0.0 or ::)")]
    UnspecifiedAddress { field: String, address: String },
    #[error("{field}: port 0 is not dialable")]
    ZeroPort { field: String },
    #[error("{field}: empty address")]
    EmptyAddress { field: String },
}

const BIG_LEDGER_KEYS: [&str; 3] = [
    "TargetNumberOfKnownBigLedgerPeers",
    "TargetNumberOfEstablishedBigLedgerPeers",
    "TargetNumberOfActiveBigLedgerPeers",
];

/// Parse the cardano-node target keys (governor.md §15.3) from `Key = value` or `Key: value`
/// lines (`#` starts a comment). Missing keys keep the §16.4 defaults. Big-ledger keys are
/// accepted and ignored (no stake in XRPL, §16.2). Insane targets are an error naming the keys.
pub fn parse_target_keys(text: &str) -> Result<TargetSettings, GovernorConfigError> {
    if text.len() > MAX_TARGET_TEXT_BYTES {
        return Err(GovernorConfigError::TooLong { len: text.len(), max: MAX_TARGET_TEXT_BYTES });
    }
    let mut out = TargetSettings::default();
    let mut seen: HashSet<&str> = HashSet::new();
    for (idx, raw) in text.lines().enumerate() {
        let line = idx + 1;
        let content = raw.split('#').next().unwrap_or("").trim(); // ok: split yields ≥ 1 item
        if content.is_empty() {
            continue;
        }
        let Some(sep) = content.find(['=', ':']) else {
            return Err(GovernorConfigError::Syntax { line });
        };
        let key = content[..sep].trim();
        let value = content[sep + 1..].trim().trim_matches('"');
        if key.is_empty() {
            return Err(GovernorConfigError::Syntax { line });
        }
        if !seen.insert(key) {
            return Err(GovernorConfigError::DuplicateKey { line, key: key.to_string() });
        }
        let number = || {
            value.parse::<u32>().map_err(|_| GovernorConfigError::BadValue {
                line,
                key: key.to_string(),
                value: value.to_string(),
                expected: "a non-negative integer",
            })
        };
        match key {
            "TargetNumberOfRootPeers" => out.targets.root = number()?,
            "TargetNumberOfKnownPeers" => out.targets.known = number()?,
            "TargetNumberOfEstablishedPeers" => out.targets.established = number()?,
            "TargetNumberOfActivePeers" => out.targets.active = number()?,
            "PeerSharing" => {
                out.peer_sharing = match value.to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" | "peersharingenabled" => true,
                    "false" | "0" | "no" | "peersharingdisabled" => false,
                    _ => {
                        return Err(GovernorConfigError::BadValue {
                            line,
                            key: key.to_string(),
                            value: value.to_string(),
                            expected: "true or false",
                        })
                    }
                }
            }
            k if BIG_LEDGER_KEYS.contains(&k) => {
                number()?;
            }
            _ => return Err(GovernorConfigError::UnknownKey { line, key: key.to_string() }),
        }
    }
    out.targets.check()?;
    Ok(out)
}

/// An access point of the topology file: a literal address or a name to resolve. `port = None`
/// means "SRV lookup / network default port" and is the resolver's business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPoint {
    pub host: String,
    pub port: Option<u16>,
}

impl AccessPoint {
    /// The socket address when `host` is an IP literal and a port is given.
    pub fn literal(&self) -> Option<SocketAddr> {
        let ip: IpAddr = self.host.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
        Some(SocketAddr::new(ip, self.port?))
    }
}

/// A local-root group as written in the topology file (before name resolution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopologyLocalGroup {
    pub access_points: Vec<AccessPoint>,
    pub advertise: bool,
    pub trustable: bool,
    pub behind_firewall: bool,
    pub hot_valency: u32,
    pub warm_valency: u32,
}

/// A public-root entry of the topology file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopologyPublicRoots {
    pub access_points: Vec<AccessPoint>,
    pub advertise: bool,
}

/// A parsed topology file (governor.md §15.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Topology {
    pub local_roots: Vec<TopologyLocalGroup>,
    pub public_roots: Vec<TopologyPublicRoots>,
}

impl Topology {
    /// Turn the local-root groups into governor groups, resolving names with `resolve(host,
    /// port)`; literal addresses without a port get `default_port`. Members that resolve to
    /// nothing are dropped (the governor clamps valencies to the group size, §4.1).
    pub fn local_root_groups(
        &self,
        default_port: u16,
        mut resolve: impl FnMut(&str, u16) -> Vec<SocketAddr>,
    ) -> Vec<LocalRootGroup> {
        self.local_roots
            .iter()
            .map(|g| {
                let mut members = Vec::new();
                for ap in &g.access_points {
                    let port = ap.port.unwrap_or(default_port);
                    let addrs = match (AccessPoint { host: ap.host.clone(), port: Some(port) }).literal() {
                        Some(a) => vec![a],
                        None => resolve(&ap.host, port),
                    };
                    for addr in addrs {
                        members.push(LocalRootPeer {
                            addr,
                            advertise: g.advertise,
                            trustable: g.trustable,
                            behind_firewall: g.behind_firewall,
                        });
                    }
                }
                LocalRootGroup { hot_valency: g.hot_valency, warm_valency: g.warm_valency, members }
            })
            .collect()
    }

    /// Public roots that are IP literals with a port (the rest need the caller's resolver).
    pub fn literal_public_roots(&self) -> Vec<PublicRoot> {
        self.public_roots
            .iter()
            .flat_map(|p| {
                p.access_points
                    .iter()
                    .filter_map(|ap| ap.literal())
                    .map(|addr| PublicRoot { addr, advertise: p.advertise })
            })
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawTopology {
    #[serde(default)]
    local_roots: Vec<RawLocalGroup>,
    #[serde(default)]
    public_roots: Vec<RawPublic>,
    // Cardano keys that have no XRPL meaning; accepted and ignored (governor.md §16.2).
    #[serde(default)]
    #[allow(dead_code)]
    bootstrap_peers: Option<serde_json::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    use_ledger_after_slot: Option<serde_json::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    peer_snapshot_file: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawLocalGroup {
    access_points: Vec<RawAccessPoint>,
    #[serde(default)]
    advertise: bool,
    #[serde(default)]
    trustable: bool,
    #[serde(default)]
    behind_firewall: bool,
    hot_valency: Option<u32>,
    valency: Option<u32>,
    warm_valency: Option<u32>,
    #[serde(default)]
    #[allow(dead_code)]
    diffusion_mode: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawPublic {
    access_points: Vec<RawAccessPoint>,
    #[serde(default)]
    advertise: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccessPoint {
    address: String,
    port: Option<u16>,
}

fn access_point(field: String, raw: RawAccessPoint) -> Result<AccessPoint, GovernorConfigError> {
    let host = raw.address.trim().to_string();
    if host.is_empty() {
        return Err(GovernorConfigError::EmptyAddress { field });
    }
    if raw.port == Some(0) {
        return Err(GovernorConfigError::ZeroPort { field });
    }
    if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        if ip.is_unspecified() {
            return Err(GovernorConfigError::UnspecifiedAddress { field, address: host });
        }
    }
    Ok(AccessPoint { host, port: raw.port })
}

/// Parse a topology JSON document (governor.md §15.1). `valency` is the legacy spelling of
/// `hotValency`; `warmValency` defaults to the hot valency. Unknown fields are errors so a typo
/// such as `hotvalency` cannot silently drop a group's target.
pub fn parse_topology(text: &str) -> Result<Topology, GovernorConfigError> {
    if text.len() > MAX_TOPOLOGY_BYTES {
        return Err(GovernorConfigError::TooLong { len: text.len(), max: MAX_TOPOLOGY_BYTES });
    }
    let raw: RawTopology =
        serde_json::from_str(text).map_err(|e| GovernorConfigError::Json(e.to_string()))?;
    let mut local_roots = Vec::with_capacity(raw.local_roots.len());
    for (i, g) in raw.local_roots.into_iter().enumerate() {
        let hot = g.hot_valency.or(g.valency).ok_or(GovernorConfigError::MissingValency { group: i })?;
        let warm = g.warm_valency.unwrap_or(hot);
        check_valency(i, hot, warm)?;
        let aps = g
            .access_points
            .into_iter()
            .enumerate()
            .map(|(j, ap)| access_point(format!("localRoots[{i}].accessPoints[{j}]"), ap))
            .collect::<Result<Vec<_>, _>>()?;
        local_roots.push(TopologyLocalGroup {
            access_points: aps,
            advertise: g.advertise,
            trustable: g.trustable,
            behind_firewall: g.behind_firewall,
            hot_valency: hot,
            warm_valency: warm,
        });
    }
    let mut public_roots = Vec::with_capacity(raw.public_roots.len());
    for (i, p) in raw.public_roots.into_iter().enumerate() {
        let aps = p
            .access_points
            .into_iter()
            .enumerate()
            .map(|(j, ap)| access_point(format!("publicRoots[{i}].accessPoints[{j}]"), ap))
            .collect::<Result<Vec<_>, _>>()?;
        public_roots.push(TopologyPublicRoots { access_points: aps, advertise: p.advertise });
    }
    Ok(Topology { local_roots, public_roots })
}
