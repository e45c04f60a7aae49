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
