//! Every documented decoder limit: its default, and the typed error past it.
//! Hostile headers allocate nothing in proportion to the length they claim.

mod common;

use bytes::BytesMut;
use common::*;
use redis_sansio::ProtocolError;
use redis_sansio::resp::{
    AggregateKind, Builder, DecodeLimits, Decoder, Double, Frame, FrameBuilder, NullKind,
    PartialFrame,
};

fn decoder(limits: DecodeLimits) -> Decoder {
    Decoder::new().with_limits(limits)
}

#[test]
fn documented_defaults() {
    let limits = DecodeLimits::default();
    assert_eq!(limits.max_depth, 10_000);
    assert_eq!(limits.max_bulk_len, 512 * 1024 * 1024);
    assert_eq!(limits.max_aggregate_len, i32::MAX as usize);
    assert_eq!(limits.max_frame_size, 1024 * 1024 * 1024);
    assert_eq!(Decoder::new().limits(), &limits);
}

#[test]
fn depth_limit() {
    let nested = |depth: usize| "*1\r\n".repeat(depth) + ":1\r\n";
    let limits = DecodeLimits {
        max_depth: 8,
        ..DecodeLimits::default()
    };
    let ok = decode_in_pieces(nested(8).as_bytes(), &[], &mut decoder(limits));
    assert_eq!((ok.frames.len(), ok.error), (1, None));
    let deep = decode_in_pieces(nested(9).as_bytes(), &[], &mut decoder(limits));
    assert_eq!(deep.error, Some(ProtocolError::TooDeep { limit: 8 }));
    // Attributes count as nesting too: a chain of them cannot grow the stack forever.
    let attributes = "|1\r\n+a\r\n:1\r\n".repeat(9) + ":1\r\n";
    let chained = decode_in_pieces(attributes.as_bytes(), &[], &mut decoder(limits));
    assert_eq!(chained.error, Some(ProtocolError::TooDeep { limit: 8 }));
}

#[test]
fn default_depth_is_enough_for_deep_replies_and_no_nesting_overflows_the_stack() {
    let at_limit = "*1\r\n".repeat(10_000) + ":1\r\n";
    let outcome = decode_whole(at_limit.as_bytes());
    assert_eq!((outcome.frames.len(), outcome.error), (1, None));
    // Far deeper than any recursion could survive, with the limit lifted.
    let limits = DecodeLimits {
        max_depth: usize::MAX,
        ..DecodeLimits::default()
    };
    let very_deep = "*1\r\n".repeat(1_000_000);
    let outcome = decode_in_pieces(very_deep.as_bytes(), &[], &mut decoder(limits));
    assert_eq!(
        (outcome.frames.len(), outcome.error, outcome.leftover),
        (0, None, 0)
    );
}

#[test]
fn bulk_length_limit() {
    let limits = DecodeLimits {
        max_bulk_len: 4,
        ..DecodeLimits::default()
    };
    for (input, ok) in [
        (&b"$4\r\nabcd\r\n"[..], true),
        (b"$5\r\nabcde\r\n", false),
        (b"!5\r\nabcde\r\n", false),
        (b"=9\r\ntxt:abcde\r\n", false),
        (b"$?\r\n;3\r\nabc\r\n;1\r\nd\r\n;0\r\n", true),
        (b"$?\r\n;3\r\nabc\r\n;2\r\nde\r\n;0\r\n", false),
    ] {
        let outcome = decode_in_pieces(input, &[], &mut decoder(limits));
        if ok {
            assert_eq!(outcome.error, None, "{input:?}");
        } else {
            assert!(
                matches!(
                    outcome.error,
                    Some(ProtocolError::BulkTooLong { limit: 4, .. })
                ),
                "{input:?}"
            );
        }
    }
}

#[test]
fn aggregate_length_limit() {
    let limits = DecodeLimits {
        max_aggregate_len: 2,
        ..DecodeLimits::default()
    };
    let ok = decode_in_pieces(
        b"*2\r\n:1\r\n:2\r\n%2\r\n:1\r\n:1\r\n:2\r\n:2\r\n",
        &[],
        &mut decoder(limits),
    );
    assert_eq!((ok.frames.len(), ok.error), (2, None));
    for input in [&b"*3\r\n"[..], b"%3\r\n", b"~3\r\n", b">3\r\n", b"|3\r\n"] {
        let outcome = decode_in_pieces(input, &[], &mut decoder(limits));
        assert_eq!(
            outcome.error,
            Some(ProtocolError::AggregateTooLong { len: 3, limit: 2 }),
            "{input:?}"
        );
    }
}

