//! The reply to a request stream that is not RESP: Redis's own, byte for byte.

use redis_sansio::ProtocolError;
use redis_sansio::resp::Frame;

/// The error reply sent before closing a connection whose requests cannot be decoded:
/// the one redis-server sends for the same bytes
/// ([`ProtocolError::redis_reply`], e.g. `-ERR Protocol error: expected '$', got 'f'`).
/// Where Redis closes without a reply (past the query buffer limit), a reply in the
/// same form still says why.
pub(crate) fn protocol_error_reply(error: &ProtocolError) -> Frame {
    match error.redis_reply() {
        // `-` text `\r\n`: the text is the error frame.
        Some(line) if line.len() >= 3 => {
            Frame::error(String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned())
        }
        _ => Frame::error(format!("ERR Protocol error: {error}")),
    }
}
