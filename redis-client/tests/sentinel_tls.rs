//! Sentinel over TLS, against a real topology in which everything speaks TLS
//! (`RedisSentinel::start_tls`: the replica replicates and the sentinels monitor over
//! TLS, so the sentinels name the data nodes' TLS ports and announce their own):
//! discovery through `rediss://` sentinel URLs, the sentinels learned at their TLS
//! ports, the failover watch and its switch over TLS, and an untrusted sentinel
//! certificate as a typed failure, blocking and on tokio.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod sentinel_support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use redis_client::prelude::*;
use redis_client::sentinel::SentinelMultiplexed;
use redis_client::sentinel::{self, Failure, SentinelClient, SentinelConfig, SentinelError};
use redis_client::{Error, TlsErrorKind};
use redis_io_tokio::Tokio;
use redis_sansio::config::{ConnectionConfig, TlsOptions};
use redis_test_support::{RedisSentinel, TestCerts, command};
use sentinel_support::{addr, failover_on};

/// `rediss://` URLs for the sentinels' TLS ports, trusting only the test CA, with a
/// data-node configuration that does the same.
fn tls_config(topology: &RedisSentinel) -> SentinelConfig {
    SentinelConfig::new(topology.master_name(), rediss_urls(topology))
        .expect("sentinel URLs")
        .with_sentinel_tls(test_ca_only())
        .with_node(TestCerts::shared().trusted_by(ConnectionConfig::default()))
}

fn rediss_urls(topology: &RedisSentinel) -> Vec<String> {
    topology
        .sentinel_tls_addrs()
        .into_iter()
        .map(|sentinel| format!("rediss://{sentinel}"))
        .collect()
}

fn test_ca_only() -> TlsOptions {
    TestCerts::shared()
        .trusted_by(ConnectionConfig::default())
        .tls_options
}

fn tls_addr(server: &redis_test_support::RedisServer) -> SocketAddr {
    server.tls_addr().expect("a TLS port")
}

#[test]
fn discovers_through_tls_sentinels_and_learns_them_at_their_tls_ports() {
    let topology = RedisSentinel::start_tls();
    // One sentinel given: the other two are learned from it, at their TLS ports.
    let first = topology.sentinel_tls_addrs()[0];
    let config = SentinelConfig::new(topology.master_name(), [format!("rediss://{first}")])
        .expect("sentinel URL")
        .with_sentinel_tls(test_ca_only())
        .with_node(TestCerts::shared().trusted_by(ConnectionConfig::default()));

    let mut found = sentinel::discover_blocking(&config).expect("discover over TLS");
    assert_eq!(found.node, addr(tls_addr(topology.master())));
    assert_eq!(found.sentinel, addr(first));
    let mut learned = found.sentinels.clone();
    learned.sort_by_key(ToString::to_string);
    let mut expected: Vec<_> = topology
        .sentinel_tls_addrs()
        .into_iter()
        .map(addr)
        .collect();
    expected.sort_by_key(ToString::to_string);
    assert_eq!(learned, expected, "exactly the TLS ports, no plain ones");
    found.connection.set("k", "v").expect("a write over TLS");
    assert_eq!(command(topology.master_addr(), &["GET", "k"]), "v");

    let replica = sentinel::discover_blocking(&tls_config(&topology).with_replica())
        .expect("discover a replica over TLS");
    assert_eq!(replica.node, addr(tls_addr(topology.replica())));
}

#[test]
fn an_untrusted_sentinel_certificate_is_a_typed_failure_for_each_sentinel() {
    let topology = RedisSentinel::start_tls();
    // `rediss://` alone trusts the system's roots, which do not include the test CA.
    let config = SentinelConfig::new(topology.master_name(), rediss_urls(&topology))
        .expect("sentinel URLs")
        .with_sentinel_learning(false);
    let started = Instant::now();
    let error = sentinel::discover_blocking(&config).expect_err("untrusted sentinels");
    assert!(started.elapsed() < Duration::from_secs(10), "fails fast");
    let Error::Sentinel(SentinelError::Exhausted { attempts, .. }) = &error else {
        panic!("expected exhaustion, got {error:?}");
    };
    assert_eq!(attempts.len(), 3, "every sentinel tried: {error}");
    for attempt in attempts {
        let Failure::Unreachable(cause) = &attempt.failure else {
            panic!("expected unreachable: {attempt}");
        };
        let Some(Error::Tls(tls)) = cause.downcast_ref::<Error>() else {
            panic!("expected a TLS error: {cause:?}");
        };
        assert_eq!(tls.kind(), TlsErrorKind::Certificate, "{tls}");
    }
}

#[test]
fn plain_text_to_tls_sentinels_fails_and_plain_urls_do_not_mix_with_rediss() {
    let topology = RedisSentinel::start_tls();
    let mixed = [
        format!("rediss://{}", topology.sentinel_tls_addrs()[0]),
        format!("redis://{}", topology.sentinel_addrs()[1]),
    ];
    let error = SentinelConfig::new(topology.master_name(), mixed).expect_err("mixed schemes");
    assert!(
        matches!(error, Error::Url(redis_sansio::config::UrlError::MixedTls)),
        "{error:?}"
    );
    // TLS settings given but TLS ports reached in plain text: no sentinel answers.
    let plain_to_tls = SentinelConfig::new(
        topology.master_name(),
        topology
            .sentinel_tls_addrs()
            .iter()
            .map(|sentinel| format!("redis://{sentinel}")),
    )
    .expect("sentinel URLs")
    .with_sentinel_learning(false);
    let error = sentinel::discover_blocking(&plain_to_tls).expect_err("plain text to TLS ports");
    assert!(
        matches!(error, Error::Sentinel(SentinelError::Exhausted { .. })),
        "{error:?}"
    );
}

#[test]
fn the_blocking_clients_watch_follows_a_failover_over_tls() {
    let topology = RedisSentinel::start_tls();
    let new_master = addr(tls_addr(topology.replica()));
    let mut client = SentinelClient::connect(tls_config(&topology)).expect("connect over TLS");
    assert_eq!(client.node(), Some(&addr(tls_addr(topology.master()))));
    client
        .set("before", "1")
        .expect("write before the failover");
    failover_on(&topology, topology.sentinel_addrs()[0]);
    // The watch, subscribed to a sentinel over TLS, moves the client when the
    // sentinels announce the new master, with no command failing.
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.node() != Some(&new_master) {
        assert!(Instant::now() < deadline, "no switch to {new_master} seen");
        client.ping().expect("no command fails during the failover");
        std::thread::sleep(Duration::from_millis(20));
    }
    client.set("after", "2").expect("write after the failover");
    assert_eq!(command(topology.replica_addr(), &["GET", "after"]), "2");
}

#[test]
fn the_multiplexed_clients_watch_follows_a_failover_over_tls_on_tokio() {
    let topology = RedisSentinel::start_tls();
    let new_master = addr(tls_addr(topology.replica()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let client = SentinelMultiplexed::<Tokio>::connect(tls_config(&topology))
            .await
            .expect("connect over TLS");
        assert_eq!(client.node(), addr(tls_addr(topology.master())));
        client.set("before", "1").await.expect("write before");
        failover_on(&topology, topology.sentinel_addrs()[0]);
        let deadline = Instant::now() + Duration::from_secs(30);
        while client.node() != new_master {
            assert!(Instant::now() < deadline, "no switch to {new_master} seen");
            client
                .ping()
                .await
                .expect("no call fails during the failover");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        client.set("after", "2").await.expect("write after");
        assert_eq!(command(topology.replica_addr(), &["GET", "after"]), "2");
    });
}
