//! The `/crawl` and `/health` documents served on the peer port (overlay-wire.md §13.1, §13.2;
//! rippled `OverlayImpl::{processCrawl, getOverlayInfo, getServerInfo, processHealth}`), their
//! complete HTTP responses, the `[crawl]` section switches (parsed by `config`), and a bounded, tolerant parser of
//! `/crawl` bodies for the conformance suite, crawlers and fuzzing.
//!
//! Owns: field names and types of both documents, which peers reveal `ip`/`port`, the health
//! thresholds and status codes, and the size bounds of the parser.
//!
//! Must not touch: sockets/TLS, the request side of HTTP (routing a `GET` to these builders is
//! the handshake/overlay layer's job), clocks (uptimes arrive in the snapshot).
//!
//! ## What a node without a ledger reports
//!
//! This implementation follows no ledger, so:
//! * `server.server_state` is `"connected"` with at least one peer, else `"disconnected"`
//!   ([`ServerState::overlay_only`]); `server.complete_ledgers` is `"empty"` (rippled's value when
//!   it holds no ledgers) and `validated_ledger` is absent;
//! * `/health` therefore always lists `validated_ledger: -1` and `server_state`, both warnings in
//!   rippled's rules (an unknown age counts as "< 20"), so the best status this node can answer
//!   is **503**, and **500** with no peers. That is the truth a load balancer should see: this
//!   node cannot answer ledger queries.
//! * `load_factor` is reported as 1 (`load_factor_server == load_base == 256`): no fee load.

use std::fmt::Write as _;
use std::net::IpAddr;

use base64::Engine as _;
use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Map, Value};

/// `version` member of a `/crawl` body (§13.1).
pub const CRAWL_VERSION: u32 = 2;

/// rippled's load base; `load_factor` = `load_factor_server / load_base`.
pub const LOAD_BASE: u32 = 256;

/// Validated-ledger age (s) from which `/health` lists it (§13.2).
pub const HEALTH_LEDGER_AGE_WARN_SECS: i64 = 7;
/// Validated-ledger age (s) from which the entry is critical rather than a warning (§13.2).
pub const HEALTH_LEDGER_AGE_CRITICAL_SECS: i64 = 20;
/// `/health` lists `peers` when the count is at most this (§13.2); 0 peers is critical.
pub const HEALTH_MAX_FLAGGED_PEERS: u32 = 7;
/// `/health` lists `load_factor` when it is above this (§13.2).
pub const HEALTH_LOAD_FACTOR_WARN: f64 = 100.0;
/// `load_factor` at or above this is critical (§13.2).
pub const HEALTH_LOAD_FACTOR_CRITICAL: f64 = 1000.0;

/// Largest `/crawl` body [`parse_crawl`] accepts. rippled nodes with ~1000 peers answer about
/// 300 KB; this leaves room for big hubs and a verbose `unl` section.
pub const MAX_CRAWL_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Most `overlay.active` entries [`parse_crawl`] accepts. Bounds memory independently of the
/// body size (an entry can be as small as `{}`).
pub const MAX_CRAWL_PEERS: usize = 4096;

// ------------------------------------------------------------------------------------------------
// [crawl] switches
// ------------------------------------------------------------------------------------------------

/// Which `/crawl` sections are served (§13.1 `[crawl]`). Read from the configuration file by
/// [`crate::config::NodeConfig`] (the one `[crawl]` parser, with line-numbered errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrawlSections {
    /// Master switch; `[crawl]` with the single value `0` turns `/crawl` off (falls through to
    /// the generic handler).
    pub enabled: bool,
    /// `overlay` section, default on.
    pub overlay: bool,
    /// `server` section, default on.
    pub server: bool,
    /// `counts` section, default **off**.
    pub counts: bool,
    /// `unl` section, default on.
    pub unl: bool,
}

impl CrawlSections {
    /// Whether `/crawl` is answered at all: the master switch is on and at least one section
    /// is (rippled `processCrawl` declines when `crawlOptions == Disabled`, i.e. also when
    /// every section was switched off; the request then falls through, §13.4).
    pub fn serves(&self) -> bool {
        self.enabled && (self.overlay || self.server || self.counts || self.unl)
    }
}

