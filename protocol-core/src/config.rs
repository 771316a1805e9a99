//! rippled.cfg-style configuration: text in, typed [`NodeConfig`] out (peerfinder.md §1,
//! overlay-wire.md §13.1, networks.md §1).
//!
//! Owns the INI grammar (rippled's `parseIniFile` + `Section::append`), the peer-related stanzas,
//! their defaults per network profile and their validation with section and 1-based line number.
//! It never reads files, resolves host names or opens sockets: the frontend loads the text and
//! resolves `[ips]`/`[ips_fixed]` host names itself.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::crawl::CrawlSections;
use crate::keys::{KeyError, NodePublicKey, Seed};
use crate::network::Network;

// ---------------------------------------------------------------------------------------------
// Limits and defaults (one table; the section that states each one is in its doc)
// ---------------------------------------------------------------------------------------------

/// `[overlay] max_unknown_time` default, seconds (peerfinder.md §1, §12).
pub const DEFAULT_MAX_UNKNOWN_TIME_SECS: u64 = 600;
/// `[overlay] max_unknown_time` allowed range, seconds, inclusive (peerfinder.md §1).
pub const MAX_UNKNOWN_TIME_RANGE: (u64, u64) = (300, 1800);
/// `[overlay] max_diverged_time` default, seconds (peerfinder.md §1, §12).
pub const DEFAULT_MAX_DIVERGED_TIME_SECS: u64 = 300;
/// `[overlay] max_diverged_time` allowed range, seconds, inclusive (peerfinder.md §1).
pub const MAX_DIVERGED_TIME_RANGE: (u64, u64) = (60, 900);
/// `[peers_in_max]` upper bound (peerfinder.md §1).
pub const PEERS_IN_MAX_LIMIT: usize = 1000;
/// `[peers_out_max]` allowed range, inclusive (peerfinder.md §1).
pub const PEERS_OUT_MAX_RANGE: (usize, usize) = (10, 1000);
/// `[reduce_relay] vp_base_squelch_max_selected_peers` default and minimum (peerfinder.md §1).
pub const VP_MAX_SELECTED_PEERS_DEFAULT: u32 = 5;
pub const VP_MAX_SELECTED_PEERS_MIN: u32 = 3;
/// `[reduce_relay] tx_min_peers` default and minimum (peerfinder.md §1).
pub const TX_MIN_PEERS_DEFAULT: u32 = 20;
pub const TX_MIN_PEERS_MIN: u32 = 10;
/// `[reduce_relay] tx_relay_percentage` default and range, inclusive (peerfinder.md §1).
pub const TX_RELAY_PERCENTAGE_DEFAULT: u32 = 25;
pub const TX_RELAY_PERCENTAGE_RANGE: (u32, u32) = (10, 100);
/// `[server_domain]` total length bounds, inclusive (rippled `isProperlyFormedTomlDomain`).
pub const SERVER_DOMAIN_LEN: (usize, usize) = (4, 128);
/// Longest host name accepted in `[ips]`/`[ips_fixed]` (RFC 1035 limit).
pub const MAX_HOSTNAME_LEN: usize = 253;
/// `[network_id]` names (peerfinder.md §1): `main`, `testnet`, `devnet`.
pub const NETWORK_ID_NAMES: [(&str, u32); 3] = [("main", 0), ("testnet", 1), ("devnet", 2)];
/// Longest configuration text we accept; a config file is small, this only bounds memory.
pub const MAX_CONFIG_BYTES: usize = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Where a bad value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A line of the configuration text: section name (without brackets) and 1-based line.
    Line { section: String, line: usize },
    /// A command-line option (e.g. `--ips`).
    CommandLine { option: String },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Line { section, line } => write!(f, "[{section}] line {line}"),
            Origin::CommandLine { option } => write!(f, "command line {option}"),
        }
    }
}

/// A configuration value we refuse, with where it is and what it says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {kind}: `{text}`")]
pub struct ConfigError {
    pub origin: Origin,
    /// The offending text (the value, or the whole line).
    pub text: String,
    pub kind: ConfigErrorKind,
}

impl ConfigError {
    fn at(section: &str, line: usize, text: &str, kind: ConfigErrorKind) -> Self {
        ConfigError { origin: Origin::Line { section: section.to_string(), line }, text: text.into(), kind }
    }

    /// The 1-based line number, if the error comes from the configuration text.
    pub fn line(&self) -> Option<usize> {
        match &self.origin {
            Origin::Line { line, .. } => Some(*line),
            Origin::CommandLine { .. } => None,
        }
    }

    /// The section name, if the error comes from the configuration text.
    pub fn section(&self) -> Option<&str> {
        match &self.origin {
            Origin::Line { section, .. } => Some(section),
            Origin::CommandLine { .. } => None,
        }
    }
}

/// A value rippled silently ignores (keeping the default); we do the same and report it so the
/// frontend can log it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {message}: `{text}`")]
pub struct ConfigWarning {
    pub origin: Origin,
    pub text: String,
    pub message: String,
}

