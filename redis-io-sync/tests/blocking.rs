//! The blocking adapter against real redis-server processes started by the harness,
//! over TCP and a Unix socket, in RESP3 and RESP2.

use std::time::{Duration, Instant};

use bytes::Bytes;
use redis_io_sync::{Connection, Error};
use redis_sansio::config::ProtocolVersion;
use redis_sansio::conn::Event;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd, RequestError, ServerErrorKind};
use redis_test_support::RedisServer;
use redis_test_support::{all_configs, cmd, tcp_config as tcp};

/// Every transport and protocol combination, for tests that should hold for all.

#[test]
fn requests_over_every_transport_and_protocol() {
    let server = RedisServer::start();
    for config in all_configs(&server) {
        let protocol = config.protocol;
        let mut conn = Connection::connect(config).unwrap();
        assert_eq!(conn.core().protocol(), protocol);
        assert_eq!(
            conn.request(&cmd(&["SET", "k", "v"])).unwrap(),
            Frame::simple("OK")
        );
        assert_eq!(conn.request(&cmd(&["GET", "k"])).unwrap(), Frame::bulk("v"));
        let hash = conn.request(&cmd(&["HGETALL", "missing"])).unwrap();
        match protocol {
            ProtocolVersion::Resp3 => assert_eq!(hash, Frame::Map(vec![])),
            ProtocolVersion::Resp2 => assert_eq!(hash, Frame::Array(vec![])),
        }
        let error = conn.request(&cmd(&["INCR", "k"])).unwrap_err();
        assert_eq!(
            error.server_error().map(|e| e.kind().clone()),
            Some(ServerErrorKind::Err)
        );
        assert_eq!(
            conn.request(&cmd(&["PING"])).unwrap(),
            Frame::simple("PONG"),
            "usable after a server error"
        );
    }
}

#[test]
fn acl_users_passwords_and_select() {
    let server = RedisServer::builder()
        .requirepass("topsecret")
        .acl_user("ada", "lovelace")
        .start();
    for protocol in [ProtocolVersion::Resp3, ProtocolVersion::Resp2] {
        let base = tcp(&server).with_protocol(protocol);
        let mut conn =
            Connection::connect(base.clone().with_password("topsecret").with_db(3)).unwrap();
        conn.request(&cmd(&["SET", "in-db-3", "1"])).unwrap();
        assert_eq!(
            conn.request(&cmd(&["ACL", "WHOAMI"])).unwrap(),
            Frame::bulk("default")
        );
        let mut ada = Connection::connect(
            base.clone()
                .with_username("ada")
                .with_password("lovelace")
                .with_db(3),
        )
        .unwrap();
        assert_eq!(
            ada.request(&cmd(&["ACL", "WHOAMI"])).unwrap(),
            Frame::bulk("ada")
        );
        assert_eq!(
            ada.request(&cmd(&["GET", "in-db-3"])).unwrap(),
            Frame::bulk("1")
        );
        let mut named = Connection::connect(
            base.clone()
                .with_password("topsecret")
                .with_client_name("worker-7"),
        )
        .unwrap();
        assert_eq!(
            named.request(&cmd(&["CLIENT", "GETNAME"])).unwrap(),
            Frame::bulk("worker-7")
        );

        for wrong in [
            base.clone().with_password("nope"),
            base.clone().with_username("ada").with_password("x"),
        ] {
            match Connection::connect(wrong) {
                Err(Error::Closed(CloseReason::Auth(error))) => {
                    assert_eq!(error.kind(), &ServerErrorKind::WrongPass, "{protocol:?}");
                }
                other => panic!("{protocol:?}: {other:?}"),
            }
        }
        match Connection::connect(base.clone()) {
            Err(Error::Closed(CloseReason::Auth(error))) => {
                assert_eq!(error.kind(), &ServerErrorKind::NoAuth)
            }
            // RESP2 without credentials connects; the first command is refused.
            Ok(mut conn) => {
                assert_eq!(protocol, ProtocolVersion::Resp2);
                let error = conn.request(&cmd(&["GET", "k"])).unwrap_err();
                assert_eq!(
                    error.server_error().map(|e| e.kind().clone()),
                    Some(ServerErrorKind::NoAuth)
                );
            }
            other => panic!("{protocol:?}: {other:?}"),
        }
    }
}

