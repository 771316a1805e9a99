//! What both node binaries share beyond the core: the command-line definition, the `keygen`
//! command, configuration loading ([`node`]), the data directory (node seed, TLS certificate),
//! TLS set-up, logging, and the runtime-agnostic node loop ([`driver`]).
//! No runtime: nothing here depends on tokio, async-std or smol; they plug in via
//! [`driver::Runtime`].

pub mod cli;
pub mod datadir;
pub mod driver;
pub mod keygen;
pub mod logging;
pub mod node;
pub mod tls;

use protocol_core::overlay as overlay_core;
