//! The conformance suite (`redis_test_support::conformance`) for the exclusive
//! `Connection` and the multiplexed `Client` on smol.
#![cfg(feature = "smol")]

use std::future::Future;

use redis_io_async_std::smol::Smol;
use redis_test_support::conformance::Executor;

/// Runs the bodies with `smol::block_on` and `smol::spawn` (the global executor).
struct SmolExec;

impl Executor for SmolExec {
    type Runtime = Smol;
    const NAME: &'static str = "smol";

    fn block_on<T>(future: impl Future<Output = T>) -> T {
        smol::block_on(future)
    }

    fn spawn<T: Send + 'static>(
        future: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> + Send + 'static {
        smol::spawn(future)
    }
}

mod connection {
    use redis_test_support::conformance::AsyncConnection;

    redis_test_support::conformance_tests!(
        AsyncConnection<super::SmolExec>,
        skip {
            concurrent_tasks: "exclusive: calls take &mut self, one caller at a time (the multiplexed Client runs this check)",
        },
    );
}

mod client {
    use redis_test_support::conformance::AsyncClient;

    redis_test_support::conformance_tests!(
        AsyncClient<super::SmolExec>,
        skip {
            watch: "the multiplexed Client refuses WATCH on its shared connection (SendError::Shared); Client::dedicated opens an exclusive Connection, which runs this check",
            events_see_close: "the multiplexed Client has no event API: pub/sub is refused (SendError::Shared), pushes are dropped; the exclusive Connection runs this check",
            pubsub: "the multiplexed Client has no event API: pub/sub is refused (SendError::Shared), pushes are dropped; the exclusive Connection runs this check",
            tracking_pushes: "the multiplexed Client has no event API: pub/sub is refused (SendError::Shared), pushes are dropped; the exclusive Connection runs this check",
            tracking_redirect: "the multiplexed Client has no event API: pub/sub is refused (SendError::Shared), pushes are dropped; the exclusive Connection runs this check",
        },
    );
}
