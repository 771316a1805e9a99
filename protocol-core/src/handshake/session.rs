//! The shared value bound to one TLS session and the `Session-Signature` over it
//! (overlay-wire.md §3; networks.md §6.3: same computation for the RTXP/1.2 forks).
//!
//! Owns Finished bytes → shared value → base64 DER. Gets the Finished messages from the
//! caller (the frontend's TLS library); never touches TLS itself.

use base64::Engine as _;
use sha2::{Digest, Sha512};

use crate::keys::{sha512_half, NodeKeyPair, NodePublicKey};

use super::HandshakeError;

/// Shortest Finished message rippled accepts: TLS 1.2 `verify_data` (overlay-wire.md §1.2, §3).
pub const MIN_FINISHED_LEN: usize = 12;

/// rippled copies a Finished message into a 1024-byte buffer before hashing; nothing beyond
/// that is looked at (overlay-wire.md §1.2). TLS 1.3 Finished messages are 32 or 48 bytes.
pub const MAX_FINISHED_LEN: usize = 1024;

/// Which Finished message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishedSide {
    /// The Finished we sent (`SSL_get_finished`): rippled logs "local setup not complete".
    Local,
    /// The Finished we received (`SSL_get_peer_finished`): "peer setup not complete".
    Peer,
}

fn hash_finished(finished: &[u8], side: FinishedSide) -> Result<[u8; 64], HandshakeError> {
    if finished.len() < MIN_FINISHED_LEN {
        return Err(HandshakeError::FinishedTooShort { side, len: finished.len() });
    }
    let used = &finished[..finished.len().min(MAX_FINISHED_LEN)];
    Ok(Sha512::digest(used).into())
}

/// `SHA-512-Half(SHA-512(local) XOR SHA-512(peer))` (rippled `makeSharedValue`).
/// Both ends get the same value because XOR is symmetric. Refuses a Finished shorter than
/// [`MIN_FINISHED_LEN`] and identical messages (the XOR would be zero).
pub fn shared_value(local_finished: &[u8], peer_finished: &[u8]) -> Result<[u8; 32], HandshakeError> {
    let a = hash_finished(local_finished, FinishedSide::Local)?;
    let b = hash_finished(peer_finished, FinishedSide::Peer)?;
    let mut x = [0u8; 64];
    for (o, (p, q)) in x.iter_mut().zip(a.iter().zip(b.iter())) {
        *o = p ^ q;
    }
    if x.iter().all(|&v| v == 0) {
        return Err(HandshakeError::IdenticalFinished);
    }
    Ok(sha512_half(&[&x]))
}

/// The `Session-Signature` header value: standard base64 (padded) of the DER ECDSA
/// signature of the shared value, used directly as the digest (overlay-wire.md §3).
pub fn session_signature(key: &NodeKeyPair, shared: &[u8; 32]) -> String {
    base64::engine::general_purpose::STANDARD.encode(key.sign_digest(shared))
}

/// Decode a `Session-Signature` value. rippled uses base64 only (no hex fallback, whatever
/// its README says), so anything else fails verification.
pub fn decode_session_signature(header: &str) -> Option<Vec<u8>> {
    base64_decode_lenient(header)
}

/// Check a `Session-Signature` value against a public key and shared value with rippled's
/// `verifyDigest(…, mustBeFullyCanonical = false)` rules: strict DER, high S accepted.
pub fn verify_session_signature(
    key: &NodePublicKey,
    shared: &[u8; 32],
    header: &str,
) -> Result<(), HandshakeError> {
    let der = decode_session_signature(header).ok_or(HandshakeError::SessionVerifyFailed)?;
    key.verify_digest(shared, &der).map_err(|_| HandshakeError::SessionVerifyFailed)
}

/// Standard-alphabet base64 with or without `=` padding.
pub(crate) fn base64_decode_lenient(s: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    ENGINE.decode(s.trim()).ok()
}