/// What is wrong with a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigErrorKind {
    #[error("configuration text is larger than {MAX_CONFIG_BYTES} bytes")]
    TooLarge,
    #[error("expected an unsigned integer")]
    NotANumber,
    #[error("value must be between {min} and {max} inclusive")]
    OutOfRange { min: u64, max: u64 },
    #[error("expected 0/1 or true/false")]
    NotABool,
    #[error("this section takes exactly one value; another one was given here")]
    TooManyValues,
    #[error("expected `key = value`")]
    ExpectedKeyValue,
    #[error("not a valid IP address")]
    BadIp,
    #[error("address must be public (not private, loopback or multicast)")]
    NotPublicIp,
    #[error("not a valid port (1-65535)")]
    BadPort,
    #[error("not a valid peer address: {0}")]
    BadPeerAddress(&'static str),
    #[error("unknown network: expected one of xrpl, xdv, swtc, xahau")]
    UnknownNetwork,
    #[error("expected a number or one of main, testnet, devnet")]
    BadNetworkId,
    #[error("invalid node seed: {0}")]
    BadSeed(KeyError),
    #[error("invalid cluster node public key: {0}")]
    BadNodeKey(KeyError),
    #[error("the peer port's `protocol` must include `peer`")]
    NotAPeerPort,
    #[error("more than one port section has `protocol = peer`")]
    MultiplePeerPorts,
    #[error("[peers_in_max] and [peers_out_max] must be configured together")]
    PeersInOutPair,
    #[error("`{0}` and `{1}` cannot both be given")]
    Conflicting(&'static str, &'static str),
    #[error("the domain name does not meet the requirements")]
    BadDomain,
    #[error("expected one of {0}")]
    BadChoice(&'static str),
}

// ---------------------------------------------------------------------------------------------
// INI layer (rippled `parseIniFile`, `Section::append`)
// ---------------------------------------------------------------------------------------------

/// One non-empty, non-comment line of a section, trailing comment removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniLine {
    /// 1-based line number in the original text.
    pub line: usize,
    pub text: String,
}

/// One `[section]`. Repeated headers append to the same section, as rippled does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IniSection {
    /// Line of the first header for this section.
    pub header_line: usize,
    pub lines: Vec<IniLine>,
}

impl IniSection {
    /// `key = value` pairs (last one wins, as rippled's `insert_or_assign`), with their line.
    pub fn key_values(&self) -> BTreeMap<String, (String, usize)> {
        let mut out = BTreeMap::new();
        for l in &self.lines {
            if let Some((k, v)) = split_key_value(&l.text) {
                out.insert(k.to_string(), (v.to_string(), l.line));
            }
        }
        out
    }

    /// Lines that are not `key = value` (rippled's `values()`).
    pub fn values(&self) -> Vec<&IniLine> {
        self.lines.iter().filter(|l| split_key_value(&l.text).is_none()).collect()
    }
}

/// The parsed INI text: section name → section. Lines before any header are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IniFile {
    pub sections: BTreeMap<String, IniSection>,
}

impl IniFile {
    /// rippled's grammar: CRLF and CR become LF, each line is trimmed, empty lines and lines
    /// starting with `#` are skipped, `[name]` opens a section, anything else belongs to the
    /// current section. A later `#` not escaped as `\#` starts a trailing comment.
    pub fn parse(text: &str) -> Result<IniFile, ConfigError> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(ConfigError::at("", 0, "", ConfigErrorKind::TooLarge));
        }
        let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
        let mut file = IniFile::default();
        let mut current: Option<String> = None;
        for (idx, raw) in normalised.split('\n').enumerate() {
            let line_no = idx + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.len() >= 2 && line.starts_with('[') && line.ends_with(']') {
                let name = line[1..line.len() - 1].to_string();
                file.sections
                    .entry(name.clone())
                    .or_insert(IniSection { header_line: line_no, lines: vec![] });
                current = Some(name);
                continue;
            }
            let Some(name) = &current else { continue };
            let value = strip_trailing_comment(line);
            if value.is_empty() {
                continue;
            }
            if let Some(sec) = file.sections.get_mut(name) {
                sec.lines.push(IniLine { line: line_no, text: value });
            }
        }
        Ok(file)
    }

    pub fn section(&self, name: &str) -> Option<&IniSection> {
        self.sections.get(name)
    }
}

/// rippled `Section::append`'s comment rule: `\#` is a literal `#`, any other `#` ends the value.
fn strip_trailing_comment(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'#') {
            out.push('#');
            chars.next();
        } else if c == '#' {
            break;
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// rippled's `<key> '=' <value>` pattern: key `[A-Za-z][_A-Za-z0-9]*`, non-empty value.
fn split_key_value(line: &str) -> Option<(&str, &str)> {
    let (k, v) = line.split_once('=')?;
    let (k, v) = (k.trim(), v.trim());
    let mut chars = k.chars();
    let first = chars.next()?;
    if !first.is_ascii_alphabetic() || !chars.all(|c| c == '_' || c.is_ascii_alphanumeric()) {
        return None;
    }
    if v.is_empty() {
        return None;
    }
    Some((k, v))
}

// ---------------------------------------------------------------------------------------------
// Typed configuration
// ---------------------------------------------------------------------------------------------

/// The listening peer port (`[port_peer]` or any port section with `protocol = peer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerPort {
    pub ip: IpAddr,
    pub port: u16,
}

