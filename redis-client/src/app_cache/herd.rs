//! [`HerdCache`]: a [`Cache`] whose entries expire logically before they vanish, so
//! that one reader recomputes an expired value while the others keep the old one.

use std::sync::LazyLock;
use std::time::Duration;

use bytes::Bytes;

use super::body::{CacheBody, Compute};
use super::cache::{Cache, ttl_ms};
use super::codec::{Raw, Serializer};
use super::error::CacheError;
use super::key::Key;
use crate::body_ops::AsyncBody;
use crate::{FromReply, Script};

/// The herd timeout when none is given: how long an elected reader has to
/// recompute before another is elected.
pub const DEFAULT_HERD_TIMEOUT: Duration = Duration::from_secs(60);

/// Reads an entry, electing one reader when it is logically expired.
///
/// KEYS[1] the entry; ARGV[1] the herd timeout in ms. Replies `{'missing'}`,
/// `{'foreign'}`, or `{state, payload}` with state `fresh`, `stale` (another reader
/// was elected and is recomputing) or `elected` (this caller recomputes: the
/// logical expiry was moved a herd timeout ahead and the entry marked). The server's
/// clock is the only clock, so every process agrees on what expired.
const LOOKUP: &str = r"
local entry = redis.pcall('HMGET', KEYS[1], 'x', 'v', 'r')
if entry.err then return {'foreign'} end
local expiry, payload, electing = tonumber(entry[1]), entry[2], entry[3]
if not entry[1] and not payload then
  if redis.call('EXISTS', KEYS[1]) == 1 then return {'foreign'} end
  return {'missing'}
end
if not expiry or not payload then return {'foreign'} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now < expiry then
  if electing then return {'stale', payload} end
  return {'fresh', payload}
end
local herd = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], 'x', now + herd, 'r', '1')
local left = redis.call('PTTL', KEYS[1])
if left >= 0 and left < 2 * herd then redis.call('PEXPIRE', KEYS[1], 2 * herd) end
return {'elected', payload}
";

/// Writes an entry: KEYS[1] the entry; ARGV[1] the payload, ARGV[2] the TTL in ms,
/// ARGV[3] the herd timeout in ms. The logical expiry is now + TTL on the server's
/// clock; the key lives a herd timeout longer.
const STORE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'x', now + ttl)
redis.call('PEXPIRE', KEYS[1], ttl + tonumber(ARGV[3]))
return 1
";

static LOOKUP_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(LOOKUP));
static STORE_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(STORE));

/// What [`HerdCache::lookup`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<V> {
    /// Not logically expired, and nobody is recomputing it.
    Fresh(V),
    /// Logically expired, and another reader was elected to recompute it: this is
    /// the old value.
    Stale(V),
    /// Logically expired, and this call was elected to recompute it (the old value
    /// is here): compute, then [`HerdCache::set`]. Other readers get
    /// [`Stale`](Self::Stale) for a herd timeout; after that, if nothing was stored,
    /// another reader is elected.
    Elected(V),
    /// No entry.
    Missing,
}

/// A [`Cache`] that protects an expensive value against the thundering herd.
///
/// Each entry is a Redis hash holding the payload and its own **logical expiry**
/// (the TTL given to [`set`](Self::set)); the key itself lives a **herd timeout**
/// longer. The first reader that finds the entry logically expired is elected, in
/// one Lua script (atomic on the server, so across every connection and process):
/// the logical expiry moves a herd timeout ahead, and that reader recomputes. The
/// others keep getting the old value meanwhile (**the default**), or `None` from
/// [`get`](Self::get) after [`serve_stale(false)`](Self::serve_stale). If the
/// elected reader fails or disappears, another is elected once the herd timeout has
/// passed. Times come from the server's clock (`TIME`), so processes with skewed
/// clocks agree.
///
/// A missing entry is not protected: every reader that misses computes (as with
/// [`Cache::get_or_compute`]).
///
/// ```no_run
/// # fn demo(conn: &mut redis_io_sync::Connection) -> Result<(), redis_client::app_cache::CacheError> {
/// use std::time::Duration;
/// use redis_client::app_cache::{Cache, HerdCache};
///
/// let herd = HerdCache::new(Cache::new("front")).herd_timeout(Duration::from_secs(30));
/// let page: String = herd.get_or_compute(&mut *conn, "home", Duration::from_secs(60), || {
///     Ok::<_, std::io::Error>("<html>...</html>".to_string()) // one reader at a time
/// })?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct HerdCache<S = Raw> {
    cache: Cache<S>,
    herd_timeout: Duration,
    serve_stale: bool,
}

impl<S> HerdCache<S> {
    /// A herd cache over `cache`'s namespace, identity, serializer and compressor,
    /// with a herd timeout of [`DEFAULT_HERD_TIMEOUT`], serving stale values.
    pub fn new(cache: Cache<S>) -> Self {
        HerdCache {
            cache,
            herd_timeout: DEFAULT_HERD_TIMEOUT,
            serve_stale: true,
        }
    }

    /// How long an elected reader has to recompute, and how long the key outlives
    /// its logical expiry (at least 1 ms).
    #[must_use]
    pub fn herd_timeout(mut self, timeout: Duration) -> Self {
        self.herd_timeout = timeout;
        self
    }

    /// Whether [`get`](Self::get) returns the old value while another reader
    /// recomputes (`true`, the default) or `None`. [`get_or_compute`](Self::get_or_compute)
    /// always returns the old value then: it has no `None` to give.
    #[must_use]
    pub fn serve_stale(mut self, serve: bool) -> Self {
        self.serve_stale = serve;
        self
    }

    /// The cache whose parts this one uses.
    pub fn cache(&self) -> &Cache<S> {
        &self.cache
    }
}

