//! What every redis-client integration test shares: a server, a connection per
//! body, and the macro that runs one check on every body.
#![allow(dead_code, unused_macros)]

use redis_sansio::config::ConnectionConfig;
use redis_test_support::{RedisServer, tcp_config, unix_config};

/// A throw-away server with a Unix socket, for one test.
pub(crate) fn server() -> RedisServer {
    RedisServer::builder().unix_socket(true).start()
}

/// TCP in RESP3, the default.
pub(crate) fn resp3(server: &RedisServer) -> ConnectionConfig {
    tcp_config(server)
}

/// The Unix socket in RESP2, so each check also meets RESP2 shapes (flat maps,
/// null bulks).
pub(crate) fn resp2(server: &RedisServer) -> ConnectionConfig {
    unix_config(server).with_protocol(redis_sansio::config::ProtocolVersion::Resp2)
}

pub(crate) fn blocking(config: ConnectionConfig) -> redis_io_sync::Connection {
    redis_io_sync::Connection::connect(config).expect("connect")
}

pub(crate) fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Runs `$check!(body, await tokens)` on every body, each against its own server,
/// alternating RESP3 over TCP and RESP2 over a Unix socket:
/// the blocking connection (both), tokio's exclusive connection and multiplexed
/// client, smol's exclusive connection and client, and async-std's client.
///
/// A check is a macro taking the body as an expression (evaluated afresh at each
/// use, so `&mut conn` is reborrowed) and the tokens that finish a call: `.await`
/// on async bodies, nothing on the blocking one.
macro_rules! on_every_body {
    ($check:ident) => {
        mod $check {
            use super::*;

            #[test]
            fn blocking_resp3() {
                let server = common::server();
                let mut conn = common::blocking(common::resp3(&server));
                $check!(&mut conn, );
            }

            #[test]
            fn blocking_resp2() {
                let server = common::server();
                let mut conn = common::blocking(common::resp2(&server));
                $check!(&mut conn, );
            }

            #[test]
            fn tokio_exclusive() {
                let server = common::server();
                common::tokio_runtime().block_on(async {
                    let mut conn = redis_io_tokio::Connection::connect(common::resp2(&server))
                        .await
                        .unwrap();
                    $check!(&mut conn, .await);
                });
            }

            #[test]
            fn tokio_multiplexed() {
                let server = common::server();
                common::tokio_runtime().block_on(async {
                    let client = redis_io_tokio::Client::connect(common::resp3(&server))
                        .await
                        .unwrap();
                    $check!(&client, .await);
                });
            }

            #[test]
            fn smol_exclusive() {
                let server = common::server();
                smol::block_on(async {
                    let mut conn =
                        redis_io_async_std::smol::Connection::connect(common::resp3(&server))
                            .await
                            .unwrap();
                    $check!(&mut conn, .await);
                });
            }

            #[test]
            fn smol_multiplexed() {
                let server = common::server();
                smol::block_on(async {
                    let client =
                        redis_io_async_std::smol::Client::connect(common::resp2(&server))
                            .await
                            .unwrap();
                    $check!(&client, .await);
                });
            }

            #[test]
            fn async_std_multiplexed() {
                let server = common::server();
                async_std::task::block_on(async {
                    let client =
                        redis_io_async_std::async_std::Client::connect(common::resp3(&server))
                            .await
                            .unwrap();
                    $check!(&client, .await);
                });
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_every_body;

/// The next item of a stream.
pub(crate) async fn next<S: futures_core::Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx)).await
}

/// A built command's arguments as text, name first, for comparing with what the
/// specification's syntax says.
pub(crate) fn args<R>(typed: &redis_client::TypedCmd<R>) -> Vec<String> {
    typed
        .cmd()
        .args()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}
