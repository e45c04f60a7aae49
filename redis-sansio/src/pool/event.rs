//! What a pool tells its adapter: handles, checkout results and events.

use std::fmt;

/// A connection's handle in a pool: the adapter keeps the connection itself (socket
/// and all) under this number. Handles are never reused within one pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub(crate) u64);

/// A waiting checkout's handle in a pool. Handles are never reused within one pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WaiterId(pub(crate) u64);

impl ConnId {
    /// The handle as a number, for logs.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl WaiterId {
    /// The handle as a number, for logs.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

impl fmt::Display for WaiterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "waiter#{}", self.0)
    }
}

/// What [`Pool::checkout`](super::Pool::checkout) gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a checkout either hands out a connection or makes the caller wait"]
pub enum Checkout {
    /// This idle connection is now the caller's, until
    /// [`checkin`](super::Pool::checkin).
    Ready(ConnId),
    /// No connection is free: the caller waits as this waiter, until an
    /// [`Event::Granted`] or [`Event::Failed`] names it (or it is
    /// [`cancel`](super::Pool::cancel)led).
    Wait(WaiterId),
    /// The pool is closed; nothing is handed out any more.
    Closed,
}

/// Why the pool asks the adapter to close a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseCause {
    /// It was idle longer than the idle timeout.
    IdleTimeout,
    /// It lived longer than the maximum lifetime.
    MaxLifetime,
    /// It was checked in as unhealthy.
    Unhealthy,
    /// The pool holds more connections than its (lowered) maximum size.
    Surplus,
    /// The pool was closed.
    PoolClosed,
}

/// Why a waiter gets no connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WaitFailure {
    /// Its checkout timeout passed.
    TimedOut,
    /// Opening a connection failed; the adapter reports the open's own error. One
    /// failed open fails one waiter (the oldest), so that callers do not wait out
    /// their timeout while the server is down.
    OpenFailed,
    /// The pool was closed.
    PoolClosed,
}

/// Something the adapter must do or deliver, from [`Pool::poll_event`](super::Pool::poll_event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Open a connection and report it under this handle, with
    /// [`handle_opened`](super::Pool::handle_opened) or
    /// [`handle_open_failed`](super::Pool::handle_open_failed). It already counts
    /// towards the maximum size.
    Open(ConnId),
    /// Close this connection and forget its handle; the pool already has.
    Close {
        /// The connection to close.
        conn: ConnId,
        /// Why.
        cause: CloseCause,
    },
    /// Hand this connection to this waiter: it is the waiter's until checked in.
    Granted {
        /// The waiter served.
        waiter: WaiterId,
        /// The connection it now holds.
        conn: ConnId,
    },
    /// This waiter gets no connection; its wait is over.
    Failed {
        /// The waiter.
        waiter: WaiterId,
        /// Why.
        reason: WaitFailure,
    },
}
