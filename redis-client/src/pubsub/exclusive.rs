//! The async subscriber, on any runtime.

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use futures_core::Stream;
use redis_io_async::{Client, Connection, Runtime};
use redis_sansio::Cmd;
use redis_sansio::config::ConnectionConfig;
use redis_sansio::retry::Reconnect;
use redis_sansio::supervisor::Supervisor;

use super::{
    Message, Next, Subscriptions, attempted, deadline, lost, message_of, next, remaining,
    subscription_cmd, subscription_methods, waited,
};
use crate::Error;

/// The attempts to replace a lost connection, which own the supervisor while they run:
/// they give it back with the new connection, subscribed, or with the error once the
/// supervisor gives up.
type Restoring<R> =
    Pin<Box<dyn Future<Output = (Supervisor, Result<Connection<R>, Error>)> + Send>>;

/// An async connection given over to pub/sub, on any runtime; also a `Stream` of its
/// messages, which ends after yielding the error that closed the connection (with a
/// [`Reconnect`] policy, a lost connection is replaced and the stream goes on; it ends
/// once the policy gives up).
///
/// ```no_run
/// # async fn demo<R: redis_io_async::Runtime>(client: redis_io_async::Client<R>) -> Result<(), redis_client::Error> {
/// use redis_client::pubsub::AsyncSubscriber;
///
/// let mut subscriber = AsyncSubscriber::from_client(&client).await?;
/// subscriber.subscribe(["news"]).await?;
/// while let Some(message) = subscriber.next_message(None).await? {
///     println!("{:?}", message.payload);
/// }
/// # Ok(()) }
/// ```
pub struct AsyncSubscriber<R: Runtime> {
    conn: Connection<R>,
    /// The stream yielded its error and is over.
    failed: bool,
    /// Decides how to replace a lost connection; `None`: a loss is final (or the
    /// attempts under way have it).
    supervisor: Option<Supervisor>,
    /// Set from the loss of the connection until it is replaced.
    restoring: Option<Restoring<R>>,
    reconnects: u64,
}

impl<R: Runtime> AsyncSubscriber<R> {
    /// Opens a connection to the server a URL names, for subscribing.
    pub async fn open(url: &str) -> Result<Self, Error> {
        Connection::open(url).await.map(Self::new)
    }

    /// Opens a connection with a multiplexed client's settings, for subscribing: the
    /// client's own connection is shared and refuses pub/sub.
    pub async fn from_client(client: &Client<R>) -> Result<Self, Error> {
        client.dedicated().await.map(Self::new)
    }

    /// Uses `conn` for subscribing.
    pub fn new(conn: Connection<R>) -> Self {
        AsyncSubscriber {
            conn,
            failed: false,
            supervisor: None,
            restoring: None,
            reconnects: 0,
        }
    }

    subscription_methods!(async, .await);

