//! Vectors from the RESP2 and RESP3 specifications (`shared/specs/`), each fed whole,
//! byte by byte, at every split point, and with trailing bytes after it.

mod common;

use bytes::Bytes;
use common::*;
use redis_sansio::resp::{Double, Frame, decode_one};

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}
fn bulk(s: &str) -> Frame {
    Frame::BulkString(b(s))
}
/// A double as decoded: it keeps its wire text.
fn double(s: &str) -> Frame {
    Frame::Double(Double::from_wire(b(s)).unwrap())
}
fn simple(s: &str) -> Frame {
    Frame::SimpleString(b(s))
}

/// (wire bytes, the frame they must decode to)
fn vectors() -> Vec<(&'static str, Frame)> {
    vec![
        // RESP2
        ("+OK\r\n", simple("OK")),
        ("-Error message\r\n", Frame::SimpleError(b("Error message"))),
        (
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            Frame::SimpleError(b(
                "WRONGTYPE Operation against a key holding the wrong kind of value",
            )),
        ),
        (":0\r\n", Frame::Integer(0)),
        (":1000\r\n", Frame::Integer(1000)),
        (":-42\r\n", Frame::Integer(-42)),
        ("$5\r\nhello\r\n", bulk("hello")),
        ("$0\r\n\r\n", bulk("")),
        (
            "$13\r\nbinary\r\n\0safe\r\n",
            Frame::BulkString(Bytes::from_static(b"binary\r\n\0safe")),
        ),
        ("$-1\r\n", Frame::NullBulk),
        ("*0\r\n", Frame::Array(vec![])),
        (
            "*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n",
            Frame::Array(vec![bulk("hello"), bulk("world")]),
        ),
        (
            "*3\r\n:1\r\n:2\r\n:3\r\n",
            Frame::Array(vec![
                Frame::Integer(1),
                Frame::Integer(2),
                Frame::Integer(3),
            ]),
        ),
        (
            "*5\r\n:1\r\n:2\r\n:3\r\n:4\r\n$5\r\nhello\r\n",
            Frame::Array(vec![
                Frame::Integer(1),
                Frame::Integer(2),
                Frame::Integer(3),
                Frame::Integer(4),
                bulk("hello"),
            ]),
        ),
        ("*-1\r\n", Frame::NullArray),
        (
            "*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+Hello\r\n-World\r\n",
            Frame::Array(vec![
                Frame::Array(vec![
                    Frame::Integer(1),
                    Frame::Integer(2),
                    Frame::Integer(3),
                ]),
                Frame::Array(vec![simple("Hello"), Frame::SimpleError(b("World"))]),
            ]),
        ),
        (
            "*3\r\n$5\r\nhello\r\n$-1\r\n$5\r\nworld\r\n",
            Frame::Array(vec![bulk("hello"), Frame::NullBulk, bulk("world")]),
        ),
        // RESP3 simple types
        ("_\r\n", Frame::Null),
        (",1.23\r\n", double("1.23")),
        (",10\r\n", double("10")),
        (",-1.5e-3\r\n", double("-1.5e-3")),
        (",1E+10\r\n", double("1E+10")),
        (",inf\r\n", double("inf")),
        (",-inf\r\n", double("-inf")),
        (",nan\r\n", double("nan")),
        ("#t\r\n", Frame::Boolean(true)),
        ("#f\r\n", Frame::Boolean(false)),
        (
            "!21\r\nSYNTAX invalid syntax\r\n",
            Frame::BulkError(b("SYNTAX invalid syntax")),
        ),
        (
            "=15\r\ntxt:Some string\r\n",
            Frame::Verbatim {
                format: *b"txt",
                text: b("Some string"),
            },
        ),
        (
            "=4\r\nmkd:\r\n",
            Frame::Verbatim {
                format: *b"mkd",
                text: b(""),
            },
        ),
        (
            "(3492890328409238509324850943850943825024385\r\n",
            Frame::BigNumber(b("3492890328409238509324850943850943825024385")),
        ),
        (
            "(-3492890328409238509324850943850943825024385\r\n",
            Frame::BigNumber(b("-3492890328409238509324850943850943825024385")),
        ),
        // RESP3 aggregates
        (
            "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
            Frame::Map(vec![
                (simple("first"), Frame::Integer(1)),
                (simple("second"), Frame::Integer(2)),
            ]),
        ),
        (
            "%2\r\n+k\r\n:1\r\n+k\r\n:2\r\n",
            Frame::Map(vec![
                (simple("k"), Frame::Integer(1)),
                (simple("k"), Frame::Integer(2)),
            ]),
        ),
        (
            "~5\r\n+orange\r\n+apple\r\n#t\r\n:100\r\n:999\r\n",
            Frame::Set(vec![
                simple("orange"),
                simple("apple"),
                Frame::Boolean(true),
                Frame::Integer(100),
                Frame::Integer(999),
            ]),
        ),
        (
            ">4\r\n+pubsub\r\n+message\r\n+somechannel\r\n+this is the message\r\n",
            Frame::Push(vec![
                simple("pubsub"),
                simple("message"),
                simple("somechannel"),
                simple("this is the message"),
            ]),
        ),
        // Attributes, attached to the value they precede.
        (
            "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n",
            Frame::Attributed {
                attributes: vec![(
                    simple("key-popularity"),
                    Frame::Map(vec![
                        (bulk("a"), double("0.1923")),
                        (bulk("b"), double("0.0012")),
                    ]),
                )],
                value: Box::new(Frame::Array(vec![
                    Frame::Integer(2039123),
                    Frame::Integer(9543892),
                ])),
            },
        ),
        (
            "*3\r\n:1\r\n:2\r\n|1\r\n+ttl\r\n:3600\r\n:3\r\n",
            Frame::Array(vec![
                Frame::Integer(1),
                Frame::Integer(2),
                Frame::Attributed {
                    attributes: vec![(simple("ttl"), Frame::Integer(3600))],
                    value: Box::new(Frame::Integer(3)),
                },
            ]),
        ),
        (
            "|0\r\n|1\r\n+a\r\n:1\r\n:7\r\n",
            Frame::Attributed {
                attributes: vec![],
                value: Box::new(Frame::Attributed {
                    attributes: vec![(simple("a"), Frame::Integer(1))],
                    value: Box::new(Frame::Integer(7)),
                }),
            },
        ),
        // Streamed strings and aggregates.
        // The specification's own example: its chunks spell "Hello word".
        (
            "$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n",
            bulk("Hello word"),
        ),
        (
            "$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;2\r\nld\r\n;0\r\n",
            bulk("Hello world"),
        ),
        ("$?\r\n;0\r\n", bulk("")),
        (
            "*?\r\n:1\r\n:2\r\n:3\r\n.\r\n",
            Frame::Array(vec![
                Frame::Integer(1),
                Frame::Integer(2),
                Frame::Integer(3),
            ]),
        ),
        ("~?\r\n+a\r\n.\r\n", Frame::Set(vec![simple("a")])),
        (">?\r\n+a\r\n.\r\n", Frame::Push(vec![simple("a")])),
        ("*?\r\n.\r\n", Frame::Array(vec![])),
        (
            "%?\r\n+a\r\n:1\r\n+b\r\n:2\r\n.\r\n",
            Frame::Map(vec![
                (simple("a"), Frame::Integer(1)),
                (simple("b"), Frame::Integer(2)),
            ]),
        ),
        (
            "*?\r\n$?\r\n;2\r\nab\r\n;0\r\n*?\r\n|1\r\n+x\r\n:1\r\n:5\r\n.\r\n.\r\n",
            Frame::Array(vec![
                bulk("ab"),
                Frame::Array(vec![Frame::Attributed {
                    attributes: vec![(simple("x"), Frame::Integer(1))],
                    value: Box::new(Frame::Integer(5)),
                }]),
            ]),
        ),
        // RESP2 nulls inside RESP3 aggregates.
        (
            "%1\r\n$-1\r\n*-1\r\n",
            Frame::Map(vec![(Frame::NullBulk, Frame::NullArray)]),
        ),
        // Errors quote user input and need not be UTF-8.
        (
            "-ERR unknown command '\u{00ff}'\r\n",
            Frame::SimpleError(b("ERR unknown command '\u{00ff}'")),
        ),
    ]
}

