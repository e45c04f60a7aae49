//! Reading numbers from arguments, and Redis's error replies for them.

use redis_server_kit::Reply;

/// `WRONGTYPE`, for a command on a key holding another kind of value.
pub(crate) fn wrong_type() -> Reply {
    Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value")
}

/// Redis's error for an argument that should be an integer.
pub(crate) fn not_integer() -> Reply {
    Reply::error("ERR value is not an integer or out of range")
}

/// A signed decimal integer as Redis reads one.
pub(crate) fn int(arg: &[u8]) -> Result<i64, Reply> {
    std::str::from_utf8(arg)
        .ok()
        .filter(|text| !(text.starts_with('+') || (text.len() > 1 && text.starts_with('0'))))
        .and_then(|text| text.parse().ok())
        .ok_or_else(not_integer)
}
