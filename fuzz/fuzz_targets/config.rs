//! Fuzz target: `NodeConfig::parse` (rippled.cfg-style text, peerfinder.md §1) on arbitrary
//! text. Non-UTF-8 bytes are replaced (the frontends read the file the same way), so the fuzzer
//! still reaches the section/value parsers with binary noise. Must never panic; errors are fine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol_core::config::NodeConfig;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = NodeConfig::parse(&text);
});
