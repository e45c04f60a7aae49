//! Reading frames as Rust types: every std implementation, RESP2 and RESP3 shapes,
//! and the errors for replies that do not fit.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use bytes::Bytes;
use redis_client::resp::Frame;
use redis_client::{Error, FromReply};
use redis_sansio::{RequestError, ServerErrorKind};

fn bulk(s: &str) -> Frame {
    Frame::bulk(Bytes::copy_from_slice(s.as_bytes()))
}

fn read<T: FromReply>(frame: Frame) -> Result<T, Error> {
    T::from_reply(frame)
}

fn conversion_error<T: FromReply + std::fmt::Debug>(frame: Frame) -> String {
    match read::<T>(frame) {
        Err(Error::Conversion(error)) => error.to_string(),
        other => panic!("expected a conversion error, got {other:?}"),
    }
}

#[test]
fn integers_from_integers_and_decimal_strings() {
    assert_eq!(read::<i64>(Frame::Integer(-7)).unwrap(), -7);
    assert_eq!(read::<u8>(Frame::Integer(255)).unwrap(), 255);
    assert_eq!(read::<i32>(bulk("42")).unwrap(), 42);
    assert_eq!(
        read::<u64>(Frame::simple("18446744073709551615")).unwrap(),
        u64::MAX
    );
    assert_eq!(
        read::<i128>(Frame::BigNumber(
            "-170141183460469231731687303715884105728".into()
        ))
        .unwrap(),
        i128::MIN
    );
    // Out of range or not a number: an error naming the type, never a wrap.
    assert_eq!(
        conversion_error::<u8>(Frame::Integer(256)),
        "cannot read integer 256 as u8"
    );
    assert_eq!(
        conversion_error::<u32>(Frame::Integer(-1)),
        "cannot read integer -1 as u32"
    );
    assert!(conversion_error::<i64>(bulk("12abc")).contains("bulk string \"12abc\""));
    assert!(conversion_error::<i64>(Frame::double(1.5)).contains("double"));
    assert!(conversion_error::<i64>(Frame::Null).contains("null"));
}

#[test]
fn floats_from_doubles_integers_and_strings() {
    assert_eq!(read::<f64>(Frame::double(2.5)).unwrap(), 2.5);
    assert_eq!(read::<f64>(Frame::Integer(3)).unwrap(), 3.0);
    assert_eq!(read::<f64>(bulk("1e3")).unwrap(), 1000.0);
    assert_eq!(read::<f64>(bulk("inf")).unwrap(), f64::INFINITY);
    assert_eq!(read::<f64>(bulk("-inf")).unwrap(), f64::NEG_INFINITY);
    assert!(read::<f64>(bulk("nan")).unwrap().is_nan());
    assert_eq!(read::<f32>(bulk("0.5")).unwrap(), 0.5);
    assert!(conversion_error::<f64>(bulk("fast")).contains("as f64"));
}

#[test]
fn booleans() {
    assert!(read::<bool>(Frame::Boolean(true)).unwrap());
    assert!(!read::<bool>(Frame::Integer(0)).unwrap());
    assert!(read::<bool>(Frame::Integer(2)).unwrap());
    assert!(read::<bool>(Frame::simple("OK")).unwrap());
    assert!(conversion_error::<bool>(bulk("yes")).contains("as bool"));
}

#[test]
fn strings_and_bytes() {
    let payload = Bytes::from_static(b"\x00\xffbinary");
    assert_eq!(
        read::<Bytes>(Frame::bulk(payload.clone())).unwrap(),
        payload
    );
    assert_eq!(
        read::<Vec<u8>>(Frame::bulk(payload.clone())).unwrap(),
        payload.to_vec()
    );
    assert_eq!(read::<String>(Frame::simple("PONG")).unwrap(), "PONG");
    assert_eq!(
        read::<String>(Frame::Verbatim {
            format: *b"txt",
            text: "hi".into()
        })
        .unwrap(),
        "hi"
    );
    assert_eq!(read::<String>(Frame::Integer(12)).unwrap(), "12");
    assert!(conversion_error::<String>(Frame::bulk(payload)).contains("UTF-8 string"));
    assert!(conversion_error::<Bytes>(Frame::Integer(1)).contains("as bytes"));
    // Long texts are cut in the message.
    let long = "x".repeat(100);
    assert_eq!(
        conversion_error::<i64>(bulk(&long)),
        format!("cannot read bulk string {:?}... as i64", "x".repeat(40))
    );
}

#[test]
fn unit_accepts_anything_but_errors() {
    read::<()>(Frame::simple("OK")).unwrap();
    read::<()>(Frame::Null).unwrap();
    read::<()>(Frame::Array(vec![])).unwrap();
    assert!(read::<()>(Frame::error("ERR nope")).is_err());
}

#[test]
fn options_read_every_null_form_as_none() {
    for null in [Frame::Null, Frame::NullBulk, Frame::NullArray] {
        assert_eq!(read::<Option<i64>>(null.clone()).unwrap(), None);
        assert_eq!(read::<Option<Vec<Bytes>>>(null).unwrap(), None);
    }
    assert_eq!(read::<Option<i64>>(Frame::Integer(1)).unwrap(), Some(1));
    // Without Option, a null is an error, not a default.
    assert!(conversion_error::<i64>(Frame::NullBulk).contains("null"));
    assert!(conversion_error::<Vec<i64>>(Frame::NullArray).contains("null"));
}

