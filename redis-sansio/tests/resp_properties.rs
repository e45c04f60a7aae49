//! Properties: encoding then decoding returns the same frame; any split of the input
//! gives the same result; RESP2 lowering yields only RESP2 types.

mod common;

use bytes::{Bytes, BytesMut};
use common::*;
use proptest::prelude::*;
use redis_sansio::resp::{
    AggregateKind, Decoder, Double, Frame, encode_frame, encode_frame_resp2, streamed,
};

fn line_text() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(
        any::<u8>().prop_filter("no CR/LF", |b| *b != b'\r' && *b != b'\n'),
        0..12,
    )
    .prop_map(Bytes::from)
}

fn payload() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..24).prop_map(Bytes::from)
}

/// A double as a server may spell it: `%.17g`, shortest, exponents, NaN spellings.
fn wire_double() -> impl Strategy<Value = Double> {
    prop_oneof![
        "-?[0-9]{1,20}(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?",
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("-nan".to_string()),
        Just("nan".to_string()),
    ]
    .prop_map(|text| Double::from_wire(Bytes::from(text)).expect("in the grammar"))
}

fn leaf() -> impl Strategy<Value = Frame> {
    prop_oneof![
        line_text().prop_map(Frame::SimpleString),
        line_text().prop_map(Frame::SimpleError),
        any::<i64>().prop_map(Frame::Integer),
        payload().prop_map(Frame::BulkString),
        payload().prop_map(Frame::BulkError),
        (any::<[u8; 3]>(), payload()).prop_map(|(format, text)| Frame::Verbatim { format, text }),
        Just(Frame::Null),
        Just(Frame::NullBulk),
        Just(Frame::NullArray),
        any::<f64>().prop_map(Frame::double),
        wire_double().prop_map(Frame::Double),
        any::<bool>().prop_map(Frame::Boolean),
        ("-?[0-9]{1,40}").prop_map(|s| Frame::BigNumber(Bytes::from(s))),
        // Redis relays a Lua `{big_number=...}` text as is.
        line_text().prop_map(Frame::BigNumber),
    ]
}

fn frame() -> impl Strategy<Value = Frame> {
    leaf().prop_recursive(5, 64, 6, |inner| {
        let items = proptest::collection::vec(inner.clone(), 0..6);
        let pairs = proptest::collection::vec((inner.clone(), inner.clone()), 0..4);
        prop_oneof![
            items.clone().prop_map(Frame::Array),
            items.clone().prop_map(Frame::Set),
            items.prop_map(Frame::Push),
            pairs.clone().prop_map(Frame::Map),
            (pairs, inner).prop_map(|(attributes, value)| Frame::Attributed {
                attributes,
                value: Box::new(value)
            }),
        ]
    })
}