#[test]
fn pipeline_of_ten_thousand_commands() {
    let server = RedisServer::start();
    for config in all_configs(&server) {
        let mut conn = Connection::connect(config).unwrap();
        let sets: Vec<Cmd> = (0..10_000)
            .map(|i| Cmd::new("SET").arg(format!("key:{i}")).arg(i))
            .collect();
        let replies = conn.pipeline(&sets).unwrap();
        assert!(replies.iter().all(|r| r == &Ok(Frame::simple("OK"))));
        let gets: Vec<Cmd> = (0..10_000)
            .map(|i| Cmd::new("GET").arg(format!("key:{i}")))
            .collect();
        let replies = conn.pipeline(&gets).unwrap();
        for (i, reply) in replies.into_iter().enumerate() {
            assert_eq!(reply, Ok(Frame::bulk(i.to_string())));
        }
    }
}

#[test]
fn values_are_binary_safe() {
    let server = RedisServer::start();
    let every_byte: Vec<u8> = (0..=255).collect();
    let large: Vec<u8> = (0..1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    for config in all_configs(&server) {
        let mut conn = Connection::connect(config).unwrap();
        for value in [&every_byte[..], b"", &large[..], b"\r\n$-1\r\n"] {
            conn.request(&Cmd::new("SET").arg("bin").arg(value))
                .unwrap();
            assert_eq!(
                conn.request(&Cmd::new("GET").arg("bin")).unwrap(),
                Frame::BulkString(Bytes::copy_from_slice(value))
            );
        }
    }
}

#[test]
fn transactions() {
    let server = RedisServer::start();
    let mut conn = Connection::connect(tcp(&server)).unwrap();
    let reply = conn
        .transaction(&[
            cmd(&["SET", "t", "1"]),
            cmd(&["INCR", "t"]),
            cmd(&["GET", "t"]),
        ])
        .unwrap();
    assert_eq!(
        reply,
        Frame::Array(vec![
            Frame::simple("OK"),
            Frame::Integer(2),
            Frame::bulk("2")
        ])
    );
    let error = conn.transaction(&[cmd(&["SET", "t"])]).unwrap_err();
    assert_eq!(
        error.server_error().map(|e| e.kind().clone()),
        Some(ServerErrorKind::ExecAbort)
    );
    // WATCH, then a change from another connection: EXEC returns null.
    conn.request(&cmd(&["WATCH", "t"])).unwrap();
    Connection::connect(tcp(&server))
        .unwrap()
        .request(&cmd(&["SET", "t", "other"]))
        .unwrap();
    assert!(matches!(
        conn.transaction(&[cmd(&["SET", "t", "mine"])]),
        Err(Error::Request(RequestError::WatchConflict))
    ));
}

#[test]
fn pub_sub_in_both_protocols() {
    let server = RedisServer::start();
    for config in all_configs(&server) {
        let mut subscriber = Connection::connect(config.clone()).unwrap();
        subscriber
            .request(&cmd(&["SUBSCRIBE", "news", "sport"]))
            .unwrap();
        subscriber.request(&cmd(&["PSUBSCRIBE", "chat.*"])).unwrap();
        let mut publisher = Connection::connect(config.clone()).unwrap();
        assert_eq!(
            publisher
                .request(&cmd(&["PUBLISH", "news", "hello"]))
                .unwrap(),
            Frame::Integer(1)
        );
        publisher
            .request(&cmd(&["PUBLISH", "chat.rust", "hi"]))
            .unwrap();
        let mut messages = Vec::new();
        while messages.len() < 2 {
            match subscriber.next_event(Some(Duration::from_secs(5))).unwrap() {
                Some(Event::Message(message)) => messages.push(message),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(messages[0].payload, "hello");
        assert_eq!(messages[1].pattern.as_deref(), Some(&b"chat.*"[..]));
        assert_eq!(subscriber.core().subscriptions().channels.len(), 2);
        if config.protocol == ProtocolVersion::Resp2 {
            assert!(matches!(
                subscriber.request(&cmd(&["GET", "k"])),
                Err(Error::Send(_))
            ));
        } else {
            assert_eq!(
                subscriber.request(&cmd(&["GET", "nothing"])).unwrap(),
                Frame::Null
            );
        }
        subscriber.request(&cmd(&["UNSUBSCRIBE"])).unwrap();
        subscriber.request(&cmd(&["PUNSUBSCRIBE"])).unwrap();
        assert!(subscriber.core().subscriptions().is_empty());
        assert_eq!(
            subscriber.request(&cmd(&["PING"])).unwrap(),
            Frame::simple("PONG")
        );
        assert_eq!(
            subscriber
                .next_event(Some(Duration::from_millis(50)))
                .unwrap(),
            None
        );
    }
}

#[test]
fn blocking_commands_and_response_timeouts() {
    let server = RedisServer::start();
    let config = tcp(&server).with_response_timeout(Duration::from_millis(300));
    let mut conn = Connection::connect(config).unwrap();
    // BLPOP's own 1 s timeout is longer than the response timeout: not cut short.
    let started = Instant::now();
    assert!(
        conn.request(&cmd(&["BLPOP", "empty", "1"]))
            .unwrap()
            .is_null()
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
    // DEBUG SLEEP past the deadline: a timeout, and the late reply goes nowhere.
    let started = Instant::now();
    assert!(matches!(
        conn.request(&cmd(&["DEBUG", "SLEEP", "0.6"])),
        Err(Error::Request(RequestError::Timeout))
    ));
    assert!(started.elapsed() < Duration::from_millis(550));
    assert_eq!(
        conn.request(&cmd(&["ECHO", "after"])).unwrap(),
        Frame::bulk("after")
    );
}

#[test]
fn server_killed_mid_pipeline_fails_every_request() {
    let server = RedisServer::start();
    let mut conn = Connection::connect(tcp(&server)).unwrap();
    let slow = conn.send(&cmd(&["DEBUG", "SLEEP", "0.5"])).unwrap();
    let ids: Vec<_> = (0..100)
        .map(|i| conn.send(&Cmd::new("SET").arg(i).arg(i)).unwrap())
        .collect();
    // The server dies while the pipeline is on the wire and DEBUG SLEEP holds it.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(150));
            server.kill();
        });
        let first = conn.wait_for(slow).unwrap_err();
        assert!(
            matches!(
                first,
                Error::Request(RequestError::Closed(CloseReason::Eof)) | Error::Io(_)
            ),
            "{first:?}"
        );
    });
    for id in ids {
        assert!(matches!(
            conn.wait_for(id),
            Err(Error::Request(RequestError::Closed(_)))
        ));
    }
    assert!(conn.close_reason().is_some());
    assert!(matches!(
        conn.request(&cmd(&["PING"])),
        Err(Error::Closed(_))
    ));
}

