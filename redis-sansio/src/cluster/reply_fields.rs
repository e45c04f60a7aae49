//! Reading the values inside topology replies: lists, maps (or RESP2 flat arrays),
//! integers, text, slot ranges and ports, each a typed error when it is not there.

use crate::resp::Frame;

use super::error::TopologyError;
use super::slot::SLOT_COUNT;
use super::topology::SlotRange;

/// `""` and `"?"` stand for "the host you are connected to" and "unknown".
pub(super) fn known_host(host: &str) -> bool {
    !host.is_empty() && host != "?"
}

pub(super) fn port_number(port: i64) -> Result<u16, TopologyError> {
    u16::try_from(port)
        .ok()
        .filter(|&p| p != 0)
        .ok_or(TopologyError::InvalidPort(port))
}

pub(super) fn slot_range(start: i64, end: i64) -> Result<SlotRange, TopologyError> {
    let valid = 0 <= start && start <= end && end < i64::from(SLOT_COUNT);
    if !valid {
        return Err(TopologyError::InvalidSlotRange { start, end });
    }
    // Both fit: checked against SLOT_COUNT above.
    Ok(SlotRange {
        start: start as u16,
        end: end as u16,
    })
}

/// `CLUSTER SHARDS`' slots: a flat list of start, end pairs.
pub(super) fn slot_pairs(value: &Frame) -> Result<Vec<SlotRange>, TopologyError> {
    let items = list(value, "a shard's slots")?;
    if items.len() % 2 != 0 {
        return Err(TopologyError::InvalidField { field: "slots" });
    }
    items
        .chunks_exact(2)
        .map(|pair| slot_range(integer(&pair[0], "slot")?, integer(&pair[1], "slot")?))
        .collect()
}

/// An array or set's elements; an error reply becomes [`TopologyError::ErrorReply`].
pub(super) fn list<'f>(frame: &'f Frame, what: &'static str) -> Result<&'f [Frame], TopologyError> {
    match frame.without_attributes() {
        Frame::Array(items) | Frame::Set(items) => Ok(items),
        other => Err(unexpected(other, what, "an array")),
    }
}

/// A map's entries, or a RESP2 flat array's alternating keys and values; keys are
/// compared in lower case.
pub(super) fn fields<'f>(
    frame: &'f Frame,
    what: &'static str,
) -> Result<Vec<(Vec<u8>, &'f Frame)>, TopologyError> {
    let key = |k: &Frame| -> Result<Vec<u8>, TopologyError> {
        k.as_bytes()
            .map(|b| b.to_ascii_lowercase())
            .ok_or_else(|| unexpected(k, "a field name", "a string"))
    };
    match frame.without_attributes() {
        Frame::Map(pairs) => pairs.iter().map(|(k, v)| Ok((key(k)?, v))).collect(),
        Frame::Array(items) if items.len() % 2 == 0 => items
            .chunks_exact(2)
            .map(|pair| Ok((key(&pair[0])?, &pair[1])))
            .collect(),
        other => Err(unexpected(other, what, "a map")),
    }
}

pub(super) fn integer(frame: &Frame, field: &'static str) -> Result<i64, TopologyError> {
    match frame.without_attributes() {
        Frame::Integer(n) => Ok(*n),
        Frame::BulkString(b) | Frame::SimpleString(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(TopologyError::InvalidField { field }),
        other => Err(unexpected(other, field, "an integer")),
    }
}

pub(super) fn text(frame: &Frame, field: &'static str) -> Result<String, TopologyError> {
    match frame.without_attributes() {
        Frame::BulkString(b) | Frame::SimpleString(b) | Frame::Verbatim { text: b, .. } => {
            String::from_utf8(b.to_vec()).map_err(|_| TopologyError::InvalidField { field })
        }
        other => Err(unexpected(other, field, "a string")),
    }
}

pub(super) fn unexpected(
    found: &Frame,
    what: &'static str,
    expected: &'static str,
) -> TopologyError {
    match found {
        Frame::SimpleError(message) | Frame::BulkError(message) => {
            TopologyError::ErrorReply(String::from_utf8_lossy(message).into_owned())
        }
        other => TopologyError::Unexpected {
            what,
            expected,
            found: frame_kind(other),
        },
    }
}

pub(super) fn frame_kind(frame: &Frame) -> &'static str {
    match frame {
        Frame::SimpleString(_) => "a simple string",
        Frame::SimpleError(_) | Frame::BulkError(_) => "an error",
        Frame::Integer(_) => "an integer",
        Frame::BulkString(_) => "a bulk string",
        Frame::Verbatim { .. } => "a verbatim string",
        Frame::Null | Frame::NullBulk | Frame::NullArray => "null",
        Frame::Double(_) => "a double",
        Frame::Boolean(_) => "a boolean",
        Frame::BigNumber(_) => "a big number",
        Frame::Array(_) => "an array",
        Frame::Map(_) => "a map",
        Frame::Set(_) => "a set",
        Frame::Push(_) => "a push",
        _ => "another kind of value",
    }
}
