//! The blocking pool: [`Pool`] over [`redis_io_sync::Connection`]; a caller that
//! must wait parks its thread until it is woken or its deadline comes.

use std::sync::Arc;
use std::task::{Wake, Waker};
use std::thread::{self, Thread};
use std::time::Instant;

use redis_io_sync::Connection;
use redis_sansio::cache::CacheConfig;

use super::Poolable;
use super::shared::Step;
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
pub type Pool = super::Pool<Connection>;

/// A connection checked out of a blocking [`Pool`]: it derefs to a
/// [`redis_io_sync::Connection`], and dropping it gives it back.
pub type PooledConnection = super::PooledConnection<Connection>;

impl Poolable for Connection {
    fn probe_alive(&mut self) -> bool {
        self.probe().is_none()
    }

    fn reusable(&self) -> bool {
        self.close_reason().is_none() && self.core().in_flight() == 0
    }
}

impl super::Pool<Connection> {
    /// Turns client-side caching on for every connection the pool opens
    /// ([`Connection::with_cache`]): each connection keeps a cache of its own, whose
    /// invalidations it reads when it is used and when it is checked out (the
    /// checkout's probe reads what the socket has received). Call it on a new pool,
    /// before it is cloned or used; on a pool already shared it does nothing.
    pub fn with_cache(mut self, cache: CacheConfig) -> Pool {
        self.set_cache_config(cache);
        self
    }

    /// A connection of the pool's, for as long as the guard lives: an idle one at
    /// once, else one opened (by this thread) while there is room, else the first
    /// one given back, first come, first served.
    ///
    /// Fails with [`PoolError::CheckoutTimeout`](super::PoolError::CheckoutTimeout)
    /// when none comes within the checkout timeout,
    /// [`PoolError::Closed`](super::PoolError::Closed) once the pool is
    /// [`close`](Self::close)d, and with the open's own error (such as
    /// [`Error::Connect`]) when a connection is opened for this caller and that fails.
    pub fn get(&self) -> Result<PooledConnection, Error> {
        let mut checkout = self.checkout();
        let waker = Waker::from(Arc::new(Unpark(thread::current())));
        loop {
            match checkout.next_step() {
                Step::Done(result) => return result,
                Step::Open => {
                    let opened =
                        Connection::connect(self.connection_config().clone()).and_then(|conn| {
                            match self.cache_config() {
                                Some(cache) => conn.with_cache(cache.clone()),
                                None => Ok(conn),
                            }
                        });
                    checkout.opened(opened);
                }
                Step::Park(deadline) => {
                    if checkout.park_with(&waker) {
                        continue;
                    }
                    match deadline {
                        None => thread::park(),
                        Some(at) => {
                            if let Some(left) = at.checked_duration_since(Instant::now()) {
                                thread::park_timeout(left);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}
