//! The multiplexed client's reconnection on smol and async-std: the shared checks of
//! `redis_test_support::reconnect`, each against a server of its own (they kill it).

#[cfg(feature = "smol")]
mod smol {
    redis_test_support::reconnect_tests!(redis_io_async_std::smol::Smol, ::smol::block_on);
}

#[cfg(feature = "async-std")]
mod async_std {
    redis_test_support::reconnect_tests!(
        redis_io_async_std::async_std::AsyncStd,
        ::async_std::task::block_on
    );
}
