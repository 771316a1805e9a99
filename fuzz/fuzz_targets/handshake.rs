//! Fuzz target: the HTTP upgrade handshake (overlay-wire.md §2–5, networks.md §6).
//!
//! Input layout: byte 0 selects the setting (bits 0–1: network profile; bit 2: public or
//! private socket address; bit 3: `[network_id]` configured; bit 4: `[overlay] public_ip`
//! configured), the rest is what the peer sent. Both sides are run on the same bytes:
//! server side `parse_request` → `classify_request` → `evaluate_inbound`, initiator side
//! `parse_response` and `handle_response`.
//!
//! The TLS Finished messages, our key, `now` and the peer's key are fixed to the first
//! `session_signatures` case of vectors/wire.json, so a head carrying that case's
//! `Public-Key` and `Session-Signature` passes signature verification whatever else the fuzzer
//! changes (the signature covers only the shared value): the corpus seeds do, which takes the
//! fuzzer past verification into the IP, ledger-hash and identity checks.
//! Must never panic; on success the identity must be the fixed peer key.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use protocol_core::handshake::{
    classify_request, evaluate_inbound, handle_response, parse_request, parse_response, shared_value,
    HandshakeConfig, Parsed, RequestKind, ResponseOutcome,
};
use protocol_core::keys::{NodeKeyPair, Seed};
use protocol_core::network::Network;

/// vectors/wire.json `session_signatures[0]`: Finished messages and the signer's key.
const LOCAL_FINISHED: [u8; 12] = [0x18, 0x19, 0x0C, 0x35, 0x17, 0x1E, 0x93, 0xDC, 0xBF, 0x86, 0x0F, 0x72];
const PEER_FINISHED: [u8; 12] = [0x44, 0x0B, 0x3F, 0xD7, 0x6B, 0xDD, 0x23, 0xD9, 0x66, 0x58, 0x26, 0x02];
const PEER_PUBLIC_HEX: &str = "03D49C56E1B185F1BE899AE66A02EFC17F78EA6FC53AF85E0FE54C6E8B7F8C71A8";
/// NetClock `now`: the `Network-Time` of vectors/handshakes/rippled-1.9.3-request.txt.
const NOW: u32 = 731_242_816;
const NETWORKS: [Network; 4] = [Network::Xrpl, Network::Xdv, Network::Swtc, Network::Xahau];

struct Fixed {
    /// Our key: wire.json `keys[1]` ("Non-Random Passphrase"), not the peer's, so a valid head
    /// is not a self-connection.
    our_key: NodeKeyPair,
    shared: [u8; 32],
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| Fixed {
        our_key: NodeKeyPair::from_seed(&Seed::from_passphrase("Non-Random Passphrase")),
        shared: shared_value(&LOCAL_FINISHED, &PEER_FINISHED).expect("fixed Finished messages differ"),
    })
}

fuzz_target!(|data: &[u8]| {
    let [sel, bytes @ ..] = data else { return };
    let f = fixed();
    let network = NETWORKS[usize::from(sel & 3)];
    let mut cfg = HandshakeConfig::new(network.profile(), f.our_key.clone());
    if sel & 8 != 0 {
        cfg.network_id = Some(0);
    }
    if sel & 16 != 0 {
        cfg.public_ip = Some(IpAddr::V4(Ipv4Addr::new(8, 8, 4, 4)));
    }
    let remote = if sel & 4 != 0 {
        IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8))
    } else {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7))
    };

    // Server side.
    if let Ok(Parsed::Complete { head, consumed }) = parse_request(bytes) {
        assert!(consumed <= bytes.len());
        if classify_request(&head, cfg.profile) == RequestKind::PeerUpgrade {
            if let Ok(acc) = evaluate_inbound(&cfg, &head, &LOCAL_FINISHED, &PEER_FINISHED, NOW, remote) {
                assert_eq!(acc.shared, f.shared);
                assert_eq!(acc.peer.public_key.to_hex(), PEER_PUBLIC_HEX);
            }
        }
    }

    // Initiator side, same bytes.
    let _ = parse_response(bytes);
    match handle_response(&cfg, bytes, &f.shared, NOW, remote) {
        Ok(Some(ResponseOutcome::Upgraded { peer, leftover })) => {
            assert_eq!(peer.public_key.to_hex(), PEER_PUBLIC_HEX);
            assert!(leftover.len() < bytes.len());
        }
        Ok(Some(ResponseOutcome::Redirect { endpoints })) => {
            assert!(endpoints.len() <= protocol_core::handshake::MAX_REDIRECTS_ACCEPTED);
        }
        Ok(None) | Err(_) => {}
    }
});
