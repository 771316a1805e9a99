//! Frames of the peer protocol (overlay-wire.md §6): the 6-byte header, the 10-byte LZ4 header,
//! rippled's compression rule, the 64 MiB limit and a streaming decoder with bounded memory.
//!
//! This module owns bytes-to-frames and frames-to-bytes only. It does not know what a payload
//! means (see [`crate::messages`]) and never touches sockets or clocks.
//!
//! Memory rule of the decoder: storage grows only as bytes are pushed (a declared length is never
//! allocated up front), so its buffer stays within the bytes received plus [`MAX_BUFFER_SLACK`].
//! For LZ4 the declared uncompressed size is only allocated once the whole compressed payload has
//! arrived and only if that many compressed bytes could produce it ([`LZ4_MAX_RATIO`]).

use std::borrow::Cow;

use thiserror::Error;

use crate::network::FrameDialect;

/// Largest payload, compressed or not, a receiver accepts: 64 MiB (§6.4, rippled
/// `maximiumMessageSize`). Larger declared lengths close the connection.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024 * 1024;

/// Size of the uncompressed header: 4 length bytes + 2 type bytes (§6.1). Also the whole header
/// of the [`FrameDialect::Legacy32`] dialect.
pub const HEADER_BYTES: usize = 6;

/// Size of the LZ4 header: length, type, uncompressed length (§6.2).
pub const COMPRESSED_HEADER_BYTES: usize = 10;

/// Largest length a modern 26-bit length field can carry (§6.1, §6.2). A 64 MiB payload does not
/// fit, so the encoder refuses it uncompressed (rippled's writer would emit a header its own
/// reader rejects).
pub const MAX_LENGTH_26: usize = (1 << 26) - 1;

/// Byte 0 of a modern uncompressed header: these bits must be zero (§6.1, `byte0 & 0xFC`).
pub const UNCOMPRESSED_RESERVED_MASK: u8 = 0xFC;
/// Byte 0, bit 7: the frame is compressed (§6.2).
pub const COMPRESSED_FLAG: u8 = 0x80;
/// Byte 0, high nibble of a compressed frame: flag + algorithm; LZ4 is the only one (§6.2).
pub const ALGORITHM_MASK: u8 = 0xF0;
/// Value of [`ALGORITHM_MASK`] bits for LZ4 (§6.2).
pub const ALGORITHM_LZ4: u8 = 0x90;
/// Byte 0 bits 3–2 of a compressed frame: reserved, must be zero (§6.2).
pub const COMPRESSED_RESERVED_MASK: u8 = 0x0C;

/// rippled compresses only payloads strictly larger than this (§6.3).
pub const COMPRESSION_MIN_PAYLOAD: usize = 70;

/// Message types rippled compresses (§6.3): MANIFESTS, ENDPOINTS, TRANSACTION, GET_LEDGER,
/// LEDGER_DATA, GET_OBJECTS, VALIDATORLISTCOLLECTION, REPLAY_DELTA_RESPONSE, TRANSACTIONS.
pub const COMPRESSIBLE_TYPES: [u16; 9] = [2, 15, 30, 31, 32, 42, 56, 60, 64];

/// Upper bound of the LZ4 block format's expansion: every input byte yields at most 255 output
/// bytes (a run-length extension byte of 0xFF). A header declaring more than
/// `compressed × LZ4_MAX_RATIO` uncompressed bytes is a lie and is rejected before allocating.
pub const LZ4_MAX_RATIO: usize = 255;

/// How much spare capacity the decoder may hold beyond the bytes it has buffered. Growth is
/// geometric up to this step, then linear, so a slow 64 MiB frame costs no 64 MiB up front.
pub const MAX_BUFFER_SLACK: usize = 64 * 1024;

/// An idle decoder keeping more capacity than this gives it back.
pub const IDLE_BUFFER_KEEP: usize = 64 * 1024;

/// What was negotiated for one link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameOptions {
    /// Header layout of the network (from its profile).
    pub dialect: FrameDialect,
    /// `compr=lz4` was negotiated for this link (§2.6). Ignored for [`FrameDialect::Legacy32`].
    pub compression: bool,
}

impl FrameOptions {
    /// Modern framing; `compression` = whether `compr=lz4` was negotiated.
    pub fn modern(compression: bool) -> Self {
        FrameOptions { dialect: FrameDialect::Modern, compression }
    }

