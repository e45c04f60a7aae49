//! What can go wrong in the application cache, as one typed error.

use std::fmt;

use bytes::Bytes;

use crate::Error;

/// A boxed error from a serializer, a compressor or a `get_or_compute` computation.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The error of every [`Cache`](super::Cache) and [`HerdCache`](super::HerdCache) call.
///
/// Bad data under a cache key is never a panic: a value of another type, or one
/// without the cache's header, is [`Foreign`](Self::Foreign); a value with the
/// header that fails to decompress or deserialize is [`Corrupt`](Self::Corrupt).
#[derive(Debug)]
#[non_exhaustive]
pub enum CacheError {
    /// The connection or the server failed (an IO error, a timeout, a server error
    /// other than a wrong type under the key).
    Redis(Error),
    /// The key holds something the cache did not write: another Redis type, or a
    /// string without the cache's entry header.
    Foreign {
        /// The Redis key.
        key: Bytes,
        /// What was found there.
        found: &'static str,
    },
    /// The key holds a cache entry that cannot be read back: a truncated header, a
    /// compressed payload but no compressor, a compressor or serializer that refused
    /// the bytes.
    Corrupt {
        /// The Redis key.
        key: Bytes,
        /// Why it could not be read.
        source: BoxError,
    },
    /// The serializer or the compressor refused a value before anything was sent.
    Encode(BoxError),
    /// The computation given to `get_or_compute` failed; nothing was stored.
    Compute(BoxError),
    /// A TTL (or herd timeout) below one millisecond: Redis would refuse it.
    InvalidTtl,
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheError::Redis(error) => write!(f, "cache: {error}"),
            CacheError::Foreign { key, found } => write!(
                f,
                "cache key {:?} holds {found}, not a cache entry",
                String::from_utf8_lossy(key)
            ),
            CacheError::Corrupt { key, source } => write!(
                f,
                "cache entry {:?} cannot be read: {source}",
                String::from_utf8_lossy(key)
            ),
            CacheError::Encode(error) => write!(f, "cache: value not encoded: {error}"),
            CacheError::Compute(error) => write!(f, "cache: computation failed: {error}"),
            CacheError::InvalidTtl => f.write_str("cache: a TTL must be at least 1 ms"),
        }
    }
}

impl std::error::Error for CacheError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CacheError::Redis(error) => Some(error),
            CacheError::Corrupt { source, .. }
            | CacheError::Encode(source)
            | CacheError::Compute(source) => Some(&**source),
            CacheError::Foreign { .. } | CacheError::InvalidTtl => None,
        }
    }
}

impl From<Error> for CacheError {
    fn from(error: Error) -> Self {
        CacheError::Redis(error)
    }
}

impl CacheError {
    /// `error` for a request on `key`: a `WRONGTYPE` reply means the key holds
    /// another type, so [`Foreign`](Self::Foreign); anything else is
    /// [`Redis`](Self::Redis).
    pub(crate) fn on_key(key: &Bytes, error: Error) -> Self {
        let wrong_type = error
            .server_error()
            .is_some_and(|e| *e.kind() == crate::ServerErrorKind::WrongType);
        if wrong_type {
            CacheError::Foreign {
                key: key.clone(),
                found: "a value of another Redis type",
            }
        } else {
            CacheError::Redis(error)
        }
    }

    /// A message as an error source.
    pub(crate) fn corrupt(key: &Bytes, why: impl Into<BoxError>) -> Self {
        CacheError::Corrupt {
            key: key.clone(),
            source: why.into(),
        }
    }
}