/// The host part of an `[ips]`/`[ips_fixed]` entry; names stay unresolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeerHost {
    Ip(IpAddr),
    Name(String),
}

impl fmt::Display for PeerHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerHost::Ip(IpAddr::V6(a)) => write!(f, "[{a}]"),
            PeerHost::Ip(IpAddr::V4(a)) => write!(f, "{a}"),
            PeerHost::Name(n) => f.write_str(n),
        }
    }
}

/// One `[ips]`/`[ips_fixed]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerAddress {
    pub host: PeerHost,
    pub port: u16,
    /// Whether the port was written (false: the profile's fallback port was filled in).
    pub explicit_port: bool,
}

impl fmt::Display for PeerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

impl PeerAddress {
    /// Parse `host port`, `host:port`, `[v6]:port`, `[v6] port`, bare IPv6, bare host or IPv4;
    /// a missing port becomes `fallback_port` (networks.md §1).
    pub fn parse(text: &str, fallback_port: u16) -> Result<PeerAddress, ConfigErrorKind> {
        let text = text.trim();
        let mut tokens = text.split_whitespace();
        let first = tokens.next().ok_or(ConfigErrorKind::BadPeerAddress("empty"))?;
        let second = tokens.next();
        if tokens.next().is_some() {
            return Err(ConfigErrorKind::BadPeerAddress("expected `host port`"));
        }
        let (host_text, port_text): (&str, Option<&str>) = if let Some(rest) = first.strip_prefix('[') {
            let (inside, after) =
                rest.split_once(']').ok_or(ConfigErrorKind::BadPeerAddress("missing `]`"))?;
            let port = if after.is_empty() {
                second
            } else {
                let p = after.strip_prefix(':').ok_or(ConfigErrorKind::BadPeerAddress("junk after `]`"))?;
                if second.is_some() {
                    return Err(ConfigErrorKind::BadPeerAddress("two ports"));
                }
                Some(p)
            };
            let ip: Ipv6Addr = inside.parse().map_err(|_| ConfigErrorKind::BadIp)?;
            return finish(PeerHost::Ip(IpAddr::V6(ip)), port, fallback_port);
        } else if second.is_some() {
            (first, second)
        } else {
            match first.matches(':').count() {
                0 => (first, None),
                // rippled replaces a single `:port` suffix with ` port` (Config::loadFromString).
                1 => {
                    let (h, p) = first.split_once(':').ok_or(ConfigErrorKind::BadPort)?; // ok: one ':'
                    (h, Some(p))
                }
                _ => (first, None),
            }
        };
        let host = if let Ok(ip) = host_text.parse::<IpAddr>() {
            PeerHost::Ip(ip)
        } else if host_text.contains(':') {
            return Err(ConfigErrorKind::BadIp);
        } else {
            PeerHost::Name(validate_hostname(host_text)?)
        };
        finish(host, port_text, fallback_port)
    }
}

fn finish(host: PeerHost, port: Option<&str>, fallback: u16) -> Result<PeerAddress, ConfigErrorKind> {
    match port {
        None => Ok(PeerAddress { host, port: fallback, explicit_port: false }),
        Some(p) => Ok(PeerAddress { host, port: parse_port(p)?, explicit_port: true }),
    }
}

fn parse_port(text: &str) -> Result<u16, ConfigErrorKind> {
    let n = parse_uint(text).map_err(|_| ConfigErrorKind::BadPort)?;
    match u16::try_from(n) {
        Ok(p) if p != 0 => Ok(p),
        _ => Err(ConfigErrorKind::BadPort),
    }
}

fn validate_hostname(text: &str) -> Result<String, ConfigErrorKind> {
    if text.is_empty() || text.len() > MAX_HOSTNAME_LEN {
        return Err(ConfigErrorKind::BadPeerAddress("host name length"));
    }
    let ok = text.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    });
    if !ok {
        return Err(ConfigErrorKind::BadPeerAddress("not a host name or IP address"));
    }
    Ok(text.to_string())
}

/// A `[cluster_nodes]` member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNode {
    pub key: NodePublicKey,
    pub name: Option<String>,
}

/// `[overlay]` settings (peerfinder.md §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlaySettings {
    /// Our public address, used for `Local-IP`/`Remote-IP` checks; must be public.
    pub public_ip: Option<IpAddr>,
    /// Per-IP inbound limit; 0 = automatic (peerfinder.md §3.2).
    pub ip_limit: u32,
    pub max_unknown_time: Duration,
    pub max_diverged_time: Duration,
}

