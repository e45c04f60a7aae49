//! The exclusive async connection on tokio, against real redis-server processes over
//! TCP and a Unix socket, in RESP3 and RESP2.

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use redis_io_tokio::{Connection, Error};
use redis_sansio::config::ProtocolVersion;
use redis_sansio::conn::Event;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd, RequestError, ServerErrorKind};
use redis_test_support::RedisServer;
use redis_test_support::{all_configs, cmd, tcp_config as tcp};

/// Every test is bounded: a hang is a failure, not a stuck CI run.
async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .expect("test took longer than 60 s")
}

#[tokio::test]
async fn requests_over_every_transport_and_protocol() {
    let server = RedisServer::start();
    bounded(async {
        for config in all_configs(&server) {
            let protocol = config.protocol;
            let mut conn = Connection::connect(config).await.unwrap();
            assert_eq!(conn.core().protocol(), protocol);
            assert_eq!(
                conn.request(&cmd(&["SET", "k", "v"])).await.unwrap(),
                Frame::simple("OK")
            );
            assert_eq!(
                conn.request(&cmd(&["GET", "k"])).await.unwrap(),
                Frame::bulk("v")
            );
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
            assert_eq!(
                conn.request(&cmd(&["PING"])).await.unwrap(),
                Frame::simple("PONG"),
                "usable after a server error"
            );
        }
        let mut conn = Connection::open(&server.url()).await.unwrap();
        assert_eq!(
            conn.request(&cmd(&["ECHO", "url"])).await.unwrap(),
            Frame::bulk("url")
        );
    })
    .await;
}

#[tokio::test]
async fn passwords_users_and_wrong_credentials() {
    let server = RedisServer::builder()
        .requirepass("topsecret")
        .acl_user("ada", "lovelace")
        .start();
    bounded(async {
        for protocol in [ProtocolVersion::Resp3, ProtocolVersion::Resp2] {
            let base = tcp(&server).with_protocol(protocol);
            let mut ada = Connection::connect(
                base.clone()
                    .with_username("ada")
                    .with_password("lovelace")
                    .with_db(2),
            )
            .await
            .unwrap();
            assert_eq!(
                ada.request(&cmd(&["ACL", "WHOAMI"])).await.unwrap(),
                Frame::bulk("ada")
            );
            for wrong in [
                base.clone().with_password("nope"),
                base.clone().with_username("ada").with_password("x"),
            ] {
                match Connection::connect(wrong).await {
                    Err(Error::Closed(CloseReason::Auth(error))) => {
                        assert_eq!(error.kind(), &ServerErrorKind::WrongPass, "{protocol:?}");
                    }
                    other => panic!("{protocol:?}: {other:?}"),
                }
            }
        }
    })
    .await;
}

#[tokio::test]
async fn pipeline_of_ten_thousand_commands() {
    let server = RedisServer::start();
    bounded(async {
        for config in all_configs(&server) {
            let mut conn = Connection::connect(config).await.unwrap();
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
            assert_eq!(conn.pipeline(&[]).await.unwrap(), vec![]);
        }
    })
    .await;
}

