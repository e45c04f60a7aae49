//! Following the master through a real failover, on the blocking `SentinelClient` and
//! the async `SentinelMultiplexed` (one loop over the core's `Follower`), on tokio
//! (and smol for the first scenario):
//!
//! - under continuous `INCR`s the master is killed: the new master's counter is at
//!   least the acknowledged increments and at most those plus the ones reported with
//!   an unknown outcome; no call fails otherwise, and `GET`s go on without a
//!   caller-visible error (calls made during the failover wait for the new master);
//! - a `GET` in flight when the master dies is sent again and answered; an `INCR` in
//!   flight is not (it fails as an unknown outcome and never runs twice) unless the
//!   client opted in, and then it runs exactly once;
//! - a permanent refusal of the node found (a password set meanwhile) fails a call at
//!   once with the typed refusal.
//!
//! Replication is asynchronous, so before each kill the master is paused
//! (`CLIENT PAUSE`: commands sent from then on wait unapplied) and the replica is
//! checked to have everything: whatever the failover loses was never applied. Each
//! test has its own topology, and every loop is bounded in turns and time.
#![cfg(feature = "sync")]

mod failover_tally;
mod sentinel_support;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use failover_tally::{Flags, Tally, stop_once_resumed};
use redis_client::Error;
use redis_client::prelude::*;
use redis_client::sentinel::{SentinelClient, SentinelConfig, SentinelMultiplexed};
use redis_io_async::Runtime;
use redis_io_async_std::smol::Smol;
use redis_io_tokio::Tokio;
use redis_sansio::CloseReason;
use redis_test_support::{RawConnection, RedisSentinel, command};
use sentinel_support::{addr, config, wait_caught_up, wait_for};

const KEY: &str = "follow:counter";
/// Detection (1 s), election, promotion and discoveries, with room for a loaded
/// machine.
const FAILOVER_LIMIT: Duration = Duration::from_secs(60);
/// Each call's wait for a master: longer than any failover here.
const RETRY_TIMEOUT: Duration = Duration::from_secs(40);
const PAUSE: Duration = Duration::from_millis(5);
/// The most calls a client loop makes: far more than a minute of them.
const MAX_CALLS: usize = 1_000_000;

fn follow_config(topology: &RedisSentinel) -> SentinelConfig {
    config(topology).with_retry_timeout(RETRY_TIMEOUT)
}

/// The counter as `server` has it.
fn counter(server: std::net::SocketAddr) -> u64 {
    let reply = command(server, &["GET", KEY]);
    match reply.as_str() {
        "(nil)" => 0,
        text => text.parse().unwrap_or_else(|_| panic!("GET {KEY}: {text}")),
    }
}

/// Waits (bounded) until the first sentinel names the replica as the master.
fn wait_promoted(topology: &RedisSentinel) {
    let sentinel = topology.sentinel_addrs()[0];
    let port = topology.replica_addr().port().to_string();
    wait_for("the replica's promotion", FAILOVER_LIMIT, || {
        let reply = command(
            sentinel,
            &[
                "SENTINEL",
                "GET-MASTER-ADDR-BY-NAME",
                topology.master_name(),
            ],
        );
        if reply.contains(&port) {
            Ok(())
        } else {
            Err(reply)
        }
    });
}

/// The scenario: `start` runs the clients on threads of their own until told to stop.
fn master_killed_under_writes(start: impl FnOnce(SentinelConfig, Arc<Flags>) -> JoinHandle<Tally>) {
    let topology = RedisSentinel::start();
    let master = topology.master_addr();
    let flags = Arc::new(Flags::default());
    let clients = start(follow_config(&topology), flags.clone());

    // Increments land for a while.
    let started = Instant::now();
    while counter(master) < 50 {
        assert!(started.elapsed() < FAILOVER_LIMIT, "no increments landed");
        std::thread::sleep(PAUSE);
    }
    // Freeze the master for writes, make sure its replica has every applied
    // increment, and kill it with increments waiting on it.
    assert_eq!(
        command(master, &["CLIENT", "PAUSE", "20000", "WRITE"]),
        "+OK"
    );
    std::thread::sleep(Duration::from_millis(50));
    wait_caught_up(&topology);
    topology.master().kill();
    flags.killed.store(true, Ordering::SeqCst);

    // The sentinels promote the replica; the clients go on on it.
    wait_promoted(&topology);
    let tally = stop_once_resumed(&flags, clients, FAILOVER_LIMIT);
    tally.check(counter(topology.replica_addr()));
}

