//! Node identity: family seeds, secp256k1 node keys, base58check tokens in each network's
//! alphabet, and signing/verifying a 32-byte digest (overlay-wire.md §3, §4).
//!
//! Owns key material and its text forms. Knows nothing about HTTP, frames or sessions.

use std::fmt;

use secp256k1::{ecdsa, Message, PublicKey, SecretKey};
use sha2::{Digest, Sha256, Sha512};

/// A base58 alphabet used by one family of networks (networks.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alphabet {
    /// rippled and xahaud: `rpshnaf39w…`.
    Xrpl,
    /// divvyd: the XRPL alphabet with `r` and `d` swapped.
    Xdv,
    /// skywelld: the XRPL alphabet with `r` and `j` swapped.
    Swtc,
}

const XRPL_ALPHABET: &[u8; 58] = b"rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz";
const XDV_ALPHABET: &[u8; 58] = b"dpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcreCg65jkm8oFqi1tuvAxyz";
const SWTC_ALPHABET: &[u8; 58] = b"jpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65rkm8oFqi1tuvAxyz";

impl Alphabet {
    pub const ALL: [Alphabet; 3] = [Alphabet::Xrpl, Alphabet::Xdv, Alphabet::Swtc];

    pub fn chars(self) -> &'static [u8; 58] {
        match self {
            Alphabet::Xrpl => XRPL_ALPHABET,
            Alphabet::Xdv => XDV_ALPHABET,
            Alphabet::Swtc => SWTC_ALPHABET,
        }
    }

    fn bs58(self) -> bs58::Alphabet {
        // ok: the three constant tables above hold 58 distinct ASCII characters each.
        bs58::Alphabet::new(self.chars()).expect("valid base58 alphabet") // ok: constant input
    }
}

/// The type byte that starts every base58check token (overlay-wire.md §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum TokenType {
    AccountId = 0,
    NodePublic = 28,
    NodePrivate = 32,
    FamilySeed = 33,
    AccountSecret = 34,
    AccountPublic = 35,
}

impl TokenType {
    fn payload_len(self) -> usize {
        match self {
            TokenType::AccountId => 20,
            TokenType::NodePublic | TokenType::AccountPublic => 33,
            TokenType::NodePrivate | TokenType::AccountSecret => 32,
            TokenType::FamilySeed => 16,
        }
    }
}

/// Why key material or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not valid base58 in the {0:?} alphabet")]
    Base58(Alphabet),
    #[error("token checksum does not match")]
    Checksum,
    #[error("token type byte is {found}, expected {expected}")]
    WrongTokenType { expected: u8, found: u8 },
    #[error("token payload is {found} bytes, expected {expected}")]
    WrongLength { expected: usize, found: usize },
    #[error("not a compressed secp256k1 public key")]
    BadPublicKey,
    #[error("ed25519 node keys are not supported by the peer protocol")]
    UnsupportedKeyType,
    #[error("not a valid secp256k1 secret key")]
    BadSecretKey,
    #[error("signature is not strictly well-formed DER")]
    MalformedSignature,
    #[error("signature does not verify")]
    BadSignature,
}

fn double_sha256(data: &[u8]) -> [u8; 32] {
    let first = Sha256::digest(data);
    Sha256::digest(first).into()
}

/// SHA-512 truncated to its first 32 bytes, rippled's `sha512Half`.
pub fn sha512_half(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha512::new();
    for p in parts {
        h.update(p);
    }
    let full = h.finalize();
    let mut out = [0u8; 32];
    out.copy_from_slice(&full[..32]);
    out
}

/// Encode `type ‖ payload ‖ checksum` in base58 with the given alphabet.
pub fn encode_token(ty: TokenType, payload: &[u8], alphabet: Alphabet) -> String {
    let mut raw = Vec::with_capacity(1 + payload.len() + 4);
    raw.push(ty as u8);
    raw.extend_from_slice(payload);
    let check = double_sha256(&raw);
    raw.extend_from_slice(&check[..4]);
    bs58::encode(raw).with_alphabet(&alphabet.bs58()).into_string()
}

/// Decode a token, checking the type byte, checksum and exact payload length.
pub fn decode_token(ty: TokenType, text: &str, alphabet: Alphabet) -> Result<Vec<u8>, KeyError> {
    // A 33-byte payload is 52 characters; anything much longer is not a token (bounds work).
    if text.is_empty() || text.len() > 64 {
        return Err(KeyError::Base58(alphabet));
    }
    let raw = bs58::decode(text)
        .with_alphabet(&alphabet.bs58())
        .into_vec()
        .map_err(|_| KeyError::Base58(alphabet))?;
    if raw.len() < 5 {
        return Err(KeyError::WrongLength { expected: ty.payload_len(), found: raw.len().saturating_sub(5) });
    }
    let (body, check) = raw.split_at(raw.len() - 4);
    if double_sha256(body)[..4] != *check {
        return Err(KeyError::Checksum);
    }
    if body[0] != ty as u8 {
        return Err(KeyError::WrongTokenType { expected: ty as u8, found: body[0] });
    }
    let payload = &body[1..];
    if payload.len() != ty.payload_len() {
        return Err(KeyError::WrongLength { expected: ty.payload_len(), found: payload.len() });
    }
    Ok(payload.to_vec())
}