    /// divvyd/skywelld framing: 32-bit length, never compressed.
    pub fn legacy32() -> Self {
        FrameOptions { dialect: FrameDialect::Legacy32, compression: false }
    }

    fn lz4(&self) -> bool {
        self.compression && self.dialect == FrameDialect::Modern
    }
}

/// One decoded frame; `payload` is always the uncompressed protobuf bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// §7 type number.
    pub message_type: u16,
    /// Uncompressed payload.
    pub payload: Vec<u8>,
    /// It arrived LZ4-compressed.
    pub compressed: bool,
}

/// A decoded frame whose payload may borrow the decoder's buffer (no copy for uncompressed
/// frames). Valid until the next [`FrameDecoder::push`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRef<'a> {
    /// §7 type number.
    pub message_type: u16,
    /// Uncompressed payload.
    pub payload: Cow<'a, [u8]>,
    /// It arrived LZ4-compressed.
    pub compressed: bool,
}

impl FrameRef<'_> {
    /// Owned copy.
    pub fn into_owned(self) -> Frame {
        Frame {
            message_type: self.message_type,
            payload: self.payload.into_owned(),
            compressed: self.compressed,
        }
    }
}

/// Which length field broke the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthField {
    /// Bytes on the wire after the header.
    Payload,
    /// Declared uncompressed size of an LZ4 frame.
    Uncompressed,
}

/// A frame the peer should not have sent. Every decode variant closes the connection (§6.4).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    /// Uncompressed header with any of the top six bits set (§6.1; rippled: "no message").
    #[error("bad frame header: first byte {byte0:#04x} has reserved bits 0xFC set")]
    BadHeader {
        /// The offending first byte.
        byte0: u8,
    },
    /// Compressed header whose algorithm nibble is not LZ4 (§6.2).
    #[error("compressed frame with unknown algorithm: first byte {byte0:#04x} (only 0x9_ is LZ4)")]
    UnknownCompression {
        /// The offending first byte.
        byte0: u8,
    },
    /// Compressed header with reserved bits 0x0C set (§6.2).
    #[error("compressed frame header has reserved bits 0x0C set: first byte {byte0:#04x}")]
    ReservedBits {
        /// The offending first byte.
        byte0: u8,
    },
    /// A declared length over [`MAX_PAYLOAD_BYTES`] (§6.4).
    #[error("frame declares {declared} bytes ({field:?}), over the {limit}-byte limit")]
    TooLarge {
        /// Which length.
        field: LengthField,
        /// The declared value.
        declared: u64,
        /// [`MAX_PAYLOAD_BYTES`].
        limit: usize,
    },
    /// LZ4 frame on a link that did not negotiate `compr=lz4` (§2.6, §6.4).
    #[error("compressed frame (type {message_type}) on a link without compr=lz4")]
    CompressionNotNegotiated {
        /// §7 type number from the header.
        message_type: u16,
    },
    /// The declared uncompressed size cannot come from that many LZ4 bytes.
    #[error("LZ4 frame declares {uncompressed} bytes from {compressed} compressed bytes (max ratio 255)")]
    ImplausibleRatio {
        /// Compressed bytes on the wire.
        compressed: usize,
        /// Declared uncompressed size.
        uncompressed: usize,
    },
    /// LZ4 data invalid, empty, or not exactly the declared size (§6.3; rippled: bad message).
    #[error(
        "LZ4 payload of type {message_type} does not decompress to the declared {declared} bytes: {reason}"
    )]
    Decompress {
        /// §7 type number.
        message_type: u16,
        /// Declared uncompressed size.
        declared: usize,
        /// What went wrong.
        reason: String,
    },
    /// Encoder only: the payload cannot be framed (over the limit or the 26-bit length field).
    #[error("payload of {len} bytes cannot be framed (limit {limit})")]
    PayloadTooLarge {
        /// Payload length.
        len: usize,
        /// The limit that applied.
        limit: usize,
    },
}

/// A parsed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// §7 type number.
    pub message_type: u16,
    /// Header length (6 or 10).
    pub header_len: usize,
    /// Payload bytes on the wire.
    pub wire_len: usize,
    /// `Some(declared uncompressed size)` for an LZ4 frame.
    pub uncompressed_len: Option<usize>,
}

impl FrameHeader {
    /// Header + payload bytes.
    pub fn total_len(&self) -> usize {
        self.header_len + self.wire_len
    }
}

#[inline]
fn be32(b: &[u8]) -> usize {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
}

