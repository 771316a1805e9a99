//! Network profiles: the one table that says how XRPL, XDV (divvyd), SWTC (skywelld) and Xahau
//! differ on the wire (spec networks.md §1, §7). Other modules ask the profile; none of them
//! may branch on the network name.

use std::fmt;
use std::str::FromStr;

use crate::keys::Alphabet;

/// A protocol version token such as `XRPL/2.2` or `RTXP/1.2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion {
    pub family: UpgradeFamily,
    pub major: u16,
    pub minor: u16,
}

impl ProtocolVersion {
    pub const fn xrpl(major: u16, minor: u16) -> Self {
        Self { family: UpgradeFamily::Xrpl, major, minor }
    }
    pub const fn rtxp(major: u16, minor: u16) -> Self {
        Self { family: UpgradeFamily::Rtxp, major, minor }
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}.{}", self.family.token_prefix(), self.major, self.minor)
    }
}

/// Which `Upgrade` token grammar a network speaks (overlay-wire.md §5, networks.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UpgradeFamily {
    /// `XRPL/<major>.<minor>` with major ≥ 2.
    Xrpl,
    /// `RTXP/1.2` (divvyd, skywelld, rippled ≤ 1.4).
    Rtxp,
}

impl UpgradeFamily {
    pub const fn token_prefix(self) -> &'static str {
        match self {
            UpgradeFamily::Xrpl => "XRPL",
            UpgradeFamily::Rtxp => "RTXP",
        }
    }
}

/// How the `Network-ID` header is compared (networks.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkIdRule {
    /// The network has no `Network-ID` header (legacy forks): never sent, ignored if received.
    Unsupported,
    /// rippled: checked only when both sides have one.
    Optional,
    /// xahaud: a missing header counts as 0 on either side and any mismatch fails.
    Mandatory,
}

/// Frame header layout after the upgrade (overlay-wire.md §6, networks.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameDialect {
    /// 6-byte header with a 26-bit length, or a 10-byte header when LZ4-compressed.
    Modern,
    /// 6-byte header with a full 32-bit length and no compression.
    Legacy32,
}

/// Layout of TMEndpoints (overlay-wire.md §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointsVersion {
    /// `version = 1`, repeated IPv4 structs in field 2.
    V1,
    /// `version = 2`, repeated string endpoints in field 3.
    V2,
}

/// How `Closed-Ledger` / `Previous-Ledger` are written (both forms are read where allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerHashEncoding {
    /// 64 uppercase hex characters (modern; base64 also accepted on receipt).
    Hex,
    /// base64 of the 32 bytes (legacy; only base64 is understood).
    Base64,
}

/// The networks we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    Xrpl,
    Xdv,
    Swtc,
    Xahau,
}

impl Network {
    pub const ALL: [Network; 4] = [Network::Xrpl, Network::Xdv, Network::Swtc, Network::Xahau];

    pub fn profile(self) -> &'static NetworkProfile {
        match self {
            Network::Xrpl => &XRPL,
            Network::Xdv => &XDV,
            Network::Swtc => &SWTC,
            Network::Xahau => &XAHAU,
        }
    }

    pub fn name(self) -> &'static str {
        self.profile().name
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A network name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown network {0:?}: expected one of xrpl, xdv, swtc, xahau")]
pub struct UnknownNetwork(pub String);

impl FromStr for Network {
    type Err = UnknownNetwork;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "xrpl" | "xrp" | "rippled" | "main" | "mainnet" => Ok(Network::Xrpl),
            "xdv" | "divvy" | "divvyd" => Ok(Network::Xdv),
            "swtc" | "jingtum" | "skywell" | "skywelld" => Ok(Network::Swtc),
            "xahau" | "xah" | "xahaud" => Ok(Network::Xahau),
            _ => Err(UnknownNetwork(s.to_string())),
        }
    }
}

/// Everything that differs between networks, in one place.
#[derive(Debug)]
pub struct NetworkProfile {
    pub network: Network,
    pub name: &'static str,
    pub alphabet: Alphabet,
    /// Versions we offer, ascending (the request lists them in this order).
    pub versions: &'static [ProtocolVersion],
    /// Default listening port of `[port_peer]` on this network.
    pub default_peer_port: u16,
    /// Port assumed for an `[ips]` entry that has none.
    pub fallback_peer_port: u16,
    /// Prefix of our `User-Agent` / `Server` string.
    pub software_name: &'static str,
    pub network_id_rule: NetworkIdRule,
    /// Network-ID used when none is configured (Xahau main net is 21337).
    pub default_network_id: Option<u32>,
    pub frame_dialect: FrameDialect,
    pub endpoints_version: EndpointsVersion,
    pub ledger_hash_encoding: LedgerHashEncoding,
    /// Whether `X-Protocol-Ctl` feature negotiation (and hence LZ4) exists.
    pub feature_negotiation: bool,
    /// Whether the network knows TMManifests (mt 2); skywelld does not.
    pub has_manifests: bool,
}

