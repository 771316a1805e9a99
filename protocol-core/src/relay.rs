//! Relay bookkeeping: duplicate suppression ([`HashRouter`], with rippled's per-type keys where
//! they are plain hashes), the validator a validation came from ([`validation_signing_key`],
//! for squelching), the receiver side of validator
//! squelching ([`PeerSquelches`], overlay-wire.md §11.1), which message types are relayed
//! ([`RelayPolicy`]) and the per-peer send-queue rule of §10.1 ([`SendQueueMonitor`]).
//!
//! Owns: the time windows and size bounds of those tables and the squelch duration rule.
//!
//! Must not touch: protobuf types (callers pass plain bytes and numbers), sockets, clocks (time
//! comes in as `now: Instant`), resource balances (squelch outcomes *name* the [`Charge`]; the
//! caller applies it to its [`crate::resource::ResourceTable`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;
use std::time::{Duration, Instant};

use crate::keys::sha512_half;
use crate::resource::Charge;

// ------------------------------------------------------------------------------------------------
// Duplicate suppression
// ------------------------------------------------------------------------------------------------

/// How long a suppression entry lives after its last use (rippled `HashRouter::Setup::holdTime`,
/// 300 s). Re-seeing a hash within this window refreshes it.
pub const SUPPRESSION_HOLD_TIME: Duration = Duration::from_secs(300);

/// Minimum time between two relays of the same hash (rippled `HashRouter::Setup::relayTime`,
/// 30 s in the newest tree; older trees used the hold time).
pub const RELAY_INTERVAL: Duration = Duration::from_secs(30);

/// Upper bound on suppression entries. Our own choice (rippled's map is bounded only by time):
/// mainnet carries on the order of 100 relayable messages per second, i.e. ~30,000 entries per
/// hold window; this leaves ~8× headroom before the oldest entries are evicted early.
pub const MAX_SUPPRESSION_ENTRIES: usize = 262_144;

/// The key under which a relayed message is suppressed: SHA-512-Half of the 2-byte big-endian
/// message type followed by the serialized protobuf payload (uncompressed).
///
/// rippled uses per-type content keys instead; transactions and validations have theirs
/// ([`transaction_suppression_key`], [`validation_suppression_key`]). For the other relayed
/// types (proposals: `proposalUniqueId`; manifests, validator lists) the key never goes on the
/// wire, so this one only has to be stable and collision-free: two byte-identical messages of
/// one type are one message. A re-encoded copy of the same content with different bytes counts
/// as new, which at worst relays it once more.
pub fn suppression_key(msg_type: u16, payload: &[u8]) -> [u8; 32] {
    sha512_half(&[&msg_type.to_be_bytes(), payload])
}

/// rippled `HashPrefix::transactionID` ("TXN\0"): a transaction's ID is
/// SHA-512-Half(prefix ‖ raw transaction).
pub const TXN_ID_PREFIX: [u8; 4] = *b"TXN\0";

/// rippled's suppression key of a TMTransaction: the transaction ID of `raw_transaction`
/// (`sha512Half(HashPrefix::transactionID, tx)`), so a re-encoded protobuf carrying the same
/// transaction is still one message.
pub fn transaction_suppression_key(raw_transaction: &[u8]) -> [u8; 32] {
    sha512_half(&[&TXN_ID_PREFIX, raw_transaction])
}

/// rippled's suppression key of a TMValidation: SHA-512-Half of the serialized STValidation
/// (`PeerImp::onMessage(TMValidation)`, `sha512Half(makeSlice(m->validation()))`).
pub fn validation_suppression_key(validation: &[u8]) -> [u8; 32] {
    sha512_half(&[validation])
}

/// STObject field id of `sfSigningPubKey`: type 7 (Blob), field 3.
const SIGNING_PUB_KEY_FIELD: (u32, u32) = (7, 3);

