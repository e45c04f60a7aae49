//! What can go wrong with TLS: one error type, present with or without the `tls`
//! feature, so code matching on [`Error::Tls`](crate::Error::Tls) compiles either way.

use std::error::Error as StdError;
use std::fmt;
use std::io;

/// Why a TLS connection failed: its [`kind`](Self::kind), and the underlying error as
/// its [`source`](StdError::source) (a `rustls::Error` for certificate and protocol
/// failures, an [`io::Error`] for a handshake that did not complete, a PEM error for
/// bad settings).
///
/// It comes as [`Error::Tls`](crate::Error::Tls) from `connect`/`open` on every
/// adapter, and from a call whose read met a TLS failure (a TLS 1.3 server refuses a
/// missing client certificate only after the handshake, on the first read).
#[derive(Debug)]
pub struct TlsError {
    kind: TlsErrorKind,
    source: Box<dyn StdError + Send + Sync>,
}

/// What kind of TLS failure a [`TlsError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsErrorKind {
    /// The settings cannot be used: a PEM file that cannot be read, a CA
    /// certificate, client certificate or key that is not PEM or does not parse, a key
    /// that does not fit, or no root certificate to trust at all. Found before any
    /// connection is attempted.
    Config,
    /// No valid name to verify the server's certificate against: the host (or
    /// `server_name`) is neither a DNS name nor an IP address, or a Unix socket was
    /// given no `server_name`. Found before any connection is attempted.
    ServerName,
    /// The server's certificate was rejected: not signed by a trusted authority,
    /// expired, or not valid for the server name.
    Certificate,
    /// The server sent a fatal alert: it refused the handshake, for example because it
    /// requires a client certificate (`tls-auth-clients yes`) or does not trust the
    /// one presented, or shares no protocol version or cipher suite with us.
    Alert,
    /// Any other TLS protocol failure: the peer sent something that is not TLS (such
    /// as a plain-text Redis port answering a TLS hello) or a record that does not
    /// decrypt.
    Protocol,
    /// The handshake did not complete: it ran past the connect timeout, or the
    /// connection was closed or broke during it.
    Handshake,
    /// The port does not seem to speak TLS: the server answered the TLS hello with
    /// bytes that are not TLS (a plain-text Redis port answers `-ERR ...`, found as
    /// soon as they arrive), or with nothing at all until the handshake timed out.
    /// Use `redis://`, or the server's TLS port.
    PlainText,
}

impl TlsError {
    /// A TLS error of `kind` caused by `source`.
    pub fn new(kind: TlsErrorKind, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        TlsError {
            kind,
            source: source.into(),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> TlsErrorKind {
        self.kind
    }

    /// The error a handshake that failed with `error` amounts to: the TLS error it
    /// carries, if the TLS layer put one there (see [`into_io`](Self::into_io)), else
    /// [`TlsErrorKind::Handshake`] with `error` as the source (a timeout, an early
    /// EOF, a broken socket).
    pub fn from_handshake(error: io::Error) -> Self {
        match Self::take_from(error) {
            Ok(tls) => tls,
            Err(error) => TlsError::new(TlsErrorKind::Handshake, error),
        }
    }

    /// This error inside an [`io::Error`] (kind `InvalidData`), for the IO paths
    /// (`Read`, `Write`, sockets) that carry only `io::Error`s. `From<io::Error>` for
    /// [`Error`](crate::Error) takes it out again as [`Error::Tls`](crate::Error::Tls).
    pub fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }

    /// The TLS error inside `error`, if it holds one; otherwise `error` unchanged.
    pub(crate) fn take_from(error: io::Error) -> Result<TlsError, io::Error> {
        if !error.get_ref().is_some_and(|inner| inner.is::<TlsError>()) {
            return Err(error);
        }
        let kind = error.kind();
        match error.into_inner().map(|inner| inner.downcast::<TlsError>()) {
            Some(Ok(tls)) => Ok(*tls),
            Some(Err(inner)) => Err(io::Error::new(kind, inner)),
            None => Err(kind.into()),
        }
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TlsErrorKind::Config => "invalid TLS settings",
            TlsErrorKind::ServerName => "no valid TLS server name",
            TlsErrorKind::Certificate => "the server's TLS certificate was rejected",
            TlsErrorKind::Alert => "the server refused the TLS session",
            TlsErrorKind::Protocol => "TLS protocol error",
            TlsErrorKind::Handshake => "the TLS handshake did not complete",
            TlsErrorKind::PlainText => {
                "the server does not speak TLS on this port (is it a plain-text port? use redis://)"
            }
        };
        write!(f, "{what}: {}", self.source)
    }
}

impl StdError for TlsError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tls_error_survives_a_trip_through_io_error() {
        let error = TlsError::new(TlsErrorKind::Alert, "certificate required").into_io();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        let back = TlsError::take_from(error).expect("still a TLS error");
        assert_eq!(back.kind(), TlsErrorKind::Alert);
        assert_eq!(
            back.to_string(),
            "the server refused the TLS session: certificate required"
        );
    }

    #[test]
    fn other_io_errors_are_handshake_failures() {
        let timeout = io::Error::new(io::ErrorKind::TimedOut, "connect timed out");
        let error = TlsError::from_handshake(timeout);
        assert_eq!(error.kind(), TlsErrorKind::Handshake);
        let source = error.source().and_then(|s| s.downcast_ref::<io::Error>());
        assert_eq!(source.map(io::Error::kind), Some(io::ErrorKind::TimedOut));
        let plain = io::Error::other("plain");
        assert_eq!(
            TlsError::take_from(plain).map_err(|e| e.to_string()).err(),
            Some("plain".to_owned())
        );
    }
}
