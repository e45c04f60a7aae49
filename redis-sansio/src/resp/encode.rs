//! Writing RESP: command arguments for clients, any frame for servers.
//!
//! Arguments go into an [`ArgBuf`], which keeps a short command inline; frames and
//! finished commands are appended straight to a caller-owned [`BytesMut`]. Numbers are
//! formatted on the stack, so encoding allocates nothing per argument or element.

use bytes::{BufMut, Bytes, BytesMut};

use super::arg_buf::ArgBuf;
use super::double::format_double;
use super::frame::Frame;

/// A value that can be sent as one command argument (a RESP bulk string).
///
/// Implemented for byte and string types, integers, floats, `bool` (`1`/`0`) and
/// `Option` (nothing for `None`). Implement it for your
/// own types by writing their bytes with [`ArgBuf::push_bulk`], exactly once:
///
/// ```
/// use redis_sansio::resp::{ArgBuf, ToArg};
///
/// struct UserId(u32);
///
/// impl ToArg for UserId {
///     fn write_arg(&self, out: &mut ArgBuf) {
///         out.push_bulk(format!("user:{}", self.0).as_bytes());
///     }
/// }
///
/// let mut out = ArgBuf::new();
/// UserId(7).write_arg(&mut out);
/// assert_eq!(out.as_bytes(), b"$6\r\nuser:7\r\n");
/// assert_eq!(out.len(), 1);
/// ```
///
/// The buffer counts the bulk strings it is given, so a command's length stays right
/// even if an implementation writes more or fewer than one.
pub trait ToArg {
    /// Appends this value to `out` as exactly one bulk string.
    fn write_arg(&self, out: &mut ArgBuf);
}

/// Appends `*len\r\n`, the header of an array (and of every command).
#[inline]
pub fn write_array_header(out: &mut BytesMut, len: usize) {
    write_header(out, b'*', len as u64);
}

