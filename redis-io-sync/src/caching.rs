//! Client-side caching on the blocking connection: the body's part of the core's
//! [`Cache`] machine (tracking on, reads through the cache, invalidations in).

use std::time::Instant;

use redis_sansio::Cmd;
use redis_sansio::cache::{
    Cache, CacheConfig, CacheStats, INVALIDATE_CHANNEL, Lookup, caching_yes_cmd,
};
use redis_sansio::config::ProtocolVersion;
use redis_sansio::conn::RequestId;
use redis_sansio::resp::Frame;

use crate::{ConversionError, Error};

use super::blocking::Connection;

/// What a caching connection keeps beside its socket.
#[derive(Debug)]
pub(crate) struct Caching {
    pub(crate) cache: Cache,
    /// RESP2: the connection the server redirects invalidations to, subscribed to
    /// [`INVALIDATE_CHANNEL`].
    redirect: Option<Box<Connection>>,
    /// The data connection's next request id when the redirect connection was last
    /// read: a request made since (a round trip) means it must be read again before
    /// a hit is served.
    drained_at: Option<RequestId>,
    /// An instant passed as `now` when the cache has no TTL and the time does not
    /// matter ([`Cache::needs_clock`]).
    since: Instant,
}

impl Caching {
    /// The time to pass the cache: the clock's only when it matters.
    #[inline]
    fn now(&self) -> Instant {
        match self.cache.needs_clock() {
            true => Instant::now(),
            false => self.since,
        }
    }
}

impl Connection {
    /// Turns client-side caching on: tracking is enabled on the server
    /// (`CLIENT TRACKING on`, in `config`'s mode), and from now on
    /// [`request`](Self::request) serves the replies of cacheable reads (`GET`,
    /// `HGET`, `LRANGE`, ...: [`redis_sansio::commands::is_cacheable`]) from memory
    /// until the server says their key changed. In RESP3 the invalidations arrive
    /// on this connection; in RESP2 a second connection is opened (same
    /// configuration), subscribed to `__redis__:invalidate`, and the server
    /// redirects them there.
    ///
    /// **The guarantee**: once another client's write is acknowledged, a read made
    /// after one round trip on this connection (any request) sees the new value.
    /// Pipelines, transactions and `send`/`wait_for` go past the cache; the writes
    /// among them drop their keys at once. When this connection or the redirect one
    /// closes, the whole cache is flushed and every read goes to the server from
    /// then on (this connection does not reconnect).
    ///
    /// Fails as a request does when the server refuses tracking (Redis before 6).
    pub fn with_cache(mut self, config: CacheConfig) -> Result<Self, Error> {
        let mut cache = Cache::new(config);
        let mut redirect = None;
        let redirect_id = match self.core.protocol() {
            ProtocolVersion::Resp3 => None,
            _ => {
                let mut conn = Connection::connect(self.core.config().clone())?;
                let id = match conn.request(&Cmd::new("CLIENT").arg("ID"))? {
                    Frame::Integer(id) => id,
                    other => {
                        return Err(
                            ConversionError::new("a client id", format!("{other:?}")).into()
                        );
                    }
                };
                conn.request(&Cmd::new("SUBSCRIBE").arg(INVALIDATE_CHANNEL))?;
                redirect = Some(Box::new(conn));
                Some(id)
            }
        };
        self.request(&cache.tracking_cmd(redirect_id))?;
        cache.handle_tracking_on();
        self.caching = Some(Box::new(Caching {
            cache,
            redirect,
            drained_at: None,
            since: Instant::now(),
        }));
        Ok(self)
    }

    /// The client-side cache, when [`with_cache`](Self::with_cache) turned it on.
    pub fn cache(&self) -> Option<&Cache> {
        self.caching.as_ref().map(|caching| &caching.cache)
    }

    /// The cache's statistics (hits, misses, evictions, invalidations...), when
    /// [`with_cache`](Self::with_cache) turned it on.
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.cache().map(Cache::stats)
    }

    /// [`request`](Self::request) through the cache.
    pub(crate) fn cached_request(&mut self, cmd: &Cmd) -> Result<Frame, Error> {
        self.drain_redirect();
        let Some(caching) = self.caching.as_mut() else {
            return self.uncached_request(cmd);
        };
        let now = caching.now();
        let ticket = match caching.cache.lookup(cmd, now) {
            Lookup::Hit(reply) => return Ok(reply),
            Lookup::Bypass => {
                let outcome = self.uncached_request(cmd);
                self.drain_redirect();
                return outcome;
            }
            Lookup::Miss(ticket) => ticket,
        };
        if ticket.optin() {
            match self.send(&caching_yes_cmd()) {
                Ok(id) => self.core.abandon(id),
                Err(error) => {
                    self.abandon_ticket(ticket);
                    return Err(error);
                }
            }
        }
        let id = match self.send(cmd) {
            Ok(id) => id,
            Err(error) => {
                self.abandon_ticket(ticket);
                return Err(error);
            }
        };
        let outcome = self.wait_for(id);
        if let Some(caching) = self.caching.as_mut() {
            match &outcome {
                Ok(reply) => {
                    let now = caching.now();
                    caching.cache.handle_reply(ticket, Ok(reply), now);
                }
                Err(_) => caching.cache.abandon(ticket),
            }
        }
        self.drain_redirect();
        outcome
    }

    fn abandon_ticket(&mut self, ticket: redis_sansio::cache::ReadTicket) {
        if let Some(caching) = self.caching.as_mut() {
            caching.cache.abandon(ticket);
        }
    }

    /// RESP2: reads what the redirect connection has received now, whether or not a
    /// round trip happened since it was last read ([`probe`](Self::probe) calls it).
    pub(crate) fn drain_invalidations(&mut self) {
        if let Some(caching) = self.caching.as_mut() {
            caching.drained_at = None;
        }
        self.drain_redirect();
    }

    /// RESP2: after a round trip on this connection, reads what the redirect
    /// connection has received (without waiting) and applies its invalidations; its
    /// loss flushes the cache.
    fn drain_redirect(&mut self) {
        let next = self.core.next_id();
        let Some(caching) = self.caching.as_mut() else {
            return;
        };
        let Some(redirect) = caching.redirect.as_mut() else {
            return;
        };
        if caching.drained_at == Some(next) {
            return;
        }
        caching.drained_at = Some(next);
        let closed = redirect.probe().is_some();
        while let Some(event) = redirect.take_event() {
            caching.cache.handle_event(&event);
        }
        if closed {
            caching.cache.handle_connection_lost();
            caching.redirect = None;
        }
    }
}
