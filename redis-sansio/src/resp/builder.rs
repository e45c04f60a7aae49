//! Pluggable value builders for the decoder, after hiredis's reply functions.
//!
//! The [`Decoder`](super::Decoder) parses; a [`Builder`] decides what each parsed
//! piece becomes. [`FrameBuilder`] makes [`Frame`]s; [`Skip`] builds nothing and only
//! validates, for a proxy that forwards bytes it has already checked. A proxy or a
//! client with its own value type implements [`Builder`] and gets the same incremental,
//! zero-copy, limit-checked decoding.

use bytes::{Bytes, BytesMut};

use super::double::Double;
use super::frame::Frame;

/// The kind of an aggregate, as announced by its type byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateKind {
    /// `*`
    Array,
    /// `%`: elements arrive key, value, key, value.
    Map,
    /// `~`
    Set,
    /// `>`
    Push,
    /// `|`: a map of attributes; the value it describes follows it.
    Attribute,
}

impl AggregateKind {
    /// True for the kinds whose elements come in key-value pairs.
    pub fn is_pairs(self) -> bool {
        matches!(self, AggregateKind::Map | AggregateKind::Attribute)
    }
}

/// Which null the wire carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NullKind {
    /// RESP3 `_`.
    Null,
    /// RESP2 `$-1`.
    Bulk,
    /// RESP2 `*-1`.
    Array,
}

/// Turns parsed pieces into values. The decoder calls it in wire order.
///
/// String payloads arrive as [`Bytes`] slices of the decoder's input buffer, so keeping
/// them copies nothing. For an aggregate the decoder calls [`Builder::begin`], then
/// [`Builder::element`] once per element (a map's keys and values alternate), then
/// [`Builder::end`]. Attributes arrive as an aggregate of kind
/// [`AggregateKind::Attribute`]; once the value after them is built the decoder hands
/// both to [`Builder::attach`].
pub trait Builder {
    /// A complete value.
    type Value;
    /// An aggregate under construction.
    type Partial;

    /// `+text`
    fn simple_string(&mut self, text: Bytes) -> Self::Value;
    /// `-text`
    fn simple_error(&mut self, text: Bytes) -> Self::Value;
    /// `:n`
    fn integer(&mut self, value: i64) -> Self::Value;
    /// `$n` with its payload, or a finished streamed string.
    fn bulk_string(&mut self, data: Bytes) -> Self::Value;
    /// `!n` with its payload.
    fn bulk_error(&mut self, data: Bytes) -> Self::Value;
    /// `=n` with its payload split into the format and the text.
    fn verbatim(&mut self, format: [u8; 3], text: Bytes) -> Self::Value;
    /// `_`, `$-1` or `*-1`.
    fn null(&mut self, kind: NullKind) -> Self::Value;
    /// `,x`, its text checked and kept (see [`Double`]).
    fn double(&mut self, value: Double) -> Self::Value;
    /// `#t` or `#f`
    fn boolean(&mut self, value: bool) -> Self::Value;
    /// `(digits`: any line of text, as Redis relays a Lua `{big_number=...}` as is.
    fn big_number(&mut self, digits: Bytes) -> Self::Value;

    /// A streamed string (`$?`) is complete; `chunks` are its non-empty chunks in
    /// order. The default joins them (without copying when there is one) and calls
    /// [`Builder::bulk_string`].
    fn streamed_string(&mut self, chunks: Vec<Bytes>) -> Self::Value {
        let joined = match chunks.len() {
            0 => Bytes::new(),
            1 => chunks.into_iter().next().unwrap_or_default(),
            _ => {
                let total = chunks.iter().map(Bytes::len).sum();
                let mut joined = BytesMut::with_capacity(total);
                for chunk in &chunks {
                    joined.extend_from_slice(chunk);
                }
                joined.freeze()
            }
        };
        self.bulk_string(joined)
    }

    /// An aggregate starts. `capacity` is a safe preallocation hint: never more than
    /// the bytes already received can fill, whatever length the header claimed.
    fn begin(&mut self, kind: AggregateKind, capacity: usize) -> Self::Partial;
    /// The next element of the innermost open aggregate.
    fn element(&mut self, partial: &mut Self::Partial, value: Self::Value);
    /// The aggregate is complete.
    fn end(&mut self, partial: Self::Partial) -> Self::Value;
    /// `attributes` (a finished [`AggregateKind::Attribute`] aggregate) describe `value`.
    fn attach(&mut self, attributes: Self::Value, value: Self::Value) -> Self::Value;
}

/// Builds [`Frame`]s.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameBuilder;

