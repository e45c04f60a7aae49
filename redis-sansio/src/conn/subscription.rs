//! Subscribing on a shared connection: the one way pub/sub commands reach a connection
//! that [`Connection::set_shared`] marked as shared.

use std::time::Instant;

use super::Connection;
use super::command::{self, CommandClass};
use super::pending::RequestId;
use crate::{Cmd, SendError};

impl Connection {
    /// Sends a `SUBSCRIBE`, `PSUBSCRIBE`, `SSUBSCRIBE` or one of their `UNSUBSCRIBE`s
    /// naming at least one channel or pattern, also on a shared connection (where
    /// [`send`](Self::send) refuses them). Its outcome, like `send`'s, is one
    /// [`Event::Reply`](super::Event::Reply): the array of the server's confirmations.
    ///
    /// Call it for a body that keeps a
    /// [`SubscriberBook`](crate::subscribers::SubscriberBook) and sends only the
    /// commands the book returns: the book routes each message to its listeners, and
    /// knows what to subscribe again after a reconnect. Messages then arrive as
    /// [`Event::Message`](super::Event::Message) between the replies of the other
    /// callers. In RESP2 a subscribed connection accepts only pub/sub commands (others
    /// get [`SendError::Subscribed`]), so a shared RESP2 connection should not be
    /// subscribed: use a connection given over to subscriptions.
    ///
    /// Anything else, and an unsubscribe from everything (no names: the book's
    /// listeners would not know), is refused with [`SendError::NotSubscription`].
    pub fn send_subscription(&mut self, cmd: &Cmd, now: Instant) -> Result<RequestId, SendError> {
        match command::classify(cmd) {
            CommandClass::Subscribe(_, n) | CommandClass::Unsubscribe(_, n) if n > 0 => {}
            _ => {
                let name = cmd.args().next().unwrap_or_default();
                return Err(SendError::NotSubscription {
                    command: String::from_utf8_lossy(name).into_owned(),
                });
            }
        }
        let shared = std::mem::replace(&mut self.shared, false);
        let sent = self.send(cmd, now);
        self.shared = shared;
        sent
    }
}
