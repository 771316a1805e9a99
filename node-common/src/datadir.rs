//! The node's data directory and what lives in it: the node identity seed (`node_seed`) and the
//! TLS certificate (`tls/cert.pem`, `tls/key.pem`). Default location
//! `$XDG_DATA_HOME/xrpl-overlay/<network>` (or `$HOME/.local/share/...`), `--data-dir` overrides.
//!
//! Owns: locating/creating the directory, generating and reloading the node seed, small-file
//! writing with private permissions. Must not touch: key derivation (protocol-core `keys`), the
//! certificate format (`tls`), config-file parsing (the caller passes `[node_seed]` in).

use std::ffi::OsString;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use protocol_core::keys::{KeyError, NodeKeyPair, Seed};
use protocol_core::Network;

use crate::tls::{TlsError, TlsIdentity};

/// Directory name under the XDG data home.
pub const APP_DIR_NAME: &str = "xrpl-overlay";
/// Sub-directory holding the TLS certificate and key.
pub const TLS_DIR: &str = "tls";
/// File holding the generated node seed (one base58 family seed, `#` comments allowed).
pub const NODE_SEED_FILE: &str = "node_seed";
/// Largest `node_seed` file we read: a seed line is ~30 bytes, so anything bigger is not ours and
/// must not be slurped into memory.
pub const NODE_SEED_FILE_MAX_BYTES: u64 = 4096;

/// Why the data directory or the identity in it could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("cannot choose a data directory: neither XDG_DATA_HOME nor HOME is set; pass --data-dir")]
    NoHome,
    #[error("data directory {} exists but is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} is larger than {NODE_SEED_FILE_MAX_BYTES} bytes; it is not a node seed file", path.display())]
    SeedFileTooLarge { path: PathBuf },
    #[error("{} is not UTF-8 text", path.display())]
    SeedFileNotText { path: PathBuf },
    // Never echo the line: it is (or is meant to be) a secret.
    #[error("{}:{line}: not a {network} family seed ({source})", path.display())]
    BadSeedLine {
        path: PathBuf,
        line: usize,
        network: Network,
        #[source]
        source: KeyError,
    },
    #[error("{}:{line}: unexpected second seed line; the file must hold exactly one seed", path.display())]
    ExtraSeedLine { path: PathBuf, line: usize },
    #[error("{} holds no seed; delete it to have a new identity generated", path.display())]
    EmptySeedFile { path: PathBuf },
    #[error("[node_seed] is not a {network} family seed ({source})")]
    BadConfiguredSeed {
        network: Network,
        #[source]
        source: KeyError,
    },
    #[error("no randomness available from the operating system: {0}")]
    Random(String),
    #[error(transparent)]
    Tls(#[from] TlsError),
}

/// `$XDG_DATA_HOME/xrpl-overlay/<network>`, else `$HOME/.local/share/xrpl-overlay/<network>`.
pub fn default_data_dir(network: Network) -> Result<PathBuf, DataDirError> {
    default_data_dir_from(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"), network)
}

/// [`default_data_dir`] with the environment passed in (testable). Per the XDG base-directory
/// spec an empty or relative `XDG_DATA_HOME` is ignored.
pub fn default_data_dir_from(
    xdg_data_home: Option<OsString>,
    home: Option<OsString>,
    network: Network,
) -> Result<PathBuf, DataDirError> {
    let xdg = xdg_data_home.map(PathBuf::from).filter(|p| p.is_absolute());
    let base = match xdg {
        Some(p) => p,
        None => match home.filter(|h| !h.is_empty()) {
            Some(h) => PathBuf::from(h).join(".local").join("share"),
            None => return Err(DataDirError::NoHome),
        },
    };
    Ok(base.join(APP_DIR_NAME).join(network.name()))
}

/// Where the node identity came from, for the start-up log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// `[node_seed]` in the config file.
    Config,
    /// Reloaded from the seed file.
    SeedFile(PathBuf),
    /// Generated now and written to the seed file.
    Generated(PathBuf),
}

/// The node key pair and its origin.
#[derive(Debug, Clone)]
pub struct NodeIdentity {
    pub seed: Seed,
    pub keys: NodeKeyPair,
    pub source: IdentitySource,
}

/// An existing, writable-by-us data directory for one network.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
    network: Network,
}

