//! The pass-through proxy in front of a real redis-server: shared and dedicated
//! upstreams, pub/sub, transactions, blocking commands, a lost upstream, redis-cli
//! and redis-benchmark through it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use redis_io_sync::Connection;
use redis_sansio::Cmd;
use redis_sansio::config::ProtocolVersion;
use redis_sansio::resp::Frame;
use redis_server_kit::proxy::{Proxy, ProxyConfig};
use redis_server_kit::{BoundAddr, ListenAddr, ServerConfig};
use redis_test_support::{RedisServer, tcp_config};

#[path = "support/redis_tools.rs"]
mod redis_tools;
#[path = "support/running_proxy.rs"]
mod running_proxy;
use running_proxy::RunningProxy;

fn ok(conn: &mut Connection, cmd: Cmd) -> Frame {
    conn.request(&cmd).expect("a reply")
}

#[test]
fn shared_upstreams_answer_pipelines_in_order_in_both_protocols() {
    let server = RedisServer::start();
    let proxy = RunningProxy::start(tcp_config(&server));
    for protocol in [ProtocolVersion::Resp3, ProtocolVersion::Resp2] {
        let mut conn = proxy.connect(protocol);
        let key = format!("shared:{protocol:?}");
        let cmds: Vec<Cmd> = (0..100)
            .map(|i| Cmd::new("RPUSH").arg(&key).arg(i))
            .chain([
                Cmd::new("LRANGE").arg(&key).arg(0).arg(2),
                Cmd::new("HGETALL").arg("none"),
            ])
            .collect();
        let outcomes = conn.pipeline(&cmds).expect("a pipeline");
        for (i, outcome) in outcomes.iter().take(100).enumerate() {
            assert_eq!(outcome.as_ref().ok(), Some(&Frame::Integer(i as i64 + 1)));
        }
        assert_eq!(
            outcomes[100].as_ref().ok(),
            Some(&Frame::Array(vec![
                Frame::bulk("0"),
                Frame::bulk("1"),
                Frame::bulk("2")
            ]))
        );
        let empty = match protocol {
            ProtocolVersion::Resp3 => Frame::Map(Vec::new()),
            _ => Frame::Array(Vec::new()),
        };
        assert_eq!(
            outcomes[101].as_ref().ok(),
            Some(&empty),
            "the upstream's own reply type"
        );
        let error = conn.request(&Cmd::new("INCR").arg(&key));
        assert!(format!("{error:?}").contains("WRONGTYPE"), "{error:?}");
        assert_eq!(
            ok(&mut conn, Cmd::new("PING")),
            Frame::simple("PONG"),
            "still usable"
        );
    }
}

#[test]
fn pubsub_runs_on_a_dedicated_upstream() {
    let server = RedisServer::start();
    let proxy = RunningProxy::start(tcp_config(&server));
    let mut publisher = proxy.connect(ProtocolVersion::Resp3);
    for protocol in [ProtocolVersion::Resp3, ProtocolVersion::Resp2] {
        let mut subscriber = redis_client::pubsub::Subscriber::new(proxy.connect(protocol));
        subscriber.subscribe(["proxy-news"]).expect("SUBSCRIBE");
        subscriber.psubscribe(["proxy-*"]).expect("PSUBSCRIBE");
        let receivers = ok(
            &mut publisher,
            Cmd::new("PUBLISH").arg("proxy-news").arg("hi"),
        );
        assert_eq!(receivers, Frame::Integer(2));
        for _ in 0..2 {
            let message = subscriber
                .next_message(Some(Duration::from_secs(10)))
                .expect("a message")
                .expect("within 10 s");
            assert_eq!(message.payload, Bytes::from_static(b"hi"));
        }
        let mut conn = subscriber.into_connection().expect("unsubscribed");
        assert!(ok(&mut conn, Cmd::new("GET").arg("nothing")).is_null());
    }
}

#[test]
fn transactions_watch_and_blocking_commands_get_their_own_upstream() {
    let server = RedisServer::start();
    let proxy = RunningProxy::start(tcp_config(&server));
    let mut conn = proxy.connect(ProtocolVersion::Resp3);
    let exec = conn
        .transaction(&[
            Cmd::new("SET").arg("tx:k").arg("1"),
            Cmd::new("INCR").arg("tx:k"),
        ])
        .expect("MULTI/EXEC");
    assert_eq!(
        exec,
        Frame::Array(vec![Frame::simple("OK"), Frame::Integer(2)])
    );

    // WATCH, then another client changes the key: EXEC aborts.
    ok(&mut conn, Cmd::new("WATCH").arg("tx:k"));
    let mut other = proxy.connect(ProtocolVersion::Resp2);
    ok(&mut other, Cmd::new("SET").arg("tx:k").arg("changed"));
    let aborted = conn.transaction(&[Cmd::new("SET").arg("tx:k").arg("mine")]);
    assert!(
        format!("{aborted:?}").contains("WatchConflict"),
        "EXEC after a WATCHed key changed: {aborted:?}"
    );
    assert_eq!(
        ok(&mut other, Cmd::new("GET").arg("tx:k")),
        Frame::bulk("changed")
    );

    // BLPOP waits on its own upstream while shared traffic goes on.
    let mut waiter = proxy.connect(ProtocolVersion::Resp2);
    let id = waiter
        .send(&Cmd::new("BLPOP").arg("queue").arg(10))
        .expect("BLPOP sent");
    for i in 0..20 {
        ok(&mut other, Cmd::new("SET").arg("busy").arg(i));
    }
    ok(&mut other, Cmd::new("RPUSH").arg("queue").arg("job"));
    assert_eq!(
        waiter.wait_for(id).expect("BLPOP"),
        Frame::Array(vec![Frame::bulk("queue"), Frame::bulk("job")])
    );

    // SELECT moves the client to its own upstream, on database 3.
    ok(&mut other, Cmd::new("SELECT").arg(3));
    ok(&mut other, Cmd::new("SET").arg("db3").arg("x"));
    let mut direct = Connection::connect(tcp_config(&server).with_db(3)).expect("direct");
    assert_eq!(
        ok(&mut direct, Cmd::new("GET").arg("db3")),
        Frame::bulk("x")
    );
}

