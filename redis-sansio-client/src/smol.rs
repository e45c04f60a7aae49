//! Every async body on smol, without type parameters (feature `smol`).
//!
//! A smol-only build compiles neither tokio nor async-std nor mio.
//!
//! ```no_run
//! use redis_sansio_client::prelude::*;
//! use redis_sansio_client::smol::Connection;
//!
//! # fn demo() -> Result<(), redis_sansio_client::Error> {
//! smol::block_on(async {
//!     let mut conn = Connection::open("redis://127.0.0.1:6379").await?;
//!     conn.set("greeting", "hello").await?;
//!     let greeting = conn.get("greeting").await?;
//!     # let _ = greeting;
//!     Ok(())
//! })
//! # }
//! ```

/// The smol [`Runtime`](crate::io_async::Runtime), for the generic types.
pub use redis_io_async_std::smol::Smol;

runtime_aliases!(Smol, "smol");
