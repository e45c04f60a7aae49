//! Blocking adapter for [`redis_sansio`]: std sockets (TCP and Unix) driven by the
//! core's state machine.
//!
//! - [`Connection`]: one blocking connection; requests, pipelines, transactions,
//!   pub/sub messages.
//! - [`Fanout`]: many connections to many servers driven by one `mio` loop on one
//!   thread; one [`Fanout::run`] does the IO of every queued request at once.
//! - [`transport`]: opening the socket (TCP with `TCP_NODELAY`, or Unix), with the
//!   configured connect timeout.
//!
//! The adapter owns the socket and the timer (the socket's read timeout) and nothing
//! else: every protocol decision is the core's.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod blocking;
mod fanout;
mod outcomes;
pub mod transport;

pub use blocking::Connection;
pub use fanout::{ConnId, Fanout};
pub use outcomes::Outcome;
/// The error type every adapter shares, defined once in `redis-io-async` (which has no
/// runtime dependency).
pub use redis_io_async::{ConversionError, Error};