impl Default for OverlaySettings {
    fn default() -> Self {
        OverlaySettings {
            public_ip: None,
            ip_limit: 0,
            max_unknown_time: Duration::from_secs(DEFAULT_MAX_UNKNOWN_TIME_SECS),
            max_diverged_time: Duration::from_secs(DEFAULT_MAX_DIVERGED_TIME_SECS),
        }
    }
}

/// `[reduce_relay]` (peerfinder.md §1, overlay-wire.md §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReduceRelaySettings {
    pub vp_base_squelch_enable: bool,
    pub vp_base_squelch_max_selected_peers: u32,
    pub tx_enable: bool,
    pub tx_metrics: bool,
    pub tx_min_peers: u32,
    pub tx_relay_percentage: u32,
}

impl Default for ReduceRelaySettings {
    fn default() -> Self {
        ReduceRelaySettings {
            vp_base_squelch_enable: false,
            vp_base_squelch_max_selected_peers: VP_MAX_SELECTED_PEERS_DEFAULT,
            tx_enable: false,
            tx_metrics: false,
            tx_min_peers: TX_MIN_PEERS_DEFAULT,
            tx_relay_percentage: TX_RELAY_PERCENTAGE_DEFAULT,
        }
    }
}

/// `[relay_proposals]` / `[relay_validations]` (peerfinder.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayPolicy {
    All,
    Trusted,
    DropUntrusted,
}

/// Everything peer-related from a rippled.cfg, with per-network defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    /// `[network]` (our extension) or the command line; default XRPL.
    pub network: Network,
    /// `None`: no peer port, we do not accept inbound connections (peerfinder.md §1).
    pub peer_port: Option<PeerPort>,
    pub ips: Vec<PeerAddress>,
    pub ips_fixed: Vec<PeerAddress>,
    /// `[peers_max]`; `None` ⇒ 21 (peerfinder.md §3.1).
    pub peers_max: Option<usize>,
    pub peers_in_max: Option<usize>,
    pub peers_out_max: Option<usize>,
    pub peer_private: bool,
    pub node_seed: Option<Seed>,
    pub cluster_nodes: Vec<ClusterNode>,
    /// `[network_id]`, else the profile's default (Xahau 21337).
    pub network_id: Option<u32>,
    pub overlay: OverlaySettings,
    pub crawl: CrawlSections,
    /// `[vl] enabled`.
    pub vl_enabled: bool,
    pub compression: bool,
    pub ledger_replay: bool,
    pub reduce_relay: ReduceRelaySettings,
    pub server_domain: Option<String>,
    pub relay_proposals: RelayPolicy,
    pub relay_validations: RelayPolicy,
    /// Sections we do not interpret, kept verbatim (name → lines) for other components.
    pub other_sections: BTreeMap<String, Vec<String>>,
    /// Values ignored as rippled ignores them (e.g. `[crawl] overlay = yes`), for the log.
    pub warnings: Vec<ConfigWarning>,
}

/// Sections this module interprets; everything else lands in `other_sections`.
const KNOWN_SECTIONS: &[&str] = &[
    "network",
    "server",
    "ips",
    "ips_fixed",
    "peers_max",
    "peers_in_max",
    "peers_out_max",
    "peer_private",
    "node_seed",
    "cluster_nodes",
    "network_id",
    "overlay",
    "crawl",
    "vl",
    "compression",
    "ledger_replay",
    "reduce_relay",
    "server_domain",
    "relay_proposals",
    "relay_validations",
];

/// Values the command line may override (shared CLI in node-common).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CliOverrides {
    /// Wins over `[network]`; applied before parsing so seeds and keys use its alphabet.
    pub network: Option<Network>,
    pub peer_port: Option<u16>,
    /// Replaces `[ips]` when non-empty.
    pub ips: Vec<String>,
    /// Replaces `[ips_fixed]` when non-empty.
    pub ips_fixed: Vec<String>,
    pub peers_max: Option<usize>,
    pub peer_private: Option<bool>,
}

impl NodeConfig {
    /// Defaults for a network with no configuration text at all: listen on 0.0.0.0 at the
    /// profile's default peer port, nothing else configured.
    pub fn defaults(network: Network) -> NodeConfig {
        let profile = network.profile();
        NodeConfig {
            network,
            peer_port: Some(PeerPort {
                ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                port: profile.default_peer_port,
            }),
            ips: vec![],
            ips_fixed: vec![],
            peers_max: None,
            peers_in_max: None,
            peers_out_max: None,
            peer_private: false,
            node_seed: None,
            cluster_nodes: vec![],
            network_id: profile.default_network_id,
            overlay: OverlaySettings::default(),
            crawl: CrawlSections::default(),
            vl_enabled: true,
            compression: false,
            ledger_replay: false,
            reduce_relay: ReduceRelaySettings::default(),
            server_domain: None,
            relay_proposals: RelayPolicy::Trusted,
            relay_validations: RelayPolicy::All,
            other_sections: BTreeMap::new(),
            warnings: vec![],
        }
    }