/// A 16-byte family seed (`s…`).
#[derive(Clone, PartialEq, Eq)]
pub struct Seed([u8; 16]);

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed(<secret>)")
    }
}

impl Seed {
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Seed(bytes)
    }

    /// rippled's passphrase rule: the first 16 bytes of SHA-512 of the passphrase.
    pub fn from_passphrase(passphrase: &str) -> Self {
        let full = Sha512::digest(passphrase.as_bytes());
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        Seed(out)
    }

    pub fn from_base58(text: &str, alphabet: Alphabet) -> Result<Self, KeyError> {
        let payload = decode_token(TokenType::FamilySeed, text.trim(), alphabet)?;
        let mut out = [0u8; 16];
        out.copy_from_slice(&payload);
        Ok(Seed(out))
    }

    pub fn to_base58(&self, alphabet: Alphabet) -> String {
        encode_token(TokenType::FamilySeed, &self.0, alphabet)
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

/// A node's public key: 33-byte compressed secp256k1 (`n…` in base58).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodePublicKey([u8; 33]);

impl fmt::Debug for NodePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodePublicKey({})", self.to_base58(Alphabet::Xrpl))
    }
}

impl NodePublicKey {
    /// Parse 33 raw bytes; ed25519 keys (0xED) are refused as rippled's handshake does.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() == 33 && bytes[0] == 0xED {
            return Err(KeyError::UnsupportedKeyType);
        }
        if bytes.len() != 33 || !(bytes[0] == 0x02 || bytes[0] == 0x03) {
            return Err(KeyError::BadPublicKey);
        }
        PublicKey::from_slice(bytes).map_err(|_| KeyError::BadPublicKey)?;
        let mut out = [0u8; 33];
        out.copy_from_slice(bytes);
        Ok(NodePublicKey(out))
    }

    pub fn from_base58(text: &str, alphabet: Alphabet) -> Result<Self, KeyError> {
        let payload = decode_token(TokenType::NodePublic, text.trim(), alphabet)?;
        Self::from_bytes(&payload)
    }

    pub fn to_base58(&self, alphabet: Alphabet) -> String {
        encode_token(TokenType::NodePublic, &self.0, alphabet)
    }

    pub fn as_bytes(&self) -> &[u8; 33] {
        &self.0
    }

    /// Upper-case hex of the 33 bytes.
    pub fn to_hex(&self) -> String {
        hex::encode_upper(self.0)
    }

    /// RIPEMD-160(SHA-256(key)), rippled's NodeID.
    pub fn node_id(&self) -> [u8; 20] {
        use ripemd::Ripemd160;
        let sha = Sha256::digest(self.0);
        Ripemd160::digest(sha).into()
    }

    /// Verify a DER signature over a 32-byte digest the way rippled's
    /// `verifyDigest(…, mustBeFullyCanonical = false)` does: strict DER, R and S below the
    /// curve order, high S accepted by normalising it.
    pub fn verify_digest(&self, digest: &[u8; 32], der: &[u8]) -> Result<(), KeyError> {
        let compact = strict_der_to_compact(der).ok_or(KeyError::MalformedSignature)?;
        let mut sig = ecdsa::Signature::from_compact(&compact).map_err(|_| KeyError::MalformedSignature)?;
        sig.normalize_s();
        let pk = PublicKey::from_slice(&self.0).map_err(|_| KeyError::BadPublicKey)?;
        let msg = Message::from_digest(*digest);
        ecdsa::verify(&sig, msg, &pk).map_err(|_| KeyError::BadSignature)
    }
}

/// rippled's strict DER check (`ecdsaCanonicality`, minus the low-S requirement), returning
/// the 64-byte `R ‖ S` when the encoding is well formed.
fn strict_der_to_compact(der: &[u8]) -> Option<[u8; 64]> {
    if der.len() < 8 || der.len() > 72 || der[0] != 0x30 || der[1] as usize != der.len() - 2 {
        return None;
    }
    let (r, rest) = der_integer(&der[2..])?;
    let (s, rest) = der_integer(rest)?;
    if !rest.is_empty() {
        return None;
    }
    let mut out = [0u8; 64];
    out[32 - r.len()..32].copy_from_slice(r);
    out[64 - s.len()..].copy_from_slice(s);
    Some(out)
}

