//! Resource consumers: rippled-compatible load accounting per remote address
//! (overlay-wire.md §10.3; rippled `include/xrpl/resource/detail/{Logic,Entry,Tuning}.h`,
//! `include/xrpl/basics/DecayingSample.h`, `src/libxrpl/resource/Fees.cpp`).
//!
//! Owns: the charge table, the decaying balance arithmetic, the warn/drop thresholds, the
//! "refuse reconnects while over the limit" rule, expiry of inactive entries and the bound on
//! the table size.
//!
//! Must not touch: sockets, clocks (time comes in as `now: Instant`), message decoding (the
//! caller decides which [`Charge`] a message earns), disconnect side effects (the caller acts on
//! the returned [`Disposition`]).
//!
//! ## Arithmetic (bit-compatible with rippled's `DecayingSample<32>`)
//!
//! Each entry keeps a raw value `m`. A charge of `c` units adds `c` to `m`; the *balance* that is
//! compared with the thresholds is `m / 32` (integer division). Each whole second that passes
//! applies `m -= ceil(m / 32)`, i.e. `m` shrinks by about 1/32 per second: a balance halves in
//! 22 s. A gap of more than 4 × 32 s resets `m` to 0. Consequences worth knowing:
//! * a burst within one second of 3200 pings (250 units each) reaches the drop threshold
//!   (3200 × 250 / 32 = 25000);
//! * a sustained rate settles at balance ≈ units-per-second, so a peer must sustain more than
//!   100 pings per second to be dropped for pings alone.
//!
//! rippled reads its clock with one-second granularity; this table does the same by counting
//! whole seconds since the `epoch` given to [`ResourceTable::new`].

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// Balance at or above which a consumer is in the "warn" state (§10.3, rippled `Tuning.h`
/// `warningThreshold`).
pub const WARNING_THRESHOLD: i64 = 5000;

/// Balance at or above which a consumer is disconnected ("charge: Resources") and new inbound
/// connections from its address are refused (§10.3, rippled `Tuning.h` `dropThreshold`).
pub const DROP_THRESHOLD: i64 = 25000;

/// Length of the exponential decay window in seconds; also the divisor between the raw value and
/// the balance (§10.3, rippled `Tuning.h` `decayWindowSeconds`).
pub const DECAY_WINDOW_SECS: i64 = 32;

/// A gap longer than this many seconds resets a raw value to zero (rippled `DecayingSample`:
/// "a span larger than four times the window").
pub const DECAY_RESET_SECS: u64 = 4 * DECAY_WINDOW_SECS as u64;

/// How long an entry without live connections is kept after its last release or charge
/// (§10.3 "inactive entries expire after 300 s", rippled `secondsUntilExpiration`).
pub const INACTIVE_EXPIRY: Duration = Duration::from_secs(300);

/// Extra raw units added when a consumer is found over [`DROP_THRESHOLD`] (at disconnect and at
/// each refused reconnect), so a dropped address stays refused a little longer
/// (rippled `Fees.cpp` `feeDrop`, 6000).
pub const FEE_DROP_UNITS: i64 = 6000;

/// Upper bound on the number of entries in one [`ResourceTable`]. Our own choice (rippled's table
/// is unbounded): far above any peer slot configuration, small enough (~1 MiB) that a flood of
/// connection attempts from many addresses cannot grow memory without limit. When full, the
/// oldest inactive entry is evicted; if every entry is active the new key is refused.
pub const MAX_RESOURCE_ENTRIES: usize = 16_384;

/// The peer-protocol charges of §10.3 (rippled `Fees.cpp`, newest names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Charge {
    /// Default cost of any processed message (`feeTrivialPeer`).
    TrivialPeer,
    /// A request we cannot answer (`feeRequestNoReply`, "unsatisfiable request").
    RequestNoReply,
    /// Data that helps nobody: duplicates, empty lists (`feeUselessData`).
    UselessData,
    /// A request that breaks a protocol rule (`feeMalformedRequest`).
    MalformedRequest,
    /// Each received ping, object queries (`feeModerateBurdenPeer`).
    ModeratePeer,
    /// Unparsable or invalid content (`feeInvalidData`).
    InvalidData,
    /// Expensive requests such as fetch packs (`feeHeavyBurdenPeer`).
    HeavyPeer,
    /// A bad signature on a proposal, validation or transaction (`feeInvalidSignature`).
    InvalidSignature,
}

