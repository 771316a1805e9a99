//! Fuzz target: `parse_crawl`, the tolerant parser of another server's `/crawl` body
//! (overlay-wire.md §13.1). Must never panic, and an accepted body never yields more than
//! `MAX_CRAWL_PEERS` peers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol_core::crawl::{parse_crawl, MAX_CRAWL_PEERS};

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = parse_crawl(data) {
        assert!(parsed.peers.as_ref().map_or(0, Vec::len) <= MAX_CRAWL_PEERS);
    }
});