#[test]
fn spec_vectors_decode_to_their_frames_however_split() {
    for (wire, expected) in vectors() {
        let outcome = assert_split_invariant(wire.as_bytes());
        assert_eq!(outcome.error, None, "{wire:?}");
        assert_eq!(outcome.leftover, 0, "{wire:?}");
        assert_eq!(
            canonical(&outcome.frames),
            canonical(std::slice::from_ref(&expected)),
            "{wire:?}"
        );
    }
}

#[test]
fn non_utf8_error_text_is_kept_as_bytes() {
    let wire = b"-ERR bad \xff\xfe key\r\n";
    let (frame, used) = decode_one(wire).unwrap().unwrap();
    assert_eq!(used, wire.len());
    assert_eq!(
        frame,
        Frame::SimpleError(Bytes::from_static(b"ERR bad \xff\xfe key"))
    );
}

#[test]
fn nan_spellings_from_older_servers_are_nan() {
    for wire in [",-nan\r\n", ",NAN\r\n", ",nan(0x7ff)\r\n"] {
        let (frame, _) = decode_one(wire.as_bytes()).unwrap().unwrap();
        assert!(
            matches!(frame, Frame::Double(ref d) if d.value().is_nan()),
            "{wire}"
        );
    }
}

#[test]
fn vectors_followed_by_trailing_bytes_leave_them_in_the_buffer() {
    for (wire, expected) in vectors() {
        // A complete frame and then the start of another one.
        let input = format!("{wire}*2\r\n$3\r\nfo");
        let outcome = assert_split_invariant(input.as_bytes());
        assert_eq!(outcome.error, None, "{wire:?}");
        assert_eq!(outcome.frames.len(), 1, "{wire:?}");
        assert_eq!(
            canonical(&outcome.frames),
            canonical(std::slice::from_ref(&expected))
        );
        // Everything up to the partial bulk payload is consumed: the array header and
        // the bulk header are parsed and kept in the decoder.
        assert_eq!(outcome.leftover, 2, "{wire:?}");
    }
}

