//! One decoded client request: its exact bytes and its arguments.

use std::fmt;

use bytes::{Bytes, BytesMut};

use crate::resp::encode::{write_array_header, write_bulk};
use crate::resp::number::string2ll;

/// A client request as [`RequestDecoder`](super::RequestDecoder) read it.
///
/// It holds the request's exact wire bytes ([`raw`](Self::raw)), so a proxy forwards
/// it without encoding it again, and its arguments (command name first), read from
/// those bytes on demand: a request takes no memory per argument beyond its wire
/// bytes. Inline commands keep their arguments split (and unescaped) beside the line.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    raw: Bytes,
    args: Args,
}

#[derive(Clone, PartialEq, Eq)]
enum Args {
    /// `count` bulk strings, the first header at `first` in `raw`.
    Multibulk { count: usize, first: usize },
    /// An inline command's arguments: slices of `raw`, or unescaped copies.
    Inline(Vec<Bytes>),
}

impl Request {
    /// A multibulk request whose bytes the decoder has checked.
    pub(super) fn multibulk(raw: Bytes, count: usize, first: usize) -> Request {
        Request {
            raw,
            args: Args::Multibulk { count, first },
        }
    }

    /// An inline command: its line (with the line end) and its arguments.
    pub(super) fn inline(raw: Bytes, args: Vec<Bytes>) -> Request {
        Request {
            raw,
            args: Args::Inline(args),
        }
    }

    /// The request exactly as received: the array with every header and line end, or
    /// the inline line with its line end. Write it to a Redis server and the server
    /// reads the same command.
    pub fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// True for an inline command (a line of words rather than an array).
    pub fn is_inline(&self) -> bool {
        matches!(self.args, Args::Inline(_))
    }

    /// How many arguments, the command name included.
    pub fn len(&self) -> usize {
        match &self.args {
            Args::Multibulk { count, .. } => *count,
            Args::Inline(args) => args.len(),
        }
    }

    /// True when there are no arguments (never for a request the decoder returns).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The arguments, command name first, as byte slices.
    pub fn args(&self) -> RequestArgs<'_> {
        match &self.args {
            Args::Multibulk { count, first } => RequestArgs(Iter::Multibulk {
                raw: &self.raw,
                pos: *first,
                left: *count,
            }),
            Args::Inline(args) => RequestArgs(Iter::Inline(args.iter())),
        }
    }

    /// The command name (the first argument), as sent.
    pub fn name(&self) -> Option<&[u8]> {
        self.args().next()
    }

    /// The argument at `index` as [`Bytes`], without copying.
    pub fn arg(&self, index: usize) -> Option<Bytes> {
        match &self.args {
            Args::Multibulk { .. } => {
                let arg = self.args().nth(index)?;
                Some(self.raw.slice_ref(arg))
            }
            Args::Inline(args) => args.get(index).cloned(),
        }
    }

    /// The arguments as [`Bytes`], each sharing the request's memory.
    pub fn into_args(self) -> Vec<Bytes> {
        match self.args {
            Args::Multibulk { .. } => {
                let mut args = Vec::with_capacity(self.len());
                args.extend(self.args().map(|arg| self.raw.slice_ref(arg)));
                args
            }
            Args::Inline(args) => args,
        }
    }

    /// Appends the request as an array of bulk strings, the form every server reads:
    /// for a multibulk request written in the canonical form its bytes, for an inline
    /// command its arguments.
    pub fn write_resp(&self, out: &mut BytesMut) {
        write_array_header(out, self.len());
        for arg in self.args() {
            write_bulk(out, arg);
        }
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        list.entries(self.args().map(String::from_utf8_lossy));
        list.finish()?;
        if self.is_inline() {
            f.write_str(" (inline)")?;
        }
        Ok(())
    }
}

/// The arguments of a [`Request`], as byte slices.
#[derive(Debug, Clone)]
pub struct RequestArgs<'a>(Iter<'a>);

#[derive(Debug, Clone)]
enum Iter<'a> {
    Multibulk {
        raw: &'a [u8],
        pos: usize,
        left: usize,
    },
    Inline(std::slice::Iter<'a, Bytes>),
}

impl<'a> Iterator for RequestArgs<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        match &mut self.0 {
            Iter::Multibulk { raw, pos, left } => {
                if *left == 0 {
                    return None;
                }
                // The decoder checked these bytes: `$`, a length, CR and one byte,
                // the payload and two more bytes.
                let rest = raw.get(*pos..)?;
                let cr = memchr::memchr(b'\r', rest)?;
                let len = usize::try_from(string2ll(rest.get(1..cr)?)?).ok()?;
                let start = cr + 2;
                let arg = rest.get(start..start + len)?;
                *pos += start + len + 2;
                *left -= 1;
                Some(arg)
            }
            Iter::Inline(args) => args.next().map(|arg| &arg[..]),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = match &self.0 {
            Iter::Multibulk { left, .. } => *left,
            Iter::Inline(args) => args.len(),
        };
        (left, Some(left))
    }
}

impl ExactSizeIterator for RequestArgs<'_> {}
