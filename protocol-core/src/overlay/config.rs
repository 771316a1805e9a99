//! Settings of one overlay node ([`OverlayConfig`]) and the overlay's own named limits and
//! timers (overlay-wire.md §2, §10, §13; peerfinder.md §1–§4).
//!
//! Owns the translation of a parsed [`NodeConfig`] (plus resolved addresses, the node key's
//! public half and the network profile) into what the state machine reads. It does not resolve
//! host names or read files: the frontend hands in resolved `[ips]` / `[ips_fixed]` addresses.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::config::{ClusterNode, NodeConfig, PeerAddress, PeerHost};
use crate::crawl::CrawlSections;
use crate::governor::{GovernorConfig, LocalRootGroup, PublicRoot};
use crate::handshake::Features;
use crate::network::{Network, NetworkProfile};
use crate::peerfinder::{LimitsInput, PeerFinderConfig};

/// rippled's per-peer timer (`peerTimerInterval`, overlay-wire.md §10.1): one ping per tick, an
/// unanswered ping at the next tick closes the link ("Ping Timeout"); the same tick runs the
/// send-queue rule (`relay::SendQueueMonitor`).
pub const PING_INTERVAL: Duration = crate::relay::PEER_TIMER_INTERVAL;

/// Deadline for TCP connect + TLS + the HTTP upgrade head, per connection (rippled's
/// `ConnectAttempt` timer and the handshake read deadline are both 15 s, overlay-wire.md §2.5).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// Connections that are not active yet (TLS or HTTP head pending), inbound and outbound
/// together. Ours, not rippled's (rippled bounds half-open handshakes only through the resource
/// manager and the per-IP limit): it caps the memory slow or hostile dialers can pin. Outbound
/// attempts alone stay below `peerfinder::MAX_CONNECT_ATTEMPTS` (20). A new inbound socket
/// arriving at a full table evicts the oldest pending inbound connection of the address that
/// holds the most of them (`DisconnectReason::Evicted`), so an idle flood starves only itself.
pub const MAX_PENDING_HANDSHAKES: usize = 128;

/// Bytes of one received HTTP head (request or response), from the handshake module
/// (beast's 8 KiB, overlay-wire.md §2.3). A longer head closes the connection.
pub const MAX_HTTP_HEAD_BYTES: usize = crate::handshake::MAX_HEAD_BYTES;

/// Bytes buffered for an outbound upgrade answer: the head plus a 503 body
/// (overlay-wire.md §2.5). Anything longer closes the connection.
pub const MAX_RESPONSE_BYTES: usize = MAX_HTTP_HEAD_BYTES + crate::handshake::MAX_REDIRECT_BODY_BYTES;

/// Everything the overlay needs to know about this node. Build it with
/// [`OverlayConfig::new`] (defaults of a network) or [`OverlayConfig::from_node_config`];
/// every field may be overridden, timers included (tests shorten them).
#[derive(Debug, Clone)]
pub struct OverlayConfig {
    pub network: Network,
    pub profile: &'static NetworkProfile,
    /// Slot capacity, per-IP inbound limit, whether we advertise ourselves and autoconnect.
    pub peerfinder: PeerFinderConfig,
    /// Resolved `[ips]` (bootstrap Bootcache entries, peerfinder.md §5).
    pub bootstrap: Vec<SocketAddr>,
    /// Resolved `[ips_fixed]` (dialled with back-off, peerfinder.md §4.1).
    pub fixed_peers: Vec<SocketAddr>,
    /// `[cluster_nodes]` (keys with optional names): members take reserved slots, may send
    /// TMCluster, and get ours every `cluster::CLUSTER_INTERVAL` (peerfinder.md §10).
    pub cluster_nodes: Vec<ClusterNode>,
    /// `[network_id]`.
    pub network_id: Option<u32>,
    /// Features we offer in `X-Protocol-Ctl` (`[compression]`, `[reduce_relay]`, ...).
    pub features: Features,
    pub crawl: CrawlSections,
    /// `[vl] enabled`: whether `/vl/…` is answered (with 404, we hold no lists) or refused (403).
    pub vl_enabled: bool,
    /// `[overlay] public_ip`.
    pub public_ip: Option<IpAddr>,
    pub server_domain: Option<String>,
    /// `User-Agent` / `Server` value.
    pub software: String,
    /// NetClock seconds (since 2000-01-01 UTC) at the `now` given to `Overlay::new`; the core
    /// never reads a clock, so the frontend samples the wall clock once at start.
    pub net_clock_at_start: u32,
    /// Peer-timer period ([`PING_INTERVAL`]).
    pub ping_interval: Duration,
    /// Per-connection handshake deadline ([`HANDSHAKE_TIMEOUT`]).
    pub handshake_timeout: Duration,
    /// Limit on connections not yet active ([`MAX_PENDING_HANDSHAKES`]).
    pub max_pending_handshakes: usize,
    /// Ask the frontend to probe a neighbour's advertised listening port before its address
    /// enters the Livecache (peerfinder.md §6.3 step 7). When false the probe is assumed to
    /// succeed (simulators without sockets).
    pub connectivity_checks: bool,
    /// The peer-selection governor (governor.md §16): `Some` = outbound peers are chosen,
    /// promoted and demoted by it (see `overlay::governance`); `None` = rippled's PeerFinder
    /// autoconnect fills the outbound slots. [`OverlayConfig::from_node_config`] always sets it
    /// (defaults of §16.4 unless the node configuration says otherwise).
    pub governor: Option<GovernorConfig>,
}