impl Default for CrawlSections {
    fn default() -> Self {
        Self { enabled: true, overlay: true, server: true, counts: false, unl: true }
    }
}

impl CrawlSections {
    /// `/crawl` turned off.
    pub fn disabled() -> Self {
        Self { enabled: false, ..Self::default() }
    }
}

// ------------------------------------------------------------------------------------------------
// Snapshot
// ------------------------------------------------------------------------------------------------

/// rippled's operating modes as spelled in `server_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    /// No peers.
    Disconnected,
    /// Peers, not following the ledger.
    Connected,
    /// Catching up.
    Syncing,
    /// Following the network's ledger.
    Tracking,
    /// Fully synced.
    Full,
    /// Full and validating.
    Validating,
    /// Full and proposing.
    Proposing,
}

impl ServerState {
    /// The `server_state` string.
    pub const fn as_str(self) -> &'static str {
        match self {
            ServerState::Disconnected => "disconnected",
            ServerState::Connected => "connected",
            ServerState::Syncing => "syncing",
            ServerState::Tracking => "tracking",
            ServerState::Full => "full",
            ServerState::Validating => "validating",
            ServerState::Proposing => "proposing",
        }
    }

    /// What a node that follows no ledger reports: connected iff it has peers.
    pub const fn overlay_only(peers: u32) -> Self {
        if peers == 0 {
            ServerState::Disconnected
        } else {
            ServerState::Connected
        }
    }
}

/// One connected peer as `/crawl` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrawlPeer {
    /// The peer's 33-byte node public key.
    pub public_key: [u8; 33],
    /// We dialled it (`"out"`), else `"in"`.
    pub outbound: bool,
    /// Seconds connected.
    pub uptime_secs: u32,
    /// Remote address; shown only if `crawl_public`.
    pub ip: Option<IpAddr>,
    /// Outbound: the port we dialled. Inbound: its verified listening port if known.
    /// Shown only with `ip`.
    pub port: Option<u16>,
    /// Its `User-Agent` (inbound) or `Server` (outbound) header; omitted when empty.
    pub version: Option<String>,
    /// Its ledger range from TMStatusChange; omitted when absent or 0-0.
    pub complete_ledgers: Option<(u32, u32)>,
    /// Its handshake `Crawl` header was `public`.
    pub crawl_public: bool,
    /// `Some(name)` (possibly empty) when it is a member of our cluster: shown as
    /// `"cluster": true` and, if non-empty, `"name"` — as rippled's admin `peers` shows them;
    /// rippled's `/crawl` has neither (an extension; crawlers ignore unknown members).
    pub cluster: Option<String>,
}

/// The server facts we have (§13.1 `server`, §13.2 inputs).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerInfo {
    /// e.g. `"2.2.0"` (`build_version`).
    pub build_version: String,
    /// Process uptime in seconds.
    pub uptime_secs: u64,
    /// Active peer count.
    pub peers: u32,
    /// Our node public key, base58 (`n…`).
    pub pubkey_node: String,
    /// See the module docs for a node without a ledger.
    pub server_state: ServerState,
    /// Network id, shown if set.
    pub network_id: Option<u32>,
    /// Total peer disconnects (rippled emits it as a string).
    pub peer_disconnects: u64,
    /// Disconnects for resource charges (string, as rippled).
    pub peer_disconnects_resources: u64,
    /// Age of the last validated ledger; `None` = no validated ledger (reported as -1).
    pub validated_ledger_age_secs: Option<u32>,
    /// Amendment blocked (never, for a node without a ledger).
    pub amendment_blocked: bool,
    /// Server load factor in [`LOAD_BASE`] units.
    pub load_factor_server: u32,
}

