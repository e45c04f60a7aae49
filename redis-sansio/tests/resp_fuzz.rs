//! A bounded randomized test that CI runs every time, on stable: random valid streams,
//! mutated, fed whole, byte by byte, in random pieces and through the validating
//! [`Skip`] builder, with the default limits and with tiny ones that each get reached.
//! Nothing panics and every way of feeding agrees.
//!
//! The coverage-guided version of this lives in `fuzz/` (`cargo fuzz run decode`).
// Tests may read the clock (the core may not): for their own time budget.
#![allow(clippy::disallowed_methods)]

mod common;

use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::*;
use redis_sansio::ProtocolError;
use redis_sansio::resp::{DecodeLimits, Decoder, Frame, Skip, encode_frame};

fn random_frame(rng: &mut Rng, depth: usize) -> Frame {
    let text = |rng: &mut Rng| -> bytes::Bytes {
        let len = rng.below(6);
        (0..len)
            .map(|_| b"ab c:\x00\xff"[rng.below(7)])
            .collect::<Vec<u8>>()
            .into()
    };
    let kinds = if depth > 3 { 11 } else { 16 };
    match rng.below(kinds) {
        0 => Frame::SimpleString(text(rng)),
        1 => Frame::SimpleError(text(rng)),
        2 => Frame::Integer(rng.next() as i64 >> rng.below(64)),
        3 => Frame::BulkString(text(rng)),
        4 => Frame::BulkError(text(rng)),
        5 => Frame::Verbatim {
            format: *b"txt",
            text: text(rng),
        },
        6 => [Frame::Null, Frame::NullBulk, Frame::NullArray][rng.below(3)].clone(),
        7 => Frame::double([0.5, -1e300, f64::INFINITY, f64::NAN, 3.0][rng.below(5)]),
        8 => Frame::Boolean(rng.below(2) == 0),
        9 => Frame::BigNumber(bytes::Bytes::from(format!("-{}", rng.next()))),
        10 => Frame::Integer(0),
        11 => Frame::Array(
            (0..rng.below(4))
                .map(|_| random_frame(rng, depth + 1))
                .collect(),
        ),
        12 => Frame::Set(
            (0..rng.below(4))
                .map(|_| random_frame(rng, depth + 1))
                .collect(),
        ),
        13 => Frame::Push(
            (0..rng.below(4))
                .map(|_| random_frame(rng, depth + 1))
                .collect(),
        ),
        14 => Frame::Map(
            (0..rng.below(3))
                .map(|_| (random_frame(rng, depth + 1), random_frame(rng, depth + 1)))
                .collect(),
        ),
        _ => Frame::Attributed {
            attributes: vec![(random_frame(rng, depth + 1), random_frame(rng, depth + 1))],
            value: Box::new(random_frame(rng, depth + 1)),
        },
    }
}

fn mutate(rng: &mut Rng, wire: &mut Vec<u8>) {
    const INTERESTING: &[u8] = b"\r\n$*%~>|!=;:_.,#(+-?0123456789";
    for _ in 0..rng.below(4) {
        if wire.is_empty() {
            return;
        }
        let at = rng.below(wire.len());
        match rng.below(5) {
            0 => wire[at] = INTERESTING[rng.below(INTERESTING.len())],
            1 => wire[at] = rng.next() as u8,
            2 => wire.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
            3 => {
                wire.remove(at);
            }
            _ => wire.truncate(at),
        }
    }
}

/// Frames and error through the validating builder.
fn skip_outcome(input: &[u8]) -> (usize, Option<redis_sansio::ProtocolError>) {
    let mut decoder = Decoder::with_builder(Skip);
    let mut buf = BytesMut::from(input);
    let mut count = 0;
    loop {
        match decoder.decode(&mut buf) {
            Ok(Some(())) => count += 1,
            Ok(None) => return (count, None),
            Err(error) => return (count, Some(error)),
        }
    }
}