/// A [`Frame`] aggregate under construction.
#[derive(Debug)]
pub enum PartialFrame {
    /// An array, set or push.
    Sequence(AggregateKind, Vec<Frame>),
    /// A map or attribute map, with the key waiting for its value.
    Pairs(AggregateKind, Vec<(Frame, Frame)>, Option<Frame>),
}

impl Builder for FrameBuilder {
    type Value = Frame;
    type Partial = PartialFrame;

    #[inline]
    fn simple_string(&mut self, text: Bytes) -> Frame {
        Frame::SimpleString(text)
    }
    #[inline]
    fn simple_error(&mut self, text: Bytes) -> Frame {
        Frame::SimpleError(text)
    }
    #[inline]
    fn integer(&mut self, value: i64) -> Frame {
        Frame::Integer(value)
    }
    #[inline]
    fn bulk_string(&mut self, data: Bytes) -> Frame {
        Frame::BulkString(data)
    }
    #[inline]
    fn bulk_error(&mut self, data: Bytes) -> Frame {
        Frame::BulkError(data)
    }
    #[inline]
    fn verbatim(&mut self, format: [u8; 3], text: Bytes) -> Frame {
        Frame::Verbatim { format, text }
    }
    #[inline]
    fn null(&mut self, kind: NullKind) -> Frame {
        match kind {
            NullKind::Null => Frame::Null,
            NullKind::Bulk => Frame::NullBulk,
            NullKind::Array => Frame::NullArray,
        }
    }
    #[inline]
    fn double(&mut self, value: Double) -> Frame {
        Frame::Double(value)
    }
    #[inline]
    fn boolean(&mut self, value: bool) -> Frame {
        Frame::Boolean(value)
    }
    #[inline]
    fn big_number(&mut self, digits: Bytes) -> Frame {
        Frame::BigNumber(digits)
    }

    #[inline]
    fn begin(&mut self, kind: AggregateKind, capacity: usize) -> PartialFrame {
        if kind.is_pairs() {
            PartialFrame::Pairs(kind, Vec::with_capacity(capacity), None)
        } else {
            PartialFrame::Sequence(kind, Vec::with_capacity(capacity))
        }
    }

    #[inline(always)]
    fn element(&mut self, partial: &mut PartialFrame, value: Frame) {
        match partial {
            PartialFrame::Sequence(_, items) => items.push(value),
            PartialFrame::Pairs(_, pairs, pending) => match pending.take() {
                Some(key) => pairs.push((key, value)),
                None => *pending = Some(value),
            },
        }
    }

    fn end(&mut self, partial: PartialFrame) -> Frame {
        match partial {
            PartialFrame::Sequence(AggregateKind::Set, items) => Frame::Set(items),
            PartialFrame::Sequence(AggregateKind::Push, items) => Frame::Push(items),
            PartialFrame::Sequence(_, items) => Frame::Array(items),
            // The decoder never ends a pair aggregate on a dangling key. Attributes
            // stay a map until `attach` wraps the value they describe.
            PartialFrame::Pairs(_, pairs, _) => Frame::Map(pairs),
        }
    }

    fn attach(&mut self, attributes: Frame, value: Frame) -> Frame {
        let mut attributes = attributes;
        match &mut attributes {
            Frame::Map(pairs) => Frame::Attributed {
                attributes: std::mem::take(pairs),
                value: Box::new(value),
            },
            // `end` makes every attribute aggregate a map.
            _ => value,
        }
    }
}

/// Builds nothing: decoding with it only validates and finds frame boundaries.
///
/// Useful to a proxy that checks a reply before forwarding its raw bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Skip;

impl Builder for Skip {
    type Value = ();
    type Partial = ();

    fn simple_string(&mut self, _: Bytes) {}
    fn simple_error(&mut self, _: Bytes) {}
    fn integer(&mut self, _: i64) {}
    fn bulk_string(&mut self, _: Bytes) {}
    fn bulk_error(&mut self, _: Bytes) {}
    fn verbatim(&mut self, _: [u8; 3], _: Bytes) {}
    fn null(&mut self, _: NullKind) {}
    fn double(&mut self, _: Double) {}
    fn boolean(&mut self, _: bool) {}
    fn big_number(&mut self, _: Bytes) {}
    fn streamed_string(&mut self, _: Vec<Bytes>) {}
    fn begin(&mut self, _: AggregateKind, _: usize) {}
    fn element(&mut self, _: &mut (), _: ()) {}
    fn end(&mut self, _: ()) {}
    fn attach(&mut self, _: (), _: ()) {}
}
