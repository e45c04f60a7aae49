//! The decoder's fast paths, for whole top-level bulk strings, simple strings, simple
//! errors and integers, and for whole bulk strings inside aggregates, must give
//! exactly what the general path gives: the same values, errors and leftovers whether
//! a frame arrives whole (fast path) or in pieces (general path), at every limit edge,
//! and still without copying.

mod common;

use bytes::{Bytes, BytesMut};
use common::*;
use redis_sansio::ProtocolError;
use redis_sansio::resp::{DecodeLimits, Decoder, Frame};

fn bulk(data: &[u8]) -> Frame {
    Frame::BulkString(Bytes::copy_from_slice(data))
}

/// Top-level replies the fast path takes, mixed with ones it leaves to the general
/// path (nulls, aggregates, attributes, streamed strings, other scalar types).
fn mixed_stream() -> (Vec<u8>, Vec<Frame>) {
    let cases: Vec<(&[u8], Frame)> = vec![
        (b"$5\r\nhello\r\n", bulk(b"hello")),
        (b"$0\r\n\r\n", bulk(b"")),
        (b"$4\r\n\r\n\r\n\r\n", bulk(b"\r\n\r\n")),
        (b"$-1\r\n", Frame::NullBulk),
        (b"+OK\r\n", Frame::simple("OK")),
        (b"+\r\n", Frame::simple("")),
        (b"-ERR bad\r\n", Frame::error("ERR bad")),
        (b"-\r\n", Frame::error("")),
        (b":0\r\n", Frame::Integer(0)),
        (b":-9223372036854775808\r\n", Frame::Integer(i64::MIN)),
        (b":9223372036854775807\r\n", Frame::Integer(i64::MAX)),
        (
            b"*2\r\n$1\r\na\r\n:1\r\n",
            Frame::Array(vec![bulk(b"a"), Frame::Integer(1)]),
        ),
        (
            b"|1\r\n+key\r\n+value\r\n$1\r\nx\r\n",
            Frame::Attributed {
                attributes: vec![(Frame::simple("key"), Frame::simple("value"))],
                value: Box::new(bulk(b"x")),
            },
        ),
        (b"$?\r\n;2\r\nab\r\n;1\r\nc\r\n;0\r\n", bulk(b"abc")),
        (b"_\r\n", Frame::Null),
        (
            b"!3\r\nERR\r\n",
            Frame::BulkError(Bytes::from_static(b"ERR")),
        ),
        (b"#t\r\n", Frame::Boolean(true)),
        (b"$10\r\n0123456789\r\n", bulk(b"0123456789")),
    ];
    let mut wire = Vec::new();
    let mut frames = Vec::new();
    for (bytes, frame) in cases {
        wire.extend_from_slice(bytes);
        frames.push(frame);
    }
    // A long bulk, whose length has several digits.
    let long = vec![b'z'; 12_345];
    wire.extend_from_slice(b"$12345\r\n");
    wire.extend_from_slice(&long);
    wire.extend_from_slice(b"\r\n");
    frames.push(bulk(&long));
    (wire, frames)
}

#[test]
fn mixed_top_level_replies_decode_the_same_at_every_split() {
    let (wire, frames) = mixed_stream();
    let outcome = assert_split_invariant(&wire);
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.leftover, 0);
    assert_eq!(outcome.frames, frames);
}

#[test]
fn every_prefix_leaves_the_same_state() {
    // Feeding a prefix, decoding, then feeding the rest must match feeding everything:
    // whatever the fast path declined must be left for the general path unconsumed.
    let (wire, frames) = mixed_stream();
    for at in 0..wire.len() {
        for second in [at + 1, wire.len()] {
            let cuts = [at, second.min(wire.len())];
            let outcome = decode_in_pieces(&wire, &cuts, &mut Decoder::new());
            assert_eq!(outcome.frames, frames, "cuts {cuts:?}");
            assert_eq!(
                (outcome.error, outcome.leftover),
                (None, 0),
                "cuts {cuts:?}"
            );
        }
    }
}

