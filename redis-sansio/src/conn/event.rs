//! What a connection reports.

use bytes::Bytes;

use super::pending::RequestId;
use super::pubsub::Message;
use crate::config::ProtocolVersion;
use crate::resp::Frame;
use crate::{CloseReason, RequestError};

/// Something that happened on a [`Connection`](super::Connection), taken with
/// [`Connection::poll_event`](super::Connection::poll_event).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake is done; held requests are on their way.
    Connected {
        /// The protocol the connection speaks: RESP3 unless configured otherwise or
        /// the server does not support it.
        protocol: ProtocolVersion,
        /// The server's `HELLO` reply (a map of server, version, proto, id, mode,
        /// role, modules), when the handshake used `HELLO`.
        hello: Option<Frame>,
    },
    /// A request's outcome. Every request gets exactly one.
    Reply {
        /// The request, as returned by `send`.
        id: RequestId,
        /// Its reply, or why it has none.
        result: Result<Frame, RequestError>,
    },
    /// A message published to a subscribed channel, pattern or shard channel.
    Message(Message),
    /// Out-of-band data that is not a pub/sub message: a RESP3 push such as
    /// `invalidate` (client-side caching), or a subscription change the server made on
    /// its own (a shard channel unsubscribed after a slot moved).
    Push(Frame),
    /// One line of `MONITOR` output.
    Monitor(Bytes),
    /// The connection is closed; every pending request has already failed. Emitted
    /// exactly once, last.
    Closed(CloseReason),
}
