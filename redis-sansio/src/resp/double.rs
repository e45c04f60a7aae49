//! RESP3 doubles, kept as the server spelled them.

use std::fmt;

use bytes::Bytes;

use super::number;
use crate::ProtocolError;

/// A RESP3 double (`,3.14`), as received or as made from an `f64`.
///
/// A decoded double keeps its wire text (a zero-copy slice of the read buffer), so it
/// re-encodes byte for byte: Redis sends `,1` for a score of 1 and, before 7.2,
/// `,3.1400000000000001` (`%.17g`) for 3.14; both come out of
/// [`encode_frame`](super::encode_frame) unchanged. [`Double::value`] reads the
/// number from that text when asked (the decoder has already checked its grammar).
///
/// A double made with [`Double::new`] holds the `f64` alone and is written as the
/// shortest text that reads back as the same value (`inf`, `-inf`, `nan` for the
/// non-finite ones).
///
/// Two doubles are equal when their values are (so NaN equals nothing), whatever
/// their text.
///
/// ```
/// use bytes::BytesMut;
/// use redis_sansio::resp::{Double, Frame, decode_one, encode_frame};
///
/// let (frame, _) = decode_one(b",3.1400000000000001\r\n").unwrap().unwrap();
/// assert_eq!(frame, Frame::Double(Double::new(3.14)));
/// let mut out = BytesMut::new();
/// encode_frame(&mut out, &frame);
/// assert_eq!(&out[..], b",3.1400000000000001\r\n");
/// ```
#[derive(Clone)]
pub struct Double(Repr);

#[derive(Clone)]
enum Repr {
    /// Made from a value; written in the shortest form.
    Value(f64),
    /// Decoded: the text between the type byte and CRLF, grammar already checked.
    Wire(Bytes),
}

impl Double {
    /// A double holding `value`, written as the shortest text that reads back as it.
    pub fn new(value: f64) -> Double {
        Double(Repr::Value(value))
    }

    /// A double from its wire text (the bytes between `,` and CRLF), checked against
    /// the RESP3 grammar: `[-]digits[.digits][(e|E)[+|-]digits]`, `inf`, `-inf`, and
    /// the NaN spellings servers send (`nan`, `-nan`, `NAN`, `nan(...)`).
    pub fn from_wire(text: Bytes) -> Result<Double, ProtocolError> {
        number::check_double(&text)?;
        Ok(Double(Repr::Wire(text)))
    }

    /// [`Double::from_wire`] for text the caller has already checked.
    pub(crate) fn from_wire_checked(text: Bytes) -> Double {
        Double(Repr::Wire(text))
    }

    /// The number.
    pub fn value(&self) -> f64 {
        match &self.0 {
            Repr::Value(value) => *value,
            // Checked by `from_wire`, so this cannot fail; NaN would be the answer.
            Repr::Wire(text) => number::parse_double(text).unwrap_or(f64::NAN),
        }
    }

    /// The text this double was decoded from, or `None` for one made from a value.
    pub fn wire_text(&self) -> Option<&Bytes> {
        match &self.0 {
            Repr::Value(_) => None,
            Repr::Wire(text) => Some(text),
        }
    }

    /// Calls `write` with the text this double is encoded as: its wire text if it
    /// was decoded, otherwise the shortest form of its value.
    pub(crate) fn with_text<R>(&self, write: impl FnOnce(&[u8]) -> R) -> R {
        match &self.0 {
            Repr::Value(value) => write(format_double(*value, &mut ryu::Buffer::new())),
            Repr::Wire(text) => write(text),
        }
    }
}

/// Formats a double the way the RESP3 grammar spells it: `inf`, `-inf`, `nan`, or the
/// shortest decimal that reads back as the same value.
pub(crate) fn format_double(value: f64, buf: &mut ryu::Buffer) -> &[u8] {
    if value.is_nan() {
        b"nan"
    } else if value == f64::INFINITY {
        b"inf"
    } else if value == f64::NEG_INFINITY {
        b"-inf"
    } else {
        buf.format_finite(value).as_bytes()
    }
}

impl From<f64> for Double {
    fn from(value: f64) -> Double {
        Double::new(value)
    }
}

/// Equal when the values are, as `f64`s compare (NaN equals nothing).
impl PartialEq for Double {
    fn eq(&self, other: &Double) -> bool {
        self.value() == other.value()
    }
}

impl PartialEq<f64> for Double {
    fn eq(&self, other: &f64) -> bool {
        self.value() == *other
    }
}

impl fmt::Debug for Double {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Value(value) => write!(f, "{value:?}"),
            Repr::Wire(text) => write!(f, "{}", String::from_utf8_lossy(text)),
        }
    }
}

/// The wire text of a decoded double; a double made from a value shows as `f64` does.
impl fmt::Display for Double {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Value(value) => write!(f, "{value}"),
            Repr::Wire(text) => f.write_str(&String::from_utf8_lossy(text)),
        }
    }
}
