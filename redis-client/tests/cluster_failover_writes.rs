//! A primary killed under continuous `INCR`s and `GET`s, on the blocking and the
//! tokio cluster clients: no increment runs twice, none is lost without the caller
//! being told, and reads ride the failover out.
//!
//! The server's final counter is at least the acknowledged increments and at most
//! those plus the ones reported with an unknown outcome
//! ([`RequestError::is_unknown_outcome`]); the writes that failed with anything else
//! are none; the `GET`s never fail (the ones in flight at the kill are sent again,
//! later ones wait for the promotion, all within the call's retry timeout), and both
//! kinds succeed on the promoted replica.
//!
//! Replication is asynchronous, so before the kill the key's primary is paused for
//! writes (`CLIENT PAUSE .. WRITE`: increments sent from then on wait unapplied on
//! the server) and `WAIT` makes sure its replica has every applied one: whatever the
//! failover loses was never applied. Each test has its own cluster.
#![cfg(feature = "sync")]

mod cluster_common;
mod failover_tally;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redis_client::cluster::{ClusterClient, ClusterConnection, RouterConfig};
use redis_client::prelude::*;
use redis_client::resp::Frame;
use redis_io_tokio::Tokio;
use redis_sansio::cluster::key_slot;
use redis_sansio::config::ConnectionConfig;
use redis_test_support::RedisCluster;

use cluster_common as support;
use failover_tally::{Flags, Tally, stop_once_resumed};

const KEY: &str = "{failover-writes}:counter";
/// The node timeout (5 s), an election and refreshes, with room for a loaded machine.
const FAILOVER_LIMIT: Duration = Duration::from_secs(60);
/// Each call's retry timeout: longer than any failover here.
const RETRY_TIMEOUT: Duration = Duration::from_secs(40);
const PAUSE: Duration = Duration::from_millis(5);

fn router() -> RouterConfig {
    RouterConfig::default().with_retry_timeout(RETRY_TIMEOUT)
}

/// The scenario; `start` runs the clients on threads of their own until told to stop.
fn primary_killed_under_writes(
    start: impl FnOnce(Vec<ConnectionConfig>, Arc<Flags>) -> JoinHandle<Tally>,
) {
    let cluster = RedisCluster::start();
    let seed = cluster.addrs()[0].to_string();
    let slot = key_slot(KEY.as_bytes());
    let owner = support::owner(&seed, slot);
    let survivor = cluster
        .addrs()
        .iter()
        .map(ToString::to_string)
        .find(|addr| *addr != owner)
        .unwrap();
    let flags = Arc::new(Flags::default());
    let clients = start(support::seed_configs(&cluster), flags.clone());

    // Increments land for a while.
    let started = Instant::now();
    while counter(&owner) < 50 {
        assert!(started.elapsed() < FAILOVER_LIMIT, "no increments landed");
        std::thread::sleep(PAUSE);
    }
    // Freeze the primary for writes, make sure its replica has every applied
    // increment, and kill it with increments waiting on it.
    support::run(&owner, &["CLIENT", "PAUSE", "10000", "WRITE"]);
    std::thread::sleep(Duration::from_millis(50));
    match support::run(&owner, &["WAIT", "1", "5000"]) {
        Frame::Integer(n) => assert!(n >= 1, "the replica caught up"),
        other => panic!("{other:?}"),
    }
    let victim = cluster
        .nodes()
        .iter()
        .find(|n| n.addr().to_string() == owner)
        .unwrap();
    victim.kill();
    flags.killed.store(true, Ordering::SeqCst);

    // The replica is promoted; the clients go on on it (each waits out its backoff,
    // up to 2 s, before it tries again), until both kinds have succeeded there.
    let started = Instant::now();
    let promoted = loop {
        assert!(started.elapsed() < FAILOVER_LIMIT, "no failover");
        let now = support::owner(&survivor, slot);
        if now != owner {
            break now;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let tally = stop_once_resumed(&flags, clients, FAILOVER_LIMIT);
    tally.check(counter(&promoted));
}

/// The counter as `addr` has it.
fn counter(addr: &str) -> u64 {
    match &support::run(addr, &["GET", KEY]) {
        Frame::Null => 0,
        Frame::BulkString(bytes) => std::str::from_utf8(bytes).unwrap().parse().unwrap(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn blocking_increments_are_never_doubled_and_reads_ride_a_failover_out() {
    primary_killed_under_writes(|seeds, flags| {
        std::thread::spawn(move || {
            let writer = {
                let (seeds, flags) = (seeds.clone(), flags.clone());
                std::thread::spawn(move || {
                    let mut conn = ClusterConnection::connect(seeds, router()).unwrap();
                    let mut tally = Tally::default();
                    while !flags.stop.load(Ordering::SeqCst) {
                        tally.incr(conn.incr(KEY), &flags);
                    }
                    tally
                })
            };
            let mut conn = ClusterConnection::connect(seeds, router()).unwrap();
            let mut tally = Tally::default();
            while !flags.stop.load(Ordering::SeqCst) {
                tally.get(conn.get(KEY), &flags);
                std::thread::sleep(PAUSE);
            }
            tally.merge(writer.join().unwrap())
        })
    });
}

#[test]
fn async_increments_are_never_doubled_and_reads_ride_a_failover_out() {
    primary_killed_under_writes(|seeds, flags| {
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let client = ClusterClient::<Tokio>::connect(seeds, router())
                    .await
                    .unwrap();
                // Several writers, so that increments are in flight at the kill.
                let writer = |client: ClusterClient<Tokio>, flags: Arc<Flags>| async move {
                    let mut tally = Tally::default();
                    while !flags.stop.load(Ordering::SeqCst) {
                        tally.incr(client.incr(KEY).await, &flags);
                    }
                    tally
                };
                let writers: Vec<_> = (0..4)
                    .map(|_| tokio::spawn(writer(client.clone(), flags.clone())))
                    .collect();
                let mut tally = Tally::default();
                while !flags.stop.load(Ordering::SeqCst) {
                    tally.get(client.get(KEY).await, &flags);
                    tokio::time::sleep(PAUSE).await;
                }
                for writer in writers {
                    tally = tally.merge(writer.await.unwrap());
                }
                tally
            })
        })
    });
}
