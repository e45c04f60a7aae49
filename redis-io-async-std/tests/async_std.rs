//! The conformance suite (`redis_test_support::conformance`) for the exclusive
//! `Connection` and the multiplexed `Client` on async-std.
#![cfg(feature = "async-std")]

use std::future::Future;

use redis_io_async_std::async_std::AsyncStd;
use redis_test_support::conformance::Executor;

/// Runs the bodies with `async_std::task::block_on` and `async_std::task::spawn`.
struct AsyncStdExec;

impl Executor for AsyncStdExec {
    type Runtime = AsyncStd;
    const NAME: &'static str = "async-std";

    fn block_on<T>(future: impl Future<Output = T>) -> T {
        async_std::task::block_on(future)
    }

    fn spawn<T: Send + 'static>(
        future: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> + Send + 'static {
        async_std::task::spawn(future)
    }
}

redis_test_support::async_conformance_tests!(AsyncStdExec);
