//! Every async body on async-std, without type parameters (feature `async-std`, off by
//! default: async-std is discontinued upstream; smol is its successor).
//!
//! ```no_run
//! use redis_sansio_client::async_std::Client;
//! use redis_sansio_client::prelude::*;
//!
//! # fn demo() -> Result<(), redis_sansio_client::Error> {
//! async_std::task::block_on(async {
//!     let client = Client::open("redis://127.0.0.1:6379").await?;
//!     client.hset("user:1", [("name", "Ada")]).await?;
//!     Ok(())
//! })
//! # }
//! ```

/// The async-std [`Runtime`](crate::io_async::Runtime), for the generic types.
pub use redis_io_async_std::async_std::AsyncStd;

runtime_aliases!(AsyncStd, "async-std");
