//! The value model: one [`Frame`] per RESP2 or RESP3 value.

use bytes::Bytes;

use super::double::Double;

mod iterative_drop;

/// One decoded RESP2 or RESP3 value.
///
/// Every payload is a [`Bytes`] slice of the buffer it was decoded from: decoding copies
/// no string data. Texts are kept as bytes, because Redis quotes user input inside
/// simple strings and errors, so they need not be UTF-8.
///
/// Maps, sets and attributes keep wire order and duplicate entries; the same bytes
/// always decode to the same `Frame`.
///
/// Streamed strings (`$?` with `;n` chunks) decode to [`Frame::BulkString`] holding the
/// joined chunks, and streamed aggregates (`*?`, `%?`, `~?`, `>?` ending in `.`) decode
/// to the same variants as their counted forms: streaming is a transport detail. A
/// [`Builder`](super::Builder) sees the individual chunks if it needs them.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Frame {
    /// `+OK`: a simple string, never containing CR or LF.
    SimpleString(Bytes),
    /// `-ERR message`: a simple error, its first word the error code.
    SimpleError(Bytes),
    /// `:42`: a signed 64-bit integer.
    Integer(i64),
    /// `$5\r\nhello`: a binary-safe string.
    BulkString(Bytes),
    /// `!21\r\nSYNTAX invalid syntax`: a binary-safe error (RESP3).
    BulkError(Bytes),
    /// `=15\r\ntxt:Some string`: a verbatim string with its three-byte format (RESP3).
    Verbatim {
        /// The format, such as `txt` or `mkd`.
        format: [u8; 3],
        /// The text after the `xxx:` prefix.
        text: Bytes,
    },
    /// `_`: the RESP3 null.
    Null,
    /// `$-1`: the RESP2 null bulk string.
    NullBulk,
    /// `*-1`: the RESP2 null array.
    NullArray,
    /// `,3.14`: a double, including `inf`, `-inf` and `nan` (RESP3). A decoded one
    /// keeps its wire text, so it re-encodes exactly as received.
    Double(Double),
    /// `#t` or `#f` (RESP3).
    Boolean(bool),
    /// `(3492890328409238509324850943850943825024385`: a big number's text, as sent
    /// (RESP3). Normally an optionally negative run of digits, but taken as any line:
    /// Redis passes a Lua script's `{big_number=...}` text through unchecked.
    BigNumber(Bytes),
    /// `*2 ...`: an ordered sequence.
    Array(Vec<Frame>),
    /// `%2 ...`: key-value pairs in wire order, duplicates kept (RESP3).
    Map(Vec<(Frame, Frame)>),
    /// `~2 ...`: a set, in wire order, duplicates kept (RESP3).
    Set(Vec<Frame>),
    /// `>3 ...`: out-of-band data such as pub/sub messages (RESP3).
    Push(Vec<Frame>),
    /// `|1 ...` followed by a value: attributes attached to the value they precede (RESP3).
    Attributed {
        /// The attribute map, in wire order.
        attributes: Vec<(Frame, Frame)>,
        /// The value the attributes describe.
        value: Box<Frame>,
    },
}

// A frame stays five words: every element of every decoded aggregate is one.
const _: () = assert!(std::mem::size_of::<Frame>() <= 40);

impl Frame {
    /// True for every null form: RESP3 `_`, RESP2 `$-1` and `*-1`.
    pub fn is_null(&self) -> bool {
        matches!(self, Frame::Null | Frame::NullBulk | Frame::NullArray)
    }

    /// True for simple and bulk errors (looking through attributes).
    pub fn is_error(&self) -> bool {
        matches!(
            self.without_attributes(),
            Frame::SimpleError(_) | Frame::BulkError(_)
        )
    }

    /// The value itself, with any attributes in front of it set aside.
    pub fn without_attributes(&self) -> &Frame {
        let mut frame = self;
        while let Frame::Attributed { value, .. } = frame {
            frame = value;
        }
        frame
    }

    /// The bytes of a string-like frame: simple, bulk, verbatim (text only), errors
    /// and big numbers. `None` for every other kind.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self.without_attributes() {
            Frame::SimpleString(b)
            | Frame::SimpleError(b)
            | Frame::BulkString(b)
            | Frame::BulkError(b)
            | Frame::BigNumber(b)
            | Frame::Verbatim { text: b, .. } => Some(b),
            _ => None,
        }
    }

    /// The value itself, with any attributes in front of it dropped: the owned form
    /// of [`Frame::without_attributes`].
    pub fn into_value(mut self) -> Frame {
        while let Frame::Attributed { value, .. } = &mut self {
            // `Frame` has a `Drop` (an iterative one), so its parts are taken, not moved.
            let inner = std::mem::replace(value.as_mut(), Frame::Null);
            self = inner;
        }
        self
    }

    /// The elements of an array, set or push (looking through attributes), moved out;
    /// any other frame is given back.
    pub fn into_items(self) -> Result<Vec<Frame>, Frame> {
        let mut frame = self.into_value();
        match &mut frame {
            Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
                Ok(std::mem::take(items))
            }
            _ => Err(frame),
        }
    }

    /// The entries of a map (looking through attributes), moved out; any other frame
    /// is given back.
    pub fn into_pairs(self) -> Result<Vec<(Frame, Frame)>, Frame> {
        let mut frame = self.into_value();
        match &mut frame {
            Frame::Map(pairs) => Ok(std::mem::take(pairs)),
            _ => Err(frame),
        }
    }

    /// The bytes of a string-like frame (those [`Frame::as_bytes`] gives, looking
    /// through attributes), moved out; any other frame is given back.
    pub fn into_bytes(self) -> Result<Bytes, Frame> {
        let mut frame = self.into_value();
        match &mut frame {
            Frame::SimpleString(b)
            | Frame::SimpleError(b)
            | Frame::BulkString(b)
            | Frame::BulkError(b)
            | Frame::BigNumber(b)
            | Frame::Verbatim { text: b, .. } => Ok(std::mem::take(b)),
            _ => Err(frame),
        }
    }

    /// A bulk string frame holding `data`.
    pub fn bulk(data: impl Into<Bytes>) -> Frame {
        Frame::BulkString(data.into())
    }

    /// A simple string frame holding `text`. The caller guarantees it holds no CR or LF;
    /// the encoder replaces any with spaces rather than corrupt the stream.
    pub fn simple(text: impl Into<Bytes>) -> Frame {
        Frame::SimpleString(text.into())
    }

    /// A double frame holding `value`.
    pub fn double(value: f64) -> Frame {
        Frame::Double(Double::new(value))
    }

    /// A simple error frame holding `text` (for example `ERR unknown command`).
    pub fn error(text: impl Into<Bytes>) -> Frame {
        Frame::SimpleError(text.into())
    }
}
