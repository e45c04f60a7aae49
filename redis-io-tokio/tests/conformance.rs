//! The conformance suite (`redis_test_support::conformance`) for the exclusive
//! `Connection` and the multiplexed `Client` on tokio.

use std::future::Future;
use std::panic;
use std::sync::OnceLock;

use redis_io_tokio::Tokio;
use redis_test_support::conformance::Executor;

/// One multi-threaded runtime for every test of this binary (two workers, as on a
/// two-core machine): sockets and client drivers live on it between calls.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

/// Runs the bodies on [`runtime`].
struct TokioExec;

impl Executor for TokioExec {
    type Runtime = Tokio;
    const NAME: &'static str = "tokio";

    fn block_on<T>(future: impl Future<Output = T>) -> T {
        runtime().block_on(future)
    }

    fn spawn<T: Send + 'static>(
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
}

redis_test_support::async_conformance_tests!(TokioExec);
