//! [`Cache`]: values under namespaced keys, with a TTL, through a serializer and an
//! optional compressor, on any body.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use redis_sansio::Cmd;

use super::body::{CacheBody, Compute};
use super::codec::{self, Compression, Compressor, Raw, Serializer};
use super::error::CacheError;
use super::key::{HashedArgs, Identity, Key};
use crate::FromReply;
use crate::body_ops::AsyncBody;

/// Payloads shorter than this are not compressed by default: the saving would be
/// a few bytes at best.
pub const DEFAULT_COMPRESS_MIN_LEN: usize = 256;

/// An application-level cache: values of type `V` stored under Redis keys built from
/// a namespace and a [`Key`], with a TTL, on any body.
///
/// Its parts, each replaceable:
/// - the **namespace**, in front of every Redis key (`""` for none);
/// - the **identity** ([`Identity`]): how a key and its arguments become a Redis key,
///   by default [`HashedArgs`] (`namespace:name:<sha1 of the arguments>`);
/// - the **serializer** `S` ([`Serializer`]): [`Raw`] by default (byte strings and
///   strings as they are), `JsonSerializer` with the `serde` feature, or your own;
/// - the **compressor** ([`Compressor`]): none by default; [`Lz4`](super::Lz4) with the
///   `lz4` feature, or your own. Only payloads of at least
///   [`compress_min_len`](Self::compress_min_len) bytes are compressed, and only when
///   that shrinks them.
///
/// Every method takes the body first and answers the way the body does: the result
/// itself on the blocking connection, a future of it on async bodies.
///
/// ```no_run
/// # fn demo(conn: &mut redis_io_sync::Connection) -> Result<(), redis_client::app_cache::CacheError> {
/// use std::time::Duration;
/// use redis_client::app_cache::{Cache, Key};
///
/// let cache = Cache::new("reports");
/// let key = Key::new("monthly").arg(2024).arg("eu");
/// let report: String = cache.get_or_compute(&mut *conn, &key, Duration::from_secs(600), || {
///     Ok::<_, std::io::Error>("expensive".to_string())
/// })?;
/// assert_eq!(cache.get::<String, _>(&mut *conn, &key)?, Some(report));
/// # Ok(()) }
/// ```
///
/// The same on an async body, where the computation is a future, run only on a miss:
///
/// ```no_run
/// # async fn demo(client: &redis_io_async::Client<impl redis_io_async::Runtime>) -> Result<(), redis_client::app_cache::CacheError> {
/// # use std::time::Duration;
/// # use redis_client::app_cache::Cache;
/// let cache = Cache::new("reports");
/// let report: String = cache
///     .get_or_compute(client, "daily", Duration::from_secs(60), async {
///         Ok::<_, std::io::Error>("expensive".to_string())
///     })
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Cache<S = Raw> {
    namespace: Bytes,
    identity: Arc<dyn Identity>,
    serializer: S,
    compressor: Option<Arc<dyn Compressor>>,
    compress_min_len: usize,
}

impl Cache<Raw> {
    /// A cache under `namespace` (`""` for none), storing byte strings and strings as
    /// they are, uncompressed, with [`HashedArgs`] identities.
    pub fn new(namespace: impl Into<Bytes>) -> Self {
        Cache {
            namespace: namespace.into(),
            identity: Arc::new(HashedArgs),
            serializer: Raw,
            compressor: None,
            compress_min_len: DEFAULT_COMPRESS_MIN_LEN,
        }
    }
}

#[cfg(feature = "serde")]
impl Cache<super::JsonSerializer> {
    /// A cache under `namespace` storing any serde type as JSON (the `serde`
    /// feature): [`Cache::new`] with [`JsonSerializer`](super::JsonSerializer).
    pub fn json(namespace: impl Into<Bytes>) -> Self {
        Cache::new(namespace).serializer(super::JsonSerializer)
    }
}

impl<S> Cache<S> {
    /// The same cache with another identity generator.
    #[must_use]
    pub fn identity(mut self, identity: impl Identity + 'static) -> Self {
        self.identity = Arc::new(identity);
        self
    }

    /// The same cache with another serializer (and so other value types).
    #[must_use]
    pub fn serializer<S2>(self, serializer: S2) -> Cache<S2> {
        Cache {
            namespace: self.namespace,
            identity: self.identity,
            serializer,
            compressor: self.compressor,
            compress_min_len: self.compress_min_len,
        }
    }

    /// The same cache compressing payloads with `compressor`. Entries written
    /// uncompressed stay readable; entries written compressed need a compressor to
    /// be read ([`CacheError::Corrupt`] without one).
    #[must_use]
    pub fn compressor(mut self, compressor: impl Compressor + 'static) -> Self {
        self.compressor = Some(Arc::new(compressor));
        self
    }

