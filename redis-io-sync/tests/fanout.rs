//! The mio fan-out against real redis-server processes started by the harness: what
//! only a fan-out can show, many servers (TCP and a Unix socket) from one thread, a
//! killed, a slow and a refusing server among healthy ones, and `run`'s own timeout.
//! One connection of a fan-out also runs the conformance suite (`conformance.rs`).

use std::time::{Duration, Instant};

use redis_io_sync::{ConnId, Error, Fanout};
use redis_sansio::config::{ConnectionConfig, ProtocolVersion};
use redis_sansio::conn::State;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd, RequestError};
use redis_test_support::RedisServer;
use redis_test_support::cmd;

/// Every request in these tests is answered within this, or times out.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
/// No `run` here takes longer than this.
const RUN_LIMIT: Duration = Duration::from_secs(30);

fn tcp(server: &RedisServer) -> ConnectionConfig {
    redis_test_support::tcp_config(server).with_response_timeout(RESPONSE_TIMEOUT)
}

fn unix(server: &RedisServer) -> ConnectionConfig {
    redis_test_support::unix_config(server).with_response_timeout(RESPONSE_TIMEOUT)
}

/// Runs until everything is answered, bounded by [`RUN_LIMIT`].
fn run(fanout: &mut Fanout) {
    fanout.run(Some(RUN_LIMIT)).unwrap();
    assert_eq!(fanout.waiting(), 0, "run stopped with requests unanswered");
}

/// Which of `n` shards owns `key` (FNV-1a).
fn shard(key: &str, n: usize) -> usize {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (hash % n as u64) as usize
}

#[test]
fn thousand_keys_sharded_over_three_servers_in_one_run() {
    let servers = [
        RedisServer::start(),
        RedisServer::start(),
        RedisServer::start(),
    ];
    let mut fanout = Fanout::new().unwrap();
    let conns = [
        fanout.add(tcp(&servers[0])).unwrap(),
        fanout.add(tcp(&servers[1])).unwrap(),
        fanout.add(unix(&servers[2])).unwrap(),
    ];
    let keys: Vec<String> = (0..1000).map(|i| format!("key:{i}")).collect();
    let owner = |key: &str| conns[shard(key, conns.len())];

    let mut sets = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let value = format!("value:{i}");
        sets.push((
            owner(key),
            fanout
                .send(owner(key), &cmd(&["SET", key, &value]))
                .unwrap(),
        ));
    }
    run(&mut fanout);
    for (conn, id) in sets {
        assert_eq!(fanout.take(conn, id).unwrap().unwrap(), Frame::simple("OK"));
    }

    let gets: Vec<(ConnId, Cmd)> = keys
        .iter()
        .map(|key| (owner(key), cmd(&["GET", key])))
        .collect();
    let values = fanout.query_all(&gets).unwrap();
    for (i, value) in values.into_iter().enumerate() {
        assert_eq!(value.unwrap(), Frame::bulk(format!("value:{i}")));
    }

    // Each server holds exactly its own shard.
    let sizes = fanout
        .query_all(&conns.map(|conn| (conn, cmd(&["DBSIZE"]))))
        .unwrap();
    for (index, size) in sizes.into_iter().enumerate() {
        let expected = keys.iter().filter(|key| shard(key, 3) == index).count();
        assert!(expected > 0);
        assert_eq!(size.unwrap(), Frame::Integer(expected as i64));
    }
}

#[test]
fn a_killed_server_fails_only_its_own_requests() {
    let servers = [
        RedisServer::start(),
        RedisServer::start(),
        RedisServer::start(),
    ];
    let mut fanout = Fanout::new().unwrap();
    let a = fanout.add(tcp(&servers[0])).unwrap();
    let victim = fanout.add(tcp(&servers[1])).unwrap();
    let c = fanout.add(unix(&servers[2])).unwrap();
    run(&mut fanout);

    // The victim dies while DEBUG SLEEP holds its pipeline; the others keep answering.
    let mut requests = vec![(victim, cmd(&["DEBUG", "SLEEP", "0.5"]))];
    for i in 0..100 {
        let key = format!("k{i}");
        requests.push((victim, cmd(&["SET", &key, "v"])));
        requests.push((a, cmd(&["SET", &key, "a"])));
        requests.push((c, cmd(&["SET", &key, "c"])));
    }
    let outcomes = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(150));
            servers[1].kill();
        });
        fanout.query_all(&requests).unwrap()
    });
    for ((conn, _), outcome) in requests.iter().zip(&outcomes) {
        if *conn == victim {
            assert_eq!(
                outcome,
                &Err(RequestError::Closed(CloseReason::Eof)),
                "the victim's requests fail with its close"
            );
        } else {
            assert_eq!(outcome.as_ref().unwrap(), &Frame::simple("OK"));
        }
    }
    assert_eq!(fanout.close_reason(victim), Some(&CloseReason::Eof));
    assert_eq!(fanout.close_reason(a), None);

    // Later: the victim refuses at once; the others still work.
    assert!(matches!(
        fanout.send(victim, &cmd(&["PING"])),
        Err(Error::Closed(CloseReason::Eof))
    ));
    let outcomes = fanout
        .query_all(&[
            (a, cmd(&["GET", "k1"])),
            (victim, cmd(&["GET", "k1"])),
            (c, cmd(&["GET", "k1"])),
        ])
        .unwrap();
    assert_eq!(outcomes[0].as_ref().unwrap(), &Frame::bulk("a"));
    assert_eq!(outcomes[1], Err(RequestError::Closed(CloseReason::Eof)));
    assert_eq!(outcomes[2].as_ref().unwrap(), &Frame::bulk("c"));
}