impl ServerInfo {
    /// Facts of a node that follows no ledger (see module docs).
    pub fn overlay_only(
        build_version: impl Into<String>,
        uptime_secs: u64,
        peers: u32,
        pubkey_node: impl Into<String>,
        network_id: Option<u32>,
    ) -> Self {
        Self {
            build_version: build_version.into(),
            uptime_secs,
            peers,
            pubkey_node: pubkey_node.into(),
            server_state: ServerState::overlay_only(peers),
            network_id,
            peer_disconnects: 0,
            peer_disconnects_resources: 0,
            validated_ledger_age_secs: None,
            amendment_blocked: false,
            load_factor_server: LOAD_BASE,
        }
    }
}

/// Everything `/crawl` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct CrawlSnapshot {
    /// Active peers.
    pub peers: Vec<CrawlPeer>,
    /// Server facts.
    pub server: ServerInfo,
    /// `[crawl]` switches.
    pub sections: CrawlSections,
}

// ------------------------------------------------------------------------------------------------
// Builders
// ------------------------------------------------------------------------------------------------

fn peer_json(peer: &CrawlPeer) -> Value {
    let mut obj = Map::new();
    obj.insert("public_key".into(), base64::engine::general_purpose::STANDARD.encode(peer.public_key).into());
    obj.insert("type".into(), if peer.outbound { "out" } else { "in" }.into());
    obj.insert("uptime".into(), peer.uptime_secs.into());
    if crate::privacy::crawl_reveals_address(peer.crawl_public) {
        if let Some(ip) = peer.ip {
            obj.insert("ip".into(), ip.to_string().into());
            if let Some(port) = peer.port {
                obj.insert("port".into(), port.into());
            }
        }
    }
    if let Some(version) = peer.version.as_deref().filter(|v| !v.is_empty()) {
        obj.insert("version".into(), version.into());
    }
    if let Some((first, last)) = peer.complete_ledgers.filter(|&r| r != (0, 0)) {
        obj.insert("complete_ledgers".into(), format!("{first}-{last}").into());
    }
    if let Some(name) = &peer.cluster {
        obj.insert("cluster".into(), true.into());
        if !name.is_empty() {
            obj.insert("name".into(), name.clone().into());
        }
    }
    Value::Object(obj)
}

fn server_json(info: &ServerInfo) -> Value {
    let mut obj = Map::new();
    obj.insert("build_version".into(), info.build_version.clone().into());
    obj.insert("complete_ledgers".into(), "empty".into());
    obj.insert("load_base".into(), LOAD_BASE.into());
    obj.insert("load_factor".into(), info.load_factor_server.into());
    obj.insert("load_factor_server".into(), info.load_factor_server.into());
    obj.insert("peer_disconnects".into(), info.peer_disconnects.to_string().into());
    obj.insert("peer_disconnects_resources".into(), info.peer_disconnects_resources.to_string().into());
    obj.insert("peers".into(), info.peers.into());
    obj.insert("pubkey_node".into(), info.pubkey_node.clone().into());
    obj.insert("server_state".into(), info.server_state.as_str().into());
    obj.insert("uptime".into(), info.uptime_secs.into());
    if let Some(id) = info.network_id {
        obj.insert("network_id".into(), id.into());
    }
    if info.amendment_blocked {
        obj.insert("amendment_blocked".into(), true.into());
    }
    Value::Object(obj)
}

/// The `unl` section of a node with no validator lists configured (shape of rippled's
/// `validators` output minus the keys /crawl removes; the `validator_list` member for the
/// "no list" case is our reading of rippled, not a capture).
fn unl_json() -> Value {
    json!({
        "local_static_keys": [],
        "publisher_lists": [],
        "validator_list": {"count": 0, "expiration": "unknown", "status": "unknown"},
        "validator_sites": [],
    })
}

/// The `/crawl` body, or `None` when `/crawl` is disabled (the request then falls through to
/// the generic handler, §13.4).
pub fn crawl_body(snapshot: &CrawlSnapshot) -> Option<Value> {
    let s = snapshot.sections;
    if !s.serves() {
        return None;
    }
    let mut body = Map::new();
    body.insert("version".into(), CRAWL_VERSION.into());
    if s.overlay {
        let active: Vec<Value> = snapshot.peers.iter().map(peer_json).collect();
        body.insert("overlay".into(), json!({ "active": active }));
    }
    if s.server {
        body.insert("server".into(), server_json(&snapshot.server));
    }
    if s.counts {
        // We keep none of get_counts' object/database counters.
        body.insert("counts".into(), Value::Object(Map::new()));
    }
    if s.unl {
        body.insert("unl".into(), unl_json());
    }
    Some(Value::Object(body))
}

