//! A minimal hand-written RESP client: the floor for "no client overhead".
//!
//! Commands are written into one reused buffer; replies are read into another and
//! only scanned, never turned into values. It knows just enough RESP2 for these
//! workloads (simple strings, errors, integers, bulk strings, arrays). Its command
//! encoding and reply buffer also serve the same client on async runtimes
//! (`minimal_async.rs`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{Subject, Target, fail};

/// What one reply was, as far as the workloads care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scanned {
    /// A bulk string of this length.
    Bulk(usize),
    /// A null, or anything that is neither a bulk string nor an error.
    Other,
    /// An array with this many non-null bulk strings among its elements.
    Array(usize),
    /// An error reply.
    Error,
}

/// A blocking socket to the server.
pub(super) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    /// Connects to `target` (over TCP with Nagle off).
    pub(super) fn connect(target: &Target) -> std::io::Result<Stream> {
        Ok(match target {
            Target::Tcp { host, port } => {
                let stream = TcpStream::connect((host.as_str(), *port))?;
                stream.set_nodelay(true)?;
                Stream::Tcp(stream)
            }
            Target::Unix { path } => Stream::Unix(UnixStream::connect(path)?),
            Target::Cluster { .. } => {
                return Err(std::io::Error::other(
                    "the minimal client has no cluster mode",
                ));
            }
        })
    }

    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Stream::Tcp(s) => s.write_all(buf),
            Stream::Unix(s) => s.write_all(buf),
        }
    }
}

pub(crate) struct Minimal {
    stream: Stream,
    out: Vec<u8>,
    replies: Replies,
}

/// The bytes read and not yet scanned, in one reused buffer.
pub(super) struct Replies {
    input: Vec<u8>,
    /// Unread replies are `input[start..end]`.
    start: usize,
    end: usize,
}

impl Replies {
    pub(super) fn new() -> Replies {
        Replies {
            input: vec![0; 64 * 1024],
            start: 0,
            end: 0,
        }
    }

    /// The next whole reply in the buffer, if one is there.
    pub(super) fn take(&mut self) -> Option<Scanned> {
        let (scanned, used) = scan(&self.input[self.start..self.end])?;
        self.start += used;
        Some(scanned)
    }

    /// Room to read into, after the unread bytes (moved to the front first), grown
    /// when full.
    pub(super) fn spare(&mut self) -> &mut [u8] {
        if self.start > 0 {
            self.input.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.input.len() {
            self.input.resize(self.input.len() * 2, 0);
        }
        &mut self.input[self.end..]
    }

    /// Records that `n` bytes were read into [`spare`](Self::spare).
    pub(super) fn filled(&mut self, n: usize) {
        assert!(n > 0, "the server closed the connection");
        self.end += n;
    }
}

impl Minimal {
    pub(crate) fn connect(target: &Target) -> Result<Minimal, String> {
        Ok(Minimal {
            stream: Stream::connect(target).map_err(fail("connect"))?,
            out: Vec::with_capacity(64 * 1024),
            replies: Replies::new(),
        })
    }

    /// Appends a command to the output buffer.
    fn push(&mut self, args: &[&[u8]]) {
        push_command(&mut self.out, args);
    }

    /// Writes the output buffer and empties it.
    fn flush(&mut self) {
        self.stream.write_all(&self.out).expect("write");
        self.out.clear();
    }

    /// Reads the next reply, from the socket when the buffer holds no whole one.
    fn next_reply(&mut self) -> Scanned {
        loop {
            if let Some(scanned) = self.replies.take() {
                return scanned;
            }
            let n = self.stream.read(self.replies.spare()).expect("read");
            self.replies.filled(n);
        }
    }

    /// Reads `count` replies; returns how many were bulk strings of `len` bytes.
    fn read_bulks(&mut self, count: usize, len: usize) -> usize {
        (0..count)
            .map(|_| usize::from(self.next_reply() == Scanned::Bulk(len)))
            .sum()
    }
}

impl Subject for Minimal {
    fn sequential(&mut self, key: &Bytes, ops: usize, latencies: &mut Vec<Duration>) -> usize {
        let mut found = 0;
        for _ in 0..ops {
            let start = Instant::now();
            self.push(&[b"GET", key]);
            self.flush();
            found += usize::from(matches!(self.next_reply(), Scanned::Bulk(_)));
            latencies.push(start.elapsed());
        }
        found
    }

