//! When a sentinel-backed client discovers again: the errors that say the node it
//! uses is no longer the one wanted.

use redis_sansio::ServerErrorKind;
use redis_sansio::sentinel::Target;

use crate::Error;

/// True when `error` says the node was demoted: a write refused with `READONLY` while
/// the master is wanted. The command did not run, so it can be sent again.
pub(crate) fn is_demoted(target: Target, error: &Error) -> bool {
    target == Target::Master
        && error
            .server_error()
            .is_some_and(|error| *error.kind() == ServerErrorKind::ReadOnly)
}

/// True when `error` leaves the connection unusable: it closed, or its socket (or the
/// TLS session on it) broke.
pub(crate) fn is_broken(error: &Error) -> bool {
    error.close_reason().is_some() || matches!(error, Error::Io(_) | Error::Tls(_))
}
