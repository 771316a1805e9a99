//! The Livecache of recently gossiped endpoints by hop count, the per-slot "recent" cache, and
//! rippled's round-robin handout over hop buckets (peerfinder.md §6.1, §6.2; rippled
//! `Livecache.h`, `Handouts.h`, `SlotImp.cpp`).
//!
//! Owns entry lifetime and bucket order. Does not decide who receives what: the targets'
//! `try_insert` rules live with their callers in `mod.rs`.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::RngCore;

use super::constants::{HOP_BUCKETS, LIVECACHE_TTL};
use super::endpoint::HopEndpoint;

#[derive(Debug, Clone, Copy)]
struct LiveEntry {
    hops: u32,
    last_seen: Instant,
}

/// Endpoints learned from TMEndpoints, kept [`LIVECACHE_TTL`] after their last refresh.
#[derive(Debug, Clone, Default)]
pub struct Livecache {
    entries: BTreeMap<SocketAddr, LiveEntry>,
    buckets: [VecDeque<SocketAddr>; HOP_BUCKETS],
}

/// Whether a Livecache insert added, moved, refreshed or dropped the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveInsert {
    New,
    /// Known at a larger hop count; moved to the smaller one and refreshed.
    Improved,
    /// Known at the same hop count; refreshed.
    Refreshed,
    /// Known at a smaller hop count; ignored without refresh.
    IgnoredHigherHops,
    /// Hops beyond the last bucket; never stored.
    OutOfRange,
}

impl Livecache {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Hops stored for an address, if present.
    pub fn hops_of(&self, addr: &SocketAddr) -> Option<u32> {
        self.entries.get(addr).map(|e| e.hops)
    }

    /// Number of entries per hop bucket (rippled's histogram).
    pub fn histogram(&self) -> [usize; HOP_BUCKETS] {
        let mut h = [0; HOP_BUCKETS];
        for (i, b) in self.buckets.iter().enumerate() {
            h[i] = b.len();
        }
        h
    }

    /// `ep.hops` has already been incremented by the receiver (§6.1).
    pub fn insert(&mut self, ep: HopEndpoint, now: Instant) -> LiveInsert {
        let hops = ep.hops as usize;
        if hops >= HOP_BUCKETS {
            return LiveInsert::OutOfRange;
        }
        match self.entries.get_mut(&ep.addr) {
            None => {
                self.entries.insert(ep.addr, LiveEntry { hops: ep.hops, last_seen: now });
                // rippled pushes new entries to the front of their bucket.
                self.buckets[hops].push_front(ep.addr);
                LiveInsert::New
            }
            Some(e) if ep.hops > e.hops => LiveInsert::IgnoredHigherHops,
            Some(e) => {
                e.last_seen = now;
                if ep.hops < e.hops {
                    let old = e.hops as usize;
                    e.hops = ep.hops;
                    self.buckets[old].retain(|a| *a != ep.addr);
                    self.buckets[hops].push_front(ep.addr);
                    LiveInsert::Improved
                } else {
                    LiveInsert::Refreshed
                }
            }
        }
    }

    /// Drop entries not refreshed for [`LIVECACHE_TTL`]; returns how many.
    pub fn expire(&mut self, now: Instant) -> usize {
        let expired: Vec<(SocketAddr, u32)> = self
            .entries
            .iter()
            .filter(|(_, e)| now.saturating_duration_since(e.last_seen) >= LIVECACHE_TTL)
            .map(|(a, e)| (*a, e.hops))
            .collect();
        if expired.is_empty() {
            return 0;
        }
        // One pass per bucket, not one per expired entry: the cache can hold tens of thousands.
        let mut touched = [false; HOP_BUCKETS];
        for (addr, hops) in &expired {
            self.entries.remove(addr);
            touched[*hops as usize] = true;
        }
        for (b, list) in self.buckets.iter_mut().enumerate() {
            if touched[b] {
                list.retain(|a| self.entries.contains_key(a));
            }
        }
        expired.len()
    }

    /// Shuffle each hop bucket (done before every handout, as rippled does).
    pub fn shuffle(&mut self, rng: &mut impl RngCore) {
        for b in self.buckets.iter_mut() {
            b.make_contiguous().shuffle(rng);
        }
    }

    /// rippled `handout`: repeated passes over the buckets (ascending, or descending when
    /// `descending`), giving each non-full target at most one entry per bucket per pass; a
    /// handed-out entry moves to the back of its bucket. Stops when every target is full or a
    /// pass hands out nothing.
    pub fn handout<T: HandoutTarget>(&mut self, targets: &mut [T], descending: bool) {
        let order: Vec<usize> =
            if descending { (0..HOP_BUCKETS).rev().collect() } else { (0..HOP_BUCKETS).collect() };
        loop {
            let mut n = 0;
            for &b in &order {
                let mut all_full = true;
                for t in targets.iter_mut() {
                    if !t.full() {
                        all_full = false;
                        n += self.handout_one(t, b);
                    }
                }
                if all_full {
                    return;
                }
            }
            if n == 0 {
                return;
            }
        }
    }

    fn handout_one<T: HandoutTarget>(&mut self, t: &mut T, bucket: usize) -> usize {
        let hops = bucket as u32;
        let list = &mut self.buckets[bucket];
        for i in 0..list.len() {
            let addr = list[i];
            if t.try_insert(HopEndpoint::new(addr, hops)) {
                list.remove(i);
                list.push_back(addr);
                return 1;
            }
        }
        0
    }
}

/// A receiver of handed-out endpoints (rippled's `SlotHandouts`, `RedirectHandouts`,
/// `ConnectHandouts`).
pub trait HandoutTarget {
    fn full(&self) -> bool;
    /// Apply the target's rules; true if the endpoint was taken.
    fn try_insert(&mut self, ep: HopEndpoint) -> bool;
}

/// Per-slot memory of endpoints exchanged with that peer, so we do not send back what it just
/// told us, nor repeat ourselves (rippled `SlotImp::recent_t`, §6.2).
#[derive(Debug, Clone, Default)]
pub struct RecentCache {
    entries: BTreeMap<SocketAddr, (u32, Instant)>,
}

impl RecentCache {
    /// Record `addr` at `hops`; an existing entry is lowered and refreshed only when
    /// `hops <= stored` (rippled relies on that `<=`).
    pub fn insert(&mut self, addr: SocketAddr, hops: u32, now: Instant) {
        match self.entries.get_mut(&addr) {
            None => {
                self.entries.insert(addr, (hops, now));
            }
            Some(e) if hops <= e.0 => *e = (hops, now),
            Some(_) => {}
        }
    }

    /// True if the peer already knows `addr` at `hops` or fewer.
    pub fn filter(&self, addr: &SocketAddr, hops: u32) -> bool {
        self.entries.get(addr).is_some_and(|(h, _)| *h <= hops)
    }

    pub fn expire(&mut self, now: Instant) {
        self.entries.retain(|_, (_, t)| now.saturating_duration_since(*t) < LIVECACHE_TTL);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