#[test]
fn all_vectors_back_to_back_decode_in_order() {
    let vectors = vectors();
    let input: String = vectors.iter().map(|(wire, _)| *wire).collect();
    let expected: Vec<Frame> = vectors.into_iter().map(|(_, frame)| frame).collect();
    let outcome = assert_split_invariant(input.as_bytes());
    assert_eq!(outcome.error, None);
    assert_eq!(canonical(&outcome.frames), canonical(&expected));
}

#[test]
fn payloads_are_slices_of_the_input_buffer() {
    let mut buf = bytes::BytesMut::from(&b"*2\r\n$5\r\nhello\r\n+world\r\n"[..]);
    let base = buf.as_ptr() as usize;
    let end = base + buf.len();
    let frame = redis_sansio::resp::Decoder::new()
        .decode(&mut buf)
        .unwrap()
        .unwrap();
    let Frame::Array(ref items) = frame else {
        panic!("not an array: {frame:?}")
    };
    for item in items {
        let data = item.as_bytes().expect("a string");
        let at = data.as_ptr() as usize;
        assert!(at >= base && at + data.len() <= end, "{item:?} was copied");
    }
}

/// What redis-server itself sends (ZSCORE over RESP3, Lua `{double=...}` with `%.17g`
/// before 7.2, Lua `{big_number=...}` passed through as is) comes back out of the
/// encoder byte for byte.
#[test]
fn server_spellings_re_encode_byte_for_byte() {
    for wire in [
        &b",1\r\n"[..],
        b",3.1400000000000001\r\n",
        b",1e+300\r\n",
        b",-1.0000000000000001e-05\r\n",
        b",-nan\r\n",
        b",inf\r\n",
        b"(123  123\r\n",
        b"(\r\n",
        b"(-12x\r\n",
        b"*2\r\n,0\r\n%1\r\n,2.5\r\n(1\r\n",
    ] {
        let (frame, used) = decode_one(wire).unwrap().unwrap();
        assert_eq!(used, wire.len());
        let mut out = bytes::BytesMut::new();
        redis_sansio::resp::encode_frame(&mut out, &frame);
        assert_eq!(&out[..], wire, "{:?}", String::from_utf8_lossy(wire));
    }
    let (frame, _) = decode_one(b",3.1400000000000001\r\n").unwrap().unwrap();
    let Frame::Double(double) = &frame else {
        panic!("{frame:?}")
    };
    assert_eq!(double.value(), "3.14".parse::<f64>().unwrap());
    assert_eq!(double.to_string(), "3.1400000000000001");
    assert_eq!(
        decode_one(b"(123  123\r\n").unwrap().unwrap().0,
        Frame::BigNumber(b("123  123"))
    );
}
