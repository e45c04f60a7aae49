//! Cursor scans over 10,000 keys and over large sets, hashes and sorted sets: every
//! element exactly once, as an Iterator (blocking) and a Stream (async).
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use redis_client::prelude::*;
use redis_client::{Each, Pipeline, Scan};
use redis_test_support::RedisServer;

const KEYS: usize = 10_000;
const MEMBERS: usize = 1_000;

/// 10,000 string keys `scan:i`, a few keys of other types, and a set, hash and
/// sorted set of 1,000 members each (large enough to be real hash tables, so the
/// scans take many pages).
fn populate(server: &RedisServer) {
    let mut conn = common::blocking(common::resp3(server));
    let mut pipe = Pipeline::new();
    for i in 0..KEYS {
        pipe.set(format!("scan:{i}"), i);
    }
    pipe.sadd("big-set", Each((0..MEMBERS).map(|i| format!("m{i}"))));
    pipe.hset("big-hash", Each((0..MEMBERS).map(|i| (format!("f{i}"), i))));
    pipe.zadd(
        "big-zset",
        Each((0..MEMBERS).map(|i| (i as f64, format!("z{i}")))),
    );
    pipe.rpush("scan-list", ["x"]);
    for outcome in pipe.run(&mut conn).unwrap().into_outcomes() {
        outcome.unwrap();
    }
    wait_for_rehash(server);
}

