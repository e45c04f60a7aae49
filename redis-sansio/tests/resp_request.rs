//! The server-side request decoder: arrays of bulk strings and inline commands.

use bytes::{Bytes, BytesMut};
use redis_sansio::ProtocolError;
use redis_sansio::resp::{RequestDecoder, RequestLimits};

type Outcome = (Vec<Vec<Bytes>>, Option<ProtocolError>);

fn decode_pieces(input: &[u8], piece: usize, limits: RequestLimits) -> Outcome {
    let mut decoder = RequestDecoder::new().with_limits(limits);
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    for chunk in input.chunks(piece.max(1)) {
        buf.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(args)) => requests.push(args),
                Ok(None) => break,
                Err(error) => return (requests, Some(error)),
            }
        }
    }
    (requests, None)
}

/// Decodes `input` whole and in every piece size up to its length; all must agree.
fn decode(input: &[u8]) -> Outcome {
    decode_with(input, RequestLimits::default())
}

fn decode_with(input: &[u8], limits: RequestLimits) -> Outcome {
    let whole = decode_pieces(input, input.len(), limits);
    for piece in 1..input.len() {
        assert_eq!(
            decode_pieces(input, piece, limits),
            whole,
            "pieces of {piece}"
        );
    }
    whole
}

fn args(list: &[&str]) -> Vec<Bytes> {
    list.iter()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect()
}

#[test]
fn multibulk_requests() {
    let (requests, error) = decode(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\n");
    assert_eq!(error, None);
    assert_eq!(requests, vec![args(&["SET", "k", ""]), args(&["PING"])]);
}

#[test]
fn binary_arguments_are_kept_exactly() {
    let mut input = b"*2\r\n$3\r\nSET\r\n$256\r\n".to_vec();
    let all: Vec<u8> = (0..=255).collect();
    input.extend_from_slice(&all);
    input.extend_from_slice(b"\r\n");
    let (requests, error) = decode(&input);
    assert_eq!(error, None);
    assert_eq!(&requests[0][1][..], &all[..]);
}

#[test]
fn inline_requests_with_redis_quoting() {
    let (requests, error) = decode(b"PING\r\nSET k \"a b\\x41\"\nGET 'it\\'s'\r\n");
    assert_eq!(error, None);
    assert_eq!(
        requests,
        vec![
            args(&["PING"]),
            args(&["SET", "k", "a bA"]),
            args(&["GET", "it's"])
        ]
    );
}

#[test]
fn empty_requests_are_skipped() {
    let (requests, error) = decode(b"\r\n   \r\n*0\r\n*-1\r\nPING\r\n");
    assert_eq!(error, None);
    assert_eq!(requests, vec![args(&["PING"])]);
}

#[test]
fn malformed_requests() {
    for (input, expected) in [
        (&b"*1\r\n+PING\r\n"[..], ProtocolError::ExpectedBulk(b'+')),
        (b"*1\r\n:1\r\n", ProtocolError::ExpectedBulk(b':')),
        (b"*x\r\n", ProtocolError::InvalidLength),
        (b"*-2\r\n", ProtocolError::InvalidLength),
        (b"*?\r\n", ProtocolError::InvalidLength),
        (b"*1\r\n$-1\r\n", ProtocolError::InvalidLength),
        (b"*1\r\n$?\r\n", ProtocolError::InvalidLength),
        (b"*1\r\n$3\r\nGETX\r\n", ProtocolError::ExpectedCrlf),
        (b"SET \"a\r\n", ProtocolError::UnbalancedQuotes),
        (b"SET \"a\"b\r\n", ProtocolError::UnbalancedQuotes),
    ] {
        let (requests, error) = decode(input);
        assert!(requests.is_empty(), "{input:?}");
        assert_eq!(error, Some(expected), "{input:?}");
    }
}

#[test]
fn documented_default_limits() {
    let limits = RequestLimits::default();
    assert_eq!(limits.max_inline_len, 64 * 1024);
    assert_eq!(limits.max_args, i32::MAX as usize);
    assert_eq!(limits.max_bulk_len, 512 * 1024 * 1024);
    assert_eq!(limits.max_request_size, 1024 * 1024 * 1024);
}

#[test]
fn inline_length_limit() {
    let limits = RequestLimits {
        max_inline_len: 8,
        ..RequestLimits::default()
    };
    assert_eq!(decode_with(b"12345678\r\n", limits).1, None);
    assert_eq!(
        decode_with(b"123456789\r\n", limits).1,
        Some(ProtocolError::InlineTooLong { limit: 8 })
    );
    // No line end yet, but already too long: refused without waiting.
    assert_eq!(
        decode_with(b"123456789", limits).1,
        Some(ProtocolError::InlineTooLong { limit: 8 })
    );
    // The default matches Redis: 64 KiB.
    let long = vec![b'a'; 64 * 1024 + 1];
    let mut decoder = RequestDecoder::new();
    assert_eq!(
        decoder.decode(&mut BytesMut::from(&long[..])),
        Err(ProtocolError::InlineTooLong { limit: 64 * 1024 })
    );
}

#[test]
fn argument_count_and_length_limits() {
    let limits = RequestLimits {
        max_args: 2,
        max_bulk_len: 3,
        ..RequestLimits::default()
    };
    assert_eq!(
        decode_with(b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", limits).1,
        None
    );
    assert_eq!(
        decode_with(b"*3\r\n", limits).1,
        Some(ProtocolError::AggregateTooLong { len: 3, limit: 2 })
    );
    assert_eq!(
        decode_with(b"*1\r\n$4\r\n", limits).1,
        Some(ProtocolError::BulkTooLong { len: 4, limit: 3 })
    );
}

#[test]
fn request_size_limit() {
    let limits = RequestLimits {
        max_request_size: 20,
        ..RequestLimits::default()
    };
    assert_eq!(
        decode_with(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", limits).1,
        None
    );
    let (_, error) = decode_with(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$9\r\n123", limits);
    assert_eq!(error, Some(ProtocolError::FrameTooLarge { limit: 20 }));
}

#[test]
fn hostile_argument_count_reserves_only_what_the_bytes_can_fill() {
    let mut decoder = RequestDecoder::new();
    let mut buf = BytesMut::from(&b"*2147483647\r\n$3\r\nGET\r\n"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert!(
        buf.is_empty(),
        "parsed bytes are consumed, not rescanned later"
    );
}
