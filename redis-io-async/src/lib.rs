//! A runtime-agnostic async driver for [`redis_sansio`], written once and generic
//! over a small [`Runtime`] trait.
//!
//! A runtime crate (`redis-io-tokio`, `redis-io-async-std`) implements [`Runtime`]
//! and [`Socket`] in about a hundred lines: open a TCP or Unix socket, poll it for
//! reads and writes, sleep until an instant, spawn a task. This crate does the rest:
//!
//! - [`Connection`]: an exclusive connection (`&mut self` calls) that drives the core
//!   inline inside each call's future: write `transmit()`, take events, read with the
//!   core's next deadline as a timer. No background task.
//! - [`Client`]: a cloneable multiplexed client. Many tasks share one socket through a
//!   driver task; whatever is queued when it wakes goes out in one write (automatic
//!   pipelining), each call gets its outcome through its own oneshot, matched by
//!   request id. Its futures ([`Request`], [`Pipeline`]) are named types, `Send`,
//!   `'static` and cancellation-safe. The driver is spawned with [`Runtime::spawn`],
//!   or handed to you as a [`ClientDriver`] to poll on the callers' own thread.
//! - [`Error`]: one error type for both, the same shape as the blocking adapter's.
//! - [`tls`]: TLS (`rediss://`) for every adapter, written once over rustls's sans-IO
//!   session (feature `tls`); the async driver runs it over any runtime's [`Socket`].
//!
//! There is no protocol logic here: handshake, reply matching, deadlines and modes
//! are all [`redis_sansio::conn::Connection`]'s. Synchronisation is `std` only
//! (`Mutex` and `Waker`); the crate depends on no runtime.
//!
//! Code written against the traits works on every runtime:
//!
//! ```
//! use redis_io_async::{Client, Error, Runtime};
//! use redis_sansio::Cmd;
//! use redis_sansio::resp::Frame;
//!
//! async fn bump<R: Runtime>(client: &Client<R>, key: &str) -> Result<Frame, Error> {
//!     // Both go out together with whatever other tasks queued meanwhile.
//!     let incr = client.request(&Cmd::new("INCR").arg(key));
//!     let ttl = client.request(&Cmd::new("EXPIRE").arg(key).arg(60));
//!     let value = incr.await?;
//!     ttl.await?;
//!     Ok(value)
//! }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod connection;
mod runtime;
mod tls_stream;
mod transport;

pub use client::{
    Client, ClientDriver, ClientStats, Listening, Pipeline, Reconnect, Request,
    SIDE_CONNECTIONS_KEPT, Subscription,
};
pub use connection::{Connection, ExclusivePipeline, ExclusiveRequest};
/// TLS, written once in `redis-io-base` for every adapter; this crate drives its
/// session over any runtime's [`Socket`].
pub use redis_io_base::tls;
pub use redis_io_base::{ConversionError, Error, PoolError, TLS_SUPPORTED, TlsError, TlsErrorKind};
pub use runtime::{Runtime, Socket, Unsupported};

/// The outcome of one command in a pipeline: its reply, or why it has none.
pub type Outcome = Result<redis_sansio::resp::Frame, redis_sansio::RequestError>;