impl Charge {
    /// Every charge, cheapest first.
    pub const ALL: [Charge; 8] = [
        Charge::TrivialPeer,
        Charge::RequestNoReply,
        Charge::UselessData,
        Charge::MalformedRequest,
        Charge::ModeratePeer,
        Charge::InvalidData,
        Charge::HeavyPeer,
        Charge::InvalidSignature,
    ];

    /// Raw units added to the consumer (§10.3 table).
    pub const fn units(self) -> i64 {
        match self {
            Charge::TrivialPeer => 1,
            Charge::RequestNoReply => 10,
            Charge::UselessData => 150,
            Charge::MalformedRequest => 200,
            Charge::ModeratePeer => 250,
            Charge::InvalidData => 400,
            Charge::HeavyPeer => 2000,
            Charge::InvalidSignature => 2000,
        }
    }

    /// rippled's label for the charge, for logs.
    pub const fn name(self) -> &'static str {
        match self {
            Charge::TrivialPeer => "trivial peer request",
            Charge::RequestNoReply => "unsatisfiable request",
            Charge::UselessData => "useless data",
            Charge::MalformedRequest => "malformed request",
            Charge::ModeratePeer => "moderate peer request",
            Charge::InvalidData => "invalid data",
            Charge::HeavyPeer => "heavy peer request",
            Charge::InvalidSignature => "invalid signature",
        }
    }
}

/// What the caller should do after a charge (rippled `Disposition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Disposition {
    /// Below [`WARNING_THRESHOLD`].
    Ok,
    /// At or above [`WARNING_THRESHOLD`], below [`DROP_THRESHOLD`].
    Warn,
    /// At or above [`DROP_THRESHOLD`]: disconnect with "charge: Resources".
    Drop,
}

impl Disposition {
    /// Classify a balance (rippled `Logic::disposition`).
    pub const fn from_balance(balance: i64) -> Self {
        if balance >= DROP_THRESHOLD {
            Disposition::Drop
        } else if balance >= WARNING_THRESHOLD {
            Disposition::Warn
        } else {
            Disposition::Ok
        }
    }
}

/// Who is charged. Inbound connections are keyed by remote IP only (rippled uses
/// `address.at_port(0)`), so every connection from one host shares one balance; outbound
/// connections by the full endpoint we dialled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKey {
    /// A connection the remote side opened.
    Inbound(IpAddr),
    /// A connection we opened.
    Outbound(SocketAddr),
}

impl ResourceKey {
    /// Key for an inbound connection from `ip`. IPv4-mapped IPv6 addresses (seen on dual-stack
    /// listeners) are folded to IPv4 so one host cannot hold two balances.
    pub fn inbound(ip: IpAddr) -> Self {
        ResourceKey::Inbound(ip.to_canonical())
    }

    /// Key for an outbound connection to `endpoint` (address folded as in [`Self::inbound`]).
    pub fn outbound(endpoint: SocketAddr) -> Self {
        ResourceKey::Outbound(SocketAddr::new(endpoint.ip().to_canonical(), endpoint.port()))
    }

    fn canonical(self) -> Self {
        match self {
            ResourceKey::Inbound(ip) => Self::inbound(ip),
            ResourceKey::Outbound(ep) => Self::outbound(ep),
        }
    }
}

/// Errors of the resource table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    /// The table holds [`MAX_RESOURCE_ENTRIES`] entries that all have live connections.
    #[error("resource table full ({limit} active consumers)")]
    TableFull {
        /// The configured bound.
        limit: usize,
    },
}

/// rippled's `DecayingSample<32>` on a whole-second clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DecayingValue {
    raw: i64,
    when: u64,
}

