//! The async runtimes the async clients run on, behind one small interface, so each
//! client's workload code is written once.

use std::future::Future;
use std::pin::Pin;

use redis_io_async::{ClientDriver, Runtime};

/// A spawned task's result.
pub(crate) type Joined = Pin<Box<dyn Future<Output = usize> + Send>>;

/// Runs futures to completion and spawns tasks.
pub(crate) trait Exec {
    /// Runs `future` on this thread until it completes.
    fn block_on<F: Future>(&self, future: F) -> F::Output;

    /// Spawns `future` as a task; must be called inside [`block_on`](Self::block_on).
    fn spawn<F: Future<Output = usize> + Send + 'static>(&self, future: F) -> Joined;

    /// Runs a multiplexed client's driver; called inside [`block_on`](Self::block_on).
    /// By default on the runtime's own `spawn`, as `Client::open` does.
    fn run_driver<R: Runtime>(&self, driver: ClientDriver<R>) {
        R::spawn(driver);
    }

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

/// A tokio runtime: current-thread (the client's tasks share the one pinned CPU), or
/// multi-thread with a given number of workers.
pub(crate) struct Tokio(tokio::runtime::Runtime);

impl Tokio {
    /// A current-thread runtime with `workers` `None`, else a multi-thread one.
    pub(crate) fn new(workers: Option<usize>) -> Tokio {
        let mut builder = match workers {
            None => tokio::runtime::Builder::new_current_thread(),
            Some(workers) => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                builder.worker_threads(workers);
                builder
            }
        };
        Tokio(builder.enable_all().build().expect("a tokio runtime"))
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

/// A `smol::LocalExecutor` run by `smol::block_on` on the worker's thread: the
/// workload's tasks and the multiplexed client's driver all run there, so no call
/// crosses threads (smol's reactor thread only wakes it for IO).
pub(crate) struct SmolLocal(smol::LocalExecutor<'static>);

impl SmolLocal {
    pub(crate) fn new() -> SmolLocal {
        SmolLocal(smol::LocalExecutor::new())
    }
}

impl Exec for SmolLocal {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        smol::block_on(self.0.run(future))
    }

    fn spawn<F: Future<Output = usize> + Send + 'static>(&self, future: F) -> Joined {
        Box::pin(self.0.spawn(future))
    }

    fn run_driver<R: Runtime>(&self, driver: ClientDriver<R>) {
        // Polled whenever `block_on` runs the executor; dropped (closing the
        // connection) with the executor.
        self.0.spawn(driver).detach();
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
