//! The blocking monitor.

use std::time::Duration;

use redis_io_sync::Connection;
use redis_sansio::Cmd;

use super::{MonitorEntry, entry_of, started};
use crate::Error;

/// A blocking connection in `MONITOR` mode; an `Iterator` of the commands the server
/// runs, which ends after the error that closed the connection.
///
/// ```no_run
/// use redis_client::monitor::Monitor;
///
/// for entry in Monitor::open("redis://127.0.0.1:6379")?.take(10) {
///     let entry = entry?;
///     println!("db {} {} {:?}", entry.db, entry.client, entry.args);
/// }
/// # Ok::<(), redis_client::Error>(())
/// ```
#[derive(Debug)]
pub struct Monitor {
    conn: Connection,
    /// The iterator yielded its error and is over.
    failed: bool,
}

impl Monitor {
    /// Opens a connection to the server a URL names and starts monitoring.
    pub fn open(url: &str) -> Result<Self, Error> {
        Self::new(Connection::open(url)?)
    }

    /// Sends `MONITOR` on `conn` and waits for the server's `OK`.
    pub fn new(mut conn: Connection) -> Result<Self, Error> {
        started(conn.request(&Cmd::new("MONITOR")))?;
        Ok(Monitor {
            conn,
            failed: false,
        })
    }

    /// The next entry, waiting at most `timeout` (`None`: as long as it takes).
    /// `Ok(None)` when the time ran out; `Err(Error::Closed(..))` once the connection
    /// has closed.
    pub fn next_entry(&mut self, timeout: Option<Duration>) -> Result<Option<MonitorEntry>, Error> {
        let deadline = timeout.map(crate::pubsub::from_now);
        loop {
            let left = deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
            match self.conn.next_event(left)? {
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

impl Iterator for Monitor {
    type Item = Result<MonitorEntry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            match self.conn.next_event(None) {
                Ok(Some(event)) => {
                    if let Some(entry) = entry_of(event) {
                        return Some(entry);
                    }
                }
                Ok(None) => continue,
                Err(error) => {
                    self.failed = true;
                    return Some(Err(error));
                }
            }
        }
    }
}