/// Severity of a `/health` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HealthStatus {
    /// 200.
    Healthy,
    /// 503.
    Warning,
    /// 500.
    Critical,
}

impl HealthStatus {
    /// HTTP status code (§13.2).
    pub const fn http_status(self) -> u16 {
        match self {
            HealthStatus::Healthy => 200,
            HealthStatus::Warning => 503,
            HealthStatus::Critical => 500,
        }
    }
}

/// A `/health` answer.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthReport {
    /// Worst severity of the listed metrics.
    pub status: HealthStatus,
    /// `{"info": {...}}` listing only unhealthy metrics.
    pub body: Value,
}

/// Apply rippled's `processHealth` rules (§13.2).
pub fn health_report(info: &ServerInfo) -> HealthReport {
    let mut status = HealthStatus::Healthy;
    let mut raise = |s: HealthStatus| status = status.max(s);
    let mut out = Map::new();

    let age = info.validated_ledger_age_secs.map_or(-1, i64::from);
    if !(0..HEALTH_LEDGER_AGE_WARN_SECS).contains(&age) {
        out.insert("validated_ledger".into(), age.into());
        // rippled compares `age < 20`, so the unknown age -1 is a warning, not critical.
        raise(if age < HEALTH_LEDGER_AGE_CRITICAL_SECS {
            HealthStatus::Warning
        } else {
            HealthStatus::Critical
        });
    }
    if info.amendment_blocked {
        out.insert("amendment_blocked".into(), true.into());
        raise(HealthStatus::Critical);
    }
    if info.peers <= HEALTH_MAX_FLAGGED_PEERS {
        out.insert("peers".into(), info.peers.into());
        raise(if info.peers == 0 { HealthStatus::Critical } else { HealthStatus::Warning });
    }
    let state = info.server_state;
    if !matches!(state, ServerState::Full | ServerState::Validating | ServerState::Proposing) {
        out.insert("server_state".into(), state.as_str().into());
        raise(match state {
            ServerState::Syncing | ServerState::Tracking | ServerState::Connected => HealthStatus::Warning,
            _ => HealthStatus::Critical,
        });
    }
    let load_factor = f64::from(info.load_factor_server) / f64::from(LOAD_BASE);
    if load_factor > HEALTH_LOAD_FACTOR_WARN {
        out.insert("load_factor".into(), load_factor.into());
        raise(if load_factor < HEALTH_LOAD_FACTOR_CRITICAL {
            HealthStatus::Warning
        } else {
            HealthStatus::Critical
        });
    }
    HealthReport { status, body: json!({ "info": Value::Object(out) }) }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// A complete HTTP/1.1 response as rippled's peer port writes these endpoints: `Server`,
/// `Content-Type: application/json`, `Connection: close`, `Content-Length`, in that order.
/// Control characters in `server` are dropped so the header cannot be split.
pub fn http_response(status: u16, server: &str, body: &[u8]) -> Vec<u8> {
    let server: String = server.chars().filter(|c| !c.is_control()).collect();
    let mut head = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        head,
        "HTTP/1.1 {status} {}\r\nServer: {server}\r\nContent-Type: application/json\r\n\
         Connection: close\r\nContent-Length: {}\r\n\r\n",
        reason_phrase(status),
        body.len()
    );
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// The full `/crawl` response (200), or `None` when disabled.
pub fn crawl_response(snapshot: &CrawlSnapshot, server_header: &str) -> Option<Vec<u8>> {
    let body = crawl_body(snapshot)?;
    Some(http_response(200, server_header, body.to_string().as_bytes()))
}

/// The full `/health` response (200/503/500).
pub fn health_response(info: &ServerInfo, server_header: &str) -> Vec<u8> {
    let report = health_report(info);
    http_response(report.status.http_status(), server_header, report.body.to_string().as_bytes())
}

// ------------------------------------------------------------------------------------------------
// Parser
// ------------------------------------------------------------------------------------------------

/// Direction of a crawled peer link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerDirection {
    /// `"in"`.
    Inbound,
    /// `"out"`.
    Outbound,
}

