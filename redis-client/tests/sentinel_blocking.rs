//! Sentinel discovery and the failover-following client, blocking, against a real
//! topology: one master, one replica, three sentinels.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod sentinel_support;

use std::time::{Duration, Instant};

use redis_client::prelude::*;
use redis_client::sentinel::{self, Failure, SentinelClient, SentinelError};
use redis_client::{Error, cmd};
use redis_sansio::config::ConnectionConfig;
use redis_test_support::{RedisSentinel, command, try_command};
use sentinel_support::{
    addr, closed_port, config, config_with, failover_on, is_master, wait_for, watched_sentinel,
};

#[test]
fn discovers_the_master_then_a_replica() {
    let topology = RedisSentinel::start();

    let mut found = sentinel::discover_blocking(&config(&topology)).expect("discover the master");
    assert_eq!(found.node, addr(topology.master_addr()));
    found
        .connection
        .set("k", "v")
        .expect("a write on the master");
    let role: Vec<redis_client::resp::Frame> = found
        .connection
        .execute(cmd::role().returning())
        .expect("ROLE");
    assert_eq!(role[0].as_bytes().map(|b| &b[..]), Some(&b"master"[..]));

    let replica_config = config(&topology).with_replica();
    let mut found = sentinel::discover_blocking(&replica_config).expect("discover a replica");
    assert_eq!(found.node, addr(topology.replica_addr()));
    let error = found
        .connection
        .set("k", "v")
        .expect_err("a replica refuses writes");
    assert_eq!(
        error.server_error().map(|e| e.kind().clone()),
        Some(redis_sansio::ServerErrorKind::ReadOnly)
    );
}

#[test]
fn a_dead_first_sentinel_is_passed_over_and_the_others_are_learned() {
    let topology = RedisSentinel::start();
    let dead = closed_port();
    let first_live = topology.sentinel_addrs()[0];
    // Only one live sentinel given: the other two are learned from it.
    let config = config_with(topology.master_name(), [dead, first_live]);

    let found = sentinel::discover_blocking(&config).expect("discover past a dead sentinel");
    assert_eq!(found.node, addr(topology.master_addr()));
    assert_eq!(found.sentinel, addr(first_live));
    assert_eq!(
        found.sentinels[0],
        addr(first_live),
        "the one that answered goes first"
    );
    for sentinel in topology.sentinel_addrs() {
        assert!(
            found.sentinels.contains(&addr(sentinel)),
            "{sentinel} learned: {:?}",
            found.sentinels
        );
    }
    assert!(found.sentinels.contains(&addr(dead)));
}

#[test]
fn an_unknown_master_name_is_a_typed_error() {
    let topology = RedisSentinel::start();
    let config = config_with("no-such-master", topology.sentinel_addrs());
    let error = sentinel::discover_blocking(&config).expect_err("unknown name");
    let Error::Sentinel(SentinelError::UnknownMaster { name, attempts }) = &error else {
        panic!("expected an unknown master error, got {error:?}");
    };
    assert_eq!(name, "no-such-master");
    assert_eq!(attempts.len(), 3, "every sentinel asked: {error}");
    assert!(
        attempts
            .iter()
            .all(|a| matches!(a.failure, Failure::UnknownMaster))
    );
    let replicas = sentinel::discover_blocking(&config.with_replica()).expect_err("unknown name");
    assert!(
        matches!(
            replicas,
            Error::Sentinel(SentinelError::UnknownMaster { .. })
        ),
        "{replicas}"
    );
}

#[test]
fn all_sentinels_dead_is_a_typed_error_listing_each() {
    let dead = [closed_port(), closed_port()];
    let started = Instant::now();
    let error =
        sentinel::discover_blocking(&config_with("mymaster", dead)).expect_err("no sentinel");
    assert!(started.elapsed() < Duration::from_secs(5), "fails fast");
    let Error::Sentinel(SentinelError::Exhausted { attempts, .. }) = &error else {
        panic!("expected exhaustion, got {error:?}");
    };
    let tried: Vec<_> = attempts.iter().map(|a| a.sentinel.clone()).collect();
    assert_eq!(tried, dead.map(addr));
    for attempt in attempts {
        let Failure::Unreachable(cause) = &attempt.failure else {
            panic!("expected unreachable: {attempt}");
        };
        assert!(
            matches!(cause.downcast_ref::<Error>(), Some(Error::Connect { .. })),
            "the adapter's connect error is kept: {cause:?}"
        );
    }
    let message = error.to_string();
    for addr in dead {
        assert!(message.contains(&addr.to_string()), "{message}");
    }
}

#[test]
fn the_node_settings_apply_to_the_data_connection() {
    let topology = RedisSentinel::start();
    let node = ConnectionConfig::default()
        .with_db(3)
        .with_client_name("sentinel-test");
    let mut client = SentinelClient::connect(config(&topology).with_node(node)).expect("connect");
    client.set("in-db-3", "yes").expect("set");
    let name: Option<String> = client
        .execute(cmd::client_getname().returning())
        .expect("name");
    assert_eq!(name.as_deref(), Some("sentinel-test"));
    let mut raw = redis_test_support::RawConnection::connect(topology.master_addr()).expect("raw");
    raw.command(&["SELECT", "3"]);
    assert_eq!(raw.command(&["GET", "in-db-3"]), "yes");
}