impl OverlayConfig {
    /// Defaults for `network`: listening on the profile's default port, rippled's slot
    /// arithmetic for 21 peers, no bootstrap, public crawl, no optional features.
    pub fn new(network: Network) -> OverlayConfig {
        let profile = network.profile();
        let peerfinder = PeerFinderConfig::compute(&LimitsInput {
            listening_port: profile.default_peer_port,
            ..LimitsInput::default()
        });
        OverlayConfig {
            network,
            profile,
            peerfinder,
            bootstrap: vec![],
            fixed_peers: vec![],
            cluster_nodes: vec![],
            network_id: profile.default_network_id,
            features: Features::NONE,
            crawl: CrawlSections::default(),
            vl_enabled: true,
            public_ip: None,
            server_domain: None,
            software: profile.software_version(),
            net_clock_at_start: 0,
            ping_interval: PING_INTERVAL,
            handshake_timeout: HANDSHAKE_TIMEOUT,
            max_pending_handshakes: MAX_PENDING_HANDSHAKES,
            connectivity_checks: true,
            governor: None,
        }
    }

    /// From a parsed configuration. `bootstrap` / `fixed` are the resolved `[ips]` /
    /// `[ips_fixed]` (see [`literal_addresses`] for entries that need no DNS); `validator`
    /// forces `Crawl: private` (peerfinder.md §9).
    pub fn from_node_config(
        cfg: &NodeConfig,
        validator: bool,
        bootstrap: Vec<SocketAddr>,
        fixed: Vec<SocketAddr>,
        net_clock_at_start: u32,
    ) -> OverlayConfig {
        let mut out = OverlayConfig::new(cfg.network);
        out.peerfinder = PeerFinderConfig::from_node_config(cfg, validator, false);
        out.bootstrap = bootstrap;
        out.fixed_peers = fixed;
        out.cluster_nodes = cfg.cluster_nodes.clone();
        out.network_id = cfg.network_id;
        out.features = Features {
            compression: cfg.compression,
            ledger_replay: cfg.ledger_replay,
            tx_reduce_relay: cfg.reduce_relay.tx_enable,
            vp_reduce_relay: cfg.reduce_relay.vp_base_squelch_enable,
        };
        out.crawl = cfg.crawl;
        out.vl_enabled = cfg.vl_enabled;
        out.public_ip = cfg.overlay.public_ip;
        out.server_domain = cfg.server_domain.clone();
        out.net_clock_at_start = net_clock_at_start;
        out.governor = Some(default_governor(&out.bootstrap, &out.fixed_peers, out.peerfinder.peer_private));
        out
    }

    /// Whether we send `Crawl: public` (false for `[peer_private]` and validators, §2.2).
    pub fn crawl_public(&self) -> bool {
        !self.peerfinder.peer_private
    }
}

/// The governor configuration a node gets without governor keys or a topology file: the
/// targets of governor.md §16.4, `[ips]` as public roots, one local-root group per
/// `[ips_fixed]` entry (§16.2), no peer sharing for a private node.
pub fn default_governor(
    bootstrap: &[SocketAddr],
    fixed: &[SocketAddr],
    peer_private: bool,
) -> GovernorConfig {
    GovernorConfig {
        peer_sharing: !peer_private,
        local_roots: fixed.iter().filter(|a| a.port() != 0).map(|a| LocalRootGroup::fixed(*a)).collect(),
        public_roots: if peer_private {
            vec![]
        } else {
            bootstrap.iter().map(|a| PublicRoot { addr: *a, advertise: true }).collect()
        },
        ..GovernorConfig::default()
    }
}

/// The entries of an `[ips]`-style list that are IP literals, as socket addresses; names are
/// left for the frontend's resolver.
pub fn literal_addresses(list: &[PeerAddress]) -> Vec<SocketAddr> {
    list.iter()
        .filter_map(|a| match &a.host {
            PeerHost::Ip(ip) => Some(SocketAddr::new(*ip, a.port)),
            PeerHost::Name(_) => None,
        })
        .collect()
}
