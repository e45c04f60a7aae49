//! The server side: decoding what clients send, exactly as Redis reads it.
//!
//! Clients send either a RESP array of bulk strings or an inline command (a line of
//! space-separated words, as typed into `telnet`). [`RequestDecoder`] accepts both and
//! follows Redis's own reader (`processMultibulkBuffer` and `processInlineBuffer` in
//! `networking.c`, Redis 7.0) byte for byte, so a proxy in front of Redis sees the
//! same commands Redis would, and a server answers bad input with Redis's own error.
//! Replies go back with [`encode_frame`](super::encode_frame) or
//! [`encode_frame_resp2`](super::encode_frame_resp2).

use bytes::{Buf, Bytes, BytesMut};

use super::inline;
use super::limits::RequestLimits;
use super::number::string2ll;
use crate::ProtocolError;

mod error_reply;
mod parsed;

pub use parsed::{Request, RequestArgs};

/// What Redis allows a client that has not authenticated yet: at most this many
/// arguments ...
const UNAUTHENTICATED_MAX_ARGS: i64 = 10;
/// ... each at most this long.
const UNAUTHENTICATED_MAX_BULK_LEN: i64 = 16 * 1024;

/// Decodes client requests, one command per call, as Redis reads them.
///
/// Feed it the same [`BytesMut`] each time, with newly received bytes appended at the
/// end. A complete request leaves the front of the buffer as one [`Request`]: its
/// exact wire bytes (for a proxy to forward unchanged) and its arguments, zero-copy
/// slices of them. The bytes of a request still arriving stay in the buffer, where the
/// decoder has already parsed them (it never rescans), so the caller must not remove
/// them; the memory a request takes is its own wire bytes and nothing per argument.
///
/// What Redis does, this does:
/// - A request starting with `*` is an array of bulk strings; a count of zero or less
///   (`*0`, `*-1`, `*-10`) is skipped. Anything else is an inline command: a line
///   split with Redis's quoting rules; an empty line is skipped.
/// - The CR ending a count or length line is found first and the byte after it is
///   not checked; neither are the two bytes after an argument's payload.
/// - A NUL byte ends Redis's search for a line end (it uses `strchr`), so a line with
///   a NUL before its end never completes: the request waits until the inline limit
///   is exceeded, then fails.
///
/// Errors are sticky. On one, answer as Redis does: write
/// [`ProtocolError::redis_reply`] (when it has one) after the replies to every
/// request decoded before, read nothing more, and close the connection once the reply
/// is written. Redis closes without a reply only when the query buffer limit
/// ([`RequestLimits::max_request_size`]) is exceeded.
///
/// ```
/// use bytes::BytesMut;
/// use redis_sansio::resp::RequestDecoder;
///
/// let mut decoder = RequestDecoder::new();
/// let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nSET \"a b\" 1\r\n*1\r\nfoo\r\n"[..]);
/// let get = decoder.decode_request(&mut buf).unwrap().unwrap();
/// assert_eq!(get.args().collect::<Vec<_>>(), [&b"GET"[..], b"k"]);
/// assert_eq!(&get.raw()[..], b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
/// assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), ["SET", "a b", "1"]);
/// let error = decoder.decode(&mut buf).unwrap_err();
/// assert_eq!(
///     error.redis_reply().unwrap(),
///     &b"-ERR Protocol error: expected '$', got 'f'\r\n"[..]
/// );
/// ```
#[derive(Debug, Default)]
pub struct RequestDecoder {
    limits: RequestLimits,
    /// Redis's stricter limits for clients that have not authenticated.
    unauthenticated: bool,
    /// The multibulk request in progress, if any.
    multibulk: Option<Multibulk>,
    /// Where the search for the current line's end resumes, from the buffer's front.
    scanned: usize,
    error: Option<ProtocolError>,
}

/// A multibulk request whose header has been read; its bytes are still at the front
/// of the buffer.
#[derive(Debug, Clone, Copy)]
struct Multibulk {
    /// Arguments announced.
    count: usize,
    /// Arguments still to read.
    remaining: usize,
    /// Where the first argument's header starts.
    first: usize,
    /// How many bytes of the request have been parsed.
    parsed: usize,
    /// The length of the argument whose header has been parsed, if any.
    bulk_len: Option<usize>,
}

/// Where the line starting at some position ends, as far as the buffer shows.
enum LineEnd {
    /// The line end's byte is at this position.
    At(usize),
    /// Not in the buffer yet: wait.
    NotYet,
}

