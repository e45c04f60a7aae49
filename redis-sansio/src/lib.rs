//! A sans-IO Redis protocol core.
//!
//! This crate knows the Redis protocol and nothing about sockets, clocks or runtimes:
//! bytes go in and out through buffers, and IO adapters (blocking, tokio, async-std,
//! smol) are thin layers around it.
//!
//! - [`resp`]: RESP2 and RESP3 values, an incremental zero-copy decoder, the encoder,
//!   and a request decoder for servers and proxies.
//! - [`Cmd`]: a command being built, encoded as it grows into an [`ArgBuf`], inline
//!   while it is short.
//! - [`commands`]: what each command of the specification may do (write, read,
//!   block, be resent after a lost connection), its cluster policies and where its
//!   keys are, looked up by name without allocating.
//! - [`conn`]: one connection as a state machine: handshake, request/reply matching,
//!   pub/sub and MONITOR modes, deadlines.
//! - [`cache`]: client-side caching as a machine: replies of one-key reads, kept
//!   until the server's tracking invalidates them, bounded, with statistics.
//! - [`cluster`]: Redis Cluster routing: hash slots, topology parsing, and a router
//!   that follows redirects and paces retries and refreshes.
//! - [`sentinel`]: finding a Sentinel-monitored master or replica, step by step.
//! - [`pool`]: a connection pool's books as a state machine: connections by handle,
//!   waiters in order, timeouts; the adapters keep the connections.
//! - [`subscribers`]: the book of a shared connection's subscriptions: who listens
//!   to which channel, each listener's queue, what to subscribe again after a
//!   reconnect.
//! - [`monitor`]: `MONITOR` lines parsed into entries (time, database, client,
//!   command and arguments).
//! - [`retry`]: backoff, and the policy for replacing a lost connection.
//! - [`supervisor`]: the reconnect supervisor: whether, when and how a lost or
//!   stalled connection is replaced, and what waiting calls fail with.
//! - [`config`]: connection settings, from `redis://`, `rediss://` and `unix://` URLs.
//! - Errors: [`ProtocolError`] (bad bytes; fatal), [`ServerError`] (an error reply,
//!   with its kind parsed), [`SendError`] (a refused call; harmless),
//!   [`RequestError`] (why a request has no reply), [`CloseReason`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cache;
pub mod cluster;
mod cmd;
pub mod commands;
pub mod config;
pub mod conn;
pub mod deadline;
mod error;
pub mod monitor;
pub mod pool;
pub mod resp;
pub mod retry;
pub mod sentinel;
pub mod subscribers;
pub mod supervisor;
mod trace;

pub use cmd::Cmd;
pub use error::{
    CloseReason, ProtocolError, Redirect, RequestError, SendError, ServerError, ServerErrorKind,
};
pub use resp::{ArgBuf, Args};