#[test]
fn sequences_from_arrays_sets_and_pushes() {
    let items = vec![Frame::Integer(1), bulk("2"), Frame::Integer(3)];
    assert_eq!(
        read::<Vec<i64>>(Frame::Array(items.clone())).unwrap(),
        [1, 2, 3]
    );
    assert_eq!(
        read::<VecDeque<i64>>(Frame::Set(items.clone())).unwrap(),
        [1, 2, 3]
    );
    assert_eq!(
        read::<Vec<i64>>(Frame::Push(items.clone())).unwrap(),
        [1, 2, 3]
    );
    assert_eq!(
        read::<BTreeSet<i64>>(Frame::Set(items.clone())).unwrap(),
        BTreeSet::from([1, 2, 3])
    );
    assert_eq!(read::<HashSet<i64>>(Frame::Array(items)).unwrap().len(), 3);
    // One bad element fails the whole conversion, naming it.
    let bad = Frame::Array(vec![Frame::Integer(1), bulk("x")]);
    assert!(conversion_error::<Vec<i64>>(bad).contains("bulk string \"x\""));
}

#[test]
fn maps_from_resp3_maps_and_flat_resp2_arrays() {
    let resp3 = Frame::Map(vec![
        (bulk("a"), Frame::Integer(1)),
        (bulk("b"), Frame::Integer(2)),
    ]);
    let resp2 = Frame::Array(vec![bulk("a"), bulk("1"), bulk("b"), bulk("2")]);
    let expected = HashMap::from([("a".to_string(), 1i64), ("b".to_string(), 2)]);
    assert_eq!(
        read::<HashMap<String, i64>>(resp3.clone()).unwrap(),
        expected
    );
    assert_eq!(
        read::<HashMap<String, i64>>(resp2.clone()).unwrap(),
        expected
    );
    assert_eq!(
        read::<BTreeMap<String, i64>>(resp2.clone()).unwrap(),
        expected.clone().into_iter().collect::<BTreeMap<_, _>>()
    );
    // Pairs keep wire order, from either shape.
    let pairs = vec![("a".to_string(), 1i64), ("b".to_string(), 2)];
    assert_eq!(read::<Vec<(String, i64)>>(resp3).unwrap(), pairs);
    assert_eq!(read::<Vec<(String, i64)>>(resp2).unwrap(), pairs);
    // An array of 2-element arrays is read as pairs too (RESP3 ZRANGE WITHSCORES).
    let nested = Frame::Array(vec![
        Frame::Array(vec![bulk("m"), Frame::double(1.5)]),
        Frame::Array(vec![bulk("n"), Frame::double(2.5)]),
    ]);
    assert_eq!(
        read::<Vec<(String, f64)>>(nested).unwrap(),
        [("m".to_string(), 1.5), ("n".to_string(), 2.5)]
    );
    // A flat array of odd length is no map.
    let odd = Frame::Array(vec![bulk("a"), bulk("1"), bulk("b")]);
    assert!(conversion_error::<HashMap<String, i64>>(odd).contains("array of 3"));
}

#[test]
fn tuples_need_exactly_their_length() {
    let frame = Frame::Array(vec![bulk("0"), Frame::Array(vec![bulk("k")])]);
    let (cursor, keys): (u64, Vec<String>) = read(frame).unwrap();
    assert_eq!((cursor, keys), (0, vec!["k".to_string()]));
    let triple = Frame::Array(vec![
        Frame::Integer(1),
        Frame::Integer(2),
        Frame::Integer(3),
    ]);
    assert_eq!(read::<(i64, i64, i64)>(triple.clone()).unwrap(), (1, 2, 3));
    assert!(conversion_error::<(i64, i64)>(triple).contains("as array of 2"));
}

#[test]
fn attributes_are_looked_through() {
    let frame = Frame::Attributed {
        attributes: vec![(bulk("ttl"), Frame::Integer(3))],
        value: Box::new(Frame::Integer(9)),
    };
    assert_eq!(read::<i64>(frame.clone()).unwrap(), 9);
    // The frame itself keeps them.
    assert_eq!(read::<Frame>(frame.clone()).unwrap(), frame);
}

#[test]
fn nested_error_replies_become_server_errors() {
    let exec = Frame::Array(vec![
        Frame::Integer(1),
        Frame::error("WRONGTYPE Operation against a key"),
    ]);
    match read::<(i64, i64)>(exec) {
        Err(Error::Request(RequestError::Server(error))) => {
            assert_eq!(*error.kind(), ServerErrorKind::WrongType)
        }
        other => panic!("expected the server error, got {other:?}"),
    }
    match read::<String>(Frame::BulkError("ERR bad".into())) {
        Err(error) => assert_eq!(error.server_error().unwrap().kind(), &ServerErrorKind::Err),
        Ok(value) => panic!("read an error as {value:?}"),
    }
}
