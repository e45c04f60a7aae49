//! The key-value example against this workspace's clients, redis-cli and
//! redis-benchmark, on both bodies.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use redis_client::prelude::*;
use redis_io_sync::Connection;
use redis_sansio::Cmd;
use redis_sansio::config::{ConnectionConfig, ProtocolVersion, ServerAddr};
use redis_sansio::resp::Frame;
use redis_server_kit::{BoundAddr, ListenAddr, ServerConfig};

use crate::Kv;

#[path = "../../tests/support/redis_tools.rs"]
mod redis_tools;

/// A kv server on a free loopback port, shut down when dropped.
struct Running {
    port: u16,
    stop: Box<dyn FnMut()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        (self.stop)();
    }
}

fn port_of(addrs: &[BoundAddr]) -> u16 {
    match addrs.first() {
        Some(BoundAddr::Tcp(addr)) => addr.port(),
        other => panic!("expected a TCP address, got {other:?}"),
    }
}

fn start_blocking() -> Running {
    start_blocking_with(ServerConfig::default())
}

fn start_blocking_with(config: ServerConfig) -> Running {
    let handler = Arc::new(Kv::new(config.databases));
    let server = redis_server_kit::blocking::Server::bind(
        handler,
        config,
        &[ListenAddr::Tcp("127.0.0.1:0".into())],
    )
    .expect("bind");
    let port = port_of(&server.local_addrs());
    let shutdown = server.shutdown_handle();
    let mut thread = Some(server.spawn().expect("spawn"));
    Running {
        port,
        stop: Box::new(move || {
            shutdown.shutdown();
            if let Some(thread) = thread.take() {
                let _ = thread.join();
            }
        }),
    }
}

fn start_tokio() -> Running {
    start_tokio_with(ServerConfig::default())
}

fn start_tokio_with(config: ServerConfig) -> Running {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let handler = Arc::new(Kv::new(config.databases));
    let server = runtime
        .block_on(redis_server_kit::tokio::Server::bind(
            handler,
            config,
            &[ListenAddr::Tcp("127.0.0.1:0".into())],
        ))
        .expect("bind");
    let port = port_of(&server.local_addrs());
    let shutdown = server.shutdown_handle();
    let task = runtime.spawn(server.run());
    let mut parts = Some((runtime, task));
    Running {
        port,
        stop: Box::new(move || {
            shutdown.shutdown();
            if let Some((runtime, task)) = parts.take() {
                let _ = runtime.block_on(task);
            }
        }),
    }
}

fn connect(port: u16, protocol: ProtocolVersion) -> Connection {
    let config = ConnectionConfig::new(ServerAddr::tcp("127.0.0.1", port))
        .with_protocol(protocol)
        .with_response_timeout(Duration::from_secs(30));
    Connection::connect(config).expect("the handshake")
}

fn request(conn: &mut Connection, cmd: Cmd) -> Frame {
    conn.request(&cmd).expect("a reply")
}

