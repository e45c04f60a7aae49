//! Scalars: integers, floats, booleans, strings and bytes.

use bytes::Bytes;
use redis_sansio::resp::Frame;

use super::{FromReply, mismatch, value};
use crate::Error;

// After `value`, errors are gone, so `Frame::as_bytes` gives the text of a
// string-like reply (simple, bulk, verbatim, big number).

/// An integer reply, or a string holding a decimal integer (`GET` of a counter); out
/// of range for the type is an error, never a wrap.
fn integer<T: TryFrom<i64> + std::str::FromStr>(
    frame: Frame,
    expected: &'static str,
) -> Result<T, Error> {
    let frame = value(frame)?;
    let parsed = match &frame {
        Frame::Integer(n) => T::try_from(*n).ok(),
        other => other
            .as_bytes()
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|s| s.parse().ok()),
    };
    parsed.ok_or_else(|| mismatch(expected, &frame))
}

macro_rules! integers {
    ($($int:ty),*) => {$(
        /// From an integer reply, or a string holding a decimal integer.
        impl FromReply for $int {
            fn from_reply(frame: Frame) -> Result<Self, Error> {
                integer(frame, stringify!($int))
            }
        }
    )*};
}
integers!(i8, i16, i32, i64, i128, isize, u16, u32, u64, u128, usize);

/// From an integer reply or a decimal string, like the other integers; and
/// `Vec<u8>` reads a string reply as its bytes (an array as its elements).
impl FromReply for u8 {
    fn from_reply(frame: Frame) -> Result<Self, Error> {
        integer(frame, "u8")
    }

    fn vec_from_bytes(bytes: &[u8]) -> Option<Vec<u8>> {
        Some(bytes.to_vec())
    }
}

macro_rules! floats {
    ($($float:ty),*) => {$(
        /// From a double, an integer, or a string holding a number (`inf`, `-inf`
        /// and `nan` included, as Redis writes them).
        impl FromReply for $float {
            fn from_reply(frame: Frame) -> Result<Self, Error> {
                let frame = value(frame)?;
                let parsed = match &frame {
                    Frame::Double(d) => Some(d.value() as $float),
                    Frame::Integer(n) => Some(*n as $float),
                    other => other.as_bytes()
                        .and_then(|b| std::str::from_utf8(b).ok())
                        .and_then(|s| s.parse().ok()),
                };
                parsed.ok_or_else(|| mismatch(stringify!($float), &frame))
            }
        }
    )*};
}
floats!(f32, f64);

/// From a RESP3 boolean, an integer (`0` is false, anything else true: `EXISTS`,
/// `SISMEMBER`, `EXPIRE`), or `OK`.
impl FromReply for bool {
    fn from_reply(frame: Frame) -> Result<Self, Error> {
        match value(frame)? {
            Frame::Boolean(b) => Ok(b),
            Frame::Integer(n) => Ok(n != 0),
            Frame::SimpleString(ref s) if &s[..] == b"OK" => Ok(true),
            other => Err(mismatch("bool", &other)),
        }
    }
}

/// The bytes of a string reply, without copying them.
impl FromReply for Bytes {
    #[inline(always)]
    fn from_reply(mut frame: Frame) -> Result<Self, Error> {
        // The bytes `Frame::as_bytes` gives, taken rather than cloned (`Frame` has a
        // `Drop`, so they cannot be moved out); errors and attributes (rare) go
        // through `value` first.
        match frame {
            Frame::SimpleString(ref mut bytes)
            | Frame::BulkString(ref mut bytes)
            | Frame::BigNumber(ref mut bytes)
            | Frame::Verbatim {
                text: ref mut bytes,
                ..
            } => Ok(std::mem::take(bytes)),
            Frame::SimpleError(_) | Frame::BulkError(_) | Frame::Attributed { .. } => {
                bytes_of(value(frame)?)
            }
            frame => Err(mismatch("bytes", &frame)),
        }
    }
}

/// The bytes of a string-like frame that is no error and has no attributes.
fn bytes_of(mut frame: Frame) -> Result<Bytes, Error> {
    match frame {
        Frame::SimpleString(ref mut bytes)
        | Frame::BulkString(ref mut bytes)
        | Frame::BigNumber(ref mut bytes)
        | Frame::Verbatim {
            text: ref mut bytes,
            ..
        } => Ok(std::mem::take(bytes)),
        frame => Err(mismatch("bytes", &frame)),
    }
}

/// A string reply as UTF-8 text, or a number written out; invalid UTF-8 is an error
/// (read such values as `Bytes`).
impl FromReply for String {
    fn from_reply(frame: Frame) -> Result<Self, Error> {
        let frame = value(frame)?;
        let string = match &frame {
            Frame::Integer(n) => Some(n.to_string()),
            Frame::Double(d) => Some(d.to_string()),
            other => other
                .as_bytes()
                .and_then(|b| String::from_utf8(b.to_vec()).ok()),
        };
        string.ok_or_else(|| mismatch("UTF-8 string", &frame))
    }
}
