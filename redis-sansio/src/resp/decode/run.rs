//! The fast path for aggregates of short scalars (`MGET`'s reply, `LRANGE`'s,
//! `HGETALL`'s): every element already in the buffer taken with one split.

use bytes::BytesMut;

use super::{Decoder, Open, Remaining};
use crate::resp::builder::{Builder, NullKind};
use crate::resp::number;

/// Where one element of a run lies in the bytes the run took.
#[derive(Debug, Clone, Copy)]
pub(super) enum Span {
    /// A bulk string's payload: `start..end`.
    Bulk(usize, usize),
    /// `$-1` or `_`.
    Null(NullKind),
}

impl<B: Builder> Decoder<B> {
    /// Takes the run of complete bulk strings and nulls at the front of `buf` that
    /// belong to the innermost open (counted) aggregate, and adds them to it, closing
    /// it if they were its last elements. Returns the finished top-level value if
    /// that completed one.
    ///
    /// The run's bytes leave the buffer with one split, and each payload is a slice
    /// of them, where element by element each would take a split of its own. Only
    /// elements the general path accepts exactly so are taken (within the limits,
    /// CRLF where it belongs), so the result is the same at every split of the input;
    /// anything else ends the run and is left to the general path, errors included.
    pub(super) fn take_run(&mut self, buf: &mut BytesMut) -> Option<Option<B::Value>> {
        let Some(Open::Aggregate {
            remaining: Remaining::Count(left),
            ..
        }) = self.stack.last()
        else {
            return None;
        };
        let mut spans = std::mem::take(&mut self.spans);
        spans.clear();
        let end = self.scan_run(buf, *left, &mut spans);
        let result = if spans.is_empty() {
            None
        } else {
            Some(self.place_run(buf.split_to(end).freeze(), &spans))
        };
        self.spans = spans;
        result
    }

    /// Finds the run: fills `spans` with at most `most` elements and returns where the
    /// last one ends.
    fn scan_run(&self, buf: &[u8], most: u64, spans: &mut Vec<Span>) -> usize {
        let limits = &self.limits;
        let budget = limits.max_frame_size.saturating_sub(self.frame_bytes);
        let most = usize::try_from(most).unwrap_or(usize::MAX);
        let mut pos = 0;
        while spans.len() < most {
            let rest = &buf[pos..];
            let (span, next) = match rest {
                [b'$', b'-', b'1', b'\r', b'\n', ..] => (Span::Null(NullKind::Bulk), pos + 5),
                [b'_', b'\r', b'\n', ..] => (Span::Null(NullKind::Null), pos + 3),
                [b'$', ..] => {
                    let Some((len, header)) = number::short_count(rest, 1) else {
                        break;
                    };
                    let start = pos + header;
                    let end = start + len;
                    if len > limits.max_bulk_len || buf.get(end..end + 2) != Some(b"\r\n") {
                        break;
                    }
                    (Span::Bulk(start, end), end + 2)
                }
                _ => break,
            };
            if next > budget {
                break;
            }
            spans.push(span);
            pos = next;
        }
        pos
    }

    /// Adds the run's values to the innermost aggregate, `taken` holding the bytes
    /// `spans` point into.
    fn place_run(&mut self, taken: bytes::Bytes, spans: &[Span]) -> Option<B::Value> {
        self.frame_bytes += taken.len();
        self.line_scanned = 0;
        let (last, rest) = spans.split_last()?;
        let Some(Open::Aggregate {
            remaining: Remaining::Count(left),
            partial,
            ..
        }) = self.stack.last_mut()
        else {
            return None; // checked by `take_run`
        };
        // All but the last go straight in; the aggregate cannot close before it.
        *left -= rest.len() as u64;
        for span in rest {
            let value = build(&mut self.builder, &taken, *span);
            self.builder.element(partial, value);
        }
        let value = build(&mut self.builder, &taken, *last);
        self.complete(value)
    }
}

/// The value a span stands for.
#[inline]
fn build<B: Builder>(builder: &mut B, taken: &bytes::Bytes, span: Span) -> B::Value {
    match span {
        Span::Bulk(start, end) => builder.bulk_string(taken.slice(start..end)),
        Span::Null(kind) => builder.null(kind),
    }
}
