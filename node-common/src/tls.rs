//! TLS for the peer port, shared by both frontends: the self-signed certificate kept in the data
//! directory, the OpenSSL acceptor/connector set-up per network profile, and reading the two TLS
//! Finished messages the session signature is built from (overlay-wire.md §1, §3; networks.md
//! TLS rows and §6.5).
//!
//! Owns: certificate generation/persistence, cipher/protocol policy, Finished extraction.
//! Must not touch: sockets or any async runtime (the frontends wrap the `Ssl` objects built here
//! in `tokio-openssl` / `async-openssl` streams), and the shared-value/signature computation,
//! which belongs to protocol-core's handshake code.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::ssl::{
    Ssl, SslAcceptor, SslConnector, SslMethod, SslOptions, SslRef, SslVerifyMode, SslVersion,
};
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier};
use openssl::x509::{X509Builder, X509};
use protocol_core::network::{FrameDialect, NetworkProfile};

/// RSA modulus size of the self-signed certificate, as rippled (overlay-wire.md §1.1).
pub const CERT_RSA_BITS: u32 = 2048;
/// notBefore is backdated by this much, then truncated to midnight UTC, so the certificate does
/// not reveal when the node started (overlay-wire.md §1.1).
pub const CERT_BACKDATE_SECS: u64 = 25 * 60 * 60;
/// Validity after `now`: 730 days (overlay-wire.md §1.1).
pub const CERT_VALIDITY_SECS: u64 = 730 * 24 * 60 * 60;
/// Random serial number size in bits (overlay-wire.md §1.1).
pub const CERT_SERIAL_BITS: i32 = 128;
const SECS_PER_DAY: u64 = 24 * 60 * 60;

/// Shortest Finished rippled accepts: TLS 1.2 verify_data length (overlay-wire.md §1.2, §3).
pub const FINISHED_MIN_LEN: usize = 12;
/// rippled reads at most this many bytes of a Finished message (overlay-wire.md §1.2).
pub const FINISHED_MAX_LEN: usize = 1024;

/// rippled's TLS ≤ 1.2 cipher list: only TLS 1.2 AEAD suites with (EC)DHE (overlay-wire.md §1.1).
/// TLS 1.3 suites stay at the OpenSSL default, as in rippled.
pub const MODERN_CIPHER_LIST: &str = "TLSv1.2:!CBC:!DSS:!PSK:!eNULL:!aNULL";

/// Suites an OpenSSL 1.0.x divvyd/skywelld peer can agree on (networks.md §6.5): ECDHE and DHE
/// with AES-GCM for TLS 1.2, plain RSA key exchange AES-GCM in case the old server side has no
/// ECDH set-up, then CBC-SHA suites for a peer that cannot do TLS 1.2 at all. AEAD first.
pub const LEGACY_CIPHER_LIST: &str = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:\
DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:\
AES256-GCM-SHA384:AES128-GCM-SHA256:\
ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-SHA:DHE-RSA-AES256-SHA:DHE-RSA-AES128-SHA:\
AES256-SHA:AES128-SHA";

/// OpenSSL security level for legacy profiles. Level 1 already rejects the SHA-1/MD5 handshake
/// signatures of TLS 1.0/1.1 on OpenSSL 3, and level 2 rejects the 1024-bit DH groups divvyd-era
/// servers may pick ("dh key too small", networks.md §6.5), so legacy links need level 0.
pub const LEGACY_SECURITY_LEVEL: u32 = 0;

/// File names inside the data directory's `tls/` folder.
pub const CERT_FILE: &str = "cert.pem";
pub const KEY_FILE: &str = "key.pem";

