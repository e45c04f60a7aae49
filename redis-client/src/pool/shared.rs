//! The pool written once: a `Mutex` around the books, the wakers of the callers that
//! wait, the checkout's decisions and the guard. The blocking and the async pool
//! ([`super::blocking`], [`super::exclusive`]) add only how a caller opens a
//! connection and how it waits: a parked thread or a pending future, both woken
//! through a [`Waker`].

use std::collections::HashMap;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::time::Instant;

use redis_io_async::PoolError;
use redis_sansio::cache::CacheConfig;
use redis_sansio::config::ConnectionConfig;
use redis_sansio::pool::{ConnId, WaiterId};

use super::books::{Books, Start, Woken};
use super::{PoolConfig, PoolStatus, Poolable};
use crate::Error;

/// A pool of exclusive connections of type `C` to one server; cheap to clone, and
/// shared between threads and tasks. Use it as [`blocking::Pool`](super::blocking::Pool)
/// (`pool.get()?`) or [`exclusive::Pool<R>`](super::exclusive::Pool)
/// (`pool.get().await?`).
///
/// It spawns nothing: callers open the connections they wait for, and wake one
/// another when they give one back.
pub struct Pool<C: Poolable> {
    shared: Arc<Shared<C>>,
}

struct Shared<C: Poolable> {
    config: ConnectionConfig,
    /// Client-side caching on each connection opened (the blocking pool's
    /// `with_cache`).
    cache: Option<CacheConfig>,
    state: Mutex<State<C>>,
}

struct State<C: Poolable> {
    books: Books<C>,
    /// The waker of each waiting `get()` that is parked.
    wakers: HashMap<WaiterId, Waker>,
}

impl<C: Poolable> State<C> {
    /// The wakers to wake: those of the waiters whose outcome is decided, and every
    /// parked one's when a connection waits to be opened (whoever comes first opens
    /// it). They are woken once the lock is released.
    fn wakers_for(&mut self, woken: Woken) -> Vec<Waker> {
        let mut wakers: Vec<Waker> = woken
            .waiters
            .iter()
            .filter_map(|waiter| self.wakers.remove(waiter))
            .collect();
        if woken.opens {
            wakers.extend(self.wakers.drain().map(|(_, waker)| waker));
        }
        wakers
    }
}

/// What a `get()` does next, decided under the lock and done outside it.
// `Done` holds a whole connection; it is moved straight out, so boxing it would
// only add an allocation per checkout.
#[allow(clippy::large_enum_variant)]
pub(super) enum Step<C: Poolable> {
    /// The checkout is over: this connection, or this error.
    Done(Result<PooledConnection<C>, Error>),
    /// Open a connection, then report it with [`Checkout::opened`].
    Open,
    /// Wait until [`Checkout::park_with`]'s waker is woken or the deadline comes.
    Park(Option<Instant>),
}

impl<C: Poolable> Pool<C> {
    /// A pool of connections to the server a URL names. Nothing is opened yet; a
    /// malformed URL is an error now.
    pub fn open(url: &str, config: PoolConfig) -> Result<Self, Error> {
        Ok(Pool::new(url.parse()?, config))
    }

    /// A pool of connections made as `connection` says. Nothing is opened yet: the
    /// first `get` opens the first connection.
    pub fn new(connection: ConnectionConfig, config: PoolConfig) -> Self {
        Pool {
            shared: Arc::new(Shared {
                config: connection,
                cache: None,
                state: Mutex::new(State {
                    books: Books::new(config, Instant::now()),
                    wakers: HashMap::new(),
                }),
            }),
        }
    }

    /// The pool's counts now.
    pub fn status(&self) -> PoolStatus {
        self.shared.lock().books.status()
    }

    /// Closes the pool: waiting callers fail with [`PoolError::Closed`], idle
    /// connections close now and the others when they come back, and later `get`s
    /// fail. Every clone shares this.
    pub fn close(&self) {
        self.shared
            .with_state(|state, _, woken| state.books.close(woken));
    }

    /// How the pool's connections are made.
    pub(super) fn connection_config(&self) -> &ConnectionConfig {
        &self.shared.config
    }

    /// The client-side caching each new connection gets, if any.
    #[cfg_attr(not(feature = "sync"), allow(dead_code))] // the blocking pool's
    pub(super) fn cache_config(&self) -> Option<&CacheConfig> {
        self.shared.cache.as_ref()
    }

    /// Sets [`cache_config`](Self::cache_config) while the pool is not shared yet
    /// (no clone, no guard): `false` otherwise, and nothing changes.
    #[cfg_attr(not(feature = "sync"), allow(dead_code))] // the blocking pool's
    pub(super) fn set_cache_config(&mut self, cache: CacheConfig) -> bool {
        match Arc::get_mut(&mut self.shared) {
            Some(shared) => {
                shared.cache = Some(cache);
                true
            }
            None => false,
        }
    }

    /// A checkout starts: the returned guard puts things right if the caller stops
    /// midway (a dropped future, a panicking open).
    pub(super) fn checkout(&self) -> Checkout<'_, C> {
        Checkout {
            pool: self,
            waiter: None,
            opening: None,
        }
    }

    fn guard(&self, id: ConnId, conn: C) -> PooledConnection<C> {
        PooledConnection {
            pool: self.clone(),
            id,
            conn: Some(conn),
        }
    }
}

