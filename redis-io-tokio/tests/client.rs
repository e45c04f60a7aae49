//! The multiplexed client on tokio, against real redis-server processes: many tasks
//! over one socket, cancellation, the server dying, shutdown.

use std::future::Future;
use std::time::Duration;

use redis_io_tokio::{Client, Connection, Error, Pipeline, Request};
use redis_sansio::config::ProtocolVersion;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd, ServerErrorKind};
use redis_test_support::RedisServer;
use redis_test_support::{cmd, tcp_config as tcp, unix_config as unix};

async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .expect("test took longer than 60 s")
}

/// Compile-time check: the client, its futures and the connection's futures can move
/// between threads, so they work inside `tokio::spawn`.
#[allow(dead_code)]
fn futures_are_send(client: Client, conn: &mut Connection, cmd: &Cmd) {
    fn send<T: Send>(_: &T) {}
    fn send_static<T: Send + Sync + 'static>() {}
    send_static::<Client>();
    send_static::<Request>();
    send_static::<Pipeline>();
    send(&client.request(cmd));
    send(&client.pipeline(&[]));
    send(&client.transaction(&[]));
    send(&Client::open("redis://127.0.0.1"));
    send(&conn.request(cmd));
    send(&conn.pipeline(&[]));
    send(&conn.next_event(None));
    send(&Connection::open("redis://127.0.0.1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_share_one_connection() {
    let server = RedisServer::start();
    bounded(async {
        for config in [
            tcp(&server),
            unix(&server).with_protocol(ProtocolVersion::Resp2),
        ] {
            let client = Client::connect(config).await.unwrap();
            let tasks: Vec<_> = (0..64)
                .map(|task| {
                    let client = client.clone();
                    tokio::spawn(async move {
                        for i in 0..100 {
                            let key = format!("task:{task}:{i}");
                            let value = format!("value-{task}-{i}");
                            let set = client.request(&Cmd::new("SET").arg(&key).arg(&value));
                            assert_eq!(set.await.unwrap(), Frame::simple("OK"));
                            let get = client.request(&Cmd::new("GET").arg(&key)).await;
                            assert_eq!(get.unwrap(), Frame::bulk(value));
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(
                client.request(&cmd(&["DBSIZE"])).await.unwrap(),
                Frame::Integer(6400)
            );
            client.request(&cmd(&["FLUSHALL"])).await.unwrap();
        }
    })
    .await;
}

#[tokio::test]
async fn pipelines_transactions_and_errors() {
    let server = RedisServer::start();
    bounded(async {
        let client = Client::open(&server.url()).await.unwrap();
        let sets: Vec<Cmd> = (0..10_000)
            .map(|i| Cmd::new("SET").arg(format!("key:{i}")).arg(i))
            .collect();
        let gets: Vec<Cmd> = (0..10_000)
            .map(|i| Cmd::new("GET").arg(format!("key:{i}")))
            .collect();
        // Queued together: they go out in the same writes.
        let (sets, gets) = tokio::join!(client.pipeline(&sets), client.pipeline(&gets));
        assert!(sets.unwrap().iter().all(|r| r == &Ok(Frame::simple("OK"))));
        for (i, reply) in gets.unwrap().into_iter().enumerate() {
            assert_eq!(reply, Ok(Frame::bulk(i.to_string())));
        }
        assert_eq!(client.pipeline(&[]).await.unwrap(), vec![]);
        let mixed = client
            .pipeline(&[
                cmd(&["SET", "s", "x"]),
                cmd(&["INCR", "s"]),
                cmd(&["GET", "s"]),
            ])
            .await
            .unwrap();
        assert_eq!(mixed[0], Ok(Frame::simple("OK")));
        assert!(mixed[1].is_err());
        assert_eq!(mixed[2], Ok(Frame::bulk("x")));
        let reply = client
            .transaction(&[cmd(&["SET", "t", "1"]), cmd(&["INCR", "t"])])
            .await
            .unwrap();
        assert_eq!(
            reply,
            Frame::Array(vec![Frame::simple("OK"), Frame::Integer(2)])
        );
        let error = client.request(&cmd(&["INCR", "s"])).await.unwrap_err();
        assert_eq!(
            error.server_error().map(|e| e.kind().clone()),
            Some(ServerErrorKind::Err)
        );
        // Refused before sending: harmless to the connection.
        assert!(matches!(
            client.request(&cmd(&["HELLO", "2"])).await,
            Err(Error::Send(_))
        ));
        assert!(matches!(client.transaction(&[]).await, Err(Error::Send(_))));
        assert_eq!(
            client.request(&cmd(&["PING"])).await.unwrap(),
            Frame::simple("PONG")
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_request_does_not_shift_replies() {
    let server = RedisServer::start();
    bounded(async {
        let client = Client::connect(tcp(&server)).await.unwrap();
        // Sent, then abandoned while the server sleeps: its reply must go nowhere.
        let slow = client.request(&cmd(&["DEBUG", "SLEEP", "0.2"]));
        assert!(
            tokio::time::timeout(Duration::from_millis(20), slow)
                .await
                .is_err()
        );
        // Abandoned before the driver even looked at it.
        drop(client.request(&cmd(&["ECHO", "never awaited"])));
        drop(client.pipeline(&[cmd(&["ECHO", "a"]), cmd(&["ECHO", "b"])]));
        // Meanwhile other tasks wait behind the sleep, and some give up.
        let tasks: Vec<_> = (0..16)
            .map(|task| {
                let client = client.clone();
                tokio::spawn(async move {
                    for i in 0..50 {
                        let value = format!("{task}-{i}");
                        let echo = client.request(&cmd(&["ECHO", &value]));
                        if i % 5 == 0 {
                            let _ = tokio::time::timeout(Duration::from_micros(100), echo).await;
                            continue;
                        }
                        assert_eq!(echo.await.unwrap(), Frame::bulk(value));
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        for i in 0..20 {
            let value = format!("after-{i}");
            assert_eq!(
                client.request(&cmd(&["ECHO", &value])).await.unwrap(),
                Frame::bulk(value)
            );
        }
    })
    .await;
}

#[tokio::test]
async fn server_killed_fails_every_pending_caller() {
    let server = RedisServer::start();
    bounded(async {
        let client = Client::connect(tcp(&server)).await.unwrap();
        let slow = client.request(&cmd(&["DEBUG", "SLEEP", "0.5"]));
        let behind: Vec<Request> = (0..100)
            .map(|i| client.request(&Cmd::new("SET").arg(i).arg(i)))
            .collect();
        tokio::time::sleep(Duration::from_millis(150)).await;
        server.kill();
        let error = slow.await.unwrap_err();
        assert_eq!(error.close_reason(), Some(&CloseReason::Eof), "{error:?}");
        for request in behind {
            let error = request.await.unwrap_err();
            assert!(error.close_reason().is_some(), "{error:?}");
        }
        let error = client.request(&cmd(&["PING"])).await.unwrap_err();
        assert!(error.close_reason().is_some(), "{error:?}");
        assert_eq!(client.close_reason(), Some(CloseReason::Eof));
        assert!(client.is_closed());
        assert!(matches!(
            client.request(&cmd(&["PING"])).await,
            Err(Error::Closed(CloseReason::Eof))
        ));
    })
    .await;
}

#[tokio::test]
async fn response_timeouts_on_a_shared_connection() {
    let server = RedisServer::start();
    bounded(async {
        let config = tcp(&server).with_response_timeout(Duration::from_millis(300));
        let client = Client::connect(config).await.unwrap();
        let started = std::time::Instant::now();
        let slow = client.request(&cmd(&["DEBUG", "SLEEP", "0.6"]));
        // Queued behind the sleep: they time out too, their late replies go nowhere.
        let behind: Vec<Request> = (0..10)
            .map(|i| client.request(&cmd(&["ECHO", &i.to_string()])))
            .collect();
        assert!(matches!(
            slow.await,
            Err(Error::Request(redis_sansio::RequestError::Timeout))
        ));
        assert!(started.elapsed() < Duration::from_millis(550));
        for request in behind {
            assert!(matches!(
                request.await,
                Err(Error::Request(redis_sansio::RequestError::Timeout))
            ));
        }
        // Once the server is awake again, everything is answered in time.
        tokio::time::sleep(Duration::from_millis(400)).await;
        for i in 0..10 {
            let value = format!("after-{i}");
            assert_eq!(
                client.request(&cmd(&["ECHO", &value])).await.unwrap(),
                Frame::bulk(value)
            );
        }
        // BLPOP's own 1 s timeout outlasts the response timeout: not cut short.
        let started = std::time::Instant::now();
        assert!(
            client
                .request(&cmd(&["BLPOP", "empty", "1"]))
                .await
                .unwrap()
                .is_null()
        );
        assert!(started.elapsed() >= Duration::from_millis(900));
    })
    .await;
}

#[tokio::test]
async fn wrong_password_fails_to_connect() {
    let server = RedisServer::builder().requirepass("topsecret").start();
    bounded(async {
        match Client::connect(tcp(&server).with_password("nope")).await {
            Err(Error::Closed(CloseReason::Auth(error))) => {
                assert_eq!(error.kind(), &ServerErrorKind::WrongPass);
            }
            other => panic!("{other:?}"),
        }
        let client = Client::connect(tcp(&server).with_password("topsecret"))
            .await
            .unwrap();
        assert_eq!(
            client.request(&cmd(&["ECHO", "in"])).await.unwrap(),
            Frame::bulk("in")
        );
    })
    .await;
}

/// Connected clients as the server counts them, ourselves (one raw connection) included.
fn connected_clients(server: &RedisServer) -> usize {
    let info = server.command(&["INFO", "clients"]);
    info.split("connected_clients:")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {info:?}"))
}

async fn wait_for_clients(server: &RedisServer, expected: usize) {
    for _ in 0..200 {
        if connected_clients(server) == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("expected {expected} connected clients");
}

#[tokio::test]
async fn close_and_drop_end_the_connection() {
    let server = RedisServer::start();
    bounded(async {
        let client = Client::connect(tcp(&server)).await.unwrap();
        let other = client.clone();
        wait_for_clients(&server, 2).await;
        // An outstanding request keeps the driver alive after the handles are gone.
        let pending = client.request(&cmd(&["DEBUG", "SLEEP", "0.1"]));
        drop(client);
        drop(other);
        assert_eq!(pending.await.unwrap(), Frame::simple("OK"));
        wait_for_clients(&server, 1).await;

        let client = Client::connect(tcp(&server)).await.unwrap();
        let slow = client.request(&cmd(&["DEBUG", "SLEEP", "0.2"]));
        client.close();
        assert_eq!(
            slow.await.unwrap_err().close_reason(),
            Some(&CloseReason::Local)
        );
        assert!(matches!(
            client.request(&cmd(&["PING"])).await,
            Err(Error::Closed(CloseReason::Local))
        ));
        wait_for_clients(&server, 1).await;
    })
    .await;
}
