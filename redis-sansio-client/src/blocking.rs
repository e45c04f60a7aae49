//! The blocking bodies, on std sockets (feature `sync`).
//!
//! Their command methods return `Result<R, Error>` at once (`conn.get(key)?`); they
//! come from [`Commands`](crate::Commands) and its group traits: bring them into scope
//! with `use redis_sansio_client::prelude::*`.
//!
//! ```no_run
//! use redis_sansio_client::blocking::Connection;
//! use redis_sansio_client::prelude::*;
//!
//! # fn demo() -> Result<(), redis_sansio_client::Error> {
//! let mut conn = Connection::open("redis://127.0.0.1:6379")?;
//! conn.set("greeting", "hello")?;
//! let greeting = conn.get("greeting")?; // Option<Bytes>
//! # let _ = greeting;
//! # Ok(())
//! # }
//! ```

/// A blocking connection over TCP or a Unix socket, TLS with `tls-rustls`. Its
/// command methods come from [`Commands`](crate::Commands); see its own methods below.
pub use redis_io_sync::Connection;

/// A blocking pool shared by threads, and the connection a thread borrows from it
/// (back in the pool when dropped); the guard takes every command method.
pub use crate::pool::blocking::{Pool, PooledConnection};

/// A blocking Redis Cluster connection, and its cluster-wide pub/sub subscriber.
pub use crate::cluster::{ClusterConnection, ClusterSubscriber};

/// A blocking Sentinel-discovered connection that follows the master through
/// failovers.
pub use crate::sentinel::SentinelClient;

/// A blocking pub/sub subscriber that resubscribes after a lost connection.
pub use crate::pubsub::Subscriber;
