//! Reading the replies discovery asks for: `SENTINEL GET-MASTER-ADDR-BY-NAME`,
//! `SENTINEL REPLICAS`, `SENTINEL SENTINELS` and `ROLE`, in RESP2 and RESP3 shapes.
//! Every shape error is a [`MalformedReply`], never a panic.

use crate::config::ServerAddr;
use crate::resp::Frame;

use super::error::MalformedReply;

pub(crate) const GET_MASTER: &str = "SENTINEL GET-MASTER-ADDR-BY-NAME";
pub(crate) const REPLICAS: &str = "SENTINEL REPLICAS";
pub(crate) const SENTINELS: &str = "SENTINEL SENTINELS";
pub(crate) const ROLE: &str = "ROLE";

/// The flags that mark a replica (or sentinel) as not usable.
const DOWN_FLAGS: [&str; 3] = ["s_down", "o_down", "disconnected"];

/// One entry of `SENTINEL REPLICAS` or `SENTINEL SENTINELS`: where it listens and
/// whether it is flagged down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Peer {
    pub(crate) addr: ServerAddr,
    pub(crate) down: bool,
}

/// `SENTINEL GET-MASTER-ADDR-BY-NAME`: `None` for the null reply (unknown name),
/// else the `[ip, port]` pair.
pub(crate) fn master_addr(reply: &Frame) -> Result<Option<ServerAddr>, MalformedReply> {
    let reply = reply.without_attributes();
    if reply.is_null() {
        return Ok(None);
    }
    let malformed = || malformed(GET_MASTER, "an [ip, port] array or null", reply);
    let Frame::Array(items) = reply else {
        return Err(malformed());
    };
    let [ip, port] = items.as_slice() else {
        return Err(malformed());
    };
    let host = text(ip).filter(|host| !host.is_empty());
    match (host, port_of(port)) {
        (Some(host), Some(port)) => Ok(Some(ServerAddr::tcp(host, port))),
        _ => Err(malformed()),
    }
}

/// `SENTINEL REPLICAS` or `SENTINEL SENTINELS`: an array of entries, each a RESP3
/// map or a RESP2 flat array of field names and values.
pub(crate) fn peers(command: &'static str, reply: &Frame) -> Result<Vec<Peer>, MalformedReply> {
    let reply = reply.without_attributes();
    let (Frame::Array(entries) | Frame::Set(entries)) = reply else {
        return Err(malformed(command, "an array of entries", reply));
    };
    entries.iter().map(|entry| peer(command, entry)).collect()
}

fn peer(command: &'static str, entry: &Frame) -> Result<Peer, MalformedReply> {
    let malformed = || malformed(command, "entries with ip and port fields", entry);
    let fields = fields(entry).ok_or_else(malformed)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, value)| *value)
    };
    let host = field("ip").and_then(text).filter(|host| !host.is_empty());
    let port = field("port").and_then(port_of);
    let (Some(host), Some(port)) = (host, port) else {
        return Err(malformed());
    };
    let down = field("flags")
        .and_then(text)
        .is_some_and(|flags| flags.split(',').any(|flag| DOWN_FLAGS.contains(&flag)));
    Ok(Peer {
        addr: ServerAddr::tcp(host, port),
        down,
    })
}

/// The field-value pairs of a map, or of a flat array of even length.
fn fields(entry: &Frame) -> Option<Vec<(&[u8], &Frame)>> {
    match entry.without_attributes() {
        Frame::Map(pairs) => pairs
            .iter()
            .map(|(key, value)| Some((key.as_bytes()?.as_ref(), value)))
            .collect(),
        Frame::Array(items) if items.len() % 2 == 0 => items
            .chunks_exact(2)
            .map(|pair| Some((pair[0].as_bytes()?.as_ref(), &pair[1])))
            .collect(),
        _ => None,
    }
}

/// `ROLE`: its first element, `master`, `slave` or `sentinel`, as text.
pub(crate) fn role(reply: &Frame) -> Result<String, MalformedReply> {
    let reply = reply.without_attributes();
    let word = match reply {
        Frame::Array(items) => items.first().and_then(text),
        _ => None,
    };
    word.map(str::to_owned)
        .ok_or_else(|| malformed(ROLE, "an array starting with the role", reply))
}

/// A string-like frame as UTF-8 text.
fn text(frame: &Frame) -> Option<&str> {
    match frame.without_attributes() {
        Frame::SimpleString(bytes)
        | Frame::BulkString(bytes)
        | Frame::Verbatim { text: bytes, .. } => std::str::from_utf8(bytes).ok(),
        _ => None,
    }
}

/// A port: an integer, or decimal digits in a string, from 1 to 65535.
fn port_of(frame: &Frame) -> Option<u16> {
    let port = match frame.without_attributes() {
        Frame::Integer(n) => u16::try_from(*n).ok(),
        other => text(other)?.parse().ok(),
    };
    port.filter(|&port| port != 0)
}

fn malformed(command: &'static str, expected: &'static str, found: &Frame) -> MalformedReply {
    MalformedReply {
        command,
        expected,
        found: describe(found),
    }
}

/// A short description of a frame for error messages: its kind, and its text when it
/// is short.
fn describe(frame: &Frame) -> String {
    const SHORT: usize = 40;
    match frame.without_attributes() {
        Frame::Array(items) => format!("an array of {}", items.len()),
        Frame::Map(pairs) => format!("a map of {}", pairs.len()),
        Frame::Set(items) => format!("a set of {}", items.len()),
        Frame::Push(items) => format!("a push of {}", items.len()),
        Frame::Integer(n) => format!("the integer {n}"),
        Frame::Double(n) => format!("the double {n}"),
        Frame::Boolean(b) => format!("the boolean {b}"),
        frame if frame.is_null() => "null".to_owned(),
        frame => match frame.as_bytes() {
            Some(bytes) if bytes.len() <= SHORT => {
                format!("the string {:?}", String::from_utf8_lossy(bytes))
            }
            Some(bytes) => format!("a string of {} bytes", bytes.len()),
            None => "an unexpected value".to_owned(),
        },
    }
}
