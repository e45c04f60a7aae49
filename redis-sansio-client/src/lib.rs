//! A Redis and Valkey client for every Rust runtime, over one sans-IO protocol core.
//!
//! This is the one crate to depend on. It re-exports the typed command API (every
//! command of the Redis 7.2 specification as a method), the connections, the
//! multiplexed client, pools, cluster and Sentinel clients, the configuration and the
//! errors, with one module per runtime that names them without type parameters:
//!
//! | feature | module | what it has |
//! |---|---|---|
//! | `tokio` (default) | [`tokio`] | `Client`, `Connection`, `Pool`, `ClusterClient`, `SentinelClient`, `Subscriber`, ... on tokio |
//! | `smol` | [`smol`] | the same on smol |
//! | `async-std` | [`async_std`] | the same on async-std (discontinued upstream; off by default) |
//! | `sync` | [`blocking`] | the blocking `Connection`, `Pool`, `ClusterConnection`, `SentinelClient`, `Subscriber` |
//! | `tls-rustls` | | `rediss://` (and `valkeys://`) on every body: rustls, the system's roots, private CAs, client certificates |
//! | `serde` | | `Json<T>`, `HashStruct<T>`, and JSON values in the [`app_cache`] |
//! | `lz4` | | LZ4 compression in the [`app_cache`] (`app_cache::Lz4`) |
//!
//! A smol-only or async-std-only build compiles neither tokio nor mio; only `sync` (and
//! tokio itself) bring mio in.
//!
//! # Quick start
//!
//! ```toml
//! [dependencies]
//! redis-sansio-client = "0.1"   # tokio; or features = ["smol"], ["sync"], ["tls-rustls"], ...
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! ```no_run
//! use redis_sansio_client::prelude::*;
//! use redis_sansio_client::tokio::Client;
//! use redis_sansio_client::{Error, Pipeline};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Error> {
//!     // One connection, shared by every clone; concurrent calls are pipelined.
//!     let client = Client::open("redis://127.0.0.1:6379").await?;
//!     client.set("greeting", "hello").await?;
//!     let greeting = client.get("greeting").await?; // Option<Bytes>
//!     let visits = client.incr("visits").await?; // i64
//!
//!     let mut pipe = Pipeline::new();
//!     let pushed = pipe.rpush("jobs", ["a", "b"]);
//!     let mut replies = pipe.run(&client).await?;
//!     println!("{greeting:?} {visits} {}", replies.take(pushed)?);
//!     Ok(())
//! }
//! ```
//!
//! The command methods come from [`Commands`], split into one trait per group of the
//! specification ([`StringCommands`], [`ListCommands`], [`HashCommands`],
//! [`StreamCommands`], ...); `use redis_sansio_client::prelude::*` brings them all into
//! scope. Each method returns the command's natural reply type; another is one call:
//! `conn.execute(cmd::get("k").returning::<String>())`.
//!
//! A multiplexed client's future sends its command when it is created, not when it is
//! first polled: a future dropped unpolled has still run its command.
//!
//! The blocking body, with the `sync` feature:
//!
//! ```no_run
//! # #[cfg(feature = "sync")]
//! # fn main() -> Result<(), redis_sansio_client::Error> {
//! use redis_sansio_client::blocking::Connection;
//! use redis_sansio_client::prelude::*;
//!
//! let mut conn = Connection::open("redis://127.0.0.1:6379")?;
//! conn.set("greeting", "hello")?;
//! let greeting = conn.get("greeting")?;
//! # let _ = greeting;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "sync"))]
//! # fn main() {}
//! ```
//!
//! URLs: `redis://`, `rediss://` (TLS), `unix://` and `redis+unix://`, and Valkey's
//! `valkey://`, `valkeys://` and `valkey+unix://`; see [`config::ConnectionConfig`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[macro_use]
mod runtime;

pub use bytes::Bytes;
/// The typed command API: commands, pipelines, transactions, scripts, scans, replies
/// and errors, with the `app_cache`, `cluster`, `pool`, `pubsub`, `sentinel` and
/// `watch` modules.
pub use redis_client::*;
/// The async driver every runtime shares: its `Runtime` trait, for a runtime of your
/// own.
pub use redis_io_async as io_async;
/// The sans-IO core itself: the codec, the connection state machine, the cluster
/// router, the pool's and Sentinel's books. For writing an adapter of your own.
pub use redis_sansio as sansio;
/// Connection settings and URLs: [`ConnectionConfig`],
/// TLS settings, [`UrlError`](config::UrlError).
pub use redis_sansio::config;
pub use redis_sansio::config::ConnectionConfig;
pub use redis_sansio::{
    CloseReason, ProtocolError, RequestError, SendError, ServerError, ServerErrorKind,
};

#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;

#[cfg(feature = "smol")]
#[cfg_attr(docsrs, doc(cfg(feature = "smol")))]
pub mod smol;

#[cfg(feature = "async-std")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-std")))]
pub mod async_std;

#[cfg(feature = "sync")]
#[cfg_attr(docsrs, doc(cfg(feature = "sync")))]
pub mod blocking;

/// The Rust blocks of the workspace's README.md, docs/*.md and redis-client/README.md,
/// compiled (and run, unless `no_run`) as this crate's doc tests. They use every
/// runtime, so they are built with every feature: `cargo test -p redis-sansio-client
/// --all-features` (in `scripts/test`).
#[cfg(all(
    doctest,
    feature = "tokio",
    feature = "smol",
    feature = "async-std",
    feature = "sync",
    feature = "tls-rustls"
))]
mod doc_blocks {
    #[doc = include_str!("../../README.md")]
    struct Readme;
    #[doc = include_str!("../../docs/command-api.md")]
    struct CommandApi;
    #[doc = include_str!("../../docs/tls.md")]
    struct Tls;
    #[doc = include_str!("../../docs/pubsub.md")]
    struct PubSub;
    #[doc = include_str!("../../docs/cluster.md")]
    struct Cluster;
    #[doc = include_str!("../../docs/codec.md")]
    struct Codec;
    #[doc = include_str!("../../docs/connection.md")]
    struct Connection;
    #[doc = include_str!("../../docs/pools.md")]
    struct Pools;
    #[doc = include_str!("../../docs/app-cache.md")]
    struct AppCache;
    #[doc = include_str!("../../docs/sentinel.md")]
    struct Sentinel;
    #[doc = include_str!("../../docs/benchmarks.md")]
    struct Benchmarks;
    #[doc = include_str!("../../docs/caching.md")]
    struct Caching;
    #[doc = include_str!("../../docs/conformance.md")]
    struct Conformance;
    #[doc = include_str!("../../docs/observability.md")]
    struct Observability;
    #[doc = include_str!("../../docs/design.md")]
    struct Design;
    #[doc = include_str!("../../redis-client/README.md")]
    struct TypedApiReadme;
}
