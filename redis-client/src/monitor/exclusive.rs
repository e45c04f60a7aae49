//! The async monitor, on any runtime.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures_core::Stream;
use redis_io_async::{Client, Connection, Runtime};
use redis_sansio::Cmd;

use super::{MonitorEntry, entry_of, started};
use crate::Error;

/// An async connection in `MONITOR` mode, on any runtime; a `Stream` of the commands
/// the server runs, which ends after the error that closed the connection.
///
/// ```no_run
/// # async fn demo<R: redis_io_async::Runtime>(client: redis_io_async::Client<R>) -> Result<(), redis_client::Error> {
/// use redis_client::monitor::AsyncMonitor;
///
/// let mut monitor = AsyncMonitor::from_client(&client).await?;
/// while let Some(entry) = monitor.next_entry(None).await? {
///     println!("{:?} ran {:?}", entry.client, entry.args);
/// }
/// # Ok(()) }
/// ```
pub struct AsyncMonitor<R: Runtime> {
    conn: Connection<R>,
    /// The stream yielded its error and is over.
    failed: bool,
}

impl<R: Runtime> AsyncMonitor<R> {
    /// Opens a connection to the server a URL names and starts monitoring.
    pub async fn open(url: &str) -> Result<Self, Error> {
        Self::new(Connection::open(url).await?).await
    }

    /// Opens a connection with a multiplexed client's settings and starts monitoring:
    /// the client's own connection is shared and refuses `MONITOR`.
    pub async fn from_client(client: &Client<R>) -> Result<Self, Error> {
        Self::new(client.dedicated().await?).await
    }

    /// Sends `MONITOR` on `conn` and waits for the server's `OK`.
    pub async fn new(mut conn: Connection<R>) -> Result<Self, Error> {
        started(conn.request(&Cmd::new("MONITOR")).await)?;
        Ok(AsyncMonitor {
            conn,
            failed: false,
        })
    }

    /// The next entry, waiting at most `timeout` (`None`: as long as it takes).
    /// `Ok(None)` when the time ran out; `Err(Error::Closed(..))` once the connection
    /// has closed.
    pub async fn next_entry(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<Option<MonitorEntry>, Error> {
        let deadline = timeout.map(crate::pubsub::from_now);
        loop {
            let left = deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
            match self.conn.next_event(left).await? {
                None => return Ok(None),
                Some(event) => {
                    if let Some(entry) = entry_of(event) {
                        return entry.map(Some);
                    }
                }
            }
        }
    }

    /// Ends monitoring: closes the connection.
    pub fn close(self) {
        self.conn.close();
    }
}

impl<R: Runtime> fmt::Debug for AsyncMonitor<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncMonitor")
            .field("conn", &self.conn)
            .field("failed", &self.failed)
            .finish()
    }
}

impl<R: Runtime> Stream for AsyncMonitor<R> {
    type Item = Result<MonitorEntry, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        while !this.failed {
            match ready!(this.conn.poll_next_event(cx)) {
                Ok(event) => {
                    if let Some(entry) = entry_of(event) {
                        return Poll::Ready(Some(entry));
                    }
                }
                Err(error) => {
                    this.failed = true;
                    return Poll::Ready(Some(Err(error)));
                }
            }
        }
        Poll::Ready(None)
    }
}
