//! What goes back to a client from an upstream: the one place that turns the
//! upstream's replies into frames for the session.
//!
//! When the codec's raw mode lands (each reply's exact bytes), these two functions
//! are where the proxy switches from re-encoding values to forwarding bytes.

use redis_io_async::Error;
use redis_sansio::resp::{DecodeLimits, Decoder, Frame};
use redis_sansio::{CloseReason, RequestError, ServerError};

/// A shared upstream's outcome as the reply to the client: the value, or the server's
/// error reply. `None` when the upstream connection is gone: the client is then
/// closed, as by a server that went away.
pub(crate) fn shared_reply(result: Result<Frame, Error>) -> Option<Frame> {
    match result {
        Ok(frame) => Some(frame),
        Err(Error::Request(RequestError::Server(error))) => {
            Some(Frame::SimpleError(error.message().clone()))
        }
        Err(Error::Send(error)) => Some(Frame::error(format!("ERR proxy: {error}"))),
        Err(_) => None,
    }
}

/// The server's refusal when a shared upstream could not connect because the server
/// wants credentials the proxy does not have (`NOAUTH`, `WRONGPASS`); `None` for
/// any other failure.
pub(crate) fn auth_refusal(error: &Error) -> Option<&ServerError> {
    match error {
        Error::Closed(CloseReason::Auth(refusal)) => Some(refusal),
        _ => None,
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
