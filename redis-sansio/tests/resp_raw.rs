//! Raw mode for proxies (`RawDecoder`) and the RDB transfer of the replication stream
//! (`RdbDecoder`), fed whole and at every split point.

use bytes::{Bytes, BytesMut};
use redis_sansio::ProtocolError;
use redis_sansio::resp::{RawDecoder, RdbDecoder, RdbPiece, decode_one};

/// Replies of every kind, streamed ones included, back to back.
const REPLIES: &[u8] = b"+OK\r\n-ERR x\r\n:1\r\n$3\r\nabc\r\n$-1\r\n*-1\r\n_\r\n,1\r\n,3.1400000000000001\r\n#t\r\n(123  123\r\n=7\r\ntxt:abc\r\n!3\r\nERR\r\n*2\r\n%1\r\n+k\r\n~1\r\n:1\r\n|1\r\n+a\r\n:2\r\n>2\r\n+m\r\n$0\r\n\r\n$?\r\n;2\r\nab\r\n;0\r\n*?\r\n:1\r\n.\r\n";

/// Feeds `input` split at `cut`, returning the raw frames and the error, if any.
fn raw_frames(input: &[u8], cut: usize) -> (Vec<Bytes>, Option<ProtocolError>, usize) {
    let mut raw = RawDecoder::new();
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for piece in [&input[..cut], &input[cut..]] {
        buf.extend_from_slice(piece);
        loop {
            match raw.decode(&mut buf) {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(error) => return (frames, Some(error), buf.len()),
            }
        }
    }
    (frames, None, buf.len())
}

#[test]
fn raw_frames_are_the_exact_bytes_of_each_reply_at_every_split() {
    let (whole, error, left) = raw_frames(REPLIES, REPLIES.len());
    assert_eq!((error, left), (None, 0));
    assert_eq!(whole.concat(), REPLIES);
    // Each is one whole frame, as the decoder reads it.
    for frame in &whole {
        let (_, used) = decode_one(frame).unwrap().unwrap();
        assert_eq!(used, frame.len(), "{frame:?}");
    }
    assert_eq!(whole.len(), 16);
    for cut in 0..=REPLIES.len() {
        assert_eq!(raw_frames(REPLIES, cut).0, whole, "cut at {cut}");
    }
}

#[test]
fn raw_mode_checks_as_the_decoder_does() {
    let input = b"+OK\r\n*1\r\n$3\r\nabcX\r\n";
    for cut in 0..=input.len() {
        let (frames, error, _) = raw_frames(input, cut);
        assert_eq!(frames, [Bytes::from_static(b"+OK\r\n")]);
        assert_eq!(error, Some(ProtocolError::ExpectedCrlf));
    }
}

fn rdb_pieces(input: &[u8], cut: usize) -> (Vec<u8>, Vec<RdbPiece>, Vec<u8>) {
    let mut rdb = RdbDecoder::new();
    let mut buf = BytesMut::new();
    let mut data = Vec::new();
    let mut marks = Vec::new();
    for piece in [&input[..cut], &input[cut..]] {
        buf.extend_from_slice(piece);
        while let Some(piece) = rdb.decode(&mut buf).unwrap() {
            match piece {
                RdbPiece::Data(bytes) => data.extend_from_slice(&bytes),
                other => marks.push(other),
            }
        }
    }
    assert!(rdb.is_done());
    (data, marks, buf.to_vec())
}

#[test]
fn a_sized_transfer_has_no_crlf_after_it() {
    let payload = b"REDIS0010\xfa\x09redis-ver\x057.0.0\xff\x01\x02\x03\x04\x05\x06\x07\x08";
    let mut input = b"\n\n\n".to_vec();
    input.extend_from_slice(format!("${}\r\n", payload.len()).as_bytes());
    input.extend_from_slice(payload);
    input.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    for cut in 0..=input.len() {
        let (data, marks, rest) = rdb_pieces(&input, cut);
        assert_eq!(data, payload, "cut at {cut}");
        assert_eq!(
            marks,
            [
                RdbPiece::Start {
                    len: Some(payload.len() as u64)
                },
                RdbPiece::End
            ]
        );
        assert_eq!(rest, b"*1\r\n$4\r\nPING\r\n");
    }
}

#[test]
fn a_diskless_transfer_ends_at_its_mark() {
    let mark = b"0123456789abcdef0123456789abcdef01234567";
    let payload = b"REDIS0010 some data with 0123456789 inside";
    let mut input = b"$EOF:".to_vec();
    input.extend_from_slice(mark);
    input.extend_from_slice(b"\r\n");
    input.extend_from_slice(payload);
    input.extend_from_slice(mark);
    input.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    for cut in 0..=input.len() {
        let (data, marks, rest) = rdb_pieces(&input, cut);
        assert_eq!(data, payload, "cut at {cut}");
        assert_eq!(marks, [RdbPiece::Start { len: None }, RdbPiece::End]);
        assert_eq!(rest, b"*1\r\n$4\r\nPING\r\n");
    }
}

#[test]
fn transfer_headers_are_checked() {
    for (input, expected) in [
        (
            &b"+FULLRESYNC x 0\r\n"[..],
            ProtocolError::UnknownType(b'+'),
        ),
        (b"$-1\r\n", ProtocolError::InvalidLength),
        (b"$x\r\n", ProtocolError::InvalidLength),
        (b"$EOF:short\r\n", ProtocolError::InvalidLength),
        (b"$12\rx", ProtocolError::ExpectedCrlf),
        (&[b'1'; 60][..], ProtocolError::UnknownType(b'1')),
    ] {
        let mut buf = BytesMut::from(input);
        assert_eq!(
            RdbDecoder::new().decode(&mut buf),
            Err(expected),
            "{input:?}"
        );
    }
    let mut buf = BytesMut::from(&b"$1111111111111111111111111111111111111111111111111111"[..]);
    assert_eq!(
        RdbDecoder::new().decode(&mut buf),
        Err(ProtocolError::InvalidLength)
    );
}