    /// Parse configuration text; the network comes from `[network]` (default XRPL).
    pub fn parse(text: &str) -> Result<NodeConfig, ConfigError> {
        Self::parse_with(text, &CliOverrides::default())
    }

    /// Parse configuration text, then apply command-line overrides.
    pub fn parse_with(text: &str, cli: &CliOverrides) -> Result<NodeConfig, ConfigError> {
        let ini = IniFile::parse(text)?;
        let network = match cli.network {
            Some(n) => n,
            None => match single_value(&ini, "network")? {
                Some(v) => v.text.parse::<Network>().map_err(|_| {
                    ConfigError::at("network", v.line, &v.text, ConfigErrorKind::UnknownNetwork)
                })?,
                None => Network::Xrpl,
            },
        };
        let mut cfg = NodeConfig::defaults(network);
        cfg.read_ports(&ini)?;
        cfg.read_addresses(&ini)?;
        cfg.read_peer_counts(&ini)?;
        cfg.read_identity(&ini)?;
        cfg.read_overlay(&ini)?;
        cfg.read_features(&ini)?;
        for (name, sec) in &ini.sections {
            if !KNOWN_SECTIONS.contains(&name.as_str()) && !is_port_section(&ini, name) {
                cfg.other_sections.insert(name.clone(), sec.lines.iter().map(|l| l.text.clone()).collect());
            }
        }
        cfg.apply_overrides(cli)?;
        Ok(cfg)
    }

    /// Apply the non-network command-line overrides (the network must be known before parsing;
    /// see [`NodeConfig::parse_with`]).
    pub fn apply_overrides(&mut self, cli: &CliOverrides) -> Result<(), ConfigError> {
        let fallback = self.network.profile().fallback_peer_port;
        if let Some(port) = cli.peer_port {
            if port == 0 {
                return Err(ConfigError {
                    origin: Origin::CommandLine { option: "--peer-port".into() },
                    text: "0".into(),
                    kind: ConfigErrorKind::BadPort,
                });
            }
            let ip = self.peer_port.map(|p| p.ip).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            self.peer_port = Some(PeerPort { ip, port });
        }
        let parse_list = |list: &[String], option: &str| -> Result<Vec<PeerAddress>, ConfigError> {
            list.iter()
                .map(|s| {
                    PeerAddress::parse(s, fallback).map_err(|kind| ConfigError {
                        origin: Origin::CommandLine { option: option.into() },
                        text: s.clone(),
                        kind,
                    })
                })
                .collect()
        };
        if !cli.ips.is_empty() {
            self.ips = parse_list(&cli.ips, "--ips")?;
        }
        if !cli.ips_fixed.is_empty() {
            self.ips_fixed = parse_list(&cli.ips_fixed, "--ips-fixed")?;
        }
        if let Some(n) = cli.peers_max {
            self.peers_max = Some(n);
        }
        if let Some(p) = cli.peer_private {
            self.peer_private = p;
        }
        Ok(())
    }

    /// The port we advertise and listen on; 0 when we do not listen.
    pub fn listening_port(&self) -> u16 {
        self.peer_port.map(|p| p.port).unwrap_or(0)
    }

    fn read_ports(&mut self, ini: &IniFile) -> Result<(), ConfigError> {
        // rippled lists port sections in [server]; we also accept a lone [port_peer].
        let mut names: Vec<(String, usize)> = ini
            .section("server")
            .map(|s| s.values().iter().map(|l| (l.text.clone(), l.line)).collect())
            .unwrap_or_default();
        if ini.section("port_peer").is_some() && !names.iter().any(|(n, _)| n == "port_peer") {
            names.push(("port_peer".into(), 0));
        }
        if names.is_empty() {
            return Ok(()); // keep the profile default
        }
        let mut found: Option<PeerPort> = None;
        for (name, _) in &names {
            let Some(sec) = ini.section(name) else { continue };
            let kv = sec.key_values();
            let protocol = kv.get("protocol");
            let is_peer = protocol.is_some_and(|(p, _)| p.split(',').any(|t| t.trim() == "peer"));
            if !is_peer {
                if name == "port_peer" {
                    let (text, line) =
                        protocol.map(|(p, l)| (p.as_str(), *l)).unwrap_or((name, sec.header_line));
                    return Err(ConfigError::at(name, line, text, ConfigErrorKind::NotAPeerPort));
                }
                continue;
            }
            if found.is_some() {
                return Err(ConfigError::at(name, sec.header_line, name, ConfigErrorKind::MultiplePeerPorts));
            }
            let port = match kv.get("port") {
                Some((p, line)) => parse_port(p).map_err(|k| ConfigError::at(name, *line, p, k))?,
                None => self.network.profile().default_peer_port,
            };
            let ip = match kv.get("ip") {
                Some((ip, line)) => ip
                    .parse::<IpAddr>()
                    .map_err(|_| ConfigError::at(name, *line, ip, ConfigErrorKind::BadIp))?,
                None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            };
            found = Some(PeerPort { ip, port });
        }
        self.peer_port = found;
        Ok(())
    }

