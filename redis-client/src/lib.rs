//! One typed Redis command API over every redis-sansio adapter.
//!
//! Every command of the Redis 7.2 specification is a method of [`Commands`] (one trait
//! per group: [`StringCommands`], [`ListCommands`], [`HashCommands`], [`StreamCommands`],
//! ...),
//! generated from a facts-only copy of the specification (`spec/commands.json`), and
//! works on every body that implements [`Executor`]: the blocking connection, the async
//! exclusive connection and multiplexed client on any runtime, pipelines and
//! transactions, and the [`cluster`] clients.
//!
//! [`sentinel`] finds a Sentinel-monitored master or replica on every body, and keeps
//! following the master through failovers.
//! [`app_cache`] keeps values the application computed (aredis's `Cache` and
//! `HerdCache`: namespaced keys, serializer, optional compression, one recomputation at
//! a time when a popular entry expires), on every body.
//! [`pool`] shares a bounded set of connections between threads ([`pool::blocking::Pool`])
//! or tasks ([`pool::exclusive::Pool`]); the commands work on their guards too.
//!
//! **TLS** (`rediss://`): with the `tls` feature (forwarded to the adapters), every
//! body speaks TLS when its [`ConnectionConfig`](redis_sansio::config::ConnectionConfig)
//! says so: a `rediss://` URL trusts the system's root certificates; the
//! `with_tls_*` settings add a private CA, a client certificate or a server name. The
//! settings travel inside the configuration, so pools, cluster and sentinel clients
//! need nothing more. Failures are [`Error::Tls`] ([`TlsError::kind`] says which);
//! without the feature, [`Error::TlsUnsupported`]. See [`redis_io_async::tls`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod app_cache;
pub mod args;
mod batch;
mod bodies;
mod body_ops;
pub mod cluster;
mod executor;
mod generated;
pub mod keys;
pub mod monitor;
pub mod pool;
pub mod pubsub;
mod reply;
mod returning;
mod scan;
mod scan_pages;
mod script;
pub mod sentinel;
#[cfg(feature = "serde")]
mod serde_values;
mod typed;
pub mod watch;

/// The traits that put the command methods on every body: `use redis_client::prelude::*;`.
///
/// The command methods live in one trait per group ([`StringCommands`],
/// [`ListCommands`], ...); the prelude brings every group, and [`Commands`], into scope.
pub mod prelude {
    pub use crate::generated::commands::*;
    pub use crate::{Batches, Each, Executor, FromReply, Invoke};
}

pub use batch::{BatchFuture, Batches, Pipeline, Replies, Slot, Transaction};
pub use bodies::ReplyFuture;
/// The byte string replies are read as (and arguments may be): re-exported so a user
/// needs no `bytes` dependency of their own.
pub use bytes::Bytes;
pub use executor::Executor;
pub use generated::commands::*;
pub use generated::{cmd, options};
pub use redis_io_async::{ConversionError, Error, PoolError, TlsError, TlsErrorKind};
pub use redis_sansio::resp;
pub use redis_sansio::resp::{ArgBuf, Each, ToArg, ToArgs};
pub use redis_sansio::retry::Reconnect;
pub use redis_sansio::{CloseReason, Cmd, RequestError, ServerError, ServerErrorKind};
pub use reply::FromReply;
pub use returning::Returning;
#[cfg(feature = "sync")]
pub use scan::ScanIter;
pub use scan::{ClientFetch, Scan, ScanBody, ScanStream};
pub use scan_pages::ScanPages;
pub use script::{Invoke, InvokeFuture, Script, ScriptCall};
#[cfg(feature = "serde")]
pub use serde_values::{HashStruct, Json};
pub use typed::TypedCmd;
