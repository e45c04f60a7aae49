//! TLS (`rediss://`) for every adapter, written once: rustls's sans-IO client session
//! driven over whatever socket the adapter has.
//!
//! - [`TlsSession`]: one client session over any `Read + Write`, blocking or not. The
//!   blocking connection and the mio fan-out (`redis-io-sync`) drive it over std and
//!   mio sockets; the async driver (`redis-io-async`) drives it over any runtime's socket,
//!   so tokio, async-std and smol get TLS from the same
//!   code, with no tokio-rustls or futures-rustls.
//! - [`TlsError`]: what failed, as [`Error::Tls`](crate::Error::Tls).
//!
//! **Where the settings live.** TLS is on when [`ConnectionConfig::tls`] is (a
//! `rediss://` URL, or any `with_tls_*` setter), and configured by
//! [`ConnectionConfig::tls_options`]: plain data in the sans-IO core (PEM bytes, a
//! server name, whether to trust the system's roots), which this module turns into a
//! rustls `ClientConfig` when a connection opens. So every entry point that builds
//! connections from a configuration (`open(url)`, `connect(config)`, pools, the
//! cluster and sentinel clients) speaks TLS with no new parameter. A `ClientConfig` is
//! built once per distinct options and shared (see `client_config.rs`).
//!
//! **What is verified**: the server's certificate chain against the trusted roots
//! (the system's, from `rustls-native-certs`, unless turned off, plus any CA given as
//! PEM) and against the server name (the host, or `server_name` when set; IP addresses
//! are matched against the certificate's IP SANs). TLS 1.2 and 1.3, rustls's safe
//! defaults, the ring provider. A client certificate is presented when one is
//! configured and the server asks. There is no way to skip verification.
//!
//! **Connecting**: the TLS handshake runs inside `connect`/`open`, after the socket
//! opens and before the Redis handshake, bounded by
//! [`ConnectionConfig::connect_timeout`] (10 s without one: [`handshake_timeout`]).
//! The end of the stream is the server's `close_notify` or the socket's EOF (Redis
//! replies are self-delimiting, so a missing `close_notify` cannot make a reply look
//! complete); closing sends `close_notify` as far as the socket takes it at once.
//!
//! Without the `tls` feature, [`TlsSession`] is a type with no values whose `new`
//! fails with [`Error::TlsUnsupported`](crate::Error::TlsUnsupported), so `rediss://`
//! fails with that typed error before any socket opens. [`TLS_SUPPORTED`] says which
//! build this is.
//!
//! [`ConnectionConfig::tls`]: redis_sansio::config::ConnectionConfig::tls
//! [`ConnectionConfig::tls_options`]: redis_sansio::config::ConnectionConfig::tls_options
//! [`ConnectionConfig::connect_timeout`]: redis_sansio::config::ConnectionConfig::connect_timeout

use std::time::Duration;

use redis_sansio::config::ConnectionConfig;

#[cfg(feature = "tls")]
mod client_config;
#[cfg(not(feature = "tls"))]
mod disabled;
mod error;
#[cfg(feature = "tls")]
mod session;

#[cfg(not(feature = "tls"))]
pub use disabled::TlsSession;
pub use error::{TlsError, TlsErrorKind};
#[cfg(feature = "tls")]
pub use session::TlsSession;

/// How long a TLS handshake may take: the connect timeout, or without one, as for the
/// Redis handshake that follows,
/// [`DEFAULT_HANDSHAKE_TIMEOUT`](redis_sansio::conn::DEFAULT_HANDSHAKE_TIMEOUT) (10 s), so
/// that a server that never answers cannot hold `connect` forever.
pub fn handshake_timeout(config: &ConnectionConfig) -> Duration {
    config
        .connect_timeout
        .unwrap_or(redis_sansio::conn::DEFAULT_HANDSHAKE_TIMEOUT)
}

/// Whether this build speaks TLS: `true` with the `tls` feature. Without it, a TLS
/// configuration fails to connect with
/// [`Error::TlsUnsupported`](crate::Error::TlsUnsupported).
pub const TLS_SUPPORTED: bool = cfg!(feature = "tls");

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use redis_sansio::config::ConnectionConfig;

    use super::handshake_timeout;

    #[test]
    fn the_tls_handshake_has_the_connect_timeout_or_else_ten_seconds() {
        let config = ConnectionConfig::default();
        assert_eq!(handshake_timeout(&config), Duration::from_secs(10));
        let config = config.with_connect_timeout(Duration::from_millis(250));
        assert_eq!(handshake_timeout(&config), Duration::from_millis(250));
    }
}