#[test]
fn random_and_mutated_streams_decode_the_same_however_fed() {
    let started = Instant::now();
    let mut rng = Rng(0x5EED_F0C0_DEC0);
    let mut iterations = 0;
    while iterations < 20_000 && started.elapsed() < Duration::from_secs(20) {
        iterations += 1;
        let frames: Vec<Frame> = (0..1 + rng.below(3))
            .map(|_| random_frame(&mut rng, 0))
            .collect();
        let mut out = BytesMut::new();
        for frame in &frames {
            encode_frame(&mut out, frame);
        }
        let mut wire = out.to_vec();
        let mutated = rng.below(4) != 0;
        if mutated {
            mutate(&mut rng, &mut wire);
        }
        let whole = decode_whole(&wire);
        if !mutated {
            assert_eq!(
                canonical(&whole.frames),
                canonical(&frames),
                "iteration {iterations}"
            );
        }
        assert_same(
            &format!("iteration {iterations}, bytewise"),
            &whole,
            &decode_bytewise(&wire),
        );
        let mut cuts: Vec<usize> = (0..rng.below(5))
            .map(|_| rng.below(wire.len() + 1))
            .collect();
        cuts.sort_unstable();
        let pieces = decode_in_pieces(&wire, &cuts, &mut Decoder::new());
        assert_same(
            &format!("iteration {iterations}, cuts {cuts:?}"),
            &whole,
            &pieces,
        );
        assert_eq!(
            skip_outcome(&wire),
            (whole.frames.len(), whole.error.clone()),
            "iteration {iterations}: the Skip builder disagrees"
        );
    }
    assert!(iterations >= 100, "only {iterations} iterations ran");
}

/// Random and mutated streams under tiny limits: each limit is reached, nothing
/// panics, and fed whole or byte by byte the decoder gives the same frames and stops
/// at the same frame. Only the error may differ, and only when one of the two is the
/// frame-size limit: fed in pieces, a frame can pass that limit before the byte that
/// breaks another rule has arrived.
#[test]
fn tiny_limits_are_each_reached_and_feeding_in_pieces_agrees() {
    let started = Instant::now();
    let mut rng = Rng(0x7111_F0C0_DEC0);
    // Reached: depth, bulk length, aggregate length, frame size.
    let mut reached = [false; 4];
    let mut iterations = 0;
    while iterations < 20_000 && started.elapsed() < Duration::from_secs(20) {
        iterations += 1;
        let limits = DecodeLimits {
            max_depth: rng.below(4),
            max_bulk_len: rng.below(6),
            max_aggregate_len: rng.below(4),
            max_frame_size: 8 + rng.below(64),
            max_values: usize::MAX,
        };
        let mut out = BytesMut::new();
        for _ in 0..1 + rng.below(3) {
            encode_frame(&mut out, &random_frame(&mut rng, 0));
        }
        let mut wire = out.to_vec();
        if rng.below(2) == 0 {
            mutate(&mut rng, &mut wire);
        }
        let whole = decode_in_pieces(&wire, &[], &mut Decoder::new().with_limits(limits));
        let cuts: Vec<usize> = (1..wire.len()).collect();
        let bytewise = decode_in_pieces(&wire, &cuts, &mut Decoder::new().with_limits(limits));
        let label = format!("iteration {iterations}, {limits:?}, {wire:?}");
        assert_eq!(
            canonical(&whole.frames),
            canonical(&bytewise.frames),
            "{label}"
        );
        assert_eq!(whole.error.is_some(), bytewise.error.is_some(), "{label}");
        let frame_size = |error: &Option<ProtocolError>| {
            matches!(error, Some(ProtocolError::FrameTooLarge { .. }))
        };
        if !(frame_size(&whole.error) || frame_size(&bytewise.error)) {
            assert_eq!(whole.error, bytewise.error, "{label}");
        }
        for error in [&whole.error, &bytewise.error].into_iter().flatten() {
            match error {
                ProtocolError::TooDeep { .. } => reached[0] = true,
                ProtocolError::BulkTooLong { .. } => reached[1] = true,
                ProtocolError::AggregateTooLong { .. } => reached[2] = true,
                ProtocolError::FrameTooLarge { .. } => reached[3] = true,
                _ => {}
            }
        }
    }
    assert!(iterations >= 100, "only {iterations} iterations ran");
    assert_eq!(
        reached, [true; 4],
        "limits reached: depth, bulk, aggregate, frame"
    );
}
