//! A sans-IO Redis protocol core.
//!
//! This crate knows the Redis protocol and nothing about sockets, clocks or runtimes:
//! bytes go in and out through buffers, and IO adapters (blocking, tokio, async-std,
//! smol) are thin layers around it.
//!
//! - [`resp`]: RESP2 and RESP3 values, an incremental zero-copy decoder, the encoder,
//!   and a request decoder for servers and proxies.
//! - [`Cmd`]: a command being built, encoded as it grows.
//! - [`ProtocolError`]: bytes that break the protocol or a limit.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cmd;
mod error;
pub mod resp;

pub use cmd::Cmd;
pub use error::ProtocolError;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;