impl DecayingValue {
    fn decayed(self, now: u64) -> i64 {
        // Time going backwards must not reset the value (rippled would, through an unsigned
        // underflow); treat it as no time passed.
        let elapsed = now.saturating_sub(self.when);
        if self.raw == 0 || elapsed == 0 {
            return self.raw;
        }
        if elapsed > DECAY_RESET_SECS {
            return 0;
        }
        let mut raw = self.raw;
        for _ in 0..elapsed {
            raw -= (raw + DECAY_WINDOW_SECS - 1) / DECAY_WINDOW_SECS;
        }
        raw
    }

    fn advance(&mut self, now: u64) {
        if now > self.when {
            self.raw = self.decayed(now);
            self.when = now;
        }
    }

    fn add(&mut self, units: i64, now: u64) -> i64 {
        self.advance(now);
        self.raw = self.raw.saturating_add(units);
        self.raw / DECAY_WINDOW_SECS
    }

    fn balance(self, now: u64) -> i64 {
        self.decayed(now) / DECAY_WINDOW_SECS
    }
}

#[derive(Debug, Clone)]
struct Entry {
    value: DecayingValue,
    /// Live connections using this consumer.
    refcount: u32,
    /// Position in the inactive index when `refcount == 0`.
    inactive: Option<(u64, u64)>,
}

/// Table of resource consumers, one per [`ResourceKey`].
///
/// Lifecycle for a connection: [`acquire`](Self::acquire) when it is accepted or dialled,
/// [`charge`](Self::charge) for every processed message, [`release`](Self::release) when it
/// closes. Before accepting an inbound connection, ask
/// [`refuse_inbound`](Self::refuse_inbound).
#[derive(Debug, Clone)]
pub struct ResourceTable {
    epoch: Instant,
    max_entries: usize,
    entries: HashMap<ResourceKey, Entry>,
    /// Inactive entries ordered by (expiry second, insertion sequence): the front is both the
    /// next to expire and the oldest inactive entry to evict.
    inactive: BTreeMap<(u64, u64), ResourceKey>,
    next_seq: u64,
}

impl ResourceTable {
    /// An empty table bounded by [`MAX_RESOURCE_ENTRIES`]. `epoch` is any instant not later
    /// than the first `now` passed in; whole seconds are counted from it.
    pub fn new(epoch: Instant) -> Self {
        Self::with_max_entries(epoch, MAX_RESOURCE_ENTRIES)
    }

    /// An empty table with another bound (at least 1).
    pub fn with_max_entries(epoch: Instant, max_entries: usize) -> Self {
        Self {
            epoch,
            max_entries: max_entries.max(1),
            entries: HashMap::new(),
            inactive: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// Number of entries (active and inactive).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True if `key` has an entry.
    pub fn contains(&self, key: ResourceKey) -> bool {
        self.entries.contains_key(&key.canonical())
    }

    fn tick(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.epoch).as_secs()
    }

    fn mark_inactive(&mut self, key: ResourceKey, now_tick: u64) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = (now_tick.saturating_add(INACTIVE_EXPIRY.as_secs()), seq);
        if let Some(entry) = self.entries.get_mut(&key) {
            if let Some(old) = entry.inactive.replace(slot) {
                self.inactive.remove(&old);
            }
            self.inactive.insert(slot, key);
        }
    }

    /// Drop inactive entries whose expiry has passed; returns how many were removed.
    /// Called by every mutating method, so calling it periodically only frees memory sooner.
    pub fn expire(&mut self, now: Instant) -> usize {
        let now_tick = self.tick(now);
        let mut removed = 0;
        while let Some((&(expires, seq), &key)) = self.inactive.iter().next() {
            if expires > now_tick {
                break;
            }
            self.inactive.remove(&(expires, seq));
            self.entries.remove(&key);
            removed += 1;
        }
        removed
    }

    /// Make room for one new entry: evict the oldest inactive entry if the table is full.
    fn make_room(&mut self) -> Result<(), ResourceError> {
        if self.entries.len() < self.max_entries {
            return Ok(());
        }
        let oldest = self.inactive.iter().next().map(|(&slot, &key)| (slot, key));
        match oldest {
            Some((slot, key)) => {
                self.inactive.remove(&slot);
                self.entries.remove(&key);
                Ok(())
            }
            None => Err(ResourceError::TableFull { limit: self.max_entries }),
        }
    }

