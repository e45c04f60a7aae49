//! The incremental reply decoder.
//!
//! Modelled on hiredis's reader: the decoder keeps a stack of open aggregates between
//! calls, consumes each element from the front of the buffer as soon as it is complete,
//! and so never parses a byte twice however the input is split. No recursion: nesting
//! lives on a heap stack bounded by [`DecodeLimits::max_depth`].

use bytes::{Buf, Bytes, BytesMut};

use super::builder::{AggregateKind, Builder, FrameBuilder, NullKind};
use super::double::Double;
use super::frame::Frame;
use super::limits::DecodeLimits;
use super::number::{self, Length};
use crate::ProtocolError;

mod progress;
mod run;

/// Open aggregates whose room the decoder keeps between frames; a deeper frame's
/// stack is freed once it is complete.
const STACK_KEPT: usize = 64;

/// Decodes RESP2 and RESP3 values from a growing buffer, one complete value per call.
///
/// Feed it the same [`BytesMut`] each time, with newly received bytes appended at the
/// end. [`Decoder::decode`] removes what it has parsed from the front of the buffer, so
/// bulk payloads come out as [`Bytes`] slices sharing the buffer's memory (a top-level
/// `+OK`, the commonest reply, as a static `Bytes`), and keeps partial aggregates in
/// its own state until their last element arrives.
///
/// The decoder accepts every RESP2 and RESP3 type on any connection (a RESP3 client can
/// still meet RESP2 nulls). What each value becomes is up to the [`Builder`]: by default
/// a [`Frame`].
///
/// ```
/// use bytes::BytesMut;
/// use redis_sansio::resp::{Decoder, Frame};
///
/// let mut decoder = Decoder::new();
/// let mut buf = BytesMut::from(&b"*2\r\n$5\r\nhel"[..]);
/// assert_eq!(decoder.decode(&mut buf), Ok(None)); // waiting for the rest
/// buf.extend_from_slice(b"lo\r\n:42\r\n");
/// assert_eq!(
///     decoder.decode(&mut buf),
///     Ok(Some(Frame::Array(vec![Frame::bulk("hello"), Frame::Integer(42)])))
/// );
/// assert!(buf.is_empty());
/// ```
#[derive(Debug)]
pub struct Decoder<B: Builder = FrameBuilder> {
    builder: B,
    limits: DecodeLimits,
    /// Open aggregates and attribute maps, innermost last.
    stack: Vec<Open<B::Value, B::Partial>>,
    /// A length-prefixed payload whose header is consumed but whose bytes are not.
    payload: Option<Payload>,
    /// The chunks of the streamed string in progress.
    stream: Option<StreamedString>,
    /// Bytes of the current top-level frame consumed so far.
    frame_bytes: usize,
    /// Values placed in the current top-level frame's aggregates so far.
    frame_values: usize,
    /// Bytes of the incomplete line at the front of the buffer already searched for CRLF.
    line_scanned: usize,
    /// The first error; every later call returns it again.
    error: Option<ProtocolError>,
    /// Scratch space for [`Decoder::take_run`], kept to reuse its allocation.
    spans: Vec<run::Span>,
}

/// An entry of the decoder's stack.
#[derive(Debug)]
enum Open<V, P> {
    /// An aggregate waiting for elements.
    Aggregate {
        kind: AggregateKind,
        remaining: Remaining,
        partial: P,
    },
    /// Finished attributes waiting for the value they describe.
    Attributes(V),
}

/// How many more elements an open aggregate takes.
#[derive(Debug, Clone, Copy)]
enum Remaining {
    /// Exactly this many (more than zero).
    Count(u64),
    /// Until the `.` end marker; `odd` when a map's key waits for its value.
    Streamed { odd: bool },
}