#[test]
fn client_kill_closes_the_connection_with_eof() {
    let server = RedisServer::start();
    let mut conn = Connection::connect(tcp(&server).with_client_name("victim")).unwrap();
    let Frame::Integer(id) = conn.request(&cmd(&["CLIENT", "ID"])).unwrap() else {
        panic!()
    };
    let mut admin = Connection::connect(tcp(&server)).unwrap();
    assert_eq!(
        admin
            .request(&Cmd::new("CLIENT").arg("KILL").arg("ID").arg(id))
            .unwrap(),
        Frame::Integer(1)
    );
    let error = conn.request(&cmd(&["PING"])).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Request(RequestError::Closed(CloseReason::Eof)) | Error::Io(_)
        ),
        "{error:?}"
    );
}

#[test]
fn connection_failures_are_typed() {
    let server = RedisServer::start();
    let port = server.port();
    drop(server);
    assert!(matches!(
        Connection::open(&format!("redis://127.0.0.1:{port}")),
        Err(Error::Connect { source, .. }) if source.kind() == std::io::ErrorKind::ConnectionRefused
    ));
    assert!(matches!(
        Connection::open("redis://no-such-host.invalid:6379"),
        Err(Error::UnknownHost { .. })
    ));
    assert!(matches!(
        Connection::open("unix:///tmp/definitely/not/here.sock"),
        Err(Error::Connect { source, .. }) if source.kind() == std::io::ErrorKind::NotFound
    ));
    assert!(matches!(
        Connection::open("rediss://127.0.0.1:1"),
        Err(Error::TlsUnsupported)
    ));
    assert!(matches!(Connection::open("http://x"), Err(Error::Url(_))));
}
