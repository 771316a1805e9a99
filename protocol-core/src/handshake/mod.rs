//! The HTTP upgrade handshake of the peer protocol (overlay-wire.md §1–5, §13.4, §15;
//! networks.md §6 for the RTXP/1.2 forks): heads in and out, header rules, version and
//! feature negotiation, the TLS-bound shared value and session signature, status codes.
//!
//! Owns everything between "TLS is up" and "frames may flow". Must not touch frames,
//! sockets, TLS or clocks: the caller hands in the Finished messages, NetClock seconds
//! (`now`, seconds since 2000-01-01) and the socket's remote address.
//!
//! Inbound (server) flow: [`parse_request`] → [`classify_request`] → [`evaluate_inbound`]
//! (rippled's checks 5–8 and the ledger-hash parse) → slot activation by the caller →
//! [`build_switching_response`], or [`build_error_response`] on a [`HandshakeError`].
//! Outbound (initiator) flow: [`shared_value`] → [`build_request`] → [`handle_response`].

mod build;
mod head;
mod negotiate;
mod session;
mod verify;

use std::net::IpAddr;

use crate::keys::{NodeKeyPair, NodePublicKey};
use crate::network::{NetworkProfile, ProtocolVersion};

pub use build::{
    build_bad_request, build_error_response, build_forbidden, build_redirect, build_request,
    build_switching_response, MAX_REDIRECT_IPS_SENT,
};
pub use head::{
    classify_request, is_peer_upgrade, parse_request, parse_response, HeadError, Headers, Parsed,
    RequestHead, RequestKind, ResponseHead, MAX_HEADERS, MAX_HEAD_BYTES,
};
pub use negotiate::{
    accept_response_version, feature_value, negotiate_version, parse_version_token, parse_versions,
    split_commas, token_in_list, Features, FEATURE_TABLE,
};
pub use session::{
    decode_session_signature, session_signature, shared_value, verify_session_signature, FinishedSide,
    MAX_FINISHED_LEN, MIN_FINISHED_LEN,
};
pub use verify::{
    evaluate_inbound, handle_response, is_public_ip, is_well_formed_server_domain, parse_ledger_hash,
    verify_handshake, InboundAccepted, ResponseOutcome, VerifiedHeaders, CLOCK_TOLERANCE_SECS,
    MAX_REDIRECTS_ACCEPTED, MAX_REDIRECT_BODY_BYTES,
};

/// The two ledger hashes a node advertises (`Closed-Ledger`, `Previous-Ledger`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerHashes {
    pub closed: [u8; 32],
    pub previous: [u8; 32],
}

/// Everything one side needs to speak the handshake.
#[derive(Debug, Clone)]
pub struct HandshakeConfig {
    pub profile: &'static NetworkProfile,
    pub node_key: NodeKeyPair,
    /// `[network_id]` if configured. What is sent and checked follows the profile's
    /// `network_id_rule` (see [`HandshakeConfig::network_id_to_send`]).
    pub network_id: Option<u32>,
    /// `Crawl: public` when true (false for `[peer_private]` or validators, §2.2).
    pub crawl_public: bool,
    /// Locally enabled `X-Protocol-Ctl` features (ignored on profiles without negotiation).
    pub features: Features,
    /// `[overlay] public_ip`: sent as `Local-IP`, compared with a peer's `Remote-IP`.
    pub public_ip: Option<IpAddr>,
    /// `[server_domain]`, sent as `Server-Domain`.
    pub server_domain: Option<String>,
    /// `Instance-Cookie` (random per process start; the caller draws it).
    pub instance_cookie: Option<u64>,
    /// Our last closed ledger and its parent, if we have one.
    pub ledger: Option<LedgerHashes>,
    /// Our `User-Agent` / `Server` string.
    pub software: String,
}

impl HandshakeConfig {
    /// Defaults: public crawl, no features, nothing optional; `software` from the profile.
    pub fn new(profile: &'static NetworkProfile, node_key: NodeKeyPair) -> Self {
        HandshakeConfig {
            profile,
            node_key,
            network_id: None,
            crawl_public: true,
            features: Features::NONE,
            public_ip: None,
            server_domain: None,
            instance_cookie: None,
            ledger: None,
            software: profile.software_version(),
        }
    }

    /// The `Network-ID` we send: none on profiles without the header, the configured value
    /// on rippled-style (optional) networks, and always a value (configured, else the
    /// profile default, else 0) where the match is mandatory (networks.md §1).
    pub fn network_id_to_send(&self) -> Option<u32> {
        use crate::network::NetworkIdRule::*;
        match self.profile.network_id_rule {
            Unsupported => None,
            Optional => self.network_id,
            Mandatory => Some(self.network_id.or(self.profile.default_network_id).unwrap_or(0)),
        }
    }

    /// Features we would enable on a link (none where the profile has no negotiation).
    pub fn local_features(&self) -> Features {
        if self.profile.feature_negotiation {
            self.features
        } else {
            Features::NONE
        }
    }
}

/// What a verified peer told us in its head (request if we are the server, response if we
/// are the initiator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    pub public_key: NodePublicKey,
    pub version: ProtocolVersion,
    /// Features on for this link (ours ∩ theirs, §2.6).
    pub features: Features,
    /// `Crawl: public` (case-insensitive); anything else is private.
    pub crawl_public: bool,
    /// `User-Agent` (inbound) or `Server` (outbound), if sent.
    pub software: Option<String>,
    pub network_id: Option<u32>,
    pub network_time: Option<u32>,
    pub closed_ledger: Option<[u8; 32]>,
    pub previous_ledger: Option<[u8; 32]>,
    /// The peer's own public IP (`Local-IP`), verified against the socket when it is public:
    /// where it says it listens.
    pub listening_ip: Option<IpAddr>,
    /// Our address as the peer sees it (`Remote-IP`), for reachability self-tests.
    pub our_ip_seen_by_peer: Option<IpAddr>,
    pub server_domain: Option<String>,
    pub instance_cookie: Option<u64>,
}

