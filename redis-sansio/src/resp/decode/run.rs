//! Runs of short scalars, taken with one split of the buffer: a pipeline's replies
//! ([`Decoder::decode_all`]) and the elements of an aggregate (`MGET`'s reply,
//! `LRANGE`'s, `HGETALL`'s).

use bytes::{Buf, Bytes, BytesMut};

use super::{Decoder, Open, Remaining};
use crate::ProtocolError;
use crate::resp::builder::{Builder, NullKind};
use crate::resp::number::{self, short_count};

/// The most values one run takes, so the span scratch stays small (96 KiB) however
/// long a reply is.
const RUN_MOST: usize = 4096;

/// One value of a run: where it lies in the bytes the run took, or what it is.
#[derive(Debug, Clone, Copy)]
pub(super) enum Span {
    /// A bulk string's payload: `start..end`.
    Bulk(usize, usize),
    /// `$-1` or `_`.
    Null(NullKind),
    /// `+OK`.
    Ok,
    /// `:n`.
    Integer(i64),
}

impl<B: Builder> Decoder<B> {
    /// Decodes every complete value at the front of `buf`, appending them to `out`
    /// in order: exactly what calling [`decode`](Self::decode) until it returns
    /// `Ok(None)` or an error would give, values and error alike (values decoded
    /// before an error are in `out`).
    ///
    /// Use it where many replies arrive at once, as a pipeline's do: a run of
    /// complete bulk strings, nulls, integers and `+OK`s leaves the buffer with one
    /// split, each payload a slice of it, where one `decode` per value takes a split
    /// each.
    pub fn decode_all(
        &mut self,
        buf: &mut BytesMut,
        out: &mut Vec<B::Value>,
    ) -> Result<(), ProtocolError> {
        loop {
            if self.error.is_none() {
                // No bytes left, no value: the usual end of a read, without a trip
                // through the general decoder.
                if buf.is_empty() {
                    return Ok(());
                }
                if self.is_idle() && self.take_top_run(buf, out) {
                    continue;
                }
            }
            match self.decode(buf)? {
                Some(value) => out.push(value),
                None => return Ok(()),
            }
        }
    }

    /// The run of complete top-level values at the front of `buf`, onto `out`.
    /// False when there is none.
    fn take_top_run(&mut self, buf: &mut BytesMut, out: &mut Vec<B::Value>) -> bool {
        let mut spans = std::mem::take(&mut self.spans);
        spans.clear();
        let end = self.scan_run(buf, RUN_MOST, true, &mut spans);
        let found = !spans.is_empty();
        if let [Span::Bulk(start, stop)] = spans[..] {
            // One bulk string, a lone request's reply: its payload is the only
            // split, with no shared slice of the run to make and drop.
            buf.advance(start);
            let payload = buf.split_to(stop - start).freeze();
            buf.advance(end - stop);
            self.line_scanned = 0;
            out.push(self.builder.bulk_string(payload));
        } else if found {
            let taken = buf.split_to(end).freeze();
            self.line_scanned = 0;
            out.reserve(spans.len());
            for span in &spans {
                out.push(build(&mut self.builder, &taken, *span));
            }
        }
        self.spans = spans;
        found
    }

    /// Takes the run of complete scalars at the front of `buf` that belong to the
    /// innermost open (counted) aggregate, and adds them to it, closing it if they
    /// were its last elements. Returns the finished top-level value if that
    /// completed one; `None` when there was no run.
    ///
    /// Only values the general path accepts exactly so are taken (within the limits,
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
        // At most what the aggregate and the value limit still take, and a bounded
        // scratch: a long run is taken a chunk at a time.
        let budget = self.limits.max_values.saturating_sub(self.frame_values);
        let most = usize::try_from(*left)
            .unwrap_or(usize::MAX)
            .min(RUN_MOST)
            .min(budget);
        let mut spans = std::mem::take(&mut self.spans);
        spans.clear();
        let end = self.scan_run(buf, most, false, &mut spans);
        let result = if spans.is_empty() {
            None
        } else {
            Some(self.place_run(buf.split_to(end).freeze(), &spans))
        };
        self.spans = spans;
        result
    }

    /// Finds a run: fills `spans` with at most `most` values and returns where the
    /// last one ends. Each top-level value is a frame of its own, within the frame
    /// size limit alone; elements of an aggregate all count toward its frame.
    fn scan_run(&self, buf: &[u8], most: usize, top_level: bool, spans: &mut Vec<Span>) -> usize {
        let limits = &self.limits;
        // What one value may take, and all of them together.
        let (each, all) = if top_level {
            (limits.max_frame_size, usize::MAX)
        } else {
            let budget = limits.max_frame_size.saturating_sub(self.frame_bytes);
            (budget, budget)
        };
        let mut pos = 0;
        while spans.len() < most {
            let rest = &buf[pos..];
            let (span, len) = match rest.first() {
                Some(b'$') => match short_count(rest, 1) {
                    Some((len, header)) => {
                        let end = header + len;
                        if len > limits.max_bulk_len || rest.get(end..end + 2) != Some(b"\r\n") {
                            break;
                        }
                        (Span::Bulk(pos + header, pos + end), end + 2)
                    }
                    None if rest.starts_with(b"$-1\r\n") => (Span::Null(NullKind::Bulk), 5),
                    None => break,
                },
                Some(b'_') if rest.starts_with(b"_\r\n") => (Span::Null(NullKind::Null), 3),
                Some(b'+') if rest.starts_with(b"+OK\r\n") => (Span::Ok, 5),
                Some(b':') => match number::integer_line(rest, 1) {
                    Ok(Some((value, end))) => (Span::Integer(value), end),
                    _ => break,
                },
                _ => break,
            };
            if len > each || pos + len > all {
                break;
            }
            spans.push(span);
            pos += len;
        }
        pos
    }

    /// Adds a run's values to the innermost aggregate, `taken` holding the bytes
    /// `spans` point into.
    fn place_run(&mut self, taken: Bytes, spans: &[Span]) -> Option<B::Value> {
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
        self.frame_values += rest.len();
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
fn build<B: Builder>(builder: &mut B, taken: &Bytes, span: Span) -> B::Value {
    match span {
        Span::Bulk(start, end) => builder.bulk_string(taken.slice(start..end)),
        Span::Null(kind) => builder.null(kind),
        Span::Ok => builder.simple_string(Bytes::from_static(b"OK")),
        Span::Integer(value) => builder.integer(value),
    }
}
