//! What a handler answers: a frame now, a frame later, or a last frame.

use redis_sansio::resp::Frame;

/// Names a reply the handler promised with [`Cx::defer`](crate::Cx::defer) and gives
/// later with [`Outbox::complete`](crate::Outbox::complete).
///
/// Replies still go out in request order: a later request answered at once waits
/// behind a deferred one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ticket(pub(crate) u64);

/// A handler's answer to one request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reply {
    /// This frame, encoded in the client's protocol (RESP3 types lowered for RESP2
    /// clients as Redis lowers them).
    Frame(Frame),
    /// Comes later through [`Outbox::complete`](crate::Outbox::complete) with this
    /// ticket, from any thread or task.
    Deferred(Ticket),
    /// This frame, then the connection closes once it is written (`QUIT`). Requests
    /// the client sent after this one are not read.
    Close(Frame),
    /// Several frames in place of one, written back to back: `SUBSCRIBE a b`
    /// confirms each channel with a frame of its own.
    Many(Vec<Frame>),
    /// No reply at all.
    None,
}

impl From<Frame> for Reply {
    fn from(frame: Frame) -> Self {
        Reply::Frame(frame)
    }
}

impl Reply {
    /// `+OK`.
    pub fn ok() -> Reply {
        Reply::Frame(Frame::simple("OK"))
    }

    /// An error reply; `text` starts with its code (`"ERR ..."`, `"WRONGTYPE ..."`).
    pub fn error(text: impl Into<bytes::Bytes>) -> Reply {
        Reply::Frame(Frame::error(text))
    }

    /// Redis's arity error for `command` (lower case, as Redis writes it).
    pub fn wrong_arity(command: &str) -> Reply {
        Reply::error(format!(
            "ERR wrong number of arguments for '{command}' command"
        ))
    }
}
