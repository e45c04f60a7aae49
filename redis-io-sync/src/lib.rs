//! Blocking adapter for [`redis_sansio`]: std sockets (TCP and Unix) driven by the
//! core's state machine.
//!
//! - [`Connection`]: one blocking connection; requests, pipelines, transactions,
//!   pub/sub messages.
//!   With [`Connection::with_cache`], client-side caching: cacheable reads are
//!   answered from memory until the server invalidates their key.
//! - [`Fanout`]: many connections to many servers driven by one `mio` loop on one
//!   thread; one [`Fanout::run`] does the IO of every queued request at once.
//! - [`wait_any`]: waits on several connections at once (subscribed ones, say) and
//!   says which has an event first.
//! - [`transport`]: opening the socket (TCP with `TCP_NODELAY`, or Unix), with the
//!   configured connect timeout, and TLS on it for `rediss://` (feature `tls`).
//!
//! **TLS** is `redis-io-base`'s one implementation ([`redis_io_base::tls`]): its
//! `TlsSession` driven over the std socket (and over the mio socket in [`Fanout`]),
//! the handshake inside `connect` bounded by the connect timeout. Turn it on with the
//! `tls` feature and a `rediss://` URL or the `ConnectionConfig::with_tls_*` settings;
//! failures are [`Error::Tls`]. Without the feature, TLS configurations fail with
//! [`Error::TlsUnsupported`].
//!
//! The adapter owns the socket and the timer (the socket's read timeout) and nothing
//! else: every protocol decision is the core's.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod blocking;
mod caching;
mod fanout;
mod tls;
pub mod transport;
mod wait_any;

pub use blocking::Connection;
pub use fanout::{ConnId, Fanout};
/// The outcome of one request: its reply, or why it has none.
pub type Outcome = Result<redis_sansio::resp::Frame, redis_sansio::RequestError>;
/// The error type every adapter shares, defined once in `redis-io-base`, the small
/// crate under both adapter families.
pub use redis_io_base::{ConversionError, Error, TLS_SUPPORTED, TlsError, TlsErrorKind};
pub use wait_any::wait_any;