#[derive(Debug, Clone, Copy)]
struct Payload {
    kind: PayloadKind,
    len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PayloadKind {
    BulkString,
    BulkError,
    Verbatim,
    Chunk,
}

#[derive(Debug, Default)]
struct StreamedString {
    chunks: Vec<Bytes>,
    len: usize,
}

/// What parsing one element at the front of the buffer gave.
enum Step<V> {
    /// A complete value, to be placed in its parent.
    Value(V),
    /// Bytes were consumed (a header, a chunk), no value yet.
    Progress,
    /// The element is incomplete; wait for more bytes.
    NeedMore,
}

impl Decoder<FrameBuilder> {
    /// A decoder that builds [`Frame`]s, with the default [`DecodeLimits`].
    pub fn new() -> Self {
        Self::with_builder(FrameBuilder)
    }
}

impl Default for Decoder<FrameBuilder> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B: Builder> Decoder<B> {
    /// A decoder that hands parsed pieces to `builder`, with the default limits.
    pub fn with_builder(builder: B) -> Self {
        Decoder {
            builder,
            limits: DecodeLimits::default(),
            stack: Vec::new(),
            payload: None,
            stream: None,
            frame_bytes: 0,
            frame_values: 0,
            line_scanned: 0,
            error: None,
            spans: Vec::new(),
        }
    }

    /// Replaces the limits. Call it before decoding; limits apply from the next element.
    pub fn with_limits(mut self, limits: DecodeLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &DecodeLimits {
        &self.limits
    }

    /// The builder, for builders that keep state of their own.
    pub fn builder_mut(&mut self) -> &mut B {
        &mut self.builder
    }

    /// True when no frame is partly decoded: the next byte starts a new frame.
    pub fn is_idle(&self) -> bool {
        self.frame_bytes == 0
            && self.stack.is_empty()
            && self.payload.is_none()
            && self.stream.is_none()
    }

    /// How long the buffer must be (from its front) before the bulk string in
    /// progress is complete, once its header is read: its payload and CRLF. Reserve
    /// that much once to receive a large bulk without growing the buffer step by step
    /// (each doubling copies it and briefly holds it twice). `None` otherwise.
    pub fn needed(&self) -> Option<usize> {
        self.payload.map(|payload| payload.len + 2)
    }

    /// The error that stopped this decoder, if one has.
    pub fn error(&self) -> Option<&ProtocolError> {
        self.error.as_ref()
    }

    /// Decodes the next complete value from the front of `buf`.
    ///
    /// Returns `Ok(Some(value))` when a value is complete, `Ok(None)` when `buf` holds
    /// only part of one (call again after appending more bytes), and `Err` when the
    /// bytes break the protocol or a limit. Parsed bytes are removed from `buf`, also
    /// when the value is still incomplete. Errors are sticky: once one is returned,
    /// every later call returns it and consumes nothing.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<B::Value>, ProtocolError> {
        if self.error.is_none() && self.is_idle() {
            if let Some(value) = self.complete_scalar(buf) {
                return Ok(Some(value));
            }
        }
        self.decode_general(buf)
    }

    /// Everything but the fast path: the sticky error, then the element loop.
    #[inline(never)]
    fn decode_general(&mut self, buf: &mut BytesMut) -> Result<Option<B::Value>, ProtocolError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        self.decode_frame(buf).inspect_err(|error| {
            self.error = Some(error.clone());
        })
    }