/// Everything that can go wrong in this module. Paths are named so an operator can act.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("OpenSSL failed while {context}: {source}")]
    OpenSsl {
        context: &'static str,
        #[source]
        source: ErrorStack,
    },
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a PEM {what} ({source}); delete it to have a new one generated", path.display())]
    Corrupt {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: ErrorStack,
    },
    #[error("private key {} does not belong to certificate {}; delete both to have a new pair generated", key.display(), cert.display())]
    KeyMismatch { cert: PathBuf, key: PathBuf },
    #[error("{} exists but {} is missing; restore it or delete both to have a new pair generated", present.display(), missing.display())]
    Incomplete { present: PathBuf, missing: PathBuf },
    #[error("system clock is before 1970")]
    ClockBeforeEpoch,
    #[error("date {0} (Unix seconds) cannot be encoded in a certificate on this platform")]
    DateOutOfRange(u64),
    #[error("TLS {which} Finished message is {len} bytes, shorter than {FINISHED_MIN_LEN} (handshake not complete?)")]
    FinishedTooShort { which: &'static str, len: usize },
    #[error("TLS {which} Finished message is {len} bytes, longer than {FINISHED_MAX_LEN}")]
    FinishedTooLong { which: &'static str, len: usize },
}

fn ossl(context: &'static str) -> impl FnOnce(ErrorStack) -> TlsError {
    move |source| TlsError::OpenSsl { context, source }
}

/// Wall-clock time for the certificate dates. Only frontend-side code reads clocks; this is it.
pub fn now() -> SystemTime {
    SystemTime::now()
}

/// Which TLS set-up a network needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsPolicy {
    /// rippled/xahaud: TLS ≥ 1.2 (1.3 allowed), [`MODERN_CIPHER_LIST`].
    Modern,
    /// divvyd/skywelld (OpenSSL 1.0.x): TLS 1.0–1.2, [`LEGACY_CIPHER_LIST`], security level 0.
    Legacy,
}

impl TlsPolicy {
    /// The `Legacy32` frame dialect marks the 2015-era forks, which are the OpenSSL 1.0 builds.
    pub fn for_profile(profile: &NetworkProfile) -> Self {
        match profile.frame_dialect {
            FrameDialect::Modern => TlsPolicy::Modern,
            FrameDialect::Legacy32 => TlsPolicy::Legacy,
        }
    }
}

/// The certificate and key presented on the peer port. They carry no identity (overlay-wire.md
/// §1.1): the node key proves who we are, so the pair is only kept to look like a stable server.
pub struct TlsIdentity {
    cert: X509,
    key: PKey<Private>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity").field("serial", &self.serial_hex()).finish_non_exhaustive()
    }
}

fn unix_secs(t: SystemTime) -> Result<u64, TlsError> {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).map_err(|_| TlsError::ClockBeforeEpoch)
}

fn asn1_time(secs: u64) -> Result<Asn1Time, TlsError> {
    let t = i64::try_from(secs).map_err(|_| TlsError::DateOutOfRange(secs))?;
    // time_t is i64 on every 64-bit target; on 32-bit ones a date past 2038 fails cleanly here.
    #[allow(clippy::useless_conversion)]
    let t = t.try_into().map_err(|_| TlsError::DateOutOfRange(secs))?;
    Asn1Time::from_unix(t).map_err(ossl("encoding a certificate date"))
}

/// notBefore for a certificate made at `now_secs`: midnight UTC of the day of (now − 25 h).
pub fn cert_not_before(now_secs: u64) -> u64 {
    let t = now_secs.saturating_sub(CERT_BACKDATE_SECS);
    t - t % SECS_PER_DAY
}

/// notAfter for a certificate made at `now_secs`.
pub fn cert_not_after(now_secs: u64) -> u64 {
    now_secs.saturating_add(CERT_VALIDITY_SECS)
}

