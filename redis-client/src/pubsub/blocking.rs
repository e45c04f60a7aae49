//! The blocking subscriber.

use std::time::Duration;

use redis_io_sync::Connection;
use redis_sansio::Cmd;
use redis_sansio::resp::ToArg;

use super::{
    Message, Subscriptions, deadline, leave_all, message_of, remaining, subscription_cmd,
    subscription_methods,
};
use crate::Error;

/// A blocking connection given over to pub/sub.
///
/// ```no_run
/// use std::time::Duration;
/// use redis_client::pubsub::Subscriber;
///
/// let mut subscriber = Subscriber::open("redis://127.0.0.1:6379")?;
/// subscriber.subscribe(["news", "weather"])?;
/// subscriber.psubscribe(["alerts.*"])?;
/// while let Some(message) = subscriber.next_message(Some(Duration::from_secs(5)))? {
///     println!("{:?} on {:?}", message.payload, message.channel);
/// }
/// # Ok::<(), redis_client::Error>(())
/// ```
#[derive(Debug)]
pub struct Subscriber {
    conn: Connection,
}

impl Subscriber {
    /// Opens a connection to the server a URL names, for subscribing.
    pub fn open(url: &str) -> Result<Self, Error> {
        Connection::open(url).map(Self::new)
    }

    /// Uses `conn` for subscribing.
    pub fn new(conn: Connection) -> Self {
        Subscriber { conn }
    }

    subscription_methods!(,);

    /// The next message, waiting at most `timeout` (`None`: as long as it takes).
    /// `Ok(None)` when the time ran out; `Err(Error::Closed(..))` once the connection
    /// has closed.
    pub fn next_message(&mut self, timeout: Option<Duration>) -> Result<Option<Message>, Error> {
        let deadline = deadline(timeout);
        loop {
            match self.conn.next_event(remaining(deadline))? {
                None => return Ok(None),
                Some(event) => {
                    if let Some(message) = message_of(event) {
                        return Ok(Some(message));
                    }
                }
            }
        }
    }

    /// The messages, as an iterator that waits for each: after an error (the
    /// connection closed), it ends.
    pub fn messages(&mut self) -> Messages<'_> {
        Messages {
            subscriber: self,
            failed: false,
        }
    }

    /// Leaves every subscription and gives the connection back for ordinary commands.
    pub fn into_connection(mut self) -> Result<Connection, Error> {
        for cmd in leave_all(self.subscriptions()) {
            self.run(cmd)?;
        }
        Ok(self.conn)
    }

    fn run(&mut self, cmd: Cmd) -> Result<(), Error> {
        self.conn.request(&cmd).map(drop)
    }
}

/// The iterator of [`Subscriber::messages`].
#[derive(Debug)]
pub struct Messages<'a> {
    subscriber: &'a mut Subscriber,
    failed: bool,
}

impl Iterator for Messages<'_> {
    type Item = Result<Message, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.subscriber.next_message(None) {
            Ok(message) => message.map(Ok),
            Err(error) => {
                self.failed = true;
                Some(Err(error))
            }
        }
    }
}
