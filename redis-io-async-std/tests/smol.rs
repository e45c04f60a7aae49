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

redis_test_support::async_conformance_tests!(SmolExec);
