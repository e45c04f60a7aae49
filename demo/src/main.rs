//! The demo behind `scripts/demo`: starts a throw-away `redis-server` on a free
//! loopback port and a Unix socket, talks to it through the blocking adapter
//! (`redis-io-sync`, driving the sans-IO core), and stops the server on exit.
#![allow(clippy::print_stdout)]

use std::time::Duration;

use redis_io_sync::{Connection, Error};
use redis_sansio::Cmd;
use redis_sansio::config::{ConnectionConfig, ProtocolVersion, ServerAddr};
use redis_sansio::conn::Event;
use redis_sansio::resp::Frame;
use redis_test_support::RedisServer;

/// A short human rendering of a reply.
fn show(frame: &Frame) -> String {
    let list = |items: &[Frame]| items.iter().map(show).collect::<Vec<_>>().join(", ");
    match frame {
        Frame::SimpleString(b) | Frame::BulkString(b) => {
            format!("{:?}", String::from_utf8_lossy(b))
        }
        Frame::SimpleError(b) | Frame::BulkError(b) => {
            format!("(error) {}", String::from_utf8_lossy(b))
        }
        Frame::Integer(i) => format!("(integer) {i}"),
        Frame::Double(d) => format!("(double) {d}"),
        Frame::Boolean(b) => format!("(boolean) {b}"),
        Frame::Array(items) => format!("[{}]", list(items)),
        Frame::Set(items) => format!("set{{{}}}", list(items)),
        Frame::Push(items) => format!("push[{}]", list(items)),
        Frame::Map(pairs) => {
            let pairs: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}: {}", show(k), show(v)))
                .collect();
            format!("{{{}}}", pairs.join(", "))
        }
        other if other.is_null() => "(nil)".to_string(),
        other => format!("{other:?}"),
    }
}

fn main() -> Result<(), Error> {
    let server = RedisServer::builder()
        .acl_user("demo", "demo-password")
        .start();
    let (major, minor, patch) = server.version();
    println!(
        "started a throw-away redis-server {major}.{minor}.{patch} on {}",
        server.addr()
    );

    // RESP3 over TCP, as the ACL user, in database 1: the handshake is one round trip.
    let url = format!(
        "redis://demo:demo-password@127.0.0.1:{}/1?client_name=demo",
        server.port()
    );
    let mut conn = Connection::open(&url)?;
    println!(
        "connected to {} (RESP3, user demo, db 1)",
        url.replace("demo-password", "***")
    );
    let run = |conn: &mut Connection, cmd: Cmd| {
        let label = format!("{cmd:?}");
        match conn.request(&cmd) {
            Ok(reply) => println!("  {label:<48} -> {}", show(&reply)),
            Err(error) => println!("  {label:<48} -> {error}"),
        }
    };
    run(
        &mut conn,
        Cmd::new("SET").arg("greeting").arg("hello, sans-IO"),
    );
    run(&mut conn, Cmd::new("GET").arg("greeting"));
    run(&mut conn, Cmd::new("INCRBYFLOAT").arg("balance").arg(2.5));
    run(
        &mut conn,
        Cmd::new("HSET")
            .arg("user:1")
            .arg("name")
            .arg("Ada")
            .arg("lang")
            .arg("Rust"),
    );
    run(&mut conn, Cmd::new("HGETALL").arg("user:1"));
    run(
        &mut conn,
        Cmd::new("SADD").arg("tags").arg("fast").arg("safe"),
    );
    run(&mut conn, Cmd::new("SMEMBERS").arg("tags"));
    run(&mut conn, Cmd::new("ZADD").arg("scores").arg(1.5).arg("a"));
    run(&mut conn, Cmd::new("ZSCORE").arg("scores").arg("a"));
    run(&mut conn, Cmd::new("INCR").arg("greeting"));

    let sets: Vec<Cmd> = (0..10_000)
        .map(|i| Cmd::new("SET").arg(format!("key:{i}")).arg(i))
        .collect();
    let ok = conn
        .pipeline(&sets)?
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|f| !f.is_error()))
        .count();
    println!("  {:<48} -> {ok} OK", "pipelined 10,000 SETs in one write");
    let tx = conn.transaction(&[
        Cmd::new("INCR").arg("counter"),
        Cmd::new("INCR").arg("counter"),
    ])?;
    println!(
        "  MULTI / INCR / INCR / EXEC                  -> {}",
        show(&tx)
    );

    // RESP2 over the Unix socket, with pub/sub.
    let unix = ServerAddr::unix(server.unix_path().expect("the harness opens a Unix socket"));
    let config = ConnectionConfig::default()
        .with_addr(unix)
        .with_protocol(ProtocolVersion::Resp2)
        .with_username("demo")
        .with_password("demo-password");
    let mut subscriber = Connection::connect(config.clone())?;
    subscriber.request(&Cmd::new("SUBSCRIBE").arg("news"))?;
    let mut publisher = Connection::connect(config)?;
    publisher.request(&Cmd::new("PUBLISH").arg("news").arg("sans-IO ships"))?;
    if let Some(Event::Message(message)) = subscriber.next_event(Some(Duration::from_secs(2)))? {
        println!(
            "RESP2 over {}: message on {:?}: {:?}",
            server
                .unix_path()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            String::from_utf8_lossy(&message.channel),
            String::from_utf8_lossy(&message.payload)
        );
    }

    match Connection::open(&format!("redis://demo:wrong@127.0.0.1:{}", server.port())) {
        Err(error) => println!("a wrong password is a typed error: {error}"),
        Ok(_) => println!("unexpected: a wrong password was accepted"),
    }

    drop(server);
    println!("stopped the server; bye");
    Ok(())
}