impl DataDir {
    /// `--data-dir` if given, else the default for `network`; created if missing.
    pub fn resolve(override_dir: Option<&Path>, network: Network) -> Result<Self, DataDirError> {
        let root = match override_dir {
            Some(p) => p.to_path_buf(),
            None => default_data_dir(network)?,
        };
        Self::open(root, network)
    }

    /// Use `root` (created with its parents if missing).
    pub fn open(root: PathBuf, network: Network) -> Result<Self, DataDirError> {
        if root.exists() && !root.is_dir() {
            return Err(DataDirError::NotADirectory { path: root });
        }
        create_private_dir(&root).map_err(|source| DataDirError::Io {
            action: "create data directory",
            path: root.clone(),
            source,
        })?;
        Ok(DataDir { root, network })
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    pub fn network(&self) -> Network {
        self.network
    }

    pub fn tls_dir(&self) -> PathBuf {
        self.root.join(TLS_DIR)
    }

    pub fn node_seed_path(&self) -> PathBuf {
        self.root.join(NODE_SEED_FILE)
    }

    /// The peer-port certificate, generated on first start and reloaded afterwards.
    pub fn tls_identity(&self, now: SystemTime) -> Result<TlsIdentity, DataDirError> {
        Ok(TlsIdentity::load_or_create(&self.tls_dir(), now)?)
    }

    /// The node identity: `[node_seed]` when configured, else the seed file, generated with OS
    /// randomness on first start.
    pub fn node_identity(&self, configured_seed: Option<&str>) -> Result<NodeIdentity, DataDirError> {
        let network = self.network;
        let alphabet = network.profile().alphabet;
        if let Some(text) = configured_seed {
            let seed = Seed::from_base58(text, alphabet)
                .map_err(|source| DataDirError::BadConfiguredSeed { network, source })?;
            let keys = NodeKeyPair::from_seed(&seed);
            return Ok(NodeIdentity { seed, keys, source: IdentitySource::Config });
        }
        let path = self.node_seed_path();
        if path.exists() {
            let seed = read_seed_file(&path, network)?;
            let keys = NodeKeyPair::from_seed(&seed);
            return Ok(NodeIdentity { seed, keys, source: IdentitySource::SeedFile(path) });
        }
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| DataDirError::Random(e.to_string()))?;
        let seed = Seed::from_bytes(bytes);
        let text = format!(
            "# Node identity seed for {network} ({APP_DIR_NAME}). Keep it secret; deleting it gives the node a new identity.\n{}\n",
            seed.to_base58(alphabet)
        );
        write_file_atomic(&path, text.as_bytes(), true).map_err(|source| DataDirError::Io {
            action: "write",
            path: path.clone(),
            source,
        })?;
        let keys = NodeKeyPair::from_seed(&seed);
        Ok(NodeIdentity { seed, keys, source: IdentitySource::Generated(path) })
    }
}

/// Parse a seed file: blank lines and `#` comments are skipped, exactly one seed line.
pub fn read_seed_file(path: &Path, network: Network) -> Result<Seed, DataDirError> {
    let io_err = |source| DataDirError::Io { action: "read", path: path.to_path_buf(), source };
    let file = fs::File::open(path).map_err(io_err)?;
    warn_if_not_private(path, &file);
    let mut raw = Vec::new();
    file.take(NODE_SEED_FILE_MAX_BYTES + 1).read_to_end(&mut raw).map_err(io_err)?;
    if raw.len() as u64 > NODE_SEED_FILE_MAX_BYTES {
        return Err(DataDirError::SeedFileTooLarge { path: path.to_path_buf() });
    }
    let text =
        String::from_utf8(raw).map_err(|_| DataDirError::SeedFileNotText { path: path.to_path_buf() })?;
    let alphabet = network.profile().alphabet;
    let mut seed = None;
    for (idx, line) in text.lines().enumerate() {
        let line_no = idx + 1;
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if seed.is_some() {
            return Err(DataDirError::ExtraSeedLine { path: path.to_path_buf(), line: line_no });
        }
        seed = Some(Seed::from_base58(t, alphabet).map_err(|source| DataDirError::BadSeedLine {
            path: path.to_path_buf(),
            line: line_no,
            network,
            source,
        })?);
    }
    seed.ok_or_else(|| DataDirError::EmptySeedFile { path: path.to_path_buf() })
}

