//! `MONITOR` as typed entries: every command the server runs, parsed by the core
//! ([`MonitorEntry`]: when, in which database, from which client, the command and its
//! arguments).
//!
//! A monitoring connection only streams, so a monitor owns an exclusive connection:
//! [`Monitor`] a blocking one (an `Iterator`), [`AsyncMonitor`] an async one on any
//! runtime (a `Stream`; opened on its own, or
//! [`from_client`](AsyncMonitor::from_client) with a multiplexed client's settings).
//! Each yields the entries in the order the server ran the commands, and ends after
//! yielding the error that closed the connection. A line the core cannot parse is an
//! `Err(Error::Conversion(..))` item, and the entries after it still come. `MONITOR`
//! is costly for the server: monitor briefly.

#[cfg(feature = "sync")]
mod blocking;
mod exclusive;

use redis_sansio::conn::Event;
use redis_sansio::resp::Frame;

use crate::{ConversionError, Error};

#[cfg(feature = "sync")]
pub use blocking::Monitor;
pub use exclusive::AsyncMonitor;
pub use redis_sansio::monitor::{MonitorEntry, MonitorLineError};

/// The entry an event carries, if it is a MONITOR line: parsed, or the typed error of
/// a line that is not one.
fn entry_of(event: Event) -> Option<Result<MonitorEntry, Error>> {
    match event {
        Event::Monitor(line) => Some(MonitorEntry::parse(&line).map_err(|error| {
            let shown = String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned();
            Error::Conversion(ConversionError::new(
                "MONITOR entry",
                format!("{shown:?} ({})", error.what),
            ))
        })),
        _ => None,
    }
}

/// `MONITOR`'s reply: `+OK`, or the server's refusal.
fn started(reply: Result<Frame, Error>) -> Result<(), Error> {
    match reply? {
        Frame::SimpleString(_) => Ok(()),
        other => Err(Error::Conversion(ConversionError::new(
            "+OK to MONITOR",
            format!("{other:?}"),
        ))),
    }
}