impl NetworkProfile {
    pub fn upgrade_family(&self) -> UpgradeFamily {
        self.versions[0].family
    }

    /// `Upgrade` header value we offer, e.g. `XRPL/2.1, XRPL/2.2`.
    pub fn upgrade_header(&self) -> String {
        let tokens: Vec<String> = self.versions.iter().map(|v| v.to_string()).collect();
        tokens.join(", ")
    }

    /// Our `User-Agent` / `Server` string.
    pub fn software_version(&self) -> String {
        format!("{}-{}", self.software_name, env!("CARGO_PKG_VERSION"))
    }
}

const XRPL_VERSIONS: &[ProtocolVersion] = &[ProtocolVersion::xrpl(2, 1), ProtocolVersion::xrpl(2, 2)];
const RTXP_VERSIONS: &[ProtocolVersion] = &[ProtocolVersion::rtxp(1, 2)];

static XRPL: NetworkProfile = NetworkProfile {
    network: Network::Xrpl,
    name: "xrpl",
    alphabet: Alphabet::Xrpl,
    versions: XRPL_VERSIONS,
    default_peer_port: 51235,
    fallback_peer_port: 2459,
    software_name: "xrpl-overlay",
    network_id_rule: NetworkIdRule::Optional,
    default_network_id: None,
    frame_dialect: FrameDialect::Modern,
    endpoints_version: EndpointsVersion::V2,
    ledger_hash_encoding: LedgerHashEncoding::Hex,
    feature_negotiation: true,
    has_manifests: true,
};

static XDV: NetworkProfile = NetworkProfile {
    network: Network::Xdv,
    name: "xdv",
    alphabet: Alphabet::Xdv,
    versions: RTXP_VERSIONS,
    default_peer_port: 51255,
    fallback_peer_port: 51235,
    software_name: "xrpl-overlay",
    network_id_rule: NetworkIdRule::Unsupported,
    default_network_id: None,
    frame_dialect: FrameDialect::Legacy32,
    endpoints_version: EndpointsVersion::V1,
    ledger_hash_encoding: LedgerHashEncoding::Base64,
    feature_negotiation: false,
    has_manifests: true,
};

static SWTC: NetworkProfile = NetworkProfile {
    network: Network::Swtc,
    name: "swtc",
    alphabet: Alphabet::Swtc,
    versions: RTXP_VERSIONS,
    default_peer_port: 50333,
    fallback_peer_port: 51235,
    software_name: "xrpl-overlay",
    network_id_rule: NetworkIdRule::Unsupported,
    default_network_id: None,
    frame_dialect: FrameDialect::Legacy32,
    endpoints_version: EndpointsVersion::V1,
    ledger_hash_encoding: LedgerHashEncoding::Base64,
    feature_negotiation: false,
    has_manifests: false,
};

static XAHAU: NetworkProfile = NetworkProfile {
    network: Network::Xahau,
    name: "xahau",
    alphabet: Alphabet::Xrpl,
    versions: XRPL_VERSIONS,
    default_peer_port: 21337,
    fallback_peer_port: 21337,
    software_name: "xrpl-overlay",
    network_id_rule: NetworkIdRule::Mandatory,
    default_network_id: Some(21337),
    frame_dialect: FrameDialect::Modern,
    endpoints_version: EndpointsVersion::V2,
    ledger_hash_encoding: LedgerHashEncoding::Hex,
    feature_negotiation: true,
    has_manifests: true,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrade_headers_match_the_spec() {
        assert_eq!(Network::Xrpl.profile().upgrade_header(), "XRPL/2.1, XRPL/2.2");
        assert_eq!(Network::Xahau.profile().upgrade_header(), "XRPL/2.1, XRPL/2.2");
        assert_eq!(Network::Xdv.profile().upgrade_header(), "RTXP/1.2");
        assert_eq!(Network::Swtc.profile().upgrade_header(), "RTXP/1.2");
    }

    #[test]
    fn names_round_trip() {
        for n in Network::ALL {
            assert_eq!(n.name().parse::<Network>(), Ok(n));
        }
        assert!("ripple-classic".parse::<Network>().is_err());
    }
}
