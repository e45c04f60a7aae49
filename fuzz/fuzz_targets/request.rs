//! The request decoder: no panic on any input, and a split feed agrees with a whole one.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use redis_sansio::resp::RequestDecoder;

fn run(pieces: &[&[u8]]) -> (Vec<Vec<Bytes>>, Option<redis_sansio::ProtocolError>) {
    let mut decoder = RequestDecoder::new();
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
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

fuzz_target!(|data: &[u8]| {
    let Some((&cut, input)) = data.split_first() else {
        return;
    };
    let cut = usize::from(cut).min(input.len());
    assert_eq!(run(&[input]), run(&[&input[..cut], &input[cut..]]));
});
