//! Client-side caching on the multiplexed client (tokio), against a real
//! redis-server: hits, other clients' writes, FLUSHALL, a lost connection (flushed,
//! tracking on again after the reconnect), raw `CLIENT TRACKING` still refused, and
//! the guarantee under random interleavings with concurrent readers.

use std::future::Future;
use std::time::Duration;

use redis_io_tokio::{Client, Connection, Error, Reconnect};
use redis_sansio::cache::{CacheConfig, TrackingMode};
use redis_sansio::config::ProtocolVersion;
use redis_sansio::resp::Frame;
use redis_sansio::{Cmd, SendError};
use redis_test_support::stale_reads::{StaleReads, Step};
use redis_test_support::{RedisServer, tcp_config as tcp};

async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .expect("test took longer than 60 s")
}

fn get(key: &str) -> Cmd {
    Cmd::new("GET").arg(key)
}

fn set(key: &str, value: &str) -> Cmd {
    Cmd::new("SET").arg(key).arg(value)
}

async fn cached(server: &RedisServer) -> Client {
    Client::connect_cached(tcp(server), CacheConfig::default())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_served_until_another_client_writes() {
    let server = RedisServer::start();
    bounded(async {
        let mut writer = Connection::connect(tcp(&server)).await.unwrap();
        let client = cached(&server).await;
        writer.request(&set("k", "v1")).await.unwrap();
        assert_eq!(client.request(&get("k")).await.unwrap(), Frame::bulk("v1"));
        assert_eq!(client.request(&get("k")).await.unwrap(), Frame::bulk("v1"));
        let stats = client.cache_stats().unwrap();
        assert_eq!((stats.misses, stats.hits), (1, 1));
        writer.request(&set("k", "v2")).await.unwrap();
        client.request(&Cmd::new("PING")).await.unwrap();
        assert_eq!(client.request(&get("k")).await.unwrap(), Frame::bulk("v2"));
        // Its own write drops the key at once.
        client.request(&set("k", "v3")).await.unwrap();
        assert_eq!(client.request(&get("k")).await.unwrap(), Frame::bulk("v3"));
        // FLUSHALL from another client: a null invalidation clears everything.
        client.request(&get("other")).await.unwrap();
        writer.request(&Cmd::new("FLUSHALL")).await.unwrap();
        client.request(&Cmd::new("PING")).await.unwrap();
        assert_eq!(client.with_cache_state(|cache| cache.len()), Some(0));
        assert!(client.request(&get("k")).await.unwrap().is_null());
        // Caching is the client's option; the raw command stays refused.
        let raw = client
            .request(&Cmd::new("CLIENT").arg("TRACKING").arg("on"))
            .await;
        assert!(
            matches!(raw, Err(Error::Send(SendError::Shared { .. }))),
            "{raw:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_caches_keys_under_its_prefixes_and_optin_and_resp2_are_refused() {
    let server = RedisServer::start();
    bounded(async {
        let mode = TrackingMode::Broadcast {
            prefixes: vec![bytes::Bytes::from_static(b"user:")],
        };
        let client = Client::connect_cached(tcp(&server), CacheConfig::default().mode(mode))
            .await
            .unwrap();
        let mut writer = Connection::connect(tcp(&server)).await.unwrap();
        writer.request(&set("user:1", "a")).await.unwrap();
        writer.request(&set("other", "b")).await.unwrap();
        // The writes are announced (BCAST): one round trip takes the announcements,
        // so that no read below is crossed by one.
        client.request(&Cmd::new("PING")).await.unwrap();
        for _ in 0..2 {
            client.request(&get("user:1")).await.unwrap();
            client.request(&get("other")).await.unwrap();
        }
        let stats = client.cache_stats().unwrap();
        assert_eq!((stats.hits, stats.misses, stats.entries), (1, 1, 1));
        writer.request(&set("user:1", "c")).await.unwrap();
        client.request(&Cmd::new("PING")).await.unwrap();
        assert_eq!(
            client.request(&get("user:1")).await.unwrap(),
            Frame::bulk("c")
        );

        let optin = CacheConfig::default().mode(TrackingMode::OptIn);
        let refused = Client::connect_cached(tcp(&server), optin).await;
        assert!(matches!(
            refused,
            Err(Error::Send(SendError::Shared { .. }))
        ));
        let resp2 = tcp(&server).with_protocol(ProtocolVersion::Resp2);
        let refused = Client::connect_cached(resp2, CacheConfig::default()).await;
        assert!(matches!(
            refused,
            Err(Error::Send(SendError::Shared { .. }))
        ));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_connection_flushes_and_tracking_comes_back() {
    let server = RedisServer::start();
    bounded(async {
        let mut admin = Connection::connect(tcp(&server)).await.unwrap();
        let client = cached(&server).await.with_reconnect(
            Reconnect::default().delays(Duration::from_millis(10), Duration::from_millis(50)),
        );
        admin.request(&set("k", "v1")).await.unwrap();
        client.request(&get("k")).await.unwrap();
        assert_eq!(client.with_cache_state(|cache| cache.len()), Some(1));
        let id = match client.request(&Cmd::new("CLIENT").arg("ID")).await.unwrap() {
            Frame::Integer(id) => id,
            other => panic!("{other:?}"),
        };
        admin
            .request(&Cmd::new("CLIENT").arg("KILL").arg("ID").arg(id))
            .await
            .unwrap();
        // Written while the client is disconnected: its invalidation is lost.
        admin.request(&set("k", "v2")).await.unwrap();
        // The loss is seen at the next round trip, which may fail (it was on the
        // wire) or go out on the new connection.
        let mut tries = 0;
        while client.request(&Cmd::new("PING")).await.is_err() {
            tries += 1;
            assert!(tries < 50, "the client did not reconnect");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let stats = client.cache_stats().unwrap();
        assert_eq!(stats.flushes, 1, "{stats:?}");
        assert_eq!(client.request(&get("k")).await.unwrap(), Frame::bulk("v2"));
        // Tracking is on again on the new connection: hits, then invalidations.
        assert_eq!(client.request(&get("k")).await.unwrap(), Frame::bulk("v2"));
        assert!(client.cache_stats().unwrap().hits >= 1);
        admin.request(&set("k", "v3")).await.unwrap();
        client.request(&Cmd::new("PING")).await.unwrap();
        assert_eq!(client.request(&get("k")).await.unwrap(), Frame::bulk("v3"));
    })
    .await;
}

/// The guarantee: once another client's write is acknowledged, a read made after one
/// round trip on the caching client sees it. Writers on other connections, many
/// keys, random interleavings (seeded), and concurrent readers on the same client
/// filling the cache meanwhile; stale reads counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_read_after_an_acknowledged_write_and_a_round_trip_is_stale() {
    let server = RedisServer::start();
    const KEYS: u64 = 64;
    bounded(async {
        for seed in [3u64, 11, 99] {
            let mut writers = Vec::new();
            for _ in 0..3 {
                writers.push(Connection::connect(tcp(&server)).await.unwrap());
            }
            writers[0].request(&Cmd::new("FLUSHALL")).await.unwrap();
            let client = cached(&server).await;
            // Background readers on the same client keep reads of every key in
            // flight, crossing the invalidations.
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let mut background = Vec::new();
            for reader in 0..4u64 {
                let (client, stop) = (client.clone(), stop.clone());
                background.push(tokio::spawn(async move {
                    let mut n = reader;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        n = (n * 31 + 7) % KEYS;
                        client.request(&get(&format!("key:{n}"))).await.unwrap();
                        // A hit is ready at once: let the other tasks run.
                        tokio::task::yield_now().await;
                    }
                }));
            }
            let mut script = StaleReads::new(seed, KEYS as usize, writers.len());
            for _ in 0..2000 {
                match script.next_step() {
                    Step::Write { writer, key, value } => {
                        writers[writer].request(&set(&key, &value)).await.unwrap();
                    }
                    Step::OwnWrite { key, value } => {
                        client.request(&set(&key, &value)).await.unwrap();
                    }
                    Step::Read {
                        key,
                        round_trip_first,
                    } => {
                        if round_trip_first {
                            client.request(&Cmd::new("PING")).await.unwrap();
                        }
                        script.check(&client.request(&get(&key)).await.unwrap());
                    }
                }
            }
            let StaleReads { stale, reads, .. } = script;
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            for task in background {
                task.await.unwrap();
            }
            let stats = client.cache_stats().unwrap();
            assert_eq!(stale, 0, "seed {seed}: {stale} of {reads} reads stale");
            assert!(stats.hits > 100, "the cache served reads: {stats:?}");
            assert!(stats.invalidations > 0, "{stats:?}");
        }
    })
    .await;
}
