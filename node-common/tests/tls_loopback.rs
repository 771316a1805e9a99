//! Real TLS handshakes over loopback with blocking `std::net` sockets and two threads: the
//! acceptor/connector policies, Finished extraction and the session-binding value
//! (overlay-wire.md §1, §3). Socket timeouts bound every read; nothing sleeps.

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use node_common::tls::{
    acceptor, client_ssl, connector, finished_messages, server_ssl, TlsIdentity, TlsPolicy, FINISHED_MIN_LEN,
};
use openssl::dh::Dh;
use openssl::ssl::{Ssl, SslAcceptor, SslMethod, SslStream, SslVersion};
use protocol_core::keys::sha512_half;
use protocol_core::Network;
use sha2::{Digest, Sha512};

/// Upper bound on any single socket read/write; a broken handshake fails instead of hanging.
const IO_TIMEOUT: Duration = Duration::from_secs(20);

fn identity() -> &'static TlsIdentity {
    static ID: OnceLock<TlsIdentity> = OnceLock::new();
    ID.get_or_init(|| TlsIdentity::generate(node_common::tls::now()).unwrap())
}

#[derive(Debug)]
struct Side {
    local: Vec<u8>,
    peer: Vec<u8>,
    version: &'static str,
    cipher: String,
}

fn side<S>(s: &SslStream<S>) -> Side {
    let (local, peer) = finished_messages(s.ssl()).unwrap();
    Side {
        local,
        peer,
        version: s.ssl().version_str(),
        cipher: s.ssl().current_cipher().map(|c| c.name().to_string()).unwrap_or_default(),
    }
}

/// Run one handshake. `server` builds the server session, `client` may tweak the client's.
fn handshake(server: impl FnOnce() -> Ssl + Send + 'static, client: Ssl) -> Result<(Side, Side), String> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let srv = thread::spawn(move || -> Result<Side, String> {
        let (tcp, _) = listener.accept().map_err(|e| e.to_string())?;
        tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        tcp.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut s = SslStream::new(server(), tcp).map_err(|e| e.to_string())?;
        s.accept().map_err(|e| format!("server: {e}"))?;
        Ok(side(&s))
    });
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    tcp.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    let client_result = SslStream::new(client, tcp)
        .map_err(|e| e.to_string())
        .and_then(|mut s| s.connect().map(|_| side(&s)).map_err(|e| format!("client: {e}")));
    // On client failure the socket is dropped, so the server sees EOF and returns.
    let server_result = srv.join().unwrap();
    match (client_result, server_result) {
        (Ok(c), Ok(s)) => Ok((c, s)),
        (c, s) => Err(format!("client {:?} / server {:?}", c.err(), s.err())),
    }
}

fn peer_port_server(policy: TlsPolicy) -> impl FnOnce() -> Ssl + Send + 'static {
    let acc = acceptor(identity(), policy).unwrap();
    move || server_ssl(&acc).unwrap()
}

fn client(policy: TlsPolicy) -> Ssl {
    client_ssl(&connector(policy).unwrap()).unwrap()
}

/// overlay-wire.md §3 steps 1–3, computed independently here with sha2 + sha512_half.
fn shared_value(local: &[u8], peer: &[u8]) -> [u8; 32] {
    let a = Sha512::digest(local);
    let b = Sha512::digest(peer);
    let x: Vec<u8> = a.iter().zip(b.iter()).map(|(p, q)| p ^ q).collect();
    assert!(x.iter().any(|&v| v != 0), "identical finished messages");
    sha512_half(&[&x])
}

/// The properties every completed handshake must have; returns (finished len, version, cipher).
fn check_binding(c: &Side, s: &Side) -> (usize, &'static str, String) {
    assert_eq!(c.local, s.peer, "client's sent Finished == server's received Finished");
    assert_eq!(c.peer, s.local, "server's sent Finished == client's received Finished");
    assert_ne!(c.local, c.peer);
    assert_eq!(c.local.len(), c.peer.len());
    assert!(c.local.len() >= FINISHED_MIN_LEN);
    assert_eq!(shared_value(&c.local, &c.peer), shared_value(&s.local, &s.peer));
    assert_eq!(c.version, s.version);
    assert_eq!(c.cipher, s.cipher);
    eprintln!("measured: {} {} finished={} bytes", c.version, c.cipher, c.local.len());
    (c.local.len(), c.version, c.cipher.clone())
}

