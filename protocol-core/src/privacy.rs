//! Privacy: the one home of the rules deciding what may be revealed about whom, and which
//! connections a private node makes or takes (peerfinder.md §9, overlay-wire.md §13.1).
//!
//! Owns: whether a peer's address may appear in `/crawl`, in a TMEndpoints we send, in a 503
//! `peer-ips` body; whether we advertise our own listening address; whether a private node may
//! dial an address or take an inbound peer; and the memory of which IPs asked to stay private.
//! Every outgoing address list (crawl, TMEndpoints, redirects) and every dial passes through it.
//!
//! Must not touch: sockets, message encoding, slot counting (PeerFinder asks; it answers).
//!
//! ## Rules (rippled's, plus one deliberate tightening)
//! * `[peer_private] 1` (rippled `PeerFinder::Config`): no autoconnect, only `[ips_fixed]` are
//!   dialled; `want_incoming = false`, so every inbound peer that is neither fixed (by IP),
//!   cluster nor reserved is refused after the handshake (503); `Crawl: private`; no hop-0 self
//!   entry in TMEndpoints. A validator sends `Crawl: private` but otherwise acts public.
//! * `/crawl` lists a peer's `ip`/`port` only if its handshake said `Crawl: public` (rippled
//!   `PeerImp::crawl`).
//! * Tightening (rippled relays these): an address whose owner told us `Crawl: private` is
//!   never handed out in TMEndpoints or 503 redirects, and its own hop-0 announcement is never
//!   cached. We remember such IPs for [`PRIVATE_MEMORY`] after the connection ends (at most
//!   [`MAX_REMEMBERED_PRIVATE`]), so a third node's gossip cannot re-publish an address we know
//!   to be private right after it disconnects. Matching is by IP (ports differ between the
//!   dialled socket and the listener).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// How long an IP that sent `Crawl: private` stays withheld from our gossip after its last
/// connection to us closed. Ours (rippled has no such memory): a day covers restarts and
/// reconnects of a private node without keeping stale state forever.
pub const PRIVATE_MEMORY: Duration = Duration::from_secs(24 * 60 * 60);

/// Most remembered private IPs (live slots not counted). Bounds memory against a flood of
/// short private connections; the oldest memory goes first.
pub const MAX_REMEMBERED_PRIVATE: usize = 4096;

/// What `/crawl` may show of one peer: `ip` (and `port`) only when it announced
/// `Crawl: public` (overlay-wire.md §13.1).
pub fn crawl_reveals_address(peer_crawl_public: bool) -> bool {
    peer_crawl_public
}

/// Whether our TMEndpoints carry the hop-0 "this is me" entry: only when we want incoming
/// connections and have inbound capacity (peerfinder.md §6.2 step 1, §9). A `[peer_private]`
/// node never does; a validator does.
pub fn advertise_self(want_incoming: bool, in_max: usize) -> bool {
    want_incoming && in_max > 0
}

/// Whether we send `Crawl: public` in the handshake: not when `[peer_private]` or a validator
/// (peerfinder.md §9).
pub fn crawl_header_public(peer_private: bool, validator: bool) -> bool {
    !(peer_private || validator)
}

/// Whether we take inbound connections at all (rippled `wantIncoming`, §3.1, §9): not when
/// private (by configuration, before the validator override) or not listening.
pub fn want_incoming(peer_private_config: bool, listening_port: u16) -> bool {
    !peer_private_config && listening_port != 0
}

/// Whether autoconnect (Livecache, Bootcache, governor choices) may run: not for a private
/// node or in standalone mode (§4 step 4, §9). Fixed peers are dialled regardless.
pub fn auto_connect(peer_private_config: bool, standalone: bool) -> bool {
    !peer_private_config && !standalone
}

/// Whether we may dial `addr`: with autoconnect off (a `[peer_private]` node, or standalone)
/// only `[ips_fixed]` are dialled (by full IP:port, as PeerFinder's fixed list is keyed,
/// §4.1), whoever asks (PeerFinder or the governor); otherwise anything.
pub fn may_dial(auto_connect: bool, addr_is_fixed: bool) -> bool {
    auto_connect || addr_is_fixed
}

/// Whether a slot bypasses the in/out capacity (rippled `can_activate`, §2): fixed (outbound
/// by IP:port, inbound by IP) and reserved (cluster member, or an inbound reservation) slots
/// do. This is what lets a `[peer_private]` node (`in_max == 0`, §9) take its fixed peers and
/// cluster while refusing everyone else.
pub fn exempt_from_limits(fixed: bool, reserved: bool) -> bool {
    fixed || reserved
}

