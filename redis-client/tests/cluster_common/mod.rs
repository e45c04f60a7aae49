//! What the cluster integration tests share: one six-node cluster per test binary
//! while any test uses it, direct connections to single nodes, the slot map as the
//! servers tell it, and slot migration by hand.
#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use redis_client::resp::Frame;
use redis_io_sync::Connection;
use redis_sansio::Cmd;
use redis_sansio::cluster::key_slot;
use redis_test_support::RedisCluster;

/// Hash tags of the keys the migration tests move, so the other tests can leave
/// their slots alone.
pub(crate) const MIGRATED_TAGS: &[&str] = &[
    "{moved-blocking}",
    "{ask-blocking}",
    "{moved-tokio}",
    "{ask-tokio}",
    "{moved-smol}",
    "{ask-smol}",
];

/// Whether a migration test may move `slot`.
pub(crate) fn migrated(slot: u16) -> bool {
    MIGRATED_TAGS
        .iter()
        .any(|tag| key_slot(tag.as_bytes()) == slot)
}

/// The cluster the tests of this binary share: started by the first, stopped when
/// the last one holding it finishes (a static cluster would outlive the tests).
pub(crate) fn cluster() -> Arc<RedisCluster> {
    static SHARED: Mutex<Weak<RedisCluster>> = Mutex::new(Weak::new());
    let mut slot = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(cluster) = slot.upgrade() {
        return cluster;
    }
    let cluster = Arc::new(RedisCluster::start());
    *slot = Arc::downgrade(&cluster);
    cluster
}

/// A `redis://` URL for a port nothing listens on.
pub(crate) fn dead_url() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    format!("redis://127.0.0.1:{port}")
}

/// A plain connection to one node (`host:port`).
pub(crate) fn direct(addr: &str) -> Connection {
    Connection::open(&format!("redis://{addr}")).expect("direct connection")
}

/// Runs a command on one node; panics on an error reply.
pub(crate) fn run(addr: &str, args: &[&str]) -> Frame {
    direct(addr)
        .request(&Cmd::from_args(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{addr}: {args:?}: {e}"))
}

fn text(frame: &Frame) -> String {
    String::from_utf8_lossy(frame.as_bytes().expect("a string")).into_owned()
}

/// The slot ranges and their primaries' `host:port`, from `CLUSTER SLOTS` on `addr`.
pub(crate) fn slot_map(addr: &str) -> Vec<(u16, u16, String)> {
    let Frame::Array(entries) = run(addr, &["CLUSTER", "SLOTS"]) else {
        panic!("CLUSTER SLOTS is no array");
    };
    entries
        .iter()
        .map(|entry| {
            let Frame::Array(items) = entry else {
                panic!("{entry:?}")
            };
            let (Frame::Integer(start), Frame::Integer(end), Frame::Array(primary)) =
                (&items[0], &items[1], &items[2])
            else {
                panic!("{entry:?}")
            };
            let Frame::Integer(port) = primary[1] else {
                panic!("{entry:?}")
            };
            (
                *start as u16,
                *end as u16,
                format!("{}:{port}", text(&primary[0])),
            )
        })
        .collect()
}

/// The primary serving `slot`, as `addr` sees it.
pub(crate) fn owner(addr: &str, slot: u16) -> String {
    slot_map(addr)
        .into_iter()
        .find(|(start, end, _)| (*start..=*end).contains(&slot))
        .map(|(_, _, owner)| owner)
        .expect("an owner")
}

/// The primaries' `host:port`, as `addr` sees them.
pub(crate) fn primaries(addr: &str) -> Vec<String> {
    let mut primaries: Vec<String> = slot_map(addr).into_iter().map(|(_, _, p)| p).collect();
    primaries.sort();
    primaries.dedup();
    primaries
}

/// A node's cluster id.
pub(crate) fn node_id(addr: &str) -> String {
    text(&run(addr, &["CLUSTER", "MYID"]))
}

/// Starts moving `slot` from `from` to `to`: importing on the target, migrating on
/// the source. Keys still on `from` are served there; others get `ASK`.
pub(crate) fn begin_migration(slot: u16, from: &str, to: &str) {
    let slot = slot.to_string();
    run(
        to,
        &["CLUSTER", "SETSLOT", &slot, "IMPORTING", &node_id(from)],
    );
    run(
        from,
        &["CLUSTER", "SETSLOT", &slot, "MIGRATING", &node_id(to)],
    );
}

/// Moves `keys` from `from` to `to` with `MIGRATE`.
pub(crate) fn migrate_keys(from: &str, to: &str, keys: &[&str]) {
    let (host, port) = to.rsplit_once(':').expect("host:port");
    let mut args = vec!["MIGRATE", host, port, "", "0", "5000", "KEYS"];
    args.extend_from_slice(keys);
    run(from, &args);
}

/// Ends the migration: every primary (the target first, then the source) is told
/// that `to` owns `slot` now.
pub(crate) fn finish_migration(slot: u16, from: &str, to: &str, all_primaries: &[String]) {
    let slot = slot.to_string();
    let id = node_id(to);
    let mut order = vec![to.to_owned(), from.to_owned()];
    order.extend(
        all_primaries
            .iter()
            .filter(|p| *p != to && *p != from)
            .cloned(),
    );
    for node in order {
        run(&node, &["CLUSTER", "SETSLOT", &slot, "NODE", &id]);
    }
}

/// The calls of `command` every primary has counted (`INFO commandstats`).
pub(crate) fn calls(all_primaries: &[String], command: &str) -> u64 {
    let prefix = format!("cmdstat_{command}:calls=");
    all_primaries
        .iter()
        .map(|p| {
            let info = text(&run(p, &["INFO", "commandstats"]));
            info.lines()
                .find_map(|line| line.strip_prefix(&prefix))
                .and_then(|rest| rest.split(',').next())
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum()
}

/// Seed URLs whose connections carry the client name `name`.
pub(crate) fn named_seeds(cluster: &RedisCluster, name: &str) -> Vec<String> {
    cluster
        .seed_urls()
        .iter()
        .map(|u| format!("{u}?client_name={name}"))
        .collect()
}

/// Kills, on `addr`, every connection named `name`; returns how many.
pub(crate) fn kill_named(addr: &str, name: &str) -> usize {
    let list = text(&run(addr, &["CLIENT", "LIST"]));
    let ids: Vec<String> = list
        .lines()
        .filter(|line| line.split(' ').any(|field| field == format!("name={name}")))
        .filter_map(|line| {
            line.split(' ')
                .find_map(|f| f.strip_prefix("id="))
                .map(str::to_owned)
        })
        .collect();
    for id in &ids {
        run(addr, &["CLIENT", "KILL", "ID", id]);
    }
    ids.len()
}

/// How many connections named `name` `addr` has.
pub(crate) fn count_named(addr: &str, name: &str) -> usize {
    let list = text(&run(addr, &["CLIENT", "LIST"]));
    list.lines()
        .filter(|line| line.split(' ').any(|field| field == format!("name={name}")))
        .count()
}
