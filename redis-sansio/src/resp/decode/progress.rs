//! How much of the frame in progress is still to come, as its headers announced.

use super::{Decoder, Open, Remaining};
use crate::resp::builder::Builder;

/// The fewest bytes one element can take: `_\r\n`.
const SHORTEST_ELEMENT: u64 = 3;

impl<B: Builder> Decoder<B> {
    /// A lower bound, from the headers parsed so far, on the bytes the frame in
    /// progress still spans beyond those consumed: the whole announced payload of a
    /// bulk string not taken yet, with its CRLF (though part of it may already be
    /// buffered), plus three bytes (`_\r\n`, the shortest element) for each element
    /// the open aggregates still expect and have not begun. Streamed aggregates and
    /// strings count for nothing more. Zero when no frame is in progress.
    ///
    /// A connection uses it to tell a large reply from a small one before it has
    /// arrived: a `$536870912` header says half a gibibyte is on its way.
    pub fn announced_remaining(&self) -> u64 {
        let in_progress = self.payload.is_some() || self.stream.is_some();
        let payload = self.payload.map_or(0, |payload| payload.len as u64 + 2);
        let aggregates = self.stack.len();
        let elements: u64 = self
            .stack
            .iter()
            .enumerate()
            .map(|(level, open)| match open {
                Open::Aggregate {
                    remaining: Remaining::Count(n),
                    ..
                } => {
                    // An outer aggregate's element in progress is the one above it;
                    // the innermost's, a payload or streamed string if there is one.
                    let begun = level + 1 < aggregates || in_progress;
                    n.saturating_sub(u64::from(begun))
                }
                _ => 0,
            })
            .sum();
        payload.saturating_add(elements.saturating_mul(SHORTEST_ELEMENT))
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use crate::resp::Decoder;

    fn after(input: &[u8]) -> u64 {
        let mut decoder = Decoder::new();
        let mut buf = BytesMut::from(input);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        decoder.announced_remaining()
    }

    #[test]
    fn headers_announce_what_is_to_come() {
        assert_eq!(Decoder::new().announced_remaining(), 0);
        assert_eq!(after(b"$536870912\r\n"), 536_870_914);
        assert_eq!(after(b"$536870912\r\nabc"), 536_870_914);
        assert_eq!(after(b"*100000000\r\n"), 300_000_000);
        assert_eq!(after(b"*3\r\n:1\r\n"), 6);
        assert_eq!(after(b"*3\r\n$10\r\n"), 12 + 6);
        assert_eq!(after(b"*2\r\n*4\r\n:1\r\n"), 3 + 9);
        assert_eq!(after(b"%2\r\n"), 12);
        assert_eq!(after(b"*?\r\n"), 0);
    }
}