    /// The same cache without compression.
    #[must_use]
    pub fn without_compressor(mut self) -> Self {
        self.compressor = None;
        self
    }

    /// The same cache compressing only payloads of at least `len` bytes (default
    /// [`DEFAULT_COMPRESS_MIN_LEN`]).
    #[must_use]
    pub fn compress_min_len(mut self, len: usize) -> Self {
        self.compress_min_len = len;
        self
    }

    /// The namespace.
    pub fn namespace(&self) -> &[u8] {
        &self.namespace
    }

    /// The Redis key `key` is stored under.
    pub fn redis_key(&self, key: impl Into<Key>) -> Bytes {
        Bytes::from(self.identity.identity(&self.namespace, &key.into()))
    }

    fn compression(&self) -> Compression<'_> {
        Compression {
            compressor: self.compressor.as_deref(),
            min_len: self.compress_min_len,
        }
    }

    /// The entry bytes for `value`.
    pub(crate) fn encode<V>(&self, value: &V) -> Result<Bytes, CacheError>
    where
        S: Serializer<V>,
    {
        let payload = self
            .serializer
            .serialize(value)
            .map_err(CacheError::Encode)?;
        codec::encode_entry(payload, self.compression())
    }

    /// The value of the entry `bytes` found under `id`.
    pub(crate) fn decode<V>(&self, id: &Bytes, bytes: &[u8]) -> Result<V, CacheError>
    where
        S: Serializer<V>,
    {
        let payload = codec::decode_entry(id, bytes, self.compression())?;
        self.serializer
            .deserialize(&payload)
            .map_err(|e| CacheError::corrupt(id, e))
    }
}

/// `SET id entry PX ttl`.
pub(crate) fn set_cmd(id: &Bytes, entry: &Bytes, ttl: Duration) -> Result<Cmd, CacheError> {
    Ok(Cmd::new("SET")
        .arg(id)
        .arg(entry)
        .arg("PX")
        .arg(ttl_ms(ttl)?))
}

/// `ttl` in whole milliseconds, at least one.
pub(crate) fn ttl_ms(ttl: Duration) -> Result<u64, CacheError> {
    match u64::try_from(ttl.as_millis()) {
        Ok(0) | Err(_) => Err(CacheError::InvalidTtl),
        Ok(ms) => Ok(ms),
    }
}

/// One request on `id`, its reply read as `T`; `WRONGTYPE` is
/// [`CacheError::Foreign`].
pub(crate) async fn request_on<B: AsyncBody, T: FromReply>(
    body: &mut B,
    id: &Bytes,
    cmd: Cmd,
) -> Result<T, CacheError> {
    let reply = body
        .request(&cmd)
        .await
        .map_err(|e| CacheError::on_key(id, e))?;
    T::from_reply(reply).map_err(CacheError::Redis)
}