/// The IPs whose owners asked not to be revealed (`Crawl: private`): those of live slots, and
/// those remembered for [`PRIVATE_MEMORY`] after their last connection closed.
#[derive(Debug, Clone, Default)]
pub struct PrivateAddresses {
    /// IP → number of live private slots from it.
    live: BTreeMap<IpAddr, usize>,
    /// IP → when its last private slot closed.
    remembered: BTreeMap<IpAddr, Instant>,
}

impl PrivateAddresses {
    pub fn new() -> Self {
        Self::default()
    }

    /// A slot from `ip` turned out private (its handshake said `Crawl: private`).
    pub fn slot_opened(&mut self, ip: IpAddr) {
        *self.live.entry(ip).or_default() += 1;
        self.remembered.remove(&ip);
    }

    /// A live slot from `ip` is no longer flagged private: counted down, not remembered.
    pub fn slot_unflagged(&mut self, ip: IpAddr) {
        if let Some(n) = self.live.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                self.live.remove(&ip);
            }
        }
    }

    /// A private slot from `ip` closed; the IP is remembered from `now`.
    pub fn slot_closed(&mut self, ip: IpAddr, now: Instant) {
        let Some(n) = self.live.get_mut(&ip) else { return };
        *n -= 1;
        if *n > 0 {
            return;
        }
        self.live.remove(&ip);
        if self.remembered.len() >= MAX_REMEMBERED_PRIVATE {
            if let Some(oldest) = self.remembered.iter().min_by_key(|(_, t)| **t).map(|(ip, _)| *ip) {
                self.remembered.remove(&oldest);
            }
        }
        self.remembered.insert(ip, now);
    }

    /// Forget memories older than [`PRIVATE_MEMORY`].
    pub fn expire(&mut self, now: Instant) {
        self.remembered.retain(|_, t| now.saturating_duration_since(*t) < PRIVATE_MEMORY);
    }

    /// Whether `ip` belongs to a node that asked to stay private.
    pub fn is_private(&self, ip: IpAddr) -> bool {
        self.live.contains_key(&ip) || self.remembered.contains_key(&ip)
    }

    /// How many IPs are withheld (live and remembered).
    pub fn len(&self) -> usize {
        self.live.len() + self.remembered.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `addr` may be handed to a peer, in TMEndpoints or a 503 `peer-ips` body.
    pub fn may_hand_out(&self, addr: &SocketAddr) -> bool {
        !self.is_private(addr.ip())
    }

    /// Whether a neighbour's own (hop-0, received as hop 1) announcement may enter the
    /// Livecache: not when the neighbour's slot is private, or its IP is known private.
    pub fn may_cache_announcement(&self, slot_private: bool, addr: &SocketAddr) -> bool {
        !slot_private && self.may_hand_out(addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([198, 51, 100, n])
    }

    #[test]
    fn private_node_only_dials_fixed_and_never_advertises() {
        assert!(!may_dial(false, false));
        assert!(may_dial(false, true));
        assert!(may_dial(true, false));
        assert!(!want_incoming(true, 51235));
        assert!(!want_incoming(false, 0));
        assert!(!advertise_self(false, 10));
        assert!(!advertise_self(true, 0));
        assert!(advertise_self(true, 1));
        assert!(!auto_connect(true, false));
        assert!(!crawl_header_public(false, true));
        assert!(!crawl_reveals_address(false));
    }

    #[test]
    fn private_ip_is_remembered_then_forgotten() {
        let t0 = Instant::now();
        let mut p = PrivateAddresses::new();
        let a = SocketAddr::new(ip(1), 51235);
        assert!(p.may_hand_out(&a));
        p.slot_opened(ip(1));
        p.slot_opened(ip(1));
        p.slot_closed(ip(1), t0);
        assert!(!p.may_hand_out(&a), "still one live slot");
        p.slot_closed(ip(1), t0);
        p.expire(t0 + PRIVATE_MEMORY - Duration::from_secs(1));
        assert!(!p.may_hand_out(&a), "remembered");
        assert!(!p.may_cache_announcement(false, &a));
        p.expire(t0 + PRIVATE_MEMORY);
        assert!(p.may_hand_out(&a));
        assert!(!p.may_cache_announcement(true, &a));
    }

    #[test]
    fn memory_is_bounded() {
        let t0 = Instant::now();
        let mut p = PrivateAddresses::new();
        for i in 0..=MAX_REMEMBERED_PRIVATE as u32 {
            let addr = IpAddr::from(std::net::Ipv4Addr::from(0x0A00_0000u32 + i));
            p.slot_opened(addr);
            p.slot_closed(addr, t0 + Duration::from_secs(u64::from(i)));
        }
        assert_eq!(p.len(), MAX_REMEMBERED_PRIVATE);
        assert!(
            !p.is_private(IpAddr::from(std::net::Ipv4Addr::from(0x0A00_0000u32))),
            "oldest memory dropped first"
        );
    }
}
