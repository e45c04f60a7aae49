//! Sentinel discovery on the async bodies, on tokio and smol, against a real topology.

mod sentinel_support;

use redis_client::Error;
use redis_client::prelude::*;
use redis_client::sentinel::{self, Failure, SentinelError};
use redis_io_async::Runtime;
use redis_io_async_std::smol::Smol;
use redis_io_tokio::Tokio;
use redis_test_support::RedisSentinel;
use sentinel_support::{addr, closed_port, config, config_with};

/// Every discovery check, on runtime `R`.
async fn checks<R: Runtime>(topology: &RedisSentinel) {
    // The master, as an exclusive connection, with a dead sentinel first.
    let mut sentinels = vec![closed_port()];
    sentinels.extend(topology.sentinel_addrs());
    let with_dead_first = config_with(topology.master_name(), sentinels);
    let mut found = sentinel::discover_exclusive::<R>(&with_dead_first)
        .await
        .expect("discover the master");
    assert_eq!(found.node, addr(topology.master_addr()));
    assert_eq!(found.sentinels[0], addr(topology.sentinel_addrs()[0]));
    found
        .connection
        .set("k", "v")
        .await
        .expect("write on the master");

    // The master, as a multiplexed client.
    let found = sentinel::discover_client::<R>(&config(topology))
        .await
        .expect("discover the master as a client");
    assert_eq!(found.node, addr(topology.master_addr()));
    let client = found.connection;
    let value = client.get("k").await.expect("read on the master");
    assert_eq!(value.as_deref(), Some(&b"v"[..]));

    // A replica.
    let found = sentinel::discover_client::<R>(&config(topology).with_replica())
        .await
        .expect("discover a replica");
    assert_eq!(found.node, addr(topology.replica_addr()));
    let error = found.connection.set("k", "w").await.expect_err("read-only");
    assert_eq!(
        error.server_error().map(|e| e.kind().clone()),
        Some(redis_sansio::ServerErrorKind::ReadOnly)
    );

    // An unknown name.
    let unknown = config_with("no-such-master", topology.sentinel_addrs());
    let error = sentinel::discover_exclusive::<R>(&unknown)
        .await
        .expect_err("unknown name");
    assert!(
        matches!(error, Error::Sentinel(SentinelError::UnknownMaster { .. })),
        "{error}"
    );

    // No sentinel alive.
    let dead = config_with(topology.master_name(), [closed_port(), closed_port()]);
    let error = sentinel::discover_client::<R>(&dead)
        .await
        .expect_err("no sentinel");
    let Error::Sentinel(SentinelError::Exhausted { attempts, .. }) = &error else {
        panic!("expected exhaustion: {error:?}");
    };
    assert_eq!(attempts.len(), 2);
    assert!(
        attempts
            .iter()
            .all(|a| matches!(a.failure, Failure::Unreachable(_)))
    );
}

#[test]
fn discovery_on_tokio() {
    let topology = RedisSentinel::start();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(checks::<Tokio>(&topology));
}

#[test]
fn discovery_on_smol() {
    let topology = RedisSentinel::start();
    smol::block_on(checks::<Smol>(&topology));
}

/// Triggers a failover and waits (bounded) until the sentinel names the replica and
/// the old master has been demoted.
fn fail_over(topology: &RedisSentinel) {
    let sentinel = topology.sentinel_addrs()[0];
    sentinel_support::failover_on(topology, sentinel);
    sentinel_support::wait_switched(topology, sentinel);
}

#[test]
fn the_multiplexed_client_follows_a_failover_on_tokio() {
    use redis_client::sentinel::SentinelMultiplexed;

    let topology = RedisSentinel::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (client, resending) = runtime.block_on(async {
        let client = SentinelMultiplexed::<Tokio>::connect(config(&topology))
            .await
            .expect("connect");
        assert_eq!(client.node(), addr(topology.master_addr()));
        client.set("before", "1").await.expect("write before");
        // One that may send a command again after its connection closed under it.
        let resending = SentinelMultiplexed::<Tokio>::connect(config(&topology))
            .await
            .expect("connect")
            .resend_after_close(true);
        resending.set("resending", "0").await.expect("write before");
        (client, resending)
    });
    fail_over(&topology);
    runtime.block_on(async {
        // Allowed to send again, the resending handle's first write succeeds, though
        // its connection was killed under it.
        resending
            .set("resending", "1")
            .await
            .expect("first write after the failover");
        assert_eq!(resending.node(), addr(topology.replica_addr()));

        // Bounded: a write that met the closing connection fails (it may have run);
        // the next one goes to the new master.
        let mut failures = Vec::new();
        for _ in 0..3 {
            match client.set("after", "2").await {
                Ok(()) => break,
                Err(error) => failures.push(error.to_string()),
            }
        }
        assert!(failures.len() < 2, "{failures:?}");
        assert_eq!(client.node(), addr(topology.replica_addr()));
        assert!(client.discoveries() >= 2);
        let before = client.get("before").await.expect("read");
        assert_eq!(before.as_deref(), Some(&b"1"[..]));
    });
}