#[test]
fn lengths_the_fast_path_declines_get_the_general_paths_answer() {
    for input in [
        &b"$01\r\nab\r\n"[..],
        b"$00\r\n\r\n",
        b"$-0\r\n",
        b"$-2\r\n",
        b"$+1\r\na\r\n",
        b"$ 1\r\na\r\n",
        b"$1 \r\na\r\n",
        b"$\r\n",
        b"$1\ra\r\n",
        b"$1\n\na\r\n",
        b"$2\r\nabXY",
        b"$2\r\nab\rX",
        b"$999999999999999999\r\n",
        b"$9999999999999999999\r\n",
        b"$99999999999999999999999\r\n",
        b"$18446744073709551616\r\n",
        b"+a\nb\r\n",
        b"+a\rb\r\n",
        b"-a\nb\r\n",
        b":01\r\n",
        b":-0\r\n",
        b":+1\r\n",
        b":9223372036854775808\r\n",
        b":1\r\r",
    ] {
        let outcome = assert_split_invariant(input);
        assert!(
            outcome.error.is_some(),
            "{:?} was accepted: {:?}",
            String::from_utf8_lossy(input),
            outcome.frames
        );
    }
}

/// Decodes `input` with `limits`, whole (the fast path) and byte by byte (the
/// general path), and checks both agree; returns the outcome.
fn with_limits(input: &[u8], limits: DecodeLimits) -> Outcome {
    let whole = decode_in_pieces(input, &[], &mut Decoder::new().with_limits(limits));
    let cuts: Vec<usize> = (1..input.len()).collect();
    let bytewise = decode_in_pieces(input, &cuts, &mut Decoder::new().with_limits(limits));
    assert_same(&format!("{input:?}"), &whole, &bytewise);
    let all = decode_all_in_pieces(input, &[], &mut Decoder::new().with_limits(limits));
    assert_same(&format!("decode_all {input:?}"), &whole, &all);
    whole
}

#[test]
fn limits_apply_at_the_same_edges() {
    let defaults = DecodeLimits::default();
    // "$5\r\nhello\r\n" is 11 bytes with a 5-byte payload.
    let frame = b"$5\r\nhello\r\n";
    let bulk_limit = |max_bulk_len| DecodeLimits {
        max_bulk_len,
        ..defaults
    };
    let frame_limit = |max_frame_size| DecodeLimits {
        max_frame_size,
        ..defaults
    };
    assert_eq!(with_limits(frame, bulk_limit(5)).frames, [bulk(b"hello")]);
    assert_eq!(
        with_limits(frame, bulk_limit(4)).error,
        Some(ProtocolError::BulkTooLong { len: 5, limit: 4 })
    );
    assert_eq!(with_limits(frame, frame_limit(11)).frames, [bulk(b"hello")]);
    assert_eq!(
        with_limits(frame, frame_limit(10)).error,
        Some(ProtocolError::FrameTooLarge { limit: 10 })
    );
    // Lines: ":12345\r\n" and "+hello\r\n" are 8 bytes.
    for (line, value) in [
        (&b":12345\r\n"[..], Frame::Integer(12345)),
        (b"+hello\r\n", Frame::simple("hello")),
        (b"-hello\r\n", Frame::error("hello")),
    ] {
        assert_eq!(with_limits(line, frame_limit(8)).frames, [value]);
        assert_eq!(
            with_limits(line, frame_limit(7)).error,
            Some(ProtocolError::FrameTooLarge { limit: 7 })
        );
    }
    // Bulk elements of aggregates take the same one-split path when whole.
    let array = b"*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n"; // 26 bytes
    let pair = Frame::Array(vec![bulk(b"hello"), bulk(b"world")]);
    assert_eq!(
        with_limits(array, frame_limit(26)).frames,
        vec![pair.clone()]
    );
    assert_eq!(
        with_limits(array, frame_limit(25)).error,
        Some(ProtocolError::FrameTooLarge { limit: 25 })
    );
    assert_eq!(with_limits(array, bulk_limit(5)).frames, [pair]);
    assert_eq!(
        with_limits(array, bulk_limit(4)).error,
        Some(ProtocolError::BulkTooLong { len: 5, limit: 4 })
    );
    // The limit counts each frame on its own: many frames at the limit are fine.
    let many = frame.repeat(50);
    let outcome = with_limits(&many, frame_limit(11));
    assert_eq!((outcome.frames.len(), outcome.error), (50, None));
    // A pipeline's replies, one too large among them.
    let mut replies = b"+OK\r\n:12\r\n$-1\r\n_\r\n".repeat(3);
    replies.extend_from_slice(b"$12\r\nhello world!\r\n+OK\r\n");
    let outcome = with_limits(&replies, frame_limit(11));
    assert_eq!(outcome.frames.len(), 12);
    assert_eq!(
        outcome.error,
        Some(ProtocolError::FrameTooLarge { limit: 11 })
    );
    let outcome = with_limits(&replies, bulk_limit(11));
    assert_eq!(
        outcome.error,
        Some(ProtocolError::BulkTooLong { len: 12, limit: 11 })
    );
}

