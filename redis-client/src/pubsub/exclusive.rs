//! The async subscriber, on any runtime.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use redis_io_async::{Client, Connection, Runtime};
use redis_sansio::Cmd;
use redis_sansio::resp::ToArg;

use super::{
    Message, Subscriptions, deadline, leave_all, message_of, remaining, subscription_cmd,
    subscription_methods,
};
use crate::Error;

/// An async connection given over to pub/sub, on any runtime; also a `Stream` of its
/// messages, which ends after yielding the error that closed the connection.
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
#[derive(Debug)]
pub struct AsyncSubscriber<R: Runtime> {
    conn: Connection<R>,
    /// The stream yielded its error and is over.
    failed: bool,
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
            match self.conn.next_event(remaining(deadline)).await? {
                None => return Ok(None),
                Some(event) => {
                    if let Some(message) = message_of(event) {
                        return Ok(Some(message));
                    }
                }
            }
        }
    }

    /// Leaves every subscription and gives the connection back for ordinary commands.
    pub async fn into_connection(mut self) -> Result<Connection<R>, Error> {
        for cmd in leave_all(self.subscriptions()) {
            self.run(cmd).await?;
        }
        Ok(self.conn)
    }

    async fn run(&mut self, cmd: Cmd) -> Result<(), Error> {
        self.conn.request(&cmd).await.map(drop)
    }
}

impl<R: Runtime> Stream for AsyncSubscriber<R> {
    type Item = Result<Message, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        while !this.failed {
            match this.conn.poll_next_event(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(event)) => {
                    if let Some(message) = message_of(event) {
                        return Poll::Ready(Some(Ok(message)));
                    }
                }
                Poll::Ready(Err(error)) => {
                    this.failed = true;
                    return Poll::Ready(Some(Err(error)));
                }
            }
        }
        Poll::Ready(None)
    }
}
