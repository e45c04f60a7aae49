//! Client-side caching on the multiplexed client: the body's part of the core's
//! [`Cache`] machine. The cache sits in [`Inner`] beside the calls: a hit is answered
//! under the lock a call takes anyway, the driver hands it the invalidation pushes
//! and the close in the order they arrive ([`on_event`], from `deliver`), and a read's
//! reply is offered to it when its caller takes it ([`CachedCall`]): the read's
//! ticket refuses a reply that an invalidation crossed, whenever that was.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Instant;

use redis_sansio::cache::{Cache, CacheConfig, CacheStats, Lookup, ReadTicket, TrackingMode};
use redis_sansio::config::{ConnectionConfig, ProtocolVersion};
use redis_sansio::conn::Event;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd, SendError};

use super::slots::{Filled, Waiter};
use super::{Call, Client, Inner, Pending, Request, Shared};
use crate::{Connection, Error, Runtime};

impl<R: Runtime> Client<R> {
    /// [`connect`](Self::connect) with client-side caching: tracking is turned on
    /// (`CLIENT TRACKING on`, in `cache`'s mode) on the connection before it is
    /// shared, and again on every connection that replaces it (see
    /// [`with_reconnect`](Self::with_reconnect)). [`request`](Self::request) then
    /// answers cacheable reads (`GET`, `HGET`, `LRANGE`...:
    /// [`redis_sansio::commands::is_cacheable`]) from memory until the server
    /// invalidates their key; its invalidations arrive as pushes on the shared
    /// connection. Modes: [`TrackingMode::Default`] and [`TrackingMode::Broadcast`].
    ///
    /// Refused with [`SendError::Shared`] (before connecting) for
    /// [`TrackingMode::OptIn`], whose `CLIENT CACHING yes` before each read the
    /// shared connection does not take, and (once connected) for a connection that
    /// speaks RESP2, whose invalidations would need a redirect connection of their
    /// own: the blocking [`Connection`](crate::Connection)'s sibling in
    /// `redis-io-sync` does both. Fails as [`connect`](Self::connect) does otherwise,
    /// or with the server's refusal of tracking (Redis before 6).
    ///
    /// **The guarantee**: once another client's write is acknowledged, a read made
    /// after one round trip on this client (any request whose reply came) sees the
    /// new value. When the connection is lost the whole cache is flushed, and reads
    /// go to the server until tracking is on again on the new connection.
    /// `CLIENT TRACKING` itself stays refused on the shared connection: caching is
    /// this option. Pipelines and transactions go past the cache; the writes among
    /// them (and every write through this client) drop their keys at once.
    pub async fn connect_cached(
        config: ConnectionConfig,
        cache: CacheConfig,
    ) -> Result<Self, Error> {
        if cache.mode == TrackingMode::OptIn {
            return Err(refused("CLIENT CACHING (tracking mode OPTIN)"));
        }
        let cache = Cache::new(cache);
        let conn = open_tracked::<R>(config, cache.tracking_cmd(None)).await?;
        let client = Self::from_connection(conn);
        client.install(cache);
        Ok(client)
    }

    /// [`connect_cached`](Self::connect_cached) to the server a URL names.
    pub async fn open_cached(url: &str, cache: CacheConfig) -> Result<Self, Error> {
        Self::connect_cached(url.parse()?, cache).await
    }

    /// The cache's statistics (hits, misses, evictions, invalidations...), for a
    /// client opened with [`connect_cached`](Self::connect_cached).
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.shared.lock().cache.as_ref().map(|cache| cache.stats())
    }

    /// Runs `f` on the cache, for a client opened with
    /// [`connect_cached`](Self::connect_cached) (its length, whether tracking is on).
    pub fn with_cache_state<T>(&self, f: impl FnOnce(&Cache) -> T) -> Option<T> {
        self.shared.lock().cache.as_deref().map(f)
    }

    fn install(&self, mut cache: Cache) {
        cache.handle_tracking_on();
        self.shared.lock().cache = Some(Box::new(cache));
        self.shared.caching.store(true, Ordering::Relaxed);
    }

    /// [`request`](Self::request) on a caching client.
    pub(super) fn cached_request(&self, cmd: &Cmd) -> Request {
        match lookup(&self.shared, cmd) {
            Lookup::Hit(reply) => Request(Pending::Hit(Some(reply))),
            Lookup::Miss(ticket) => Request(Pending::Cached(Box::new(CachedCall {
                waiter: self.enqueue(Call::One(cmd)),
                ticket: Some(ticket),
                shared: self.shared.clone(),
            }))),
            Lookup::Bypass => Request(Pending::Shared(self.enqueue(Call::One(cmd)))),
        }
    }
}