fn encoded(frames: &[Frame]) -> Vec<u8> {
    canonical(frames)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_decode_is_identity(frames in proptest::collection::vec(frame(), 1..4)) {
        let wire = encoded(&frames);
        let outcome = decode_whole(&wire);
        prop_assert_eq!(&outcome.error, &None);
        prop_assert_eq!(outcome.leftover, 0);
        prop_assert_eq!(outcome.frames.len(), frames.len());
        // Structural equality where no NaN makes `==` false.
        for (decoded, original) in outcome.frames.iter().zip(&frames) {
            if !format!("{original:?}").to_lowercase().contains("nan") {
                prop_assert_eq!(decoded, original);
            }
        }
        prop_assert_eq!(canonical(&outcome.frames), wire);
    }

    #[test]
    fn random_splits_give_identical_results(
        frames in proptest::collection::vec(frame(), 1..4),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let wire = encoded(&frames);
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(wire.len() + 1)).collect();
        cuts.sort_unstable();
        let whole = decode_whole(&wire);
        let pieces = decode_in_pieces(&wire, &cuts, &mut Decoder::new());
        prop_assert_eq!(canonical(&whole.frames), canonical(&pieces.frames));
        prop_assert_eq!(whole.error, pieces.error);
    }

    #[test]
    fn resp2_lowering_yields_only_resp2_types(frame in frame()) {
        let mut out = BytesMut::new();
        encode_frame_resp2(&mut out, &frame);
        let outcome = decode_whole(&out);
        prop_assert_eq!(&outcome.error, &None);
        prop_assert_eq!(outcome.frames.len(), 1);
        let mut todo = outcome.frames;
        while let Some(mut f) = todo.pop() {
            match f {
                Frame::Array(ref mut items) => todo.append(items),
                Frame::SimpleString(_) | Frame::SimpleError(_) | Frame::Integer(_)
                | Frame::BulkString(_) | Frame::NullBulk | Frame::NullArray => {}
                other => prop_assert!(false, "RESP3 type in RESP2 output: {:?}", other),
            }
        }
    }

    #[test]
    fn streamed_encodings_decode_like_counted_ones(
        chunks in proptest::collection::vec(payload(), 0..5),
        items in proptest::collection::vec(leaf(), 0..5),
    ) {
        let mut out = BytesMut::new();
        streamed::begin_string(&mut out);
        for chunk in &chunks {
            streamed::chunk(&mut out, chunk);
        }
        streamed::end_string(&mut out);
        streamed::begin_aggregate(&mut out, AggregateKind::Array);
        for item in &items {
            encode_frame(&mut out, item);
        }
        streamed::end_aggregate(&mut out);
        let joined: Vec<u8> = chunks.concat();
        let expected = vec![Frame::BulkString(Bytes::from(joined)), Frame::Array(items)];
        let outcome = assert_split_invariant(&out);
        prop_assert_eq!(outcome.error, None);
        prop_assert_eq!(canonical(&outcome.frames), canonical(&expected));
    }
}

#[test]
fn resp2_lowering_matches_redis() {
    let cases: Vec<(Frame, &[u8])> = vec![
        (Frame::Null, b"$-1\r\n"),
        (Frame::Boolean(true), b":1\r\n"),
        (Frame::Boolean(false), b":0\r\n"),
        (Frame::double(1.5), b"$3\r\n1.5\r\n"),
        (Frame::double(f64::INFINITY), b"$3\r\ninf\r\n"),
        (
            Frame::BigNumber(Bytes::from_static(b"123")),
            b"$3\r\n123\r\n",
        ),
        (
            Frame::BulkError(Bytes::from_static(b"ERR x\r\ny")),
            b"-ERR x  y\r\n",
        ),
        (
            Frame::Verbatim {
                format: *b"txt",
                text: Bytes::from_static(b"hi"),
            },
            b"$2\r\nhi\r\n",
        ),
        (
            Frame::Map(vec![(Frame::bulk("a"), Frame::Integer(1))]),
            b"*2\r\n$1\r\na\r\n:1\r\n",
        ),
        (Frame::Set(vec![Frame::Integer(1)]), b"*1\r\n:1\r\n"),
        (Frame::Push(vec![Frame::Integer(1)]), b"*1\r\n:1\r\n"),
        (
            Frame::Attributed {
                attributes: vec![(Frame::Integer(1), Frame::Integer(2))],
                value: Box::new(Frame::Integer(3)),
            },
            b":3\r\n",
        ),
    ];
    for (frame, expected) in cases {
        let mut out = BytesMut::new();
        encode_frame_resp2(&mut out, &frame);
        assert_eq!(&out[..], expected, "{frame:?}");
    }
}

#[test]
fn lines_that_cannot_hold_cr_or_lf_are_sanitized_not_corrupted() {
    let mut out = BytesMut::new();
    encode_frame(&mut out, &Frame::error("ERR bad\r\ninput"));
    encode_frame(&mut out, &Frame::simple("a\nb"));
    assert_eq!(&out[..], b"-ERR bad  input\r\n+a b\r\n");
}

#[test]
fn doubles_encode_in_the_resp3_grammar() {
    for (value, expected) in [
        (1.5, &b",1.5\r\n"[..]),
        (-0.25, b",-0.25\r\n"),
        (1e300, b",1e300\r\n"),
        (f64::INFINITY, b",inf\r\n"),
        (f64::NEG_INFINITY, b",-inf\r\n"),
        (f64::NAN, b",nan\r\n"),
    ] {
        let mut out = BytesMut::new();
        encode_frame(&mut out, &Frame::double(value));
        assert_eq!(&out[..], expected);
    }
}
