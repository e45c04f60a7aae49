//! What only the blocking connection's `pipeline` does, against a real redis-server:
//! it gathers a pipeline's outcomes as they arrive, beside requests sent on their own
//! and waited for later, and forgets the commands it sent when a later one is refused;
//! and `flush` puts queued commands on the wire before anything waits.

use redis_io_sync::{Connection, Error};
use redis_sansio::resp::Frame;
use redis_sansio::{Cmd, SendError};
use redis_test_support::RedisServer;

fn int(n: i64) -> Frame {
    Frame::Integer(n)
}

#[test]
fn requests_sent_alone_keep_their_replies_across_a_pipeline() {
    let server = RedisServer::start();
    let mut conn = Connection::open(&server.url()).unwrap();
    conn.request(&Cmd::new("DEL").arg("n")).unwrap();
    let before = conn.send(&Cmd::new("INCR").arg("n")).unwrap();
    let outcomes = conn
        .pipeline(&[Cmd::new("INCR").arg("n"), Cmd::new("INCR").arg("n")])
        .unwrap();
    let outcomes: Vec<Frame> = outcomes.into_iter().map(Result::unwrap).collect();
    assert_eq!(outcomes, [int(2), int(3)]);
    let after = conn.send(&Cmd::new("INCR").arg("n")).unwrap();
    assert_eq!(conn.wait_for(after).unwrap(), int(4));
    assert_eq!(conn.wait_for(before).unwrap(), int(1));
}

#[test]
fn a_refused_command_abandons_the_pipeline_and_the_connection_carries_on() {
    let server = RedisServer::start();
    let mut conn = Connection::open(&server.url()).unwrap();
    conn.request(&Cmd::new("DEL").arg("n")).unwrap();
    for round in 1..=3 {
        // HELLO belongs to the handshake: refused before it is sent, after the
        // INCR ahead of it was.
        let refused = conn.pipeline(&[Cmd::new("INCR").arg("n"), Cmd::new("HELLO").arg("3")]);
        assert!(
            matches!(refused, Err(Error::Send(SendError::ConnectionState { .. }))),
            "{refused:?}"
        );
        let outcomes = conn
            .pipeline(&[Cmd::new("INCR").arg("n"), Cmd::new("GET").arg("n")])
            .unwrap();
        let outcomes: Vec<Frame> = outcomes.into_iter().map(Result::unwrap).collect();
        assert_eq!(outcomes[0], int(2 * round));
        assert_eq!(outcomes[1], Frame::bulk((2 * round).to_string()));
    }
    assert_eq!(
        conn.request(&Cmd::new("GET").arg("n")).unwrap(),
        Frame::bulk("6")
    );
}

#[test]
fn a_large_pipeline_comes_back_in_order() {
    let server = RedisServer::start();
    let mut conn = Connection::open(&server.url()).unwrap();
    let n = 5_000;
    let sets: Vec<Cmd> = (0..n)
        .map(|i| Cmd::new("SET").arg(format!("key:{i}")).arg(i))
        .collect();
    for outcome in conn.pipeline(&sets).unwrap() {
        assert_eq!(outcome.unwrap(), Frame::simple("OK"));
    }
    let gets: Vec<Cmd> = (0..n)
        .map(|i| Cmd::new("GET").arg(format!("key:{i}")))
        .collect();
    let values = conn.pipeline(&gets).unwrap();
    assert_eq!(values.len(), n);
    for (i, value) in values.into_iter().enumerate() {
        assert_eq!(value.unwrap(), Frame::bulk(i.to_string()));
    }
}

/// Commands queued with `send` reach the server on `flush`, before any wait: another
/// connection sees their effect while the first has waited for nothing.
#[test]
fn flush_writes_queued_commands_without_waiting() {
    let server = RedisServer::start();
    let mut conn = Connection::open(&server.url()).unwrap();
    let mut observer = Connection::open(&server.url()).unwrap();
    let set = conn
        .send(&Cmd::new("SET").arg("flushed").arg("yes"))
        .unwrap();
    conn.flush().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let seen = observer.request(&Cmd::new("GET").arg("flushed")).unwrap();
        if seen == Frame::bulk("yes") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the queued SET never reached the server"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(conn.wait_for(set).unwrap(), Frame::simple("OK"));
}
