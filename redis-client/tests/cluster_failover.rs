//! A primary killed for real: the clients' requests fail for a bounded while (the
//! cluster needs its node timeout to promote the replica), then succeed on the
//! promoted replica, found by topology refreshes from the surviving nodes.
//!
//! Its own cluster, since killing a primary would disturb other tests.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod cluster_common;

use std::time::{Duration, Instant};

use redis_client::cluster::{ClusterClient, ClusterConnection};
use redis_client::prelude::*;
use redis_io_tokio::Tokio;
use redis_sansio::cluster::key_slot;
use redis_test_support::RedisCluster;

use cluster_common as support;

/// Failover takes the node timeout (5 s) plus an election; this bounds the wait.
const FAILOVER_LIMIT: Duration = Duration::from_secs(40);
const PAUSE: Duration = Duration::from_millis(100);

#[test]
fn requests_recover_on_the_promoted_replica_after_a_primary_dies() {
    let cluster = RedisCluster::start();
    let urls = cluster.seed_urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let seed = cluster.addrs()[0].to_string();
    let key = "{failover}:k";
    let slot = key_slot(key.as_bytes());

    let mut conn = ClusterConnection::open(&urls).unwrap();
    conn.set(key, "v").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime
        .block_on(ClusterClient::<Tokio>::open(&urls))
        .unwrap();

    // Kill the key's primary; ask a survivor about the slot from then on.
    let owner = support::owner(&seed, slot);
    let victim = cluster
        .nodes()
        .iter()
        .find(|n| n.addr().to_string() == owner)
        .unwrap();
    // The key must reach its replica before the kill, or the failover loses it.
    support::run(&owner, &["WAIT", "1", "2000"]);
    victim.kill();

    let started = Instant::now();
    let mut failures = 0;
    let value = loop {
        assert!(
            started.elapsed() < FAILOVER_LIMIT,
            "no recovery after {failures} failures"
        );
        match conn.get(key) {
            Ok(value) => break value,
            Err(_) => failures += 1,
        }
        std::thread::sleep(PAUSE);
    };
    assert_eq!(value.as_deref(), Some(&b"v"[..]));
    assert!(
        failures > 0,
        "the first request after the kill cannot have succeeded"
    );
    let promoted = conn.node_for_slot(slot).unwrap().to_string();
    assert_ne!(promoted, owner);

    // The async client finds its way the same way.
    let value = runtime.block_on(async {
        let started = Instant::now();
        loop {
            assert!(
                started.elapsed() < FAILOVER_LIMIT,
                "the async client did not recover"
            );
            if let Ok(value) = client.get(key).await {
                break value;
            }
            tokio::time::sleep(PAUSE).await;
        }
    });
    assert_eq!(value.as_deref(), Some(&b"v"[..]));
    assert_eq!(client.node_for_slot(slot).unwrap().to_string(), promoted);
}
