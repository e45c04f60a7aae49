//! Outcomes kept by request id: the connection holds each request's outcome until
//! the body takes it, so that a body keeps no book of its own.

use super::Connection;
use super::pending::RequestId;
use crate::RequestError;
use crate::resp::Frame;

impl Connection {
    /// From now on, each request's outcome waits in the connection until it is taken
    /// by id ([`take_outcome`](Self::take_outcome), or
    /// [`take_replies`](Self::take_replies) for a pipeline's) or dropped
    /// ([`abandon`](Self::abandon)); it is no [`Event::Reply`](super::Event::Reply)
    /// any more, and [`poll_event`](Self::poll_event) gives only the other events
    /// (messages, pushes, `MONITOR` lines, `Connected`, `Closed`).
    ///
    /// For bodies where a caller waits for its own request (a blocking connection, an
    /// exclusive async one): they send, read until
    /// [`is_ready`](Self::is_ready), and take. A body that hands each outcome to a
    /// waiter as it comes (a multiplexed client) keeps the default and drains
    /// [`poll_reply`](Self::poll_reply) instead. Call it before the first send.
    ///
    /// ```
    /// use std::time::Instant;
    /// use redis_sansio::config::ConnectionConfig;
    /// use redis_sansio::conn::{Connection, Event};
    /// use redis_sansio::resp::Frame;
    /// use redis_sansio::Cmd;
    ///
    /// let now = Instant::now();
    /// // RESP2 without a name to announce: no handshake to answer first.
    /// let config = ConnectionConfig::default()
    ///     .with_protocol(redis_sansio::config::ProtocolVersion::Resp2)
    ///     .with_lib_name(None)
    ///     .with_lib_ver(None);
    /// let mut conn = Connection::new(config, now);
    /// conn.keep_outcomes_by_id();
    /// let first = conn.send(&Cmd::new("ECHO").arg("a"), now).unwrap();
    /// let second = conn.send(&Cmd::new("ECHO").arg("b"), now).unwrap();
    /// let written = conn.transmit().len();
    /// conn.advance_transmit(written);
    /// conn.handle_input(b"$1\r\na\r\n$1\r\nb\r\n", now);
    /// // Taken in any order; the events are the rest.
    /// assert!(conn.is_ready(second));
    /// assert_eq!(conn.take_outcome(second), Some(Ok(Frame::bulk("b"))));
    /// assert_eq!(conn.take_outcome(first), Some(Ok(Frame::bulk("a"))));
    /// assert_eq!(conn.take_outcome(first), None);
    /// assert!(matches!(conn.poll_event(), Some(Event::Connected { .. })));
    /// assert!(conn.poll_event().is_none());
    /// ```
    pub fn keep_outcomes_by_id(&mut self) {
        self.events.keep_by_id();
    }

    /// Takes the outcome of request `id` if it has arrived (see
    /// [`keep_outcomes_by_id`](Self::keep_outcomes_by_id)); `None` if it has not, or
    /// was taken already.
    #[must_use]
    pub fn take_outcome(&mut self, id: RequestId) -> Option<Result<Frame, RequestError>> {
        self.events.take(id)
    }

    /// Takes the outcomes of the `len` requests from `first` on (a pipeline's, from
    /// [`send_all`](Self::send_all)) as far as they have arrived without a gap,
    /// appending them to `out`, so that `out[i]` is the outcome of `first.offset(i)`;
    /// true once all `len` are in. Call it with the same `out` after each read: those
    /// that came in order are handed over in one go (the whole vector, without
    /// copying, when they are all there is), any that came out of order (a timeout
    /// overtaking a reply) one by one.
    pub fn take_outcomes(
        &mut self,
        first: RequestId,
        len: usize,
        out: &mut Vec<Result<Frame, RequestError>>,
    ) -> bool {
        while out.len() < len {
            if self.events.take_replies(first, out, len - out.len()) > 0 {
                continue;
            }
            match self.events.take(first.offset(out.len())) {
                Some(outcome) => out.push(outcome),
                None => break,
            }
        }
        out.len() >= len
    }

    /// True once the outcome of request `id` has arrived and is waiting to be taken.
    pub fn is_ready(&self, id: RequestId) -> bool {
        self.events.is_ready(id)
    }

    /// Nobody will take the outcome of request `id` (its caller left): it is dropped
    /// now if it has arrived, or when it arrives. Every request gets exactly one
    /// outcome, so nothing of it is kept for long.
    pub fn abandon(&mut self, id: RequestId) {
        self.events.abandon(id);
    }
}