    fn read_addresses(&mut self, ini: &IniFile) -> Result<(), ConfigError> {
        let fallback = self.network.profile().fallback_peer_port;
        let read = |name: &str| -> Result<Vec<PeerAddress>, ConfigError> {
            let Some(sec) = ini.section(name) else { return Ok(vec![]) };
            sec.lines
                .iter()
                .map(|l| {
                    PeerAddress::parse(&l.text, fallback)
                        .map_err(|k| ConfigError::at(name, l.line, &l.text, k))
                })
                .collect()
        };
        self.ips = read("ips")?;
        self.ips_fixed = read("ips_fixed")?;
        Ok(())
    }

    fn read_peer_counts(&mut self, ini: &IniFile) -> Result<(), ConfigError> {
        self.peers_max = single_number(ini, "peers_max", 0, u64::MAX)?.map(|n| n as usize);
        if let Some(v) = single_value(ini, "peer_private")? {
            self.peer_private =
                parse_bool(&v.text).map_err(|k| ConfigError::at("peer_private", v.line, &v.text, k))?;
        }
        // Only read when [peers_max] is absent, as rippled does (peerfinder.md §1).
        if self.peers_max.is_none() {
            let (lo, hi) = PEERS_OUT_MAX_RANGE;
            let inn = single_number(ini, "peers_in_max", 0, PEERS_IN_MAX_LIMIT as u64)?;
            let out = single_number(ini, "peers_out_max", lo as u64, hi as u64)?;
            match (inn, out) {
                (Some(i), Some(o)) => {
                    self.peers_in_max = Some(i as usize);
                    self.peers_out_max = Some(o as usize);
                }
                (None, None) => {}
                (Some(_), None) | (None, Some(_)) => {
                    let name = if inn.is_some() { "peers_in_max" } else { "peers_out_max" };
                    let line = ini.section(name).map(|s| s.header_line).unwrap_or(0);
                    return Err(ConfigError::at(name, line, name, ConfigErrorKind::PeersInOutPair));
                }
            }
        }
        Ok(())
    }