    fn insert_new(&mut self, key: ResourceKey, now_tick: u64) -> Result<(), ResourceError> {
        self.make_room()?;
        self.entries.insert(
            key,
            Entry { value: DecayingValue { raw: 0, when: now_tick }, refcount: 0, inactive: None },
        );
        Ok(())
    }

    /// A connection starts using `key`'s consumer (rippled `newInboundEndpoint` /
    /// `newOutboundEndpoint`). An existing balance, even from a dropped earlier connection, is
    /// kept. Fails only when the table is full of active entries.
    pub fn acquire(&mut self, now: Instant, key: ResourceKey) -> Result<(), ResourceError> {
        let key = key.canonical();
        self.expire(now);
        let now_tick = self.tick(now);
        if !self.entries.contains_key(&key) {
            self.insert_new(key, now_tick)?;
        }
        if let Some(entry) = self.entries.get_mut(&key) {
            entry.refcount = entry.refcount.saturating_add(1);
            if let Some(slot) = entry.inactive.take() {
                self.inactive.remove(&slot);
            }
        }
        Ok(())
    }

    /// A connection using `key` closed. When the last one closes, the entry becomes inactive
    /// and expires [`INACTIVE_EXPIRY`] later unless reacquired. Unknown keys are ignored.
    pub fn release(&mut self, now: Instant, key: ResourceKey) {
        let key = key.canonical();
        let now_tick = self.tick(now);
        let became_inactive = match self.entries.get_mut(&key) {
            Some(entry) if entry.refcount > 0 => {
                entry.refcount -= 1;
                entry.refcount == 0
            }
            _ => false,
        };
        if became_inactive {
            self.mark_inactive(key, now_tick);
        }
        self.expire(now);
    }

    /// Charge `key` and classify its new balance (rippled `Logic::charge`).
    ///
    /// Charging a key that was never acquired creates an inactive entry that expires
    /// [`INACTIVE_EXPIRY`] after its last charge. If the table is full of active entries the
    /// charge cannot be recorded and the answer is [`Disposition::Drop`] (fail closed).
    pub fn charge(&mut self, now: Instant, key: ResourceKey, charge: Charge) -> Disposition {
        self.charge_units(now, key, charge.units())
    }

    fn charge_units(&mut self, now: Instant, key: ResourceKey, units: i64) -> Disposition {
        let key = key.canonical();
        self.expire(now);
        let now_tick = self.tick(now);
        if !self.entries.contains_key(&key) && self.insert_new(key, now_tick).is_err() {
            return Disposition::Drop;
        }
        let (balance, inactive) = match self.entries.get_mut(&key) {
            Some(entry) => (entry.value.add(units, now_tick), entry.refcount == 0),
            None => return Disposition::Drop,
        };
        if inactive {
            self.mark_inactive(key, now_tick);
        }
        Disposition::from_balance(balance)
    }

    /// Current balance of `key` (0 if unknown).
    pub fn balance(&self, now: Instant, key: ResourceKey) -> i64 {
        let now_tick = self.tick(now);
        self.entries.get(&key.canonical()).map_or(0, |entry| entry.value.balance(now_tick))
    }

    /// True while `key`'s balance is at or above [`DROP_THRESHOLD`]. Pure query.
    pub fn is_over_limit(&self, now: Instant, key: ResourceKey) -> bool {
        self.balance(now, key) >= DROP_THRESHOLD
    }

    /// rippled `Consumer::disconnect`: if `key` is over [`DROP_THRESHOLD`], add
    /// [`FEE_DROP_UNITS`] (which keeps it refused a little longer) and return true.
    /// Call it after a charge returned [`Disposition::Drop`], before disconnecting.
    pub fn check_disconnect(&mut self, now: Instant, key: ResourceKey) -> bool {
        if !self.is_over_limit(now, key) {
            return false;
        }
        self.charge_units(now, key, FEE_DROP_UNITS);
        true
    }

