//! HTTP/1.1 heads of the upgrade exchange: incremental parsing of a request or response head
//! (overlay-wire.md §2.1–2.3, §2.5), the header map and request classification (§2.3 checks 1–2,
//! §13.4).
//!
//! Owns bytes → head values and their size limits. Knows nothing about keys or negotiation
//! beyond asking [`super::negotiate`] whether an `Upgrade` value names a version.

use crate::network::NetworkProfile;

use super::negotiate::{parse_versions, token_in_list};

/// Largest request or response head we accept, request line and blank line included.
/// rippled reads heads with beast's default limit of 8 KiB; the conformance suite saw ~7.7 KB
/// accepted and ~8 KB refused (overlay-wire.md §2.3).
pub const MAX_HEAD_BYTES: usize = 8192;

/// Most header fields one head may carry. beast has no count limit of its own (only the byte
/// limit above); rippled sends 16 at most, so 64 leaves room for proxies and extensions while
/// bounding the parser's work (overlay-wire.md §2.1: unknown headers must be ignored, not refused).
pub const MAX_HEADERS: usize = 64;

/// Why a head could not be read. The caller closes the connection without an HTTP answer,
/// as rippled does when beast's parser fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    #[error("HTTP head exceeds {MAX_HEAD_BYTES} bytes")]
    TooLarge,
    #[error("HTTP head has more than {MAX_HEADERS} header fields")]
    TooManyHeaders,
    #[error("malformed HTTP head: {0}")]
    Malformed(String),
}

/// Result of feeding bytes to a head parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// More bytes are needed; nothing was consumed.
    Partial,
    /// The head is complete and took the first `consumed` bytes of the input.
    Complete { head: T, consumed: usize },
}

/// Header fields in the order received. Names compare case-insensitively (HTTP); lookups
/// return the first field of a name, as beast's `fields::find` does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    fields: Vec<(String, String)>,
}

impl Headers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Append a field; the value is stored without surrounding whitespace.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let value: String = value.into();
        self.fields.push((name.into(), value.trim().to_string()));
    }

    /// First value of `name`, compared case-insensitively.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn from_httparse(raw: &[httparse::Header<'_>]) -> Self {
        let mut h = Headers::new();
        for f in raw {
            // Header values are opaque octets in HTTP; non-UTF-8 bytes (obs-text in a
            // User-Agent, say) are tolerated rather than refused, like beast does.
            h.push(f.name, String::from_utf8_lossy(f.value));
        }
        h
    }
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    pub target: String,
    /// Minor HTTP version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    pub http_minor: u8,
    pub headers: Headers,
}

/// A parsed response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub http_minor: u8,
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
}

fn map_err(e: httparse::Error) -> HeadError {
    match e {
        httparse::Error::TooManyHeaders => HeadError::TooManyHeaders,
        other => HeadError::Malformed(other.to_string()),
    }
}

fn check_size<T>(
    buf: &[u8],
    status: httparse::Status<usize>,
    head: impl FnOnce() -> T,
) -> Result<Parsed<T>, HeadError> {
    match status {
        httparse::Status::Complete(n) if n > MAX_HEAD_BYTES => Err(HeadError::TooLarge),
        httparse::Status::Complete(n) => Ok(Parsed::Complete { head: head(), consumed: n }),
        httparse::Status::Partial if buf.len() >= MAX_HEAD_BYTES => Err(HeadError::TooLarge),
        httparse::Status::Partial => Ok(Parsed::Partial),
    }
}

/// Parse a request head from the bytes received so far. Call again with more bytes on
/// [`Parsed::Partial`]; the parse is restartable and holds no state.
pub fn parse_request(buf: &[u8]) -> Result<Parsed<RequestHead>, HeadError> {
    let mut raw = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut raw);
    let status = req.parse(buf).map_err(map_err)?;
    check_size(buf, status, || RequestHead {
        method: req.method.unwrap_or_default().to_string(),
        target: req.path.unwrap_or_default().to_string(),
        http_minor: req.version.unwrap_or(0),
        headers: Headers::from_httparse(req.headers),
    })
}

/// Parse a response head from the bytes received so far (see [`parse_request`]).
pub fn parse_response(buf: &[u8]) -> Result<Parsed<ResponseHead>, HeadError> {
    let mut raw = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut raw);
    let status = resp.parse(buf).map_err(map_err)?;
    check_size(buf, status, || ResponseHead {
        http_minor: resp.version.unwrap_or(0),
        status: resp.code.unwrap_or(0),
        reason: resp.reason.unwrap_or_default().to_string(),
        headers: Headers::from_httparse(resp.headers),
    })
}

/// What an inbound request asks for (overlay-wire.md §2.3 checks 1–2, §13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestKind {
    /// `GET /crawl` (§13.1), whatever its upgrade headers say.
    Crawl,
    /// `GET /health` (§13.2).
    Health,
    /// `/vl/…` (§13.3); carries the target.
    ValidatorList(String),
    /// A peer upgrade (§2.3 check 2). The target is not checked, as in rippled.
    PeerUpgrade,
    /// Anything else: a peer-only port answers 403 and closes (§13.4).
    Other,
}

/// Classify a request the way rippled's `OverlayImpl::processRequest` + `isPeerUpgrade` do:
/// endpoints first by exact target, then the upgrade test: HTTP ≥ 1.1, `GET`, `Connection`
/// listing `upgrade` (case-insensitive) and `Upgrade` naming ≥ 1 version of the profile's family.
pub fn classify_request(req: &RequestHead, profile: &NetworkProfile) -> RequestKind {
    match req.target.as_str() {
        "/crawl" => return RequestKind::Crawl,
        "/health" => return RequestKind::Health,
        t if t.starts_with("/vl/") => return RequestKind::ValidatorList(t.to_string()),
        _ => {}
    }
    if is_peer_upgrade(req, profile) {
        RequestKind::PeerUpgrade
    } else {
        RequestKind::Other
    }
}

/// §2.3 check 2.
pub fn is_peer_upgrade(req: &RequestHead, profile: &NetworkProfile) -> bool {
    req.http_minor >= 1
        && req.method == "GET"
        && req.headers.get("Connection").is_some_and(|c| token_in_list(c, "upgrade"))
        && req.headers.get("Upgrade").is_some_and(|u| !parse_versions(u, profile.upgrade_family()).is_empty())
}
