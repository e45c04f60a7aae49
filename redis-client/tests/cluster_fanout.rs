//! Keyless commands meant for every node (`FLUSHALL`, `DBSIZE`, `KEYS`, `PING`,
//! `SCRIPT LOAD`/`EXISTS`/`FLUSH`) on the cluster clients, and script calls whose
//! keys live on different nodes. Its own cluster: `FLUSHALL` would disturb others.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod cluster_common;

use std::collections::BTreeSet;

use bytes::Bytes;
use redis_client::cluster::{ClusterClient, ClusterConnection};
use redis_client::prelude::*;
use redis_client::{Cmd, Scan, Script};
use redis_io_async::Runtime;
use redis_io_async_std::smol::Smol;
use redis_io_tokio::Tokio;
use redis_sansio::resp::Frame;
use redis_test_support::RedisCluster;

use cluster_common as support;

const INCRBY: &str = "return redis.call('INCRBY', KEYS[1], ARGV[1])";

/// Keys that land on every primary.
fn keys() -> Vec<String> {
    (0..100).map(|i| format!("fan:{i}")).collect()
}

fn blocking(cluster: &RedisCluster) {
    let urls = cluster.seed_urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let mut conn = ClusterConnection::open(&urls).unwrap();
    let primaries = support::primaries(&cluster.addrs()[0].to_string());

    conn.flushall().unwrap();
    assert_eq!(conn.dbsize().unwrap(), 0);
    for key in keys() {
        conn.set(key.as_str(), 1).unwrap();
    }
    // DBSIZE sums the primaries (replicas hold copies, not more keys).
    assert_eq!(conn.dbsize().unwrap(), 100);
    for primary in &primaries {
        let Frame::Integer(n) = support::run(primary, &["DBSIZE"]) else {
            panic!()
        };
        assert!(n > 0, "{primary} has keys");
    }
    let found: BTreeSet<Bytes> = conn.keys("fan:*").unwrap().into_iter().collect();
    assert_eq!(found, keys().into_iter().map(Bytes::from).collect());
    // SCAN walks every primary under one cursor; small pages make it take many.
    let scanned: Vec<Bytes> = Scan::keys()
        .pattern("fan:*")
        .count(7)
        .iter_cluster(&mut conn)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(scanned.iter().cloned().collect::<BTreeSet<_>>(), found);
    assert_eq!(scanned.len(), 100, "each key once");
    // HSCAN goes to its key's node.
    conn.hset("fan:hash", Each((0..50).map(|i| (format!("f{i}"), i))))
        .unwrap();
    let fields: Vec<(String, i64)> = Scan::hash("fan:hash")
        .count(5)
        .returning()
        .iter_cluster(&mut conn)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(fields.len(), 50);
    conn.del(["fan:hash"]).unwrap();
    // The generated method takes the cluster's numeric cursor too.
    let mut cursor = 0;
    let mut by_hand = BTreeSet::new();
    for _ in 0..1000 {
        let (next, page) = conn
            .scan_with(
                cursor,
                redis_client::options::ScanOptions::new()
                    .pattern("fan:*")
                    .count(10),
            )
            .unwrap();
        by_hand.extend(page);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(cursor, 0, "the scan ended");
    assert_eq!(by_hand, found);
    let error = conn.request(&Cmd::new("SCAN").arg("9")).unwrap_err();
    assert!(error.to_string().contains("invalid cursor"), "{error}");
    let pong: String = conn.execute(redis_client::cmd::ping().returning()).unwrap();
    assert_eq!(pong, "PONG");

    // A script whose keys are on every node: loaded everywhere on the first NOSCRIPT.
    let script = Script::new(INCRBY);
    conn.request(&Cmd::new("SCRIPT").arg("FLUSH")).unwrap();
    for key in keys().iter().take(20) {
        let total: i64 = script.key(key.as_str()).arg(2).invoke(&mut conn).unwrap();
        assert_eq!(total, 3);
    }
    let exists = conn
        .request(&Cmd::new("SCRIPT").arg("EXISTS").arg(script.sha1()))
        .unwrap();
    assert_eq!(exists, Frame::Array(vec![Frame::Integer(1)]));
    for node in cluster.addrs() {
        let exists = support::run(&node.to_string(), &["SCRIPT", "EXISTS", script.sha1()]);
        assert_eq!(
            exists,
            Frame::Array(vec![Frame::Integer(1)]),
            "{node} has the script"
        );
    }

    conn.flushall().unwrap();
    assert_eq!(conn.dbsize().unwrap(), 0);
    assert_eq!(conn.keys("fan:*").unwrap(), Vec::<Bytes>::new());
}

async fn client<R: Runtime>(cluster: &RedisCluster) {
    let urls = cluster.seed_urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let client = ClusterClient::<R>::open(&urls).await.unwrap();

    client.flushall().await.unwrap();
    let sets: Vec<_> = keys().into_iter().map(|k| client.set(k, 1)).collect();
    for set in sets {
        set.await.unwrap();
    }
    assert_eq!(client.dbsize().await.unwrap(), 100);
    assert_eq!(client.keys("fan:*").await.unwrap().len(), 100);

    let mut stream = Scan::keys().pattern("fan:*").count(9).stream(&client);
    let mut scanned = BTreeSet::new();
    while let Some(key) = next(&mut stream).await {
        assert!(scanned.insert(key.unwrap()), "each key once");
    }
    assert_eq!(scanned.len(), 100);

    let script = Script::new(INCRBY);
    client
        .request(&Cmd::new("SCRIPT").arg("FLUSH"))
        .await
        .unwrap();
    for key in keys().iter().take(20) {
        let total: i64 = script
            .key(key.as_str())
            .arg(5)
            .invoke(&client)
            .await
            .unwrap();
        assert_eq!(total, 6);
    }
    client.flushall().await.unwrap();
    assert_eq!(client.dbsize().await.unwrap(), 0);
}

/// The next item of a stream.
async fn next<S: futures_core::Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx)).await
}

#[test]
fn commands_for_every_node_reach_every_node() {
    let cluster = RedisCluster::start();
    blocking(&cluster);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(client::<Tokio>(&cluster));
    smol::block_on(client::<Smol>(&cluster));
}