    fn pipelined(&mut self, keys: &[Bytes], value: &Bytes, batch: usize) -> usize {
        for chunk in keys.chunks(batch) {
            for key in chunk {
                self.push(&[b"SET", key, value]);
            }
            self.flush();
            for _ in chunk {
                assert_eq!(self.next_reply(), Scanned::Other, "SET failed");
            }
        }
        let mut found = 0;
        for chunk in keys.chunks(batch) {
            for key in chunk {
                self.push(&[b"GET", key]);
            }
            self.flush();
            found += self.read_bulks(chunk.len(), value.len());
        }
        found
    }

    /// The floor for a multiplexed connection: all the tasks' commands pipelined,
    /// `tasks` at a time, which is the best any multiplexer can do.
    fn multiplexed(&mut self, keys: Arc<[Bytes]>, tasks: usize, per_task: usize) -> Option<usize> {
        let mut found = 0;
        let mut next = 0;
        for _ in 0..per_task {
            for _ in 0..tasks {
                self.push(&[b"GET", &keys[next % keys.len()]]);
                next += 1;
            }
            self.flush();
            for _ in 0..tasks {
                found += usize::from(matches!(self.next_reply(), Scanned::Bulk(_)));
            }
        }
        Some(found)
    }

    fn mget(&mut self, keys: &[Bytes], calls: usize) -> usize {
        let mut found = 0;
        for _ in 0..calls {
            self.out.push(b'*');
            push_number(&mut self.out, keys.len() + 1);
            self.out.extend_from_slice(b"$4\r\nMGET\r\n");
            for key in keys {
                self.out.push(b'$');
                push_number(&mut self.out, key.len());
                self.out.extend_from_slice(key);
                self.out.extend_from_slice(b"\r\n");
            }
            self.flush();
            match self.next_reply() {
                Scanned::Array(values) => found += values,
                other => panic!("MGET replied {other:?}"),
            }
        }
        found
    }
}

/// Appends the command `args` to `out`.
pub(super) fn push_command(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.push(b'*');
    push_number(out, args.len());
    for arg in args {
        out.push(b'$');
        push_number(out, arg.len());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends `n` and CRLF.
fn push_number(out: &mut Vec<u8>, n: usize) {
    let mut digits = itoa::Buffer::new();
    out.extend_from_slice(digits.format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Scans one whole reply at the start of `input`: what it was and its length, or
/// `None` when `input` ends before the reply does.
fn scan(input: &[u8]) -> Option<(Scanned, usize)> {
    let line_end = memchr::memchr(b'\n', input)?;
    let line = &input[1..line_end - 1];
    let after_line = line_end + 1;
    match input[0] {
        b'+' | b':' => Some((Scanned::Other, after_line)),
        b'-' => Some((Scanned::Error, after_line)),
        b'$' if line == b"-1" => Some((Scanned::Other, after_line)),
        b'$' => {
            let len = parse_len(line);
            let end = after_line + len + 2;
            (input.len() >= end).then_some((Scanned::Bulk(len), end))
        }
        b'*' if line == b"-1" => Some((Scanned::Other, after_line)),
        b'*' => {
            let mut used = after_line;
            let mut bulks = 0;
            for _ in 0..parse_len(line) {
                let (element, len) = scan(&input[used..])?;
                bulks += usize::from(matches!(element, Scanned::Bulk(_)));
                used += len;
            }
            Some((Scanned::Array(bulks), used))
        }
        other => panic!("unexpected reply type byte {other:#x}"),
    }
}

fn parse_len(digits: &[u8]) -> usize {
    digits
        .iter()
        .fold(0, |n, &digit| n * 10 + usize::from(digit - b'0'))
}