/// Strings, lists, hashes, expiry and databases through the raw command API.
fn data_commands(port: u16, protocol: ProtocolVersion) {
    let mut conn = connect(port, protocol);
    let key = |name: &str| format!("{protocol:?}:{name}");
    assert_eq!(
        request(&mut conn, Cmd::new("SET").arg(key("s")).arg("v")),
        Frame::simple("OK")
    );
    assert_eq!(
        request(&mut conn, Cmd::new("GET").arg(key("s"))),
        Frame::bulk("v")
    );
    assert_eq!(
        request(&mut conn, Cmd::new("APPEND").arg(key("s")).arg("w")),
        Frame::Integer(2)
    );
    assert_eq!(
        request(&mut conn, Cmd::new("INCRBY").arg(key("n")).arg(5)),
        Frame::Integer(5)
    );
    let wrong = conn.request(&Cmd::new("LPUSH").arg(key("s")).arg("x"));
    assert!(format!("{wrong:?}").contains("WRONGTYPE"), "{wrong:?}");

    assert_eq!(
        request(
            &mut conn,
            Cmd::new("RPUSH").arg(key("l")).arg("a").arg("b").arg("c")
        ),
        Frame::Integer(3)
    );
    assert_eq!(
        request(&mut conn, Cmd::new("LRANGE").arg(key("l")).arg(0).arg(-2)),
        Frame::Array(vec![Frame::bulk("a"), Frame::bulk("b")])
    );
    assert_eq!(
        request(&mut conn, Cmd::new("LPOP").arg(key("l"))),
        Frame::bulk("a")
    );

    assert_eq!(
        request(
            &mut conn,
            Cmd::new("HSET")
                .arg(key("h"))
                .arg("f")
                .arg("1")
                .arg("g")
                .arg("2")
        ),
        Frame::Integer(2)
    );
    assert_eq!(
        request(&mut conn, Cmd::new("HINCRBY").arg(key("h")).arg("f").arg(9)),
        Frame::Integer(10)
    );
    let all = request(&mut conn, Cmd::new("HGETALL").arg(key("h")));
    let pairs = match (&all, protocol) {
        (Frame::Map(pairs), ProtocolVersion::Resp3) => pairs.len(),
        (Frame::Array(flat), ProtocolVersion::Resp2) => flat.len() / 2,
        other => panic!("HGETALL: {other:?}"),
    };
    assert_eq!(pairs, 2);

    // Expiry: a key with 50 ms to live is gone after a bounded wait.
    assert_eq!(
        request(
            &mut conn,
            Cmd::new("SET").arg(key("e")).arg("v").arg("PX").arg(50)
        ),
        Frame::simple("OK")
    );
    let ttl = request(&mut conn, Cmd::new("PTTL").arg(key("e")));
    assert!(matches!(ttl, Frame::Integer(1..=50)), "{ttl:?}");
    assert_eq!(
        request(&mut conn, Cmd::new("TTL").arg(key("s"))),
        Frame::Integer(-1)
    );
    let gone = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(10));
        request(&mut conn, Cmd::new("EXISTS").arg(key("e"))) == Frame::Integer(0)
    });
    assert!(gone, "the key expired within 2 s");

    // Databases are separate.
    assert_eq!(
        request(&mut conn, Cmd::new("SELECT").arg(1)),
        Frame::simple("OK")
    );
    assert_eq!(
        request(&mut conn, Cmd::new("GET").arg(key("s"))),
        Frame::NullBulk
    );
    let unknown = conn.request(&Cmd::new("NOSUCH").arg("a"));
    assert!(
        format!("{unknown:?}")
            .contains("ERR unknown command 'NOSUCH', with args beginning with: 'a' "),
        "{unknown:?}"
    );
}

#[test]
fn blocking_body_serves_the_blocking_client_in_both_protocols() {
    let server = start_blocking();
    data_commands(server.port, ProtocolVersion::Resp3);
    data_commands(server.port, ProtocolVersion::Resp2);
}

#[test]
fn tokio_body_serves_the_blocking_client_in_both_protocols() {
    let server = start_tokio();
    data_commands(server.port, ProtocolVersion::Resp3);
    data_commands(server.port, ProtocolVersion::Resp2);
}

#[test]
fn the_typed_api_and_its_subscriber() {
    let server = start_blocking();
    let url = format!("redis://127.0.0.1:{}", server.port);
    let mut conn = Connection::open(&url).expect("connect");
    conn.set("typed:greeting", "hello").expect("SET");
    assert_eq!(
        conn.get("typed:greeting").expect("GET"),
        Some(Bytes::from_static(b"hello"))
    );
    assert_eq!(conn.rpush("typed:list", ["a", "b"]).expect("RPUSH"), 2);
    assert_eq!(conn.llen("typed:list").expect("LLEN"), 2);
    assert_eq!(conn.incr("typed:counter").expect("INCR"), 1);

    for protocol in [ProtocolVersion::Resp3, ProtocolVersion::Resp2] {
        let mut subscriber = redis_client::pubsub::Subscriber::new(connect(server.port, protocol));
        subscriber.subscribe(["news"]).expect("SUBSCRIBE");
        subscriber.psubscribe(["n*"]).expect("PSUBSCRIBE");
        let receivers = conn.publish("news", "extra").expect("PUBLISH");
        assert_eq!(receivers, 2, "the channel and the pattern subscription");
        let mut payloads = Vec::new();
        for _ in 0..2 {
            let message = subscriber
                .next_message(Some(Duration::from_secs(10)))
                .expect("a message")
                .expect("within 10 s");
            assert_eq!(&message.channel[..], b"news");
            payloads.push((message.pattern, message.payload));
        }
        assert!(payloads.contains(&(None, Bytes::from_static(b"extra"))));
        assert!(payloads.contains(&(
            Some(Bytes::from_static(b"n*")),
            Bytes::from_static(b"extra")
        )));
        drop(subscriber);
    }
    // Subscribers that left are forgotten (the next PUBLISH reaches nobody); wait
    // for the server to see them go, boundedly.
    let forgotten = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(10));
        conn.publish("news", "late").expect("PUBLISH") == 0
    });
    assert!(forgotten);
}

