//! Deep frames: the default depth takes what Redis sends, and decoding, encoding and
//! dropping a frame of any depth run on a small call stack (no recursion).

use bytes::{Bytes, BytesMut};
use redis_sansio::resp::{DecodeLimits, Decoder, Frame, encode_frame, encode_frame_resp2};

/// A stack far smaller than any recursion over a million levels would need.
const SMALL_STACK: usize = 256 * 1024;

fn on_small_stack(work: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(work)
        .expect("spawn")
        .join()
        .expect("no stack overflow");
}

/// What Redis 7.0 sends for `EVAL "local t = {}; t[1] = t; return t" 0`: 7,995 nested
/// one-element arrays around the error that stopped the conversion.
fn recursive_lua_table() -> Vec<u8> {
    let mut wire = "*1\r\n".repeat(7_995).into_bytes();
    wire.extend_from_slice(b"-ERR reached lua stack limit\r\n");
    wire
}

#[test]
fn the_default_depth_takes_a_recursive_lua_table() {
    let wire = recursive_lua_table();
    on_small_stack(move || {
        let mut buf = BytesMut::from(&wire[..]);
        let frame = Decoder::new().decode(&mut buf).unwrap().unwrap();
        let mut out = BytesMut::new();
        encode_frame(&mut out, &frame);
        assert_eq!(&out[..], &wire[..]);
        drop(frame);
    });
}

#[test]
fn a_million_levels_decode_encode_and_drop_on_a_small_stack() {
    const DEPTH: usize = 1_000_000;
    on_small_stack(|| {
        let mut wire = "*1\r\n".repeat(DEPTH).into_bytes();
        wire.extend_from_slice(b":1\r\n");
        let limits = DecodeLimits {
            max_depth: usize::MAX,
            ..DecodeLimits::default()
        };
        let mut buf = BytesMut::from(&wire[..]);
        let frame = Decoder::new()
            .with_limits(limits)
            .decode(&mut buf)
            .unwrap()
            .unwrap();
        let mut out = BytesMut::new();
        encode_frame(&mut out, &frame);
        assert_eq!(out.len(), wire.len());
        assert!(out[..] == wire[..]);
        out.clear();
        encode_frame_resp2(&mut out, &frame);
        assert!(out[..] == wire[..]);
        drop(frame);
    });
}

/// Every kind of aggregate nested in every other, a long chain of them, built by hand
/// and dropped: maps (keys and values), sets, pushes and attributes all unwind
/// without recursion.
#[test]
fn mixed_deep_frames_drop_on_a_small_stack() {
    on_small_stack(|| {
        let mut frame = Frame::Integer(0);
        for level in 0..400_000 {
            frame = match level % 6 {
                0 => Frame::Array(vec![Frame::Null, frame]),
                1 => Frame::Map(vec![(frame, Frame::bulk(Bytes::from_static(b"v")))]),
                2 => Frame::Map(vec![(Frame::simple("k"), frame)]),
                3 => Frame::Set(vec![frame]),
                4 => Frame::Push(vec![frame, Frame::Integer(1)]),
                _ => Frame::Attributed {
                    attributes: vec![(Frame::simple("a"), Frame::Array(vec![Frame::Null]))],
                    value: Box::new(frame),
                },
            };
        }
        // A deep frame inside an attribute map, too.
        let frame = Frame::Attributed {
            attributes: vec![(Frame::simple("deep"), frame)],
            value: Box::new(Frame::Null),
        };
        drop(frame);
    });
}

#[test]
fn shallow_frames_keep_their_contents_when_moved_out() {
    // `Frame` has a `Drop`, so values are taken out with the `into_*` helpers.
    let nested = Frame::Attributed {
        attributes: vec![],
        value: Box::new(Frame::Array(vec![Frame::bulk("a"), Frame::Map(vec![])])),
    };
    let items = nested.into_items().unwrap();
    assert_eq!(items, [Frame::bulk("a"), Frame::Map(vec![])]);
    assert_eq!(
        Frame::Map(vec![(Frame::Null, Frame::Integer(1))]).into_pairs(),
        Ok(vec![(Frame::Null, Frame::Integer(1))])
    );
    assert_eq!(Frame::bulk("x").into_bytes(), Ok(Bytes::from_static(b"x")));
    assert_eq!(Frame::Integer(3).into_bytes(), Err(Frame::Integer(3)));
    assert_eq!(Frame::Integer(3).into_items(), Err(Frame::Integer(3)));
}