/// The 6-byte uncompressed header (both dialects), once its bytes are all there.
#[inline]
fn plain_header(bytes: &[u8]) -> Option<FrameHeader> {
    if bytes.len() < HEADER_BYTES {
        return None;
    }
    Some(FrameHeader {
        message_type: u16::from_be_bytes([bytes[4], bytes[5]]),
        header_len: HEADER_BYTES,
        wire_len: be32(bytes),
        uncompressed_len: None,
    })
}

/// Parses a header from the start of `bytes`. `Ok(None)`: more bytes needed. Checks follow
/// rippled's `parseMessageHeader` and `invokeProtocolMessage` order (§6.4): header shape, size
/// limits, then compression negotiation, then the LZ4 plausibility checks.
#[inline]
pub fn parse_header(bytes: &[u8], opts: &FrameOptions) -> Result<Option<FrameHeader>, FrameError> {
    let Some(&byte0) = bytes.first() else { return Ok(None) };
    let header = match opts.dialect {
        FrameDialect::Legacy32 => match plain_header(bytes) {
            Some(h) => h,
            None => return Ok(None),
        },
        FrameDialect::Modern if byte0 & COMPRESSED_FLAG != 0 => {
            if byte0 & COMPRESSED_RESERVED_MASK != 0 {
                return Err(FrameError::ReservedBits { byte0 });
            }
            if byte0 & ALGORITHM_MASK != ALGORITHM_LZ4 {
                return Err(FrameError::UnknownCompression { byte0 });
            }
            if bytes.len() < COMPRESSED_HEADER_BYTES {
                return Ok(None);
            }
            FrameHeader {
                message_type: u16::from_be_bytes([bytes[4], bytes[5]]),
                header_len: COMPRESSED_HEADER_BYTES,
                wire_len: be32(bytes) & 0x0FFF_FFFF,
                uncompressed_len: Some(be32(&bytes[6..])),
            }
        }
        FrameDialect::Modern => {
            if byte0 & UNCOMPRESSED_RESERVED_MASK != 0 {
                return Err(FrameError::BadHeader { byte0 });
            }
            match plain_header(bytes) {
                Some(h) => h,
                None => return Ok(None),
            }
        }
    };
    let too_large = |field, declared: usize| FrameError::TooLarge {
        field,
        declared: declared as u64,
        limit: MAX_PAYLOAD_BYTES,
    };
    if header.wire_len > MAX_PAYLOAD_BYTES {
        return Err(too_large(LengthField::Payload, header.wire_len));
    }
    if let Some(uncompressed) = header.uncompressed_len {
        if uncompressed > MAX_PAYLOAD_BYTES {
            return Err(too_large(LengthField::Uncompressed, uncompressed));
        }
        if !opts.lz4() {
            return Err(FrameError::CompressionNotNegotiated { message_type: header.message_type });
        }
        if header.wire_len == 0 || uncompressed == 0 {
            // rippled's lz4Decompress refuses sizes <= 0.
            return Err(FrameError::Decompress {
                message_type: header.message_type,
                declared: uncompressed,
                reason: "empty LZ4 payload".into(),
            });
        }
        if uncompressed > header.wire_len.saturating_mul(LZ4_MAX_RATIO) {
            return Err(FrameError::ImplausibleRatio { compressed: header.wire_len, uncompressed });
        }
    }
    Ok(Some(header))
}

/// Decompresses one LZ4 block into exactly `declared` bytes.
fn decompress(message_type: u16, input: &[u8], declared: usize) -> Result<Vec<u8>, FrameError> {
    let mut out = vec![0u8; declared];
    match lz4_flex::block::decompress_into(input, &mut out) {
        Ok(n) if n == declared => Ok(out),
        Ok(n) => {
            Err(FrameError::Decompress { message_type, declared, reason: format!("produced {n} bytes") })
        }
        Err(e) => Err(FrameError::Decompress { message_type, declared, reason: e.to_string() }),
    }
}

/// Decodes one frame from the start of `input` without buffering (payload borrowed when not
/// compressed). `Ok(None)`: incomplete. On success also returns the bytes consumed.
#[inline]
pub fn decode_frame<'a>(
    input: &'a [u8],
    opts: &FrameOptions,
) -> Result<Option<(FrameRef<'a>, usize)>, FrameError> {
    let Some(h) = parse_header(input, opts)? else { return Ok(None) };
    let total = h.total_len();
    if input.len() < total {
        return Ok(None);
    }
    let body = &input[h.header_len..total];
    let frame = match h.uncompressed_len {
        None => FrameRef { message_type: h.message_type, payload: Cow::Borrowed(body), compressed: false },
        Some(declared) => FrameRef {
            message_type: h.message_type,
            payload: Cow::Owned(decompress(h.message_type, body, declared)?),
            compressed: true,
        },
    };
    Ok(Some((frame, total)))
}

