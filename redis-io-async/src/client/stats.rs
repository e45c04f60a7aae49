//! The multiplexed client's counters, summed over the connections it replaced. The
//! counting is the core's (`Connection::requests`, `timeouts`, `in_flight`); the
//! driver copies the live connection's figures here under the lock it already takes
//! to deliver outcomes, and keeps a replaced connection's as it drops it.

use redis_sansio::conn::Connection;

/// The counters of a multiplexed [`Client`](super::Client), from
/// [`Client::stats`](super::Client::stats), since the client was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// Requests queued on the client's connections (each command of a pipeline
    /// counts; a transaction counts once).
    pub requests: u64,
    /// Requests that failed with `RequestError::Timeout`.
    pub timeouts: u64,
    /// Requests on the wire without their reply yet, as of the driver's last turn.
    pub in_flight: usize,
    /// Connections that replaced a lost one.
    pub reconnects: u64,
}

/// The figures behind [`ClientStats`].
#[derive(Debug, Default)]
pub(super) struct Counted {
    /// Requests and timeouts of the connections already replaced.
    retired: (u64, u64),
    /// Requests, timeouts and in-flight requests of the live connection.
    live: (u64, u64, usize),
    reconnects: u64,
}

impl Counted {
    /// Copies the live connection's counters; call under the client's lock, after
    /// delivering its events.
    #[inline]
    pub(super) fn observe(&mut self, core: &Connection) {
        self.live = (core.requests(), core.timeouts(), core.in_flight());
    }

    /// The live connection (last observed with [`observe`](Self::observe)) is
    /// replaced by a new one.
    pub(super) fn replaced(&mut self) {
        self.retired.0 += self.live.0;
        self.retired.1 += self.live.1;
        self.live = (0, 0, 0);
        self.reconnects += 1;
    }

    pub(super) fn snapshot(&self) -> ClientStats {
        ClientStats {
            requests: self.retired.0 + self.live.0,
            timeouts: self.retired.1 + self.live.1,
            in_flight: self.live.2,
            reconnects: self.reconnects,
        }
    }
}