#[test]
fn frame_size_limit_counts_parsed_and_buffered_bytes() {
    let limits = DecodeLimits {
        max_frame_size: 64,
        ..DecodeLimits::default()
    };
    // 10 elements of 8 bytes: 84 bytes in all, over the limit even fed in pieces.
    let big = "*10\r\n".to_string() + &"$2\r\nab\r\n".repeat(10);
    let cuts: Vec<usize> = (1..big.len()).collect();
    let outcome = decode_in_pieces(big.as_bytes(), &cuts, &mut decoder(limits));
    assert_eq!(
        outcome.error,
        Some(ProtocolError::FrameTooLarge { limit: 64 })
    );
    // An endless simple string is caught once it passes the limit.
    let mut d = decoder(limits);
    let mut buf = BytesMut::from(&b"+"[..]);
    buf.extend_from_slice(&[b'a'; 64]);
    assert_eq!(
        d.decode(&mut buf),
        Err(ProtocolError::FrameTooLarge { limit: 64 })
    );
    // Many small frames each under the limit are fine: the count restarts per frame.
    let many = "$2\r\nab\r\n".repeat(100);
    let outcome = decode_in_pieces(many.as_bytes(), &[], &mut decoder(limits));
    assert_eq!((outcome.frames.len(), outcome.error), (100, None));
}

/// A frame builder that records the largest preallocation the decoder asked for.
#[derive(Default)]
struct RecordingBuilder {
    largest_capacity: usize,
}

impl Builder for RecordingBuilder {
    type Value = Frame;
    type Partial = PartialFrame;
    fn simple_string(&mut self, text: bytes::Bytes) -> Frame {
        FrameBuilder.simple_string(text)
    }
    fn simple_error(&mut self, text: bytes::Bytes) -> Frame {
        FrameBuilder.simple_error(text)
    }
    fn integer(&mut self, value: i64) -> Frame {
        FrameBuilder.integer(value)
    }
    fn bulk_string(&mut self, data: bytes::Bytes) -> Frame {
        FrameBuilder.bulk_string(data)
    }
    fn bulk_error(&mut self, data: bytes::Bytes) -> Frame {
        FrameBuilder.bulk_error(data)
    }
    fn verbatim(&mut self, format: [u8; 3], text: bytes::Bytes) -> Frame {
        FrameBuilder.verbatim(format, text)
    }
    fn null(&mut self, kind: NullKind) -> Frame {
        FrameBuilder.null(kind)
    }
    fn double(&mut self, value: Double) -> Frame {
        FrameBuilder.double(value)
    }
    fn boolean(&mut self, value: bool) -> Frame {
        FrameBuilder.boolean(value)
    }
    fn big_number(&mut self, digits: bytes::Bytes) -> Frame {
        FrameBuilder.big_number(digits)
    }
    fn begin(&mut self, kind: AggregateKind, capacity: usize) -> PartialFrame {
        self.largest_capacity = self.largest_capacity.max(capacity);
        FrameBuilder.begin(kind, capacity)
    }
    fn element(&mut self, partial: &mut PartialFrame, value: Frame) {
        FrameBuilder.element(partial, value)
    }
    fn end(&mut self, partial: PartialFrame) -> Frame {
        FrameBuilder.end(partial)
    }
    fn attach(&mut self, attributes: Frame, value: Frame) -> Frame {
        FrameBuilder.attach(attributes, value)
    }
}