/// Streaming decoder for one direction of one link.
///
/// Feed bytes with [`push`](Self::push) in any chunking (one byte at a time is fine), then call
/// [`next_frame`](Self::next_frame) until it returns `Ok(None)`. After an error the decoder is
/// dead: it ignores further input and repeats the error; the caller closes the connection.
#[derive(Debug)]
pub struct FrameDecoder {
    opts: FrameOptions,
    buf: Vec<u8>,
    /// Start of the unconsumed bytes in `buf`.
    pos: usize,
    error: Option<FrameError>,
}

impl FrameDecoder {
    /// A decoder for a link with these options.
    pub fn new(opts: FrameOptions) -> Self {
        FrameDecoder { opts, buf: Vec::new(), pos: 0, error: None }
    }

    /// The options this decoder applies.
    pub fn options(&self) -> &FrameOptions {
        &self.opts
    }

    /// Appends received bytes. Cheap: nothing is parsed until [`next_frame`](Self::next_frame).
    pub fn push(&mut self, bytes: &[u8]) {
        if self.error.is_some() || bytes.is_empty() {
            return;
        }
        let unconsumed = self.buf.len() - self.pos;
        let needed = unconsumed + bytes.len();
        if self.pos > 0 && (needed > self.buf.capacity() || self.pos >= unconsumed) {
            // Compact before growing; also keeps the consumed prefix from piling up.
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        if needed > self.buf.capacity() {
            // Geometric while small, then in MAX_BUFFER_SLACK steps: capacity never exceeds the
            // buffered bytes by more than MAX_BUFFER_SLACK.
            let target = needed + needed.min(MAX_BUFFER_SLACK);
            self.buf.reserve_exact(target - self.buf.len());
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame, borrowing the buffer when it was not compressed.
    pub fn next_frame_ref(&mut self) -> Result<Option<FrameRef<'_>>, FrameError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let start = self.pos;
        let header = match parse_header(&self.buf[start..], &self.opts) {
            Ok(Some(h)) if self.buf.len() - start >= h.total_len() => h,
            Ok(_) => {
                self.shrink_if_idle();
                return Ok(None);
            }
            Err(e) => return Err(self.fail(e)),
        };
        self.pos += header.total_len();
        let body = start + header.header_len..start + header.total_len();
        let message_type = header.message_type;
        let Some(declared) = header.uncompressed_len else {
            return Ok(Some(FrameRef {
                message_type,
                payload: Cow::Borrowed(&self.buf[body]),
                compressed: false,
            }));
        };
        match decompress(message_type, &self.buf[body], declared) {
            Ok(payload) => {
                Ok(Some(FrameRef { message_type, payload: Cow::Owned(payload), compressed: true }))
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Zero-copy alternative to [`push`](Self::push) + [`next_frame_ref`](Self::next_frame_ref):
    /// takes bytes from the front of `input` (advancing it) and returns the next complete frame.
    ///
    /// Frames lying whole in `input` are returned borrowed from it, without touching the
    /// decoder's buffer; only a frame split across reads is copied (just the bytes it needs).
    /// `Ok(None)`: `input` is used up and the decoder holds a partial frame (or nothing). Call it
    /// in a loop until `Ok(None)` for each read. May be mixed with `push`.
    #[inline]
    pub fn decode_next<'s, 'i, 'o>(
        &'s mut self,
        input: &mut &'i [u8],
    ) -> Result<Option<FrameRef<'o>>, FrameError>
    where
        's: 'o,
        'i: 'o,
    {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.buffered_len() > 0 {
            loop {
                let want = self.bytes_wanted()?;
                if want == 0 {
                    return self.next_frame_ref();
                }
                if input.is_empty() {
                    return Ok(None);
                }
                let take = want.min(input.len());
                self.push(&input[..take]);
                *input = &input[take..];
            }
        }
        let data: &'i [u8] = input;
        match decode_frame(data, &self.opts) {
            Ok(Some((frame, used))) => {
                *input = &data[used..];
                Ok(Some(frame))
            }
            Ok(None) => {
                self.push(data);
                *input = &data[data.len()..];
                Ok(None)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Bytes still missing before the buffered frame (or its header) is complete; 0 = complete.
    fn bytes_wanted(&mut self) -> Result<usize, FrameError> {
        let have = self.buffered_len();
        match parse_header(&self.buf[self.pos..], &self.opts) {
            Ok(Some(h)) => Ok(h.total_len().saturating_sub(have)),
            Ok(None) => {
                let compressed = self.opts.dialect == FrameDialect::Modern
                    && self.buf.get(self.pos).is_some_and(|b| b & COMPRESSED_FLAG != 0);
                let header_len = if compressed { COMPRESSED_HEADER_BYTES } else { HEADER_BYTES };
                Ok(header_len.saturating_sub(have).max(1))
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    fn fail(&mut self, e: FrameError) -> FrameError {
        self.error = Some(e.clone());
        self.buf = Vec::new();
        self.pos = 0;
        e
    }

    /// The next complete frame (owned), `Ok(None)` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        self.next_frame_ref().map(|f| f.map(FrameRef::into_owned))
    }

    /// Bytes received but not yet returned as frames.
    #[inline]
    pub fn buffered_len(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Heap bytes held by the decoder (for the memory bound; see [`MAX_BUFFER_SLACK`]).
    pub fn buffered_capacity(&self) -> usize {
        self.buf.capacity()
    }

    fn shrink_if_idle(&mut self) {
        if self.pos == self.buf.len() && self.buf.capacity() > IDLE_BUFFER_KEEP {
            self.buf = Vec::new();
            self.pos = 0;
        }
    }
}

/// Whether rippled's sender rule (§6.3) would compress this payload on a link with `opts`, before
/// looking at the compressed size.
#[inline]
pub fn should_try_compression(message_type: u16, payload_len: usize, opts: &FrameOptions) -> bool {
    opts.lz4() && payload_len > COMPRESSION_MIN_PAYLOAD && COMPRESSIBLE_TYPES.contains(&message_type)
}

/// Appends one frame to `out`, compressing exactly when rippled would (§6.3): LZ4 negotiated,
/// payload > 70 bytes, type in [`COMPRESSIBLE_TYPES`], and compressed size < payload − 4.
/// Returns whether the frame was written compressed.
#[inline]
pub fn encode_frame(
    message_type: u16,
    payload: &[u8],
    opts: &FrameOptions,
    out: &mut Vec<u8>,
) -> Result<bool, FrameError> {
    let len = payload.len();
    if len > MAX_PAYLOAD_BYTES {
        return Err(FrameError::PayloadTooLarge { len, limit: MAX_PAYLOAD_BYTES });
    }
    let start = out.len();
    if should_try_compression(message_type, len, opts) {
        let bound = lz4_flex::block::get_maximum_output_size(len);
        out.resize(start + COMPRESSED_HEADER_BYTES + bound, 0);
        let written = lz4_flex::block::compress_into(payload, &mut out[start + COMPRESSED_HEADER_BYTES..]);
        match written {
            Ok(n) if n < len - (COMPRESSED_HEADER_BYTES - HEADER_BYTES) && n <= MAX_LENGTH_26 => {
                out.truncate(start + COMPRESSED_HEADER_BYTES + n);
                let header = &mut out[start..start + COMPRESSED_HEADER_BYTES];
                header[0..4].copy_from_slice(&(n as u32).to_be_bytes());
                header[0] |= ALGORITHM_LZ4;
                header[4..6].copy_from_slice(&message_type.to_be_bytes());
                header[6..10].copy_from_slice(&(len as u32).to_be_bytes());
                return Ok(true);
            }
            _ => out.truncate(start),
        }
    }
    let limit = match opts.dialect {
        FrameDialect::Modern => MAX_LENGTH_26,
        FrameDialect::Legacy32 => MAX_PAYLOAD_BYTES,
    };
    if len > limit {
        return Err(FrameError::PayloadTooLarge { len, limit });
    }
    let mut header = [0u8; HEADER_BYTES];
    header[0..4].copy_from_slice(&(len as u32).to_be_bytes());
    header[4..6].copy_from_slice(&message_type.to_be_bytes());
    out.reserve(HEADER_BYTES + len);
    out.extend_from_slice(&header);
    out.extend_from_slice(payload);
    Ok(false)
}
