//! The reply to a request stream that is not RESP.
//!
//! One function, so that the codec's Redis-identical protocol error replies can
//! replace this text when they land, without touching the session.

use redis_sansio::ProtocolError;
use redis_sansio::resp::Frame;

/// The error reply sent before closing a connection whose requests cannot be decoded.
pub(crate) fn protocol_error_reply(error: &ProtocolError) -> Frame {
    Frame::error(format!("ERR Protocol error: {error}"))
}
