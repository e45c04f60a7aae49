//! What can go wrong on a connection, for every adapter.

use std::io;
use std::time::Duration;

use redis_sansio::cluster::ClusterError;
use redis_sansio::config::UrlError;
use redis_sansio::sentinel::SentinelError;
use redis_sansio::{CloseReason, RequestError, SendError, ServerError, ServerErrorKind};

use crate::tls::TlsError;

/// An error from any adapter: the async connection and client of `redis-io-async` and
/// the blocking connection and fan-out of `redis-io-sync`; both re-export this type.
///
/// Server errors, timeouts and closes of a single request come as [`Error::Request`];
/// the connection survives a server error or a timeout. Everything else describes why
/// the connection could not be opened or is no longer usable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL could not be parsed.
    #[error("invalid URL: {0}")]
    Url(#[from] UrlError),
    /// The host name did not resolve to any address.
    #[error("unknown host {host:?}")]
    UnknownHost {
        /// The host that was looked up.
        host: String,
        /// What the resolver said.
        #[source]
        source: io::Error,
    },
    /// Connecting failed: refused, timed out, or (Unix) no socket at that path.
    #[error("could not connect to {addr}: {source}")]
    Connect {
        /// The address tried.
        addr: String,
        /// Why it failed.
        #[source]
        source: io::Error,
    },
    /// The configuration asks for TLS (`rediss://`), but this build has no TLS: enable
    /// the `tls` feature (of the adapter crate, or `redis-client`).
    #[error("TLS (rediss://) needs the `tls` feature, which this build does not have")]
    TlsUnsupported,
    /// TLS failed: bad settings (PEM, server name), the server's certificate rejected,
    /// the server refusing the session (a client certificate required), or a
    /// handshake that did not complete. [`TlsError::kind`] says which; its source is
    /// the underlying error (a `rustls::Error` where rustls failed).
    #[error(transparent)]
    Tls(TlsError),
    /// Reading or writing the socket failed; the connection is closed.
    #[error("IO error: {0}")]
    Io(io::Error),
    /// The connection is closed, and why: the server closed it, the handshake failed
    /// (wrong password: [`CloseReason::Auth`]) or timed out, or a protocol error.
    #[error("connection closed: {0}")]
    Closed(CloseReason),
    /// This request failed: a server error, a timeout, or the connection closing
    /// while it was pending.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The call was refused before anything was sent (for example a regular command
    /// on a RESP2 connection in subscribed mode).
    #[error(transparent)]
    Send(#[from] SendError),
    /// The reply arrived but does not convert to the type asked for; the connection
    /// is unaffected.
    #[error(transparent)]
    Conversion(#[from] ConversionError),
    /// Sentinel discovery found no node to use: the master name is unknown to every
    /// sentinel that answered ([`SentinelError::UnknownMaster`]), or every sentinel was
    /// tried ([`SentinelError::Exhausted`], with each one's failure: unreachable, an
    /// error reply, a node whose `ROLE` did not match).
    #[error(transparent)]
    Sentinel(#[from] SentinelError),
    /// A connection pool could not hand out a connection. (When the pool cannot open
    /// one, the caller gets the open's own error instead, such as
    /// [`Error::Connect`].)
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// A cluster client could not run the request as a whole: its keys are in
    /// different slots (nothing was sent), redirects or retries went past their limits,
    /// no node serves the slot, or no node answered a topology request. The server's
    /// own errors still come as [`Error::Request`].
    #[error("cluster: {0}")]
    Cluster(#[from] ClusterError),
}

impl From<io::Error> for Error {
    /// [`Error::Tls`] when the IO error carries a [`TlsError`] (the TLS layer reports
    /// its failures through `Read`/`Write` that way), else [`Error::Io`].
    fn from(error: io::Error) -> Self {
        match TlsError::take_from(error) {
            Ok(tls) => Error::Tls(tls),
            Err(error) => Error::Io(error),
        }
    }
}

impl From<TlsError> for Error {
    fn from(error: TlsError) -> Self {
        Error::Tls(error)
    }
}

/// Why a connection pool handed out no connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// No connection came free within the pool's checkout timeout.
    #[error("timed out after {timeout:?} waiting for a pooled connection (pool of {max_size})")]
    CheckoutTimeout {
        /// The checkout timeout that passed.
        timeout: Duration,
        /// The pool's maximum size.
        max_size: usize,
    },
    /// The pool was closed, before or during the wait.
    #[error("the connection pool is closed")]
    Closed,
    /// Opening a connection for this caller failed, for a reason no longer known.
    #[error("opening a pooled connection failed")]
    OpenFailed,
}

/// A reply that does not fit the type it was asked to convert to, such as a bulk
/// string of letters read as an integer, or an array read as a `String`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {found} as {expected}")]
pub struct ConversionError {
    expected: &'static str,
    found: String,
}

impl ConversionError {
    /// A reply described by `found` (for example `"array of 3"` or `"bulk string
    /// \"abc\""`) did not convert to `expected` (for example `"i64"`).
    pub fn new(expected: &'static str, found: impl Into<String>) -> Self {
        ConversionError {
            expected,
            found: found.into(),
        }
    }

    /// The type that was asked for.
    pub fn expected(&self) -> &'static str {
        self.expected
    }

    /// What the reply was instead.
    pub fn found(&self) -> &str {
        &self.found
    }
}

impl Error {
    /// The server's refusal this error carries, as the reconnect supervisor
    /// ([`Supervisor::handle_connect_failed`](redis_sansio::supervisor::Supervisor::handle_connect_failed))
    /// takes it after a failed attempt to open (and set up) a connection: the
    /// handshake's close reason (a wrong password, a full server), or a request of the
    /// set-up refused for want of permission (`NOPERM`, as a `Handshake` refusal).
    /// `None` when no server refused anything (the socket did not open, say).
    pub fn refusal(&self) -> Option<CloseReason> {
        match self {
            Error::Closed(reason) => Some(reason.clone()),
            Error::Request(RequestError::Server(error))
                if error.kind() == &ServerErrorKind::NoPerm =>
            {
                Some(CloseReason::Handshake(error.clone()))
            }
            _ => None,
        }
    }

    /// The server's error, if this is one.
    pub fn server_error(&self) -> Option<&ServerError> {
        match self {
            Error::Request(RequestError::Server(error)) => Some(error),
            _ => None,
        }
    }

    /// The sentinel discovery error, if this is one.
    pub fn sentinel_error(&self) -> Option<&SentinelError> {
        match self {
            Error::Sentinel(error) => Some(error),
            _ => None,
        }
    }

    /// The TLS failure, if this is one.
    pub fn tls_error(&self) -> Option<&TlsError> {
        match self {
            Error::Tls(error) => Some(error),
            _ => None,
        }
    }

    /// The cluster-level reason, if this is a cluster client's own error.
    pub fn cluster_error(&self) -> Option<&ClusterError> {
        match self {
            Error::Cluster(error) => Some(error),
            _ => None,
        }
    }

    /// Whether this error means the connection (or the attempt to open one) failed,
    /// as opposed to the server answering with an error or the call being refused:
    /// connect and name errors, TLS and IO errors, and closes (including a request that
    /// failed because the connection closed while it was pending).
    pub fn is_connection_failure(&self) -> bool {
        matches!(
            self,
            Error::UnknownHost { .. }
                | Error::Connect { .. }
                | Error::Tls(_)
                | Error::Io(_)
                | Error::Closed(_)
                | Error::Request(RequestError::Closed(_))
        )
    }

    /// The kind of the server's error (`WRONGTYPE`, `NOSCRIPT`, `BUSY`, ...), if the
    /// server answered with one: `match err.server_kind() { Some(ServerErrorKind::WrongType) => .. }`.
    pub fn server_kind(&self) -> Option<&ServerErrorKind> {
        self.server_error().map(ServerError::kind)
    }

    /// Whether a deadline passed: a request's response timeout (the request was sent:
    /// see [`is_unknown_outcome`](Self::is_unknown_outcome)), the handshake's, a pool
    /// checkout's, or a connect or socket operation that timed out.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Request(RequestError::Timeout) => true,
            Error::Pool(PoolError::CheckoutTimeout { .. }) => true,
            Error::Connect { source, .. } | Error::Io(source) => {
                source.kind() == io::ErrorKind::TimedOut
            }
            _ => matches!(self.close_reason(), Some(CloseReason::HandshakeTimeout)),
        }
    }

    /// Whether an open connection was lost (the server closed it, a socket error, a
    /// protocol error, a local close): a request failed because of it, sent or not,
    /// or the call found the connection already closed. A connection that could not
    /// be opened at all is [`is_connection_failure`](Self::is_connection_failure)
    /// instead. The bodies that reconnect do so on their next use.
    pub fn is_connection_dropped(&self) -> bool {
        matches!(
            self,
            Error::Io(_)
                | Error::Closed(_)
                | Error::Request(RequestError::Closed(_) | RequestError::NotSent(_))
                | Error::Send(SendError::Closed)
        )
    }

    /// Whether the request reached the server and its outcome is unknown: the
    /// connection closed before the reply, or the response timeout passed. A write in
    /// this state may have been applied; only the caller knows whether sending it
    /// again is safe. A request that was never sent
    /// ([`RequestError::NotSent`]) is not unknown: it did not run.
    pub fn is_unknown_outcome(&self) -> bool {
        matches!(self, Error::Request(error) if error.is_unknown_outcome())
    }

    /// Why the connection closed, if this error says so: [`Error::Closed`], or a
    /// request that failed because the connection closed while it was pending (sent
    /// or not).
    pub fn close_reason(&self) -> Option<&CloseReason> {
        match self {
            Error::Closed(reason)
            | Error::Request(RequestError::Closed(reason) | RequestError::NotSent(reason)) => {
                Some(reason)
            }
            _ => None,
        }
    }
}
