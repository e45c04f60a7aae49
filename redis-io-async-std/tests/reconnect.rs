//! The multiplexed client's reconnection on smol and async-std: the shared checks of
//! `redis_test_support::reconnect`, each against a server of its own (they kill it).

use redis_test_support::{RedisServer, reconnect};

/// One test per check and runtime; `$block_on` runs the check to completion.
macro_rules! reconnect_tests {
    ($runtime:ty, $block_on:path) => {
        use super::*;

        #[test]
        fn reconnect_after_client_kill() {
            let server = RedisServer::start();
            $block_on(reconnect::bounded::<$runtime, _>(
                reconnect::reconnect_after_client_kill::<$runtime>(&server),
            ));
        }

        #[test]
        fn calls_wait_while_the_server_restarts() {
            let server = RedisServer::start();
            $block_on(reconnect::calls_wait_while_the_server_restarts::<$runtime>(
                &server,
            ));
        }

        #[test]
        fn reconnect_gives_up() {
            let server = RedisServer::start();
            $block_on(reconnect::bounded::<$runtime, _>(
                reconnect::reconnect_gives_up::<$runtime>(&server),
            ));
        }

        #[test]
        fn no_policy_no_reconnect() {
            let server = RedisServer::start();
            $block_on(reconnect::bounded::<$runtime, _>(
                reconnect::no_policy_no_reconnect::<$runtime>(&server),
            ));
        }

        #[test]
        fn close_stops_reconnecting() {
            let server = RedisServer::start();
            $block_on(reconnect::bounded::<$runtime, _>(
                reconnect::close_stops_reconnecting::<$runtime>(&server),
            ));
        }
    };
}

#[cfg(feature = "smol")]
mod smol {
    reconnect_tests!(redis_io_async_std::smol::Smol, ::smol::block_on);
}

#[cfg(feature = "async-std")]
mod async_std {
    reconnect_tests!(
        redis_io_async_std::async_std::AsyncStd,
        ::async_std::task::block_on
    );
}
