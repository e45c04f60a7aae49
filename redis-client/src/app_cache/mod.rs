//! Application-level caching over any body, after aredis's `Cache` and `HerdCache`:
//! values computed by the application, stored in Redis under namespaced keys.
//!
//! (Not to be confused with client-side caching, where the client keeps copies of
//! server values and Redis invalidates them: that lives in `redis_sansio::cache`.)
//!
//! - [`Cache`]: `get`, `set` with a TTL, `set_many`, `exists`, `delete`,
//!   `delete_many`, `ttl` and `get_or_compute`, through a replaceable [`Identity`]
//!   (how a [`Key`] and its arguments become a Redis key), [`Serializer`] ([`Raw`],
//!   `JsonSerializer` with the `serde` feature) and optional [`Compressor`] (`Lz4`
//!   with the `lz4` feature).
//! - [`HerdCache`]: entries carry their own logical expiry, and one reader at a
//!   time (elected atomically by a Lua script, across processes) recomputes an
//!   expired value while the others keep the old one.
//!
//! Both work on every body through [`CacheBody`]: the blocking connection and
//! cluster connection return results, the async exclusive connection, multiplexed
//! client and cluster client return futures. The logic is written once, as async
//! code; the blocking bodies run it to completion at once.
//!
//! Bad data under a cache key (another Redis type, bytes the cache did not write, a
//! payload that does not decompress or deserialize) is a [`CacheError`], never a
//! panic. See `docs/app-cache.md` for the entry format.

mod body;
mod cache;
mod codec;
mod error;
mod herd;
mod key;

pub use body::{Async, Blocking, CacheBody, CacheFuture, Compute};
pub use cache::{Cache, DEFAULT_COMPRESS_MIN_LEN};
#[cfg(feature = "serde")]
pub use codec::JsonSerializer;
#[cfg(feature = "lz4")]
pub use codec::Lz4;
pub use codec::{Compressor, Raw, Serializer};
pub use error::{BoxError, CacheError};
pub use herd::{DEFAULT_HERD_TIMEOUT, HerdCache, Lookup};
pub use key::{HashedArgs, Identity, JoinedArgs, Key};
