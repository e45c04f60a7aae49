//! Connection settings, and parsing them from `redis://`, `rediss://` and `unix://` URLs
//! (and their Valkey spellings `valkey://`, `valkeys://` and `valkey+unix://`).
//!
//! [`ConnectionConfig`] holds everything an adapter needs to open a connection and
//! everything the handshake sends (`HELLO`, `AUTH`, `SELECT`, `CLIENT SETNAME`,
//! `CLIENT SETINFO`). It is plain data: nothing here opens a socket, resolves a name
//! or reads a clock. This file is the model; the URL grammar (parsing, writing back,
//! [`UrlError`]) is in `config/url.rs`, the limits' and TLS options in their own files.
//!
//! ```
//! use std::time::Duration;
//! use redis_sansio::config::{ConnectionConfig, ProtocolVersion, ServerAddr};
//!
//! let config: ConnectionConfig =
//!     "rediss://app:s%40cret@cache.example:6380/2?protocol=2&timeout=500ms".parse()?;
//! assert_eq!(config.addr, ServerAddr::tcp("cache.example", 6380));
//! assert!(config.tls);
//! assert_eq!(config.username.as_deref(), Some("app"));
//! assert_eq!(config.password.as_ref().map(|p| p.expose()), Some("s@cret"));
//! assert_eq!(config.db, 2);
//! assert_eq!(config.protocol, ProtocolVersion::Resp2);
//! assert_eq!(config.response_timeout, Some(Duration::from_millis(500)));
//!
//! // Debug and Display never show the password.
//! assert_eq!(
//!     config.to_string(),
//!     "rediss://app:***@cache.example:6380/2?protocol=2&response_timeout=0.5"
//! );
//! assert!(!format!("{config:?}").contains("s@cret"));
//! # Ok::<(), redis_sansio::config::UrlError>(())
//! ```

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

mod limits;
mod tls;
mod url;

pub use limits::PushLimits;
pub use tls::{ClientIdentity, Pem, TlsOptions};
pub use url::UrlError;

use crate::resp::DecodeLimits;

/// The RESP version a connection asks for in its `HELLO`.
///
/// This is the encoder's [`crate::resp::Version`] under a second name, so the
/// handshake's choice and the codec's mode are one type and never need converting.
pub type ProtocolVersion = crate::resp::Version;

/// The port Redis listens on unless told otherwise, and the default of every URL.
pub const DEFAULT_PORT: u16 = 6379;

/// The host a URL without one designates, and the host of [`ServerAddr::default`].
///
/// The URL scheme registration says an absent host means "localhost (or equivalent)";
/// the loopback address is that equivalent without a name lookup.
pub const DEFAULT_HOST: &str = "127.0.0.1";

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServerAddr {
    /// A TCP endpoint. An IPv6 `host` is stored without brackets (`::1`).
    Tcp {
        /// A host name, an IPv4 address or an IPv6 address.
        host: String,
        /// The port.
        port: u16,
    },
    /// A Unix domain socket.
    Unix {
        /// The socket's path.
        path: PathBuf,
    },
}

impl ServerAddr {
    /// A TCP endpoint.
    pub fn tcp(host: impl Into<String>, port: u16) -> Self {
        ServerAddr::Tcp {
            host: host.into(),
            port,
        }
    }

    /// A Unix domain socket.
    pub fn unix(path: impl Into<PathBuf>) -> Self {
        ServerAddr::Unix { path: path.into() }
    }
}

impl Default for ServerAddr {
    /// `127.0.0.1:6379`.
    fn default() -> Self {
        ServerAddr::tcp(DEFAULT_HOST, DEFAULT_PORT)
    }
}

impl fmt::Display for ServerAddr {
    /// `host:port`, with an IPv6 host in brackets (`[::1]:6379`); a Unix socket's path
    /// as it is.
    ///
    /// ```
    /// use redis_sansio::config::ServerAddr;
    ///
    /// assert_eq!(ServerAddr::tcp("::1", 6379).to_string(), "[::1]:6379");
    /// assert_eq!(ServerAddr::tcp("localhost", 7000).to_string(), "localhost:7000");
    /// assert_eq!(ServerAddr::unix("/tmp/redis.sock").to_string(), "/tmp/redis.sock");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerAddr::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            ServerAddr::Tcp { host, port } => write!(f, "{host}:{port}"),
            ServerAddr::Unix { path } => write!(f, "{}", path.display()),
        }
    }
}

/// A password that stays out of logs: its `Debug` and `Display` print `***`.
///
/// ```
/// use redis_sansio::config::Password;
///
/// let password = Password::new("hunter2");
/// assert_eq!(format!("{password} {password:?}"), "*** ***");
/// assert_eq!(password.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Password(password.into())
    }

    /// The password itself, for the `AUTH` or `HELLO` that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Password {
    fn from(password: String) -> Self {
        Password(password)
    }
}