/// One `overlay.active` entry of a parsed `/crawl` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCrawlPeer {
    /// Decoded `public_key`.
    pub public_key: Option<[u8; 33]>,
    /// `type`.
    pub direction: Option<PeerDirection>,
    /// `uptime`, seconds.
    pub uptime: Option<u64>,
    /// `ip`.
    pub ip: Option<IpAddr>,
    /// `port` (number, or string in old servers).
    pub port: Option<u16>,
    /// `version`.
    pub version: Option<String>,
    /// `complete_ledgers` `"a-b"`.
    pub complete_ledgers: Option<(u32, u32)>,
}

/// The parts of a parsed `server` section we use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedServer {
    /// `build_version`.
    pub build_version: Option<String>,
    /// `complete_ledgers` as sent (may be `"empty"` or several ranges).
    pub complete_ledgers: Option<String>,
    /// `server_state`.
    pub server_state: Option<String>,
    /// `uptime`.
    pub uptime: Option<u64>,
    /// `peers`.
    pub peers: Option<u64>,
    /// `pubkey_node`.
    pub pubkey_node: Option<String>,
    /// `network_id`.
    pub network_id: Option<u32>,
}

/// A parsed `/crawl` body. Unknown members are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedCrawl {
    /// `version` (2 for every rippled since 1.2.1).
    pub version: Option<u64>,
    /// `overlay.active`, if the section is present.
    pub peers: Option<Vec<ParsedCrawlPeer>>,
    /// `server`, if present.
    pub server: Option<ParsedServer>,
    /// `counts` present.
    pub has_counts: bool,
    /// `unl` present.
    pub has_unl: bool,
}

/// Why a `/crawl` body was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrawlParseError {
    /// Body longer than [`MAX_CRAWL_BODY_BYTES`].
    #[error("crawl body is {len} bytes, limit {limit}")]
    TooLarge {
        /// Body length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Not JSON of the expected shape (includes more than [`MAX_CRAWL_PEERS`] peers).
    #[error("crawl body is not a valid crawl document: {0}")]
    Json(String),
    /// `public_key` is not base64 of 33 bytes.
    #[error("peer {index}: public_key {value:?} is not base64 of a 33-byte key")]
    BadPublicKey {
        /// Index in `overlay.active`.
        index: usize,
        /// The text.
        value: String,
    },
    /// `type` is neither `in` nor `out`.
    #[error("peer {index}: type {value:?} is not \"in\" or \"out\"")]
    BadType {
        /// Index in `overlay.active`.
        index: usize,
        /// The text.
        value: String,
    },
    /// `ip` is not an IP address.
    #[error("peer {index}: ip {value:?} is not an IP address")]
    BadIp {
        /// Index in `overlay.active`.
        index: usize,
        /// The text.
        value: String,
    },
    /// `port` is not a number in 0..=65535.
    #[error("peer {index}: port {value:?} is not a port number")]
    BadPort {
        /// Index in `overlay.active`.
        index: usize,
        /// The value as text.
        value: String,
    },
    /// `complete_ledgers` is not `first-last`.
    #[error("peer {index}: complete_ledgers {value:?} is not \"first-last\"")]
    BadCompleteLedgers {
        /// Index in `overlay.active`.
        index: usize,
        /// The text.
        value: String,
    },
}

