//! The contract between the overlay state machine and every frontend: what goes in
//! ([`Input`], bytes, time) and what comes out ([`Output`], deadlines). Types only.

use std::net::SocketAddr;

use crate::keys::NodePublicKey;
use crate::messages::Message;
use crate::network::ProtocolVersion;

/// A connection, allocated by the core for inbound ([`super::Overlay::accept`]) and outbound
/// ([`Output::Connect`]) alike, from one counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

impl std::fmt::Display for ConnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What a frontend reports to the core (bytes go through `Overlay::handle_data`).
#[derive(Debug, Clone)]
pub enum Input {
    /// The TCP connect asked for by [`Output::Connect`] succeeded; TLS comes next.
    TcpConnected { conn: ConnId, local: SocketAddr },
    /// The TCP connect asked for by [`Output::Connect`] failed.
    ConnectFailed { conn: ConnId, error: String },
    /// TLS is up (either direction). `local_finished` is OpenSSL's `SSL_get_finished`,
    /// `peer_finished` its `SSL_get_peer_finished`; any length ≥ 12 bytes.
    TlsEstablished { conn: ConnId, local_finished: Vec<u8>, peer_finished: Vec<u8> },
    /// The TLS handshake failed.
    TlsFailed { conn: ConnId, error: String },
    /// The socket reached EOF or an I/O error.
    Closed { conn: ConnId, error: Option<String> },
    /// The application hands a message to broadcast to active peers (relay rules apply).
    Broadcast(Message),
    /// The application sends one message to one active peer.
    Send { conn: ConnId, message: Message },
    /// The Bootcache JSON persisted by an earlier run (`Overlay::bootcache_json`).
    BootcacheLoaded(String),
    /// Result of an [`Output::Probe`]: whether a plain TCP connect succeeded.
    ProbeResult { probe: ConnId, reachable: bool },
    /// How many messages wait in the frontend's send queue of `conn` (report at least once per
    /// ping interval; rippled drops a peer whose queue stays ≥ 128 through 4 whole ticks, on
    /// the fifth, §10.1 and `relay::SendQueueMonitor`).
    SendQueue { conn: ConnId, messages: usize },
}

/// What the core asks a frontend to do.
#[derive(Debug, Clone)]
pub enum Output {
    /// Dial this address (TCP, then TLS client), then report `TcpConnected`/`ConnectFailed`
    /// and `TlsEstablished`/`TlsFailed`.
    Connect { conn: ConnId, addr: SocketAddr },
    /// Write these bytes, in order, to the TLS stream of `conn` (one write per Transmit: the
    /// 101 response goes out in its own write before any frame, as rippled does).
    Transmit { conn: ConnId, data: Vec<u8> },
    /// Flush what was transmitted, then close the connection.
    Close { conn: ConnId, reason: DisconnectReason },
    /// Something an operator or an embedding application wants to know.
    Event(OverlayEvent),
    /// Connectivity check of a neighbour's advertised listening address (peerfinder.md §6.3
    /// step 7): open a plain TCP connection (no TLS), close it at once, and report
    /// `Input::ProbeResult`. `probe` is not a connection; it never gets other outputs.
    Probe { probe: ConnId, addr: SocketAddr },
}

/// Notable things that happened, for logs and for applications embedding the core.
#[derive(Debug, Clone)]
pub enum OverlayEvent {
    PeerActivated {
        conn: ConnId,
        public_key: NodePublicKey,
        remote: SocketAddr,
        inbound: bool,
        version: ProtocolVersion,
        user_agent: String,
    },
    PeerDisconnected {
        conn: ConnId,
        public_key: Option<NodePublicKey>,
        remote: SocketAddr,
        reason: DisconnectReason,
    },
    /// Every message received from an active peer, after the core handled it.
    Message { conn: ConnId, message: Message },
    /// We refused an inbound handshake (status 400/403/503) or an outbound one failed.
    HandshakeRejected { conn: ConnId, remote: SocketAddr, status: Option<u16>, reason: String },
    /// The governor promoted (`hot`: relaying) or demoted (warm: pings only) an outbound peer.
    GovernorRelay { conn: ConnId, remote: SocketAddr, hot: bool },
    /// An outbound attempt was answered with 503 and these addresses.
    Redirected { conn: ConnId, remote: SocketAddr, peer_ips: Vec<SocketAddr> },
}

/// Why a connection ended: one variant per rule, each with an operator-readable message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisconnectReason {
    #[error("ping timeout")]
    PingTimeout,
    #[error("bad frame: {0}")]
    BadFrame(String),
    #[error("bad message: {0}")]
    BadMessage(String),
    #[error("handshake failed: {0}")]
    Handshake(String),
    #[error("handshake timed out")]
    HandshakeTimeout,
    /// Dropped while still in its handshake to make room for a newer connection
    /// (`MAX_PENDING_HANDSHAKES`).
    #[error("evicted from a full pending-handshake table")]
    Evicted,
    #[error("charge: resources")]
    Resources,
    #[error("duplicate peer")]
    DuplicatePeer,
    #[error("self connection")]
    SelfConnection,
    #[error("slots full")]
    SlotsFull,
    #[error("not useful")]
    NotUseful,
    #[error("large send queue")]
    LargeSendQueue,
    #[error("redirected")]
    Redirected,
    #[error("HTTP request served")]
    HttpServed,
    #[error("closed by peer: {0}")]
    ClosedByPeer(String),
    #[error("connect failed: {0}")]
    ConnectFailed(String),
    #[error("demoted by the governor")]
    Demoted,
    #[error("shutting down")]
    Shutdown,
}

/// Why `Overlay::accept` refused a TCP connection before TLS (drop the socket at once).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The pending table is full of outbound attempts (inbound ones are evicted instead).
    #[error("too many pending handshakes ({0})")]
    TooManyPendingHandshakes(usize),
    #[error("too many connections from this address ({0})")]
    PerIpLimit(usize),
    #[error("address is over the resource limit")]
    ResourceLimit,
    #[error("inbound connections disabled")]
    InboundDisabled,
    #[error("a connection from {0} already exists")]
    DuplicateEndpoint(SocketAddr),
    #[error("shutting down")]
    ShuttingDown,
}

/// One active peer, for operators and tests.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    pub conn: ConnId,
    pub public_key: NodePublicKey,
    pub remote: SocketAddr,
    pub inbound: bool,
    pub version: ProtocolVersion,
    pub user_agent: String,
    pub crawl_public: bool,
    pub cluster: bool,
    /// Smoothed ping round trip (rippled's EWMA, §10.1), once a pong came back.
    pub latency_ms: Option<u64>,
}
