//! Slots: one per TCP connection (attempt), keyed by remote endpoint, with the counters that
//! decide admission (peerfinder.md §2, §3; rippled `SlotImp`, `Counts.h`).
//!
//! Owns slot state and counting. Does not choose whom to dial or what to gossip.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Instant;

use super::constants::MAX_CONNECT_ATTEMPTS;
use super::limits::PeerFinderConfig;
use super::livecache::RecentCache;
use crate::keys::NodePublicKey;

/// Slot lifecycle (§2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotState {
    /// Inbound socket accepted, handshake not finished.
    Accept,
    /// Outbound TCP connect in progress.
    Connect,
    /// Outbound TCP/TLS up, handshake not finished.
    Connected,
    /// Handshake done, peer running.
    Active,
    /// Graceful close in progress.
    Closing,
}

/// One connection as PeerFinder sees it.
#[derive(Debug, Clone)]
pub struct Slot {
    pub remote: SocketAddr,
    pub local: Option<SocketAddr>,
    pub inbound: bool,
    /// Matches `[ips_fixed]` (outbound by IP:port, inbound by IP only, §4.1).
    pub fixed: bool,
    /// Cluster member or reservation: outside the in/out counts (§2, §10).
    pub reserved: bool,
    pub state: SlotState,
    pub public_key: Option<NodePublicKey>,
    /// The peer's verified listening port (inbound, after a successful connectivity check).
    pub listening_port: Option<u16>,
    /// Connectivity check done (outbound slots start checked and accepting, §6.3 step 7).
    pub checked: bool,
    pub can_accept: bool,
    pub check_in_progress: bool,
    /// The peer asked not to have its address revealed (`Crawl: private`); privacy hook.
    pub private: bool,
    pub recent: RecentCache,
    /// Next time a TMEndpoints from this peer is accepted (set at activation, §6.3 step 5).
    pub when_accept_endpoints: Option<Instant>,
}

impl Slot {
    pub(crate) fn new(remote: SocketAddr, local: Option<SocketAddr>, inbound: bool, fixed: bool) -> Slot {
        Slot {
            remote,
            local,
            inbound,
            fixed,
            reserved: false,
            state: if inbound { SlotState::Accept } else { SlotState::Connect },
            public_key: None,
            listening_port: None,
            checked: !inbound,
            can_accept: !inbound,
            check_in_progress: false,
            private: false,
            recent: RecentCache::default(),
            when_accept_endpoints: None,
        }
    }

    /// Counts against the in/out capacity (§2: active and neither fixed nor reserved).
    fn counted(&self) -> bool {
        self.state == SlotState::Active && !crate::privacy::exempt_from_limits(self.fixed, self.reserved)
    }
}

/// Aggregate counters (rippled `Counts`), computed from the slot table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Outbound slots in `Connect` or `Connected`.
    pub attempts: usize,
    pub accepting: usize,
    pub closing: usize,
    pub active: usize,
    pub in_active: usize,
    pub out_active: usize,
    pub fixed_active: usize,
    pub reserved_active: usize,
    pub in_max: usize,
    pub out_max: usize,
}

impl Counts {
    pub fn compute(slots: &BTreeMap<SocketAddr, Slot>, cfg: &PeerFinderConfig) -> Counts {
        let mut c = Counts { in_max: cfg.in_max(), out_max: cfg.out_max(), ..Counts::default() };
        for s in slots.values() {
            match s.state {
                SlotState::Accept => c.accepting += 1,
                SlotState::Connect | SlotState::Connected => c.attempts += 1,
                SlotState::Closing => c.closing += 1,
                SlotState::Active => {
                    c.active += 1;
                    if s.fixed {
                        c.fixed_active += 1;
                    }
                    if s.reserved {
                        c.reserved_active += 1;
                    }
                    if s.counted() {
                        if s.inbound {
                            c.in_active += 1;
                        } else {
                            c.out_active += 1;
                        }
                    }
                }
            }
        }
        c
    }

    /// How many more outbound attempts may start now (§4 step 1).
    pub fn attempts_needed(&self) -> usize {
        MAX_CONNECT_ATTEMPTS.saturating_sub(self.attempts)
    }

    /// rippled `can_activate` (§2).
    pub fn can_activate(&self, slot: &Slot) -> bool {
        if crate::privacy::exempt_from_limits(slot.fixed, slot.reserved) {
            return true;
        }
        if slot.inbound {
            self.in_active < self.in_max
        } else {
            self.out_active < self.out_max
        }
    }
}