#[derive(Deserialize)]
struct RawCrawl {
    version: Option<u64>,
    overlay: Option<RawOverlay>,
    server: Option<RawServer>,
    counts: Option<IgnoredAny>,
    unl: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct RawOverlay {
    #[serde(default, deserialize_with = "bounded_peers")]
    active: Vec<RawPeer>,
}

#[derive(Deserialize)]
struct RawPeer {
    public_key: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    uptime: Option<u64>,
    ip: Option<String>,
    port: Option<RawPort>,
    version: Option<String>,
    complete_ledgers: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPort {
    Number(u64),
    Text(String),
}

#[derive(Deserialize)]
struct RawServer {
    build_version: Option<String>,
    complete_ledgers: Option<String>,
    server_state: Option<String>,
    uptime: Option<u64>,
    peers: Option<u64>,
    pubkey_node: Option<String>,
    network_id: Option<u32>,
}

fn bounded_peers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<RawPeer>, D::Error> {
    struct Bounded;
    impl<'de> Visitor<'de> for Bounded {
        type Value = Vec<RawPeer>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "an array of at most {MAX_CRAWL_PEERS} peers")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(peer) = seq.next_element::<RawPeer>()? {
                if out.len() == MAX_CRAWL_PEERS {
                    return Err(serde::de::Error::custom(format!("more than {MAX_CRAWL_PEERS} peers")));
                }
                out.push(peer);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Bounded)
}

fn parse_range(text: &str) -> Option<(u32, u32)> {
    let (a, b) = text.split_once('-')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

fn convert_peer(index: usize, raw: RawPeer) -> Result<ParsedCrawlPeer, CrawlParseError> {
    let public_key = match raw.public_key {
        None => None,
        Some(text) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text.as_bytes())
                .ok()
                .and_then(|b| <[u8; 33]>::try_from(b).ok());
            Some(bytes.ok_or(CrawlParseError::BadPublicKey { index, value: text })?)
        }
    };
    let direction = match raw.kind.as_deref() {
        None => None,
        Some("in") => Some(PeerDirection::Inbound),
        Some("out") => Some(PeerDirection::Outbound),
        Some(other) => return Err(CrawlParseError::BadType { index, value: other.to_owned() }),
    };
    let ip = match raw.ip {
        None => None,
        Some(text) => {
            Some(text.parse::<IpAddr>().map_err(|_| CrawlParseError::BadIp { index, value: text })?)
        }
    };
    let port = match raw.port {
        None => None,
        Some(RawPort::Number(n)) => {
            Some(u16::try_from(n).map_err(|_| CrawlParseError::BadPort { index, value: n.to_string() })?)
        }
        Some(RawPort::Text(text)) => {
            Some(text.trim().parse::<u16>().map_err(|_| CrawlParseError::BadPort { index, value: text })?)
        }
    };
    let complete_ledgers = match raw.complete_ledgers {
        None => None,
        Some(text) => {
            Some(parse_range(&text).ok_or(CrawlParseError::BadCompleteLedgers { index, value: text })?)
        }
    };
    Ok(ParsedCrawlPeer {
        public_key,
        direction,
        uptime: raw.uptime,
        ip,
        port,
        version: raw.version,
        complete_ledgers,
    })
}

/// Parse a `/crawl` body. Accepts `port` as number or string, ignores unknown members,
/// rejects bodies over [`MAX_CRAWL_BODY_BYTES`] and more than [`MAX_CRAWL_PEERS`] peers before
/// allocating for them, and reports malformed values with their peer index.
pub fn parse_crawl(body: &[u8]) -> Result<ParsedCrawl, CrawlParseError> {
    if body.len() > MAX_CRAWL_BODY_BYTES {
        return Err(CrawlParseError::TooLarge { len: body.len(), limit: MAX_CRAWL_BODY_BYTES });
    }
    let raw: RawCrawl = serde_json::from_slice(body).map_err(|e| CrawlParseError::Json(e.to_string()))?;
    let peers = match raw.overlay {
        None => None,
        Some(overlay) => Some(
            overlay
                .active
                .into_iter()
                .enumerate()
                .map(|(i, p)| convert_peer(i, p))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let server = raw.server.map(|s| ParsedServer {
        build_version: s.build_version,
        complete_ledgers: s.complete_ledgers,
        server_state: s.server_state,
        uptime: s.uptime,
        peers: s.peers,
        pubkey_node: s.pubkey_node,
        network_id: s.network_id,
    });
    Ok(ParsedCrawl {
        version: raw.version,
        peers,
        server,
        has_counts: raw.counts.is_some(),
        has_unl: raw.unl.is_some(),
    })
}
