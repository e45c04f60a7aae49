//! Helpers shared by the codec tests: feeding input whole, in pieces, byte by byte.
#![allow(dead_code, unreachable_pub)]

use bytes::BytesMut;
use redis_sansio::ProtocolError;
use redis_sansio::resp::{Decoder, Frame, encode_frame};

/// The outcome of decoding a whole input: the frames, then the error if one stopped it,
/// and the bytes left over.
#[derive(Debug)]
pub struct Outcome {
    pub frames: Vec<Frame>,
    pub error: Option<ProtocolError>,
    pub leftover: usize,
}

/// Feeds `input` to a fresh decoder in the pieces given by `cuts` (ascending offsets),
/// decoding everything available after each piece.
pub fn decode_in_pieces(input: &[u8], cuts: &[usize], decoder: &mut Decoder) -> Outcome {
    feed_in_pieces(input, cuts, |buf, frames| {
        while let Some(frame) = decoder.decode(buf)? {
            frames.push(frame);
        }
        Ok(())
    })
}

/// [`decode_in_pieces`] with `Decoder::decode_all` after each piece.
pub fn decode_all_in_pieces(input: &[u8], cuts: &[usize], decoder: &mut Decoder) -> Outcome {
    feed_in_pieces(input, cuts, |buf, frames| decoder.decode_all(buf, frames))
}

/// Appends `input` to a buffer piece by piece (cut at `cuts`), calling `decode` after
/// each piece to move what it can from the buffer to the frames; stops at its error.
fn feed_in_pieces(
    input: &[u8],
    cuts: &[usize],
    mut decode: impl FnMut(&mut BytesMut, &mut Vec<Frame>) -> Result<(), ProtocolError>,
) -> Outcome {
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        let end = end.clamp(start, input.len());
        buf.extend_from_slice(&input[start..end]);
        start = end;
        if let Err(error) = decode(&mut buf, &mut frames) {
            return Outcome {
                frames,
                error: Some(error),
                leftover: buf.len(),
            };
        }
    }
    Outcome {
        frames,
        error: None,
        leftover: buf.len(),
    }
}

pub fn decode_whole(input: &[u8]) -> Outcome {
    decode_in_pieces(input, &[], &mut Decoder::new())
}

pub fn decode_bytewise(input: &[u8]) -> Outcome {
    let cuts: Vec<usize> = (1..input.len()).collect();
    decode_in_pieces(input, &cuts, &mut Decoder::new())
}

pub fn decode_split_at(input: &[u8], at: usize) -> Outcome {
    decode_in_pieces(input, &[at], &mut Decoder::new())
}

/// Canonical bytes of a frame, so frames holding NaN compare equal to themselves.
pub fn canonical(frames: &[Frame]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for frame in frames {
        encode_frame(&mut out, frame);
    }
    out.to_vec()
}

/// Asserts that two outcomes agree: same frames, same error.
pub fn assert_same(label: &str, expected: &Outcome, actual: &Outcome) {
    assert_eq!(
        canonical(&expected.frames),
        canonical(&actual.frames),
        "{label}: frames differ\nexpected {:?}\nactual {:?}",
        expected.frames,
        actual.frames
    );
    assert_eq!(expected.error, actual.error, "{label}: errors differ");
}

/// Asserts the decoder gives the same outcome for `input` whole, byte by byte and
/// split at every point.
pub fn assert_split_invariant(input: &[u8]) -> Outcome {
    let whole = decode_whole(input);
    assert_same("byte by byte", &whole, &decode_bytewise(input));
    let all = decode_all_in_pieces(input, &[], &mut Decoder::new());
    assert_same("decode_all", &whole, &all);
    assert_eq!(whole.leftover, all.leftover, "decode_all: leftovers differ");
    for at in 0..=input.len() {
        assert_same(
            &format!("split at {at}"),
            &whole,
            &decode_split_at(input, at),
        );
        assert_same(
            &format!("decode_all split at {at}"),
            &whole,
            &decode_all_in_pieces(input, &[at], &mut Decoder::new()),
        );
    }
    whole
}

/// xorshift64*: a deterministic generator for the randomized tests, so a failure
/// names its seed and can be replayed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
