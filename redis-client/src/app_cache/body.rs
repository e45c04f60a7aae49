//! The bodies a cache runs on, and how each hands back a result: at once on the
//! blocking ones, as a future on the async ones. The cache's logic is written once,
//! as async code over [`AsyncBody`]; a blocking body's futures are ready at once.

use std::future::Future;
use std::pin::Pin;

use redis_io_async::{Client, Connection, Runtime};

use super::error::{BoxError, CacheError};
use crate::body_ops::AsyncBody;

/// The future of a cache call on an async body.
pub type CacheFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Marks the blocking bodies: `get_or_compute` takes a closure
/// `FnOnce() -> Result<V, E>`.
#[derive(Debug, Clone, Copy)]
pub struct Blocking;

/// Marks the async bodies: `get_or_compute` takes a future of `Result<V, E>`
/// (`async { ... }`), polled only when the value has to be computed.
#[derive(Debug, Clone, Copy)]
pub struct Async;

/// A body a [`Cache`](super::Cache) or [`HerdCache`](super::HerdCache) runs on:
/// the blocking connection and cluster connection (results at once), the async
/// exclusive connection, multiplexed client and cluster client (boxed futures).
///
/// Implemented by the crate's bodies only (it builds on an internal trait).
// Sealed on purpose: the internal `AsyncBody` supertrait keeps other implementations out.
#[allow(private_bounds)]
pub trait CacheBody<'a>: AsyncBody + Sized + 'a {
    /// What a call returns for a result `T`: `T` itself on blocking bodies, a
    /// [`CacheFuture`] of it on async ones.
    type Output<T: 'a>;

    /// [`Blocking`] or [`Async`]: what `get_or_compute` takes.
    type Mode;

    /// Runs the shared logic: to completion at once on blocking bodies, boxed on
    /// async ones.
    #[doc(hidden)]
    fn drive<T: 'a>(future: impl Future<Output = T> + Send + 'a) -> Self::Output<T>;
}

#[cfg(feature = "sync")]
impl<'a> CacheBody<'a> for &'a mut redis_io_sync::Connection {
    type Output<T: 'a> = T;
    type Mode = Blocking;

    fn drive<T: 'a>(future: impl Future<Output = T> + Send + 'a) -> T {
        crate::body_ops::now(future)
    }
}

#[cfg(feature = "sync")]
impl<'a> CacheBody<'a> for &'a mut crate::cluster::ClusterConnection {
    type Output<T: 'a> = T;
    type Mode = Blocking;

    fn drive<T: 'a>(future: impl Future<Output = T> + Send + 'a) -> T {
        crate::body_ops::now(future)
    }
}

impl<'a, Rt: Runtime> CacheBody<'a> for &'a mut Connection<Rt> {
    type Output<T: 'a> = CacheFuture<'a, T>;
    type Mode = Async;

    fn drive<T: 'a>(future: impl Future<Output = T> + Send + 'a) -> CacheFuture<'a, T> {
        Box::pin(future)
    }
}

impl<'a, Rt: Runtime> CacheBody<'a> for &'a Client<Rt> {
    type Output<T: 'a> = CacheFuture<'a, T>;
    type Mode = Async;

    fn drive<T: 'a>(future: impl Future<Output = T> + Send + 'a) -> CacheFuture<'a, T> {
        Box::pin(future)
    }
}

impl<'a, Rt: Runtime> CacheBody<'a> for &'a crate::cluster::ClusterClient<Rt> {
    type Output<T: 'a> = CacheFuture<'a, T>;
    type Mode = Async;

    fn drive<T: 'a>(future: impl Future<Output = T> + Send + 'a) -> CacheFuture<'a, T> {
        Box::pin(future)
    }
}

/// A computation `get_or_compute` runs on a miss: a closure on a [`Blocking`] body,
/// a future on an [`Async`] one. Its error becomes [`CacheError::Compute`].
pub trait Compute<M, V, E>: Send {
    /// Runs the computation.
    #[doc(hidden)]
    fn run(self) -> impl Future<Output = Result<V, CacheError>> + Send;
}

impl<V: Send, E: Into<BoxError>, F: FnOnce() -> Result<V, E> + Send> Compute<Blocking, V, E> for F {
    async fn run(self) -> Result<V, CacheError> {
        self().map_err(|e| CacheError::Compute(e.into()))
    }
}

impl<V: Send, E: Into<BoxError>, F: Future<Output = Result<V, E>> + Send> Compute<Async, V, E>
    for F
{
    async fn run(self) -> Result<V, CacheError> {
        self.await.map_err(|e| CacheError::Compute(e.into()))
    }
}
