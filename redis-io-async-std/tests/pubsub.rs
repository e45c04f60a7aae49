//! Pub/sub on the multiplexed client on smol and async-std: the shared checks of
//! `redis_test_support::pubsub`, each against a server of its own.

#[cfg(feature = "smol")]
mod smol {
    redis_test_support::pubsub_tests!(redis_io_async_std::smol::Smol, ::smol::block_on);
}

#[cfg(feature = "async-std")]
mod async_std {
    redis_test_support::pubsub_tests!(
        redis_io_async_std::async_std::AsyncStd,
        ::async_std::task::block_on
    );
}
