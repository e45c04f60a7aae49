//! The request decoder: no panic on any input, a split feed agrees with a whole one,
//! and each request's raw bytes are exactly the input it was read from.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use redis_sansio::resp::{Request, RequestDecoder};

fn run(pieces: &[&[u8]]) -> (Vec<Request>, Option<redis_sansio::ProtocolError>) {
    let mut decoder = RequestDecoder::new();
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode_request(&mut buf) {
                Ok(Some(request)) => requests.push(request),
                Ok(None) => break,
                Err(error) => return (requests, Some(error)),
            }
        }
    }
    (requests, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, input)) = data.split_first() else {
        return;
    };
    let cut = usize::from(cut).min(input.len());
    let whole = run(&[input]);
    assert_eq!(whole, run(&[&input[..cut], &input[cut..]]));
    // Every request's raw bytes occur in the input in order (skipped empty requests
    // between them), and its arguments are read from them.
    let mut rest = input;
    for request in &whole.0 {
        let raw = &request.raw()[..];
        let at = rest
            .windows(raw.len())
            .position(|window| window == raw)
            .expect("raw bytes come from the input");
        rest = &rest[at + raw.len()..];
        assert_eq!(request.args().count(), request.len());
        assert!(!request.is_empty());
    }
});
