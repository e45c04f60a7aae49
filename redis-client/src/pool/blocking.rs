//! The blocking pool: a `Mutex` and a `Condvar` around the books.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use redis_io_async::PoolError;
use redis_io_sync::Connection;
use redis_sansio::cache::CacheConfig;
use redis_sansio::config::ConnectionConfig;
use redis_sansio::pool::ConnId;

use super::books::{Books, Poolable, Start, Woken};
use super::{PoolConfig, PoolStatus};
use crate::Error;

/// A pool of blocking connections to one server; cheap to clone, and shared between
/// threads.
///
/// ```no_run
/// use redis_client::pool::{PoolConfig, blocking::Pool};
/// use redis_client::prelude::*;
///
/// let pool = Pool::open("redis://127.0.0.1:6379", PoolConfig::default().with_max_size(4))?;
/// let mut conn = pool.get()?;
/// conn.set("k", "v")?;
/// drop(conn); // back to the pool
/// # Ok::<(), redis_client::Error>(())
/// ```
#[derive(Clone)]
pub struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    config: ConnectionConfig,
    /// Client-side caching on each connection opened, from [`Pool::with_cache`].
    cache: Option<CacheConfig>,
    books: Mutex<Books<Connection>>,
    /// Notified when an outcome is decided or a connection waits to be opened.
    changed: Condvar,
}

impl Poolable for Connection {
    fn probe_alive(&mut self) -> bool {
        self.probe().is_none()
    }

    fn reusable(&self) -> bool {
        self.close_reason().is_none() && self.core().in_flight() == 0
    }
}

impl Pool {
    /// A pool of connections to the server a URL names. Nothing is opened yet; a
    /// malformed URL is an error now.
    pub fn open(url: &str, config: PoolConfig) -> Result<Pool, Error> {
        Ok(Pool::new(url.parse()?, config))
    }

    /// A pool of connections made as `connection` says. Nothing is opened yet: the
    /// first [`get`](Self::get) opens the first connection.
    pub fn new(connection: ConnectionConfig, config: PoolConfig) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                config: connection,
                cache: None,
                books: Mutex::new(Books::new(config, Instant::now())),
                changed: Condvar::new(),
            }),
        }
    }

    /// Turns client-side caching on for every connection the pool opens
    /// ([`Connection::with_cache`]): each connection keeps a cache of its own, whose
    /// invalidations it reads when it is used and when it is checked out (the
    /// checkout's probe reads what the socket has received). Call it on a new pool,
    /// before the first [`get`](Self::get); later, it applies only to connections
    /// opened from then on if the pool is not yet shared, and does nothing otherwise.
    pub fn with_cache(mut self, cache: CacheConfig) -> Pool {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.cache = Some(cache);
        }
        self
    }

    /// A connection of the pool's, for as long as the guard lives: an idle one at
    /// once, else one opened (by this thread) while there is room, else the first
    /// one given back, first come, first served.
    ///
    /// Fails with [`PoolError::CheckoutTimeout`] when none comes within the checkout
    /// timeout, [`PoolError::Closed`] once the pool is [`close`](Self::close)d, and
    /// with the open's own error (such as [`Error::Connect`]) when a connection is
    /// opened for this caller and that fails.
    pub fn get(&self) -> Result<PooledConnection, Error> {
        let mut books = self.lock();
        let mut waiter = None;
        loop {
            let now = Instant::now();
            let mut woken = Woken::default();
            books.tick(now, &mut woken);
            if let Some(outcome) = waiter.and_then(|waiter| books.take_outcome(waiter)) {
                self.notify(&woken);
                return outcome.map(|(id, conn)| self.guard(id, conn));
            }
            if let Some(id) = books.take_open() {
                self.notify(&woken);
                drop(books);
                let result = Connection::connect(self.shared.config.clone()).and_then(|conn| {
                    match &self.shared.cache {
                        Some(cache) => conn.with_cache(cache.clone()),
                        None => Ok(conn),
                    }
                });
                books = self.lock();
                let mut woken = Woken::default();
                books.opened(id, result, Instant::now(), &mut woken);
                self.notify(&woken);
                continue;
            }
            if waiter.is_none() {
                let start = books.checkout(now, &mut woken);
                self.notify(&woken);
                match start {
                    Start::Ready(id, conn) => return Ok(self.guard(id, conn)),
                    Start::Wait(id) => waiter = Some(id),
                    Start::Closed => return Err(PoolError::Closed.into()),
                }
                continue;
            }
            self.notify(&woken);
            books = match books.next_deadline() {
                None => self.wait(books),
                Some(at) => match at.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => self
                        .shared
                        .changed
                        .wait_timeout(books, left)
                        .map(|(books, _)| books)
                        .unwrap_or_else(|poisoned| poisoned.into_inner().0),
                    _ => books,
                },
            };
        }
    }

    /// The pool's counts now.
    pub fn status(&self) -> PoolStatus {
        self.lock().status()
    }

    /// Closes the pool: waiting callers fail with [`PoolError::Closed`], idle
    /// connections close now and the others when they come back, and later `get`s
    /// fail. Every clone shares this.
    pub fn close(&self) {
        let mut woken = Woken::default();
        self.lock().close(&mut woken);
        self.notify(&woken);
    }

    fn guard(&self, id: ConnId, conn: Connection) -> PooledConnection {
        PooledConnection {
            pool: self.clone(),
            id,
            conn: Some(conn),
        }
    }

    fn checkin(&self, id: ConnId, conn: Connection) {
        let mut woken = Woken::default();
        let now = Instant::now();
        let mut books = self.lock();
        books.checkin(id, conn, now, &mut woken);
        books.tick(now, &mut woken);
        drop(books);
        self.notify(&woken);
    }

    fn detach(&self, id: ConnId) {
        let mut woken = Woken::default();
        self.lock().detach(id, Instant::now(), &mut woken);
        self.notify(&woken);
    }

    fn notify(&self, woken: &Woken) {
        if woken.any() {
            self.shared.changed.notify_all();
        }
    }

    fn wait<'a>(
        &self,
        books: MutexGuard<'a, Books<Connection>>,
    ) -> MutexGuard<'a, Books<Connection>> {
        self.shared
            .changed
            .wait(books)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, Books<Connection>> {
        // The books are consistent between calls; a panic elsewhere leaves them so.
        self.shared
            .books
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("server", &self.shared.config.addr)
            .field("status", &self.status())
            .finish()
    }
}

/// A connection checked out of a [`Pool`]: use it as a
/// [`redis_io_sync::Connection`] (it derefs to one, and the generated commands work
/// on it directly); dropping it gives it back. A connection that closed meanwhile is
/// not reused but replaced.
pub struct PooledConnection {
    pool: Pool,
    id: ConnId,
    /// `Some` until dropped or detached.
    conn: Option<Connection>,
}

impl PooledConnection {
    /// Takes the connection out of the pool for good; the pool may open another in
    /// its place.
    pub fn detach(mut self) -> Connection {
        let conn = self.conn.take();
        self.pool.detach(self.id);
        conn.unwrap_or_else(|| unreachable!("a guard holds its connection until dropped"))
    }
}

impl Deref for PooledConnection {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .unwrap_or_else(|| unreachable!("a guard holds its connection until dropped"))
    }
}

impl DerefMut for PooledConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .unwrap_or_else(|| unreachable!("a guard holds its connection until dropped"))
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.checkin(self.id, conn);
        }
    }
}

impl fmt::Debug for PooledConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledConnection")
            .field("id", &self.id)
            .field("conn", &self.conn)
            .finish()
    }
}