#[test]
fn fast_path_values_share_the_buffer() {
    let mut buf = BytesMut::with_capacity(64);
    buf.extend_from_slice(b"$5\r\nhello\r\n+PONG\r\n+OK\r\n$0\r\n\r\n:7\r\n$3\r\nab");
    let start = buf.as_ptr() as usize;
    let end = start + buf.capacity();
    let mut decoder = Decoder::new();
    let within = |data: &Bytes| (start..end).contains(&(data.as_ptr() as usize));
    let Ok(Some(Frame::BulkString(ref hello))) = decoder.decode(&mut buf) else {
        panic!("no bulk")
    };
    assert_eq!(&hello[..], b"hello");
    assert!(within(hello), "the bulk was copied");
    let Ok(Some(Frame::SimpleString(ref pong))) = decoder.decode(&mut buf) else {
        panic!("no simple string")
    };
    assert_eq!(&pong[..], b"PONG");
    assert!(within(pong), "the simple string was copied");
    // `+OK`, the commonest reply, is not copied either: it is a static `Bytes`.
    assert_eq!(decoder.decode(&mut buf), Ok(Some(Frame::simple("OK"))));
    assert_eq!(decoder.decode(&mut buf), Ok(Some(bulk(b""))));
    assert_eq!(decoder.decode(&mut buf), Ok(Some(Frame::Integer(7))));
    // The incomplete bulk: its header is consumed, the partial payload waits.
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(&buf[..], b"ab");
    buf.extend_from_slice(b"c\r\n");
    assert_eq!(decoder.decode(&mut buf), Ok(Some(bulk(b"abc"))));
    assert!(buf.is_empty());
    assert!(decoder.is_idle());
}

#[test]
fn a_long_text_line_is_scanned_once() {
    // An incomplete simple string fed in pieces: each call resumes the scan where the
    // last stopped, and the frame-size limit still catches an endless line.
    let limits = DecodeLimits {
        max_frame_size: 1_000,
        ..DecodeLimits::default()
    };
    let mut decoder = Decoder::new().with_limits(limits);
    let mut buf = BytesMut::from(&b"+"[..]);
    for _ in 0..99 {
        buf.extend_from_slice(b"abcdefghij");
        assert_eq!(decoder.decode(&mut buf), Ok(None));
    }
    buf.extend_from_slice(b"\r\n");
    let Ok(Some(Frame::SimpleString(ref text))) = decoder.decode(&mut buf) else {
        panic!("no simple string")
    };
    assert_eq!(text.len(), 990);
    let mut buf = BytesMut::from(&b"+"[..]);
    let mut decoder = Decoder::new().with_limits(limits);
    let error = loop {
        buf.extend_from_slice(b"abcdefghij");
        match decoder.decode(&mut buf) {
            Ok(None) => {}
            other => break other,
        }
    };
    assert_eq!(error, Err(ProtocolError::FrameTooLarge { limit: 1_000 }));
}

