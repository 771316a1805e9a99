//! Protocol version and `X-Protocol-Ctl` feature negotiation (overlay-wire.md §5, §2.6;
//! networks.md §6.4 for the `RTXP/1.2` family).
//!
//! Owns the token grammars and the "who enables what" rules. Knows nothing about keys, heads
//! or sockets.

use std::fmt::Write as _;

use crate::network::{NetworkProfile, ProtocolVersion, UpgradeFamily};

/// The elements of an HTTP comma list with surrounding whitespace trimmed and empty
/// elements dropped (beast's `rfc2616::split_commas`; quoted strings never occur in the
/// headers this protocol lists). No element-count cap: the head itself is bounded by
/// [`super::MAX_HEAD_BYTES`], and a cap would refuse lists rippled accepts.
pub fn split_commas(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// Whether `token` is an element of the comma list, compared case-insensitively
/// (beast's `rfc2616::token_in_list`).
pub fn token_in_list(value: &str, token: &str) -> bool {
    split_commas(value).any(|t| t.eq_ignore_ascii_case(token))
}

/// A decimal number without leading zero (or exactly `0`) that fits u16.
fn parse_component(s: &str, allow_zero: bool) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    let v: u16 = s.parse().ok()?;
    if v == 0 && !allow_zero {
        return None;
    }
    Some(v)
}

/// Parse one version token of the given family, or `None` if it does not match the grammar.
///
/// XRPL (rippled `parseProtocolVersions`, overlay-wire.md §5): `XRPL/` major `.` minor,
/// major ≥ 2 without leading zero, minor `0` or without leading zero, both fit u16, and the
/// value prints back to the same text (case-sensitive).
/// RTXP (divvyd, networks.md §6.4): `RTXP/` major `.` minor, major ≥ 1, same minor rule.
pub fn parse_version_token(token: &str, family: UpgradeFamily) -> Option<ProtocolVersion> {
    let rest = token.strip_prefix(family.token_prefix())?.strip_prefix('/')?;
    let (major, minor) = rest.split_once('.')?;
    let major = parse_component(major, false)?;
    let minor = parse_component(minor, true)?;
    let min_major = match family {
        UpgradeFamily::Xrpl => 2,
        UpgradeFamily::Rtxp => 1,
    };
    if major < min_major {
        return None;
    }
    let v = ProtocolVersion { family, major, minor };
    (v.to_string() == token).then_some(v)
}

/// All versions of `family` named in an `Upgrade` value, sorted ascending and de-duplicated;
/// tokens of the other family or that fail the grammar are skipped (overlay-wire.md §5).
pub fn parse_versions(value: &str, family: UpgradeFamily) -> Vec<ProtocolVersion> {
    let mut out: Vec<ProtocolVersion> =
        split_commas(value).filter_map(|t| parse_version_token(t, family)).collect();
    out.sort();
    out.dedup();
    out
}

/// Server side: the largest version in both the peer's `Upgrade` list and ours.
pub fn negotiate_version(their_upgrade: &str, profile: &NetworkProfile) -> Option<ProtocolVersion> {
    parse_versions(their_upgrade, profile.upgrade_family())
        .into_iter()
        .rfind(|v| profile.versions.contains(v))
}

/// Client side: the response's `Upgrade` must name exactly one version and we must support it
/// (rippled `ConnectAttempt::processResponse`, overlay-wire.md §2.5 step 6).
pub fn accept_response_version(upgrade: &str, profile: &NetworkProfile) -> Option<ProtocolVersion> {
    match parse_versions(upgrade, profile.upgrade_family()).as_slice() {
        [only] if profile.versions.contains(only) => Some(*only),
        _ => None,
    }
}

/// Features negotiated through `X-Protocol-Ctl` (overlay-wire.md §2.6), in rippled's order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Features {
    /// `compr=lz4`
    pub compression: bool,
    /// `ledgerreplay=1`
    pub ledger_replay: bool,
    /// `txrr=1`
    pub tx_reduce_relay: bool,
    /// `vprr=1`
    pub vp_reduce_relay: bool,
}

/// Feature names and the value that enables each, in the order rippled writes them (§2.6).
pub const FEATURE_TABLE: [(&str, &str); 4] =
    [("compr", "lz4"), ("ledgerreplay", "1"), ("txrr", "1"), ("vprr", "1")];

impl Features {
    pub const NONE: Features =
        Features { compression: false, ledger_replay: false, tx_reduce_relay: false, vp_reduce_relay: false };
    pub const ALL: Features =
        Features { compression: true, ledger_replay: true, tx_reduce_relay: true, vp_reduce_relay: true };

    fn flags(self) -> [bool; 4] {
        [self.compression, self.ledger_replay, self.tx_reduce_relay, self.vp_reduce_relay]
    }

    fn from_flags(f: [bool; 4]) -> Self {
        Features { compression: f[0], ledger_replay: f[1], tx_reduce_relay: f[2], vp_reduce_relay: f[3] }
    }

    /// The header value: `name=value;` for each enabled feature, rippled's order, trailing `;`.
    /// Empty when none is enabled (rippled still sends the header, with an empty value).
    pub fn to_header(self) -> String {
        let mut s = String::new();
        for ((name, value), on) in FEATURE_TABLE.iter().zip(self.flags()) {
            if on {
                let _ = write!(s, "{name}={value};");
            }
        }
        s
    }

    /// What a peer's `X-Protocol-Ctl` value offers, read with rippled's rule (see
    /// [`feature_value`]). `None` (no header) offers nothing.
    pub fn offered_by(header: Option<&str>) -> Self {
        let Some(h) = header else { return Features::NONE };
        let mut f = [false; 4];
        for (slot, (name, value)) in f.iter_mut().zip(FEATURE_TABLE) {
            *slot = feature_value(h, name).is_some_and(|list| token_in_list(list, value));
        }
        Features::from_flags(f)
    }

    /// Features on for the link: enabled locally and offered by the peer.
    pub fn intersect(self, other: Features) -> Features {
        let (a, b) = (self.flags(), other.flags());
        Features::from_flags([a[0] && b[0], a[1] && b[1], a[2] && b[2], a[3] && b[3]])
    }
}

/// rippled's `getFeatureValue`: the first place (unanchored, case-sensitive) where `name=` is
/// followed by at least one character that is neither `;` nor whitespace; returns that run.
/// Because the search is unanchored, `xcompr=lz4` also satisfies `compr` (§2.6).
pub fn feature_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    let pat = format!("{name}=");
    let mut from = 0;
    while let Some(pos) = header[from..].find(&pat) {
        let start = from + pos + pat.len();
        let run_len = header[start..]
            .find(|c: char| c == ';' || c.is_ascii_whitespace() || c == '\u{0B}')
            .unwrap_or(header.len() - start);
        if run_len > 0 {
            return Some(&header[start..start + run_len]);
        }
        from = from + pos + 1;
    }
    None
}
