//! The smol runtime against real redis-server processes; bodies in `common`.
#![cfg(feature = "smol")]

use std::future::Future;

use redis_io_async_std::smol::Smol;

#[macro_use]
mod common;

impl common::TestRt for Smol {
    fn block_on<T>(future: impl Future<Output = T>) -> T {
        smol::block_on(future)
    }

    fn spawn_join<T: Send + 'static>(
        future: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> + Send {
        smol::spawn(future)
    }
}

runtime_tests!(Smol);
