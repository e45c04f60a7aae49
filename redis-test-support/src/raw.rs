//! A deliberately tiny RESP client used for readiness checks and out-of-band
//! pokes from tests. It is test tooling, not the product: it encodes commands as
//! RESP arrays of bulk strings and reads exactly one reply per command.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Connect timeout for TCP connections.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Read and write timeout on every connection, so no helper can hang a test.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Nesting bound for aggregate replies.
const MAX_DEPTH: usize = 32;

/// One parsed reply. Crate-internal; the public API hands out text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Vec<u8>),
    Nil,
    Array(Vec<Reply>),
}

impl Reply {
    /// Text of a simple string or bulk string.
    pub(crate) fn as_text(&self) -> Option<String> {
        match self {
            Reply::Simple(text) => Some(text.clone()),
            Reply::Bulk(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
            _ => None,
        }
    }

    /// Integer value of an integer reply, or of a string holding digits.
    pub(crate) fn as_int(&self) -> Option<i64> {
        match self {
            Reply::Integer(n) => Some(*n),
            other => other.as_text()?.parse().ok(),
        }
    }

    /// Elements of an array reply.
    pub(crate) fn as_array(&self) -> Option<&[Reply]> {
        match self {
            Reply::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Looks `key` up in a flat `[k1, v1, k2, v2, ...]` array (or RESP3 map).
    pub(crate) fn field(&self, key: &str) -> Option<&Reply> {
        self.as_array()?
            .chunks(2)
            .find(|pair| pair.len() == 2 && pair[0].as_text().as_deref() == Some(key))
            .map(|pair| &pair[1])
    }

    /// The text form documented on [`command`].
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        match self {
            Reply::Simple(text) => {
                let _ = write!(out, "+{text}");
            }
            Reply::Error(text) => {
                let _ = write!(out, "-{text}");
            }
            Reply::Integer(n) => {
                let _ = write!(out, ":{n}");
            }
            Reply::Bulk(bytes) => out.push_str(&String::from_utf8_lossy(bytes)),
            Reply::Nil => out.push_str("(nil)"),
            Reply::Array(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    item.render_into(out);
                }
                out.push(']');
            }
        }
    }
}

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// A raw RESP connection (TCP or Unix socket) that sends one command at a time
/// and reads exactly one reply for it.
///
/// Useful when several commands must share a connection (`AUTH` then a
/// command, `CLIENT ID` then `CLIENT KILL` from another connection, ...).
/// Replies are returned in the text form described on [`command`].
pub struct RawConnection {
    reader: BufReader<Box<dyn Stream>>,
}

impl std::fmt::Debug for RawConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawConnection").finish_non_exhaustive()
    }
}

impl RawConnection {
    /// Connects over TCP (2 s connect timeout, 10 s read/write timeouts).
    ///
    /// # Errors
    ///
    /// Any connect error, e.g. `ConnectionRefused` when no server listens.
    pub fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Self::from_stream(Box::new(stream)))
    }

    /// Connects over a Unix socket (10 s read/write timeouts).
    ///
    /// # Errors
    ///
    /// Any connect error, e.g. `NotFound` when the socket file is missing.
    pub fn connect_unix(path: &Path) -> io::Result<Self> {
        let stream = UnixStream::connect(path)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(Self::from_stream(Box::new(stream)))
    }

    fn from_stream(stream: Box<dyn Stream>) -> Self {
        Self {
            reader: BufReader::new(stream),
        }
    }

    /// Sends `args` as one command and returns the reply in text form.
    ///
    /// # Panics
    ///
    /// Panics on I/O or protocol errors (the server is expected to be up).
    pub fn command(&mut self, args: &[&str]) -> String {
        self.try_command(args)
            .unwrap_or_else(|err| panic!("raw command {args:?} failed: {err}"))
    }

    /// Like [`RawConnection::command`] but returns I/O errors.
    ///
    /// # Errors
    ///
    /// I/O errors, timeouts, a closed connection or an unparsable reply.
    pub fn try_command(&mut self, args: &[&str]) -> io::Result<String> {
        self.request(args).map(|reply| reply.render())
    }

    /// Sends one command and parses one reply.
    pub(crate) fn request(&mut self, args: &[&str]) -> io::Result<Reply> {
        let stream = self.reader.get_mut();
        stream.write_all(&encode(args))?;
        stream.flush()?;
        read_reply(&mut self.reader, 0)
    }
}

