//! Pub/sub on the multiplexed client on tokio: the shared checks of
//! `redis_test_support::pubsub`, each against a server of its own.

use std::future::Future;

/// Runs a check on a multi-thread runtime of its own, as the client's users do.
fn block_on<F: Future>(check: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(check)
}

redis_test_support::pubsub_tests!(redis_io_tokio::Tokio, block_on);