impl RequestDecoder {
    /// A decoder with the default [`RequestLimits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the limits. Call it before decoding.
    pub fn with_limits(mut self, limits: RequestLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &RequestLimits {
        &self.limits
    }

    /// Applies (with `false`) or lifts (with `true`, the default) Redis's limits for a
    /// client that has not authenticated on a server with a password: at most 10
    /// arguments of at most 16 KiB each. A server calls it as its client's
    /// authentication state changes; it applies from the next header read.
    pub fn set_authenticated(&mut self, authenticated: bool) {
        self.unauthenticated = !authenticated;
    }

    /// The error that stopped this decoder, if one has.
    pub fn error(&self) -> Option<&ProtocolError> {
        self.error.as_ref()
    }

    /// How long the buffer must be (from its front) before the request in progress can
    /// complete, when an argument's length is known: the bytes parsed so far, that
    /// argument's payload and its line end. Reserve that much once to receive a large
    /// argument without growing the buffer step by step. `None` otherwise.
    pub fn needed(&self) -> Option<usize> {
        let multibulk = self.multibulk.as_ref()?;
        Some(multibulk.parsed + multibulk.bulk_len? + 2)
    }

    /// Decodes the next complete request from the front of `buf`, as its arguments.
    ///
    /// The convenience form of [`decode_request`](Self::decode_request): each
    /// argument becomes its own [`Bytes`] (32 bytes each, beside the shared payload).
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        Ok(self.decode_request(buf)?.map(Request::into_args))
    }