/// Sends one command to `addr` on a fresh TCP connection and returns the reply
/// in a debug-ish text form:
///
/// * simple string: `+OK`, `+PONG`
/// * error: `-NOAUTH Authentication required.`
/// * integer: `:42`
/// * bulk string: its bytes as (lossy) UTF-8, unquoted, e.g. `value`
/// * nil: `(nil)`
/// * array: `[a, :1, (nil)]`, recursively
///
/// RESP3 types are folded into these (maps and sets become arrays, booleans
/// and doubles become integers or strings).
///
/// # Panics
///
/// Panics when the connection or the exchange fails; see [`try_command`].
pub fn command(addr: SocketAddr, args: &[&str]) -> String {
    try_command(addr, args).unwrap_or_else(|err| panic!("raw command {args:?} to {addr}: {err}"))
}

/// Like [`command`] but returns connection and I/O errors instead of panicking.
///
/// # Errors
///
/// Connect errors (e.g. `ConnectionRefused`), timeouts, or protocol errors.
pub fn try_command(addr: SocketAddr, args: &[&str]) -> io::Result<String> {
    RawConnection::connect(addr)?.try_command(args)
}

/// Like [`command`] but over the Unix socket at `path`.
///
/// # Panics
///
/// Panics when the connection or the exchange fails.
pub fn command_unix(path: &Path, args: &[&str]) -> String {
    RawConnection::connect_unix(path)
        .and_then(|mut conn| conn.try_command(args))
        .unwrap_or_else(|err| panic!("raw command {args:?} to {}: {err}", path.display()))
}

/// One command to `addr`, parsed. Crate-internal.
pub(crate) fn request(addr: SocketAddr, args: &[&str]) -> io::Result<Reply> {
    RawConnection::connect(addr)?.request(args)
}

/// Where the harness reaches a server out of band: its plain-text TCP port, or its
/// Unix socket when it has no plain-text port (a TLS-only server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl Endpoint {
    /// One command on a fresh connection, parsed.
    pub(crate) fn request(&self, args: &[&str]) -> io::Result<Reply> {
        self.connect()?.request(args)
    }

    /// One command on a fresh connection, in the text form of [`command`].
    pub(crate) fn try_command(&self, args: &[&str]) -> io::Result<String> {
        self.request(args).map(|reply| reply.render())
    }

    fn connect(&self) -> io::Result<RawConnection> {
        match self {
            Endpoint::Tcp(addr) => RawConnection::connect(*addr),
            Endpoint::Unix(path) => RawConnection::connect_unix(path),
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Tcp(addr) => write!(f, "{addr}"),
            Endpoint::Unix(path) => write!(f, "{}", path.display()),
        }
    }
}

fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn protocol_error(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = Vec::new();
    let read = reader.read_until(b'\n', &mut line)?;
    if read == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed before a reply",
        ));
    }
    if !line.ends_with(b"\r\n") {
        return Err(protocol_error(format!("unterminated line {line:?}")));
    }
    line.truncate(line.len() - 2);
    String::from_utf8(line).map_err(|err| protocol_error(err.to_string()))
}

fn parse_len(text: &str) -> io::Result<i64> {
    text.parse()
        .map_err(|_| protocol_error(format!("bad length {text:?}")))
}