#[cfg(unix)]
fn warn_if_not_private(path: &Path, file: &fs::File) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = file.metadata() {
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777), "secret file is readable by other users; chmod 600 it");
        }
    }
}

#[cfg(not(unix))]
fn warn_if_not_private(_path: &Path, _file: &fs::File) {}

/// `mkdir -p`, new directories mode 0700 (they may hold secrets).
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Write through `<name>.tmp` + rename so a crash never leaves half a file; `private` files get
/// mode 0600 from creation on (never briefly world-readable).
pub(crate) fn write_file_atomic(path: &Path, bytes: &[u8], private: bool) -> io::Result<()> {
    let mut tmp_name = path.file_name().map(OsString::from).unwrap_or_default();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    // A stale temp file would keep its old mode: start from scratch.
    match fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn default_dir_prefers_absolute_xdg_then_home() {
        let net = Network::Xdv;
        assert_eq!(
            default_data_dir_from(Some("/x/data".into()), Some("/home/u".into()), net).unwrap(),
            PathBuf::from("/x/data/xrpl-overlay/xdv")
        );
        for xdg in [None, Some(OsString::new()), Some("relative/dir".into())] {
            assert_eq!(
                default_data_dir_from(xdg, Some("/home/u".into()), Network::Xrpl).unwrap(),
                PathBuf::from("/home/u/.local/share/xrpl-overlay/xrpl")
            );
        }
        assert!(matches!(default_data_dir_from(None, None, net), Err(DataDirError::NoHome)));
        assert!(matches!(default_data_dir_from(None, Some(OsString::new()), net), Err(DataDirError::NoHome)));
    }

    #[test]
    fn identity_persists_across_loads() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("nested").join("xdv");
        let first = DataDir::open(root.clone(), Network::Xdv).unwrap().node_identity(None).unwrap();
        let seed_path = root.join(NODE_SEED_FILE);
        assert_eq!(first.source, IdentitySource::Generated(seed_path.clone()));
        #[cfg(unix)]
        assert_eq!(mode(&seed_path), 0o600);
        // Written in the profile's alphabet.
        let text = fs::read_to_string(&seed_path).unwrap();
        let line = text.lines().find(|l| !l.starts_with('#')).unwrap();
        assert_eq!(Seed::from_base58(line, Network::Xdv.profile().alphabet).unwrap(), first.seed);

        let second = DataDir::open(root.clone(), Network::Xdv).unwrap().node_identity(None).unwrap();
        assert_eq!(second.source, IdentitySource::SeedFile(seed_path));
        assert_eq!(second.keys.public(), first.keys.public());
        assert_eq!(second.seed, first.seed);
    }

    #[test]
    fn configured_seed_wins_and_is_not_echoed_on_error() {
        // wire.json keys[0]: rippled's Seed_test "masterpassphrase" values.
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path().to_path_buf(), Network::Xrpl).unwrap();
        let id = dir.node_identity(Some("snoPBrXtMeMyMHUVTgbuqAfg1SUTb")).unwrap();
        assert_eq!(id.source, IdentitySource::Config);
        assert_eq!(
            id.keys.public().to_base58(Network::Xrpl.profile().alphabet),
            "n94a1u4jAz288pZLtw6yFWVbi89YamiC6JBXPVUj5zmExe5fTVg9"
        );
        assert!(!dir.node_seed_path().exists(), "a configured seed is not copied to disk");
        // The XDV spelling of the same seed is not valid in the XRPL alphabet's checksum.
        let e = dir.node_identity(Some("snoPBdXtMeMyMHUVTgbuqAfg1SUTb")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("[node_seed] is not a xrpl family seed"), "{msg}");
        assert!(!msg.contains("snoPB"), "secret echoed: {msg}");
    }

    #[test]
    fn corrupt_seed_file_names_path_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path().to_path_buf(), Network::Xrpl).unwrap();
        let p = dir.node_seed_path();

        fs::write(&p, "# comment\n\n  sNotASeedAtAll\n").unwrap();
        let e = dir.node_identity(None).unwrap_err();
        assert!(matches!(e, DataDirError::BadSeedLine { line: 3, .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.starts_with(&format!("{}:3: not a xrpl family seed", p.display())), "{msg}");
        assert!(!msg.contains("sNotASeedAtAll"), "secret echoed: {msg}");

        fs::write(&p, "snoPBrXtMeMyMHUVTgbuqAfg1SUTb\n# two\nsnoPBrXtMeMyMHUVTgbuqAfg1SUTb\n").unwrap();
        let e = dir.node_identity(None).unwrap_err();
        assert!(matches!(e, DataDirError::ExtraSeedLine { line: 3, .. }), "{e:?}");

        fs::write(&p, "# only a comment\n\n").unwrap();
        assert!(matches!(dir.node_identity(None).unwrap_err(), DataDirError::EmptySeedFile { .. }));

        fs::write(&p, [0xff, 0xfe, b'\n']).unwrap();
        assert!(matches!(dir.node_identity(None).unwrap_err(), DataDirError::SeedFileNotText { .. }));

        fs::write(&p, vec![b'#'; NODE_SEED_FILE_MAX_BYTES as usize + 1]).unwrap();
        assert!(matches!(dir.node_identity(None).unwrap_err(), DataDirError::SeedFileTooLarge { .. }));
        // Exactly at the limit is still read.
        let mut ok = b"snoPBrXtMeMyMHUVTgbuqAfg1SUTb\n".to_vec();
        ok.resize(NODE_SEED_FILE_MAX_BYTES as usize, b'\n');
        fs::write(&p, ok).unwrap();
        assert!(dir.node_identity(None).is_ok());
    }

    #[test]
    fn data_dir_that_is_a_file_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("file");
        fs::write(&f, "x").unwrap();
        let e = DataDir::open(f.clone(), Network::Xrpl).unwrap_err();
        assert!(matches!(e, DataDirError::NotADirectory { .. }));
        assert!(e.to_string().contains(&f.display().to_string()));
    }

    #[test]
    fn tls_identity_persists_and_recovers() {
        const NOW: u64 = 1_700_000_000;
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path().to_path_buf(), Network::Xrpl).unwrap();
        let a = dir.tls_identity(at(NOW)).unwrap();
        let cert = dir.tls_dir().join(crate::tls::CERT_FILE);
        let key = dir.tls_dir().join(crate::tls::KEY_FILE);
        #[cfg(unix)]
        {
            assert_eq!(mode(&key), 0o600);
            assert_eq!(mode(&dir.tls_dir()), 0o700);
        }
        // Restart a day later: same certificate.
        let b = dir.tls_identity(at(NOW + 86_400)).unwrap();
        assert_eq!(a.certificate().to_der().unwrap(), b.certificate().to_der().unwrap());

        // Expired (past now + 730 days): replaced.
        let c = dir.tls_identity(at(NOW + crate::tls::CERT_VALIDITY_SECS + 1)).unwrap();
        assert_ne!(a.serial_hex(), c.serial_hex());

        // Corrupt certificate: error names the file, file is left alone.
        fs::write(&cert, "-----BEGIN CERTIFICATE-----\nnot base64\n").unwrap();
        let e = dir.tls_identity(at(NOW)).unwrap_err();
        assert!(e.to_string().contains(&cert.display().to_string()), "{e}");
        assert!(e.to_string().contains("not a PEM certificate"), "{e}");
        assert!(fs::read_to_string(&cert).unwrap().contains("not base64"), "left for the operator");

        // Key from another pair: mismatch.
        a.store(&dir.tls_dir()).unwrap();
        let other = tmp.path().join("other");
        TlsIdentity::generate(at(NOW)).unwrap().store(&other).unwrap();
        fs::copy(other.join(crate::tls::KEY_FILE), &key).unwrap();
        let e = dir.tls_identity(at(NOW)).unwrap_err();
        assert!(matches!(e, DataDirError::Tls(TlsError::KeyMismatch { .. })), "{e:?}");

        // Half a pair is not silently replaced.
        fs::remove_file(&key).unwrap();
        let e = dir.tls_identity(at(NOW)).unwrap_err();
        assert!(matches!(e, DataDirError::Tls(TlsError::Incomplete { .. })), "{e:?}");
        assert!(e.to_string().contains(&key.display().to_string()), "{e}");
    }
}
