//! Connection pools: many callers share a bounded set of exclusive connections.
//!
//! - [`blocking::Pool`] (feature `sync`): `pool.get()?` hands out a
//!   [`blocking::PooledConnection`], a guard that derefs to
//!   `redis_io_sync::Connection` and goes back to the pool when dropped.
//! - [`exclusive::Pool`]: the same for async code on any [`redis_io_async::Runtime`],
//!   with `pool.get().await?`; a `get()` future dropped while it waits gives its place
//!   (or the connection already granted to it) back.
//!
//! Both are one [`Pool`], written once (`shared.rs`) around
//! [`redis_sansio::pool::Pool`], the pure state machine that keeps the books (who
//! waits, in what order, what is idle, what expires): the pool opens and closes the
//! connections it asks for and carries its outcomes to the callers. The two forms
//! differ only in how a caller opens a connection and waits (a parked thread, a
//! pending future). Generated commands work on the guards: `pooled.set("k", "v")?`.
//!
//! **Settings** ([`PoolConfig`], defaults in [`redis_sansio::pool`]): at most 10
//! connections, none kept idle, a checkout waits up to 30 s, an idle connection is
//! closed after 10 min, any connection after 30 min.
//!
//! **Failures**: a connection that closed (the server killed it, or it broke
//! mid-call) is not reused: the guard hands it back as unhealthy, and an idle one
//! found closed at checkout (read without waiting) is replaced there. When the server
//! is down, `get()` fails with the open's own error ([`Error::Connect`](crate::Error::Connect))
//! instead of waiting out its timeout; once it is back, the next `get()` opens anew.
//! A checkout that waits too long fails with
//! [`PoolError::CheckoutTimeout`].
//!
//! **No background task or thread**: connections are opened by the callers that
//! wait for them, and expired idle connections are closed on the next `get()` or
//! return.

#[cfg(feature = "sync")]
pub mod blocking;
mod books;
pub mod exclusive;
mod shared;

pub use shared::{Pool, PooledConnection};

pub use redis_io_async::PoolError;
pub use redis_sansio::pool::PoolConfig;

/// What a connection type offers to be pooled: implemented by the blocking
/// connection of `redis_io_sync` (feature `sync`) and the async
/// [`redis_io_async::Connection`], the two kinds a [`Pool`] holds.
pub trait Poolable {
    /// Reads what already arrived without waiting; `true` while still open.
    fn probe_alive(&mut self) -> bool;
    /// Whether it may be handed to the next caller: open, with nothing in flight
    /// (a call abandoned mid-way could leave a blocking command pending).
    fn reusable(&self) -> bool;
}

/// A pool's counts at one moment, from `Pool::status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PoolStatus {
    /// Connections that count against the maximum: opening, idle and busy.
    pub size: usize,
    /// Connections in the pool, free for the next `get()`.
    pub idle: usize,
    /// Connections held by callers.
    pub busy: usize,
    /// Connections being opened.
    pub opening: usize,
    /// Callers waiting for a connection.
    pub waiting: usize,
    /// Checkouts that found every connection busy and the pool at its maximum size,
    /// since the pool was made (waiting for a connection to be opened is not counted).
    pub waits: u64,
    /// Checkouts that failed with `PoolError::CheckoutTimeout`, since the pool was
    /// made.
    pub checkout_timeouts: u64,
}