/// SCAN may return a key twice while the keyspace's hash table is being resized;
/// with no writes during the scan, waiting until the resize is done makes "each key
/// exactly once" Redis's guarantee, not luck. Bounded to 5 s.
fn wait_for_rehash(server: &RedisServer) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while server
        .command(&["DEBUG", "HTSTATS", "0"])
        .contains("rehashing target")
    {
        assert!(Instant::now() < deadline, "the keyspace kept rehashing");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Counts each element; asserts each of `expected` came exactly once.
fn assert_each_once<T: std::hash::Hash + Eq + std::fmt::Debug>(
    seen: Vec<T>,
    expected: impl IntoIterator<Item = T>,
) {
    let mut counts: HashMap<T, usize> = HashMap::new();
    for item in seen {
        *counts.entry(item).or_default() += 1;
    }
    let mut expected_count = 0;
    for item in expected {
        assert_eq!(counts.remove(&item), Some(1), "{item:?}");
        expected_count += 1;
    }
    assert!(counts.is_empty(), "unexpected: {counts:?}");
    assert!(expected_count > 0);
}

fn scan_keys() -> impl Iterator<Item = String> {
    (0..KEYS).map(|i| format!("scan:{i}"))
}

#[test]
fn blocking_iterators_yield_each_element_once() {
    let server = common::server();
    populate(&server);
    for config in [common::resp3(&server), common::resp2(&server)] {
        let mut conn = common::blocking(config);
        let keys: Vec<String> = Scan::keys()
            .pattern("scan:*")
            .count(500)
            .type_("string")
            .returning()
            .iter(&mut conn)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_each_once(keys, scan_keys());

        let lists: Vec<Bytes> = Scan::keys()
            .type_("list")
            .iter(&mut conn)
            .map(Result::unwrap)
            .collect();
        assert_eq!(lists, [Bytes::from("scan-list")]);

        let members: Vec<String> = Scan::set("big-set")
            .returning()
            .iter(&mut conn)
            .map(Result::unwrap)
            .collect();
        assert_each_once(members, (0..MEMBERS).map(|i| format!("m{i}")));

        let fields: Vec<(String, i64)> = Scan::hash("big-hash")
            .returning()
            .iter(&mut conn)
            .map(Result::unwrap)
            .collect();
        assert_each_once(fields, (0..MEMBERS).map(|i| (format!("f{i}"), i as i64)));

        let scored: Vec<(String, i64)> = Scan::sorted_set("big-zset")
            .count(100)
            .returning()
            .iter(&mut conn)
            .map(Result::unwrap)
            .collect();
        assert_each_once(scored, (0..MEMBERS).map(|i| (format!("z{i}"), i as i64)));
    }
}

#[test]
fn a_failed_page_is_yielded_once_then_the_iterator_ends() {
    let server = common::server();
    let mut conn = common::blocking(common::resp3(&server));
    conn.set("not-a-set", 1).unwrap();
    let mut scan = Scan::set("not-a-set").iter(&mut conn);
    let error = scan.next().unwrap().unwrap_err();
    assert!(error.server_error().is_some(), "{error:?}");
    assert!(scan.next().is_none());
}

/// Collects a whole stream, bounded to `KEYS` + 1 items.
macro_rules! collect_stream {
    ($stream:expr) => {{
        let mut stream = $stream;
        let mut items = Vec::new();
        while let Some(item) = common::next(&mut stream).await {
            items.push(item.unwrap());
            assert!(items.len() <= KEYS, "the stream did not end");
        }
        items
    }};
}

/// The same scans as streams, on `$b` (an exclusive connection or a client).
macro_rules! stream_checks {
    ($b:expr) => {{
        let keys: Vec<String> = collect_stream!(
            Scan::keys()
                .pattern("scan:*")
                .count(1000)
                .returning()
                .stream($b)
        );
        assert_each_once(keys, scan_keys());
        let fields: Vec<(String, i64)> =
            collect_stream!(Scan::hash("big-hash").returning().stream($b));
        assert_each_once(fields, (0..MEMBERS).map(|i| (format!("f{i}"), i as i64)));
        let scored: Vec<(String, f64)> =
            collect_stream!(Scan::sorted_set("big-zset").returning().stream($b));
        assert_eq!(scored.len(), MEMBERS);
    }};
}

#[test]
fn tokio_streams_yield_each_element_once() {
    let server = common::server();
    populate(&server);
    common::tokio_runtime().block_on(async {
        let mut conn = redis_io_tokio::Connection::connect(common::resp2(&server))
            .await
            .unwrap();
        stream_checks!(&mut conn);
        let client = redis_io_tokio::Client::connect(common::resp3(&server))
            .await
            .unwrap();
        stream_checks!(&client);
    });
}

#[test]
fn smol_streams_yield_each_element_once() {
    let server = common::server();
    populate(&server);
    smol::block_on(async {
        let mut conn = redis_io_async_std::smol::Connection::connect(common::resp3(&server))
            .await
            .unwrap();
        stream_checks!(&mut conn);
        let client = redis_io_async_std::smol::Client::connect(common::resp2(&server))
            .await
            .unwrap();
        stream_checks!(&client);
    });
}

/// Page by page, the connection back between pages: each page's keys get their TYPE
/// and TTL in one pipeline before the next page is asked for.
#[test]
fn pages_give_the_connection_back_for_a_pipeline_per_page() {
    let server = common::server();
    let mut conn = common::blocking(common::resp3(&server));
    let mut pipe = Pipeline::new();
    for i in 0..300 {
        pipe.set(format!("page:{i}"), i);
    }
    pipe.rpush("page:list", "x");
    pipe.expire("page:list", 100u32);
    pipe.run(&mut conn).unwrap();

    let mut pages = Scan::keys().pattern("page:*").count(50).pages();
    assert_eq!(pages.cursor(), 0);
    let mut seen: Vec<(Bytes, String, i64)> = Vec::new();
    let mut page_count = 0;
    while let Some(keys) = pages.next_page(&mut conn).unwrap() {
        page_count += 1;
        assert!(page_count <= 1_000, "a scan of 301 keys ends");
        let mut pipe = Pipeline::new();
        let slots: Vec<_> = keys.iter().map(|k| (pipe.type_(k), pipe.ttl(k))).collect();
        let mut replies = pipe.run(&mut conn).unwrap();
        for (key, (kind, ttl)) in keys.into_iter().zip(slots) {
            seen.push((key, replies.take(kind).unwrap(), replies.take(ttl).unwrap()));
        }
    }
    assert!(pages.is_finished());
    assert!(page_count > 1, "many pages: {page_count}");
    assert_each_once(
        seen.iter().map(|(k, _, _)| k.clone()).collect(),
        (0..300)
            .map(|i| Bytes::from(format!("page:{i}")))
            .chain([Bytes::from("page:list")]),
    );
    let list = seen.iter().find(|(k, _, _)| k == "page:list").unwrap();
    assert_eq!((list.1.as_str(), list.2), ("list", 100));
    assert!(
        seen.iter()
            .filter(|(k, _, _)| k != "page:list")
            .all(|(_, kind, ttl)| kind == "string" && *ttl == -1)
    );
    assert_eq!(pages.next_page(&mut conn).unwrap(), None, "over stays over");
}

/// The same on an async body.
#[test]
fn pages_on_an_async_client() {
    let server = common::server();
    let mut conn = common::blocking(common::resp3(&server));
    for i in 0..120 {
        conn.set(format!("apage:{i}"), i).unwrap();
    }
    common::tokio_runtime().block_on(async {
        let client = redis_io_tokio::Client::connect(common::resp3(&server))
            .await
            .unwrap();
        let mut pages = Scan::keys().pattern("apage:*").count(20).pages();
        let mut seen = Vec::new();
        let mut page_count = 0;
        while let Some(keys) = pages.next_page_async(&client).await.unwrap() {
            page_count += 1;
            assert!(page_count <= 1_000, "a scan of 120 keys ends");
            for key in keys {
                let kind: String = client.type_(&key).await.unwrap();
                assert_eq!(kind, "string");
                seen.push(key);
            }
        }
        assert_each_once(seen, (0..120).map(|i| Bytes::from(format!("apage:{i}"))));
    });
}
