//! Reading replies as Rust types: the [`FromReply`] trait and its std implementations.

mod collections;
mod scalars;

use redis_sansio::resp::Frame;
use redis_sansio::{RequestError, ServerError};

use crate::{ConversionError, Error};

/// A type a reply can be read as.
///
/// Implemented for the std types people use: integers, floats, `bool`, `String`,
/// `Vec<u8>`, [`Bytes`](bytes::Bytes), `()` (any reply, ignored), `Option` (`None` for
/// every null form), `Vec`, `VecDeque`, `HashMap`, `BTreeMap`, `HashSet`, `BTreeSet`,
/// tuples of up to twelve, and [`Frame`] itself. Attributes in front of a value are set
/// aside. An error reply nested inside another reply (an `EXEC` element, say) reads
/// as that server error; anything that does not fit is [`Error::Conversion`].
///
/// Your own types implement it by converting from a type that already does:
///
/// ```
/// use redis_client::{Error, FromReply};
/// use redis_client::resp::Frame;
///
/// #[derive(Debug, PartialEq)]
/// struct Celsius(f64);
///
/// impl FromReply for Celsius {
///     fn from_reply(frame: Frame) -> Result<Self, Error> {
///         f64::from_reply(frame).map(Celsius)
///     }
/// }
///
/// assert_eq!(Celsius::from_reply(Frame::bulk("21.5")).unwrap(), Celsius(21.5));
/// assert!(Celsius::from_reply(Frame::bulk("warm")).is_err());
/// ```
pub trait FromReply: Sized {
    /// Reads `frame` as `Self`.
    fn from_reply(frame: Frame) -> Result<Self, Error>;

    /// True for the two-element tuples, which a flat RESP2 array of key, value, key,
    /// value, ... (`HGETALL`, `ZRANGE .. WITHSCORES`) fills pairwise.
    #[doc(hidden)]
    const IS_PAIR: bool = false;

    /// `Vec<u8>` reads a string reply as its bytes: `Some` only for `u8`.
    #[doc(hidden)]
    fn vec_from_bytes(_bytes: &[u8]) -> Option<Vec<Self>> {
        None
    }
}

impl FromReply for Frame {
    fn from_reply(frame: Frame) -> Result<Self, Error> {
        Ok(frame)
    }
}

/// Any reply but an error, its value ignored: for `OK` and other acknowledgements.
impl FromReply for () {
    fn from_reply(frame: Frame) -> Result<Self, Error> {
        value(frame).map(drop)
    }
}

/// The value under any attributes; an error reply becomes its server error.
#[inline]
pub(crate) fn value(frame: Frame) -> Result<Frame, Error> {
    match frame {
        Frame::Attributed { .. } | Frame::SimpleError(_) | Frame::BulkError(_) => unwrap(frame),
        frame => Ok(frame),
    }
}

/// [`value`] for the rarer frames: attributed ones and errors.
#[cold]
fn unwrap(frame: Frame) -> Result<Frame, Error> {
    // `Frame` has a `Drop` (an iterative one), so its parts are taken, not moved.
    let mut frame = frame.into_value();
    match frame {
        Frame::SimpleError(ref mut message) | Frame::BulkError(ref mut message) => {
            Err(Error::Request(RequestError::Server(ServerError::new(
                std::mem::take(message),
            ))))
        }
        frame => Ok(frame),
    }
}

/// The error for `frame` not fitting `expected`.
#[cold]
pub(crate) fn mismatch(expected: &'static str, frame: &Frame) -> Error {
    Error::Conversion(ConversionError::new(expected, describe(frame)))
}

/// A short description of a frame for error messages: its kind and a prefix of its text.
fn describe(frame: &Frame) -> String {
    const SHOWN: usize = 40;
    let text = |kind: &str, bytes: &[u8]| {
        let shown = &bytes[..bytes.len().min(SHOWN)];
        let ellipsis = if bytes.len() > SHOWN { "..." } else { "" };
        format!("{kind} {:?}{ellipsis}", String::from_utf8_lossy(shown))
    };
    match frame {
        Frame::SimpleString(b) => text("simple string", b),
        Frame::SimpleError(b) | Frame::BulkError(b) => text("error", b),
        Frame::BulkString(b) => text("bulk string", b),
        Frame::Verbatim { text: b, .. } => text("verbatim string", b),
        Frame::BigNumber(b) => text("big number", b),
        Frame::Integer(n) => format!("integer {n}"),
        Frame::Double(d) => format!("double {d}"),
        Frame::Boolean(b) => format!("boolean {b}"),
        Frame::Null | Frame::NullBulk | Frame::NullArray => "null".to_string(),
        Frame::Array(items) => format!("array of {}", items.len()),
        Frame::Set(items) => format!("set of {}", items.len()),
        Frame::Push(items) => format!("push of {}", items.len()),
        Frame::Map(entries) => format!("map of {}", entries.len()),
        Frame::Attributed { value, .. } => describe(value),
        _ => "unknown frame".to_string(),
    }
}