impl<C: Poolable> Clone for Pool<C> {
    fn clone(&self) -> Self {
        Pool {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<C: Poolable> fmt::Debug for Pool<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("server", &self.shared.config.addr)
            .field("status", &self.status())
            .finish()
    }
}

impl<C: Poolable> Shared<C> {
    fn lock(&self) -> MutexGuard<'_, State<C>> {
        // The books are consistent between calls; a panic elsewhere leaves them so.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` under the lock, after handling whatever deadline has passed, then
    /// releases the lock and wakes whoever was decided for.
    fn with_state<T>(&self, f: impl FnOnce(&mut State<C>, Instant, &mut Woken) -> T) -> T {
        let mut woken = Woken::default();
        let (value, wakers) = {
            let mut state = self.lock();
            let now = Instant::now();
            state.books.tick(now, &mut woken);
            let value = f(&mut state, now, &mut woken);
            (value, state.wakers_for(woken))
        };
        for waker in wakers {
            waker.wake();
        }
        value
    }
}

/// A `get()` in progress, which puts things right if it is dropped midway: a
/// waiting caller leaves the queue, a connection already granted to it goes to the
/// next waiter or back to the pool, and a connection it was opening is left for
/// another caller to open.
pub(super) struct Checkout<'a, C: Poolable> {
    pool: &'a Pool<C>,
    /// Set while it waits as this waiter.
    waiter: Option<WaiterId>,
    /// Set while it opens this connection.
    opening: Option<ConnId>,
}

impl<C: Poolable> Checkout<'_, C> {
    /// One decision: take the outcome, open a connection, check out, or park.
    pub(super) fn next_step(&mut self) -> Step<C> {
        let pool = self.pool;
        pool.shared.with_state(|state, now, woken| {
            loop {
                if let Some(waiter) = self.waiter {
                    if let Some(outcome) = state.books.take_outcome(waiter) {
                        self.waiter = None;
                        state.wakers.remove(&waiter);
                        return Step::Done(outcome.map(|(id, conn)| pool.guard(id, conn)));
                    }
                }
                if let Some(id) = state.books.take_open() {
                    self.opening = Some(id);
                    return Step::Open;
                }
                if self.waiter.is_some() {
                    return Step::Park(state.books.next_deadline());
                }
                match state.books.checkout(now, woken) {
                    Start::Ready(id, conn) => return Step::Done(Ok(pool.guard(id, conn))),
                    Start::Wait(waiter) => self.waiter = Some(waiter),
                    Start::Closed => return Step::Done(Err(PoolError::Closed.into())),
                }
            }
        })
    }

    /// Reports how opening the connection of [`Step::Open`] went.
    pub(super) fn opened(&mut self, result: Result<C, Error>) {
        if let Some(id) = self.opening.take() {
            self.pool
                .shared
                .with_state(|state, now, woken| state.books.opened(id, result, now, woken));
        }
    }

    /// Registers `waker` to be woken when something changes for this checkout,
    /// unless there is already something to do (its outcome is decided, or a
    /// connection waits to be opened): `true` then, and the caller goes on at once.
    pub(super) fn park_with(&self, waker: &Waker) -> bool {
        let Some(waiter) = self.waiter else {
            return true;
        };
        let mut state = self.pool.shared.lock();
        if state.books.is_decided(waiter) || state.books.has_open() {
            return true;
        }
        state.wakers.insert(waiter, waker.clone());
        false
    }
}

impl<C: Poolable> Drop for Checkout<'_, C> {
    fn drop(&mut self) {
        if self.waiter.is_none() && self.opening.is_none() {
            return;
        }
        let (waiter, opening) = (self.waiter.take(), self.opening.take());
        self.pool.shared.with_state(|state, now, woken| {
            if let Some(id) = opening {
                state.books.requeue_open(id, woken);
            }
            if let Some(waiter) = waiter {
                state.wakers.remove(&waiter);
                state.books.cancel(waiter, now, woken);
            }
        });
    }
}

/// A connection checked out of a [`Pool`]: use it as the connection it holds (it
/// derefs to one, and the generated commands work on it directly); dropping it gives
/// it back. A connection that closed meanwhile, or that a dropped call left with a
/// request in flight, is not reused but replaced.
pub struct PooledConnection<C: Poolable> {
    pool: Pool<C>,
    id: ConnId,
    /// `Some` until dropped or detached.
    conn: Option<C>,
}

impl<C: Poolable> PooledConnection<C> {
    /// Takes the connection out of the pool for good; the pool may open another in
    /// its place.
    pub fn detach(mut self) -> C {
        let conn = self.conn.take();
        let id = self.id;
        self.pool
            .shared
            .with_state(|state, now, woken| state.books.detach(id, now, woken));
        conn.unwrap_or_else(|| unreachable!("a guard holds its connection until dropped"))
    }
}

impl<C: Poolable> Deref for PooledConnection<C> {
    type Target = C;

    fn deref(&self) -> &C {
        self.conn
            .as_ref()
            .unwrap_or_else(|| unreachable!("a guard holds its connection until dropped"))
    }
}

impl<C: Poolable> DerefMut for PooledConnection<C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn
            .as_mut()
            .unwrap_or_else(|| unreachable!("a guard holds its connection until dropped"))
    }
}

impl<C: Poolable> Drop for PooledConnection<C> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let id = self.id;
            self.pool
                .shared
                .with_state(|state, now, woken| state.books.checkin(id, conn, now, woken));
        }
    }
}

impl<C: Poolable + fmt::Debug> fmt::Debug for PooledConnection<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledConnection")
            .field("id", &self.id)
            .field("conn", &self.conn)
            .finish()
    }
}