    fn read_identity(&mut self, ini: &IniFile) -> Result<(), ConfigError> {
        let alphabet = self.network.profile().alphabet;
        if let Some(v) = single_value(ini, "node_seed")? {
            let seed = Seed::from_base58(&v.text, alphabet)
                .map_err(|e| ConfigError::at("node_seed", v.line, &v.text, ConfigErrorKind::BadSeed(e)))?;
            self.node_seed = Some(seed);
        }
        if let Some(sec) = ini.section("cluster_nodes") {
            for l in &sec.lines {
                let (key_text, name) = match l.text.split_once(char::is_whitespace) {
                    Some((k, n)) => (k, Some(n.trim().to_string()).filter(|n| !n.is_empty())),
                    None => (l.text.as_str(), None),
                };
                let key = NodePublicKey::from_base58(key_text, alphabet).map_err(|e| {
                    ConfigError::at("cluster_nodes", l.line, &l.text, ConfigErrorKind::BadNodeKey(e))
                })?;
                self.cluster_nodes.push(ClusterNode { key, name });
            }
        }
        if let Some(v) = single_value(ini, "network_id")? {
            let id = match NETWORK_ID_NAMES.iter().find(|(n, _)| *n == v.text) {
                Some((_, id)) => *id,
                None => parse_uint(&v.text).ok().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
                    ConfigError::at("network_id", v.line, &v.text, ConfigErrorKind::BadNetworkId)
                })?,
            };
            self.network_id = Some(id);
        }
        Ok(())
    }

    fn read_overlay(&mut self, ini: &IniFile) -> Result<(), ConfigError> {
        if let Some(sec) = ini.section("overlay") {
            let kv = sec.key_values();
            if let Some((v, line)) = kv.get("public_ip") {
                let ip: IpAddr =
                    v.parse().map_err(|_| ConfigError::at("overlay", *line, v, ConfigErrorKind::BadIp))?;
                if !crate::peerfinder::is_public_ip(ip) {
                    return Err(ConfigError::at("overlay", *line, v, ConfigErrorKind::NotPublicIp));
                }
                self.overlay.public_ip = Some(ip);
            }
            if let Some((v, line)) = kv.get("ip_limit") {
                let n = parse_uint(v).map_err(|k| ConfigError::at("overlay", *line, v, k))?;
                self.overlay.ip_limit = u32::try_from(n).map_err(|_| {
                    ConfigError::at(
                        "overlay",
                        *line,
                        v,
                        ConfigErrorKind::OutOfRange { min: 0, max: u32::MAX as u64 },
                    )
                })?;
            }
            let time = |key: &str, (lo, hi): (u64, u64)| -> Result<Option<Duration>, ConfigError> {
                let Some((v, line)) = kv.get(key) else { return Ok(None) };
                let n = parse_uint(v).map_err(|k| ConfigError::at("overlay", *line, v, k))?;
                if n < lo || n > hi {
                    return Err(ConfigError::at(
                        "overlay",
                        *line,
                        v,
                        ConfigErrorKind::OutOfRange { min: lo, max: hi },
                    ));
                }
                Ok(Some(Duration::from_secs(n)))
            };
            if let Some(d) = time("max_unknown_time", MAX_UNKNOWN_TIME_RANGE)? {
                self.overlay.max_unknown_time = d;
            }
            if let Some(d) = time("max_diverged_time", MAX_DIVERGED_TIME_RANGE)? {
                self.overlay.max_diverged_time = d;
            }
        }
        if let Some(sec) = ini.section("crawl") {
            let values = sec.values();
            if let Some(extra) = values.get(1) {
                return Err(ConfigError::at(
                    "crawl",
                    extra.line,
                    &extra.text,
                    ConfigErrorKind::TooManyValues,
                ));
            }
            // The master switch is boost::lexical_cast<bool>; anything else aborts start-up
            // (rippled `setup_Overlay`).
            if let Some(v) = values.first() {
                self.crawl.enabled = lexical_cast_bool(&v.text)
                    .ok_or_else(|| ConfigError::at("crawl", v.line, &v.text, ConfigErrorKind::NotABool))?;
            }
            let kv = sec.key_values();
            for (key, slot) in [
                ("overlay", &mut self.crawl.overlay),
                ("server", &mut self.crawl.server),
                ("counts", &mut self.crawl.counts),
                ("unl", &mut self.crawl.unl),
            ] {
                // rippled reads these with `get<bool>(section, key, default)`: boost's
                // lexical_cast<bool>, and a value it rejects (`true`, `yes`, `2`) silently keeps
                // the default. We do the same, and leave a warning for the log.
                if let Some((v, line)) = kv.get(key) {
                    match lexical_cast_bool(v) {
                        Some(b) => *slot = b,
                        None => self.warnings.push(ConfigWarning {
                            origin: Origin::Line { section: "crawl".into(), line: *line },
                            text: v.to_string(),
                            message: format!(
                                "`{key}` is not 0 or 1 (boost lexical_cast<bool>); keeping the default ({})",
                                if *slot { 1 } else { 0 }
                            ),
                        }),
                    }
                }
            }
        }
        if let Some(sec) = ini.section("vl") {
            if let Some((v, line)) = sec.key_values().get("enabled") {
                self.vl_enabled = parse_bool(v).map_err(|k| ConfigError::at("vl", *line, v, k))?;
            }
        }
        Ok(())
    }

    fn read_features(&mut self, ini: &IniFile) -> Result<(), ConfigError> {
        for (name, slot) in
            [("compression", &mut self.compression), ("ledger_replay", &mut self.ledger_replay)]
        {
            if let Some(v) = single_value(ini, name)? {
                *slot = parse_bool(&v.text).map_err(|k| ConfigError::at(name, v.line, &v.text, k))?;
            }
        }
        if let Some(sec) = ini.section("reduce_relay") {
            let kv = sec.key_values();
            let rr = &mut self.reduce_relay;
            let flag = |key: &str| -> Result<Option<bool>, ConfigError> {
                kv.get(key)
                    .map(|(v, line)| parse_bool(v).map_err(|k| ConfigError::at("reduce_relay", *line, v, k)))
                    .transpose()
            };
            let num = |key: &str, lo: u64, hi: u64| -> Result<Option<u32>, ConfigError> {
                let Some((v, line)) = kv.get(key) else { return Ok(None) };
                let n = parse_uint(v).map_err(|k| ConfigError::at("reduce_relay", *line, v, k))?;
                if n < lo || n > hi {
                    return Err(ConfigError::at(
                        "reduce_relay",
                        *line,
                        v,
                        ConfigErrorKind::OutOfRange { min: lo, max: hi },
                    ));
                }
                Ok(Some(n as u32))
            };
            if let (Some(_), Some((v, line))) = (kv.get("vp_base_squelch_enable"), kv.get("vp_enable")) {
                return Err(ConfigError::at(
                    "reduce_relay",
                    *line,
                    v,
                    ConfigErrorKind::Conflicting("vp_base_squelch_enable", "vp_enable"),
                ));
            }
            rr.vp_base_squelch_enable =
                flag("vp_base_squelch_enable")?.or(flag("vp_enable")?).unwrap_or(false);
            let max = u32::MAX as u64;
            if let Some(n) = num("vp_base_squelch_max_selected_peers", VP_MAX_SELECTED_PEERS_MIN as u64, max)?
            {
                rr.vp_base_squelch_max_selected_peers = n;
            }
            rr.tx_enable = flag("tx_enable")?.unwrap_or(false);
            rr.tx_metrics = flag("tx_metrics")?.unwrap_or(false);
            if let Some(n) = num("tx_min_peers", TX_MIN_PEERS_MIN as u64, max)? {
                rr.tx_min_peers = n;
            }
            let (lo, hi) = TX_RELAY_PERCENTAGE_RANGE;
            if let Some(n) = num("tx_relay_percentage", lo as u64, hi as u64)? {
                rr.tx_relay_percentage = n;
            }
        }
        if let Some(v) = single_value(ini, "server_domain")? {
            if !is_proper_domain(&v.text) {
                return Err(ConfigError::at("server_domain", v.line, &v.text, ConfigErrorKind::BadDomain));
            }
            self.server_domain = Some(v.text.clone());
        }
        for (name, slot) in [
            ("relay_proposals", &mut self.relay_proposals),
            ("relay_validations", &mut self.relay_validations),
        ] {
            if let Some(v) = single_value(ini, name)? {
                *slot = match v.text.to_ascii_lowercase().as_str() {
                    "all" => RelayPolicy::All,
                    "trusted" => RelayPolicy::Trusted,
                    "drop_untrusted" => RelayPolicy::DropUntrusted,
                    _ => {
                        return Err(ConfigError::at(
                            name,
                            v.line,
                            &v.text,
                            ConfigErrorKind::BadChoice("all, trusted, drop_untrusted"),
                        ))
                    }
                };
            }
        }
        Ok(())
    }
}

