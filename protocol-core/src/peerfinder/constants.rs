//! Every PeerFinder tuning constant in one table (peerfinder.md §13), each with its section.
//!
//! Values are rippled's (`Tuning.h`, `Fixed.h`, `Bootcache.h`, `PeerImp.cpp`); change one only
//! with a spec reference, because neighbours' behaviour (rate limits, caches) assumes them.

use std::time::Duration;

/// Simultaneous outbound connection attempts (`maxConnectAttempts`, §3.3, §4).
pub const MAX_CONNECT_ATTEMPTS: usize = 20;
/// Documented pacing constant (`secondsPerConnect`, §3.3); the overlay really runs autoconnect
/// on every [`TIMER_INTERVAL`] tick.
pub const SECONDS_PER_CONNECT: Duration = Duration::from_secs(10);
/// Share of `[peers_max]` used for outbound slots, percent (`outPercent`, §3.1).
pub const OUT_PERCENT: usize = 15;
/// Minimum number of outbound slots and minimum `maxPeers` (`minOutCount`, §3.1).
pub const MIN_OUT_COUNT: usize = 10;
/// `[peers_max]` when absent or 0 (`defaultMaxPeers`, §3.1, §3.2).
pub const DEFAULT_MAX_PEERS: usize = 21;
/// Automatic per-IP inbound limit base and the cap on its growth (§3.2).
pub const IP_LIMIT_BASE: usize = 2;
pub const IP_LIMIT_MAX_BONUS: usize = 5;
/// Redirect endpoints accepted from one 503 response (`maxRedirects`, §7).
pub const MAX_REDIRECTS: usize = 30;
/// Back-off after a failed fixed-peer attempt, in minutes, indexed by failure count (§4.1).
pub const CONNECTION_BACKOFF_MINUTES: [u64; 10] = [1, 1, 2, 3, 5, 8, 13, 21, 34, 55];
/// Bootcache size cap (`bootcacheSize`, §8).
pub const BOOTCACHE_SIZE: usize = 1000;
/// Share of the Bootcache pruned when over the cap, percent (`bootcachePrunePercent`, §8).
pub const BOOTCACHE_PRUNE_PERCENT: usize = 10;
/// Minimum time between two Bootcache saves (`bootcacheCooldownTime`, §8).
pub const BOOTCACHE_COOLDOWN: Duration = Duration::from_secs(60);
/// Valence of `[ips]` bootstrap entries (`staticValence`, §5, §8).
pub const STATIC_VALENCE: i32 = 32;
/// Largest hop count handed out to peers (`maxHops`, §6.1).
pub const MAX_HOPS: u32 = 6;
/// Livecache hop buckets: 0..=MAX_HOPS+1 (§6.1).
pub const HOP_BUCKETS: usize = MAX_HOPS as usize + 2;
/// Endpoints per TMEndpoints we send (`numberOfEndpoints = 2 × maxHops`, §6.2).
pub const NUMBER_OF_ENDPOINTS: usize = 2 * MAX_HOPS as usize;
/// Endpoints kept from one received TMEndpoints (`numberOfEndpointsMax`, §6.3).
pub const NUMBER_OF_ENDPOINTS_MAX: usize = 64;
/// A TMEndpoints with this many entries or more is refused and charged (§6.3, [PI]).
pub const ENDPOINTS_HARD_LIMIT: usize = 1024;
/// Longest endpoint string parsed from TMEndpoints (§6.3).
pub const MAX_ENDPOINT_STRING_LEN: usize = 64;
/// Endpoints in a 503 `peer-ips` list (`redirectEndpointCount`, §7).
pub const REDIRECT_ENDPOINT_COUNT: usize = 10;
/// TMEndpoints send interval and per-peer accept interval (`secondsPerMessage`, §6.2, §6.3).
pub const SECONDS_PER_MESSAGE: Duration = Duration::from_secs(151);
/// Livecache entry lifetime, also the per-slot recent cache lifetime (§6.1, §6.2).
pub const LIVECACHE_TTL: Duration = Duration::from_secs(30);
/// How long a dialled IP is not dialled again (`recentAttemptDuration`, §4).
pub const RECENT_ATTEMPT_DURATION: Duration = Duration::from_secs(60);
/// The overlay timer that drives housekeeping, gossip and autoconnect (§4, §13 [OI]).
pub const TIMER_INTERVAL: Duration = Duration::from_secs(1);
/// Idle-slot sweep period of the overlay timer (§13 [OI]); informational for the overlay.
pub const IDLE_SWEEP_INTERVAL: Duration = Duration::from_secs(4);

/// Back-off after the `failures`-th consecutive failure of a fixed peer (§4.1).
pub fn fixed_backoff(failures: usize) -> Duration {
    let idx = failures.min(CONNECTION_BACKOFF_MINUTES.len() - 1);
    Duration::from_secs(CONNECTION_BACKOFF_MINUTES[idx] * 60)
}