/// The `sfSigningPubKey` of a serialized STValidation: the validator whose traffic it is, for
/// squelching (§11.1). Found by walking the top-level fields in canonical order; `None` if the
/// blob is truncated, has no signing key, or uses a field type this walker does not size
/// (validations use only the fixed-size types below and blobs/vectors).
pub fn validation_signing_key(bytes: &[u8]) -> Option<&[u8]> {
    let mut i = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        let (mut ty, mut field) = (u32::from(b >> 4), u32::from(b & 0x0f));
        if ty == 0 {
            ty = u32::from(*bytes.get(i)?);
            i += 1;
        }
        if field == 0 {
            field = u32::from(*bytes.get(i)?);
            i += 1;
        }
        let len = match ty {
            1 => 2,   // UInt16
            2 => 4,   // UInt32
            3 => 8,   // UInt64
            4 => 16,  // Hash128
            5 => 32,  // Hash256
            16 => 1,  // UInt8
            17 => 20, // Hash160
            7 | 8 | 19 => {
                // Blob, AccountID, Vector256: variable-length prefix.
                let (n, used) = vl_length(bytes.get(i..)?)?;
                i += used;
                if (ty, field) == SIGNING_PUB_KEY_FIELD {
                    return bytes.get(i..i.checked_add(n)?);
                }
                n
            }
            _ => return None,
        };
        i = i.checked_add(len)?;
    }
    None
}

/// XRPL variable-length prefix (1–3 bytes): (length, prefix bytes).
fn vl_length(b: &[u8]) -> Option<(usize, usize)> {
    let b0 = usize::from(*b.first()?);
    match b0 {
        0..=192 => Some((b0, 1)),
        193..=240 => Some((193 + (b0 - 193) * 256 + usize::from(*b.get(1)?), 2)),
        241..=254 => {
            Some((12481 + (b0 - 241) * 65536 + usize::from(*b.get(1)?) * 256 + usize::from(*b.get(2)?), 3))
        }
        _ => None,
    }
}

#[derive(Debug, Clone)]
struct RouteEntry<P> {
    peers: HashSet<P>,
    relayed: Option<Instant>,
    touched: Instant,
    seq: u64,
}

/// rippled's `HashRouter` for the overlay: which peers already have a message, and whether it
/// is time to relay it. `P` is the caller's peer id (cheap, copyable).
#[derive(Debug, Clone)]
pub struct HashRouter<P> {
    hold_time: Duration,
    relay_interval: Duration,
    max_entries: usize,
    entries: HashMap<[u8; 32], RouteEntry<P>>,
    /// Entries by last use (sequence number); the front is the least recently used.
    order: BTreeMap<u64, [u8; 32]>,
    next_seq: u64,
}

impl<P: Copy + Eq + Hash> Default for HashRouter<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: Copy + Eq + Hash> HashRouter<P> {
    /// A router with [`SUPPRESSION_HOLD_TIME`], [`RELAY_INTERVAL`] and
    /// [`MAX_SUPPRESSION_ENTRIES`].
    pub fn new() -> Self {
        Self::with_limits(SUPPRESSION_HOLD_TIME, RELAY_INTERVAL, MAX_SUPPRESSION_ENTRIES)
    }

