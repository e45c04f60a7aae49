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

mod connection {
    use redis_test_support::conformance::AsyncConnection;

    redis_test_support::conformance_tests!(
        AsyncConnection<super::AsyncStdExec>,
        skip {
            concurrent_tasks: "exclusive: calls take &mut self, one caller at a time (the multiplexed Client runs this check)",
        },
    );
}

mod client {
    use redis_test_support::conformance::AsyncClient;

    redis_test_support::conformance_tests!(
        AsyncClient<super::AsyncStdExec>,
        skip {
            watch: "the multiplexed Client refuses WATCH on its shared connection (SendError::Shared); Client::dedicated opens an exclusive Connection, which runs this check",
            events_see_close: "the multiplexed Client has no event API: pub/sub is refused (SendError::Shared), pushes are dropped; the exclusive Connection runs this check",
            pubsub: "the multiplexed Client has no event API: pub/sub is refused (SendError::Shared), pushes are dropped; the exclusive Connection runs this check",
            tracking_pushes: "the multiplexed Client has no event API: pub/sub is refused (SendError::Shared), pushes are dropped; the exclusive Connection runs this check",
            tracking_redirect: "the multiplexed Client has no event API: pub/sub is refused (SendError::Shared), pushes are dropped; the exclusive Connection runs this check",
        },
    );
}
