//! The reply decoder: no panic on any input, and feeding the input in two pieces (cut
//! where the first byte says) gives exactly what feeding it whole gives.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use redis_sansio::resp::{Decoder, Frame, encode_frame};

fn run(pieces: &[&[u8]]) -> (Vec<u8>, Option<redis_sansio::ProtocolError>) {
    let mut decoder = Decoder::new();
    let mut buf = BytesMut::new();
    let mut frames: Vec<Frame> = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(error) => return (canonical(&frames), Some(error)),
            }
        }
    }
    (canonical(&frames), None)
}

/// Frames as bytes, so NaN compares equal to itself.
fn canonical(frames: &[Frame]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for frame in frames {
        encode_frame(&mut out, frame);
    }
    out.to_vec()
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, input)) = data.split_first() else {
        return;
    };
    let cut = usize::from(cut).min(input.len());
    let whole = run(&[input]);
    let split = run(&[&input[..cut], &input[cut..]]);
    assert_eq!(whole, split);
});
