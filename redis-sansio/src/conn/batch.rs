//! Sending many commands at once: [`Connection::send_all`].

use std::time::Instant;

use super::command::{self, CommandClass};
use super::pending::{Expect, RequestId};
use super::{Connection, State};
use crate::{Cmd, SendError};

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
        let first = self.pending.next_id();
        if cmds.is_empty() {
            return Err(SendError::Empty);
        }
        let bytes = cmds.iter().map(Cmd::encoded_len).sum();
        self.out_buf().reserve(bytes);
        let deadline = self.config.response_timeout.map(|timeout| now + timeout);
        let mut plain_accepted = self.accepts_plain();
        for cmd in cmds {
            if plain_accepted && !cmd.is_empty() && command::classify(cmd) == CommandClass::Plain {
                cmd.encode(self.out_buf());
                self.pending.push(Expect::One, deadline);
            } else {
                self.send(cmd, now)?;
                // A subscribe or `MONITOR` changes what comes after it.
                plain_accepted = self.accepts_plain();
            }
        }
        Ok(first)
    }

    /// True when [`send`](Self::send) accepts an ordinary command as it is.
    fn accepts_plain(&self) -> bool {
        self.state != State::Closed
            && !self.monitoring
            && !self.pending_monitor()
            && !self.in_resp2_subscribed_mode()
    }
}