#[test]
fn the_tokio_multiplexed_client_runs_concurrent_callers() {
    let server = start_blocking();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let url = format!("redis://127.0.0.1:{}", server.port);
    runtime.block_on(async {
        let client = redis_io_tokio::Client::open(&url).await.expect("connect");
        let mut tasks = Vec::new();
        for task in 0..8 {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..50 {
                    let key = format!("mux:{task}:{i}");
                    client
                        .request(&Cmd::new("SET").arg(&key).arg(i))
                        .await
                        .expect("SET");
                    let value = client
                        .request(&Cmd::new("GET").arg(&key))
                        .await
                        .expect("GET");
                    assert_eq!(value, Frame::bulk(i.to_string()));
                }
            }));
        }
        for task in tasks {
            task.await.expect("a task");
        }
        let size = client.request(&Cmd::new("DBSIZE")).await.expect("DBSIZE");
        assert_eq!(size, Frame::Integer(400));
    });
}

#[test]
fn redis_cli_talks_to_it() {
    let server = start_blocking();
    let cli = |words: &[&str]| redis_tools::cli(server.port, words);
    assert_eq!(cli(&["set", "cli:k", "hello"]), "OK");
    assert_eq!(cli(&["get", "cli:k"]), "hello");
    assert_eq!(cli(&["-3", "hset", "cli:h", "f", "v"]), "1");
    // redis-cli prints a RESP3 map's pair on one line when not on a terminal.
    assert_eq!(cli(&["-3", "hgetall", "cli:h"]), "f v");
    assert_eq!(cli(&["rpush", "cli:l", "a", "b"]), "2");
    assert_eq!(cli(&["lrange", "cli:l", "0", "-1"]), "a\nb");
}

#[test]
fn redis_benchmark_runs_against_it() {
    let server = start_blocking();
    redis_tools::benchmark(server.port);
    let mut conn = connect(server.port, ProtocolVersion::Resp3);
    assert_eq!(
        request(&mut conn, Cmd::new("LLEN").arg("mylist")),
        Frame::Integer(2000),
        "every LPUSH reached the list"
    );
}

/// A subscriber that never reads is dropped once its pushes pass
/// `max_push_output`, on both bodies, while the publisher goes on.
fn slow_subscriber_is_dropped(server: &Running) {
    use std::io::{Read, Write};
    let mut subscriber = std::net::TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    subscriber
        .write_all(b"SUBSCRIBE flood\r\n")
        .expect("SUBSCRIBE");
    let mut confirmation = [0u8; 64];
    let n = subscriber
        .read(&mut confirmation)
        .expect("the confirmation");
    assert!(confirmation[..n].starts_with(b"*3\r\n$9\r\nsubscribe"));
    let mut publisher = connect(server.port, ProtocolVersion::Resp3);
    let message = vec![b'm'; 16 * 1024];
    // Up to 64 MiB, far past what the socket buffers and the 256 KiB limit hold.
    let dropped = (0..4096).any(|_| {
        request(
            &mut publisher,
            Cmd::new("PUBLISH").arg("flood").arg(&message[..]),
        ) == Frame::Integer(0)
    });
    assert!(dropped, "the subscriber was never dropped");
}

fn small_push_limit() -> ServerConfig {
    ServerConfig {
        max_push_output: 256 * 1024,
        ..ServerConfig::default()
    }
}

#[test]
fn a_subscriber_that_does_not_read_is_dropped_on_the_blocking_body() {
    slow_subscriber_is_dropped(&start_blocking_with(small_push_limit()));
}

#[test]
fn a_subscriber_that_does_not_read_is_dropped_on_the_tokio_body() {
    slow_subscriber_is_dropped(&start_tokio_with(small_push_limit()));
}
