//! The test bodies, written once over [`TestRt`] and instantiated per runtime by
//! `runtime_tests!` in `smol.rs` and `async_std.rs`.

use std::future::Future;
use std::time::{Duration, Instant};

use futures_lite::future;
use redis_io_async::{Client, Connection, Error, Request, Runtime};
use redis_sansio::config::ProtocolVersion;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd, RequestError, ServerErrorKind};
use redis_test_support::RedisServer;
use redis_test_support::{all_configs, cmd, tcp_config as tcp, unix_config as unix};

/// What a test needs beyond [`Runtime`]: running the test and joining spawned tasks.
pub(crate) trait TestRt: Runtime {
    fn block_on<T>(future: impl Future<Output = T>) -> T;
    fn spawn_join<T: Send + 'static>(
        future: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> + Send;
}

/// Instantiates every test body below as a `#[test]` on one runtime.
macro_rules! runtime_tests {
    ($rt:ty) => {
        runtime_tests!($rt: exclusive_requests, exclusive_pipeline, wrong_password,
            many_tasks_share_one_client, server_killed_fails_pending_requests,
            response_timeout);
    };
    ($rt:ty: $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                <$rt as common::TestRt>::block_on(common::$name::<$rt>());
            }
        )*
    };
}

/// Every test is bounded: a hang is a failure, not a stuck CI run.
async fn bounded<R: Runtime, T>(test: impl Future<Output = T>) -> T {
    future::or(test, async {
        R::sleep_until(Instant::now() + Duration::from_secs(60)).await;
        panic!("test took longer than 60 s")
    })
    .await
}

async fn sleep<R: Runtime>(duration: Duration) {
    R::sleep_until(Instant::now() + duration).await;
}