impl TlsIdentity {
    /// A fresh self-signed certificate like rippled's (overlay-wire.md §1.1): RSA-2048, X.509v3,
    /// no subject or issuer name, random 128-bit serial, SHA-256 signature.
    pub fn generate(now: SystemTime) -> Result<Self, TlsError> {
        let now_secs = unix_secs(now)?;
        let rsa = Rsa::generate(CERT_RSA_BITS).map_err(ossl("generating the RSA key"))?;
        let key = PKey::from_rsa(rsa).map_err(ossl("wrapping the RSA key"))?;

        let mut b = X509Builder::new().map_err(ossl("creating the certificate"))?;
        // The field holds version − 1: 2 means X.509v3.
        b.set_version(2).map_err(ossl("setting the certificate version"))?;
        let mut serial = BigNum::new().map_err(ossl("creating the serial"))?;
        serial.rand(CERT_SERIAL_BITS, MsbOption::MAYBE_ZERO, false).map_err(ossl("drawing the serial"))?;
        let serial = serial.to_asn1_integer().map_err(ossl("encoding the serial"))?;
        b.set_serial_number(&serial).map_err(ossl("setting the serial"))?;
        let not_before = asn1_time(cert_not_before(now_secs))?;
        let not_after = asn1_time(cert_not_after(now_secs))?;
        b.set_not_before(&not_before).map_err(ossl("setting notBefore"))?;
        b.set_not_after(&not_after).map_err(ossl("setting notAfter"))?;
        b.set_pubkey(&key).map_err(ossl("setting the public key"))?;

        // rippled marks all three usage extensions critical.
        let bc = BasicConstraints::new().critical().build().map_err(ossl("basicConstraints"))?;
        b.append_extension(bc).map_err(ossl("adding basicConstraints"))?;
        let eku = ExtendedKeyUsage::new()
            .critical()
            .server_auth()
            .client_auth()
            .build()
            .map_err(ossl("extKeyUsage"))?;
        b.append_extension(eku).map_err(ossl("adding extKeyUsage"))?;
        let ku = KeyUsage::new().critical().digital_signature().build().map_err(ossl("keyUsage"))?;
        b.append_extension(ku).map_err(ossl("adding keyUsage"))?;
        let ski = SubjectKeyIdentifier::new()
            .build(&b.x509v3_context(None, None))
            .map_err(ossl("subjectKeyIdentifier"))?;
        b.append_extension(ski).map_err(ossl("adding subjectKeyIdentifier"))?;

        b.sign(&key, MessageDigest::sha256()).map_err(ossl("signing the certificate"))?;
        Ok(TlsIdentity { cert: b.build(), key })
    }

    /// Load `dir/cert.pem` + `dir/key.pem`, or generate and store a new pair when neither exists
    /// or the stored certificate has expired. A half-present or unreadable pair is an error, never
    /// silently replaced.
    pub fn load_or_create(dir: &Path, now: SystemTime) -> Result<Self, TlsError> {
        let cert_path = dir.join(CERT_FILE);
        let key_path = dir.join(KEY_FILE);
        match (cert_path.exists(), key_path.exists()) {
            (true, true) => {
                let id = Self::load(&cert_path, &key_path)?;
                let now_t = asn1_time(unix_secs(now)?)?;
                if id.cert.not_after() < now_t {
                    tracing::info!(cert = %cert_path.display(), "TLS certificate expired, generating a new one");
                } else {
                    return Ok(id);
                }
            }
            (false, false) => {}
            (true, false) => return Err(TlsError::Incomplete { present: cert_path, missing: key_path }),
            (false, true) => return Err(TlsError::Incomplete { present: key_path, missing: cert_path }),
        }
        let id = Self::generate(now)?;
        id.store(dir)?;
        tracing::info!(dir = %dir.display(), "generated a new self-signed TLS certificate");
        Ok(id)
    }

    /// Read a stored pair and check the key matches the certificate.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Self, TlsError> {
        let read = |p: &Path| {
            fs::read(p).map_err(|source| TlsError::Io { action: "read", path: p.to_path_buf(), source })
        };
        let cert = X509::from_pem(&read(cert_path)?).map_err(|source| TlsError::Corrupt {
            what: "certificate",
            path: cert_path.to_path_buf(),
            source,
        })?;
        let key = PKey::private_key_from_pem(&read(key_path)?).map_err(|source| TlsError::Corrupt {
            what: "private key",
            path: key_path.to_path_buf(),
            source,
        })?;
        let cert_key = cert.public_key().map_err(|source| TlsError::Corrupt {
            what: "certificate",
            path: cert_path.to_path_buf(),
            source,
        })?;
        if !cert_key.public_eq(&key) {
            return Err(TlsError::KeyMismatch { cert: cert_path.to_path_buf(), key: key_path.to_path_buf() });
        }
        Ok(TlsIdentity { cert, key })
    }

    /// Write the pair into `dir` (created if needed); the key file gets mode 0600.
    pub fn store(&self, dir: &Path) -> Result<(), TlsError> {
        crate::datadir::create_private_dir(dir).map_err(|source| TlsError::Io {
            action: "create directory",
            path: dir.to_path_buf(),
            source,
        })?;
        let cert_pem = self.cert.to_pem().map_err(ossl("encoding the certificate"))?;
        let key_pem = self.key.private_key_to_pem_pkcs8().map_err(ossl("encoding the private key"))?;
        let io = |path: PathBuf| move |source| TlsError::Io { action: "write", path, source };
        let key_path = dir.join(KEY_FILE);
        crate::datadir::write_file_atomic(&key_path, &key_pem, true).map_err(io(key_path.clone()))?;
        let cert_path = dir.join(CERT_FILE);
        crate::datadir::write_file_atomic(&cert_path, &cert_pem, false).map_err(io(cert_path.clone()))?;
        Ok(())
    }

    pub fn certificate(&self) -> &X509 {
        &self.cert
    }

    pub fn private_key(&self) -> &PKey<Private> {
        &self.key
    }

    /// Serial in hex, for logs.
    pub fn serial_hex(&self) -> String {
        self.cert
            .serial_number()
            .to_bn()
            .and_then(|bn| bn.to_hex_str().map(|s| s.to_string()))
            .unwrap_or_default()
    }
}