impl From<&str> for Password {
    fn from(password: &str) -> Self {
        Password(password.to_owned())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Everything needed to open and set up one connection.
///
/// Build it from a URL ([`ConnectionConfig::from_url`], or `str::parse`), or from
/// [`ConnectionConfig::default`] and the `with_*` methods. The fields are public;
/// the struct is `#[non_exhaustive]` so that settings can be added without breaking
/// callers, which is why other crates build it through
/// `default()` and the builders rather than a struct literal.
///
/// `Debug` and `Display` never show the password: `Display` writes the URL with
/// `***` in its place, and [`ConnectionConfig::to_url_with_password`] writes the real
/// one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionConfig {
    /// Where the server listens. Default: `127.0.0.1:6379`.
    pub addr: ServerAddr,
    /// Whether to speak TLS (`rediss://`). Default: `false`. URLs cannot express TLS
    /// over a Unix socket, so [`ConnectionConfig::to_url_with_password`] leaves it out
    /// for one (a Unix socket needs [`TlsOptions::server_name`] for TLS anyway).
    pub tls: bool,
    /// How TLS verifies the server and authenticates the client, when [`tls`](Self::tls)
    /// is on. Default: [`TlsOptions::default`] (the system's root certificates, the
    /// host's name, no client certificate). A `rediss://` URL sets them with its
    /// `tls_*` options, and [`ConnectionConfig::to_url_with_password`] and `Display`
    /// write them so, except PEM held in memory, which no URL can carry.
    pub tls_options: TlsOptions,
    /// The ACL user to authenticate as. Default: `None` (the `default` user).
    pub username: Option<String>,
    /// The password to authenticate with. Default: `None` (no `AUTH`).
    pub password: Option<Password>,
    /// The database to `SELECT`. Default: `0` (no `SELECT` needed).
    pub db: i64,
    /// The protocol to ask for in `HELLO`. Default: [`ProtocolVersion::Resp3`].
    pub protocol: ProtocolVersion,
    /// The name to set with `CLIENT SETNAME`. Default: `None`.
    pub client_name: Option<String>,
    /// How long an adapter waits for the socket to open, and then for the TLS
    /// handshake and the Redis handshake, each. Default: `None`: the socket has no
    /// limit beyond the operating system's, and each handshake has
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`](crate::conn::DEFAULT_HANDSHAKE_TIMEOUT) (10 s).
    pub connect_timeout: Option<Duration>,
    /// How long a request may wait for its reply; a blocking command (`BLPOP`,
    /// `XREAD BLOCK`...) waits its own timeout plus this, or plus
    /// [`DEFAULT_BLOCKING_MARGIN`](crate::conn::DEFAULT_BLOCKING_MARGIN) (2 s) when it is
    /// `None`. Default: `None` (no limit on other requests).
    pub response_timeout: Option<Duration>,
    /// The library name sent with `CLIENT SETINFO LIB-NAME`. Default:
    /// `Some("redis-sansio")`; `None` sends nothing.
    pub lib_name: Option<String>,
    /// The library version sent with `CLIENT SETINFO LIB-VER`. Default: this crate's
    /// version; `None` sends nothing.
    pub lib_ver: Option<String>,
    /// The bounds the reply decoder enforces on what the server sends: nesting depth,
    /// bulk string length, aggregate length, bytes of one reply. Default:
    /// [`DecodeLimits::default`] (depth 256, bulk strings up to 512 MiB, aggregates up
    /// to 2^31 - 1 elements, a reply up to 1 GiB). Raise the depth for Lua scripts
    /// whose replies nest deeper; lower the sizes to bound memory (they bound the
    /// handshake's replies too). A reply past a limit closes the connection with a
    /// protocol error. URL options `max_depth`,
    /// `max_bulk_len`, `max_aggregate_len`, `max_frame_size` (positive integers;
    /// sizes in bytes).
    pub decode_limits: DecodeLimits,
    /// How many pushes and messages an exclusive connection keeps unread before it
    /// closes: see [`PushLimits`] for the policy. Default: [`PushLimits::default`]
    /// (100,000 pushes, 32 MiB). URL options `max_pushes`, `max_push_bytes`.
    pub push_limits: PushLimits,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            addr: ServerAddr::default(),
            tls: false,
            tls_options: TlsOptions::default(),
            username: None,
            password: None,
            db: 0,
            protocol: ProtocolVersion::Resp3,
            client_name: None,
            connect_timeout: None,
            response_timeout: None,
            lib_name: Some("redis-sansio".to_owned()),
            lib_ver: Some(env!("CARGO_PKG_VERSION").to_owned()),
            decode_limits: DecodeLimits::default(),
            push_limits: PushLimits::default(),
        }
    }
}

impl ConnectionConfig {
    /// The defaults, connecting to `addr`.
    pub fn new(addr: ServerAddr) -> Self {
        ConnectionConfig {
            addr,
            ..ConnectionConfig::default()
        }
    }

    /// Sets [`addr`](Self::addr).
    #[must_use]
    pub fn with_addr(mut self, addr: ServerAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Sets [`tls`](Self::tls).
    #[must_use]
    pub fn with_tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Sets [`tls_options`](Self::tls_options) and turns [`tls`](Self::tls) on.
    #[must_use]
    pub fn with_tls_options(mut self, options: TlsOptions) -> Self {
        self.tls_options = options;
        self.tls = true;
        self
    }

    /// Adds certificate authorities to trust (PEM text, one or more certificates) to
    /// [`TlsOptions::ca_certs`] and turns [`tls`](Self::tls) on.
    #[must_use]
    pub fn with_tls_ca_pem(mut self, pem: impl Into<bytes::Bytes>) -> Self {
        self.tls_options.ca_certs.push(Pem::text(pem));
        self.tls = true;
        self
    }

    /// Adds a file of certificate authorities to trust (PEM, read each time a
    /// connection is made) to [`TlsOptions::ca_certs`] and turns [`tls`](Self::tls)
    /// on. The URL form is the `tls_ca_file` query option.
    #[must_use]
    pub fn with_tls_ca_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.tls_options.ca_certs.push(Pem::file(path));
        self.tls = true;
        self
    }

    /// Sets [`TlsOptions::system_roots`] (whether the system's root certificates are
    /// trusted) and turns [`tls`](Self::tls) on.
    #[must_use]
    pub fn with_tls_system_roots(mut self, trusted: bool) -> Self {
        self.tls_options.system_roots = trusted;
        self.tls = true;
        self
    }

    /// Sets [`TlsOptions::client_identity`] (the certificate presented to servers with
    /// `tls-auth-clients yes`) and turns [`tls`](Self::tls) on.
    #[must_use]
    pub fn with_tls_client_identity(mut self, identity: ClientIdentity) -> Self {
        self.tls_options.client_identity = Some(identity);
        self.tls = true;
        self
    }

    /// Sets [`TlsOptions::server_name`] (the name the server's certificate is verified
    /// against, instead of the host) and turns [`tls`](Self::tls) on.
    #[must_use]
    pub fn with_tls_server_name(mut self, name: impl Into<String>) -> Self {
        self.tls_options.server_name = Some(name.into());
        self.tls = true;
        self
    }

    /// Sets [`username`](Self::username).
    #[must_use]
    pub fn with_username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Sets [`password`](Self::password).
    #[must_use]
    pub fn with_password(mut self, password: impl Into<Password>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Sets [`db`](Self::db).
    #[must_use]
    pub fn with_db(mut self, db: i64) -> Self {
        self.db = db;
        self
    }

    /// Sets [`protocol`](Self::protocol).
    #[must_use]
    pub fn with_protocol(mut self, protocol: ProtocolVersion) -> Self {
        self.protocol = protocol;
        self
    }

    /// Sets [`client_name`](Self::client_name). Redis refuses names with spaces,
    /// newlines or bytes outside printable ASCII; URLs are checked for that, this
    /// setter is not.
    #[must_use]
    pub fn with_client_name(mut self, name: impl Into<String>) -> Self {
        self.client_name = Some(name.into());
        self
    }

    /// Sets [`connect_timeout`](Self::connect_timeout).
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Sets [`response_timeout`](Self::response_timeout).
    #[must_use]
    pub fn with_response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = Some(timeout);
        self
    }

    /// Sets [`lib_name`](Self::lib_name); `None` sends no `CLIENT SETINFO LIB-NAME`.
    #[must_use]
    pub fn with_lib_name(mut self, name: Option<String>) -> Self {
        self.lib_name = name;
        self
    }

    /// Sets [`lib_ver`](Self::lib_ver); `None` sends no `CLIENT SETINFO LIB-VER`.
    #[must_use]
    pub fn with_lib_ver(mut self, version: Option<String>) -> Self {
        self.lib_ver = version;
        self
    }

    /// Sets [`decode_limits`](Self::decode_limits).
    #[must_use]
    pub fn with_decode_limits(mut self, limits: DecodeLimits) -> Self {
        self.decode_limits = limits;
        self
    }

    /// Sets [`push_limits`](Self::push_limits).
    #[must_use]
    pub fn with_push_limits(mut self, limits: PushLimits) -> Self {
        self.push_limits = limits;
        self
    }
}
