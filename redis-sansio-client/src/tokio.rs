//! Every async body on tokio, without type parameters (feature `tokio`, on by default).
//!
//! Needs a tokio runtime with IO and time enabled (`#[tokio::main]` has both); the
//! multiplexed client's driver runs on `tokio::spawn`.
//!
//! ```no_run
//! use redis_sansio_client::prelude::*;
//! use redis_sansio_client::tokio::Client;
//!
//! # async fn demo() -> Result<(), redis_sansio_client::Error> {
//! let client = Client::open("redis://127.0.0.1:6379").await?;
//! let tasks: Vec<_> = (0..8)
//!     .map(|i| {
//!         let client = client.clone();
//!         tokio::spawn(async move { client.incrby("counter", i).await })
//!     })
//!     .collect();
//! for task in tasks {
//!     task.await.expect("task panicked")?;
//! }
//! # Ok(())
//! # }
//! ```

/// The tokio [`Runtime`](crate::io_async::Runtime), for the generic types
/// (`cluster::ClusterClient<Tokio>`, ...).
pub use redis_io_tokio::Tokio;

runtime_aliases!(Tokio, "tokio");