#[test]
fn hostile_headers_allocate_nothing_in_proportion_to_their_claim() {
    // With default limits these headers are legal; the decoder must simply wait,
    // reserving no more than the bytes it was given can fill.
    for header in [
        &b"*2147483647\r\n"[..],
        b"%2147483647\r\n",
        b"$536870912\r\n",
        b"~2147483647\r\n:1\r\n:2\r\n",
        b"*2147483647\r\n*2147483647\r\n:1\r\n",
    ] {
        let mut decoder = Decoder::with_builder(RecordingBuilder::default());
        let mut buf = BytesMut::from(header);
        let capacity_before = buf.capacity();
        assert!(matches!(decoder.decode(&mut buf), Ok(None)), "{header:?}");
        assert!(
            buf.capacity() <= capacity_before,
            "{header:?} grew the buffer"
        );
        let largest = decoder.builder_mut().largest_capacity;
        assert!(
            largest <= header.len() / 3,
            "{header:?} preallocated {largest} elements"
        );
        // Everything received was parsed once; nothing is left to rescan.
        assert!(buf.is_empty(), "{header:?}");
    }
    // Past the limits they are refused at once.
    let mut decoder = Decoder::new();
    let mut buf = BytesMut::from(&b"$536870913\r\n"[..]);
    assert!(matches!(
        decoder.decode(&mut buf),
        Err(ProtocolError::BulkTooLong { .. })
    ));
    let mut decoder = Decoder::new();
    let mut buf = BytesMut::from(&b"*2147483648\r\n"[..]);
    assert!(matches!(
        decoder.decode(&mut buf),
        Err(ProtocolError::AggregateTooLong { .. })
    ));
}

#[test]
fn large_array_fed_in_small_pieces_is_parsed_once() {
    // 200,000 elements fed 1 KiB at a time. After every feed the buffer holds at most
    // one incomplete element: everything before it was consumed, so nothing is parsed
    // again from the array's start.
    const N: usize = 200_000;
    let mut input = format!("*{N}\r\n").into_bytes();
    for i in 0..N {
        input.extend_from_slice(format!("$8\r\n{:08}\r\n", i % 100_000_000).as_bytes());
    }
    let mut decoder = Decoder::new();
    let mut buf = BytesMut::new();
    let mut result = None;
    let mut most_left = 0;
    for chunk in input.chunks(1024) {
        buf.extend_from_slice(chunk);
        assert!(result.is_none());
        result = decoder.decode(&mut buf).unwrap();
        most_left = most_left.max(buf.len());
    }
    assert!(
        most_left < 16,
        "up to {most_left} bytes were left unparsed between feeds"
    );
    let Some(Frame::Array(ref items)) = result else {
        panic!("no array")
    };
    assert_eq!(items.len(), N);
    assert_eq!(items[N - 1], Frame::bulk(format!("{:08}", N - 1)));
}

#[test]
fn values_limit_counts_every_element_at_any_depth() {
    assert_eq!(DecodeLimits::default().max_values, usize::MAX);
    let limits = |max_values| DecodeLimits {
        max_values,
        ..DecodeLimits::default()
    };
    // Three integers (a run), then an array holding an array of two: three values.
    for input in [
        &b"*3\r\n:1\r\n:2\r\n:3\r\n"[..],
        b"*1\r\n*2\r\n:1\r\n:2\r\n",
    ] {
        let every_split: Vec<usize> = (1..input.len()).collect();
        for cuts in [&[][..], &every_split[..]] {
            let ok = decode_in_pieces(input, cuts, &mut decoder(limits(3)));
            assert_eq!((ok.frames.len(), ok.error), (1, None), "{input:?}");
            let over = decode_in_pieces(input, cuts, &mut decoder(limits(2)));
            assert_eq!(
                (over.frames.len(), over.error),
                (0, Some(ProtocolError::TooManyValues { limit: 2 })),
                "{input:?}"
            );
        }
    }
    // The count is per frame: many small frames in a row are each within it.
    let many = "*2\r\n:1\r\n:2\r\n".repeat(100);
    let outcome = decode_in_pieces(many.as_bytes(), &[], &mut decoder(limits(2)));
    assert_eq!((outcome.frames.len(), outcome.error), (100, None));
    // A long run is cut at the limit, not after it.
    let long = format!("*10000\r\n{}", ":7\r\n".repeat(10_000));
    let outcome = decode_in_pieces(long.as_bytes(), &[], &mut decoder(limits(5_000)));
    assert_eq!(
        outcome.error,
        Some(ProtocolError::TooManyValues { limit: 5_000 })
    );
}

#[test]
fn a_bulk_in_progress_says_how_much_it_needs() {
    let mut decoder = Decoder::new();
    let mut buf = BytesMut::from(&b"*2\r\n$10\r\nabc"[..]);
    assert_eq!(decoder.needed(), None);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    // The headers are consumed: the payload and its CRLF, from the buffer's front.
    assert_eq!(decoder.needed(), Some(12));
    buf.extend_from_slice(b"defghij\r\n:1\r\n");
    assert!(decoder.decode(&mut buf).unwrap().is_some());
    assert_eq!(decoder.needed(), None);
}