fn apply_policy(ctx: &mut openssl::ssl::SslContextBuilder, policy: TlsPolicy) -> Result<(), TlsError> {
    // Compression and renegotiation are off on every profile (overlay-wire.md §1.1); legacy peers
    // throttle renegotiation rather than use it, so refusing it costs nothing.
    ctx.set_options(SslOptions::NO_COMPRESSION | SslOptions::NO_RENEGOTIATION);
    // Without read-ahead OpenSSL makes two recv() calls per record (header, then body): with
    // peers relaying 1 KiB messages, one record each, that was most of a node's reading cost in
    // ci/bench relay_*. With it, one recv() fills OpenSSL's buffer with as many records as are
    // waiting. Our readers always call read again until it would block, so no buffered record
    // is left waiting for a socket wake-up.
    ctx.set_read_ahead(true);
    ctx.set_verify(SslVerifyMode::NONE);
    match policy {
        TlsPolicy::Modern => {
            ctx.clear_options(SslOptions::NO_TLSV1_3);
            ctx.set_options(SslOptions::NO_TLSV1 | SslOptions::NO_TLSV1_1);
            ctx.set_min_proto_version(Some(SslVersion::TLS1_2)).map_err(ossl("setting TLS 1.2 minimum"))?;
            ctx.set_max_proto_version(None).map_err(ossl("allowing TLS 1.3"))?;
            ctx.set_cipher_list(MODERN_CIPHER_LIST).map_err(ossl("setting the modern cipher list"))?;
        }
        TlsPolicy::Legacy => {
            ctx.clear_options(SslOptions::NO_TLSV1 | SslOptions::NO_TLSV1_1);
            ctx.set_min_proto_version(Some(SslVersion::TLS1)).map_err(ossl("setting TLS 1.0 minimum"))?;
            // OpenSSL 1.0 peers cannot do 1.3; capping keeps our own legacy links identical to theirs.
            ctx.set_max_proto_version(Some(SslVersion::TLS1_2)).map_err(ossl("setting TLS 1.2 maximum"))?;
            ctx.set_cipher_list(LEGACY_CIPHER_LIST).map_err(ossl("setting the legacy cipher list"))?;
            ctx.set_security_level(LEGACY_SECURITY_LEVEL);
        }
    }
    Ok(())
}

/// Server side of the peer port: presents `identity`, requests no client certificate.
pub fn acceptor(identity: &TlsIdentity, policy: TlsPolicy) -> Result<SslAcceptor, TlsError> {
    // mozilla_intermediate_v5 gives us SSL_OP_ALL, single-DH-use and the RFC 7919 2048-bit DH
    // group (rippled uses its own fixed 2048-bit group; any group interoperates).
    let mut b =
        SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).map_err(ossl("creating the acceptor"))?;
    apply_policy(&mut b, policy)?;
    b.set_private_key(&identity.key).map_err(ossl("installing the private key"))?;
    b.set_certificate(&identity.cert).map_err(ossl("installing the certificate"))?;
    b.check_private_key().map_err(ossl("checking the key against the certificate"))?;
    Ok(b.build())
}

/// Client side: no certificate, no verification (use [`client_ssl`] to also drop SNI).
pub fn connector(policy: TlsPolicy) -> Result<SslConnector, TlsError> {
    let mut b = SslConnector::builder(SslMethod::tls()).map_err(ossl("creating the connector"))?;
    apply_policy(&mut b, policy)?;
    Ok(b.build())
}

