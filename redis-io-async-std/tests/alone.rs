//! The multiplexed client on smol and async-std when a call is alone on the
//! connection and drives it itself: the shared checks of `redis_test_support::alone`.

use redis_test_support::{RedisServer, alone, reconnect::bounded};

/// One test per check and runtime; `$block_on` runs the check to completion.
macro_rules! alone_tests {
    ($runtime:ty, $block_on:path) => {
        use super::*;

        #[test]
        fn a_kept_future_holds_up_only_itself() {
            let server = RedisServer::start();
            $block_on(bounded::<$runtime, _>(
                alone::a_kept_future_holds_up_only_itself::<$runtime>(&server),
            ));
        }

        #[test]
        fn a_large_unpolled_call_goes_out_in_full() {
            let server = RedisServer::start();
            $block_on(bounded::<$runtime, _>(
                alone::a_large_unpolled_call_goes_out_in_full::<$runtime>(&server),
            ));
        }

        #[test]
        fn a_close_while_idle_is_noticed() {
            let server = RedisServer::start();
            $block_on(bounded::<$runtime, _>(
                alone::a_close_while_idle_is_noticed::<$runtime>(&server),
            ));
        }
    };
}

#[cfg(feature = "smol")]
mod smol {
    alone_tests!(redis_io_async_std::smol::Smol, ::smol::block_on);
}

#[cfg(feature = "async-std")]
mod async_std {
    alone_tests!(
        redis_io_async_std::async_std::AsyncStd,
        ::async_std::task::block_on
    );
}