fn read_blob(reader: &mut impl BufRead, len: i64) -> io::Result<Vec<u8>> {
    let len = usize::try_from(len).map_err(|_| protocol_error(format!("bad length {len}")))?;
    let mut data = vec![0; len + 2];
    reader.read_exact(&mut data)?;
    if !data.ends_with(b"\r\n") {
        return Err(protocol_error("blob not terminated by CRLF".into()));
    }
    data.truncate(len);
    Ok(data)
}

fn read_items(reader: &mut impl BufRead, count: i64, depth: usize) -> io::Result<Vec<Reply>> {
    let count = usize::try_from(count).map_err(|_| protocol_error(format!("bad count {count}")))?;
    (0..count).map(|_| read_reply(reader, depth + 1)).collect()
}

fn read_reply(reader: &mut impl BufRead, depth: usize) -> io::Result<Reply> {
    if depth > MAX_DEPTH {
        return Err(protocol_error("reply nested too deeply".into()));
    }
    let line = read_line(reader)?;
    let Some(kind) = line.chars().next() else {
        return Err(protocol_error("empty reply line".into()));
    };
    let rest = &line[kind.len_utf8()..];
    match kind {
        '+' => Ok(Reply::Simple(rest.to_owned())),
        '-' => Ok(Reply::Error(rest.to_owned())),
        ':' => Ok(Reply::Integer(parse_len(rest)?)),
        '$' | '=' | '!' => {
            let len = parse_len(rest)?;
            if len < 0 {
                return Ok(Reply::Nil);
            }
            let data = read_blob(reader, len)?;
            Ok(if kind == '!' {
                Reply::Error(String::from_utf8_lossy(&data).into_owned())
            } else {
                Reply::Bulk(data)
            })
        }
        '*' | '~' | '>' => {
            let count = parse_len(rest)?;
            if count < 0 {
                return Ok(Reply::Nil);
            }
            Ok(Reply::Array(read_items(reader, count, depth)?))
        }
        '%' | '|' => {
            let pairs = parse_len(rest)?;
            let items = read_items(reader, pairs.saturating_mul(2), depth)?;
            if kind == '|' {
                // Attributes precede the real reply; skip them.
                return read_reply(reader, depth + 1);
            }
            Ok(Reply::Array(items))
        }
        '_' => Ok(Reply::Nil),
        '#' => Ok(Reply::Integer(i64::from(rest == "t"))),
        ',' | '(' => Ok(Reply::Simple(rest.to_owned())),
        other => Err(protocol_error(format!("unknown reply type {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::{Reply, encode, read_reply};
    use std::io::Cursor;

    fn parse(bytes: &[u8]) -> Reply {
        read_reply(&mut Cursor::new(bytes), 0).expect("parse")
    }

    #[test]
    fn encodes_bulk_array() {
        assert_eq!(encode(&["GET", "k"]), b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    }

    #[test]
    fn renders_every_kind() {
        assert_eq!(parse(b"+PONG\r\n").render(), "+PONG");
        assert_eq!(parse(b"-ERR x\r\n").render(), "-ERR x");
        assert_eq!(parse(b":-3\r\n").render(), ":-3");
        assert_eq!(parse(b"$2\r\nab\r\n").render(), "ab");
        assert_eq!(parse(b"$-1\r\n").render(), "(nil)");
        assert_eq!(
            parse(b"*3\r\n$1\r\na\r\n:1\r\n*-1\r\n").render(),
            "[a, :1, (nil)]"
        );
        assert_eq!(parse(b"%1\r\n+k\r\n#t\r\n").render(), "[+k, :1]");
    }

    #[test]
    fn field_lookup_in_flat_array() {
        let reply = parse(b"*4\r\n$4\r\nname\r\n$1\r\nm\r\n$4\r\nport\r\n$4\r\n6380\r\n");
        assert_eq!(reply.field("port").and_then(Reply::as_int), Some(6380));
        assert!(reply.field("missing").is_none());
    }
}
