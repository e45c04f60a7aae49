//! The thundering herd: 64 readers hit one logically expired `HerdCache` entry at
//! once, on separate connections (threads on blocking connections, tasks on async
//! ones) and in separate processes (this test binary run again as children).
//! Exactly one of them recomputes, counted with `INCR` on the server.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]
// Tests may read the clock and sleep; the core may not.
#![allow(clippy::disallowed_methods)]

mod app_cache_support;
mod common;

use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use redis_client::app_cache::{Cache, HerdCache};
use redis_client::prelude::*;
use redis_client::{Bytes, Cmd};
use redis_sansio::config::ConnectionConfig;

const READERS: usize = 64;
const HERD_TIMEOUT: Duration = Duration::from_secs(60);
const KEY: &str = "expensive";
const COUNTER: &str = "recomputations";
/// How long the elected reader takes to recompute, so that the other readers hit
/// the entry while it does.
const WORK: Duration = Duration::from_millis(50);

fn herd() -> HerdCache {
    HerdCache::new(Cache::new("herd")).herd_timeout(HERD_TIMEOUT)
}

/// The entry, logically expired, with "old" in it.
fn expired_entry(config: &ConnectionConfig) {
    let mut conn = common::blocking(config.clone());
    app_cache_support::expired_entry(&mut conn, &herd(), HERD_TIMEOUT, KEY);
}

/// One blocking reader: its own connection for the cache, another for the counter.
fn blocking_reader(config: &ConnectionConfig, start: impl FnOnce()) -> Bytes {
    let mut conn = common::blocking(config.clone());
    let mut counter = common::blocking(config.clone());
    let herd = herd();
    start();
    herd.get_or_compute(&mut conn, KEY, Duration::from_secs(600), || {
        counter.incr(COUNTER)?;
        std::thread::sleep(WORK);
        Ok::<_, redis_client::Error>(Bytes::from("new"))
    })
    .unwrap()
}

fn recomputations(config: &ConnectionConfig) -> i64 {
    let mut conn = common::blocking(config.clone());
    let count: Option<i64> = conn.returning().get(COUNTER).unwrap();
    count.unwrap_or(0)
}

/// Every reader got the old value or the new one.
fn assert_old_or_new(values: &[Bytes]) {
    assert_eq!(values.len(), READERS);
    for value in values {
        assert!(value == "old" || value == "new", "{value:?}");
    }
}

#[test]
fn sixty_four_threads_recompute_once() {
    let server = common::server();
    let config = common::resp3(&server);
    expired_entry(&config);
    let barrier = Arc::new(Barrier::new(READERS));
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let config = config.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                blocking_reader(&config, || {
                    barrier.wait();
                })
            })
        })
        .collect();
    let values: Vec<Bytes> = readers.into_iter().map(|r| r.join().unwrap()).collect();
    assert_old_or_new(&values);
    assert!(
        values.iter().any(|v| v == "new"),
        "the elected reader's value"
    );
    assert_eq!(recomputations(&config), 1);
}

#[test]
fn sixty_four_tokio_connections_recompute_once() {
    let server = common::server();
    let config = common::resp2(&server);
    expired_entry(&config);
    let values = common::tokio_runtime().block_on(async {
        let counter = redis_io_tokio::Client::connect(config.clone())
            .await
            .unwrap();
        // Every connection is open before any reader reads.
        let mut conns = Vec::new();
        for _ in 0..READERS {
            conns.push(
                redis_io_tokio::Connection::connect(config.clone())
                    .await
                    .unwrap(),
            );
        }
        let readers: Vec<_> = conns
            .into_iter()
            .map(|mut conn| {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let herd = herd();
                    herd.get_or_compute(&mut conn, KEY, Duration::from_secs(600), async {
                        counter.incr(COUNTER).await?;
                        tokio::time::sleep(WORK).await;
                        Ok::<_, redis_client::Error>(Bytes::from("new"))
                    })
                    .await
                    .unwrap()
                })
            })
            .collect();
        let mut values = Vec::new();
        for reader in readers {
            values.push(reader.await.unwrap());
        }
        values
    });
    assert_old_or_new(&values);
    assert_eq!(recomputations(&config), 1);
}

/// The environment variable that makes [`herd_child`] a reader process: the server's
/// port.
const CHILD_PORT: &str = "APP_CACHE_HERD_CHILD_PORT";
const PROCESSES: usize = 8;
const THREADS_PER_PROCESS: usize = READERS / PROCESSES;

/// In a child process: `THREADS_PER_PROCESS` readers, each announcing itself with
/// `INCR ready` and waiting for the parent's `go` key before reading. Does nothing
/// when run as an ordinary test.
#[test]
fn herd_child() {
    let Ok(port) = std::env::var(CHILD_PORT) else {
        return;
    };
    let config: ConnectionConfig = format!("redis://127.0.0.1:{port}").parse().unwrap();
    let readers: Vec<_> = (0..THREADS_PER_PROCESS)
        .map(|_| {
            let config = config.clone();
            std::thread::spawn(move || {
                blocking_reader(&config, || {
                    let mut conn = common::blocking(config.clone());
                    conn.incr("ready").unwrap();
                    for _ in 0..5000 {
                        if conn.exists(["go"]).unwrap() == 1 {
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    panic!("no go from the parent");
                })
            })
        })
        .collect();
    for reader in readers {
        let value = reader.join().unwrap();
        assert!(value == "old" || value == "new", "{value:?}");
    }
}

#[test]
fn sixty_four_readers_in_eight_processes_recompute_once() {
    let server = common::server();
    let config = common::resp3(&server);
    expired_entry(&config);
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&exe)
                .args(["--exact", "herd_child", "--test-threads=1"])
                .env(CHILD_PORT, server.port().to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("a child reader process")
        })
        .collect();
    // Every reader of every process is connected and waiting; then all go at once.
    let mut conn = common::blocking(config.clone());
    let mut ready = 0;
    for _ in 0..10_000 {
        ready = conn
            .returning::<Option<i64>>()
            .get("ready")
            .unwrap()
            .unwrap_or(0);
        if ready == READERS as i64 {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(ready, READERS as i64, "readers ready");
    conn.request(&Cmd::new("SET").arg("go").arg(1)).unwrap();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "a reader process failed: {}\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(recomputations(&config), 1);
}