/// Appends `data` as a bulk string: `$len\r\ndata\r\n`.
#[inline]
pub fn write_bulk(out: &mut BytesMut, data: &[u8]) {
    write_header(out, b'$', data.len() as u64);
    out.reserve(data.len() + 2);
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Appends a type byte, a non-negative number and CRLF.
#[inline]
fn write_header(out: &mut BytesMut, type_byte: u8, n: u64) {
    // `extend_from_slice`, unlike the `BufMut` methods, inlines: the fixed-size
    // pieces become plain stores.
    if n < 10 {
        out.extend_from_slice(&[type_byte, b'0' + n as u8, b'\r', b'\n']);
        return;
    }
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(n).as_bytes();
    out.reserve(digits.len() + 3);
    out.extend_from_slice(&[type_byte]);
    out.extend_from_slice(digits);
    out.extend_from_slice(b"\r\n");
}

/// Appends a type byte, a line of text and CRLF.
fn write_line(out: &mut BytesMut, type_byte: u8, text: &[u8]) {
    out.reserve(text.len() + 3);
    out.put_u8(type_byte);
    if memchr::memchr2(b'\r', b'\n', text).is_some() {
        // A line may not hold CR or LF; like Redis, send spaces rather than break
        // the stream.
        out.extend(
            text.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
    } else {
        out.put_slice(text);
    }
    out.put_slice(b"\r\n");
}

macro_rules! int_args {
    ($($t:ty)*) => {$(
        impl ToArg for $t {
            #[inline]
            fn write_arg(&self, out: &mut ArgBuf) {
                out.push_bulk(itoa::Buffer::new().format(*self).as_bytes());
            }
        }
    )*};
}
int_args!(i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize);

impl ToArg for f64 {
    #[inline]
    fn write_arg(&self, out: &mut ArgBuf) {
        out.push_bulk(format_double(*self, &mut ryu::Buffer::new()));
    }
}

impl ToArg for f32 {
    #[inline]
    fn write_arg(&self, out: &mut ArgBuf) {
        f64::from(*self).write_arg(out);
    }
}

impl ToArg for [u8] {
    #[inline]
    fn write_arg(&self, out: &mut ArgBuf) {
        out.push_bulk(self);
    }
}

impl<const N: usize> ToArg for [u8; N] {
    #[inline]
    fn write_arg(&self, out: &mut ArgBuf) {
        out.push_bulk(self);
    }
}

impl ToArg for str {
    #[inline]
    fn write_arg(&self, out: &mut ArgBuf) {
        out.push_bulk(self.as_bytes());
    }
}

impl ToArg for String {
    #[inline]
    fn write_arg(&self, out: &mut ArgBuf) {
        out.push_bulk(self.as_bytes());
    }
}

impl ToArg for Vec<u8> {
    #[inline]
    fn write_arg(&self, out: &mut ArgBuf) {
        out.push_bulk(self);
    }
}

impl ToArg for Bytes {
    #[inline]
    fn write_arg(&self, out: &mut ArgBuf) {
        out.push_bulk(self);
    }
}

/// `1` for true, `0` for false, as Redis spells a flag (`SETBIT key 7 1`).
impl ToArg for bool {
    #[inline]
    fn write_arg(&self, out: &mut ArgBuf) {
        out.push_bulk(if *self { b"1" } else { b"0" });
    }
}

/// The value if there is one; `None` writes no argument at all (the buffer counts
/// what is written, so the command's length stays right).
impl<T: ToArg> ToArg for Option<T> {
    #[inline]
    fn write_arg(&self, out: &mut ArgBuf) {
        if let Some(value) = self {
            value.write_arg(out);
        }
    }
}

impl<T: ToArg + ?Sized> ToArg for &T {
    #[inline]
    fn write_arg(&self, out: &mut ArgBuf) {
        (**self).write_arg(out);
    }
}

/// Appends a command: an array of bulk strings, one per argument. (A [`Cmd`](crate::Cmd)
/// is the same bytes, built up one argument at a time.)
///
/// ```
/// use bytes::BytesMut;
/// use redis_sansio::resp::{encode_command, ToArg};
///
/// let mut out = BytesMut::new();
/// encode_command(&mut out, &[&"SET" as &dyn ToArg, &"counter", &42]);
/// assert_eq!(&out[..], b"*3\r\n$3\r\nSET\r\n$7\r\ncounter\r\n$2\r\n42\r\n");
/// ```
pub fn encode_command(out: &mut BytesMut, args: &[&dyn ToArg]) {
    let mut buf = ArgBuf::new();
    for arg in args {
        arg.write_arg(&mut buf);
    }
    write_array_header(out, buf.len());
    out.extend_from_slice(buf.as_bytes());
}

/// The protocol a frame is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// RESP2: RESP3-only types are lowered the way Redis lowers them.
    Resp2,
    /// RESP3: every frame is written as it is.
    Resp3,
}

/// Appends `frame` in RESP3, exactly as modelled (RESP2 nulls stay RESP2 nulls).
///
/// Decoding the output gives back an equal frame. Simple strings and errors holding CR
/// or LF, which the wire cannot carry, are written with spaces in their place.
pub fn encode_frame(out: &mut BytesMut, frame: &Frame) {
    encode(out, frame, Version::Resp3);
}

/// Appends `frame` for a RESP2 client, lowering RESP3 types as Redis does: maps become
/// flat arrays, sets and pushes arrays, null `$-1`, doubles, big numbers and verbatim
/// text bulk strings, booleans `:1`/`:0`, bulk errors simple errors; attributes are
/// left out.
pub fn encode_frame_resp2(out: &mut BytesMut, frame: &Frame) {
    encode(out, frame, Version::Resp2);
}

/// Appends `frame` in `version`. Iterative, so no nesting depth overflows the stack.
pub fn encode(out: &mut BytesMut, frame: &Frame, version: Version) {
    let resp2 = version == Version::Resp2;
    let mut todo: Vec<&Frame> = vec![frame];
    while let Some(frame) = todo.pop() {
        match frame {
            Frame::SimpleString(text) => write_line(out, b'+', text),
            Frame::SimpleError(text) => write_line(out, b'-', text),
            Frame::Integer(value) => {
                out.put_u8(b':');
                out.put_slice(itoa::Buffer::new().format(*value).as_bytes());
                out.put_slice(b"\r\n");
            }
            Frame::BulkString(data) => write_bulk(out, data),
            Frame::BulkError(data) if resp2 => write_line(out, b'-', data),
            Frame::BulkError(data) => {
                write_header(out, b'!', data.len() as u64);
                out.put_slice(data);
                out.put_slice(b"\r\n");
            }
            Frame::Verbatim { text, .. } if resp2 => write_bulk(out, text),
            Frame::Verbatim { format, text } => {
                write_header(out, b'=', text.len() as u64 + 4);
                out.put_slice(format);
                out.put_u8(b':');
                out.put_slice(text);
                out.put_slice(b"\r\n");
            }
            Frame::Null if resp2 => out.put_slice(b"$-1\r\n"),
            Frame::Null => out.put_slice(b"_\r\n"),
            Frame::NullBulk => out.put_slice(b"$-1\r\n"),
            Frame::NullArray => out.put_slice(b"*-1\r\n"),
            Frame::Double(double) => double.with_text(|text| {
                if resp2 {
                    write_bulk(out, text);
                } else {
                    write_line(out, b',', text);
                }
            }),
            Frame::Boolean(value) if resp2 => {
                out.put_slice(if *value { b":1\r\n" } else { b":0\r\n" })
            }
            Frame::Boolean(value) => out.put_slice(if *value { b"#t\r\n" } else { b"#f\r\n" }),
            Frame::BigNumber(digits) if resp2 => write_bulk(out, digits),
            Frame::BigNumber(digits) => write_line(out, b'(', digits),
            Frame::Array(items) => {
                write_header(out, b'*', items.len() as u64);
                todo.extend(items.iter().rev());
            }
            Frame::Set(items) => {
                write_header(out, if resp2 { b'*' } else { b'~' }, items.len() as u64);
                todo.extend(items.iter().rev());
            }
            Frame::Push(items) => {
                write_header(out, if resp2 { b'*' } else { b'>' }, items.len() as u64);
                todo.extend(items.iter().rev());
            }
            Frame::Map(pairs) if resp2 => {
                write_header(out, b'*', pairs.len() as u64 * 2);
                push_pairs(&mut todo, pairs);
            }
            Frame::Map(pairs) => {
                write_header(out, b'%', pairs.len() as u64);
                push_pairs(&mut todo, pairs);
            }
            Frame::Attributed { value, .. } if resp2 => todo.push(value),
            Frame::Attributed { attributes, value } => {
                write_header(out, b'|', attributes.len() as u64);
                todo.push(value);
                push_pairs(&mut todo, attributes);
            }
        }
    }
}

/// Queues `pairs` so they pop key, value, key, value in order.
fn push_pairs<'f>(todo: &mut Vec<&'f Frame>, pairs: &'f [(Frame, Frame)]) {
    for (key, value) in pairs.iter().rev() {
        todo.push(value);
        todo.push(key);
    }
}

