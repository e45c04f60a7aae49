//! The tokio side of the async suite, written once: one multi-threaded runtime per
//! test binary (two workers, as on a two-core machine) and [`TokioExec`], the
//! [`Executor`] on it (feature `tokio`).
//!
//! A test binary whose bodies go through something in front of the servers (the
//! proxy's suite) implements its own `Executor` for the name and the front, and
//! delegates to [`block_on`] and [`spawn`].

use std::future::Future;
use std::panic;
use std::sync::OnceLock;

use redis_io_tokio::Tokio;

use super::Executor;

/// The runtime every call of the test binary runs on: sockets and client drivers live
/// on it between calls.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

/// [`Executor::block_on`] on [`runtime`].
pub fn block_on<T>(future: impl Future<Output = T>) -> T {
    runtime().block_on(future)
}

/// [`Executor::spawn`] on [`runtime`]: the task's output, or its panic resumed.
pub fn spawn<T: Send + 'static>(
    future: impl Future<Output = T> + Send + 'static,
) -> impl Future<Output = T> + Send + 'static {
    let task = runtime().spawn(future);
    async move {
        match task.await {
            Ok(output) => output,
            Err(error) => panic::resume_unwind(error.into_panic()),
        }
    }
}

/// The tokio bodies, straight to the servers.
#[derive(Debug)]
pub struct TokioExec;

impl Executor for TokioExec {
    type Runtime = Tokio;
    const NAME: &'static str = "tokio";

    fn block_on<T>(future: impl Future<Output = T>) -> T {
        block_on(future)
    }

    fn spawn<T: Send + 'static>(
        future: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> + Send + 'static {
        spawn(future)
    }
}
