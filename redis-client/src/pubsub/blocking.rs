//! The blocking subscriber.

use std::thread;
use std::time::{Duration, Instant};

use redis_io_sync::Connection;
use redis_sansio::config::ConnectionConfig;
use redis_sansio::retry::{Outage, Reconnect};
use redis_sansio::{CloseReason, Cmd};

use super::{
    Message, Subscriptions, deadline, from_now, message_of, next_item, outage, remaining,
    subscription_cmd, subscription_methods,
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
    /// How to replace a lost connection; `None`: a loss is final.
    reconnect: Option<Reconnect>,
    /// Set from the loss of the connection until it is replaced.
    lost: Option<Lost>,
    reconnects: u64,
}

/// A lost connection being replaced.
#[derive(Debug)]
struct Lost {
    outage: Outage,
    /// Why it was lost: the error if the policy gives up.
    reason: CloseReason,
    /// When the next attempt is due; `None` until it is counted.
    due: Option<Instant>,
}

impl Subscriber {
    /// Opens a connection to the server a URL names, for subscribing.
    pub fn open(url: &str) -> Result<Self, Error> {
        Connection::open(url).map(Self::new)
    }

    /// Uses `conn` for subscribing.
    pub fn new(conn: Connection) -> Self {
        Subscriber {
            conn,
            reconnect: None,
            lost: None,
            reconnects: 0,
        }
    }

    subscription_methods!(,);

    /// The next message, waiting at most `timeout` (`None`: as long as it takes).
    /// `Ok(None)` when the time ran out; `Err(Error::Closed(..))` once the connection
    /// has closed.
    pub fn next_message(&mut self, timeout: Option<Duration>) -> Result<Option<Message>, Error> {
        let deadline = deadline(timeout);
        loop {
            if !self.restore(deadline)? {
                return Ok(None);
            }
            match self.conn.next_event(remaining(deadline)) {
                Ok(None) => return Ok(None),
                Ok(Some(event)) => {
                    if let Some(message) = message_of(event) {
                        return Ok(Some(message));
                    }
                }
                Err(error) => self.lose(error)?,
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
        for cmd in self.subscriptions().unsubscribe_cmds() {
            self.run(cmd)?;
        }
        Ok(self.conn)
    }

    /// Sends a pub/sub command and waits for its confirmation. With a policy, a lost
    /// connection is replaced (before, or after the command failed on it) and the
    /// command sent once more on the new one.
    fn run(&mut self, cmd: Cmd) -> Result<(), Error> {
        self.restore(None)?;
        if let Err(error) = self.conn.request(&cmd) {
            self.lose(error)?;
            self.restore(None)?;
            self.conn.request(&cmd)?;
        }
        Ok(())
    }

    /// After `error`: starts replacing the connection if it was lost and a policy
    /// allows; otherwise gives the error back.
    fn lose(&mut self, error: Error) -> Result<(), Error> {
        match outage(self.reconnect.as_ref(), self.conn.close_reason()) {
            Some((outage, reason)) => {
                self.lost = Some(Lost {
                    outage,
                    reason,
                    due: None,
                });
                Ok(())
            }
            None => Err(error),
        }
    }

    /// Replaces a lost connection, attempt after attempt: `Ok(true)` once the
    /// connection is usable (at once if it was not lost), `Ok(false)` when `deadline`
    /// came first (the next call goes on), `Err(Error::Closed(..))` with the reason it
    /// was lost when the policy gave up, which makes the loss final.
    fn restore(&mut self, deadline: Option<Instant>) -> Result<bool, Error> {
        while let Some(lost) = &mut self.lost {
            let due = match lost.due {
                Some(due) => due,
                None => match lost.outage.next_attempt() {
                    Some(delay) => *lost.due.insert(from_now(delay)),
                    None => {
                        let reason = lost.reason.clone();
                        (self.lost, self.reconnect) = (None, None);
                        return Err(Error::Closed(reason));
                    }
                },
            };
            let until = deadline.map_or(due, |deadline| deadline.min(due));
            thread::sleep(until.saturating_duration_since(Instant::now()));
            if until < due {
                return Ok(false);
            }
            lost.due = None;
            let config = self.conn.core().config();
            if let Ok(conn) = reopen(config.clone(), self.conn.core().subscriptions()) {
                (self.conn, self.lost) = (conn, None);
                self.reconnects += 1;
            }
        }
        Ok(true)
    }
}

/// A new connection with `config`, subscribed to `subscriptions`.
fn reopen(config: ConnectionConfig, subscriptions: &Subscriptions) -> Result<Connection, Error> {
    let mut conn = Connection::connect(config)?;
    for cmd in subscriptions.resubscribe_cmds() {
        conn.request(&cmd)?;
    }
    Ok(conn)
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
        let subscriber = &mut *self.subscriber;
        next_item(&mut self.failed, || subscriber.next_message(None))
    }
}