#[test]
fn a_slow_server_times_out_while_the_others_answer() {
    let servers = [
        RedisServer::start(),
        RedisServer::start(),
        RedisServer::start(),
    ];
    let mut fanout = Fanout::new().unwrap();
    let slow = fanout
        .add(tcp(&servers[0]).with_response_timeout(Duration::from_millis(300)))
        .unwrap();
    let b = fanout.add(tcp(&servers[1])).unwrap();
    let c = fanout.add(unix(&servers[2])).unwrap();
    let started = Instant::now();
    let outcomes = fanout
        .query_all(&[
            (slow, cmd(&["DEBUG", "SLEEP", "1"])),
            (b, cmd(&["PING"])),
            (c, cmd(&["PING"])),
        ])
        .unwrap();
    assert_eq!(outcomes[0], Err(RequestError::Timeout));
    assert_eq!(outcomes[1].as_ref().unwrap(), &Frame::simple("PONG"));
    assert_eq!(outcomes[2].as_ref().unwrap(), &Frame::simple("PONG"));
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "did not wait for the sleeping server"
    );

    // The connection survives; once the server wakes, its late reply is dropped, not
    // given to the next request.
    std::thread::sleep(Duration::from_millis(1200).saturating_sub(started.elapsed()));
    let outcomes = fanout
        .query_all(&[(slow, cmd(&["ECHO", "after"]))])
        .unwrap();
    assert_eq!(outcomes[0].as_ref().unwrap(), &Frame::bulk("after"));
    assert_eq!(fanout.close_reason(slow), None);
}

#[test]
fn run_returns_at_its_own_timeout_and_the_next_run_carries_on() {
    let server = RedisServer::start();
    let mut fanout = Fanout::new().unwrap();
    let conn = fanout.add(tcp(&server)).unwrap();
    let sleep = fanout.send(conn, &cmd(&["DEBUG", "SLEEP", "0.5"])).unwrap();
    let started = Instant::now();
    fanout.run(Some(Duration::from_millis(100))).unwrap();
    assert!(started.elapsed() < Duration::from_millis(450));
    assert_eq!(fanout.waiting(), 1);
    assert!(fanout.take(conn, sleep).is_none());
    run(&mut fanout);
    assert_eq!(
        fanout.take(conn, sleep).unwrap().unwrap(),
        Frame::simple("OK")
    );
}

#[test]
fn a_refused_handshake_closes_only_that_connection() {
    let guarded = RedisServer::builder().requirepass("x").start();
    let open = RedisServer::start();
    for protocol in [ProtocolVersion::Resp3, ProtocolVersion::Resp2] {
        let mut fanout = Fanout::new().unwrap();
        let refused = fanout
            .add(tcp(&guarded).with_protocol(protocol).with_password("wrong"))
            .unwrap();
        let fine = fanout.add(tcp(&open).with_protocol(protocol)).unwrap();
        let outcomes = fanout
            .query_all(&[(refused, cmd(&["PING"])), (fine, cmd(&["PING"]))])
            .unwrap();
        let Some(CloseReason::Auth(error)) = fanout.close_reason(refused) else {
            panic!("{protocol:?}: {:?}", fanout.close_reason(refused));
        };
        assert_eq!(
            outcomes[0],
            Err(RequestError::Closed(CloseReason::Auth(error.clone())))
        );
        assert_eq!(outcomes[1].as_ref().unwrap(), &Frame::simple("PONG"));
        assert_eq!(fanout.core(refused).state(), State::Closed);
    }
}
