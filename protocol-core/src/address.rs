//! Address classification shared by the handshake (`Remote-IP`/`Local-IP` rules) and
//! peerfinder (per-IP limits, gossip filtering). One rule, one home: nothing else may decide
//! whether an address is public.

use std::net::{IpAddr, Ipv4Addr};

/// Whether `ip` is a public address in rippled's sense (`is_public`): not RFC 1918, loopback,
/// multicast, 0.0.0.0/8, link-local or broadcast. IPv6 uses the intended rule (loopback,
/// fc00::/7, fe80::/10, multicast are not public), not rippled's `bytes[0] & 0xfd` slip
/// (XRPLF/rippled#7226) that makes nearly every global IPv6 address private.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(o[0] == 10
        || (o[0] == 172 && (o[1] & 0xf0) == 16)
        || (o[0] == 192 && o[1] == 168)
        || ip.is_loopback()
        || ip.is_multicast()
        || o[0] == 0
        || (o[0] == 169 && o[1] == 254)
        || ip.is_broadcast())
}
