//! The blocking pool against real servers: many threads on a few connections, the
//! checkout timeout, connections killed by the server, the server down and back.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]
// Tests may read the clock and sleep; the core may not.
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use redis_client::pool::blocking::Pool;
use redis_client::pool::{PoolConfig, PoolError};
use redis_client::prelude::*;
use redis_client::{Cmd, Error, cmd};
use redis_test_support::{RedisServer, tcp_config};

/// The client name every pooled connection gets, to count them in `CLIENT LIST`.
const NAME: &str = "pooltest";

fn pool(server: &RedisServer, config: PoolConfig) -> Pool {
    Pool::new(tcp_config(server).with_client_name(NAME), config)
}

/// How many of the pool's connections the server sees now.
fn server_side_connections(server: &RedisServer) -> usize {
    server
        .command(&["CLIENT", "LIST"])
        .lines()
        .filter(|line| line.contains(&format!("name={NAME} ")))
        .count()
}

fn client_id(conn: &mut redis_io_sync::Connection) -> i64 {
    conn.execute(cmd::client_id()).expect("CLIENT ID")
}

#[test]
fn sixteen_threads_share_four_connections() {
    const THREADS: usize = 16;
    const INCRS: usize = 200;
    let server = RedisServer::start();
    let pool = pool(&server, PoolConfig::default().with_max_size(4));
    let done = Arc::new(AtomicBool::new(false));
    let most_seen = Arc::new(AtomicUsize::new(0));
    // Watches the server's side while the threads run.
    let watcher = {
        let (done, most_seen, addr) = (done.clone(), most_seen.clone(), server.addr());
        let pool = pool.clone();
        thread::spawn(move || {
            for _ in 0..2_000 {
                if done.load(Ordering::SeqCst) {
                    break;
                }
                let listed = redis_test_support::command(addr, &["CLIENT", "LIST"])
                    .lines()
                    .filter(|line| line.contains(&format!("name={NAME} ")))
                    .count();
                most_seen.fetch_max(listed.max(pool.status().size), Ordering::SeqCst);
                thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let pool = pool.clone();
            thread::spawn(move || {
                for _ in 0..INCRS {
                    let mut conn = pool.get().expect("checkout");
                    let _: i64 = conn.incr("counter").expect("INCR");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker");
    }
    done.store(true, Ordering::SeqCst);
    watcher.join().expect("watcher");
    assert_eq!(server.command(&["GET", "counter"]), "3200");
    assert!(most_seen.load(Ordering::SeqCst) <= 4, "{most_seen:?}");
    assert!(server_side_connections(&server) <= 4);
    let status = pool.status();
    assert_eq!((status.busy, status.waiting), (0, 0));
    assert!(status.size <= 4 && status.idle == status.size);
}

#[test]
fn generated_commands_work_on_the_guard() {
    let server = RedisServer::start();
    let pool = pool(&server, PoolConfig::default());
    let mut conn = pool.get().expect("checkout");
    conn.set("k", "v").expect("SET");
    assert_eq!(conn.get("k").expect("GET").as_deref(), Some(&b"v"[..]));
    // The connection's own methods, through Deref.
    let reply = conn.request(&Cmd::new("PING")).expect("PING");
    assert_eq!(reply, redis_client::resp::Frame::simple("PONG"));
    // And everything that takes a connection, through `&mut *conn`.
    let mut pipe = redis_client::Pipeline::new();
    let slot = pipe.incr("n");
    let mut replies = pipe.run(&mut *conn).expect("pipeline");
    assert_eq!(replies.take(slot).expect("INCR"), 1);
}

#[test]
fn connections_are_reused() {
    let server = RedisServer::start();
    let pool = pool(&server, PoolConfig::default().with_max_size(4));
    let first = client_id(&mut pool.get().expect("checkout"));
    for _ in 0..10 {
        assert_eq!(client_id(&mut pool.get().expect("checkout")), first);
    }
    assert_eq!(server_side_connections(&server), 1);
}

#[test]
fn checkout_times_out_with_a_typed_error_when_all_are_busy() {
    let server = RedisServer::start();
    let timeout = Duration::from_millis(200);
    let pool = pool(
        &server,
        PoolConfig::default()
            .with_max_size(1)
            .with_checkout_timeout(Some(timeout)),
    );
    let held = pool.get().expect("checkout");
    let start = Instant::now();
    let error = pool.get().expect_err("all busy");
    let waited = start.elapsed();
    assert!(
        matches!(
            error,
            Error::Pool(PoolError::CheckoutTimeout { timeout: t, max_size: 1 }) if t == timeout
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("timed out"), "{error}");
    assert!(
        waited >= timeout && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    let counted = pool.status();
    assert_eq!(
        (counted.waits, counted.checkout_timeouts),
        (1, 1),
        "{counted:?}"
    );
    drop(held);
    pool.get().expect("free again");
    assert_eq!(
        pool.status().waits,
        1,
        "an idle connection was there: no wait"
    );
}

#[test]
fn waiting_thread_gets_the_connection_given_back() {
    let server = RedisServer::start();
    let pool = pool(&server, PoolConfig::default().with_max_size(1));
    let mut held = pool.get().expect("checkout");
    let id = client_id(&mut held);
    let waiter = {
        let pool = pool.clone();
        thread::spawn(move || client_id(&mut pool.get().expect("granted")))
    };
    for _ in 0..200 {
        if pool.status().waiting == 1 {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(pool.status().waiting, 1);
    drop(held);
    assert_eq!(waiter.join().expect("waiter"), id);
}

#[test]
fn connection_killed_while_idle_is_replaced_on_next_checkout() {
    let server = RedisServer::start();
    let pool = pool(&server, PoolConfig::default().with_max_size(1));
    let first = client_id(&mut pool.get().expect("checkout"));
    assert_eq!(
        server.command(&["CLIENT", "KILL", "ID", &first.to_string()]),
        ":1"
    );
    // The next checkout notices, and opens a fresh one: the caller sees no error.
    let mut conn = pool.get().expect("checkout");
    conn.ping().expect("PING");
    assert_ne!(client_id(&mut conn), first);
    assert_eq!(pool.status().size, 1);
}

#[test]
fn connection_killed_while_busy_is_not_reused() {
    let server = RedisServer::start();
    let pool = pool(&server, PoolConfig::default().with_max_size(1));
    let mut conn = pool.get().expect("checkout");
    let first = client_id(&mut conn);
    server.command(&["CLIENT", "KILL", "ID", &first.to_string()]);
    let error = conn.incr("n").expect_err("killed");
    assert!(
        error.close_reason().is_some() || matches!(error, Error::Io(_)),
        "{error:?}"
    );
    drop(conn);
    let mut conn = pool.get().expect("checkout");
    assert_ne!(client_id(&mut conn), first);
}

#[test]
fn server_down_fails_checkouts_fast_with_the_connect_error() {
    let server = RedisServer::start();
    let pool = pool(&server, PoolConfig::default().with_max_size(2));
    server.kill();
    let start = Instant::now();
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let pool = pool.clone();
            thread::spawn(move || pool.get().map(drop))
        })
        .collect();
    for caller in callers {
        let error = caller.join().expect("caller").expect_err("server down");
        assert!(matches!(error, Error::Connect { .. }), "{error:?}");
        assert!(error.to_string().contains("could not connect"), "{error}");
    }
    // Well before the 30 s default checkout timeout.
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    let status = pool.status();
    assert_eq!((status.size, status.waiting), (0, 0));
}

#[test]
fn pool_recovers_after_a_server_restart() {
    let server = RedisServer::start();
    let pool = pool(&server, PoolConfig::default().with_max_size(2));
    {
        let (mut a, mut b) = (pool.get().expect("a"), pool.get().expect("b"));
        let _: i64 = a.incr("n").expect("INCR");
        let _: i64 = b.incr("n").expect("INCR");
    }
    assert_eq!(pool.status().idle, 2);
    server.kill();
    assert!(
        pool.get().is_err(),
        "down: the idle ones are found closed, opening fails"
    );
    server.restart();
    // The data went with the old process; the counter starts afresh.
    for expected in 1..=4 {
        let mut conn = pool.get().expect("back up");
        assert_eq!(conn.incr("n").expect("INCR"), expected);
    }
    assert_eq!(server.command(&["GET", "n"]), "4");
}

#[test]
fn closing_fails_waiting_and_later_checkouts() {
    let server = RedisServer::start();
    let pool = pool(&server, PoolConfig::default().with_max_size(1));
    let held = pool.get().expect("checkout");
    let waiter = {
        let pool = pool.clone();
        thread::spawn(move || pool.get().map(drop))
    };
    for _ in 0..200 {
        if pool.status().waiting == 1 {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    pool.close();
    let error = waiter.join().expect("waiter").expect_err("closed");
    assert!(matches!(error, Error::Pool(PoolError::Closed)), "{error:?}");
    assert!(matches!(pool.get(), Err(Error::Pool(PoolError::Closed))));
    drop(held);
    assert_eq!(pool.status().size, 0);
}

#[test]
fn detached_connection_leaves_the_pool() {
    let server = RedisServer::start();
    let pool = pool(&server, PoolConfig::default().with_max_size(1));
    let mut own = pool.get().expect("checkout").detach();
    assert_eq!(pool.status().size, 0);
    let mut pooled = pool.get().expect("room for another");
    assert_ne!(client_id(&mut own), client_id(&mut pooled));
}

#[test]
fn malformed_url_is_refused_at_once() {
    assert!(matches!(
        Pool::open("nope://x", PoolConfig::default()),
        Err(Error::Url(_))
    ));
}

#[test]
fn pools_and_guards_cross_threads() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    fn sendable<T: Send + 'static>() {}
    shareable::<Pool>();
    sendable::<redis_client::pool::blocking::PooledConnection>();
    shareable::<redis_client::pool::exclusive::Pool<redis_io_tokio::Tokio>>();
    sendable::<redis_client::pool::exclusive::PooledConnection<redis_io_tokio::Tokio>>();
}

#[test]
fn min_idle_connections_are_opened_by_the_first_get() {
    let server = RedisServer::start();
    let pool = pool(
        &server,
        PoolConfig::default().with_max_size(4).with_min_idle(2),
    );
    assert_eq!(pool.status().size, 0, "nothing opens before the first get");
    let conn = pool.get().expect("checkout");
    // Two were opened and one taken; the one that keeps min_idle is left for the
    // next caller to open (there is no background thread).
    let status = pool.status();
    assert_eq!(
        (status.busy, status.idle, status.opening),
        (1, 1, 1),
        "{status:?}"
    );
    drop(conn);
    let _conn = pool.get().expect("checkout");
    let status = pool.status();
    assert_eq!(
        (status.busy, status.idle, status.opening),
        (1, 2, 0),
        "{status:?}"
    );
    assert_eq!(server_side_connections(&server), 3);
}

#[test]
fn idle_connection_past_its_idle_timeout_is_closed_on_the_next_get() {
    let server = RedisServer::start();
    let pool = pool(
        &server,
        PoolConfig::default()
            .with_max_size(2)
            .with_idle_timeout(Some(Duration::from_millis(100))),
    );
    let first = client_id(&mut pool.get().expect("checkout"));
    thread::sleep(Duration::from_millis(200));
    let mut conn = pool.get().expect("checkout");
    assert_ne!(
        client_id(&mut conn),
        first,
        "the idle one was closed, not reused"
    );
    assert_eq!(pool.status().size, 1);
    // The server sees the old one go (it closes when the pool drops it).
    let mut remaining = usize::MAX;
    for _ in 0..100 {
        remaining = server_side_connections(&server);
        if remaining == 1 {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(remaining, 1);
}

/// Every connection the pool opens caches reads; one checked out again has read the
/// invalidations of writes acknowledged while it sat idle (the checkout's probe), in
/// RESP3 and in RESP2 (its redirect connection is read too).
#[test]
fn pooled_connections_cache_and_see_writes_made_while_idle() {
    use redis_sansio::cache::CacheConfig;
    use redis_sansio::config::ProtocolVersion;
    let server = RedisServer::start();
    for protocol in [ProtocolVersion::Resp3, ProtocolVersion::Resp2] {
        let config = tcp_config(&server).with_protocol(protocol);
        let pool = Pool::new(config, PoolConfig::default().with_max_size(1))
            .with_cache(CacheConfig::default());
        let mut writer = redis_io_sync::Connection::open(&server.url()).unwrap();
        writer.request(&Cmd::new("SET").arg("k").arg("v1")).unwrap();
        for round in 2..6 {
            let mut conn = pool.get().unwrap();
            let read: Option<String> = conn.returning().get("k").unwrap();
            assert_eq!(read.as_deref(), Some(format!("v{}", round - 1).as_str()));
            let again: Option<String> = conn.returning().get("k").unwrap();
            assert_eq!(again, read);
            drop(conn);
            writer
                .request(&Cmd::new("SET").arg("k").arg(format!("v{round}")))
                .unwrap();
        }
        let conn = pool.get().unwrap();
        let stats = conn.cache_stats().expect("caching on");
        assert!(
            stats.hits >= 4 && stats.invalidations >= 4,
            "{protocol:?} {stats:?}"
        );
    }
}