/// What the inbound side does with a refused request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// `400 Bad Request (<message>)`, then close.
    BadRequest,
    /// `403 Forbidden`, then close.
    Forbidden,
    /// `503 Service Unavailable` with a `peer-ips` redirect list.
    Redirect,
    /// Close without any HTTP answer.
    Close,
}

/// Why a handshake failed. [`HandshakeError::message`] is rippled's exact text (the 400
/// reason or its log line); `Display` adds the details an operator needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("{side:?} TLS Finished message is {len} bytes, shorter than {MIN_FINISHED_LEN}")]
    FinishedTooShort { side: FinishedSide, len: usize },
    #[error("identical TLS Finished messages (shared value would be zero)")]
    IdenticalFinished,
    #[error("not a peer upgrade request")]
    NotPeerUpgrade,
    #[error("Connect-As does not list peer")]
    NotConnectAsPeer,
    #[error("Unable to agree on a protocol version (peer offered {offered:?})")]
    NoCommonVersion { offered: String },
    #[error("Invalid server domain {0:?}")]
    InvalidServerDomain(String),
    #[error("Invalid peer network identifier {0:?}")]
    InvalidNetworkId(String),
    #[error("Peer is on a different network (ours {ours}, theirs {theirs})")]
    WrongNetwork { ours: u32, theirs: u32 },
    #[error("Invalid peer clock timestamp {0:?}")]
    InvalidNetworkTime(String),
    #[error("Peer clock is too far off ({offset_secs:+} s, tolerance {CLOCK_TOLERANCE_SECS} s)")]
    ClockSkew { offset_secs: i64 },
    #[error("Unsupported public key type (ed25519 node keys are refused)")]
    UnsupportedKeyType,
    #[error("Bad node public key")]
    BadPublicKey,
    #[error("No session signature specified")]
    NoSessionSignature,
    #[error("Failed to verify session")]
    SessionVerifyFailed,
    #[error("Self connection")]
    SelfConnection,
    #[error("Invalid Local-IP {0:?}")]
    InvalidLocalIp(String),
    #[error("Incorrect Local-IP: {socket} instead of {header}")]
    IncorrectLocalIp { socket: IpAddr, header: IpAddr },
    #[error("Invalid Remote-IP {0:?}")]
    InvalidRemoteIp(String),
    #[error("Incorrect Remote-IP: {ours} instead of {header}")]
    IncorrectRemoteIp { ours: IpAddr, header: IpAddr },
    /// `Closed-Ledger` (1), `Previous-Ledger` (2) malformed, or Previous without Closed (3).
    #[error("Malformed handshake data ({0})")]
    MalformedLedger(u8),
    #[error("{0}")]
    Head(#[from] HeadError),
    /// Initiator: a response other than 101-with-upgrade or 503.
    #[error("Unable to upgrade to peer protocol: HTTP {status} {reason:?}")]
    UnexpectedResponse { status: u16, reason: String },
    /// Initiator: the 101's `Upgrade` is not exactly one version we support.
    #[error("Unable to negotiate protocol version: response offered {upgrade:?}")]
    BadResponseVersion { upgrade: String },
    /// Initiator: a 503 body longer than [`MAX_REDIRECT_BODY_BYTES`].
    #[error("redirect body exceeds {MAX_REDIRECT_BODY_BYTES} bytes")]
    RedirectBodyTooLarge,
}

impl HandshakeError {
    /// rippled's text for this failure: the reason inside `400 Bad Request (<message>)` on the
    /// inbound side (overlay-wire.md §2.3, §2.4).
    pub fn message(&self) -> String {
        use HandshakeError::*;
        match self {
            FinishedTooShort { .. } | IdenticalFinished => "Incorrect security cookie".into(),
            NoCommonVersion { .. } => "Unable to agree on a protocol version".into(),
            InvalidServerDomain(_) => "Invalid server domain".into(),
            InvalidNetworkId(_) => "Invalid peer network identifier".into(),
            WrongNetwork { .. } => "Peer is on a different network".into(),
            InvalidNetworkTime(_) => "Invalid peer clock timestamp".into(),
            ClockSkew { .. } => "Peer clock is too far off".into(),
            UnsupportedKeyType => "Unsupported public key type".into(),
            InvalidLocalIp(_) => "Invalid Local-IP".into(),
            InvalidRemoteIp(_) => "Invalid Remote-IP".into(),
            other => other.to_string(),
        }
    }

    /// What the inbound side answers (overlay-wire.md §2.3). On the initiator every
    /// failure simply closes the connection.
    pub fn disposition(&self) -> Disposition {
        use HandshakeError::*;
        match self {
            NotPeerUpgrade => Disposition::Forbidden,
            NotConnectAsPeer => Disposition::Redirect,
            MalformedLedger(_)
            | Head(_)
            | UnexpectedResponse { .. }
            | BadResponseVersion { .. }
            | RedirectBodyTooLarge => Disposition::Close,
            _ => Disposition::BadRequest,
        }
    }

    /// HTTP status of the inbound answer, if any.
    pub fn http_status(&self) -> Option<u16> {
        match self.disposition() {
            Disposition::BadRequest => Some(400),
            Disposition::Forbidden => Some(403),
            Disposition::Redirect => Some(503),
            Disposition::Close => None,
        }
    }
}