pub(crate) async fn exclusive_requests<R: TestRt>() {
    let server = RedisServer::start();
    let every_byte: Vec<u8> = (0..=255).collect();
    let large: Vec<u8> = (0..1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    bounded::<R, _>(async {
        for config in all_configs(&server) {
            let protocol = config.protocol;
            let mut conn = Connection::<R>::connect(config).await.unwrap();
            assert_eq!(conn.core().protocol(), protocol);
            let set = conn.request(&cmd(&["SET", "k", "v"])).await;
            assert_eq!(set.unwrap(), Frame::simple("OK"));
            let get = conn.request(&cmd(&["GET", "k"])).await;
            assert_eq!(get.unwrap(), Frame::bulk("v"));
            let hash = conn.request(&cmd(&["HGETALL", "missing"])).await.unwrap();
            match protocol {
                ProtocolVersion::Resp3 => assert_eq!(hash, Frame::Map(vec![])),
                ProtocolVersion::Resp2 => assert_eq!(hash, Frame::Array(vec![])),
            }
            let error = conn.request(&cmd(&["INCR", "k"])).await.unwrap_err();
            assert_eq!(
                error.server_error().map(|e| e.kind().clone()),
                Some(ServerErrorKind::Err)
            );
            for value in [&every_byte[..], b"", &large[..], b"\r\n$-1\r\n"] {
                let set = Cmd::new("SET").arg("bin").arg(value);
                conn.request(&set).await.unwrap();
                let get = conn.request(&Cmd::new("GET").arg("bin")).await;
                assert_eq!(get.unwrap(), Frame::bulk(value.to_vec()));
            }
        }
        let mut conn = Connection::<R>::open(&server.url()).await.unwrap();
        let echo = conn.request(&cmd(&["ECHO", "url"])).await;
        assert_eq!(echo.unwrap(), Frame::bulk("url"));
    })
    .await;
}

pub(crate) async fn exclusive_pipeline<R: TestRt>() {
    let server = RedisServer::start();
    bounded::<R, _>(async {
        for config in all_configs(&server) {
            let mut conn = Connection::<R>::connect(config).await.unwrap();
            let sets: Vec<Cmd> = (0..10_000)
                .map(|i| Cmd::new("SET").arg(format!("key:{i}")).arg(i))
                .collect();
            let replies = conn.pipeline(&sets).await.unwrap();
            assert_eq!(replies.len(), 10_000);
            assert!(replies.iter().all(|r| r == &Ok(Frame::simple("OK"))));
            let gets: Vec<Cmd> = (0..10_000)
                .map(|i| Cmd::new("GET").arg(format!("key:{i}")))
                .collect();
            let replies = conn.pipeline(&gets).await.unwrap();
            assert_eq!(replies.len(), 10_000);
            for (i, reply) in replies.into_iter().enumerate() {
                assert_eq!(reply, Ok(Frame::bulk(i.to_string())));
            }
        }
    })
    .await;
}

pub(crate) async fn wrong_password<R: TestRt>() {
    let server = RedisServer::builder().requirepass("topsecret").start();
    bounded::<R, _>(async {
        for protocol in [ProtocolVersion::Resp3, ProtocolVersion::Resp2] {
            let wrong = tcp(&server).with_protocol(protocol).with_password("nope");
            match Connection::<R>::connect(wrong.clone()).await {
                Err(Error::Closed(CloseReason::Auth(error))) => {
                    assert_eq!(error.kind(), &ServerErrorKind::WrongPass);
                }
                other => panic!("{protocol:?}: {other:?}"),
            }
            match Client::<R>::connect(wrong).await {
                Err(Error::Closed(CloseReason::Auth(error))) => {
                    assert_eq!(error.kind(), &ServerErrorKind::WrongPass);
                }
                other => panic!("{protocol:?}: {other:?}"),
            }
        }
        let right = tcp(&server).with_password("topsecret");
        let client = Client::<R>::connect(right).await.unwrap();
        let echo = client.request(&cmd(&["ECHO", "in"])).await;
        assert_eq!(echo.unwrap(), Frame::bulk("in"));
    })
    .await;
}

pub(crate) async fn many_tasks_share_one_client<R: TestRt>() {
    let server = RedisServer::start();
    bounded::<R, _>(async {
        let configs = [
            tcp(&server),
            unix(&server).with_protocol(ProtocolVersion::Resp2),
        ];
        for config in configs {
            let client = Client::<R>::connect(config).await.unwrap();
            let tasks: Vec<_> = (0..64)
                .map(|task| {
                    let client = client.clone();
                    R::spawn_join(async move {
                        for i in 0..50 {
                            let key = format!("task:{task}:{i}");
                            let value = format!("value-{task}-{i}");
                            let set = client.request(&Cmd::new("SET").arg(&key).arg(&value));
                            let get = client.request(&Cmd::new("GET").arg(&key));
                            // Both queued before either is awaited: pipelined together.
                            let (set, get) = (set.await, get.await);
                            if set.as_ref().ok() != Some(&Frame::simple("OK"))
                                || get.as_ref().ok() != Some(&Frame::bulk(value))
                            {
                                return Err(format!("{key}: {set:?} {get:?}"));
                            }
                        }
                        Ok(())
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            let dbsize = client.request(&cmd(&["DBSIZE"])).await;
            assert_eq!(dbsize.unwrap(), Frame::Integer(3200));
            // A large pipeline and a transaction through the shared client too.
            let gets: Vec<Cmd> = (0..10_000)
                .map(|i| Cmd::new("GET").arg(format!("task:{}:{}", i % 64, i % 50)))
                .collect();
            let replies = client.pipeline(&gets).await.unwrap();
            for (i, reply) in replies.into_iter().enumerate() {
                let value = format!("value-{}-{}", i % 64, i % 50);
                assert_eq!(reply, Ok(Frame::bulk(value)));
            }
            let multi = [cmd(&["SET", "t", "1"]), cmd(&["INCR", "t"])];
            let reply = client.transaction(&multi).await.unwrap();
            let expected = Frame::Array(vec![Frame::simple("OK"), Frame::Integer(2)]);
            assert_eq!(reply, expected);
            client.request(&cmd(&["FLUSHALL"])).await.unwrap();
        }
    })
    .await;
}

pub(crate) async fn server_killed_fails_pending_requests<R: TestRt>() {
    let server = RedisServer::start();
    let other = RedisServer::start();
    bounded::<R, _>(async {
        // The multiplexed client: the request in flight and those queued behind it.
        let client = Client::<R>::connect(tcp(&server)).await.unwrap();
        let slow = client.request(&cmd(&["DEBUG", "SLEEP", "0.5"]));
        let behind: Vec<Request> = (0..100)
            .map(|i| client.request(&Cmd::new("SET").arg(i).arg(i)))
            .collect();
        sleep::<R>(Duration::from_millis(150)).await;
        server.kill();
        let error = slow.await.unwrap_err();
        assert_eq!(error.close_reason(), Some(&CloseReason::Eof), "{error:?}");
        for request in behind {
            let error = request.await.unwrap_err();
            assert!(error.close_reason().is_some(), "{error:?}");
        }
        assert!(client.is_closed());
        assert!(matches!(
            client.request(&cmd(&["PING"])).await,
            Err(Error::Closed(CloseReason::Eof))
        ));

        // The exclusive connection: killed while its request waits.
        let mut conn = Connection::<R>::connect(tcp(&other)).await.unwrap();
        let killer = async {
            sleep::<R>(Duration::from_millis(150)).await;
            other.kill();
        };
        let sleep_cmd = cmd(&["DEBUG", "SLEEP", "0.5"]);
        let (result, ()) = future::zip(conn.request(&sleep_cmd), killer).await;
        let error = result.unwrap_err();
        assert!(
            matches!(
                error,
                Error::Request(RequestError::Closed(CloseReason::Eof)) | Error::Io(_)
            ),
            "{error:?}"
        );
        assert!(matches!(
            conn.request(&cmd(&["PING"])).await,
            Err(Error::Closed(_))
        ));
    })
    .await;
}

/// The runtime's timer drives response timeouts, on both connection kinds.
pub(crate) async fn response_timeout<R: TestRt>() {
    let server = RedisServer::start();
    bounded::<R, _>(async {
        let config = tcp(&server).with_response_timeout(Duration::from_millis(300));
        let mut conn = Connection::<R>::connect(config.clone()).await.unwrap();
        let client = Client::<R>::connect(config).await.unwrap();
        let started = Instant::now();
        let slow = conn.request(&cmd(&["DEBUG", "SLEEP", "0.6"])).await;
        assert!(matches!(slow, Err(Error::Request(RequestError::Timeout))));
        assert!(started.elapsed() < Duration::from_millis(550));
        sleep::<R>(Duration::from_millis(400)).await;
        let echo = conn.request(&cmd(&["ECHO", "after"])).await;
        assert_eq!(echo.unwrap(), Frame::bulk("after"));

        let started = Instant::now();
        let slow = client.request(&cmd(&["DEBUG", "SLEEP", "0.6"]));
        let behind = client.request(&cmd(&["PING"]));
        for result in [slow.await, behind.await] {
            assert!(matches!(result, Err(Error::Request(RequestError::Timeout))));
        }
        assert!(started.elapsed() < Duration::from_millis(550));
        sleep::<R>(Duration::from_millis(400)).await;
        let echo = client.request(&cmd(&["ECHO", "after"])).await;
        assert_eq!(echo.unwrap(), Frame::bulk("after"));
    })
    .await;
}