impl<S: Send + Sync> Cache<S> {
    /// The value under `key`, or `None` when there is none (or it expired).
    ///
    /// A value the cache did not write is [`CacheError::Foreign`]; one it cannot
    /// read back is [`CacheError::Corrupt`].
    pub fn get<'a, V: Send + 'a, B: CacheBody<'a>>(
        &'a self,
        body: B,
        key: impl Into<Key>,
    ) -> B::Output<Result<Option<V>, CacheError>>
    where
        S: Serializer<V>,
    {
        let id = self.redis_key(key);
        B::drive(async move {
            let mut body = body;
            self.get_on(&mut body, id).await
        })
    }

    async fn get_on<V, B: AsyncBody>(
        &self,
        body: &mut B,
        id: Bytes,
    ) -> Result<Option<V>, CacheError>
    where
        S: Serializer<V>,
    {
        let entry: Option<Bytes> = request_on(body, &id, Cmd::new("GET").arg(&id)).await?;
        entry.map(|bytes| self.decode(&id, &bytes)).transpose()
    }

    /// Stores `value` under `key` for `ttl` (at least 1 ms), replacing what was there.
    pub fn set<'a, V, B: CacheBody<'a>>(
        &'a self,
        body: B,
        key: impl Into<Key>,
        value: &V,
        ttl: Duration,
    ) -> B::Output<Result<(), CacheError>>
    where
        S: Serializer<V>,
    {
        let id = self.redis_key(key);
        let cmd = self
            .encode(value)
            .and_then(|entry| set_cmd(&id, &entry, ttl));
        B::drive(async move {
            let mut body = body;
            request_on::<_, ()>(&mut body, &id, cmd?).await
        })
    }

    /// Stores each `(key, value)` for `ttl`, in one pipeline (one round trip).
    /// Nothing is sent when a value fails to encode.
    pub fn set_many<'a, 'v, K: Into<Key>, V: 'v, B: CacheBody<'a>>(
        &'a self,
        body: B,
        entries: impl IntoIterator<Item = (K, &'v V)>,
        ttl: Duration,
    ) -> B::Output<Result<(), CacheError>>
    where
        S: Serializer<V>,
    {
        let cmds: Result<Vec<(Bytes, Cmd)>, CacheError> = entries
            .into_iter()
            .map(|(key, value)| {
                let id = self.redis_key(key);
                let cmd = set_cmd(&id, &self.encode(value)?, ttl)?;
                Ok((id, cmd))
            })
            .collect();
        B::drive(async move {
            let mut body = body;
            let (ids, cmds): (Vec<Bytes>, Vec<Cmd>) = cmds?.into_iter().unzip();
            if cmds.is_empty() {
                return Ok(());
            }
            let outcomes = body.pipeline(&cmds).await.map_err(CacheError::Redis)?;
            for (id, outcome) in ids.iter().zip(outcomes) {
                outcome.map_err(|e| CacheError::on_key(id, crate::Error::Request(e)))?;
            }
            Ok(())
        })
    }

    /// Whether a value is stored under `key`.
    pub fn exists<'a, B: CacheBody<'a>>(
        &'a self,
        body: B,
        key: impl Into<Key>,
    ) -> B::Output<Result<bool, CacheError>> {
        self.on_key(body, "EXISTS", key, |n: i64| n > 0)
    }

    /// Removes the value under `key`; whether there was one.
    pub fn delete<'a, B: CacheBody<'a>>(
        &'a self,
        body: B,
        key: impl Into<Key>,
    ) -> B::Output<Result<bool, CacheError>> {
        self.on_key(body, "DEL", key, |n: i64| n > 0)
    }

    /// `command key`, its reply read as `T` and turned into the answer by `then`.
    fn on_key<'a, T: FromReply + 'a, R: Send + 'a, B: CacheBody<'a>>(
        &'a self,
        body: B,
        command: &'static str,
        key: impl Into<Key>,
        then: fn(T) -> R,
    ) -> B::Output<Result<R, CacheError>> {
        let id = self.redis_key(key);
        B::drive(async move {
            let mut body = body;
            let reply = request_on(&mut body, &id, Cmd::new(command).arg(&id)).await?;
            Ok(then(reply))
        })
    }

    /// Removes the values under `keys` in one `DEL`; how many there were.
    pub fn delete_many<'a, K: Into<Key>, B: CacheBody<'a>>(
        &'a self,
        body: B,
        keys: impl IntoIterator<Item = K>,
    ) -> B::Output<Result<u64, CacheError>> {
        let ids: Vec<Bytes> = keys.into_iter().map(|key| self.redis_key(key)).collect();
        B::drive(async move {
            let mut body = body;
            let Some(first) = ids.first() else {
                return Ok(0);
            };
            let mut del = Cmd::new("DEL");
            del.push_args(&ids);
            request_on(&mut body, first, del).await
        })
    }

    /// How long the value under `key` has left: `None` when there is none (or it
    /// has no expiry, which the cache never writes).
    pub fn ttl<'a, B: CacheBody<'a>>(
        &'a self,
        body: B,
        key: impl Into<Key>,
    ) -> B::Output<Result<Option<Duration>, CacheError>> {
        self.on_key(body, "PTTL", key, |ms: i64| {
            u64::try_from(ms).ok().map(Duration::from_millis)
        })
    }

    /// The value under `key`; on a miss, `compute` runs, and its value is stored for
    /// `ttl` and returned.
    ///
    /// `compute` is a closure `FnOnce() -> Result<V, E>` on blocking bodies, and a
    /// future of `Result<V, E>` on async ones (polled only on a miss); its error is
    /// [`CacheError::Compute`], and then nothing is stored. Concurrent misses each
    /// compute: see [`HerdCache`](super::HerdCache) for one computation at a time.
    pub fn get_or_compute<'a, V: Send + 'a, E, B: CacheBody<'a>>(
        &'a self,
        body: B,
        key: impl Into<Key>,
        ttl: Duration,
        compute: impl Compute<B::Mode, V, E> + 'a,
    ) -> B::Output<Result<V, CacheError>>
    where
        S: Serializer<V>,
    {
        let id = self.redis_key(key);
        B::drive(async move {
            let mut body = body;
            if let Some(value) = self.get_on(&mut body, id.clone()).await? {
                return Ok(value);
            }
            let value = compute.run().await?;
            let cmd = set_cmd(&id, &self.encode(&value)?, ttl)?;
            request_on::<_, ()>(&mut body, &id, cmd).await?;
            Ok(value)
        })
    }
}

impl<S> fmt::Debug for Cache<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("namespace", &String::from_utf8_lossy(&self.namespace))
            .field("serializer", &std::any::type_name::<S>())
            .field("compressed", &self.compressor.is_some())
            .field("compress_min_len", &self.compress_min_len)
            .finish_non_exhaustive()
    }
}