    /// A router with other limits (`max_entries` at least 1).
    pub fn with_limits(hold_time: Duration, relay_interval: Duration, max_entries: usize) -> Self {
        Self {
            hold_time,
            relay_interval,
            max_entries: max_entries.max(1),
            entries: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// Number of live entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True if `hash` has an entry (expired entries may linger until the next mutation).
    pub fn contains(&self, hash: &[u8; 32]) -> bool {
        self.entries.contains_key(hash)
    }

    /// Peers recorded for `hash` since it was last relayed.
    pub fn peers(&self, hash: &[u8; 32]) -> Option<&HashSet<P>> {
        self.entries.get(hash).map(|e| &e.peers)
    }

    /// Remove entries unused for [`SUPPRESSION_HOLD_TIME`]; returns how many.
    pub fn expire(&mut self, now: Instant) -> usize {
        let mut removed = 0;
        while let Some((&seq, &hash)) = self.order.iter().next() {
            let stale = self.entries.get(&hash).is_none_or(|e| e.touched + self.hold_time <= now);
            if !stale {
                break;
            }
            self.order.remove(&seq);
            self.entries.remove(&hash);
            removed += 1;
        }
        removed
    }

    /// Find or create the entry; returns (entry, created). Refreshes its age like rippled's
    /// aged map `touch`.
    fn emplace(&mut self, now: Instant, hash: [u8; 32]) -> (&mut RouteEntry<P>, bool) {
        if !self.entries.contains_key(&hash) {
            self.expire(now);
            while self.entries.len() >= self.max_entries {
                let Some((&old_seq, &old_hash)) = self.order.iter().next() else {
                    break;
                };
                self.order.remove(&old_seq);
                self.entries.remove(&old_hash);
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut created = false;
        let entry = self.entries.entry(hash).or_insert_with(|| {
            created = true;
            RouteEntry { peers: HashSet::new(), relayed: None, touched: now, seq }
        });
        if !created {
            self.order.remove(&entry.seq);
            entry.seq = seq;
            // Never move `touched` backwards if the caller's clock does.
            entry.touched = entry.touched.max(now);
        }
        self.order.insert(seq, hash);
        (entry, created)
    }

    /// Record a hash we originated or processed without a sender. True the first time.
    pub fn add_suppression(&mut self, now: Instant, hash: [u8; 32]) -> bool {
        self.emplace(now, hash).1
    }

    /// Record that `peer` sent us (or was sent) `hash`. True the first time the hash is seen
    /// within the hold window: process it; false: a duplicate, do not process again.
    pub fn add_suppression_peer(&mut self, now: Instant, hash: [u8; 32], peer: P) -> bool {
        let (entry, created) = self.emplace(now, hash);
        entry.peers.insert(peer);
        created
    }

    /// [`Self::add_suppression`] (`from: None`) or [`Self::add_suppression_peer`], then
    /// [`Self::should_relay`], in one lookup: `None` for a duplicate, else the peers to skip
    /// (`from` among them). A hash seen for the first time is always due for relay, so the
    /// second lookup (and its reordering of the age index) was pure cost on every relayed
    /// message (ci/bench `relay_*`).
    pub fn add_first(&mut self, now: Instant, hash: [u8; 32], from: Option<P>) -> Option<HashSet<P>> {
        let (entry, created) = self.emplace(now, hash);
        if let Some(peer) = from {
            entry.peers.insert(peer);
        }
        if !created {
            return None;
        }
        entry.relayed = Some(now);
        Some(std::mem::take(&mut entry.peers))
    }

    /// Should `hash` be relayed now? `Some(skip)` at most once per [`RELAY_INTERVAL`]: send to
    /// every peer not in `skip` (they already have it). The recorded peers are handed over and
    /// cleared, as rippled does. `None`: relayed recently, do not send.
    pub fn should_relay(&mut self, now: Instant, hash: [u8; 32]) -> Option<HashSet<P>> {
        let interval = self.relay_interval;
        let (entry, _) = self.emplace(now, hash);
        if let Some(last) = entry.relayed {
            if last + interval > now {
                return None;
            }
        }
        entry.relayed = Some(now);
        Some(std::mem::take(&mut entry.peers))
    }
}

// ------------------------------------------------------------------------------------------------
// Squelch (receiver side)
// ------------------------------------------------------------------------------------------------

/// Shortest squelch a receiver accepts (§11.1; rippled `MIN_UNSQUELCH_EXPIRE`).
pub const MIN_SQUELCH_DURATION_SECS: u32 = 300;

/// Longest squelch a receiver accepts (§11.1; rippled `MAX_UNSQUELCH_EXPIRE_PEERS`).
pub const MAX_SQUELCH_DURATION_SECS: u32 = 3600;

/// Length of a validator public key in TMSquelch (`validatorPubKey`).
pub const VALIDATOR_KEY_LEN: usize = 33;

/// Bound on validators one peer may have squelched at once. Our own choice: rippled's map is
/// unbounded, but the keys come from the peer, and the network has a few hundred validators.
/// When full (after dropping expired squelches), new squelches are ignored: we keep sending,
/// which is always safe because squelching is only an optimisation.
pub const MAX_SQUELCHED_VALIDATORS_PER_PEER: usize = 1024;

/// rippled `publicKeyType`: 33 bytes starting 0x02/0x03 (secp256k1) or 0xED (Ed25519).
pub fn is_valid_validator_key(key: &[u8]) -> bool {
    key.len() == VALIDATOR_KEY_LEN && matches!(key[0], 0x02 | 0x03 | 0xED)
}

/// Result of [`PeerSquelches::apply_squelch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SquelchOutcome {
    /// Proposals/validations of the validator are not sent to this peer until `until`.
    Squelched {
        /// Expiry of the squelch.
        until: Instant,
    },
    /// `squelch = false`: the validator's messages are sent again.
    Unsquelched,
    /// `squelch = true` with a missing duration or one outside [300, 3600] s: treated as an
    /// unsquelch and the peer is charged `charge` ([`Charge::InvalidData`]).
    InvalidDuration {
        /// What to charge the sender.
        charge: Charge,
    },
    /// `validatorPubKey` missing or not a public key: ignored, sender charged `charge`.
    InvalidKey {
        /// What to charge the sender.
        charge: Charge,
    },
    /// The key is our own validation key: ignored, not charged.
    OwnKeyIgnored,
    /// [`MAX_SQUELCHED_VALIDATORS_PER_PEER`] reached: ignored, not charged.
    TableFull,
}

impl SquelchOutcome {
    /// The charge the caller should apply to the sender, if any.
    pub fn charge(&self) -> Option<Charge> {
        match self {
            SquelchOutcome::InvalidDuration { charge } | SquelchOutcome::InvalidKey { charge } => {
                Some(*charge)
            }
            _ => None,
        }
    }
}

/// Squelches one peer asked us to apply (one per connection, like rippled's
/// `PeerImp::squelch_`): validator key → expiry.
///
/// Honoured whether or not `vprr` was negotiated on the link (§11.1).
#[derive(Debug, Clone, Default)]
pub struct PeerSquelches {
    own_validator_key: Option<[u8; VALIDATOR_KEY_LEN]>,
    squelched: HashMap<[u8; VALIDATOR_KEY_LEN], Instant>,
}

impl PeerSquelches {
    /// `own_validator_key`: our validation public key if we are a validator; squelches for it
    /// are ignored so our own proposals and validations always go out.
    pub fn new(own_validator_key: Option<[u8; VALIDATOR_KEY_LEN]>) -> Self {
        Self { own_validator_key, squelched: HashMap::new() }
    }

    /// Number of validators currently recorded (expired ones may linger until touched).
    pub fn len(&self) -> usize {
        self.squelched.len()
    }

    /// True if nothing is squelched.
    pub fn is_empty(&self) -> bool {
        self.squelched.is_empty()
    }

    /// Apply a received TMSquelch. `validator_key` is the raw `validatorPubKey` (empty if the
    /// field was absent), `duration_secs` the optional `squelchDuration`.
    pub fn apply_squelch(
        &mut self,
        now: Instant,
        validator_key: &[u8],
        squelch: bool,
        duration_secs: Option<u32>,
    ) -> SquelchOutcome {
        let Ok(key) = <[u8; VALIDATOR_KEY_LEN]>::try_from(validator_key) else {
            return SquelchOutcome::InvalidKey { charge: Charge::InvalidData };
        };
        if !is_valid_validator_key(&key) {
            return SquelchOutcome::InvalidKey { charge: Charge::InvalidData };
        }
        if self.own_validator_key == Some(key) {
            return SquelchOutcome::OwnKeyIgnored;
        }
        if !squelch {
            self.squelched.remove(&key);
            return SquelchOutcome::Unsquelched;
        }
        // rippled reads an absent duration as 0, which is out of range.
        let duration = duration_secs.unwrap_or(0);
        if !(MIN_SQUELCH_DURATION_SECS..=MAX_SQUELCH_DURATION_SECS).contains(&duration) {
            self.squelched.remove(&key);
            return SquelchOutcome::InvalidDuration { charge: Charge::InvalidData };
        }
        if !self.squelched.contains_key(&key) && self.squelched.len() >= MAX_SQUELCHED_VALIDATORS_PER_PEER {
            self.squelched.retain(|_, until| *until > now);
            if self.squelched.len() >= MAX_SQUELCHED_VALIDATORS_PER_PEER {
                return SquelchOutcome::TableFull;
            }
        }
        let until = now + Duration::from_secs(u64::from(duration));
        self.squelched.insert(key, until);
        SquelchOutcome::Squelched { until }
    }

    /// Must a proposal/validation originated by `validator_key` be withheld from this peer?
    /// Expired squelches are removed (rippled `expireSquelch`): squelched while expiry > now.
    pub fn is_squelched(&mut self, now: Instant, validator_key: &[u8]) -> bool {
        let Ok(key) = <[u8; VALIDATOR_KEY_LEN]>::try_from(validator_key) else {
            return false;
        };
        match self.squelched.get(&key) {
            Some(until) if *until > now => true,
            Some(_) => {
                self.squelched.remove(&key);
                false
            }
            None => false,
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Relay policy
// ------------------------------------------------------------------------------------------------

/// How one message type is relayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayRule {
    /// Message type number (§7).
    pub msg_type: u16,
    /// rippled's protobuf message name.
    pub name: &'static str,
    /// Subject to validator squelching (§11.1): withheld from peers that squelched the
    /// originating validator.
    pub squelchable: bool,
    /// Subject to transaction reduce-relay (§11.2) on `txrr` links.
    pub tx_reduce_relay: bool,
}

/// Message types a node re-broadcasts to its other peers after accepting them (§12, rippled
/// `OverlayImpl::relay`, manifest and validator-list re-broadcast). Everything else is
/// point-to-point.
pub const RELAY_RULES: [RelayRule; 6] = [
    RelayRule { msg_type: 2, name: "TMManifests", squelchable: false, tx_reduce_relay: false },
    RelayRule { msg_type: 30, name: "TMTransaction", squelchable: false, tx_reduce_relay: true },
    RelayRule { msg_type: 33, name: "TMProposeSet", squelchable: true, tx_reduce_relay: false },
    RelayRule { msg_type: 41, name: "TMValidation", squelchable: true, tx_reduce_relay: false },
    RelayRule { msg_type: 54, name: "TMValidatorList", squelchable: false, tx_reduce_relay: false },
    RelayRule { msg_type: 56, name: "TMValidatorListCollection", squelchable: false, tx_reduce_relay: false },
];

/// Lookups over [`RELAY_RULES`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayPolicy;

impl RelayPolicy {
    /// The rule for `msg_type`, if it is relayed at all.
    pub fn rule(msg_type: u16) -> Option<&'static RelayRule> {
        RELAY_RULES.iter().find(|r| r.msg_type == msg_type)
    }

    /// Is `msg_type` re-broadcast after acceptance?
    pub fn is_relayed(msg_type: u16) -> bool {
        Self::rule(msg_type).is_some()
    }

    /// Is `msg_type` withheld from peers that squelched its validator?
    pub fn is_squelchable(msg_type: u16) -> bool {
        Self::rule(msg_type).is_some_and(|r| r.squelchable)
    }
}

// ------------------------------------------------------------------------------------------------
// Send queue
// ------------------------------------------------------------------------------------------------

/// Period of the per-peer timer (§10.1, rippled `peerTimerInterval`).
pub const PEER_TIMER_INTERVAL: Duration = Duration::from_secs(60);

/// Queue length considered reasonable; a send that finds fewer queued messages clears the
/// "large queue" count (§10.1, rippled `Tuning::targetSendQueue`).
pub const TARGET_SEND_QUEUE: usize = 128;

/// Consecutive timer intervals the queue may stay large before "Large send queue"
/// (§10.1, rippled `Tuning::sendqIntervals`).
pub const SEND_QUEUE_INTERVALS: u32 = 4;

/// Queue length at which queries from the peer are no longer answered (rippled
/// `Tuning::dropSendQueue`).
pub const DROP_SEND_QUEUE: usize = 192;

/// Reason text rippled logs when it drops a peer for its send queue.
pub const LARGE_SEND_QUEUE_REASON: &str = "Large send queue";

/// Verdict of one timer tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendQueueVerdict {
    /// Keep the peer.
    Keep,
    /// Disconnect with [`LARGE_SEND_QUEUE_REASON`].
    Disconnect,
}

/// rippled's `large_sendq_` counter for one peer.
///
/// Call [`on_send`](Self::on_send) with the queue length *before* each enqueue and
/// [`on_timer`](Self::on_timer) first thing on each [`PEER_TIMER_INTERVAL`] tick (before the
/// ping of that tick is queued). A peer that never lets its queue fall below
/// [`TARGET_SEND_QUEUE`] is dropped on the fifth tick, i.e. after [`SEND_QUEUE_INTERVALS`]
/// whole intervals; because every tick queues a ping, an idle healthy peer always resets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendQueueMonitor {
    large_intervals: u32,
}

impl SendQueueMonitor {
    /// A fresh monitor.
    pub fn new() -> Self {
        Self::default()
    }

    /// A message is about to be queued behind `queued_before` others.
    pub fn on_send(&mut self, queued_before: usize) {
        if queued_before < TARGET_SEND_QUEUE {
            self.large_intervals = 0;
        }
    }

    /// One timer tick.
    pub fn on_timer(&mut self) -> SendQueueVerdict {
        let previous = self.large_intervals;
        self.large_intervals = self.large_intervals.saturating_add(1);
        if previous >= SEND_QUEUE_INTERVALS {
            SendQueueVerdict::Disconnect
        } else {
            SendQueueVerdict::Keep
        }
    }

    /// Should a query (ledger data, objects) from this peer be left unanswered?
    pub fn should_refuse_query(queued: usize) -> bool {
        queued >= DROP_SEND_QUEUE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: u8) -> [u8; 32] {
        [n; 32]
    }

    fn secs(t0: Instant, s: u64) -> Instant {
        t0 + Duration::from_secs(s)
    }

    #[test]
    fn suppression_key_is_sha512_half_of_type_and_payload() {
        // SHA-512("") first half, a published constant, checks the hash wiring; then the type
        // prefix: key(0x1234, b"") == sha512_half([0x12, 0x34]).
        assert_eq!(
            hex::encode(sha512_half(&[b""])),
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
        );
        assert_eq!(suppression_key(0x1234, b""), sha512_half(&[&[0x12, 0x34]]));
        assert_ne!(suppression_key(30, b"x"), suppression_key(41, b"x"));
    }

    #[test]
    fn per_type_suppression_keys() {
        // Transaction ID = SHA-512-Half("TXN\0" ‖ tx): the prefix bytes are rippled's
        // HashPrefix::transactionID ('T','X','N',0).
        assert_eq!(TXN_ID_PREFIX, [0x54, 0x58, 0x4E, 0x00]);
        assert_eq!(transaction_suppression_key(b"\x12\x00"), sha512_half(&[b"TXN\0\x12\x00"]));
        assert_eq!(validation_suppression_key(b"abc"), sha512_half(&[b"abc"]));
    }

    #[test]
    fn signing_key_from_validation_blob() {
        // sfFlags (UInt32 2/2), sfLedgerSequence (2/6), sfSigningTime (2/9), sfLedgerHash (5/1),
        // sfSigningPubKey (7/3, 33 bytes), sfSignature (7/6).
        let mut v = vec![0x22, 0, 0, 0, 1, 0x26, 0, 0, 0, 5, 0x29, 0, 0, 0, 9, 0x51];
        v.extend([0xAB; 32]);
        v.extend([0x73, 33]);
        let mut key = vec![0x02];
        key.extend([0x11; 32]);
        v.extend(&key);
        v.extend([0x76, 3, 1, 2, 3]);
        assert_eq!(validation_signing_key(&v), Some(&key[..]));
        // Truncated inside the fixed fields, inside the key, and an empty blob.
        assert_eq!(validation_signing_key(&v[..20]), None);
        assert_eq!(validation_signing_key(&v[..60]), None);
        assert_eq!(validation_signing_key(&[]), None);
        // A field type the walker cannot size (14 = STObject) stops the walk.
        assert_eq!(validation_signing_key(&[0xE1, 0x73, 1, 2]), None);
    }

    #[test]
    fn first_sighting_then_duplicates() {
        let t0 = Instant::now();
        let mut r: HashRouter<u32> = HashRouter::new();
        assert!(r.add_suppression_peer(t0, h(1), 7));
        assert!(!r.add_suppression_peer(secs(t0, 1), h(1), 8));
        assert!(!r.add_suppression_peer(secs(t0, 2), h(1), 7));
        let peers = r.peers(&h(1)).unwrap();
        assert_eq!(peers.len(), 2);
        assert!(peers.contains(&7) && peers.contains(&8));
    }

    #[test]
    fn should_relay_returns_skip_set_once_per_interval() {
        let t0 = Instant::now();
        let mut r: HashRouter<u32> = HashRouter::new();
        r.add_suppression_peer(t0, h(2), 1);
        r.add_suppression_peer(t0, h(2), 2);
        let skip = r.should_relay(t0, h(2)).unwrap();
        assert_eq!(skip, HashSet::from([1, 2]));
        // Peers were handed over and cleared.
        assert!(r.peers(&h(2)).unwrap().is_empty());
        r.add_suppression_peer(secs(t0, 5), h(2), 3);
        assert_eq!(r.should_relay(secs(t0, 29), h(2)), None);
        let again = r.should_relay(secs(t0, 30), h(2)).unwrap();
        assert_eq!(again, HashSet::from([3]));
    }

    #[test]
    fn add_first_is_add_suppression_then_should_relay() {
        let t0 = Instant::now();
        let (mut one, mut two): (HashRouter<u32>, HashRouter<u32>) = (HashRouter::new(), HashRouter::new());
        for (t, hash, from) in
            [(0, 5, Some(1)), (1, 5, Some(2)), (2, 6, None), (40, 5, Some(3)), (41, 6, Some(4))]
        {
            let now = secs(t0, t);
            let first = match from {
                Some(p) => two.add_suppression_peer(now, h(hash), p),
                None => two.add_suppression(now, h(hash)),
            };
            let expected = if first { two.should_relay(now, h(hash)) } else { None };
            assert_eq!(one.add_first(now, h(hash), from), expected, "at {t} s, hash {hash}");
            assert_eq!(one.peers(&h(hash)), two.peers(&h(hash)));
        }
        // A duplicate arriving after the relay interval is still a duplicate: no second relay.
        assert_eq!(one.add_first(secs(t0, 45), h(5), Some(9)), None);
        assert_eq!(one.peers(&h(5)), Some(&HashSet::from([2, 3, 9])));
    }

    #[test]
    fn entries_expire_after_hold_time_since_last_use() {
        let t0 = Instant::now();
        let mut r: HashRouter<u32> = HashRouter::new();
        r.add_suppression(t0, h(3));
        r.add_suppression(secs(t0, 100), h(4));
        // Touching h(3) at 200 s keeps it until 500 s.
        assert!(!r.add_suppression(secs(t0, 200), h(3)));
        assert_eq!(r.expire(secs(t0, 399)), 0);
        assert_eq!(r.expire(secs(t0, 400)), 1);
        assert!(!r.contains(&h(4)));
        assert_eq!(r.expire(secs(t0, 499)), 0);
        assert_eq!(r.expire(secs(t0, 500)), 1);
        // Seen again after expiry: first time again.
        assert!(r.add_suppression_peer(secs(t0, 501), h(3), 1));
    }

    #[test]
    fn bound_evicts_least_recently_used() {
        let t0 = Instant::now();
        let mut r: HashRouter<u32> = HashRouter::with_limits(SUPPRESSION_HOLD_TIME, RELAY_INTERVAL, 3);
        for n in 1..=3 {
            r.add_suppression(t0, h(n));
        }
        r.add_suppression(t0, h(1)); // refresh 1; 2 is now the oldest
        r.add_suppression(t0, h(9));
        assert_eq!(r.len(), 3);
        assert!(r.contains(&h(1)) && !r.contains(&h(2)) && r.contains(&h(3)));
    }

    #[test]
    fn default_bound_is_enforced() {
        let t0 = Instant::now();
        let mut r: HashRouter<u32> = HashRouter::new();
        for n in 0..(MAX_SUPPRESSION_ENTRIES as u32 + 5) {
            let mut k = [0u8; 32];
            k[..4].copy_from_slice(&n.to_be_bytes());
            r.add_suppression(t0, k);
        }
        assert_eq!(r.len(), MAX_SUPPRESSION_ENTRIES);
    }

    fn vkey(first: u8, fill: u8) -> [u8; 33] {
        let mut k = [fill; 33];
        k[0] = first;
        k
    }

    #[test]
    fn squelch_duration_bounds() {
        let t0 = Instant::now();
        let mut s = PeerSquelches::new(None);
        let v = vkey(0xED, 1);
        for d in [300, 1800, 3600] {
            assert_eq!(
                s.apply_squelch(t0, &v, true, Some(d)),
                SquelchOutcome::Squelched { until: secs(t0, u64::from(d)) }
            );
        }
        // Out of range: charged and treated as unsquelch.
        for d in [Some(299), Some(3601), Some(0), None] {
            s.apply_squelch(t0, &v, true, Some(600));
            assert!(s.is_squelched(t0, &v));
            let out = s.apply_squelch(t0, &v, true, d);
            assert_eq!(out, SquelchOutcome::InvalidDuration { charge: Charge::InvalidData });
            assert_eq!(out.charge(), Some(Charge::InvalidData));
            assert!(!s.is_squelched(t0, &v), "duration {d:?} must unsquelch");
        }
    }

    #[test]
    fn squelch_expires_and_unsquelch_removes() {
        let t0 = Instant::now();
        let mut s = PeerSquelches::new(None);
        let v = vkey(0x02, 7);
        let other = vkey(0x03, 7);
        s.apply_squelch(t0, &v, true, Some(300));
        assert!(s.is_squelched(secs(t0, 299), &v));
        assert!(!s.is_squelched(secs(t0, 299), &other));
        assert!(!s.is_squelched(secs(t0, 300), &v), "expiry > now is required");
        assert!(s.is_empty());
        s.apply_squelch(t0, &v, true, Some(3600));
        assert_eq!(s.apply_squelch(secs(t0, 1), &v, false, None), SquelchOutcome::Unsquelched);
        assert!(!s.is_squelched(secs(t0, 2), &v));
    }

    #[test]
    fn squelch_key_checks() {
        let t0 = Instant::now();
        let own = vkey(0xED, 9);
        let mut s = PeerSquelches::new(Some(own));
        assert_eq!(s.apply_squelch(t0, &own, true, Some(600)), SquelchOutcome::OwnKeyIgnored);
        assert!(!s.is_squelched(t0, &own));
        let invalid = SquelchOutcome::InvalidKey { charge: Charge::InvalidData };
        assert_eq!(s.apply_squelch(t0, &[], true, Some(600)), invalid);
        assert_eq!(s.apply_squelch(t0, &[0x02; 32], true, Some(600)), invalid);
        assert_eq!(s.apply_squelch(t0, &vkey(0x04, 1), true, Some(600)), invalid);
        assert_eq!(s.apply_squelch(t0, &vkey(0x00, 1), false, None), invalid);
        assert!(s.is_empty());
    }

    #[test]
    fn squelch_table_bound() {
        let t0 = Instant::now();
        let mut s = PeerSquelches::new(None);
        let key = |n: u16| {
            let mut k = vkey(0x02, 0);
            k[1..3].copy_from_slice(&n.to_be_bytes());
            k
        };
        for n in 0..MAX_SQUELCHED_VALIDATORS_PER_PEER as u16 {
            assert!(matches!(
                s.apply_squelch(t0, &key(n), true, Some(300)),
                SquelchOutcome::Squelched { .. }
            ));
        }
        let extra = key(u16::MAX);
        assert_eq!(s.apply_squelch(t0, &extra, true, Some(300)), SquelchOutcome::TableFull);
        assert_eq!(SquelchOutcome::TableFull.charge(), None);
        // Re-squelching a known key still works when full.
        assert!(matches!(s.apply_squelch(t0, &key(0), true, Some(600)), SquelchOutcome::Squelched { .. }));
        // Once the others expire there is room again.
        assert!(matches!(
            s.apply_squelch(secs(t0, 300), &extra, true, Some(300)),
            SquelchOutcome::Squelched { .. }
        ));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn relay_table() {
        let relayed: Vec<u16> = RELAY_RULES.iter().map(|r| r.msg_type).collect();
        assert_eq!(relayed, [2, 30, 33, 41, 54, 56]);
        for t in [2u16, 30, 33, 41, 54, 56] {
            assert!(RelayPolicy::is_relayed(t), "{t}");
        }
        // Point-to-point types (ping, endpoints, status, squelch, get_ledger, have_set, ...).
        for t in [1u16, 3, 5, 15, 31, 32, 34, 35, 42, 55, 63, 64, 0, 65535] {
            assert!(!RelayPolicy::is_relayed(t), "{t}");
        }
        assert!(RelayPolicy::is_squelchable(33) && RelayPolicy::is_squelchable(41));
        assert!(!RelayPolicy::is_squelchable(30) && !RelayPolicy::is_squelchable(3));
        assert!(RelayPolicy::rule(30).unwrap().tx_reduce_relay);
        assert_eq!(RelayPolicy::rule(56).unwrap().name, "TMValidatorListCollection");
    }

    #[test]
    fn send_queue_constants() {
        assert_eq!(PEER_TIMER_INTERVAL, Duration::from_secs(60));
        assert_eq!((TARGET_SEND_QUEUE, SEND_QUEUE_INTERVALS), (128, 4));
        assert!(!SendQueueMonitor::should_refuse_query(191));
        assert!(SendQueueMonitor::should_refuse_query(DROP_SEND_QUEUE));
    }

    #[test]
    fn stuck_queue_dropped_on_fifth_tick() {
        let mut m = SendQueueMonitor::new();
        // Queue stuck at >= 128: even the per-tick ping does not reset the count.
        for tick in 1..=4 {
            assert_eq!(m.on_timer(), SendQueueVerdict::Keep, "tick {tick}");
            m.on_send(TARGET_SEND_QUEUE);
        }
        assert_eq!(m.on_timer(), SendQueueVerdict::Disconnect);
    }

    #[test]
    fn draining_queue_is_kept() {
        let mut m = SendQueueMonitor::new();
        for _ in 0..100 {
            assert_eq!(m.on_timer(), SendQueueVerdict::Keep);
            // The ping of each tick finds a short queue.
            m.on_send(TARGET_SEND_QUEUE - 1);
        }
        // Large for three ticks, then drains: kept.
        for _ in 0..3 {
            assert_eq!(m.on_timer(), SendQueueVerdict::Keep);
            m.on_send(500);
        }
        m.on_send(0);
        for _ in 0..4 {
            assert_eq!(m.on_timer(), SendQueueVerdict::Keep);
            m.on_send(500);
        }
        assert_eq!(m.on_timer(), SendQueueVerdict::Disconnect);
    }
}
