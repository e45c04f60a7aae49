//! The async runtimes the async clients run on, behind one small interface, so each
//! client's workload code is written once.

use std::future::Future;
use std::pin::Pin;

/// A spawned task's result.
pub(crate) type Joined = Pin<Box<dyn Future<Output = usize> + Send>>;

/// Runs futures to completion and spawns tasks.
pub(crate) trait Exec {
    /// Runs `future` on this thread until it completes.
    fn block_on<F: Future>(&self, future: F) -> F::Output;

    /// Spawns `future` as a task; must be called inside [`block_on`](Self::block_on).
    fn spawn<F: Future<Output = usize> + Send + 'static>(&self, future: F) -> Joined;

    /// Spawns `tasks` tasks made by `make` and sums what they return.
    fn run_tasks<F, M>(&self, tasks: usize, make: M) -> usize
    where
        F: Future<Output = usize> + Send + 'static,
        M: Fn(usize) -> F,
    {
        self.block_on(async {
            let handles: Vec<Joined> = (0..tasks).map(|i| self.spawn(make(i))).collect();
            let mut total = 0;
            for handle in handles {
                total += handle.await;
            }
            total
        })
    }
}

/// A current-thread tokio runtime: the client's tasks share the one pinned CPU.
pub(crate) struct Tokio(tokio::runtime::Runtime);

impl Tokio {
    pub(crate) fn new() -> Tokio {
        Tokio(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread tokio runtime"),
        )
    }
}

impl Exec for Tokio {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn spawn<F: Future<Output = usize> + Send + 'static>(&self, future: F) -> Joined {
        let handle = tokio::spawn(future);
        Box::pin(async move { handle.await.expect("a benchmark task panicked") })
    }
}

/// smol's global executor (what `smol::spawn` uses, the driver included).
pub(crate) struct Smol;

impl Exec for Smol {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        smol::block_on(future)
    }

    fn spawn<F: Future<Output = usize> + Send + 'static>(&self, future: F) -> Joined {
        Box::pin(smol::spawn(future))
    }
}

/// async-std's global executor.
pub(crate) struct AsyncStd;

impl Exec for AsyncStd {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        async_std::task::block_on(future)
    }

    fn spawn<F: Future<Output = usize> + Send + 'static>(&self, future: F) -> Joined {
        Box::pin(async_std::task::spawn(future))
    }
}
