//! The blocking subscriber.

use std::thread;
use std::time::{Duration, Instant};

use redis_io_sync::Connection;
use redis_sansio::Cmd;
use redis_sansio::config::ConnectionConfig;
use redis_sansio::retry::Reconnect;
use redis_sansio::supervisor::Supervisor;

use super::{
    Message, Next, Subscriptions, attempted, deadline, lost, message_of, next, next_item,
    remaining, subscription_cmd, subscription_methods, waited,
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
    /// Decides how to replace a lost connection; `None`: a loss is final.
    supervisor: Option<Supervisor>,
    /// Set from the loss of the connection until it is replaced.
    lost: bool,
    pub(super) reconnects: u64,
    /// The callback form's handlers: see [`handlers`](super::handlers).
    pub(super) handlers: super::handlers::Handlers,
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
            supervisor: None,
            lost: false,
            reconnects: 0,
            handlers: Default::default(),
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
    pub(super) fn run(&mut self, cmd: Cmd) -> Result<(), Error> {
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
        self.lost = lost(self.supervisor.as_mut(), self.conn.close_reason());
        match self.lost {
            true => Ok(()),
            false => Err(error),
        }
    }

    /// Replaces a lost connection, attempt after attempt: `Ok(true)` once the
    /// connection is usable (at once if it was not lost), `Ok(false)` when `deadline`
    /// came first (the next call goes on), `Err(Error::Closed(..))` when the
    /// supervisor gave up, which makes the loss final.
    fn restore(&mut self, deadline: Option<Instant>) -> Result<bool, Error> {
        while self.lost {
            let Some(supervisor) = &mut self.supervisor else {
                break;
            };
            match next(supervisor) {
                Next::GiveUp(reason) => {
                    (self.lost, self.supervisor) = (false, None);
                    return Err(Error::Closed(reason));
                }
                Next::Wait(due) => {
                    let until = deadline.map_or(due, |deadline| deadline.min(due));
                    thread::sleep(until.saturating_duration_since(Instant::now()));
                    if until < due {
                        return Ok(false);
                    }
                    waited(supervisor, due);
                }
                Next::Connect => {
                    let config = self.conn.core().config();
                    let reopened = reopen(config.clone(), self.conn.core().subscriptions());
                    attempted(supervisor, &reopened);
                    if let Ok(conn) = reopened {
                        (self.conn, self.lost) = (conn, false);
                        self.reconnects += 1;
                    }
                }
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