    /// The next message, waiting at most `timeout` (`None`: as long as it takes).
    /// `Ok(None)` when the time ran out; `Err(Error::Closed(..))` once the connection
    /// has closed.
    pub async fn next_message(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<Option<Message>, Error> {
        let deadline = deadline(timeout);
        loop {
            if !self.restore(deadline).await? {
                return Ok(None);
            }
            match self.conn.next_event(remaining(deadline)).await {
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

    /// Leaves every subscription and gives the connection back for ordinary commands.
    pub async fn into_connection(mut self) -> Result<Connection<R>, Error> {
        for cmd in self.subscriptions().unsubscribe_cmds() {
            self.run(cmd).await?;
        }
        Ok(self.conn)
    }

    /// Sends a pub/sub command and waits for its confirmation. With a policy, a lost
    /// connection is replaced (before, or after the command failed on it) and the
    /// command sent once more on the new one.
    async fn run(&mut self, cmd: Cmd) -> Result<(), Error> {
        self.restore(None).await?;
        if let Err(error) = self.conn.request(&cmd).await {
            self.lose(error)?;
            self.restore(None).await?;
            self.conn.request(&cmd).await?;
        }
        Ok(())
    }

    /// After `error`: starts replacing the connection if it was lost and a policy
    /// allows; otherwise gives the error back.
    fn lose(&mut self, error: Error) -> Result<(), Error> {
        if !lost(self.supervisor.as_mut(), self.conn.close_reason()) {
            return Err(error);
        }
        let Some(supervisor) = self.supervisor.take() else {
            return Err(error);
        };
        let config = self.conn.core().config().clone();
        let subscriptions = self.conn.core().subscriptions().clone();
        self.restoring = Some(Box::pin(replace::<R>(config, subscriptions, supervisor)));
        Ok(())
    }

    /// Replaces a lost connection: `Ok(true)` once the connection is usable (at once
    /// if it was not lost), `Ok(false)` when `deadline` came first (the next call goes
    /// on), `Err(Error::Closed(..))` with the reason it was lost when the policy gave
    /// up, which makes the loss final.
    async fn restore(&mut self, deadline: Option<Instant>) -> Result<bool, Error> {
        if self.restoring.is_none() {
            return Ok(true);
        }
        let mut timer = deadline.map(|deadline| Box::pin(R::sleep_until(deadline)));
        poll_fn(|cx| {
            if let Poll::Ready(restored) = self.poll_restore(cx) {
                return Poll::Ready(restored.map(|()| true));
            }
            match &mut timer {
                Some(timer) => timer.as_mut().poll(cx).map(|()| Ok(false)),
                None => Poll::Pending,
            }
        })
        .await
    }

    /// [`restore`](Self::restore) without a deadline, for the stream.
    fn poll_restore(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let Some(restoring) = &mut self.restoring else {
            return Poll::Ready(Ok(()));
        };
        let (supervisor, restored) = ready!(restoring.as_mut().poll(cx));
        self.restoring = None;
        Poll::Ready(match restored {
            Ok(conn) => {
                self.conn = conn;
                self.supervisor = Some(supervisor);
                self.reconnects += 1;
                Ok(())
            }
            // The supervisor gave up: the loss is final.
            Err(error) => Err(error),
        })
    }
}

/// Makes attempts to replace a lost connection as `supervisor` says, each opening a
/// connection with `config` and subscribing it to `subscriptions`.
async fn replace<R: Runtime>(
    config: ConnectionConfig,
    subscriptions: Subscriptions,
    mut supervisor: Supervisor,
) -> (Supervisor, Result<Connection<R>, Error>) {
    loop {
        match next(&mut supervisor) {
            Next::GiveUp(reason) => return (supervisor, Err(Error::Closed(reason))),
            Next::Wait(due) => {
                R::sleep_until(due).await;
                waited(&mut supervisor, due);
            }
            Next::Connect => {
                let reopened = reopen::<R>(config.clone(), &subscriptions).await;
                attempted(&mut supervisor, &reopened);
                if reopened.is_ok() {
                    return (supervisor, reopened);
                }
            }
        }
    }
}

/// A new connection with `config`, subscribed to `subscriptions`.
async fn reopen<R: Runtime>(
    config: ConnectionConfig,
    subscriptions: &Subscriptions,
) -> Result<Connection<R>, Error> {
    let mut conn = Connection::connect(config).await?;
    for cmd in subscriptions.resubscribe_cmds() {
        conn.request(&cmd).await?;
    }
    Ok(conn)
}

impl<R: Runtime> fmt::Debug for AsyncSubscriber<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncSubscriber")
            .field("conn", &self.conn)
            .field("failed", &self.failed)
            .field("supervisor", &self.supervisor)
            .field("restoring", &self.restoring.is_some())
            .field("reconnects", &self.reconnects)
            .finish()
    }
}

impl<R: Runtime> Stream for AsyncSubscriber<R> {
    type Item = Result<Message, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        while !this.failed {
            let failure = match ready!(this.poll_restore(cx)) {
                Err(error) => error,
                Ok(()) => match ready!(this.conn.poll_next_event(cx)) {
                    Ok(event) => match message_of(event) {
                        Some(message) => return Poll::Ready(Some(Ok(message))),
                        None => continue,
                    },
                    Err(error) => match this.lose(error) {
                        Ok(()) => continue,
                        Err(error) => error,
                    },
                },
            };
            this.failed = true;
            return Poll::Ready(Some(Err(failure)));
        }
        Poll::Ready(None)
    }
}
