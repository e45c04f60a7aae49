//! Raw mode for proxies: each complete reply's exact bytes, checked but not decoded.

use bytes::{Bytes, BytesMut};

use super::builder::Skip;
use super::decode::Decoder;
use super::limits::DecodeLimits;
use crate::ProtocolError;

/// The room the copy for the checker keeps between frames.
const SHADOW_KEPT: usize = 64 * 1024;

/// Finds and checks whole replies, and hands out each one's exact bytes.
///
/// A proxy forwards what the server sent without encoding it again: each complete
/// frame leaves the front of the caller's buffer as one [`Bytes`] (a zero-copy
/// slice), after the same checks and limits as [`Decoder`] (it runs one with the
/// [`Skip`] builder). Decode a frame's value when needed, for example with
/// [`decode_one`](super::decode_one).
///
/// The checking decoder reads a copy of the bytes (each byte is copied once), so the
/// caller's buffer is left whole until a frame is complete; a bulk still arriving is
/// held twice, once in each.
///
/// ```
/// use bytes::BytesMut;
/// use redis_sansio::resp::RawDecoder;
///
/// let mut raw = RawDecoder::new();
/// let mut buf = BytesMut::from(&b",1\r\n*1\r\n$1\r\na\r\n:"[..]);
/// assert_eq!(&raw.decode(&mut buf).unwrap().unwrap()[..], b",1\r\n");
/// assert_eq!(&raw.decode(&mut buf).unwrap().unwrap()[..], b"*1\r\n$1\r\na\r\n");
/// assert_eq!(raw.decode(&mut buf).unwrap(), None);
/// assert_eq!(&buf[..], b":"); // the start of the next frame stays
/// ```
#[derive(Debug)]
pub struct RawDecoder {
    checker: Decoder<Skip>,
    /// The bytes of the caller's buffer after `parsed` that the checker has been
    /// given and not consumed yet.
    shadow: BytesMut,
    /// Bytes at the front of the caller's buffer that the checker has consumed: the
    /// part of the current frame already checked.
    parsed: usize,
}

impl Default for RawDecoder {
    fn default() -> Self {
        RawDecoder::new()
    }
}

impl RawDecoder {
    /// A raw decoder with the default [`DecodeLimits`].
    pub fn new() -> Self {
        RawDecoder {
            checker: Decoder::with_builder(Skip),
            shadow: BytesMut::new(),
            parsed: 0,
        }
    }

    /// Replaces the limits. Call it before decoding.
    pub fn with_limits(mut self, limits: DecodeLimits) -> Self {
        self.checker = self.checker.with_limits(limits);
        self
    }

    /// Takes the next complete frame from the front of `buf`, as its exact bytes.
    ///
    /// `Ok(None)` when `buf` holds only part of one: the bytes stay in `buf` (do not
    /// remove them) and are not checked again. Errors are sticky, as
    /// [`Decoder`]'s.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, ProtocolError> {
        // What the checker has not been given yet.
        let given = self.parsed + self.shadow.len();
        if let Some(new) = buf.get(given..) {
            self.shadow.extend_from_slice(new);
        }
        let before = self.shadow.len();
        let done = self.checker.decode(&mut self.shadow)?;
        self.parsed += before - self.shadow.len();
        if done.is_none() {
            return Ok(None);
        }
        let frame = buf.split_to(self.parsed.min(buf.len())).freeze();
        self.parsed = 0;
        // Let go of the room a large frame needed rather than keep it.
        if self.shadow.capacity() > SHADOW_KEPT && self.shadow.len() <= SHADOW_KEPT {
            self.shadow = BytesMut::from(&self.shadow[..]);
        }
        Ok(Some(frame))
    }
}
