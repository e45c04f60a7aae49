//! Options, sequences, maps, sets and tuples.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};

use redis_sansio::resp::Frame;

use super::{FromReply, mismatch, value};
use crate::Error;

/// `None` for every null form (RESP3 `_`, RESP2 `$-1` and `*-1`), else `Some`.
impl<T: FromReply> FromReply for Option<T> {
    #[inline(always)]
    fn from_reply(frame: Frame) -> Result<Self, Error> {
        // The common frames are told apart at once; errors and attributes (rare)
        // go through `value`.
        match frame {
            Frame::Null | Frame::NullBulk | Frame::NullArray => Ok(None),
            Frame::SimpleError(_) | Frame::BulkError(_) | Frame::Attributed { .. } => {
                match value(frame)? {
                    frame if frame.is_null() => Ok(None),
                    frame => T::from_reply(frame).map(Some),
                }
            }
            frame => T::from_reply(frame).map(Some),
        }
    }
}

/// The elements of an array, set or push, or the entries of a map as (key, value)
/// pairs; a flat RESP2 array of key, value, ... read as pairs when `T` is a pair.
fn elements<T: FromReply>(frame: Frame, expected: &'static str) -> Result<Vec<T>, Error> {
    // `Frame` has a `Drop` (an iterative one), so its parts are taken, not moved.
    match value(frame)? {
        Frame::Array(ref mut items) | Frame::Set(ref mut items) | Frame::Push(ref mut items) => {
            let items = std::mem::take(items);
            if T::IS_PAIR && is_flat(&items) {
                pairs(items, expected)
            } else {
                each(items)
            }
        }
        Frame::SimpleString(ref bytes)
        | Frame::BulkString(ref bytes)
        | Frame::Verbatim {
            text: ref bytes, ..
        } => T::vec_from_bytes(bytes)
            .ok_or_else(|| mismatch(expected, &Frame::BulkString(bytes.clone()))),
        Frame::Map(ref mut entries) => std::mem::take(entries)
            .into_iter()
            .map(|(key, value)| T::from_reply(Frame::Array(vec![key, value])))
            .collect(),
        other => Err(mismatch(expected, &other)),
    }
}

/// Reads every element as `T`: one pass, into a vector sized once.
fn each<T: FromReply>(items: Vec<Frame>) -> Result<Vec<T>, Error> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(T::from_reply(item)?);
    }
    Ok(out)
}

/// True when an array holds no arrays: key, value, key, value, ...
fn is_flat(items: &[Frame]) -> bool {
    !items
        .iter()
        .any(|item| matches!(item.without_attributes(), Frame::Array(_)))
}

/// Reads a flat array as consecutive pairs.
fn pairs<T: FromReply>(items: Vec<Frame>, expected: &'static str) -> Result<Vec<T>, Error> {
    if items.len() % 2 != 0 {
        return Err(mismatch(expected, &Frame::Array(items)));
    }
    let mut items = items.into_iter();
    let mut out = Vec::with_capacity(items.len() / 2);
    while let (Some(key), Some(value)) = (items.next(), items.next()) {
        out.push(T::from_reply(Frame::Array(vec![key, value]))?);
    }
    Ok(out)
}

/// From an array, set, push or map (as pairs).
impl<T: FromReply> FromReply for Vec<T> {
    fn from_reply(frame: Frame) -> Result<Self, Error> {
        elements(frame, "array")
    }
}

/// From an array, set, push or map (as pairs).
impl<T: FromReply> FromReply for VecDeque<T> {
    fn from_reply(frame: Frame) -> Result<Self, Error> {
        elements(frame, "array").map(VecDeque::from)
    }
}

/// From a map, or a flat RESP2 array of key, value, ...; a later duplicate key wins.
impl<K, V, S> FromReply for HashMap<K, V, S>
where
    K: FromReply + Eq + Hash,
    V: FromReply,
    S: BuildHasher + Default,
{
    fn from_reply(frame: Frame) -> Result<Self, Error> {
        Ok(elements::<(K, V)>(frame, "map")?.into_iter().collect())
    }
}

/// From a map, or a flat RESP2 array of key, value, ...; a later duplicate key wins.
impl<K: FromReply + Ord, V: FromReply> FromReply for BTreeMap<K, V> {
    fn from_reply(frame: Frame) -> Result<Self, Error> {
        Ok(elements::<(K, V)>(frame, "map")?.into_iter().collect())
    }
}

/// From a set or an array.
impl<T, S> FromReply for HashSet<T, S>
where
    T: FromReply + Eq + Hash,
    S: BuildHasher + Default,
{
    fn from_reply(frame: Frame) -> Result<Self, Error> {
        Ok(elements::<T>(frame, "set")?.into_iter().collect())
    }
}

/// From a set or an array.
impl<T: FromReply + Ord> FromReply for BTreeSet<T> {
    fn from_reply(frame: Frame) -> Result<Self, Error> {
        Ok(elements::<T>(frame, "set")?.into_iter().collect())
    }
}

macro_rules! tuples {
    ($( ($len:literal, $pair:literal: $($name:ident),+) )*) => {$(
        /// From an array (or set) of exactly as many elements, each read as its type.
        impl<$($name: FromReply),+> FromReply for ($($name,)+) {
            const IS_PAIR: bool = $pair;

            fn from_reply(frame: Frame) -> Result<Self, Error> {
                const EXPECTED: &str = concat!("array of ", $len);
                match value(frame)? {
                    Frame::Array(ref mut items) | Frame::Set(ref mut items) if items.len() == $len => {
                        let mut items = std::mem::take(items).into_iter();
                        Ok(($($name::from_reply(items.next().expect(stringify!($name)))?,)+))
                    }
                    other => Err(mismatch(EXPECTED, &other)),
                }
            }
        }
    )*};
}
tuples! {
    (1, false: A)
    (2, true: A, B)
    (3, false: A, B, C)
    (4, false: A, B, C, D)
    (5, false: A, B, C, D, E)
    (6, false: A, B, C, D, E, F)
    (7, false: A, B, C, D, E, F, G)
    (8, false: A, B, C, D, E, F, G, H)
    (9, false: A, B, C, D, E, F, G, H, I)
    (10, false: A, B, C, D, E, F, G, H, I, J)
    (11, false: A, B, C, D, E, F, G, H, I, J, K)
    (12, false: A, B, C, D, E, F, G, H, I, J, K, L)
}