#[test]
fn blocking_increments_are_never_doubled_and_reads_ride_a_failover_out() {
    master_killed_under_writes(|config, flags| {
        std::thread::spawn(move || {
            let writers: Vec<_> = (0..2)
                .map(|_| {
                    let (config, flags) = (config.clone(), flags.clone());
                    std::thread::spawn(move || {
                        let mut client = SentinelClient::connect(config).unwrap();
                        let mut tally = Tally::default();
                        for _ in 0..MAX_CALLS {
                            if flags.stop.load(Ordering::SeqCst) {
                                break;
                            }
                            tally.incr(client.incr(KEY), &flags);
                        }
                        tally
                    })
                })
                .collect();
            let mut client = SentinelClient::connect(config).unwrap();
            let mut tally = Tally::default();
            for _ in 0..MAX_CALLS {
                if flags.stop.load(Ordering::SeqCst) {
                    break;
                }
                tally.get(client.get(KEY), &flags);
                std::thread::sleep(PAUSE);
            }
            for writer in writers {
                tally = tally.merge(writer.join().unwrap());
            }
            tally
        })
    });
}

/// The async clients of the scenario on runtime `R`: four writers (so that increments
/// are in flight at the kill), started with `spawn`, and a reader, all on one
/// `SentinelMultiplexed`, until told to stop.
async fn async_clients<R: Runtime, H: Future<Output = Tally>>(
    config: SentinelConfig,
    flags: Arc<Flags>,
    spawn: impl Fn(Pin<Box<dyn Future<Output = Tally> + Send>>) -> H,
) -> Tally {
    let client = SentinelMultiplexed::<R>::connect(config).await.unwrap();
    let writers: Vec<H> = (0..4)
        .map(|_| {
            let (client, flags) = (client.clone(), flags.clone());
            spawn(Box::pin(async move {
                let mut tally = Tally::default();
                for _ in 0..MAX_CALLS {
                    if flags.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    tally.incr(client.incr(KEY).await, &flags);
                }
                tally
            }))
        })
        .collect();
    let mut tally = Tally::default();
    for _ in 0..MAX_CALLS {
        if flags.stop.load(Ordering::SeqCst) {
            break;
        }
        tally.get(client.get(KEY).await, &flags);
        R::sleep_until(Instant::now() + PAUSE).await;
    }
    for writer in writers {
        tally = tally.merge(writer.await);
    }
    tally
}

#[test]
fn async_increments_are_never_doubled_and_reads_ride_a_failover_out_on_tokio() {
    master_killed_under_writes(|config, flags| {
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async_clients::<Tokio, _>(config, flags, |writer| {
                let handle = tokio::spawn(writer);
                async move { handle.await.unwrap() }
            }))
        })
    });
}

#[test]
fn async_increments_are_never_doubled_and_reads_ride_a_failover_out_on_smol() {
    master_killed_under_writes(|config, flags| {
        std::thread::spawn(move || {
            smol::block_on(async_clients::<Smol, _>(config, flags, smol::spawn))
        })
    });
}

/// What the three calls in flight at the kill gave.
struct InFlight {
    get: Result<Option<bytes::Bytes>, Error>,
    incr: Result<i64, Error>,
    incr_resent: Result<i64, Error>,
}

/// A `GET`, an `INCR` and an `INCR` from a client that resends writes, all on the
/// wire of the master when it is killed (sent while it sleeps: it never reads them);
/// `start` makes the three calls, each on a client connected before, and gives their
/// outcomes once they are over.
fn calls_in_flight_when_the_master_dies(
    start: impl FnOnce(SentinelConfig) -> (JoinHandle<InFlight>, Box<dyn FnOnce() + Send>),
) {
    let topology = RedisSentinel::start();
    let master = topology.master_addr();
    assert_eq!(command(master, &["SET", KEY, "10"]), "+OK");
    wait_caught_up(&topology);
    let (calls, go) = start(follow_config(&topology));
    let sleeper = std::thread::spawn(move || {
        // Ends with the kill; its reply does not matter.
        let _ = redis_test_support::try_command(master, &["DEBUG", "SLEEP", "30"]);
    });
    std::thread::sleep(Duration::from_millis(200));
    go();
    // The three are on the wire: the master reads them once it wakes, which it never
    // does.
    std::thread::sleep(Duration::from_millis(300));
    topology.master().kill();
    wait_promoted(&topology);
    let outcome = calls.join().expect("the calls finished");
    sleeper.join().unwrap();

    // The read was sent again and answered on the new master (before or after the
    // resent increment).
    let read = outcome
        .get
        .expect("the GET in flight is sent again and answered");
    let read = read.as_deref();
    assert!(read == Some(b"10") || read == Some(b"11"), "{read:?}");
    // The write was not sent again: it fails as an unknown outcome.
    match outcome.incr {
        Err(error) => assert!(error.is_unknown_outcome(), "{error}"),
        Ok(value) => panic!("an INCR in flight was sent again: {value}"),
    }
    // The client that asked for it sent it again, and it ran exactly once.
    assert_eq!(outcome.incr_resent.expect("resent"), 11);
    assert_eq!(counter(topology.replica_addr()), 11);
}

