//! Endpoint values exchanged by PeerFinder: `(ip:port, hops)` pairs, their text form in
//! TMEndpoints v2 and `peer-ips` (peerfinder.md §6.2, §6.3, §7), and the "public address" rule.
//!
//! Pure value code; no protobuf types (the overlay converts), no caches.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use super::constants::MAX_ENDPOINT_STRING_LEN;

/// An address with its hop distance (0 = the sender itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HopEndpoint {
    pub addr: SocketAddr,
    pub hops: u32,
}

impl HopEndpoint {
    pub fn new(addr: SocketAddr, hops: u32) -> Self {
        HopEndpoint { addr, hops }
    }
}

/// Why an endpoint string from the network was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointParseError {
    #[error("endpoint string longer than {MAX_ENDPOINT_STRING_LEN} characters")]
    TooLong,
    #[error("not an `ip:port`, `ip port`, `[v6]:port` or bare IPv6 endpoint")]
    Malformed,
}

/// Parse `a.b.c.d:port`, `a.b.c.d port`, `[v6]:port`, `[v6] port`, bare IPv6 or bare IPv4
/// (port 0) as beast's `Endpoint::from_string_checked` does (§6.3 step 3).
pub fn parse_endpoint(text: &str) -> Result<SocketAddr, EndpointParseError> {
    if text.len() > MAX_ENDPOINT_STRING_LEN {
        return Err(EndpointParseError::TooLong);
    }
    let text = text.trim();
    if let Ok(sa) = text.parse::<SocketAddr>() {
        return Ok(sa);
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 0));
    }
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or(EndpointParseError::Malformed)?;
        let ip: Ipv6Addr = inside.parse().map_err(|_| EndpointParseError::Malformed)?;
        (IpAddr::V6(ip), after.trim_start())
    } else {
        let (h, p) = text.split_once(char::is_whitespace).ok_or(EndpointParseError::Malformed)?;
        (h.parse::<IpAddr>().map_err(|_| EndpointParseError::Malformed)?, p.trim_start())
    };
    if port.is_empty() {
        return Ok(SocketAddr::new(host, 0));
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EndpointParseError::Malformed);
    }
    let port: u16 = port.parse().map_err(|_| EndpointParseError::Malformed)?;
    Ok(SocketAddr::new(host, port))
}

/// Text form used on the wire: `ip:port` or `[ipv6]:port` (§6.2, §7).
pub fn format_endpoint(addr: &SocketAddr) -> String {
    addr.to_string()
}

/// Whether an address may be gossiped, dialled from gossip, limited per IP, or used as
/// `[overlay] public_ip`.
///
/// IPv4 follows beast `is_public` exactly: not 10/8, 172.16/12, 192.168/16, 127/8 or multicast;
/// we also refuse 0/8, 169.254/16 and broadcast. IPv6 deliberately differs: rippled's
/// `is_private(AddressV6)` tests `bytes[0] & 0xfd`, which calls nearly every global IPv6 address
/// private (so rippled never gossips IPv6). We use the intended rule: not loopback,
/// unspecified, unique-local fc00::/7, link-local fe80::/10 or multicast; v4-mapped addresses
/// follow the IPv4 rule.
pub use crate::address::is_public_ip;

/// rippled `is_valid_address` for received endpoints: specified, public, port ≠ 0 (§6.3 step 6).
pub fn is_valid_gossip_address(addr: &SocketAddr) -> bool {
    !addr.ip().is_unspecified() && is_public_ip(addr.ip()) && addr.port() != 0
}