fn is_port_section(ini: &IniFile, name: &str) -> bool {
    name == "port_peer"
        || ini.section("server").map(|s| s.values().iter().any(|l| l.text == name)).unwrap_or(false)
}

/// The one line of a single-value section. rippled ignores a section with several lines (with a
/// warning); we refuse it, naming the second line, because the operator's intent is unclear.
fn single_value<'a>(ini: &'a IniFile, name: &str) -> Result<Option<&'a IniLine>, ConfigError> {
    let Some(sec) = ini.section(name) else { return Ok(None) };
    if let Some(extra) = sec.lines.get(1) {
        return Err(ConfigError::at(name, extra.line, &extra.text, ConfigErrorKind::TooManyValues));
    }
    Ok(sec.lines.first())
}

fn single_number(ini: &IniFile, name: &str, lo: u64, hi: u64) -> Result<Option<u64>, ConfigError> {
    let Some(v) = single_value(ini, name)? else { return Ok(None) };
    let n = parse_uint(&v.text).map_err(|k| ConfigError::at(name, v.line, &v.text, k))?;
    if n < lo || n > hi {
        return Err(ConfigError::at(name, v.line, &v.text, ConfigErrorKind::OutOfRange { min: lo, max: hi }));
    }
    Ok(Some(n))
}

fn parse_uint(text: &str) -> Result<u64, ConfigErrorKind> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ConfigErrorKind::NotANumber);
    }
    t.parse::<u64>().map_err(|_| ConfigErrorKind::NotANumber)
}

/// `boost::lexical_cast<bool>` of a string: an optional `+` (or `-` before a zero value), any
/// number of leading zeros, then a final `0` or `1`. So `1`, `+1`, `001`, `-0` parse; `true`,
/// `yes`, `2`, `-1`, `1 ` and the empty string do not (boost's `lexical_istream_limited_src`
/// bool reader, which rippled's `get<bool>` and the `[crawl]` master switch use).
pub fn lexical_cast_bool(text: &str) -> Option<bool> {
    let b = text.as_bytes();
    let (&last, rest) = b.split_last()?;
    let value = match last {
        b'1' => true,
        b'0' => false,
        _ => return None,
    };
    let digits = match rest.first() {
        Some(b'+') => &rest[1..],
        Some(b'-') if !value => &rest[1..],
        _ => rest,
    };
    digits.iter().all(|&c| c == b'0').then_some(value)
}

/// beast `lexicalCast<bool>`: `0`/`1`, `true`/`false` (any case).
fn parse_bool(text: &str) -> Result<bool, ConfigErrorKind> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(ConfigErrorKind::NotABool),
    }
}

/// rippled `isProperlyFormedTomlDomain`: 4..=128 characters, one or more labels of
/// `[A-Za-z0-9-]{1,63}` not starting or ending with `-`, then a TLD of 2..=63 letters.
pub fn is_proper_domain(domain: &str) -> bool {
    let (lo, hi) = SERVER_DOMAIN_LEN;
    if domain.len() < lo || domain.len() > hi {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((tld, rest)) = labels.split_last() else { return false };
    if rest.is_empty() || tld.len() < 2 || tld.len() > 63 || !tld.bytes().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    rest.iter().all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_comments_and_escapes() {
        assert_eq!(strip_trailing_comment("a b # c"), "a b");
        assert_eq!(strip_trailing_comment(r"pass\#word"), "pass#word");
    }

    #[test]
    fn key_value_rule() {
        assert_eq!(split_key_value("port = 51235"), Some(("port", "51235")));
        assert_eq!(split_key_value("1port = 3"), None);
        assert_eq!(split_key_value("port ="), None);
    }
}