#[tokio::test]
async fn values_are_binary_safe() {
    let server = RedisServer::start();
    let every_byte: Vec<u8> = (0..=255).collect();
    let large: Vec<u8> = (0..1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    bounded(async {
        for config in all_configs(&server) {
            let mut conn = Connection::connect(config).await.unwrap();
            for value in [&every_byte[..], b"", &large[..], b"\r\n$-1\r\n"] {
                conn.request(&Cmd::new("SET").arg("bin").arg(value))
                    .await
                    .unwrap();
                assert_eq!(
                    conn.request(&Cmd::new("GET").arg("bin")).await.unwrap(),
                    Frame::BulkString(Bytes::copy_from_slice(value))
                );
            }
        }
    })
    .await;
}

#[tokio::test]
async fn transactions() {
    let server = RedisServer::start();
    bounded(async {
        let mut conn = Connection::connect(tcp(&server)).await.unwrap();
        let reply = conn
            .transaction(&[
                cmd(&["SET", "t", "1"]),
                cmd(&["INCR", "t"]),
                cmd(&["GET", "t"]),
            ])
            .await
            .unwrap();
        assert_eq!(
            reply,
            Frame::Array(vec![
                Frame::simple("OK"),
                Frame::Integer(2),
                Frame::bulk("2")
            ])
        );
        let error = conn.transaction(&[cmd(&["SET", "t"])]).await.unwrap_err();
        assert_eq!(
            error.server_error().map(|e| e.kind().clone()),
            Some(ServerErrorKind::ExecAbort)
        );
        assert!(matches!(conn.transaction(&[]).await, Err(Error::Send(_))));
    })
    .await;
}

#[tokio::test]
async fn pub_sub_events() {
    let server = RedisServer::start();
    bounded(async {
        for config in all_configs(&server) {
            let mut subscriber = Connection::connect(config.clone()).await.unwrap();
            subscriber
                .request(&cmd(&["SUBSCRIBE", "news"]))
                .await
                .unwrap();
            let mut publisher = Connection::connect(config.clone()).await.unwrap();
            publisher
                .request(&cmd(&["PUBLISH", "news", "hello"]))
                .await
                .unwrap();
            match subscriber.next_event(Some(Duration::from_secs(5))).await {
                Ok(Some(Event::Message(message))) => assert_eq!(message.payload, "hello"),
                other => panic!("{other:?}"),
            }
            let started = Instant::now();
            assert!(
                subscriber
                    .next_event(Some(Duration::from_millis(50)))
                    .await
                    .unwrap()
                    .is_none()
            );
            assert!(started.elapsed() >= Duration::from_millis(50));
        }
    })
    .await;
}

#[tokio::test]
async fn response_timeout_drops_the_late_reply() {
    let server = RedisServer::start();
    bounded(async {
        let config = tcp(&server).with_response_timeout(Duration::from_millis(300));
        let mut conn = Connection::connect(config).await.unwrap();
        let started = Instant::now();
        assert!(matches!(
            conn.request(&cmd(&["DEBUG", "SLEEP", "0.6"])).await,
            Err(Error::Request(RequestError::Timeout))
        ));
        assert!(started.elapsed() < Duration::from_millis(550));
        assert_eq!(
            conn.request(&cmd(&["ECHO", "after"])).await.unwrap(),
            Frame::bulk("after")
        );
    })
    .await;
}

#[tokio::test]
async fn a_cancelled_call_does_not_shift_replies() {
    let server = RedisServer::start();
    bounded(async {
        let mut conn = Connection::connect(tcp(&server)).await.unwrap();
        let sleep = cmd(&["DEBUG", "SLEEP", "0.2"]);
        let slow = conn.request(&sleep);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), slow)
                .await
                .is_err()
        );
        // A pipeline cut short too, mid-flight.
        let gets: Vec<Cmd> = (0..1000).map(|i| cmd(&["ECHO", &i.to_string()])).collect();
        let _ = tokio::time::timeout(Duration::from_millis(1), conn.pipeline(&gets)).await;
        for i in 0..20 {
            let value = format!("after-{i}");
            assert_eq!(
                conn.request(&cmd(&["ECHO", &value])).await.unwrap(),
                Frame::bulk(value)
            );
        }
    })
    .await;
}

#[tokio::test]
async fn server_killed_fails_the_pending_request() {
    let server = RedisServer::start();
    bounded(async {
        let mut conn = Connection::connect(tcp(&server)).await.unwrap();
        let killer = async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            server.kill();
        };
        let sleep = cmd(&["DEBUG", "SLEEP", "0.5"]);
        let (result, ()) = tokio::join!(conn.request(&sleep), killer);
        let error = result.unwrap_err();
        assert!(
            matches!(
                error,
                Error::Request(RequestError::Closed(CloseReason::Eof)) | Error::Io(_)
            ),
            "{error:?}"
        );
        assert!(conn.close_reason().is_some());
        assert!(matches!(
            conn.request(&cmd(&["PING"])).await,
            Err(Error::Closed(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn connection_failures_are_typed() {
    let server = RedisServer::start();
    let port = server.port();
    drop(server);
    bounded(async {
        assert!(matches!(
            Connection::open(&format!("redis://127.0.0.1:{port}")).await,
            Err(Error::Connect { source, .. })
                if source.kind() == std::io::ErrorKind::ConnectionRefused
        ));
        assert!(matches!(
            Connection::open("redis://no-such-host.invalid:6379").await,
            Err(Error::UnknownHost { .. })
        ));
        assert!(matches!(
            Connection::open("unix:///tmp/definitely/not/here.sock").await,
            Err(Error::Connect { source, .. }) if source.kind() == std::io::ErrorKind::NotFound
        ));
        assert!(matches!(
            Connection::open("rediss://127.0.0.1:1").await,
            Err(Error::TlsUnsupported)
        ));
        assert!(matches!(
            Connection::open("http://x").await,
            Err(Error::Url(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn handshake_timeout() {
    let server = RedisServer::start();
    bounded(async {
        // The server is busy sleeping: the socket connects, HELLO gets no answer.
        let busy = redis_io_tokio::Client::connect(tcp(&server)).await.unwrap();
        let sleeping = busy.request(&cmd(&["DEBUG", "SLEEP", "1"]));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        let config = tcp(&server).with_connect_timeout(Duration::from_millis(200));
        assert!(matches!(
            Connection::connect(config).await,
            Err(Error::Closed(CloseReason::HandshakeTimeout))
        ));
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_millis(200) && elapsed < Duration::from_millis(900),
            "{elapsed:?}"
        );
        sleeping.await.unwrap();
    })
    .await;
}