    /// Should a new inbound connection from `ip` be refused? True while the address is over
    /// the limit; like rippled's `onHandoff`, each refused attempt adds [`FEE_DROP_UNITS`],
    /// so an address that keeps knocking stays out. The connection should be closed silently.
    pub fn refuse_inbound(&mut self, now: Instant, ip: IpAddr) -> bool {
        self.check_disconnect(now, ResourceKey::inbound(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn ip(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
    }

    fn at(epoch: Instant, secs: u64) -> Instant {
        epoch + Duration::from_secs(secs)
    }

    #[test]
    fn charge_table_matches_spec() {
        // §10.3 table / rippled Fees.cpp.
        let expected = [1, 10, 150, 200, 250, 400, 2000, 2000];
        for (charge, units) in Charge::ALL.iter().zip(expected) {
            assert_eq!(charge.units(), units, "{}", charge.name());
        }
        assert_eq!(Charge::ModeratePeer.name(), "moderate peer request");
    }

    #[test]
    fn thresholds() {
        assert_eq!(WARNING_THRESHOLD, 5000);
        assert_eq!(DROP_THRESHOLD, 25000);
        assert_eq!(Disposition::from_balance(4999), Disposition::Ok);
        assert_eq!(Disposition::from_balance(5000), Disposition::Warn);
        assert_eq!(Disposition::from_balance(24999), Disposition::Warn);
        assert_eq!(Disposition::from_balance(25000), Disposition::Drop);
    }

    #[test]
    fn balance_is_raw_over_window() {
        let t0 = Instant::now();
        let mut table = ResourceTable::new(t0);
        let key = ResourceKey::inbound(ip(1));
        table.charge(t0, key, Charge::ModeratePeer);
        // 250 raw units / 32 = 7 (integer division).
        assert_eq!(table.balance(t0, key), 7);
    }

    #[test]
    fn decay_halves_in_22_seconds() {
        // 320000 raw = balance 10000. Independent model of m -= ceil(m/32) per second:
        // t=21 -> 164277 raw (5133), t=22 -> 159143 raw (4973).
        let t0 = Instant::now();
        let mut table = ResourceTable::new(t0);
        let key = ResourceKey::inbound(ip(1));
        for _ in 0..160 {
            table.charge(t0, key, Charge::HeavyPeer);
        }
        assert_eq!(table.balance(t0, key), 10000);
        assert_eq!(table.balance(at(t0, 21), key), 5133);
        assert_eq!(table.balance(at(t0, 22), key), 4973);
        // Analytic half-life ln 2 / ln(32/31) = 21.8 s.
        assert!(table.balance(at(t0, 21), key) > 5000);
        assert!(table.balance(at(t0, 22), key) < 5000);
        // Sub-second steps do not decay (one-second clock, as rippled).
        assert_eq!(table.balance(t0 + Duration::from_millis(999), key), 10000);
        // Beyond 4 windows: reset.
        assert!(table.balance(at(t0, DECAY_RESET_SECS), key) > 0);
        assert_eq!(table.balance(at(t0, DECAY_RESET_SECS + 1), key), 0);
    }

    #[test]
    fn ping_burst_warns_at_640_and_drops_at_3200() {
        // All in one second: balance = 250 n / 32, warn at n = 640, drop at n = 3200.
        let t0 = Instant::now();
        let mut table = ResourceTable::new(t0);
        let key = ResourceKey::inbound(ip(2));
        table.acquire(t0, key).unwrap();
        let mut first_warn = None;
        let mut first_drop = None;
        for n in 1..=3200u32 {
            match table.charge(t0, key, Charge::ModeratePeer) {
                Disposition::Warn if first_warn.is_none() => first_warn = Some(n),
                Disposition::Drop => {
                    first_drop = Some(n);
                    break;
                }
                _ => {}
            }
        }
        assert_eq!(first_warn, Some(640));
        assert_eq!(first_drop, Some(3200));
    }

    #[test]
    fn sustained_ping_floods() {
        // Pings at one-second ticks, r per second. Independent model: r = 1 settles at 249,
        // r = 100 never reaches 25000, r = 200 drops at ping 4384 (second 21).
        fn run(rate: u32, seconds: u64) -> (i64, Option<u32>) {
            let t0 = Instant::now();
            let mut table = ResourceTable::new(t0);
            let key = ResourceKey::inbound(ip(3));
            table.acquire(t0, key).unwrap();
            let mut n = 0;
            let mut dropped = None;
            for s in 0..seconds {
                for _ in 0..rate {
                    n += 1;
                    if table.charge(at(t0, s), key, Charge::ModeratePeer) == Disposition::Drop
                        && dropped.is_none()
                    {
                        dropped = Some(n);
                    }
                }
            }
            (table.balance(at(t0, seconds - 1), key), dropped)
        }
        assert_eq!(run(1, 600), (249, None));
        assert_eq!(run(100, 2000), (24999, None));
        assert_eq!(run(200, 30).1, Some(4384));
    }

    #[test]
    fn dropped_address_is_refused_until_decayed() {
        let t0 = Instant::now();
        let mut table = ResourceTable::new(t0);
        let addr = ip(4);
        let key = ResourceKey::inbound(addr);
        table.acquire(t0, key).unwrap();
        // 640 bad signatures in one second: 1_280_000 raw = balance 40000.
        for _ in 0..640 {
            table.charge(t0, key, Charge::InvalidSignature);
        }
        assert_eq!(table.balance(t0, key), 40000);
        assert!(table.check_disconnect(t0, key));
        table.release(at(t0, 1), key);
        // Over the limit: a reconnect is refused (and charged FEE_DROP_UNITS again).
        assert!(table.refuse_inbound(at(t0, 2), addr));
        // An IPv4-mapped IPv6 address is the same host.
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 4).to_ipv6_mapped());
        assert!(table.is_over_limit(at(t0, 2), ResourceKey::inbound(mapped)));
        // Other addresses are unaffected.
        assert!(!table.refuse_inbound(at(t0, 2), ip(5)));
        // Independent model: 25085 at t=15, 24301 at t=16, so admitted from second 16.
        assert_eq!(table.balance(at(t0, 15), key), 25085);
        assert!(table.is_over_limit(at(t0, 15), key));
        assert!(!table.refuse_inbound(at(t0, 16), addr));
    }

    #[test]
    fn dropped_exactly_at_threshold_is_refused_for_about_a_second() {
        // 800000 raw + FEE_DROP_UNITS = 806000 -> one second later 780812 raw = 24400:
        // the reconnect block is short unless the peer went well over the threshold.
        let t0 = Instant::now();
        let mut table = ResourceTable::new(t0);
        let key = ResourceKey::inbound(ip(10));
        for _ in 0..400 {
            table.charge(t0, key, Charge::HeavyPeer);
        }
        assert!(table.check_disconnect(t0, key));
        assert!(table.is_over_limit(t0, key));
        assert_eq!(table.balance(at(t0, 1), key), 24400);
        assert!(!table.refuse_inbound(at(t0, 1), ip(10)));
    }

    #[test]
    fn inactive_entries_expire_after_300_s() {
        let t0 = Instant::now();
        let mut table = ResourceTable::new(t0);
        let key = ResourceKey::outbound(SocketAddr::new(ip(6), 51235));
        table.acquire(t0, key).unwrap();
        table.charge(t0, key, Charge::HeavyPeer);
        // Active entries never expire.
        assert_eq!(table.expire(at(t0, 10_000)), 0);
        table.release(at(t0, 10_000), key);
        assert_eq!(table.expire(at(t0, 10_299)), 0);
        assert!(table.contains(key));
        assert_eq!(table.expire(at(t0, 10_300)), 1);
        assert!(!table.contains(key));
        assert!(table.is_empty());
    }

    #[test]
    fn reacquire_cancels_expiry() {
        let t0 = Instant::now();
        let mut table = ResourceTable::new(t0);
        let key = ResourceKey::inbound(ip(7));
        table.acquire(t0, key).unwrap();
        table.release(at(t0, 1), key);
        table.acquire(at(t0, 100), key).unwrap();
        assert_eq!(table.expire(at(t0, 1000)), 0);
        assert!(table.contains(key));
    }

    #[test]
    fn charge_without_acquire_expires_300_s_after_last_charge() {
        let t0 = Instant::now();
        let mut table = ResourceTable::new(t0);
        let key = ResourceKey::inbound(ip(8));
        table.charge(t0, key, Charge::TrivialPeer);
        table.charge(at(t0, 100), key, Charge::TrivialPeer);
        assert_eq!(table.expire(at(t0, 399)), 0);
        assert_eq!(table.expire(at(t0, 400)), 1);
    }

    #[test]
    fn bound_evicts_oldest_inactive() {
        let t0 = Instant::now();
        let mut table = ResourceTable::with_max_entries(t0, 3);
        let k = |n| ResourceKey::inbound(ip(n));
        for n in 1..=3 {
            table.acquire(at(t0, n as u64), k(n)).unwrap();
            table.release(at(t0, n as u64), k(n));
        }
        table.acquire(at(t0, 10), k(4)).unwrap();
        assert_eq!(table.len(), 3);
        assert!(!table.contains(k(1)), "oldest inactive evicted");
        assert!(table.contains(k(2)) && table.contains(k(3)) && table.contains(k(4)));
    }

    #[test]
    fn bound_refuses_when_all_active() {
        let t0 = Instant::now();
        let mut table = ResourceTable::with_max_entries(t0, 2);
        let k = |n| ResourceKey::inbound(ip(n));
        table.acquire(t0, k(1)).unwrap();
        table.acquire(t0, k(2)).unwrap();
        assert_eq!(table.acquire(t0, k(3)), Err(ResourceError::TableFull { limit: 2 }));
        assert_eq!(table.charge(t0, k(3), Charge::TrivialPeer), Disposition::Drop);
        assert_eq!(table.len(), 2);
        // The existing entries still work.
        assert_eq!(table.charge(t0, k(1), Charge::TrivialPeer), Disposition::Ok);
    }

    #[test]
    fn default_bound_is_named_and_enforced() {
        let t0 = Instant::now();
        let mut table = ResourceTable::new(t0);
        for n in 0..(MAX_RESOURCE_ENTRIES as u32 + 10) {
            let addr = IpAddr::V6(Ipv6Addr::from(0x2001_0db8_0000_0000_0000_0000_0000_0000u128 + n as u128));
            table.charge(t0, ResourceKey::inbound(addr), Charge::TrivialPeer);
        }
        assert_eq!(table.len(), MAX_RESOURCE_ENTRIES);
    }

    #[test]
    fn time_going_backwards_does_not_reset() {
        let t0 = Instant::now();
        let mut table = ResourceTable::new(t0);
        let key = ResourceKey::inbound(ip(9));
        for _ in 0..16 {
            table.charge(at(t0, 50), key, Charge::HeavyPeer);
        }
        assert_eq!(table.balance(at(t0, 50), key), 1000);
        assert_eq!(table.balance(at(t0, 10), key), 1000);
        table.charge(at(t0, 10), key, Charge::TrivialPeer);
        assert_eq!(table.balance(at(t0, 50), key), 1000);
    }

    proptest::proptest! {
        /// Random operation sequences keep the bound and the inactive index consistent.
        #[test]
        fn bookkeeping_invariants(ops in proptest::collection::vec((0u8..4, 0u8..12, 0u64..3), 0..300)) {
            let t0 = Instant::now();
            let mut table = ResourceTable::with_max_entries(t0, 6);
            let mut now = 0u64;
            for (op, n, dt) in ops {
                now += dt * 60;
                let key = ResourceKey::inbound(ip(n));
                match op {
                    0 => { let _ = table.acquire(at(t0, now), key); }
                    1 => table.release(at(t0, now), key),
                    2 => { table.charge(at(t0, now), key, Charge::HeavyPeer); }
                    _ => { table.expire(at(t0, now)); }
                }
                proptest::prop_assert!(table.len() <= 6);
                let idle = table.entries.values().filter(|e| e.refcount == 0).count();
                proptest::prop_assert_eq!(idle, table.inactive.len());
                for (slot, k) in &table.inactive {
                    proptest::prop_assert_eq!(table.entries[k].inactive, Some(*slot));
                }
            }
        }
    }
}
