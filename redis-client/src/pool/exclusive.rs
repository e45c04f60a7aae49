//! The async pool: [`Pool`] over [`redis_io_async::Connection`]; a caller that must
//! wait is a pending future, woken when something changes for it, with its
//! deadline timed by the runtime.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

use redis_io_async::{Connection, Runtime};

use super::Poolable;
use super::shared::Step;
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
pub type Pool<R> = super::Pool<Connection<R>>;

/// A connection checked out of an async [`Pool`]: it derefs to a
/// [`redis_io_async::Connection`], and dropping it gives it back.
pub type PooledConnection<R> = super::PooledConnection<Connection<R>>;

impl<R: Runtime> Poolable for Connection<R> {
    fn probe_alive(&mut self) -> bool {
        self.probe().is_none()
    }

    fn reusable(&self) -> bool {
        self.close_reason().is_none() && self.core().in_flight() == 0
    }
}

impl<R: Runtime> super::Pool<Connection<R>> {
    /// A connection of the pool's, for as long as the guard lives: an idle one at
    /// once, else one opened (by this future) while there is room, else the first
    /// one given back, first come, first served.
    ///
    /// Fails with [`PoolError::CheckoutTimeout`](super::PoolError::CheckoutTimeout)
    /// when none comes within the checkout timeout (timed by
    /// [`Runtime::sleep_until`]), [`PoolError::Closed`](super::PoolError::Closed)
    /// once the pool is [`close`](Self::close)d, and with the open's own error (such
    /// as [`Error::Connect`]) when a connection is opened for this caller and that
    /// fails.
    ///
    /// **Cancellation**: dropping the future is safe at any point. A waiting caller
    /// leaves the queue; a connection already granted to it goes to the next waiter
    /// or back to the pool; a connection it was opening is left for another caller to
    /// open.
    pub async fn get(&self) -> Result<PooledConnection<R>, Error> {
        let mut checkout = self.checkout();
        loop {
            match checkout.next_step() {
                Step::Done(result) => return result,
                Step::Open => {
                    let opened = Connection::<R>::connect(self.connection_config().clone()).await;
                    checkout.opened(opened);
                }
                Step::Park(deadline) => {
                    let mut sleep = deadline.map(|at| Box::pin(R::sleep_until(at)));
                    poll_fn(|cx| {
                        if checkout.park_with(cx.waker()) {
                            return Poll::Ready(());
                        }
                        match sleep.as_mut() {
                            Some(sleep) => Pin::new(sleep).poll(cx),
                            None => Poll::Pending,
                        }
                    })
                    .await;
                }
            }
        }
    }
}
