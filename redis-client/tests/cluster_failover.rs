//! A primary killed for real: the clients' requests wait (each within its retry
//! timeout, 10 s by default; the cluster needs its node timeout to promote the
//! replica), then succeed on the promoted replica, found by topology refreshes from
//! the surviving nodes (`cluster_failover_writes.rs` counts every write); the
//! cluster subscribers (blocking and tokio) subscribe their shard and ordinary
//! channels again on the promoted replica.
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
    // The first GET after the kill waited for the promotion rather than failing at
    // once: only a failover slower than the retry timeout shows an error here.
    eprintln!("{failures} failed GETs");
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

/// Shard channels and ordinary channels on a primary that dies: the subscribers
/// ride the outage out (their policy paces the attempts), then subscribe the names
/// on the promoted replica, and messages published there arrive.
#[test]
fn subscribers_move_to_the_promoted_replica_after_a_primary_dies() {
    use redis_client::cluster::{AsyncClusterSubscriber, ClusterSubscriber};
    use redis_client::pubsub::SubscriptionKind;
    use redis_client::resp::Frame;

    let cluster = RedisCluster::start();
    let urls = cluster.seed_urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let seed = cluster.addrs()[0].to_string();
    // The ordinary channels go to the primary serving slot 0: kill that one, with a
    // shard channel of its own.
    let victim_addr = support::owner(&seed, 0);
    let shard = (0..10_000)
        .map(|i| format!("{{failover-pubsub-{i}}}:events"))
        .find(|c| support::owner(&seed, key_slot(c.as_bytes())) == victim_addr)
        .unwrap();
    let news = "failover-news";
    // Attempts for about a minute: longer than the failover may take.
    let policy = redis_client::Reconnect::default()
        .max_attempts(60)
        .delays(Duration::from_millis(100), Duration::from_secs(1));

    let mut blocking = ClusterSubscriber::open(&urls)
        .unwrap()
        .with_reconnect(policy.clone());
    blocking.ssubscribe([shard.as_str()]).unwrap();
    blocking.subscribe([news]).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut nonblocking = runtime.block_on(async {
        let mut subscriber = AsyncClusterSubscriber::<Tokio>::open(&urls)
            .await
            .unwrap()
            .with_reconnect(policy);
        subscriber.ssubscribe([shard.as_str()]).await.unwrap();
        subscriber.subscribe([news]).await.unwrap();
        subscriber
    });
    for kind in [SubscriptionKind::Shard, SubscriptionKind::Channel] {
        let name = if kind == SubscriptionKind::Shard {
            shard.as_str()
        } else {
            news
        };
        let on = blocking.node_of(kind, name).unwrap().to_string();
        assert_eq!(on, victim_addr);
        assert_eq!(
            nonblocking.node_of(kind, name).unwrap().to_string(),
            victim_addr
        );
    }

    let victim = cluster
        .nodes()
        .iter()
        .find(|n| n.addr().to_string() == victim_addr)
        .unwrap();
    victim.kill();
    let survivor = cluster
        .addrs()
        .iter()
        .map(ToString::to_string)
        .find(|a| *a != victim_addr)
        .unwrap();

    // Both names elsewhere, within the bound.
    let moved = |on: Option<redis_client::cluster::NodeAddr>| {
        on.is_some_and(|addr| addr.to_string() != victim_addr)
    };
    let started = Instant::now();
    while !(moved(blocking.node_of(SubscriptionKind::Shard, shard.as_str()))
        && moved(blocking.node_of(SubscriptionKind::Channel, news)))
    {
        assert!(
            started.elapsed() < FAILOVER_LIMIT,
            "the blocking subscriber moved"
        );
        let message = blocking.next_message(Some(PAUSE)).unwrap();
        assert!(message.is_none(), "{message:?}");
    }
    let promoted = blocking
        .node_of(SubscriptionKind::Shard, shard.as_str())
        .unwrap()
        .to_string();
    assert_eq!(
        support::owner(&survivor, key_slot(shard.as_bytes())),
        promoted
    );
    assert!(blocking.resubscriptions() >= 2);

    let spublish =
        |payload: &str| match support::run(&promoted, &["SPUBLISH", shard.as_str(), payload]) {
            Frame::Integer(n) => n,
            other => panic!("{other:?}"),
        };
    assert_eq!(spublish("after the failover"), 1);
    let message = blocking
        .next_message(Some(Duration::from_secs(5)))
        .unwrap()
        .unwrap();
    assert_eq!(message.payload, "after the failover".as_bytes());
    support::run(&survivor, &["PUBLISH", news, "still here"]);
    let message = blocking
        .next_message(Some(Duration::from_secs(5)))
        .unwrap()
        .unwrap();
    assert_eq!(message.channel, news.as_bytes());

    // The async subscriber finds its way the same way.
    runtime.block_on(async {
        let started = Instant::now();
        while !(moved(nonblocking.node_of(SubscriptionKind::Shard, shard.as_str()))
            && moved(nonblocking.node_of(SubscriptionKind::Channel, news)))
        {
            assert!(
                started.elapsed() < FAILOVER_LIMIT,
                "the async subscriber moved"
            );
            let message = nonblocking.next_message(Some(PAUSE)).await.unwrap();
            assert!(message.is_none(), "{message:?}");
        }
        assert_eq!(spublish("async"), 2, "both subscribers");
        let message = nonblocking
            .next_message(Some(Duration::from_secs(5)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(message.payload, "async".as_bytes());
    });
}