/// Opens a connection and turns tracking on with `tracking` before anyone shares it.
pub(super) async fn open_tracked<R: Runtime>(
    config: ConnectionConfig,
    tracking: Cmd,
) -> Result<Connection<R>, Error> {
    let mut conn = Connection::<R>::connect(config).await?;
    if conn.core().protocol() != ProtocolVersion::Resp3 {
        // Invalidations would need a connection of their own.
        return Err(refused(
            "CLIENT TRACKING over RESP2 (caching needs RESP3 here)",
        ));
    }
    conn.request(&tracking).await?;
    Ok(conn)
}

fn refused(command: &str) -> Error {
    Error::Send(SendError::Shared {
        command: command.to_string(),
    })
}

/// The command that turns tracking on for this client's new connections, when it
/// caches.
pub(super) fn tracking_cmd(inner: &Inner) -> Option<Cmd> {
    inner.cache.as_ref().map(|cache| cache.tracking_cmd(None))
}

/// A new connection, with tracking on, replaced the lost one.
pub(super) fn tracking_on(inner: &mut Inner) {
    if let Some(cache) = inner.cache.as_mut() {
        cache.handle_tracking_on();
    }
}

/// An event the driver takes from the connection: invalidations and the close go
/// to the cache (a close flushes it). True when the cache consumed it.
#[inline]
pub(super) fn on_event(inner: &mut Inner, event: &Event) -> bool {
    match inner.cache.as_mut() {
        Some(cache) => cache.handle_event(event),
        None => false,
    }
}

/// Commands about to be queued past the cache: its writes drop their keys.
#[inline]
pub(super) fn note_sent(shared: &Shared, cmds: &[Cmd]) {
    if !caches(shared) {
        return;
    }
    let mut inner = shared.lock();
    if let Some(cache) = inner.cache.as_mut() {
        for cmd in cmds {
            cache.handle_send(cmd);
        }
    }
}

/// Whether the client caches, without taking its lock.
#[inline]
pub(super) fn caches(shared: &Shared) -> bool {
    shared.caching.load(Ordering::Relaxed)
}

/// What a request looks up first: a hit, a read to send with its ticket, or
/// `Bypass` (sent as usual; a write among them drops its keys).
fn lookup(shared: &Shared, cmd: &Cmd) -> Lookup {
    let mut inner = shared.lock();
    let Some(cache) = inner.cache.as_mut() else {
        return Lookup::Bypass;
    };
    let lookup = cache.lookup(cmd, Instant::now());
    if matches!(lookup, Lookup::Bypass) {
        cache.handle_send(cmd);
    }
    lookup
}

/// A cacheable read on its way: the call, and its ticket, handed to the cache with
/// the reply when the caller takes it (or abandoned if the caller leaves first).
#[derive(Debug)]
pub(super) struct CachedCall {
    pub(super) waiter: Waiter,
    pub(super) ticket: Option<ReadTicket>,
    pub(super) shared: Arc<Shared>,
}

impl CachedCall {
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Frame, Error>> {
        let filled = std::task::ready!(self.waiter.poll_filled(cx));
        let outcome = match filled {
            Filled::One(outcome) => outcome.map_err(Error::Request),
            Filled::Failed(error) => Err(error),
            Filled::Empty | Filled::Many(_) => Err(Error::Closed(CloseReason::Local)),
        };
        if let Some(ticket) = self.ticket.take() {
            let mut inner = self.shared.lock();
            if let Some(cache) = inner.cache.as_mut() {
                match &outcome {
                    Ok(reply) => {
                        cache.handle_reply(ticket, Ok(reply), Instant::now());
                    }
                    Err(_) => cache.abandon(ticket),
                }
            }
        }
        Poll::Ready(outcome)
    }
}

impl Drop for CachedCall {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            if let Some(cache) = self.shared.lock().cache.as_mut() {
                cache.abandon(ticket);
            }
        }
    }
}