/// Streamed writing for servers that do not know a reply's size up front (RESP3).
pub mod streamed {
    use super::*;
    use crate::resp::AggregateKind;

    /// Appends `$?`, the start of a streamed string. Follow with [`chunk`]s and [`end_string`].
    pub fn begin_string(out: &mut BytesMut) {
        out.put_slice(b"$?\r\n");
    }

    /// Appends one chunk of a streamed string; empty chunks are skipped, since an empty
    /// chunk is the terminator.
    pub fn chunk(out: &mut BytesMut, data: &[u8]) {
        if !data.is_empty() {
            write_header(out, b';', data.len() as u64);
            out.put_slice(data);
            out.put_slice(b"\r\n");
        }
    }

    /// Appends `;0`, the end of a streamed string.
    pub fn end_string(out: &mut BytesMut) {
        out.put_slice(b";0\r\n");
    }

    /// Appends the start of a streamed aggregate (`*?`, `%?`, `~?` or `>?`). Follow
    /// with the elements (a map's keys and values alternating) and [`end_aggregate`].
    /// Attributes cannot be streamed; for them this writes nothing.
    pub fn begin_aggregate(out: &mut BytesMut, kind: AggregateKind) {
        let type_byte = match kind {
            AggregateKind::Array => b'*',
            AggregateKind::Map => b'%',
            AggregateKind::Set => b'~',
            AggregateKind::Push => b'>',
            AggregateKind::Attribute => return,
        };
        out.put_u8(type_byte);
        out.put_slice(b"?\r\n");
    }

    /// Appends `.`, the end of a streamed aggregate.
    pub fn end_aggregate(out: &mut BytesMut) {
        out.put_slice(b".\r\n");
    }
}
