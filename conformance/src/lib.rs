//! Conformance suite for XRPL-family peer-protocol nodes (rippled, its forks, our nodes):
//! a numbered catalogue tied to the spec ([`catalogue`]), a blocking TLS test peer ([`peer`]),
//! the case runner against any `host:port` ([`cases`]), recorded-session vectors and their
//! offline replay against protocol-core ([`vectors`]), spawning our own node binaries
//! ([`runtime`]) and CI-readable reports ([`report`]).
//!
//! Drives nodes only through sockets and their command line, never through their internals,
//! so the same cases run against a node we did not write.

pub mod cases;
pub mod catalogue;
pub mod peer;
pub mod report;
pub mod runtime;
pub mod vectors;
