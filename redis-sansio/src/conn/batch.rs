//! Pipelines: sending many commands at once ([`Connection::send_all`]) and taking
//! their replies many at once ([`Connection::take_replies`]) or without building
//! events ([`Connection::poll_reply`]).

use std::time::Instant;

use super::command::{self, CommandClass};
use super::pending::{Expect, RequestId};
use super::{Connection, State};
use crate::resp::Frame;
use crate::{Cmd, RequestError, SendError};

/// How many bytes [`Connection::send_some`] encodes before it returns, for a write.
const WRITE_CHUNK: usize = 16 * 1024;

impl Connection {
    /// Queues `cmds`, in order, exactly as one [`send`](Self::send) per command
    /// would, and returns the first one's id: the others get the ids after it, one
    /// each (`first.get() + i` for `cmds[i]`). Each outcome comes as its own
    /// [`Event::Reply`](super::Event::Reply).
    ///
    /// Use it for pipelines: it makes room for all the bytes once and checks each
    /// ordinary command (one reply, not blocking, no change of mode) with a glance
    /// at its name, where `send` classifies every command in full.
    ///
    /// When a command is refused, the commands before it stay queued (their ids run
    /// from [`next_id`](Self::next_id) as it was before the call up to its value
    /// after) and the refusal is returned; the ones from it on are not sent. An empty
    /// `cmds` is refused with [`SendError::Empty`].
    ///
    /// ```
    /// use std::time::Instant;
    /// use redis_sansio::config::ConnectionConfig;
    /// use redis_sansio::conn::Connection;
    /// use redis_sansio::Cmd;
    ///
    /// let now = Instant::now();
    /// let mut conn = Connection::new(ConnectionConfig::default(), now);
    /// let cmds = [Cmd::new("SET").arg("k").arg("v"), Cmd::new("GET").arg("k")];
    /// let first = conn.send_all(&cmds, now).unwrap();
    /// assert_eq!(conn.next_id().get(), first.get() + 2);
    /// ```
    pub fn send_all(&mut self, cmds: &[Cmd], now: Instant) -> Result<RequestId, SendError> {
        let bytes = cmds.iter().map(Cmd::encoded_len).sum();
        self.send_sized(cmds, bytes, now)
    }

    /// Queues the first of `cmds`, as [`send_all`](Self::send_all) would, up to about
    /// one worthwhile write's worth of bytes (16 KiB; always at least one command),
    /// and returns how many it queued: their ids run from [`next_id`](Self::next_id)
    /// as it was before the call.
    ///
    /// Call it in a loop for a long pipeline, writing [`transmit`](Self::transmit)
    /// out between calls: the server starts on the first commands while the rest
    /// are encoded, and the unsent bytes stay bounded. Refusals are as in `send_all`.
    ///
    /// ```
    /// use std::time::Instant;
    /// use redis_sansio::config::ConnectionConfig;
    /// use redis_sansio::conn::Connection;
    /// use redis_sansio::Cmd;
    ///
    /// let now = Instant::now();
    /// let mut conn = Connection::new(ConnectionConfig::default(), now);
    /// let cmds = vec![Cmd::new("SET").arg("key").arg([b'v'; 100]); 1_000];
    /// let mut queued = 0;
    /// while queued < cmds.len() {
    ///     queued += conn.send_some(&cmds[queued..], now).unwrap();
    ///     // The adapter writes `conn.transmit()` here.
    ///     let n = conn.transmit().len();
    ///     conn.advance_transmit(n);
    /// }
    /// ```
    pub fn send_some(&mut self, cmds: &[Cmd], now: Instant) -> Result<usize, SendError> {
        let (mut count, mut bytes) = (0, 0);
        for cmd in cmds {
            if count > 0 && bytes >= WRITE_CHUNK {
                break;
            }
            bytes += cmd.encoded_len();
            count += 1;
        }
        self.send_sized(&cmds[..count], bytes, now)?;
        Ok(count)
    }

    /// [`send_all`](Self::send_all), given the bytes `cmds` encode to.
    fn send_sized(
        &mut self,
        cmds: &[Cmd],
        bytes: usize,
        now: Instant,
    ) -> Result<RequestId, SendError> {
        let first = self.pending.next_id();
        if cmds.is_empty() {
            return Err(SendError::Empty);
        }
        self.out_buf().reserve(bytes);
        let deadline = self.response_deadline(now);
        let mut plain_accepted = self.accepts_plain();
        for cmd in cmds {
            if plain_accepted && !cmd.is_empty() && command::classify(cmd) == CommandClass::Plain {
                cmd.encode(self.out_buf());
                let id = self.pending.push(Expect::One, deadline);
                self.events.spans.start(id, cmd.name(), &self.config.addr);
            } else {
                self.send(cmd, now)?;
                // A subscribe or `MONITOR` changes what comes after it.
                plain_accepted = self.accepts_plain();
            }
        }
        Ok(first)
    }

    /// The next event if it is a reply, as the request's id and outcome: what
    /// [`poll_event`](Self::poll_event) would return as [`Event::Reply`](super::Event::Reply), without
    /// building the event. `None` when no event is waiting or the next one is not a
    /// reply; [`poll_event`](Self::poll_event) then takes it.
    ///
    /// For adapters that take many replies at a time (pipelines), drain with this
    /// first, then with `poll_event`:
    ///
    /// ```
    /// # use std::time::Instant;
    /// # use redis_sansio::config::ConnectionConfig;
    /// # use redis_sansio::conn::Connection;
    /// # let mut conn = Connection::new(ConnectionConfig::default(), Instant::now());
    /// loop {
    ///     while let Some((id, outcome)) = conn.poll_reply() {
    ///         // File the outcome of request `id`.
    ///     }
    ///     match conn.poll_event() {
    ///         Some(event) => { /* any event, replies included */ }
    ///         None => break,
    ///     }
    /// }
    /// ```
    #[must_use]
    #[inline]
    pub fn poll_reply(&mut self) -> Option<(RequestId, Result<Frame, RequestError>)> {
        self.events.pop_reply()
    }

    /// Takes the replies a pipeline waits for, as many as have come, in one go.
    ///
    /// While the next event is the reply to `first.offset(out.len())`, its outcome
    /// is pushed onto `out`; returns how many were. Call it with the pipeline's first
    /// id (from [`send_all`](Self::send_all)) and the same `out` after each read, and
    /// `out[i]` is the outcome of `first.offset(i)`. Any other event stops it, for
    /// [`poll_reply`](Self::poll_reply) or [`poll_event`](Self::poll_event) to take.
    pub fn take_replies(
        &mut self,
        first: RequestId,
        out: &mut Vec<Result<Frame, RequestError>>,
    ) -> usize {
        self.events.take_replies(first, out, usize::MAX)
    }

    /// True when [`send`](Self::send) accepts an ordinary command as it is.
    fn accepts_plain(&self) -> bool {
        self.state != State::Closed
            && !self.monitoring
            && !self.pending_monitor()
            && !self.in_resp2_subscribed_mode()
    }
}