#[test]
fn blocking_reads_in_flight_are_sent_again_and_writes_only_when_asked() {
    calls_in_flight_when_the_master_dies(|config| {
        let mut reader = SentinelClient::connect(config.clone()).unwrap();
        let mut writer = SentinelClient::connect(config.clone()).unwrap();
        let mut resending = SentinelClient::connect(config)
            .unwrap()
            .resend_after_close(true);
        let (go, started) = std::sync::mpsc::channel::<()>();
        let calls = std::thread::spawn(move || {
            started.recv().unwrap();
            // Each call on a thread of its own, all at once.
            let get = std::thread::spawn(move || reader.get(KEY));
            let incr = std::thread::spawn(move || writer.incr(KEY));
            let incr_resent = std::thread::spawn(move || resending.incr(KEY));
            InFlight {
                get: get.join().unwrap(),
                incr: incr.join().unwrap(),
                incr_resent: incr_resent.join().unwrap(),
            }
        });
        (calls, Box::new(move || go.send(()).unwrap()))
    });
}

#[test]
fn async_reads_in_flight_are_sent_again_and_writes_only_when_asked() {
    calls_in_flight_when_the_master_dies(|config| {
        let (go, started) = std::sync::mpsc::channel::<()>();
        let (connected, ready) = std::sync::mpsc::channel::<()>();
        let calls = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let reader = SentinelMultiplexed::<Tokio>::connect(config.clone())
                    .await
                    .unwrap();
                let resending = SentinelMultiplexed::<Tokio>::connect(config)
                    .await
                    .unwrap()
                    .resend_after_close(true);
                // Connected: wait (off the runtime's thread) for the go.
                connected.send(()).unwrap();
                tokio::task::spawn_blocking(move || started.recv().unwrap())
                    .await
                    .unwrap();
                // The plain INCR goes on the reader's shared connection.
                let get = tokio::spawn({
                    let reader = reader.clone();
                    async move { reader.get(KEY).await }
                });
                let incr = tokio::spawn(async move { reader.incr(KEY).await });
                let incr_resent = tokio::spawn(async move { resending.incr(KEY).await });
                InFlight {
                    get: get.await.unwrap(),
                    incr: incr.await.unwrap(),
                    incr_resent: incr_resent.await.unwrap(),
                }
            })
        });
        ready.recv().expect("the clients connected");
        (calls, Box::new(move || go.send(()).unwrap()))
    });
}

#[test]
fn a_password_set_on_the_node_fails_calls_at_once_with_the_refusal() {
    let topology = RedisSentinel::start();
    let master = topology.master_addr();
    // Named, so that only the clients under test are cut (not the sentinels').
    let node = redis_sansio::config::ConnectionConfig::default().with_client_name("under-test");
    let config = follow_config(&topology).with_node(node);
    let mut blocking = SentinelClient::connect(config.clone()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let multiplexed = runtime
        .block_on(SentinelMultiplexed::<Tokio>::connect(config))
        .unwrap();
    blocking.set(KEY, 1).unwrap();
    // A password from now on, and the clients' connections cut: they discover again
    // and the node refuses them.
    let mut admin = RawConnection::connect(master).unwrap();
    assert_eq!(
        admin.command(&["CONFIG", "SET", "requirepass", "changed"]),
        "+OK"
    );
    // This connection stays authenticated.
    let list = admin.command(&["CLIENT", "LIST"]);
    let ids: Vec<&str> = list
        .lines()
        .filter(|line| line.contains("name=under-test "))
        .filter_map(|line| line.split(' ').find_map(|field| field.strip_prefix("id=")))
        .collect();
    assert_eq!(ids.len(), 2, "{list}");
    for id in ids {
        assert_eq!(admin.command(&["CLIENT", "KILL", "ID", id]), ":1");
    }
    // Waiting could not mend it: the calls fail with the refusal, not with a
    // timeout or a discovery error after the 40 s retry timeout.
    let refused = |error: &Error| matches!(error, Error::Closed(CloseReason::Auth(_)));
    let error = blocking.get(KEY).unwrap_err();
    assert!(refused(&error), "{error:?}");
    let error = runtime.block_on(multiplexed.get(KEY)).unwrap_err();
    assert!(refused(&error), "{error:?}");
    // And every later call alike.
    let error = blocking.set(KEY, 2).unwrap_err();
    assert!(refused(&error), "{error:?}");
    let error = runtime.block_on(multiplexed.set(KEY, 2)).unwrap_err();
    assert!(refused(&error), "{error:?}");
    assert_eq!(blocking.node(), Some(&addr(master)));
}
