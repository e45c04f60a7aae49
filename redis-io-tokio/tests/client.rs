//! The multiplexed client on tokio: what the conformance suite (`conformance.rs`)
//! cannot express, `Send` futures, cancellation, shutdown.

use std::future::Future;
use std::time::Duration;

use redis_io_tokio::{Client, Connection, Error, Pipeline, Request};
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd};
use redis_test_support::RedisServer;
use redis_test_support::{cmd, tcp_config as tcp};

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