/// Aggregates whose elements are bulk strings and nulls are taken a run at a time.
fn runs_stream() -> (Vec<u8>, Vec<Frame>) {
    let cases: Vec<(&[u8], Frame)> = vec![
        // MGET in RESP2 and RESP3, with missing keys.
        (
            b"*4\r\n$1\r\na\r\n$-1\r\n$0\r\n\r\n$2\r\nbc\r\n",
            Frame::Array(vec![bulk(b"a"), Frame::NullBulk, bulk(b""), bulk(b"bc")]),
        ),
        (
            b"*3\r\n_\r\n$3\r\nxyz\r\n_\r\n",
            Frame::Array(vec![Frame::Null, bulk(b"xyz"), Frame::Null]),
        ),
        // The run ends where the aggregate does: the bulks after it are top-level.
        (
            b"*2\r\n$1\r\na\r\n$1\r\nb\r\n",
            Frame::Array(vec![bulk(b"a"), bulk(b"b")]),
        ),
        (b"$1\r\nc\r\n", bulk(b"c")),
        // Runs broken by other types, nested, in maps and sets.
        (
            b"*5\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n*2\r\n$1\r\nc\r\n_\r\n$1\r\nd\r\n",
            Frame::Array(vec![
                bulk(b"a"),
                Frame::Integer(1),
                bulk(b"b"),
                Frame::Array(vec![bulk(b"c"), Frame::Null]),
                bulk(b"d"),
            ]),
        ),
        (
            b"%2\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nk2\r\n_\r\n",
            Frame::Map(vec![(bulk(b"k"), bulk(b"v")), (bulk(b"k2"), Frame::Null)]),
        ),
        (
            b"~2\r\n$1\r\nx\r\n$1\r\ny\r\n",
            Frame::Set(vec![bulk(b"x"), bulk(b"y")]),
        ),
        // Attributes before an element, and a streamed aggregate: the general path.
        (
            b"*2\r\n|1\r\n$1\r\nk\r\n$1\r\nv\r\n$1\r\na\r\n$1\r\nb\r\n",
            Frame::Array(vec![
                Frame::Attributed {
                    attributes: vec![(bulk(b"k"), bulk(b"v"))],
                    value: Box::new(bulk(b"a")),
                },
                bulk(b"b"),
            ]),
        ),
        (
            b"*?\r\n$1\r\na\r\n$1\r\nb\r\n.\r\n",
            Frame::Array(vec![bulk(b"a"), bulk(b"b")]),
        ),
    ];
    let mut wire = Vec::new();
    let mut frames = Vec::new();
    for (bytes, frame) in cases {
        wire.extend_from_slice(bytes);
        frames.push(frame);
    }
    (wire, frames)
}

#[test]
fn runs_of_bulks_decode_the_same_at_every_split() {
    let (wire, frames) = runs_stream();
    let outcome = assert_split_invariant(&wire);
    assert_eq!((outcome.error, outcome.leftover), (None, 0));
    assert_eq!(outcome.frames, frames);
    for at in 0..wire.len() {
        for second in [at + 1, wire.len()] {
            let cuts = [at, second.min(wire.len())];
            let outcome = decode_in_pieces(&wire, &cuts, &mut Decoder::new());
            assert_eq!(outcome.frames, frames, "cuts {cuts:?}");
        }
    }
}

#[test]
fn runs_stop_at_the_limits_where_the_general_path_does() {
    let defaults = DecodeLimits::default();
    // Ten 5-byte values: each element takes 11 bytes, the header 5.
    let mut array = b"*10\r\n".to_vec();
    for i in 0..10 {
        array.extend_from_slice(format!("$5\r\nval{i:02}\r\n").as_bytes());
    }
    let whole = array.len(); // 115
    for max_frame_size in [whole, whole - 1, 16, 15, 60] {
        let limits = DecodeLimits {
            max_frame_size,
            ..defaults
        };
        let outcome = with_limits(&array, limits);
        if max_frame_size >= whole {
            assert_eq!(outcome.frames.len(), 1);
        } else {
            assert_eq!(
                outcome.error,
                Some(ProtocolError::FrameTooLarge {
                    limit: max_frame_size
                })
            );
        }
    }
    // A longer value in the middle of a run of short ones.
    let mut array = b"*3\r\n$1\r\na\r\n$6\r\nlonger\r\n$1\r\nb\r\n".to_vec();
    let limits = DecodeLimits {
        max_bulk_len: 5,
        ..defaults
    };
    assert_eq!(
        with_limits(&array, limits).error,
        Some(ProtocolError::BulkTooLong { len: 6, limit: 5 })
    );
    // A malformed element ends the run and fails as it does alone.
    array = b"*3\r\n$1\r\na\r\n$1\r\nbX\r\n$1\r\nc\r\n".to_vec();
    assert_eq!(
        with_limits(&array, defaults).error,
        Some(ProtocolError::ExpectedCrlf)
    );
}

#[test]
fn run_values_share_the_buffer() {
    let mut buf = BytesMut::with_capacity(128);
    buf.extend_from_slice(b"*3\r\n$5\r\nhello\r\n_\r\n$5\r\nworld\r\n");
    let start = buf.as_ptr() as usize;
    let end = start + buf.capacity();
    let Ok(Some(Frame::Array(ref items))) = Decoder::new().decode(&mut buf) else {
        panic!("no array")
    };
    for item in items {
        if let Frame::BulkString(data) = item {
            assert!((start..end).contains(&(data.as_ptr() as usize)), "copied");
        }
    }
    assert_eq!(*items, [bulk(b"hello"), Frame::Null, bulk(b"world")]);
}