    /// The fast path for the commonest replies: a whole top-level bulk string, simple
    /// string, simple error or integer already in `buf`, with no frame in progress.
    ///
    /// It builds the value straight from the buffer and removes the frame with one
    /// split. It never fails: anything else (another type, an incomplete or malformed
    /// frame, a limit reached) gives `None` having consumed nothing, and the general
    /// path then parses the same bytes, with the same result at every split. It reads
    /// at most the short header before falling back, except for a text line, whose
    /// scan resumes where it stopped (`line_scanned`), so no byte is scanned twice.
    #[inline]
    fn complete_scalar(&mut self, buf: &mut BytesMut) -> Option<B::Value> {
        match *buf.first()? {
            b'$' => {
                let (len, header) = number::short_count(buf, 1)?;
                let end = header.checked_add(len)?;
                let total = end.checked_add(2)?;
                if len > self.limits.max_bulk_len
                    || total > self.limits.max_frame_size
                    || !matches!(buf.get(end..total)?, [b'\r', b'\n'])
                {
                    return None;
                }
                let data = cut(buf, total, header, end);
                Some(self.builder.bulk_string(data))
            }
            b':' => {
                let (value, end) = number::integer_line(buf, 1).ok()??;
                if end > self.limits.max_frame_size {
                    return None;
                }
                buf.advance(end);
                Some(self.builder.integer(value))
            }
            b'+' if matches!(buf.get(..5), Some([b'+', b'O', b'K', b'\r', b'\n']))
                && self.limits.max_frame_size >= 5 =>
            {
                // The commonest reply of all: no scan, and a static `Bytes` rather than
                // a slice of the buffer, so no reference count to touch.
                buf.advance(5);
                self.line_scanned = 0;
                Some(self.builder.simple_string(Bytes::from_static(b"OK")))
            }
            type_byte @ (b'+' | b'-') => {
                let cr = self.find_line_end(buf).ok()??;
                let total = cr + 2;
                if total > self.limits.max_frame_size {
                    return None;
                }
                self.line_scanned = 0;
                let text = cut(buf, total, 1, cr);
                Some(if type_byte == b'+' {
                    self.builder.simple_string(text)
                } else {
                    self.builder.simple_error(text)
                })
            }
            _ => None,
        }
    }

    fn decode_frame(&mut self, buf: &mut BytesMut) -> Result<Option<B::Value>, ProtocolError> {
        loop {
            if self.payload.is_none() && self.stream.is_none() {
                // Inside an aggregate, short scalars are taken a run at a time.
                if let Some(frame) = self.take_run(buf) {
                    self.check_values()?;
                    match frame {
                        Some(frame) => return self.finished(frame),
                        None => continue,
                    }
                }
            }
            match self.next_element(buf)? {
                Step::Value(value) => {
                    let frame = self.complete(value);
                    self.check_values()?;
                    if let Some(frame) = frame {
                        return self.finished(frame);
                    }
                }
                Step::Progress => {}
                Step::NeedMore => {
                    if self.frame_bytes.saturating_add(buf.len()) > self.limits.max_frame_size {
                        return Err(self.frame_too_large());
                    }
                    return Ok(None);
                }
            }
        }
    }

    /// [`DecodeLimits::max_values`], once values have been placed.
    #[inline]
    fn check_values(&self) -> Result<(), ProtocolError> {
        if self.frame_values > self.limits.max_values {
            return Err(ProtocolError::TooManyValues {
                limit: self.limits.max_values,
            });
        }
        Ok(())
    }

    /// A top-level frame is complete: resets the per-frame counts, and lets go of a
    /// stack grown by a deep frame rather than keep it for the decoder's lifetime.
    fn finished(&mut self, frame: B::Value) -> Result<Option<B::Value>, ProtocolError> {
        self.frame_bytes = 0;
        self.frame_values = 0;
        if self.stack.capacity() > STACK_KEPT {
            self.stack = Vec::new();
        }
        Ok(Some(frame))
    }

