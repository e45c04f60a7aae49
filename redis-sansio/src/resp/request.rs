//! The server side: decoding what clients send.
//!
//! Clients send either a RESP array of bulk strings or an inline command (a line of
//! space-separated words, as typed into `telnet`). [`RequestDecoder`] accepts both,
//! as Redis does, so a proxy or a RESP server can sit on this crate. Replies go back
//! with [`encode_frame`](super::encode_frame) or
//! [`encode_frame_resp2`](super::encode_frame_resp2).

use bytes::{Buf, Bytes, BytesMut};

use super::inline;
use super::limits::RequestLimits;
use super::number::{self, Length};
use crate::ProtocolError;

/// Decodes client requests, one command (its arguments) per call.
///
/// Like [`Decoder`](super::Decoder), it consumes parsed bytes from the front of the
/// buffer, keeps partial requests in its own state, never rescans, and is sticky on
/// errors. Empty requests (`*0`, blank lines) are skipped, as Redis skips them.
///
/// ```
/// use bytes::BytesMut;
/// use redis_sansio::resp::RequestDecoder;
///
/// let mut decoder = RequestDecoder::new();
/// let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nSET \"a b\" 1\r\n"[..]);
/// assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), ["GET", "k"]);
/// assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), ["SET", "a b", "1"]);
/// assert_eq!(decoder.decode(&mut buf).unwrap(), None);
/// ```
#[derive(Debug, Default)]
pub struct RequestDecoder {
    limits: RequestLimits,
    /// The multibulk request in progress, if any.
    partial: Option<PartialRequest>,
    /// Bytes of the current request consumed so far.
    request_bytes: usize,
    /// Bytes of an incomplete inline line already searched for LF.
    line_scanned: usize,
    error: Option<ProtocolError>,
}

#[derive(Debug)]
struct PartialRequest {
    args: Vec<Bytes>,
    remaining: usize,
    /// The length of the argument whose header has been consumed.
    bulk_len: Option<usize>,
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

    /// Decodes the next complete request from the front of `buf`.
    ///
    /// Returns its arguments (command name first), `Ok(None)` when more bytes are
    /// needed, or the error that makes the stream unreadable. Errors are sticky.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let result = self.decode_request(buf);
        if let Err(error) = &result {
            self.error = Some(error.clone());
        } else if self.request_bytes.saturating_add(buf.len()) > self.limits.max_request_size
            && matches!(result, Ok(None))
        {
            let error = ProtocolError::FrameTooLarge {
                limit: self.limits.max_request_size,
            };
            self.error = Some(error.clone());
            return Err(error);
        }
        result
    }

    fn decode_request(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        loop {
            if self.partial.is_none() {
                let Some(&first) = buf.first() else {
                    return Ok(None);
                };
                let started = if first == b'*' {
                    self.multibulk_header(buf)?
                } else {
                    match self.inline_line(buf)? {
                        None => return Ok(None),
                        Some(args) if args.is_empty() => continue,
                        Some(args) => {
                            self.request_bytes = 0;
                            return Ok(Some(args));
                        }
                    }
                };
                match started {
                    None => return Ok(None),
                    Some(false) => continue, // an empty request: skip it
                    Some(true) => {}
                }
            }
            if !self.bulk_args(buf)? {
                return Ok(None);
            }
            if let Some(done) = self.partial.take() {
                self.request_bytes = 0;
                return Ok(Some(done.args));
            }
        }
    }

    /// `*N`: starts a multibulk request. `Some(false)` for an empty one.
    fn multibulk_header(&mut self, buf: &mut BytesMut) -> Result<Option<bool>, ProtocolError> {
        let Some((length, end)) = number::length_line(buf, 1, false)? else {
            return Ok(None);
        };
        self.consume(buf, end);
        let count = match length {
            Length::Count(0) | Length::Null => {
                self.request_bytes = 0;
                return Ok(Some(false));
            }
            Length::Count(n) if n > self.limits.max_args as u64 => {
                return Err(ProtocolError::AggregateTooLong {
                    len: n,
                    limit: self.limits.max_args,
                });
            }
            Length::Count(n) => n as usize,
            Length::Streamed => return Err(ProtocolError::InvalidLength),
        };
        // Each argument takes at least `$0\r\n\r\n`: allocate for what is here.
        let capacity = count.min(buf.len() / 6);
        self.partial = Some(PartialRequest {
            args: Vec::with_capacity(capacity),
            remaining: count,
            bulk_len: None,
        });
        Ok(Some(true))
    }

    /// Reads the arguments of the multibulk request in progress. True once all are in.
    fn bulk_args(&mut self, buf: &mut BytesMut) -> Result<bool, ProtocolError> {
        let max_bulk_len = self.limits.max_bulk_len;
        loop {
            let Some(partial) = self.partial.as_mut() else {
                return Ok(true);
            };
            if partial.remaining == 0 {
                return Ok(true);
            }
            let len = match partial.bulk_len {
                Some(len) => len,
                None => {
                    let Some(&first) = buf.first() else {
                        return Ok(false);
                    };
                    if first != b'$' {
                        return Err(ProtocolError::ExpectedBulk(first));
                    }
                    let Some((length, end)) = number::length_line(buf, 1, false)? else {
                        return Ok(false);
                    };
                    let len = match length {
                        Length::Count(n) if n > max_bulk_len as u64 => {
                            return Err(ProtocolError::BulkTooLong {
                                len: n,
                                limit: max_bulk_len,
                            });
                        }
                        Length::Count(n) => n as usize,
                        Length::Null | Length::Streamed => {
                            return Err(ProtocolError::InvalidLength);
                        }
                    };
                    partial.bulk_len = Some(len);
                    self.consume(buf, end);
                    len
                }
            };
            if buf.len() < 2 || buf.len() - 2 < len {
                return Ok(false);
            }
            if &buf[len..len + 2] != b"\r\n" {
                return Err(ProtocolError::ExpectedCrlf);
            }
            let arg = buf.split_to(len).freeze();
            self.consume(buf, 2);
            self.request_bytes += len;
            if let Some(partial) = self.partial.as_mut() {
                partial.args.push(arg);
                partial.remaining -= 1;
                partial.bulk_len = None;
            }
        }
    }

    /// An inline command: its arguments once its line is complete.
    fn inline_line(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let max = self.limits.max_inline_len;
        let from = self.line_scanned;
        let Some(lf) = memchr::memchr(b'\n', &buf[from..]).map(|i| from + i) else {
            // A trailing CR may be the start of the line ending.
            let pending = buf.len() - usize::from(buf.last() == Some(&b'\r'));
            if pending > max {
                return Err(ProtocolError::InlineTooLong { limit: max });
            }
            self.line_scanned = buf.len();
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
        let line = buf.split_to(lf + 1).freeze().slice(..end);
        self.line_scanned = 0;
        inline::split(&line).map(Some)
    }

    fn consume(&mut self, buf: &mut BytesMut, n: usize) {
        buf.advance(n);
        self.request_bytes += n;
        self.line_scanned = 0;
    }
}
