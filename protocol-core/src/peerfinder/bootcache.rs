//! The Bootcache: addresses worth dialling when the Livecache gives nothing, ordered by
//! valence (successes minus failures), with a serde form the frontend persists
//! (peerfinder.md §5, §8; rippled `Bootcache.cpp`).
//!
//! Owns valence rules, pruning and the save cooldown. Never touches a disk or database.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::constants::{BOOTCACHE_COOLDOWN, BOOTCACHE_PRUNE_PERCENT, BOOTCACHE_SIZE, STATIC_VALENCE};
use super::endpoint::{format_endpoint, parse_endpoint};

/// One persisted entry (rippled table `PeerFinder_BootstrapCache(address, valence)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootcacheEntry {
    pub address: String,
    pub valence: i32,
}

/// The persisted form, in iteration order (highest valence first).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BootcacheSnapshot {
    pub entries: Vec<BootcacheEntry>,
}

/// Address → valence, iterated by decreasing valence; ties keep insertion order (rippled's
/// bimap multiset inserts an equal key after the existing ones).
#[derive(Debug, Clone, Default)]
pub struct Bootcache {
    by_addr: BTreeMap<SocketAddr, (i32, u64)>,
    order: BTreeSet<(Reverse<i32>, u64, SocketAddr)>,
    next_seq: u64,
    needs_update: bool,
    when_update: Option<Instant>,
}

impl Bootcache {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.by_addr.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_addr.is_empty()
    }

    pub fn valence(&self, addr: &SocketAddr) -> Option<i32> {
        self.by_addr.get(addr).map(|(v, _)| *v)
    }

    /// Addresses by decreasing valence.
    pub fn iter(&self) -> impl Iterator<Item = (SocketAddr, i32)> + '_ {
        self.order.iter().map(|(Reverse(v), _, a)| (*a, *v))
    }

    fn set(&mut self, addr: SocketAddr, valence: i32) {
        if let Some((v, seq)) = self.by_addr.remove(&addr) {
            self.order.remove(&(Reverse(v), seq, addr));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_addr.insert(addr, (valence, seq));
        self.order.insert((Reverse(valence), seq, addr));
        self.needs_update = true;
    }

    /// Gossip or redirect: add at valence 0 only if absent (§8). True if added.
    pub fn insert(&mut self, addr: SocketAddr) -> bool {
        if self.by_addr.contains_key(&addr) {
            return false;
        }
        self.set(addr, 0);
        self.prune();
        true
    }

    /// `[ips]` bootstrap: valence 32, replacing an existing lower valence (§5, §8).
    pub fn insert_static(&mut self, addr: SocketAddr) -> bool {
        match self.valence(&addr) {
            Some(v) if v >= STATIC_VALENCE => false,
            _ => {
                self.set(addr, STATIC_VALENCE);
                self.prune();
                true
            }
        }
    }

    /// Outbound handshake completed: `max(v, 0) + 1`, new → 1 (§8).
    pub fn on_success(&mut self, addr: SocketAddr) {
        let v = self.valence(&addr).map(|v| v.max(0).saturating_add(1)).unwrap_or(1);
        let new = !self.by_addr.contains_key(&addr);
        self.set(addr, v);
        if new {
            self.prune();
        }
    }

    /// Outbound attempt failed: `min(v, 0) − 1`, new → −1 (§8).
    pub fn on_failure(&mut self, addr: SocketAddr) {
        let v = self.valence(&addr).map(|v| v.min(0).saturating_sub(1)).unwrap_or(-1);
        let new = !self.by_addr.contains_key(&addr);
        self.set(addr, v);
        if new {
            self.prune();
        }
    }

    /// Above [`BOOTCACHE_SIZE`] entries, drop the lowest-valence 10 % (§8).
    fn prune(&mut self) {
        if self.len() <= BOOTCACHE_SIZE {
            return;
        }
        let count = self.len() * BOOTCACHE_PRUNE_PERCENT / 100;
        for _ in 0..count {
            let Some(last) = self.order.iter().next_back().copied() else { break };
            self.order.remove(&last);
            self.by_addr.remove(&last.2);
        }
    }

    /// The persisted form of every entry.
    pub fn snapshot(&self) -> BootcacheSnapshot {
        BootcacheSnapshot {
            entries: self
                .iter()
                .map(|(a, v)| BootcacheEntry { address: format_endpoint(&a), valence: v })
                .collect(),
        }
    }

    /// rippled `checkUpdate`: a snapshot when something changed and the 60 s cooldown since the
    /// previous save has passed; the caller writes it.
    pub fn snapshot_if_due(&mut self, now: Instant) -> Option<BootcacheSnapshot> {
        if !self.needs_update || self.when_update.is_some_and(|w| w >= now) {
            return None;
        }
        self.needs_update = false;
        self.when_update = Some(now + BOOTCACHE_COOLDOWN);
        Some(self.snapshot())
    }

    /// Load a persisted form; unparseable or duplicate addresses are skipped and counted.
    pub fn from_snapshot(snapshot: &BootcacheSnapshot) -> (Bootcache, usize) {
        let mut bc = Bootcache::new();
        let mut skipped = 0;
        for e in &snapshot.entries {
            match parse_endpoint(&e.address) {
                Ok(a) if a.port() != 0 && !bc.by_addr.contains_key(&a) => bc.set(a, e.valence),
                _ => skipped += 1,
            }
        }
        bc.prune();
        bc.needs_update = false;
        (bc, skipped)
    }
}