/// A per-connection client `Ssl` with no SNI and no hostname check, as rippled sends
/// (overlay-wire.md §1.1). Wrap it in the runtime's `SslStream` and call `connect`.
pub fn client_ssl(connector: &SslConnector) -> Result<Ssl, TlsError> {
    connector
        .configure()
        .map_err(ossl("creating a client session"))?
        .use_server_name_indication(false)
        .verify_hostname(false)
        .into_ssl("")
        .map_err(ossl("creating a client session"))
}

/// A per-connection server `Ssl`. Wrap it in the runtime's `SslStream` and call `accept`.
pub fn server_ssl(acceptor: &SslAcceptor) -> Result<Ssl, TlsError> {
    Ssl::new(acceptor.context()).map_err(ossl("creating a server session"))
}

/// The Finished message we sent and the one we received, after a completed handshake
/// (overlay-wire.md §1.2, §3). TLS 1.2 gives 12 bytes each, TLS 1.3 the transcript-hash length.
pub fn finished_messages(ssl: &SslRef) -> Result<(Vec<u8>, Vec<u8>), TlsError> {
    fn read(which: &'static str, f: impl Fn(&mut [u8]) -> usize) -> Result<Vec<u8>, TlsError> {
        let mut buf = vec![0u8; FINISHED_MAX_LEN];
        // OpenSSL returns the full length even when it exceeds the buffer.
        let len = f(&mut buf);
        if len < FINISHED_MIN_LEN {
            return Err(TlsError::FinishedTooShort { which, len });
        }
        if len > FINISHED_MAX_LEN {
            return Err(TlsError::FinishedTooLong { which, len });
        }
        buf.truncate(len);
        Ok(buf)
    }
    let local = read("local", |b| ssl.finished(b))?;
    let peer = read("peer", |b| ssl.peer_finished(b))?;
    Ok((local, peer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// 2023-11-14T22:13:20Z.
    const NOW: u64 = 1_700_000_000;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn validity_dates_follow_rippled() {
        // now − 25 h = 2023-11-13T21:13:20Z → midnight 2023-11-13 = 1699833600 (`date -u -d @…`).
        assert_eq!(cert_not_before(NOW), 1_699_833_600);
        // now + 730 days = 2025-11-13T22:13:20Z.
        assert_eq!(cert_not_after(NOW), 1_763_072_000);
        // Exactly 25 h after a midnight still lands on that midnight.
        assert_eq!(cert_not_before(1_699_833_600 + CERT_BACKDATE_SECS), 1_699_833_600);
        assert_eq!(cert_not_before(0), 0);
    }

    #[test]
    fn certificate_has_rippled_shape() {
        let id = TlsIdentity::generate(at(NOW)).unwrap();
        let c = id.certificate();
        assert_eq!(c.version(), 2, "X.509v3");
        assert_eq!(c.subject_name().entries().count(), 0);
        assert_eq!(c.issuer_name().entries().count(), 0);
        assert_eq!(
            c.not_before().compare(&Asn1Time::from_unix(1_699_833_600).unwrap()).unwrap(),
            std::cmp::Ordering::Equal
        );
        assert_eq!(
            c.not_after().compare(&Asn1Time::from_unix(1_763_072_000).unwrap()).unwrap(),
            std::cmp::Ordering::Equal
        );
        assert!(c.serial_number().to_bn().unwrap().num_bits() <= CERT_SERIAL_BITS);
        let pk = c.public_key().unwrap();
        assert_eq!(pk.rsa().unwrap().size() * 8, CERT_RSA_BITS);
        assert!(c.subject_key_id().is_some());
        let text = String::from_utf8(c.to_text().unwrap()).unwrap();
        for needle in [
            "X509v3 Basic Constraints: critical",
            "CA:FALSE",
            "X509v3 Extended Key Usage: critical",
            "TLS Web Server Authentication, TLS Web Client Authentication",
            "X509v3 Key Usage: critical",
            "Digital Signature",
            "X509v3 Subject Key Identifier",
            "sha256WithRSAEncryption",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
        assert!(c.verify(&pk).unwrap(), "self-signed");
        let other = TlsIdentity::generate(at(NOW)).unwrap();
        assert_ne!(id.serial_hex(), other.serial_hex());
    }

    #[test]
    fn finished_limits_are_rippled_values() {
        assert_eq!(FINISHED_MIN_LEN, 12);
        assert_eq!(FINISHED_MAX_LEN, 1024);
    }
}
