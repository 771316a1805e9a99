//! `keygen`: print a node identity as JSON, like rippled's `validation_create`.

use protocol_core::keys::{NodeKeyPair, Seed};
use protocol_core::Network;

/// Why `keygen` refused its input.
#[derive(Debug, thiserror::Error)]
pub enum KeygenError {
    #[error("bad seed {seed:?} for network {network}: {source}")]
    BadSeed {
        seed: String,
        network: Network,
        #[source]
        source: protocol_core::keys::KeyError,
    },
    #[error("no randomness available from the operating system: {0}")]
    Random(String),
}

/// Where the seed comes from.
pub enum SeedSource<'a> {
    Base58(&'a str),
    Passphrase(&'a str),
    Random,
}

/// Build the JSON object `keygen` prints.
pub fn keygen(source: SeedSource<'_>, network: Network) -> Result<serde_json::Value, KeygenError> {
    let alphabet = network.profile().alphabet;
    let seed = match source {
        SeedSource::Base58(s) => Seed::from_base58(s, alphabet).map_err(|e| KeygenError::BadSeed {
            seed: s.to_string(),
            network,
            source: e,
        })?,
        SeedSource::Passphrase(p) => Seed::from_passphrase(p),
        SeedSource::Random => {
            let mut b = [0u8; 16];
            getrandom::fill(&mut b).map_err(|e| KeygenError::Random(e.to_string()))?;
            Seed::from_bytes(b)
        }
    };
    let kp = NodeKeyPair::from_seed(&seed);
    Ok(serde_json::json!({
        "network": network.name(),
        "seed": seed.to_base58(alphabet),
        "node_public_key": kp.public().to_base58(alphabet),
        "node_private_key": kp.to_private_base58(alphabet),
        "node_public_key_hex": kp.public().to_hex(),
    }))
}