#[test]
fn the_client_follows_a_failover() {
    let topology = RedisSentinel::start();
    let old_master = topology.master_addr();
    let new_master = topology.replica_addr();
    let mut client = SentinelClient::connect(config(&topology)).expect("connect");
    assert_eq!(client.node(), Some(&addr(old_master)));
    // One that may send a command again after its connection closed under it.
    let mut resending = SentinelClient::connect(config(&topology))
        .expect("connect")
        .resend_after_close(true);
    resending
        .set("resending", "0")
        .expect("write before the failover");
    client
        .set("before", "1")
        .expect("write before the failover");
    let mut reader = SentinelClient::connect(config(&topology)).expect("connect");
    let sentinel = start_failover(&topology);
    sentinel_support::wait_switched(&topology, sentinel);

    // A read cannot change data: if its connection died under it, it is sent again
    // to the new master, so the caller sees no error at all.
    assert_eq!(
        reader
            .get("before")
            .expect("a read right after the failover")
            .as_deref(),
        Some(&b"1"[..])
    );

    // The connection was killed, or the old master answers READONLY: either way the
    // client finds the new master. A write that met the dead connection fails (it may
    // have run), so try a few times, bounded.
    let mut failures = Vec::new();
    for _ in 0..3 {
        match client.set("after", "2") {
            Ok(()) => break,
            Err(error) => failures.push(error.to_string()),
        }
    }
    assert!(
        failures.len() < 2,
        "the second write at the latest succeeds: {failures:?}"
    );
    assert_eq!(client.node(), Some(&addr(new_master)));
    assert!(client.discoveries() >= 2);
    // The sentinels may still be killing the new master's clients as part of its
    // reconfiguration: a raw connection cut under it is tried again, a few times.
    let after = (0..5)
        .find_map(|_| try_command(new_master, &["GET", "after"]).ok())
        .expect("the new master answers");
    assert_eq!(after, "2");
    assert_eq!(
        client.get("before").expect("get").as_deref(),
        Some(&b"1"[..])
    );
}

#[test]
fn the_watch_moves_to_the_new_master_before_the_old_one_is_demoted() {
    let topology = RedisSentinel::start();
    let new_master = topology.replica_addr();
    let mut client = SentinelClient::connect(config(&topology)).expect("connect");
    client
        .set("before", "1")
        .expect("write before the failover");
    start_failover(&topology);
    // Commands go on through the failover and none fails: the client leaves the old
    // master when the sentinels announce the new one, before the old master is
    // demoted and its clients' connections are closed (without the watch, the first
    // command after that fails).
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.node() != Some(&addr(new_master)) {
        assert!(Instant::now() < deadline, "no switch to {new_master} seen");
        client.ping().expect("no command fails during the failover");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(client.discoveries(), 2);
    client.set("after", "2").expect("write after the failover");
    assert_eq!(command(new_master, &["GET", "after"]), "2");
}

#[test]
fn the_watch_moves_to_the_next_sentinel_when_its_sentinel_is_lost() {
    let topology = RedisSentinel::start();
    let (old_master, new_master) = (topology.master_addr(), topology.replica_addr());
    let mut client = SentinelClient::connect(config(&topology)).expect("connect");
    client
        .set("before", "1")
        .expect("write before the failover");
    // The watch subscribes as the client connects; kill the sentinel it is on.
    let limit = Duration::from_secs(10);
    let lost = wait_for("the watch on a sentinel", limit, || {
        watched_sentinel(&topology)
    });
    topology.sentinels()[lost].kill();
    // The blocking client looks at its watch before commands: it finds the watch
    // lost and subscribes on another sentinel (at most every 2 s).
    let watched = wait_for("the watch on another sentinel", limit, || {
        client.ping().map_err(|e| format!("PING failed: {e}"))?;
        watched_sentinel(&topology)
    });
    assert_ne!(watched, lost);
    failover_on(&topology, topology.sentinel_addrs()[watched]);
    // Only that watch can move the client now, before the old master is demoted
    // (which would fail the next command on its killed connection).
    let deadline = Instant::now() + Duration::from_secs(30);
    for _ in 0..1500 {
        if client.node() == Some(&addr(new_master)) {
            break;
        }
        assert!(Instant::now() < deadline, "no switch to {new_master} seen");
        client.ping().expect("no command fails during the failover");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(client.node(), Some(&addr(new_master)));
    assert!(
        is_master(old_master),
        "the old master was demoted already: the watch did not move the client"
    );
    assert_eq!(client.discoveries(), 2);
    client.set("after", "2").expect("write after the failover");
    assert_eq!(command(new_master, &["GET", "after"]), "2");
}

/// Once the replica has caught up with the master, asks the first sentinel for a
/// failover; returns that sentinel.
fn start_failover(topology: &RedisSentinel) -> std::net::SocketAddr {
    let sentinel = topology.sentinel_addrs()[0];
    sentinel_support::failover_on(topology, sentinel);
    sentinel
}
