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
    // Redis skips any multibulk count of zero or less, and blank lines.
    let (requests, error) =
        decode(b"\r\n   \r\n*0\r\n*-1\r\n*-10\r\n*-9223372036854775808\r\nPING\r\n");
    assert_eq!(error, None);
    assert_eq!(requests, vec![args(&["PING"])]);
}

#[test]
fn line_ends_are_read_as_redis_reads_them() {
    // Redis finds the CR of a header and skips the byte after it unseen, and skips
    // the two bytes after a payload unseen.
    let (requests, error) = decode(b"*1\rX$4\r\nPINGxy*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    assert_eq!(error, None);
    assert_eq!(requests, vec![args(&["PING"]), args(&["GET", "k"])]);
    // A payload followed by more than two bytes: the rest starts the next request.
    let (requests, error) = decode(b"*1\r\n$3\r\nGETX\r\n*1\r\n$4\r\nPING\r\n");
    assert_eq!(error, None);
    assert_eq!(requests, vec![args(&["GET"]), args(&["PING"])]);
}

#[test]
fn a_nul_before_the_line_end_holds_the_request_as_in_redis() {
    // Redis searches line ends with `strchr`, which stops at NUL: the line never
    // ends, until the inline limit is passed.
    let limits = RequestLimits {
        max_inline_len: 16,
        ..RequestLimits::default()
    };
    for (input, expected) in [
        (
            &b"PING\0\r\nPING\r\n"[..],
            ProtocolError::InlineTooLong { limit: 16 },
        ),
        (
            b"*1\0\r\n$4\r\nPING\r\n",
            ProtocolError::MultibulkCountTooLong,
        ),
        (b"*1\r\n$4\0\r\nPING\r\n", ProtocolError::BulkCountTooLong),
    ] {
        let (requests, error) = decode_with(input, limits);
        assert_eq!((requests.len(), error), (0, None), "{input:?}");
        let mut longer = input.to_vec();
        longer.extend_from_slice(&[b'x'; 16]);
        let (requests, error) = decode_with(&longer, limits);
        assert_eq!((requests.len(), error), (0, Some(expected)), "{input:?}");
    }
    // A NUL inside a payload is data.
    let (requests, error) = decode(b"*1\r\n$3\r\na\0b\r\n");
    assert_eq!(error, None);
    assert_eq!(requests, vec![vec![Bytes::from_static(b"a\0b")]]);
}

#[test]
fn malformed_requests() {
    for (input, expected) in [
        (&b"*1\r\n+PING\r\n"[..], ProtocolError::ExpectedBulk(b'+')),
        (b"*1\r\n:1\r\n", ProtocolError::ExpectedBulk(b':')),
        (b"*1\r\n\r\n", ProtocolError::ExpectedBulk(b'\r')),
        (b"*x\r\n", ProtocolError::InvalidMultibulkLength),
        (b"*-0\r\n", ProtocolError::InvalidMultibulkLength),
        (b"*01\r\n", ProtocolError::InvalidMultibulkLength),
        (b"*2147483648\r\n", ProtocolError::InvalidMultibulkLength),
        (b"*?\r\n", ProtocolError::InvalidMultibulkLength),
        (b"*1\r\n$-1\r\n", ProtocolError::InvalidBulkLength),
        (b"*1\r\n$?\r\n", ProtocolError::InvalidBulkLength),
        (b"*1\r\n$536870913\r\n", ProtocolError::InvalidBulkLength),
        (b"SET \"a\r\n", ProtocolError::UnbalancedQuotes),
        (b"SET \"a\"b\r\n", ProtocolError::UnbalancedQuotes),
    ] {
        let (requests, error) = decode(input);
        assert!(requests.is_empty(), "{input:?}");
        assert_eq!(error, Some(expected), "{input:?}");
    }
}

#[test]
fn errors_reply_with_redis_own_bytes() {
    for (error, reply) in [
        (
            ProtocolError::InvalidMultibulkLength,
            &b"-ERR Protocol error: invalid multibulk length\r\n"[..],
        ),
        (
            ProtocolError::InvalidBulkLength,
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            ProtocolError::ExpectedBulk(b'f'),
            b"-ERR Protocol error: expected '$', got 'f'\r\n",
        ),
        (
            ProtocolError::ExpectedBulk(b'\n'),
            b"-ERR Protocol error: expected '$', got ' '\r\n",
        ),
        (
            ProtocolError::InlineTooLong { limit: 65536 },
            b"-ERR Protocol error: too big inline request\r\n",
        ),
        (
            ProtocolError::MultibulkCountTooLong,
            b"-ERR Protocol error: too big mbulk count string\r\n",
        ),
        (
            ProtocolError::BulkCountTooLong,
            b"-ERR Protocol error: too big bulk count string\r\n",
        ),
        (
            ProtocolError::UnbalancedQuotes,
            b"-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
        (
            ProtocolError::UnauthenticatedMultibulkLength,
            b"-ERR Protocol error: unauthenticated multibulk length\r\n",
        ),
        (
            ProtocolError::UnauthenticatedBulkLength,
            b"-ERR Protocol error: unauthenticated bulk length\r\n",
        ),
    ] {
        assert_eq!(error.redis_reply().as_deref(), Some(reply), "{error:?}");
    }
    // Past the query buffer limit Redis closes without a word.
    assert_eq!(
        ProtocolError::FrameTooLarge { limit: 1 }.redis_reply(),
        None
    );
}

#[test]
fn unauthenticated_clients_get_redis_smaller_limits() {
    let mut decoder = RequestDecoder::new();
    decoder.set_authenticated(false);
    let mut buf = BytesMut::from(&b"*10\r\n"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    let mut decoder = RequestDecoder::new();
    decoder.set_authenticated(false);
    let mut buf = BytesMut::from(&b"*11\r\n"[..]);
    assert_eq!(
        decoder.decode(&mut buf),
        Err(ProtocolError::UnauthenticatedMultibulkLength)
    );
    let mut decoder = RequestDecoder::new();
    decoder.set_authenticated(false);
    let mut buf = BytesMut::from(&b"*1\r\n$16385\r\n"[..]);
    assert_eq!(
        decoder.decode(&mut buf),
        Err(ProtocolError::UnauthenticatedBulkLength)
    );
    // Authenticated again: the usual limits.
    let mut decoder = RequestDecoder::new();
    decoder.set_authenticated(false);
    decoder.set_authenticated(true);
    let mut buf = BytesMut::from(&b"*11\r\n"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
}

#[test]
fn requests_keep_their_exact_bytes() {
    let input = b"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nECHO 'a b' c\r\n*1\rX$4\r\nPINGxy";
    let mut decoder = RequestDecoder::new();
    let mut buf = BytesMut::from(&input[..]);
    let echo = decoder.decode_request(&mut buf).unwrap().unwrap();
    assert_eq!(&echo.raw()[..], b"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n");
    assert_eq!(echo.name(), Some(&b"ECHO"[..]));
    assert_eq!(echo.arg(1).as_deref(), Some(&b"hi"[..]));
    assert_eq!(echo.arg(2), None);
    assert!(!echo.is_inline());
    let inline = decoder.decode_request(&mut buf).unwrap().unwrap();
    assert_eq!(&inline.raw()[..], b"ECHO 'a b' c\r\n");
    assert!(inline.is_inline());
    assert_eq!(
        inline.args().collect::<Vec<_>>(),
        [&b"ECHO"[..], b"a b", b"c"]
    );
    let mut canonical = BytesMut::new();
    inline.write_resp(&mut canonical);
    assert_eq!(
        &canonical[..],
        b"*3\r\n$4\r\nECHO\r\n$3\r\na b\r\n$1\r\nc\r\n"
    );
    let odd = decoder.decode_request(&mut buf).unwrap().unwrap();
    assert_eq!(&odd.raw()[..], b"*1\rX$4\r\nPINGxy");
    assert_eq!(odd.into_args(), args(&["PING"]));
    assert!(buf.is_empty());
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
    // Counts and lengths are lines too: Redis bounds them by the same limit.
    assert_eq!(
        decode_with(b"*123456789\r\n", limits).1,
        Some(ProtocolError::MultibulkCountTooLong)
    );
    assert_eq!(
        decode_with(b"*1\r\n$123456789\r\n", limits).1,
        Some(ProtocolError::BulkCountTooLong)
    );
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
    // Redis's own errors for its own limits (`INT_MAX` and `proto-max-bulk-len`).
    assert_eq!(
        decode_with(b"*3\r\n", limits).1,
        Some(ProtocolError::InvalidMultibulkLength)
    );
    assert_eq!(
        decode_with(b"*1\r\n$4\r\n", limits).1,
        Some(ProtocolError::InvalidBulkLength)
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
    let (_, error) = decode_with(b"*2\r\n$3\r\nGET\r\n$2\r\nkk\r\n", limits);
    assert_eq!(error, Some(ProtocolError::FrameTooLarge { limit: 20 }));
}

#[test]
fn a_partial_request_stays_in_the_buffer_and_is_not_rescanned() {
    let mut decoder = RequestDecoder::new();
    let mut buf = BytesMut::from(&b"*2147483647\r\n$3\r\nGET\r\n$10\r\n01234"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(buf.len(), 32, "a partial request is left where it is");
    // The next argument's length is known: the buffer must reach its end.
    assert_eq!(decoder.needed(), Some(27 + 10 + 2));
    buf.extend_from_slice(b"56789\r\n");
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(decoder.needed(), None);
}