/// One DER INTEGER: 1..33 bytes, not negative, no superfluous leading zero. Returns the
/// value without its sign-padding zero (at most 32 bytes) and the bytes after it.
fn der_integer(buf: &[u8]) -> Option<(&[u8], &[u8])> {
    if buf.len() < 2 || buf[0] != 0x02 {
        return None;
    }
    let len = buf[1] as usize;
    if !(1..=33).contains(&len) || buf.len() < 2 + len {
        return None;
    }
    let value = &buf[2..2 + len];
    if value[0] & 0x80 != 0 {
        return None; // negative
    }
    if len > 1 && value[0] == 0 && value[1] & 0x80 == 0 {
        return None; // superfluous leading zero
    }
    let stripped = if value[0] == 0 && len > 1 { &value[1..] } else { value };
    if stripped.len() > 32 {
        return None;
    }
    Some((stripped, &buf[2 + len..]))
}

/// A node key pair (secp256k1 root key of a seed, or a raw secret).
#[derive(Clone)]
pub struct NodeKeyPair {
    secret: SecretKey,
    public: NodePublicKey,
}

impl fmt::Debug for NodeKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeKeyPair").field("public", &self.public).finish_non_exhaustive()
    }
}

impl NodeKeyPair {
    /// rippled's `generateSecretKey(secp256k1, seed)`: the first SHA-512-Half(seed ‖ be32(i))
    /// that is a valid scalar (overlay-wire.md §4.3). Node identities use this root key.
    pub fn from_seed(seed: &Seed) -> Self {
        for i in 0u32..=u32::MAX {
            let k = sha512_half(&[seed.as_bytes(), &i.to_be_bytes()]);
            if let Ok(kp) = Self::from_secret_bytes(&k) {
                return kp;
            }
        }
        // The chance of 2^32 consecutive invalid scalars is below 2^-(128·2^32).
        unreachable!("no valid secp256k1 scalar derived from seed") // ok: cryptographically impossible
    }

    pub fn from_secret_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        let secret = SecretKey::from_secret_bytes(*bytes).map_err(|_| KeyError::BadSecretKey)?;
        let public = PublicKey::from_secret_key(&secret);
        Ok(NodeKeyPair { secret, public: NodePublicKey(public.serialize()) })
    }

    pub fn from_private_base58(text: &str, alphabet: Alphabet) -> Result<Self, KeyError> {
        let payload = decode_token(TokenType::NodePrivate, text.trim(), alphabet)?;
        let mut k = [0u8; 32];
        k.copy_from_slice(&payload);
        Self::from_secret_bytes(&k)
    }

    pub fn public(&self) -> &NodePublicKey {
        &self.public
    }

    pub fn secret_bytes(&self) -> [u8; 32] {
        self.secret.to_secret_bytes()
    }

    pub fn to_private_base58(&self, alphabet: Alphabet) -> String {
        encode_token(TokenType::NodePrivate, &self.secret.to_secret_bytes(), alphabet)
    }

    /// ECDSA over a 32-byte digest used as is (no further hashing): RFC 6979 nonce, low S,
    /// DER encoded, as rippled's `signDigest`.
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Vec<u8> {
        let msg = Message::from_digest(*digest);
        let sig = ecdsa::sign(msg, &self.secret);
        sig.serialize_der().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masterpassphrase_node_key() {
        let seed = Seed::from_passphrase("masterpassphrase");
        assert_eq!(seed.to_base58(Alphabet::Xrpl), "snoPBrXtMeMyMHUVTgbuqAfg1SUTb");
        let kp = NodeKeyPair::from_seed(&seed);
        assert_eq!(
            kp.public().to_base58(Alphabet::Xrpl),
            "n94a1u4jAz288pZLtw6yFWVbi89YamiC6JBXPVUj5zmExe5fTVg9"
        );
        assert_eq!(hex::encode_upper(kp.public().node_id()), "7E59C17D50F5959C7B158FEC95C8F815BF653DC8");
    }

    #[test]
    fn der_rules() {
        let kp = NodeKeyPair::from_seed(&Seed::from_passphrase("x"));
        let d = [7u8; 32];
        let sig = kp.sign_digest(&d);
        assert!(kp.public().verify_digest(&d, &sig).is_ok());
        let mut bad = sig.clone();
        bad[1] += 1;
        assert_eq!(kp.public().verify_digest(&d, &bad), Err(KeyError::MalformedSignature));
        assert_eq!(kp.public().verify_digest(&d, &[]), Err(KeyError::MalformedSignature));
    }
}
