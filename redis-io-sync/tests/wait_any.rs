//! `wait_any` against a real redis-server: the connection a message arrives on is the
//! one named, over TCP and a Unix socket, in RESP3 and RESP2; the deadline bounds the
//! wait; a connection killed while watched is named too.

use std::time::{Duration, Instant};

use redis_io_sync::{Connection, wait_any};
use redis_sansio::Cmd;
use redis_sansio::conn::Event;
use redis_test_support::{RedisServer, tcp_config, unix_config};

fn subscribed(conn: &mut Connection, channel: &str) {
    conn.request(&Cmd::new("SUBSCRIBE").arg(channel)).unwrap();
}

fn publish(server: &RedisServer, channel: &str, payload: &str) {
    let mut publisher = Connection::connect(tcp_config(server)).unwrap();
    publisher
        .request(&Cmd::new("PUBLISH").arg(channel).arg(payload))
        .unwrap();
}

#[test]
fn the_connection_a_message_arrives_on_is_named_and_the_deadline_bounds_the_wait() {
    let server = RedisServer::start();
    for protocol in ["3", "2"] {
        let with = |config: redis_sansio::config::ConnectionConfig| {
            let url_protocol = match protocol {
                "2" => redis_sansio::config::ProtocolVersion::Resp2,
                _ => redis_sansio::config::ProtocolVersion::Resp3,
            };
            Connection::connect(config.with_protocol(url_protocol)).unwrap()
        };
        let mut tcp = with(tcp_config(&server));
        let mut unix = with(unix_config(&server));
        subscribed(&mut tcp, "wait:a");
        subscribed(&mut unix, "wait:b");

        let started = Instant::now();
        let deadline = started + Duration::from_millis(200);
        assert_eq!(
            wait_any(&mut [&mut tcp, &mut unix], Some(deadline)).unwrap(),
            None
        );
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(190) && waited < Duration::from_secs(2),
            "{waited:?}"
        );

        for (channel, expected) in [("wait:b", 1), ("wait:a", 0)] {
            publish(&server, channel, "hi");
            let deadline = Instant::now() + Duration::from_secs(5);
            let ready = wait_any(&mut [&mut tcp, &mut unix], Some(deadline)).unwrap();
            assert_eq!(ready, Some(expected), "RESP{protocol} {channel}");
            let conn = if expected == 0 { &mut tcp } else { &mut unix };
            match conn.next_event(Some(Duration::ZERO)).unwrap() {
                Some(Event::Message(message)) => assert_eq!(message.channel, channel.as_bytes()),
                other => panic!("{other:?}"),
            }
        }
        // Nothing left: the deadline again.
        let deadline = Instant::now() + Duration::from_millis(50);
        assert_eq!(
            wait_any(&mut [&mut tcp, &mut unix], Some(deadline)).unwrap(),
            None
        );
    }
}

#[test]
fn messages_already_read_are_named_without_waiting() {
    let server = RedisServer::start();
    let mut first = Connection::connect(tcp_config(&server)).unwrap();
    let mut second = Connection::connect(tcp_config(&server)).unwrap();
    subscribed(&mut first, "many");
    subscribed(&mut second, "other");
    for i in 0..3 {
        publish(&server, "many", &i.to_string());
    }
    // The first message brings the others into the connection's buffers.
    let deadline = Some(Instant::now() + Duration::from_secs(5));
    for i in 0..3 {
        let ready = wait_any(&mut [&mut second, &mut first], deadline).unwrap();
        assert_eq!(ready, Some(1));
        match first.next_event(Some(Duration::ZERO)).unwrap() {
            Some(Event::Message(message)) => assert_eq!(message.payload, i.to_string().as_bytes()),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_connection_killed_while_watched_is_named_and_reports_its_close() {
    let server = RedisServer::start();
    let mut watched = Connection::connect(tcp_config(&server)).unwrap();
    let mut other = Connection::connect(tcp_config(&server)).unwrap();
    subscribed(&mut watched, "k");
    subscribed(&mut other, "l");
    let killer = std::thread::spawn({
        let addr = server.addr();
        move || {
            std::thread::sleep(Duration::from_millis(100));
            // Both are subscribed: both go, and whichever is seen first is named.
            redis_test_support::command(addr, &["CLIENT", "KILL", "TYPE", "pubsub"])
        }
    });
    let deadline = Some(Instant::now() + Duration::from_secs(5));
    let ready = wait_any(&mut [&mut other, &mut watched], deadline).unwrap();
    killer.join().unwrap();
    let ready = ready.expect("a close before the deadline");
    let conn = if ready == 0 { &mut other } else { &mut watched };
    assert!(conn.next_event(Some(Duration::ZERO)).is_err(), "the close");
    assert!(conn.close_reason().is_some());
}
