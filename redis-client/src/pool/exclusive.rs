//! The async pool of exclusive connections: a `Mutex` around the books, and wakers
//! for the callers that wait.

use std::collections::HashMap;
use std::fmt;
use std::future::{Future, poll_fn};
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};
use std::time::Instant;

use redis_io_async::{Connection, PoolError, Runtime};
use redis_sansio::config::ConnectionConfig;
use redis_sansio::pool::{ConnId, WaiterId};

use super::books::{Books, Poolable, Start, Woken};
use super::{PoolConfig, PoolStatus};
use crate::Error;

/// A pool of exclusive async connections ([`redis_io_async::Connection`]) to one
/// server, on the runtime `R`; cheap to clone, shared between tasks. It spawns
/// nothing: callers open the connections they wait for, and their futures wake one
/// another.
///
/// ```no_run
/// # async fn demo<R: redis_io_async::Runtime>() -> Result<(), redis_client::Error> {
/// use redis_client::pool::{PoolConfig, exclusive::Pool};
/// use redis_client::prelude::*;
///
/// let pool = Pool::<R>::open("redis://127.0.0.1:6379", PoolConfig::default())?;
/// let mut conn = pool.get().await?;
/// conn.set("k", "v").await?;
/// drop(conn); // back to the pool
/// # Ok(())
/// # }
/// ```
pub struct Pool<R: Runtime> {
    shared: Arc<Shared<R>>,
}

struct Shared<R: Runtime> {
    config: ConnectionConfig,
    state: Mutex<State<R>>,
}

struct State<R: Runtime> {
    books: Books<Connection<R>>,
    /// The waker of each waiting `get()` that is parked.
    wakers: HashMap<WaiterId, Waker>,
}

impl<R: Runtime> State<R> {
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

impl<R: Runtime> Poolable for Connection<R> {
    fn probe_alive(&mut self) -> bool {
        self.probe().is_none()
    }

    fn reusable(&self) -> bool {
        self.close_reason().is_none() && self.core().in_flight() == 0
    }
}

impl<R: Runtime> Clone for Pool<R> {
    fn clone(&self) -> Self {
        Pool {
            shared: Arc::clone(&self.shared),
        }
    }
}

/// What a `get()` does next, decided under the lock and done outside it.
// `Done` holds a whole connection; it is moved straight out, so boxing it would
// only add an allocation per checkout.
#[allow(clippy::large_enum_variant)]
enum Step<R: Runtime> {
    Done(Result<PooledConnection<R>, Error>),
    Open(ConnId),
    Park(WaiterId, Option<Instant>),
    Again,
}

impl<R: Runtime> Pool<R> {
    /// A pool of connections to the server a URL names. Nothing is opened yet; a
    /// malformed URL is an error now.
    pub fn open(url: &str, config: PoolConfig) -> Result<Self, Error> {
        Ok(Pool::new(url.parse()?, config))
    }

    /// A pool of connections made as `connection` says. Nothing is opened yet: the
    /// first [`get`](Self::get) opens the first connection.
    pub fn new(connection: ConnectionConfig, config: PoolConfig) -> Self {
        Pool {
            shared: Arc::new(Shared {
                config: connection,
                state: Mutex::new(State {
                    books: Books::new(config, Instant::now()),
                    wakers: HashMap::new(),
                }),
            }),
        }
    }

    /// A connection of the pool's, for as long as the guard lives: an idle one at
    /// once, else one opened (by this future) while there is room, else the first
    /// one given back, first come, first served.
    ///
    /// Fails with [`PoolError::CheckoutTimeout`] when none comes within the checkout
    /// timeout (timed by [`Runtime::sleep_until`]), [`PoolError::Closed`] once the
    /// pool is [`close`](Self::close)d, and with the open's own error (such as
    /// [`Error::Connect`]) when a connection is opened for this caller and that fails.
    ///
    /// **Cancellation**: dropping the future is safe at any point. A waiting caller
    /// leaves the queue; a connection already granted to it goes to the next waiter
    /// or back to the pool; a connection it was opening is left for another caller to
    /// open.
    pub async fn get(&self) -> Result<PooledConnection<R>, Error> {
        let mut wait = Wait {
            shared: &self.shared,
            waiter: None,
            opening: None,
        };
        loop {
            let step = self
                .shared
                .with_state(|state, now, woken| self.next_step(state, &mut wait, now, woken));
            match step {
                Step::Done(result) => return result,
                Step::Open(id) => {
                    wait.opening = Some(id);
                    let result = Connection::<R>::connect(self.shared.config.clone()).await;
                    wait.opening = None;
                    self.shared.with_state(|state, now, woken| {
                        state.books.opened(id, result, now, woken);
                    });
                }
                Step::Park(waiter, deadline) => self.park(waiter, deadline).await,
                Step::Again => {}
            }
        }
    }