#[test]
fn modern_tls13_default_suite() {
    let (c, s) = handshake(peer_port_server(TlsPolicy::Modern), client(TlsPolicy::Modern)).unwrap();
    let (len, version, cipher) = check_binding(&c, &s);
    assert_eq!(version, "TLSv1.3");
    // TLS 1.3 Finished = transcript-hash length of the suite (overlay-wire.md §1.2).
    let expected = if cipher.ends_with("SHA384") { 48 } else { 32 };
    assert_eq!(len, expected, "{cipher}");
}

#[test]
fn modern_tls13_sha256_suite_gives_32_bytes() {
    let mut ssl = client(TlsPolicy::Modern);
    ssl.set_ciphersuites("TLS_AES_128_GCM_SHA256").unwrap();
    let (c, s) = handshake(peer_port_server(TlsPolicy::Modern), ssl).unwrap();
    let (len, version, cipher) = check_binding(&c, &s);
    assert_eq!((len, version, cipher.as_str()), (32, "TLSv1.3", "TLS_AES_128_GCM_SHA256"));
}

#[test]
fn modern_tls13_sha384_suite_gives_48_bytes() {
    let mut ssl = client(TlsPolicy::Modern);
    ssl.set_ciphersuites("TLS_AES_256_GCM_SHA384").unwrap();
    let (c, s) = handshake(peer_port_server(TlsPolicy::Modern), ssl).unwrap();
    let (len, version, cipher) = check_binding(&c, &s);
    assert_eq!((len, version, cipher.as_str()), (48, "TLSv1.3", "TLS_AES_256_GCM_SHA384"));
}

#[test]
fn modern_tls12_gives_12_bytes_and_an_aead_suite() {
    // A TLS-1.2-only peer (an older rippled or a fork on OpenSSL 1.1.0).
    let mut ssl = client(TlsPolicy::Modern);
    ssl.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    let (c, s) = handshake(peer_port_server(TlsPolicy::Modern), ssl).unwrap();
    let (len, version, cipher) = check_binding(&c, &s);
    assert_eq!((len, version), (12, "TLSv1.2"));
    assert!(cipher.contains("GCM") || cipher.contains("CHACHA20"), "{cipher}");
}

#[test]
fn modern_server_refuses_tls11() {
    // The legacy policy with TLS 1.1 as maximum plays an old client; rippled disables TLS < 1.2.
    let mut ssl = client(TlsPolicy::Legacy);
    ssl.set_max_proto_version(Some(SslVersion::TLS1_1)).unwrap();
    let e = handshake(peer_port_server(TlsPolicy::Modern), ssl).unwrap_err();
    assert!(e.contains("unsupported protocol") || e.contains("protocol version"), "{e}");
}

#[test]
fn modern_server_offers_no_cbc_suite() {
    let mut ssl = client(TlsPolicy::Legacy);
    ssl.set_cipher_list("ECDHE-RSA-AES256-SHA:AES128-SHA").unwrap();
    ssl.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    let e = handshake(peer_port_server(TlsPolicy::Modern), ssl).unwrap_err();
    assert!(e.contains("no shared cipher"), "{e}");
}

#[test]
fn legacy_profiles_negotiate_tls12_and_never_13() {
    for net in [Network::Xdv, Network::Swtc] {
        let policy = TlsPolicy::for_profile(net.profile());
        assert_eq!(policy, TlsPolicy::Legacy);
        let (c, s) = handshake(peer_port_server(policy), client(policy)).unwrap();
        let (len, version, cipher) = check_binding(&c, &s);
        assert_eq!((len, version), (12, "TLSv1.2"));
        assert!(cipher.contains("GCM"), "{cipher}");
    }
    for net in [Network::Xrpl, Network::Xahau] {
        assert_eq!(TlsPolicy::for_profile(net.profile()), TlsPolicy::Modern);
    }
}

#[test]
fn legacy_client_meets_modern_server_on_tls12() {
    let (c, s) = handshake(peer_port_server(TlsPolicy::Modern), client(TlsPolicy::Legacy)).unwrap();
    let (len, version, _) = check_binding(&c, &s);
    assert_eq!((len, version), (12, "TLSv1.2"));
}

#[test]
fn legacy_server_takes_a_tls10_peer() {
    // An OpenSSL 1.0.0 peer cannot do TLS 1.2 at all; the Finished is still 12 bytes.
    let mut ssl = client(TlsPolicy::Legacy);
    ssl.set_max_proto_version(Some(SslVersion::TLS1)).unwrap();
    let (c, s) = handshake(peer_port_server(TlsPolicy::Legacy), ssl).unwrap();
    let (len, version, cipher) = check_binding(&c, &s);
    assert_eq!((len, version), (12, "TLSv1"));
    assert!(cipher.ends_with("-SHA"), "{cipher}");
}