#[test]
fn a_lost_upstream_closes_the_client() {
    let server = RedisServer::start();
    let proxy = RunningProxy::start(tcp_config(&server));
    let mut shared = proxy.connect(ProtocolVersion::Resp3);
    ok(&mut shared, Cmd::new("SET").arg("k").arg("v"));
    let mut dedicated = proxy.connect(ProtocolVersion::Resp2);
    ok(&mut dedicated, Cmd::new("SELECT").arg(1));
    server.kill();
    for conn in [&mut shared, &mut dedicated] {
        let first = conn.request(&Cmd::new("GET").arg("k"));
        assert!(first.is_err(), "a reply from a dead server: {first:?}");
        // The proxy closed the connection: nothing more is answered.
        let after = conn.request(&Cmd::new("PING"));
        assert!(after.is_err(), "{after:?}");
    }
}

#[test]
fn redis_cli_and_redis_benchmark_through_the_proxy() {
    let server = RedisServer::start();
    let proxy = RunningProxy::start(tcp_config(&server));
    let cli = |words: &[&str]| redis_tools::cli(proxy.port, words);
    assert_eq!(cli(&["set", "cli:k", "hello"]), "OK");
    assert_eq!(cli(&["get", "cli:k"]), "hello");
    assert_eq!(cli(&["-3", "hset", "cli:h", "f", "v"]), "1");
    assert_eq!(cli(&["-n", "2", "set", "cli:db2", "x"]), "OK");

    redis_tools::benchmark(proxy.port);
    let mut direct = Connection::connect(tcp_config(&server)).expect("direct");
    assert_eq!(
        ok(&mut direct, Cmd::new("LLEN").arg("mylist")),
        Frame::Integer(2000)
    );
    let mut db2 = Connection::connect(tcp_config(&server).with_db(2)).expect("direct db 2");
    assert_eq!(
        ok(&mut db2, Cmd::new("GET").arg("cli:db2")),
        Frame::bulk("x")
    );
}

#[test]
fn on_the_blocking_body_the_proxy_refuses_with_an_error_not_a_panic() {
    let server = RedisServer::start();
    let proxy = Proxy::new(ProxyConfig::new(tcp_config(&server))).expect("a proxy");
    let bound = redis_server_kit::blocking::Server::bind(
        Arc::new(proxy),
        ServerConfig::default(),
        &[ListenAddr::Tcp("127.0.0.1:0".into())],
    )
    .expect("bind");
    let port = match bound.local_addrs().first() {
        Some(BoundAddr::Tcp(addr)) => addr.port(),
        other => panic!("expected a TCP address, got {other:?}"),
    };
    let shutdown = bound.shutdown_handle();
    let thread = bound.spawn().expect("spawn");
    let mut raw = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    raw.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    std::io::Write::write_all(&mut raw, b"GET k\r\n").expect("write");
    let mut reply = String::new();
    std::io::Read::read_to_string(&mut raw, &mut reply).expect("read until closed");
    assert!(
        reply.starts_with("-ERR proxy: served without a tokio runtime"),
        "{reply}"
    );
    shutdown.shutdown();
    thread.join().expect("the loop").expect("a clean run");
}

#[test]
fn quit_on_a_dedicated_upstream_comes_after_the_replies_before_it() {
    let server = RedisServer::start();
    let proxy = RunningProxy::start(tcp_config(&server));
    let mut raw = std::net::TcpStream::connect(("127.0.0.1", proxy.port)).expect("connect");
    raw.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    std::io::Write::write_all(
        &mut raw,
        b"SELECT 1\r\nSET quit:k v\r\nGET quit:k\r\nQUIT\r\nPING\r\n",
    )
    .expect("write");
    let mut reply = String::new();
    std::io::Read::read_to_string(&mut raw, &mut reply).expect("read until closed");
    assert_eq!(reply, "+OK\r\n+OK\r\n$1\r\nv\r\n+OK\r\n");
}