    /// One decision of [`get`](Self::get): take the outcome, open a connection,
    /// check out, or park.
    fn next_step(
        &self,
        state: &mut State<R>,
        wait: &mut Wait<'_, R>,
        now: Instant,
        woken: &mut Woken,
    ) -> Step<R> {
        if let Some(waiter) = wait.waiter {
            if let Some(outcome) = state.books.take_outcome(waiter) {
                wait.waiter = None;
                state.wakers.remove(&waiter);
                return Step::Done(outcome.map(|(id, conn)| self.guard(id, conn)));
            }
        }
        if let Some(id) = state.books.take_open() {
            return Step::Open(id);
        }
        if let Some(waiter) = wait.waiter {
            return Step::Park(waiter, state.books.next_deadline());
        }
        match state.books.checkout(now, woken) {
            Start::Ready(id, conn) => Step::Done(Ok(self.guard(id, conn))),
            Start::Wait(waiter) => {
                wait.waiter = Some(waiter);
                Step::Again
            }
            Start::Closed => Step::Done(Err(PoolError::Closed.into())),
        }
    }

    /// Waits until `waiter`'s outcome is decided, a connection waits to be opened,
    /// or `deadline` comes.
    async fn park(&self, waiter: WaiterId, deadline: Option<Instant>) {
        let mut sleep = deadline.map(|at| Box::pin(R::sleep_until(at)));
        poll_fn(|cx| {
            let mut state = self.lock();
            if state.books.is_decided(waiter) || state.books.has_open() {
                return Poll::Ready(());
            }
            state.wakers.insert(waiter, cx.waker().clone());
            drop(state);
            match sleep.as_mut() {
                Some(sleep) => Pin::new(sleep).poll(cx),
                None => Poll::Pending,
            }
        })
        .await;
    }

    /// The pool's counts now.
    pub fn status(&self) -> PoolStatus {
        self.lock().books.status()
    }

    /// Closes the pool: waiting callers fail with [`PoolError::Closed`], idle
    /// connections close now and the others when they come back, and later `get`s
    /// fail. Every clone shares this.
    pub fn close(&self) {
        self.shared
            .with_state(|state, _, woken| state.books.close(woken));
    }

    fn guard(&self, id: ConnId, conn: Connection<R>) -> PooledConnection<R> {
        PooledConnection {
            pool: self.clone(),
            id,
            conn: Some(conn),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<R>> {
        self.shared.lock()
    }
}

impl<R: Runtime> Shared<R> {
    fn lock(&self) -> MutexGuard<'_, State<R>> {
        // The books are consistent between calls; a panic elsewhere leaves them so.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` under the lock, after handling whatever deadline has passed, then
    /// releases the lock and wakes whoever was decided for.
    fn with_state<T>(&self, f: impl FnOnce(&mut State<R>, Instant, &mut Woken) -> T) -> T {
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

impl<R: Runtime> fmt::Debug for Pool<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("server", &self.shared.config.addr)
            .field("status", &self.status())
            .finish()
    }
}

/// A `get()` in progress, which puts things right if it is dropped midway.
struct Wait<'a, R: Runtime> {
    shared: &'a Shared<R>,
    /// Set while it waits as this waiter.
    waiter: Option<WaiterId>,
    /// Set while it opens this connection.
    opening: Option<ConnId>,
}

impl<R: Runtime> Drop for Wait<'_, R> {
    fn drop(&mut self) {
        if self.waiter.is_none() && self.opening.is_none() {
            return;
        }
        let (waiter, opening) = (self.waiter.take(), self.opening.take());
        self.shared.with_state(|state, now, woken| {
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

/// A connection checked out of a [`Pool`]: use it as a
/// [`redis_io_async::Connection`] (it derefs to one, and the generated commands work
/// on it directly); dropping it gives it back. A connection that closed meanwhile,
/// or that a dropped call left with a request in flight, is not reused but replaced.
pub struct PooledConnection<R: Runtime> {
    pool: Pool<R>,
    id: ConnId,
    /// `Some` until dropped or detached.
    conn: Option<Connection<R>>,
}

impl<R: Runtime> PooledConnection<R> {
    /// Takes the connection out of the pool for good; the pool may open another in
    /// its place.
    pub fn detach(mut self) -> Connection<R> {
        let conn = self.conn.take();
        let id = self.id;
        self.pool
            .shared
            .with_state(|state, now, woken| state.books.detach(id, now, woken));
        conn.unwrap_or_else(|| unreachable!("a guard holds its connection until dropped"))
    }
}

impl<R: Runtime> Deref for PooledConnection<R> {
    type Target = Connection<R>;

    fn deref(&self) -> &Connection<R> {
        self.conn
            .as_ref()
            .unwrap_or_else(|| unreachable!("a guard holds its connection until dropped"))
    }
}

impl<R: Runtime> DerefMut for PooledConnection<R> {
    fn deref_mut(&mut self) -> &mut Connection<R> {
        self.conn
            .as_mut()
            .unwrap_or_else(|| unreachable!("a guard holds its connection until dropped"))
    }
}

impl<R: Runtime> Drop for PooledConnection<R> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let id = self.id;
            self.pool
                .shared
                .with_state(|state, now, woken| state.books.checkin(id, conn, now, woken));
        }
    }
}

impl<R: Runtime> fmt::Debug for PooledConnection<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledConnection")
            .field("id", &self.id)
            .field("conn", &self.conn)
            .finish()
    }
}
