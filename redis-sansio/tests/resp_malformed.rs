//! Malformed input: each case gives its typed error, the same however it is split,
//! and the error is sticky.

mod common;

use bytes::BytesMut;
use common::*;
use redis_sansio::ProtocolError::{self, *};
use redis_sansio::resp::Decoder;

fn cases() -> Vec<(&'static [u8], ProtocolError)> {
    vec![
        // Type bytes
        (b"x\r\n", UnknownType(b'x')),
        (b"\r\n", UnknownType(b'\r')),
        (b" +OK\r\n", UnknownType(b' ')),
        (b"*1\r\n@\r\n", UnknownType(b'@')),
        // Line endings
        (b"+OK\n", ExpectedCrlf),
        (b"+O\rK\r\n", ExpectedCrlf),
        (b"$2\r\nabcd\r\n", ExpectedCrlf),
        (b"$2\r\nab\n\n", ExpectedCrlf),
        (b"_x\r\n", ExpectedCrlf),
        (b"_\n", ExpectedCrlf),
        (b"_\r\r", ExpectedCrlf),
        (b"*?\r\n.x\r\n", ExpectedCrlf),
        // Integers: Redis's strict grammar
        (b":+1\r\n", InvalidInteger),
        (b":01\r\n", InvalidInteger),
        (b":-0\r\n", InvalidInteger),
        (b":\r\n", InvalidInteger),
        (b":1.5\r\n", InvalidInteger),
        (b": 1\r\n", InvalidInteger),
        (b":9223372036854775808\r\n", InvalidInteger),
        (b":-9223372036854775809\r\n", InvalidInteger),
        (b":99999999999999999999999\r\n", InvalidInteger),
        (b":1\r\r", InvalidInteger),
        // Lengths
        (b"$-2\r\n", InvalidLength),
        (b"$+5\r\n", InvalidLength),
        (b"$05\r\nhello\r\n", InvalidLength),
        (b"$x\r\n", InvalidLength),
        (b"$99999999999999999999\r\n", InvalidLength),
        (b"*-2\r\n", InvalidLength),
        (b"*1x\r\n", InvalidLength),
        (b"%-1\r\n", InvalidLength),
        (b"~-1\r\n", InvalidLength),
        (b"!-1\r\n", InvalidLength),
        (b"=-1\r\n", InvalidLength),
        (b"|?\r\n", InvalidLength),
        (b"!?\r\n", InvalidLength),
        (b"$?x\r\n", InvalidLength),
        (b"$?\r\n;-1\r\n", InvalidLength),
        (b"$?\r\n;?\r\n", InvalidLength),
        // Doubles, booleans, big numbers (any line), verbatim strings
        (b",\r\n", InvalidDouble),
        (b",.5\r\n", InvalidDouble),
        (b",1.\r\n", InvalidDouble),
        (b",1e\r\n", InvalidDouble),
        (b",infinity\r\n", InvalidDouble),
        (b",1,5\r\n", InvalidDouble),
        (b"#x\r\n", InvalidBoolean),
        (b"#\r\n", InvalidBoolean),
        (b"#true\r\n", InvalidBoolean),
        (b"(12\r3\r\n", ExpectedCrlf),
        (b"=3\r\ntxt\r\n", InvalidVerbatim),
        (b"=5\r\ntxt-x\r\n", InvalidVerbatim),
        // Streaming
        (b".\r\n", UnexpectedEnd),
        (b"*1\r\n.\r\n", UnexpectedEnd),
        (b"*?\r\n|1\r\n+a\r\n:1\r\n.\r\n", UnexpectedEnd),
        (b";3\r\nabc\r\n", UnexpectedChunk),
        (b"$?\r\n+OK\r\n", UnexpectedChunk),
        (b"$?\r\n$3\r\nabc\r\n", UnexpectedChunk),
        (b"%?\r\n+a\r\n.\r\n", OddMap),
    ]
}

#[test]
fn each_malformed_input_gives_its_error_however_split() {
    for (input, expected) in cases() {
        let outcome = assert_split_invariant(input);
        assert_eq!(
            outcome.error.as_ref(),
            Some(&expected),
            "{:?}",
            String::from_utf8_lossy(input)
        );
        assert!(
            outcome.frames.is_empty(),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn frames_before_the_bad_bytes_are_delivered() {
    let outcome = decode_whole(b"+OK\r\n:1\r\n:01\r\n+never\r\n");
    assert_eq!(outcome.frames.len(), 2);
    assert_eq!(outcome.error, Some(InvalidInteger));
}

#[test]
fn errors_are_sticky() {
    let mut decoder = Decoder::new();
    let mut buf = BytesMut::from(&b"?\r\n+OK\r\n"[..]);
    assert_eq!(decoder.decode(&mut buf), Err(UnknownType(b'?')));
    let left = buf.len();
    assert_eq!(decoder.decode(&mut buf), Err(UnknownType(b'?')));
    buf.clear();
    buf.extend_from_slice(b"+OK\r\n");
    assert_eq!(decoder.decode(&mut buf), Err(UnknownType(b'?')));
    assert_eq!(decoder.error(), Some(&UnknownType(b'?')));
    assert_eq!(left, 8, "the failing call consumed nothing");
}

#[test]
fn garbage_never_panics() {
    // Every 3-byte sequence over the bytes that matter to the grammar, after every
    // type byte: no panic, and either a frame, an error or a wait for more.
    let alphabet = b"$*%~>|!=;:_.,#(+-?0123456789\r\nxt";
    for &type_byte in b"$*%~>|!=;:_.,#(+-" {
        for &a in alphabet {
            for &b in alphabet {
                for &c in alphabet {
                    let input = [type_byte, a, b, c, b'\r', b'\n'];
                    let whole = decode_whole(&input);
                    assert_same(&format!("{input:?}"), &whole, &decode_bytewise(&input));
                }
            }
        }
    }
}
