//! The async-std runtime against real redis-server processes; bodies in `common`.
#![cfg(feature = "async-std")]

use std::future::Future;

use redis_io_async_std::async_std::AsyncStd;

#[macro_use]
mod common;

impl common::TestRt for AsyncStd {
    fn block_on<T>(future: impl Future<Output = T>) -> T {
        async_std::task::block_on(future)
    }

    fn spawn_join<T: Send + 'static>(
        future: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> + Send {
        async_std::task::spawn(future)
    }
}

runtime_tests!(AsyncStd);
