//! What goes back to a client from an upstream: the one place that turns the
//! upstream's replies into frames for the session.
//!
//! When the codec's raw mode lands (each reply's exact bytes), these two functions
//! are where the proxy switches from re-encoding values to forwarding bytes.

use redis_io_async::Error;
use redis_sansio::RequestError;
use redis_sansio::resp::{DecodeLimits, Decoder, Frame};

/// A shared upstream's outcome as the reply to the client: the value, or the server's
/// error reply. `Err` holds the error frame to close the client with: the upstream
/// connection is gone, and the client is told rather than left waiting.
pub(crate) fn shared_reply(result: Result<Frame, Error>) -> Result<Frame, Frame> {
    match result {
        Ok(frame) => Ok(frame),
        Err(Error::Request(RequestError::Server(error))) => {
            Ok(Frame::SimpleError(error.message().clone()))
        }
        Err(Error::Send(error)) => Ok(Frame::error(format!("ERR proxy: {error}"))),
        Err(error) => Err(upstream_lost(&error.to_string())),
    }
}

/// The decoder for a dedicated upstream's byte stream: frames are decoded to find
/// their ends and re-encoded in the client's protocol. Nesting as deep as Redis's
/// own replies can go (a Lua table converts to thousands of levels).
pub(crate) fn dedicated_decoder() -> Decoder {
    Decoder::new().with_limits(DecodeLimits {
        max_depth: 10_000,
        ..DecodeLimits::default()
    })
}

/// The error a client gets when its upstream connection is lost.
pub(crate) fn upstream_lost(why: &str) -> Frame {
    Frame::error(format!("ERR proxy: upstream connection lost: {why}"))
}