    /// Places a finished value in the innermost open aggregate, closing every
    /// aggregate it completes. Returns the top-level value once there is one.
    fn complete(&mut self, mut value: B::Value) -> Option<B::Value> {
        loop {
            match self.stack.last_mut() {
                None => return Some(value),
                Some(Open::Attributes(_)) => {
                    // The attributes have the value they describe.
                    let Some(Open::Attributes(attributes)) = self.stack.pop() else {
                        return None; // just matched above
                    };
                    value = self.builder.attach(attributes, value);
                }
                Some(Open::Aggregate {
                    kind,
                    remaining,
                    partial,
                }) => {
                    self.builder.element(partial, value);
                    self.frame_values += 1;
                    match remaining {
                        Remaining::Count(1) => {}
                        Remaining::Count(n) => {
                            *n -= 1;
                            return None;
                        }
                        Remaining::Streamed { odd } => {
                            *odd = !*odd;
                            return None;
                        }
                    }
                    // That was the last element.
                    let kind = *kind;
                    let Some(Open::Aggregate { partial, .. }) = self.stack.pop() else {
                        return None; // just matched above
                    };
                    let aggregate = self.builder.end(partial);
                    if kind == AggregateKind::Attribute {
                        self.stack.push(Open::Attributes(aggregate));
                        return None;
                    }
                    value = aggregate;
                }
            }
        }
    }

    /// Parses the element at the front of `buf`.
    fn next_element(&mut self, buf: &mut BytesMut) -> Result<Step<B::Value>, ProtocolError> {
        if let Some(payload) = self.payload {
            return self.read_payload(buf, payload);
        }
        let Some(&type_byte) = buf.first() else {
            return Ok(Step::NeedMore);
        };
        if self.stream.is_some() != (type_byte == b';') {
            return Err(ProtocolError::UnexpectedChunk);
        }
        match type_byte {
            b'$' => match self.complete_bulk(buf) {
                Some(value) => Ok(Step::Value(value)),
                None => self.bulk_header(buf, PayloadKind::BulkString),
            },
            b'!' => self.bulk_header(buf, PayloadKind::BulkError),
            b'=' => self.bulk_header(buf, PayloadKind::Verbatim),
            b';' => self.bulk_header(buf, PayloadKind::Chunk),
            b'*' => self.aggregate_header(buf, AggregateKind::Array),
            b'%' => self.aggregate_header(buf, AggregateKind::Map),
            b'~' => self.aggregate_header(buf, AggregateKind::Set),
            b'>' => self.aggregate_header(buf, AggregateKind::Push),
            b'|' => self.aggregate_header(buf, AggregateKind::Attribute),
            b':' => match number::integer_line(buf, 1)? {
                None => Ok(Step::NeedMore),
                Some((value, end)) => {
                    self.consume(buf, end)?;
                    Ok(Step::Value(self.builder.integer(value)))
                }
            },
            b'_' => match self.fixed_line(buf, ProtocolError::ExpectedCrlf)? {
                None => Ok(Step::NeedMore),
                Some(b"") => {
                    self.consume(buf, 3)?;
                    Ok(Step::Value(self.builder.null(NullKind::Null)))
                }
                Some(_) => Err(ProtocolError::ExpectedCrlf),
            },
            b'.' => match self.fixed_line(buf, ProtocolError::ExpectedCrlf)? {
                None => Ok(Step::NeedMore),
                Some(b"") => {
                    self.consume(buf, 3)?;
                    self.end_streamed_aggregate().map(Step::Value)
                }
                Some(_) => Err(ProtocolError::ExpectedCrlf),
            },
            b'#' => match self.fixed_line(buf, ProtocolError::InvalidBoolean)? {
                None => Ok(Step::NeedMore),
                Some(text) => {
                    let value = match text {
                        b"t" => true,
                        b"f" => false,
                        _ => return Err(ProtocolError::InvalidBoolean),
                    };
                    self.consume(buf, 4)?;
                    Ok(Step::Value(self.builder.boolean(value)))
                }
            },
            b'+' | b'-' | b',' | b'(' => self.text_line(buf, type_byte),
            other => Err(ProtocolError::UnknownType(other)),
        }
    }