/// A server shaped like an OpenSSL-1.0 divvyd: one suite, optionally a 1024-bit DH group.
fn old_server(cipher: &'static str, dh1024: bool) -> impl FnOnce() -> Ssl + Send + 'static {
    let mut b = SslAcceptor::mozilla_intermediate(SslMethod::tls()).unwrap();
    b.set_security_level(0);
    b.set_min_proto_version(Some(SslVersion::TLS1)).unwrap();
    b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    b.set_cipher_list(cipher).unwrap();
    if dh1024 {
        b.set_tmp_dh(&Dh::get_1024_160().unwrap()).unwrap();
    }
    b.set_private_key(identity().private_key()).unwrap();
    b.set_certificate(identity().certificate()).unwrap();
    let acc = b.build();
    move || Ssl::new(acc.context()).unwrap()
}

#[test]
fn legacy_client_accepts_dhe_1024_server() {
    let (c, s) = handshake(old_server("DHE-RSA-AES256-GCM-SHA384", true), client(TlsPolicy::Legacy)).unwrap();
    let (len, _, cipher) = check_binding(&c, &s);
    assert_eq!((len, cipher.as_str()), (12, "DHE-RSA-AES256-GCM-SHA384"));
}

#[test]
fn legacy_client_accepts_rsa_kx_server() {
    let (c, s) = handshake(old_server("AES256-GCM-SHA384", false), client(TlsPolicy::Legacy)).unwrap();
    let (len, _, cipher) = check_binding(&c, &s);
    assert_eq!((len, cipher.as_str()), (12, "AES256-GCM-SHA384"));
}

#[test]
fn modern_list_includes_rsa_kx_gcm() {
    // `TLSv1.2:!CBC:...` keeps kRSA AES-GCM (it only drops CBC), so rippled's own list talks to
    // an RSA-kx-only server too. overlay-wire.md §1.1 says "(EC)DHE only"; OpenSSL disagrees.
    let mut ssl = client(TlsPolicy::Modern);
    ssl.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    let (c, s) = handshake(old_server("AES256-GCM-SHA384", false), ssl).unwrap();
    assert_eq!(check_binding(&c, &s).2, "AES256-GCM-SHA384");
}

#[test]
fn finished_before_handshake_is_too_short() {
    let ssl = client(TlsPolicy::Modern);
    let e = finished_messages(&ssl).unwrap_err();
    assert!(e.to_string().contains("shorter than 12"), "{e}");
}

#[test]
fn client_sends_no_sni() {
    let saw_sni = Arc::new(AtomicBool::new(false));
    let acc = {
        let saw_sni = Arc::clone(&saw_sni);
        let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
        b.set_private_key(identity().private_key()).unwrap();
        b.set_certificate(identity().certificate()).unwrap();
        b.set_servername_callback(move |ssl, _| {
            if ssl.servername(openssl::ssl::NameType::HOST_NAME).is_some() {
                saw_sni.store(true, Ordering::SeqCst);
            }
            Ok(())
        });
        b.build()
    };
    let (c, s) = handshake(move || Ssl::new(acc.context()).unwrap(), client(TlsPolicy::Modern)).unwrap();
    check_binding(&c, &s);
    assert!(!saw_sni.load(Ordering::SeqCst));
}

#[test]
fn client_ssl_with_sni_is_seen_by_the_probe() {
    // Proves the probe above can see SNI at all: the stock configuration sends it.
    let saw_sni = Arc::new(AtomicBool::new(false));
    let acc = {
        let saw_sni = Arc::clone(&saw_sni);
        let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
        b.set_private_key(identity().private_key()).unwrap();
        b.set_certificate(identity().certificate()).unwrap();
        b.set_servername_callback(move |ssl, _| {
            if ssl.servername(openssl::ssl::NameType::HOST_NAME).is_some() {
                saw_sni.store(true, Ordering::SeqCst);
            }
            Ok(())
        });
        b.build()
    };
    let ssl = connector(TlsPolicy::Modern)
        .unwrap()
        .configure()
        .unwrap()
        .verify_hostname(false)
        .into_ssl("peer.example")
        .unwrap();
    let (c, s) = handshake(move || Ssl::new(acc.context()).unwrap(), ssl).unwrap();
    check_binding(&c, &s);
    assert!(saw_sni.load(Ordering::SeqCst));
}
