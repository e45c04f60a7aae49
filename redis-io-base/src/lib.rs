//! What both adapter families of `redis-sansio` share, below them: the blocking one
//! (`redis-io-sync`) and the async one (`redis-io-async`, with its runtimes) depend
//! on this crate, and neither on the other.
//!
//! - [`Error`]: what can go wrong on a connection, for every adapter (each re-exports
//!   it).
//! - [`tls`]: TLS for `rediss://`, written once as a sans-IO [`tls::TlsSession`] over
//!   any `Read + Write` (feature `tls`; without it, a TLS configuration fails with
//!   [`Error::TlsUnsupported`]).
//! - [`unix_sockets_unsupported`]: the one error every adapter gives for a Unix
//!   socket where the platform has none.
//!
//! No sockets are opened here and no runtime is pulled in.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
pub mod tls;

use std::io;

pub use error::{ConversionError, Error, PoolError};
pub use tls::{TLS_SUPPORTED, TlsError, TlsErrorKind};

/// The error a Unix-socket connect fails with where there are no Unix sockets: the
/// blocking transport and every async runtime's `connect_unix` return this one.
pub fn unix_sockets_unsupported() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "Unix sockets need a Unix system",
    )
}
