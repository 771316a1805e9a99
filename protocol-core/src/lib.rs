//! # protocol-core
//!
//! The sans-IO core of the XRP Ledger peer protocol (rippled's overlay) and of its forks
//! divvyd (XDV), skywelld (SWTC) and xahaud (Xahau).
//!
//! No sockets, no async, no TLS library and **no internal clock calls**: bytes, TLS Finished
//! messages, events and `now` go in; bytes, actions and timer deadlines come out. Randomness
//! comes from a seeded RNG the caller hands in, so every run can be replayed.
//!
//! Module map (one rule, one home; see ARCHITECTURE.md):
//! - [`keys`]: seeds, node keys, base58check tokens, digest signing and verification.
//! - [`network`]: the per-network profile table.
//! - [`handshake`]: HTTP upgrade heads, header rules, negotiation, shared value, status codes.
//! - [`framing`]: frame headers, LZ4, size limits, streaming decode.
//! - [`messages`]: the `.proto`, generated types, the type-number table, required fields.
//! - [`config`]: rippled.cfg-style configuration, text in, settings out.
//! - [`peerfinder`]: slots, Livecache, Bootcache, fixed peers, TMEndpoints content, redirects.
//! - [`privacy`]: what may be revealed about whom; whom a private node dials and accepts.
//! - [`resource`]: rippled-style per-address resource charging with decay and drop threshold.
//! - [`relay`]: duplicate suppression (HashRouter), squelch state, relay policy, send-queue limits.
//! - [`crawl`]: the `/crawl` and `/health` documents and a tolerant `/crawl` parser.
//! - [`governor`]: Cardano-style cold/warm/hot peer selection (pure), with a deterministic mock environment.
//! - [`overlay`]: every connection of one node; the contract with frontends.

pub mod address;
pub mod config;
pub mod crawl;
pub mod framing;
pub mod governor;
pub mod handshake;
pub mod keys;
pub mod messages;
pub mod netsim;
pub mod network;
pub mod overlay;
pub mod peerfinder;
pub mod privacy;
pub mod relay;
pub mod resource;

pub use network::{Network, NetworkProfile};