#[test]
fn the_multiplexed_clients_watch_moves_it_to_the_new_master_on_tokio() {
    use redis_client::sentinel::SentinelMultiplexed;
    use redis_test_support::command;
    use std::time::{Duration, Instant};

    let topology = RedisSentinel::start();
    let new_master = topology.replica_addr();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let client = SentinelMultiplexed::<Tokio>::connect(config(&topology))
            .await
            .expect("connect");
        client.set("before", "1").await.expect("write before");
        let deadline = Instant::now() + Duration::from_secs(10);
        while command(new_master, &["GET", "before"]) != "1" {
            assert!(Instant::now() < deadline, "replication of the first write");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let sentinel = topology.sentinel_addrs()[0];
        assert_eq!(
            command(sentinel, &["SENTINEL", "FAILOVER", topology.master_name()]),
            "+OK"
        );
        // The watch moves it when the sentinels announce the new master: before the
        // old one is demoted (seconds later), which is when the client would notice
        // without the watch (its connection closed), and no call fails meanwhile.
        let deadline = Instant::now() + Duration::from_secs(30);
        while client.node() != addr(new_master) {
            assert!(Instant::now() < deadline, "no switch to {new_master} seen");
            client
                .ping()
                .await
                .expect("no call fails during the failover");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let role = command(topology.master_addr(), &["ROLE"]);
        assert!(role.starts_with("[master"), "already demoted: {role}");
        assert_eq!(client.discoveries(), 2);
        client.set("after", "2").await.expect("write after");
        assert_eq!(command(new_master, &["GET", "after"]), "2");
    });
}

#[test]
fn the_multiplexed_clients_watch_moves_to_the_next_sentinel_when_its_sentinel_is_lost() {
    use redis_client::sentinel::SentinelMultiplexed;
    use redis_test_support::command;
    use sentinel_support::{failover_on, is_master, watched_sentinel};
    use std::time::{Duration, Instant};

    let topology = RedisSentinel::start();
    let (old_master, new_master) = (topology.master_addr(), topology.replica_addr());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let client = SentinelMultiplexed::<Tokio>::connect(config(&topology))
            .await
            .expect("connect");
        client.set("before", "1").await.expect("write before");
        // The runtime runs the watch task only while this test awaits.
        let watched = async |what: &str, not: Option<usize>| {
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut last = String::new();
            for _ in 0..200 {
                match watched_sentinel(&topology) {
                    Ok(index) if Some(index) != not => return index,
                    Ok(index) => last = format!("still on sentinel {index}"),
                    Err(error) => last = error,
                }
                assert!(Instant::now() < deadline, "{what}: {last}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("{what}: {last}");
        };
        let lost = watched("the watch on a sentinel", None).await;
        topology.sentinels()[lost].kill();
        let now_watched = watched("the watch on another sentinel", Some(lost)).await;
        failover_on(&topology, topology.sentinel_addrs()[now_watched]);
        // Only that watch can move the client before the old master is demoted.
        let deadline = Instant::now() + Duration::from_secs(30);
        for _ in 0..1500 {
            if client.node() == addr(new_master) {
                break;
            }
            assert!(Instant::now() < deadline, "no switch to {new_master} seen");
            client
                .ping()
                .await
                .expect("no call fails during the failover");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(client.node(), addr(new_master));
        assert!(
            is_master(old_master),
            "the old master was demoted already: the watch did not move the client"
        );
        assert_eq!(client.discoveries(), 2);
        client.set("after", "2").await.expect("write after");
        assert_eq!(command(new_master, &["GET", "after"]), "2");
    });
}

/// The multiplexed client's watch task ends once the last handle is gone: its
/// subscribed connection leaves the sentinel's `CLIENT LIST`. The wait is bounded
/// (5 s, for a task that looks every second), so a task that never ends fails it.
#[test]
fn the_multiplexed_clients_watch_ends_after_the_last_handle_is_dropped() {
    use redis_client::sentinel::SentinelMultiplexed;
    use sentinel_support::subscribers;
    use std::time::{Duration, Instant};

    const LIMIT: Duration = Duration::from_secs(5);
    let topology = RedisSentinel::start();
    let total = || {
        topology
            .sentinel_addrs()
            .into_iter()
            .map(subscribers)
            .sum::<usize>()
    };
    // Waits (bounded by LIMIT, looking every 50 ms with the runtime's `sleep`) until
    // `total()` is `want`, and returns what it is then.
    async fn settle<F: std::future::Future>(
        total: impl Fn() -> usize,
        want: usize,
        sleep: impl Fn(Duration) -> F,
    ) -> usize {
        let deadline = Instant::now() + LIMIT;
        for _ in 0..100 {
            if total() == want || Instant::now() >= deadline {
                break;
            }
            sleep(Duration::from_millis(50)).await;
        }
        total()
    }

    // tokio: the wait runs on the runtime, which drives the task meanwhile.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(async {
            let client = SentinelMultiplexed::<Tokio>::connect(config(&topology))
                .await
                .expect("connect");
            let clone = client.clone();
            let sleep = tokio::time::sleep;
            assert_eq!(
                settle(total, 1, sleep).await,
                1,
                "one watch while the client lives"
            );
            drop(client);
            // A clone still holds the client: the watch stays.
            tokio::time::sleep(Duration::from_millis(1500)).await;
            assert_eq!(total(), 1, "the watch ended while a clone lived");
            clone.ping().await.expect("the clone works");
            drop(clone);
            let left = settle(total, 0, sleep).await;
            assert_eq!(left, 0, "the watch outlived the client by {LIMIT:?}");
        });

    // smol: the same, the task on smol's global executor.
    smol::block_on(async {
        let client = SentinelMultiplexed::<Smol>::connect(config(&topology))
            .await
            .expect("connect");
        let sleep = smol::Timer::after;
        assert_eq!(
            settle(total, 1, sleep).await,
            1,
            "one watch while the client lives"
        );
        drop(client);
        let left = settle(total, 0, sleep).await;
        assert_eq!(left, 0, "the watch outlived the client by {LIMIT:?}");
    });
}