/// The script's reply, the payload still encoded.
enum Found {
    Fresh(Bytes),
    Stale(Bytes),
    Elected(Bytes),
    Missing,
}

impl<S: Send + Sync> HerdCache<S> {
    /// Stores `value` under `key`, logically expiring after `ttl`; the key lives a
    /// herd timeout longer. Replaces what was there, and ends an election.
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
        let id = self.cache.redis_key(key);
        let entry = self.cache.encode(value);
        B::drive(async move {
            let mut body = body;
            self.store(&mut body, &id, &entry?, ttl).await
        })
    }

    /// What is under `key`, electing this caller to recompute when it is logically
    /// expired and nobody else is: see [`Lookup`].
    pub fn lookup<'a, V: Send + 'a, B: CacheBody<'a>>(
        &'a self,
        body: B,
        key: impl Into<Key>,
    ) -> B::Output<Result<Lookup<V>, CacheError>>
    where
        S: Serializer<V>,
    {
        let id = self.cache.redis_key(key);
        B::drive(async move {
            let mut body = body;
            self.lookup_on(&mut body, &id).await
        })
    }

    /// The value under `key`: fresh, or the old one while another reader recomputes
    /// (`None` instead after [`serve_stale(false)`](Self::serve_stale)). `None` also
    /// when the entry is missing, or when this call was just elected to recompute
    /// (then compute and [`set`](Self::set), as aredis's `HerdCache.get` asks).
    pub fn get<'a, V: Send + 'a, B: CacheBody<'a>>(
        &'a self,
        body: B,
        key: impl Into<Key>,
    ) -> B::Output<Result<Option<V>, CacheError>>
    where
        S: Serializer<V>,
    {
        let id = self.cache.redis_key(key);
        let serve_stale = self.serve_stale;
        B::drive(async move {
            let mut body = body;
            Ok(match self.lookup_on(&mut body, &id).await? {
                Lookup::Fresh(value) => Some(value),
                Lookup::Stale(value) if serve_stale => Some(value),
                Lookup::Stale(_) | Lookup::Elected(_) | Lookup::Missing => None,
            })
        })
    }

    /// The value under `key`; when it is missing, or logically expired and this call
    /// is elected, `compute` runs and its value is stored for `ttl` and returned.
    /// While another reader recomputes, the old value is returned.
    ///
    /// `compute` is a closure on blocking bodies and a future on async ones, as in
    /// [`Cache::get_or_compute`]. If it fails, the error is returned and the old
    /// entry stays; another reader is elected after the herd timeout.
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
        let id = self.cache.redis_key(key);
        B::drive(async move {
            let mut body = body;
            match self.find(&mut body, &id).await? {
                Found::Fresh(bytes) | Found::Stale(bytes) => self.cache.decode(&id, &bytes),
                Found::Elected(_) | Found::Missing => {
                    let value = compute.run().await?;
                    let entry = self.cache.encode(&value)?;
                    self.store(&mut body, &id, &entry, ttl).await?;
                    Ok(value)
                }
            }
        })
    }

    /// Removes the entry under `key`; whether there was one.
    pub fn delete<'a, B: CacheBody<'a>>(
        &'a self,
        body: B,
        key: impl Into<Key>,
    ) -> B::Output<Result<bool, CacheError>> {
        self.cache.delete(body, key)
    }

    /// [`find`](Self::find), the payload decoded.
    async fn lookup_on<V, B: AsyncBody>(
        &self,
        body: &mut B,
        id: &Bytes,
    ) -> Result<Lookup<V>, CacheError>
    where
        S: Serializer<V>,
    {
        let decode = |bytes: Bytes| self.cache.decode::<V>(id, &bytes);
        Ok(match self.find(body, id).await? {
            Found::Fresh(bytes) => Lookup::Fresh(decode(bytes)?),
            Found::Stale(bytes) => Lookup::Stale(decode(bytes)?),
            Found::Elected(bytes) => Lookup::Elected(decode(bytes)?),
            Found::Missing => Lookup::Missing,
        })
    }

    /// Runs the lookup script on `id`.
    async fn find<B: AsyncBody>(&self, body: &mut B, id: &Bytes) -> Result<Found, CacheError> {
        let call = LOOKUP_SCRIPT.key(id).arg(ttl_ms(self.herd_timeout)?);
        let reply =
            crate::script::invoke_on_cluster(&mut *body, call.evalsha(), LOOKUP_SCRIPT.load_cmd())
                .await
                .map_err(CacheError::Redis)?;
        let mut parts = Vec::<Bytes>::from_reply(reply)?.into_iter();
        let state = parts.next().unwrap_or_default();
        let payload = parts.next();
        Ok(match (&state[..], payload) {
            (b"fresh", Some(bytes)) => Found::Fresh(bytes),
            (b"stale", Some(bytes)) => Found::Stale(bytes),
            (b"elected", Some(bytes)) => Found::Elected(bytes),
            (b"missing", None) => Found::Missing,
            _ => {
                return Err(CacheError::Foreign {
                    key: id.clone(),
                    found: "a value that is not a herd-cache entry",
                });
            }
        })
    }

    /// Runs the store script on `id`.
    async fn store<B: AsyncBody>(
        &self,
        body: &mut B,
        id: &Bytes,
        entry: &Bytes,
        ttl: Duration,
    ) -> Result<(), CacheError> {
        let call = STORE_SCRIPT
            .key(id)
            .arg(entry)
            .arg(ttl_ms(ttl)?)
            .arg(ttl_ms(self.herd_timeout)?);
        crate::script::invoke_on_cluster(&mut *body, call.evalsha(), STORE_SCRIPT.load_cmd())
            .await
            .map(|_: Frame| ())
            .map_err(CacheError::Redis)
    }
}

use redis_sansio::resp::Frame;