    /// Decodes the next complete request from the front of `buf`.
    ///
    /// Returns the request, `Ok(None)` when more bytes are needed (the partial request
    /// stays in `buf`), or the error that makes the stream unreadable. Errors are
    /// sticky: once one is returned, every later call returns it.
    pub fn decode_request(&mut self, buf: &mut BytesMut) -> Result<Option<Request>, ProtocolError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let result = self.next_request(buf);
        let result = match result {
            // Redis's query buffer limit: what is buffered of an incomplete request.
            Ok(None) if buf.len() > self.limits.max_request_size => {
                Err(ProtocolError::FrameTooLarge {
                    limit: self.limits.max_request_size,
                })
            }
            other => other,
        };
        if let Err(error) = &result {
            self.error = Some(error.clone());
        }
        result
    }

    fn next_request(&mut self, buf: &mut BytesMut) -> Result<Option<Request>, ProtocolError> {
        loop {
            if self.multibulk.is_none() {
                let Some(&first) = buf.first() else {
                    return Ok(None);
                };
                if first != b'*' {
                    match self.inline(buf)? {
                        None => return Ok(None),
                        Some(request) if request.is_empty() => continue,
                        Some(request) => return Ok(Some(request)),
                    }
                }
                if !self.multibulk_header(buf)? {
                    return Ok(None);
                }
                if self.multibulk.is_none() {
                    continue; // a count of zero or less: skipped
                }
            }
            return self.arguments(buf);
        }
    }

    /// Finds the line end `end` (CR for headers, LF for inline lines) from `start`,
    /// resuming the scan where the last call stopped. A NUL byte ends the search, as
    /// `strchr` does in Redis: past one, the line never ends.
    fn find(&mut self, buf: &[u8], start: usize, end: u8) -> LineEnd {
        // Bounded by the buffer, should a caller have shortened it (which it must not).
        let from = self.scanned.max(start).min(buf.len());
        match memchr::memchr2(end, 0, &buf[from..]) {
            Some(offset) if buf[from + offset] == end => LineEnd::At(from + offset),
            Some(offset) => {
                self.scanned = from + offset; // stuck on the NUL
                LineEnd::NotYet
            }
            None => {
                self.scanned = buf.len();
                LineEnd::NotYet
            }
        }
    }

    /// `*N`: reads the count line. True once it is read (and the request started, or
    /// skipped when empty); false when more bytes are needed.
    fn multibulk_header(&mut self, buf: &mut BytesMut) -> Result<bool, ProtocolError> {
        let LineEnd::At(cr) = self.find(buf, 0, b'\r') else {
            if buf.len() > self.limits.max_inline_len {
                return Err(ProtocolError::MultibulkCountTooLong);
            }
            return Ok(false);
        };
        if cr > self.limits.max_inline_len {
            return Err(ProtocolError::MultibulkCountTooLong);
        }
        // Redis needs the byte after CR to be there, whatever it is.
        if buf.len() < cr + 2 {
            self.scanned = cr;
            return Ok(false);
        }
        self.scanned = 0;
        let count = string2ll(&buf[1..cr]).ok_or(ProtocolError::InvalidMultibulkLength)?;
        let most = i64::try_from(self.limits.max_args.min(i32::MAX as usize)).unwrap_or(0);
        if count > most {
            return Err(ProtocolError::InvalidMultibulkLength);
        }
        if self.unauthenticated && count > UNAUTHENTICATED_MAX_ARGS {
            return Err(ProtocolError::UnauthenticatedMultibulkLength);
        }
        if count <= 0 {
            buf.advance(cr + 2);
            return Ok(true);
        }
        self.multibulk = Some(Multibulk {
            // Positive and at most `i32::MAX`.
            count: count as usize,
            remaining: count as usize,
            first: cr + 2,
            parsed: cr + 2,
            bulk_len: None,
        });
        Ok(true)
    }

    /// Reads the arguments of the multibulk request in progress, and returns it once
    /// all are in.
    fn arguments(&mut self, buf: &mut BytesMut) -> Result<Option<Request>, ProtocolError> {
        let Some(mut request) = self.multibulk else {
            return Ok(None);
        };
        let result = self.read_arguments(buf, &mut request);
        self.multibulk = Some(request);
        if !result? {
            return Ok(None);
        }
        self.multibulk = None;
        if request.parsed > self.limits.max_request_size {
            return Err(ProtocolError::FrameTooLarge {
                limit: self.limits.max_request_size,
            });
        }
        let raw = buf.split_to(request.parsed).freeze();
        Ok(Some(Request::multibulk(raw, request.count, request.first)))
    }

    /// True once every argument of `request` is in the buffer.
    fn read_arguments(
        &mut self,
        buf: &[u8],
        request: &mut Multibulk,
    ) -> Result<bool, ProtocolError> {
        while request.remaining > 0 {
            let len = match request.bulk_len {
                Some(len) => len,
                None => {
                    let len = self.bulk_header(buf, request.parsed)?;
                    let Some((len, end)) = len else {
                        return Ok(false);
                    };
                    request.parsed = end;
                    request.bulk_len = Some(len);
                    len
                }
            };
            // The payload, then two bytes Redis skips without looking at them.
            let end = request.parsed + len + 2;
            if buf.len() < end {
                return Ok(false);
            }
            request.parsed = end;
            request.bulk_len = None;
            request.remaining -= 1;
        }
        Ok(true)
    }

    /// `$N` at `start`: the argument's length and where its payload starts, or `None`
    /// when more bytes are needed.
    fn bulk_header(
        &mut self,
        buf: &[u8],
        start: usize,
    ) -> Result<Option<(usize, usize)>, ProtocolError> {
        if buf.len() <= start {
            return Ok(None);
        }
        let LineEnd::At(cr) = self.find(buf, start, b'\r') else {
            if buf.len() - start > self.limits.max_inline_len {
                return Err(ProtocolError::BulkCountTooLong);
            }
            return Ok(None);
        };
        if cr - start > self.limits.max_inline_len {
            return Err(ProtocolError::BulkCountTooLong);
        }
        if buf.len() < cr + 2 {
            self.scanned = cr;
            return Ok(None);
        }
        self.scanned = 0;
        if buf[start] != b'$' {
            return Err(ProtocolError::ExpectedBulk(buf[start]));
        }
        let most = i64::try_from(self.limits.max_bulk_len).unwrap_or(i64::MAX);
        let len = match string2ll(&buf[start + 1..cr]) {
            Some(len) if (0..=most).contains(&len) => len,
            _ => return Err(ProtocolError::InvalidBulkLength),
        };
        if self.unauthenticated && len > UNAUTHENTICATED_MAX_BULK_LEN {
            return Err(ProtocolError::UnauthenticatedBulkLength);
        }
        // At most `max_bulk_len`, a usize.
        Ok(Some((len as usize, cr + 2)))
    }

    /// An inline command: the request once its line is complete (with no arguments
    /// for a blank line).
    fn inline(&mut self, buf: &mut BytesMut) -> Result<Option<Request>, ProtocolError> {
        let max = self.limits.max_inline_len;
        let LineEnd::At(lf) = self.find(buf, 0, b'\n') else {
            // A trailing CR may be the start of the line ending.
            let pending = buf.len() - usize::from(buf.last() == Some(&b'\r'));
            if pending > max {
                return Err(ProtocolError::InlineTooLong { limit: max });
            }
            return Ok(None);
        };
        let end = if lf > 0 && buf[lf - 1] == b'\r' {
            lf - 1
        } else {
            lf
        };
        if end > max {
            return Err(ProtocolError::InlineTooLong { limit: max });
        }
        self.scanned = 0;
        let raw = buf.split_to(lf + 1).freeze();
        let args = inline::split(&raw.slice(..end))?;
        Ok(Some(Request::inline(raw, args)))
    }
}