    /// The text of a line of at most four bytes (`_`, `.`, `#`): the bytes between the
    /// type byte and CRLF, or `None` while incomplete. A longer line is `invalid`.
    fn fixed_line<'b>(
        &mut self,
        buf: &'b [u8],
        invalid: ProtocolError,
    ) -> Result<Option<&'b [u8]>, ProtocolError> {
        const LONGEST: usize = 4;
        let window = &buf[..buf.len().min(LONGEST)];
        match self.find_line_end(window)? {
            Some(cr) => Ok(Some(&buf[1..cr])),
            None if buf.len() >= LONGEST => Err(invalid),
            None => Ok(None),
        }
    }

    /// Finds the CR of the CRLF ending the line at the front of `buf`, resuming where
    /// the previous call stopped. A bare LF, or a CR followed by anything but LF, is an
    /// error: RESP lines hold neither.
    fn find_line_end(&mut self, buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
        let from = self.line_scanned.max(1);
        match memchr::memchr2(b'\r', b'\n', &buf[from..]) {
            None => {
                self.line_scanned = buf.len();
                Ok(None)
            }
            Some(offset) => {
                let at = from + offset;
                match (buf[at], buf.get(at + 1)) {
                    (b'\r', Some(b'\n')) => Ok(Some(at)),
                    (b'\r', None) => {
                        self.line_scanned = at;
                        Ok(None)
                    }
                    _ => Err(ProtocolError::ExpectedCrlf),
                }
            }
        }
    }

    /// `+`, `-`, `,` and `(`: a line of text.
    fn text_line(
        &mut self,
        buf: &mut BytesMut,
        type_byte: u8,
    ) -> Result<Step<B::Value>, ProtocolError> {
        let Some(cr) = self.find_line_end(buf)? else {
            return Ok(Step::NeedMore);
        };
        let value = match type_byte {
            b',' => {
                number::check_double(&buf[1..cr])?;
                self.consume(buf, 1)?;
                let text = self.take(buf, cr - 1)?;
                self.consume(buf, 2)?;
                self.builder.double(Double::from_wire_checked(text))
            }
            _ => {
                self.consume(buf, 1)?;
                let text = self.take(buf, cr - 1)?;
                self.consume(buf, 2)?;
                match type_byte {
                    b'+' => self.builder.simple_string(text),
                    b'-' => self.builder.simple_error(text),
                    _ => self.builder.big_number(text),
                }
            }
        };
        Ok(Step::Value(value))
    }

    /// A bulk string element whose header, payload and CRLF are all in `buf`, taken
    /// with one split. `None`, having consumed nothing, for anything else: then
    /// [`Decoder::bulk_header`] parses it step by step, with the same result.
    #[inline]
    fn complete_bulk(&mut self, buf: &mut BytesMut) -> Option<B::Value> {
        let (len, header) = number::short_count(buf, 1)?;
        let end = header.checked_add(len)?;
        let total = end.checked_add(2)?;
        if len > self.limits.max_bulk_len
            || self.frame_bytes.saturating_add(total) > self.limits.max_frame_size
            || !matches!(buf.get(end..total)?, [b'\r', b'\n'])
        {
            return None;
        }
        self.frame_bytes += total;
        self.line_scanned = 0;
        let data = cut(buf, total, header, end);
        Some(self.builder.bulk_string(data))
    }

    /// `$`, `!`, `=` and `;`: a length line, then that many bytes and CRLF.
    fn bulk_header(
        &mut self,
        buf: &mut BytesMut,
        kind: PayloadKind,
    ) -> Result<Step<B::Value>, ProtocolError> {
        let streamable = kind == PayloadKind::BulkString;
        let Some((length, end)) = number::length_line(buf, 1, streamable)? else {
            return Ok(Step::NeedMore);
        };
        let len = match length {
            Length::Null if kind == PayloadKind::BulkString => {
                self.consume(buf, end)?;
                return Ok(Step::Value(self.builder.null(NullKind::Bulk)));
            }
            Length::Null => return Err(ProtocolError::InvalidLength),
            Length::Streamed => {
                self.consume(buf, end)?;
                self.stream = Some(StreamedString::default());
                return Ok(Step::Progress);
            }
            Length::Count(len) => len,
        };
        let total = match &self.stream {
            Some(stream) if kind == PayloadKind::Chunk => len.saturating_add(stream.len as u64),
            _ => len,
        };
        if total > self.limits.max_bulk_len as u64 {
            return Err(ProtocolError::BulkTooLong {
                len: total,
                limit: self.limits.max_bulk_len,
            });
        }
        if kind == PayloadKind::Verbatim && len < 4 {
            return Err(ProtocolError::InvalidVerbatim);
        }
        self.consume(buf, end)?;
        if kind == PayloadKind::Chunk && len == 0 {
            let stream = self.stream.take().unwrap_or_default();
            return Ok(Step::Value(self.builder.streamed_string(stream.chunks)));
        }
        // Bounded by `max_bulk_len`, which fits in usize.
        let payload = Payload {
            kind,
            len: len as usize,
        };
        self.payload = Some(payload);
        self.read_payload(buf, payload)
    }

    /// The payload of a bulk whose header is consumed, once all of it is buffered.
    fn read_payload(
        &mut self,
        buf: &mut BytesMut,
        payload: Payload,
    ) -> Result<Step<B::Value>, ProtocolError> {
        let len = payload.len;
        if buf.len() < 2 || buf.len() - 2 < len {
            return Ok(Step::NeedMore);
        }
        if &buf[len..len + 2] != b"\r\n" {
            return Err(ProtocolError::ExpectedCrlf);
        }
        self.payload = None;
        let value = match payload.kind {
            PayloadKind::BulkString => {
                let data = self.take(buf, len)?;
                self.builder.bulk_string(data)
            }
            PayloadKind::BulkError => {
                let data = self.take(buf, len)?;
                self.builder.bulk_error(data)
            }
            PayloadKind::Verbatim => {
                if buf[3] != b':' {
                    return Err(ProtocolError::InvalidVerbatim);
                }
                let format = [buf[0], buf[1], buf[2]];
                self.consume(buf, 4)?;
                let text = self.take(buf, len - 4)?;
                self.builder.verbatim(format, text)
            }
            PayloadKind::Chunk => {
                let chunk = self.take(buf, len)?;
                self.consume(buf, 2)?;
                let stream = self.stream.get_or_insert_with(StreamedString::default);
                stream.len += len;
                stream.chunks.push(chunk);
                return Ok(Step::Progress);
            }
        };
        self.consume(buf, 2)?;
        Ok(Step::Value(value))
    }

    /// `*`, `%`, `~`, `>` and `|`: a count line opening an aggregate.
    fn aggregate_header(
        &mut self,
        buf: &mut BytesMut,
        kind: AggregateKind,
    ) -> Result<Step<B::Value>, ProtocolError> {
        let streamable = kind != AggregateKind::Attribute;
        let Some((length, end)) = number::length_line(buf, 1, streamable)? else {
            return Ok(Step::NeedMore);
        };
        if self.stack.len() >= self.limits.max_depth {
            return Err(ProtocolError::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        let remaining = match length {
            Length::Null if kind == AggregateKind::Array => {
                self.consume(buf, end)?;
                return Ok(Step::Value(self.builder.null(NullKind::Array)));
            }
            Length::Null => return Err(ProtocolError::InvalidLength),
            Length::Streamed => Remaining::Streamed { odd: false },
            Length::Count(len) if len > self.limits.max_aggregate_len as u64 => {
                return Err(ProtocolError::AggregateTooLong {
                    len,
                    limit: self.limits.max_aggregate_len,
                });
            }
            Length::Count(len) if kind.is_pairs() => Remaining::Count(len * 2),
            Length::Count(len) => Remaining::Count(len),
        };
        self.consume(buf, end)?;
        // Never trust the announced length for allocation: reserve no more entries
        // than the bytes already here could hold (each element takes 3 bytes or more),
        // nor than the values limit still allows.
        let capacity = match remaining {
            Remaining::Count(elements) => {
                let per_entry = if kind.is_pairs() { 6 } else { 3 };
                let entries = if kind.is_pairs() {
                    elements / 2
                } else {
                    elements
                };
                let allowed = self.limits.max_values.saturating_sub(self.frame_values);
                entries
                    .min((buf.len() / per_entry) as u64)
                    .min(allowed as u64) as usize
            }
            Remaining::Streamed { .. } => 0,
        };
        let partial = self.builder.begin(kind, capacity);
        if let Remaining::Count(0) = remaining {
            let empty = self.builder.end(partial);
            if kind == AggregateKind::Attribute {
                self.stack.push(Open::Attributes(empty));
                return Ok(Step::Progress);
            }
            return Ok(Step::Value(empty));
        }
        self.stack.push(Open::Aggregate {
            kind,
            remaining,
            partial,
        });
        Ok(Step::Progress)
    }

    /// `.`: closes the innermost aggregate, which must be streamed and complete.
    fn end_streamed_aggregate(&mut self) -> Result<B::Value, ProtocolError> {
        match self.stack.last() {
            Some(Open::Aggregate {
                kind,
                remaining: Remaining::Streamed { odd },
                ..
            }) => {
                if *odd && kind.is_pairs() {
                    return Err(ProtocolError::OddMap);
                }
            }
            _ => return Err(ProtocolError::UnexpectedEnd),
        }
        match self.stack.pop() {
            Some(Open::Aggregate { partial, .. }) => Ok(self.builder.end(partial)),
            _ => Err(ProtocolError::UnexpectedEnd), // just matched above
        }
    }

    /// Removes `n` parsed bytes from the front of `buf`.
    #[inline]
    fn consume(&mut self, buf: &mut BytesMut, n: usize) -> Result<(), ProtocolError> {
        buf.advance(n);
        self.line_scanned = 0;
        self.frame_bytes += n;
        if self.frame_bytes > self.limits.max_frame_size {
            return Err(self.frame_too_large());
        }
        Ok(())
    }

    /// Removes `n` bytes from the front of `buf` and returns them without copying.
    #[inline]
    fn take(&mut self, buf: &mut BytesMut, n: usize) -> Result<Bytes, ProtocolError> {
        let data = if n == 0 {
            Bytes::new()
        } else {
            buf.split_to(n).freeze()
        };
        self.line_scanned = 0;
        self.frame_bytes += n;
        if self.frame_bytes > self.limits.max_frame_size {
            return Err(self.frame_too_large());
        }
        Ok(data)
    }

    fn frame_too_large(&self) -> ProtocolError {
        ProtocolError::FrameTooLarge {
            limit: self.limits.max_frame_size,
        }
    }
}

/// Removes the first `total` bytes of `buf` (one whole frame) and returns the part
/// `start..end` of them without copying: one split for the frame, whatever its parts.
#[inline(always)]
fn cut(buf: &mut BytesMut, total: usize, start: usize, end: usize) -> Bytes {
    if start == end {
        buf.advance(total);
        return Bytes::new();
    }
    let mut data = buf.split_to(total).freeze();
    data.truncate(end);
    data.advance(start);
    data
}

/// Decodes one complete [`Frame`] from the start of `input`, copying it.
///
/// Returns the frame and the number of bytes it took, or `Ok(None)` if `input` holds
/// only part of a frame. A convenience for tests and one-off parsing; streams should
/// keep a [`Decoder`].
pub fn decode_one(input: &[u8]) -> Result<Option<(Frame, usize)>, ProtocolError> {
    let mut buf = BytesMut::from(input);
    let frame = Decoder::new().decode(&mut buf)?;
    Ok(frame.map(|frame| (frame, input.len() - buf.len())))
}
