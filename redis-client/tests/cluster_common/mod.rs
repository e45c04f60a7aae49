//! What the cluster integration tests share: one six-node cluster per test binary
//! while any test uses it (plain text, or TLS only), direct connections to single
//! nodes, the slot map as the servers tell it, and slot migration by hand; the
//! pub/sub scenarios in `pubsub.rs`.
#![allow(dead_code, unused_macros, unused_imports)]

pub(crate) mod pubsub;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use redis_client::resp::Frame;
use redis_io_sync::Connection;
use redis_sansio::Cmd;
use redis_sansio::cluster::key_slot;
use redis_sansio::config::{ConnectionConfig, ServerAddr};
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
    "{moved-pipe-blocking}",
    "{moved-tx-blocking}",
    "{moved-pipe-tokio}",
    "{moved-tx-tokio}",
    "{moved-pipe-smol}",
    "{moved-tx-smol}",
    "{tryagain-blocking}",
    "{tryagain-tokio}",
    "{limit-blocking}",
    "{moved-tls-blocking}",
    "{ask-tls-blocking}",
    "{refresh-tls-blocking}",
    "{moved-tls-tokio}",
    "{tokio-tls-refresh}",
    "{moved-pipe-tls-blocking}",
    "{moved-tx-tls-blocking}",
    "{moved-pipe-tls-tokio}",
    "{moved-tx-tls-tokio}",
    "{split-moved-blocking}",
    "{split-ask-blocking}",
    "{split-moved-tokio}",
    "{split-ask-tokio}",
    "{split-moved-smol}",
    "{split-ask-smol}",
    "{moved-pubsub-blocking}",
    "{moved-pubsub-tokio}",
    "{moved-pubsub-smol}",
    "{moved-pubsub-resp2}",
    "{migrating-pubsub-blocking}",
    "{migrating-pubsub-tokio}",
    "{moved-pubsub-async-std}",
    "{periodic-blocking}",
    "{periodic-tokio}",
];

/// A blocking cluster connection through every seed of `cluster`.
pub(crate) fn open_blocking(cluster: &RedisCluster) -> redis_client::cluster::ClusterConnection {
    let urls = cluster.seed_urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    redis_client::cluster::ClusterConnection::open(&urls).expect("open the cluster")
}

/// An async cluster client on runtime `R` through every seed of `cluster`.
pub(crate) async fn open_async<R: redis_io_async::Runtime>(
    cluster: &RedisCluster,
) -> redis_client::cluster::ClusterClient<R> {
    let urls = cluster.seed_urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    redis_client::cluster::ClusterClient::<R>::open(&urls)
        .await
        .expect("open the cluster")
}

/// The seeds of `cluster` as configurations, for `connect` with router settings.
pub(crate) fn seed_configs(cluster: &RedisCluster) -> Vec<ConnectionConfig> {
    cluster
        .seed_urls()
        .iter()
        .map(|url| url.parse().unwrap())
        .collect()
}

/// How long any one async scenario may take before it fails instead of hanging.
pub(crate) const SCENARIO_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs an async scenario to its end on a current-thread tokio runtime, failing it
/// after [`SCENARIO_LIMIT`].
pub(crate) fn on_tokio<F: std::future::Future<Output = ()>>(scenario: F) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            tokio::time::timeout(SCENARIO_LIMIT, scenario)
                .await
                .expect("the scenario finished in time");
        });
}

/// Runs an async scenario to its end on smol, failing it after [`SCENARIO_LIMIT`].
pub(crate) fn on_smol<F: std::future::Future<Output = ()>>(scenario: F) {
    smol::block_on(async {
        let timeout = async {
            smol::Timer::after(SCENARIO_LIMIT).await;
            panic!("the scenario did not finish in time");
        };
        smol::future::or(scenario, timeout).await;
    });
}

/// Runs an async scenario to its end on async-std, failing it after
/// [`SCENARIO_LIMIT`].
pub(crate) fn on_async_std<F: std::future::Future<Output = ()>>(scenario: F) {
    async_std::task::block_on(async {
        async_std::future::timeout(SCENARIO_LIMIT, scenario)
            .await
            .expect("the scenario finished in time");
    });
}

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

/// The TLS-only cluster the tests of this binary share, like [`cluster`]. Its nodes
/// have no plain-text port, so [`direct`] (and every helper built on it) reaches them
/// over their Unix sockets, by the `host:port` of their TLS ports.
pub(crate) fn tls_cluster() -> Arc<RedisCluster> {
    static SHARED: Mutex<Weak<RedisCluster>> = Mutex::new(Weak::new());
    let mut slot = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(cluster) = slot.upgrade() {
        return cluster;
    }
    let cluster = Arc::new(RedisCluster::start_tls());
    let mut sockets = unix_sockets();
    for (node, addr) in cluster.nodes().iter().zip(cluster.tls_addrs()) {
        let path = node.unix_path().expect("a TLS-only node has a Unix socket");
        sockets.insert(addr.to_string(), path.to_owned());
    }
    *slot = Arc::downgrade(&cluster);
    cluster
}

/// The Unix sockets of TLS-only nodes, by the `host:port` of their TLS ports.
fn unix_sockets() -> std::sync::MutexGuard<'static, BTreeMap<String, PathBuf>> {
    static SOCKETS: Mutex<BTreeMap<String, PathBuf>> = Mutex::new(BTreeMap::new());
    SOCKETS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A `redis://` URL for a port nothing listens on.
pub(crate) fn dead_url() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    format!("redis://127.0.0.1:{port}")
}

/// A plain-text connection to one node (`host:port`): over TCP, or, for a node of
/// [`tls_cluster`] (which has no plain-text port), over its Unix socket.
pub(crate) fn direct(addr: &str) -> Connection {
    let socket = unix_sockets().get(addr).cloned();
    match socket {
        Some(path) => {
            Connection::connect(ConnectionConfig::default().with_addr(ServerAddr::unix(path)))
                .expect("direct connection over the Unix socket")
        }
        None => Connection::open(&format!("redis://{addr}")).expect("direct connection"),
    }
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
    let Frame::Array(ref entries) = run(addr, &["CLUSTER", "SLOTS"]) else {
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

/// Moves `keys` from `from` to `to` with `MIGRATE`. Its timeout (which also bounds
/// the server's connect, TLS handshake included) is generous: on a loaded two-core
/// machine a TLS node's `MIGRATE` has been seen to take longer than 5 s.
pub(crate) fn migrate_keys(from: &str, to: &str, keys: &[&str]) {
    let (host, port) = to.rsplit_once(':').expect("host:port");
    let mut args = vec!["MIGRATE", host, port, "", "0", "30000", "KEYS"];
    args.extend_from_slice(keys);
    let cmd = Cmd::from_args(args.iter().copied());
    // The source node's own connection to the target can fail to open (`IOERR error
    // or timeout connecting`, seen over TLS with tests migrating at once): nothing
    // moved then, so it is tried again, a bounded number of times.
    for attempt in 1..=5 {
        match direct(from).request(&cmd) {
            Ok(_) => return,
            Err(error) if attempt < 5 && error.to_string().contains("IOERR") => {
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            Err(error) => panic!("{from}: {args:?}: {error}"),
        }
    }
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

/// Waits (bounded, 10 s) until every node of `cluster`, replicas included, names `to`
/// as the owner of `slot`: after a migration the replicas learn it by gossip, and a
/// client refreshing its slot table from one that has not yet would be sent back.
pub(crate) fn wait_owner_everywhere(cluster: &RedisCluster, slot: u16, to: &str) {
    let started = std::time::Instant::now();
    for addr in cluster.addrs().iter().map(ToString::to_string) {
        while owner(&addr, slot) != to {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "{addr} never learnt that {to} owns slot {slot}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
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

/// The number `field` of `INFO section` on `addr` (0 when it is missing).
pub(crate) fn info_number(addr: &str, section: &str, field: &str) -> u64 {
    let info = text(&run(addr, &["INFO", section]));
    let prefix = format!("{field}:");
    info.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
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

/// Moves `key`'s slot to another primary by hand: importing, migrating, `MIGRATE`,
/// then the new owner announced to every primary. Returns the new owner.
pub(crate) fn move_slot_of(seed: &str, key: &str) -> String {
    let slot = key_slot(key.as_bytes());
    let (from, to) = owner_and_another(seed, slot);
    begin_migration(slot, &from, &to);
    migrate_keys(&from, &to, &[key]);
    finish_migration(slot, &from, &to, &primaries(seed));
    to
}

/// The primary serving `slot`, and another primary to move it to.
pub(crate) fn owner_and_another(seed: &str, slot: u16) -> (String, String) {
    let from = owner(seed, slot);
    let to = primaries(seed)
        .into_iter()
        .find(|p| *p != from)
        .expect("another primary");
    (from, to)
}

/// Pipelines and transactions on a cluster body `$b` (`$aw` finishes a call:
/// `.await` or nothing), its keys named after `$name`: a pipeline over every node in
/// order, cross-slot refusals, a one-slot transaction, and both after their slots
/// moved by hand.
macro_rules! cluster_batches {
    ($cluster:expr, $name:expr, $b:expr, $($aw:tt)*) => {{
        use redis_client::cluster::ClusterError;
        use redis_client::prelude::*;
        use redis_client::{Error, Pipeline, Transaction};
        let name: &str = $name;
        let seed = $cluster.addrs()[0].to_string();

        let mut pipe = Pipeline::new();
        for i in 0..300 {
            pipe.set(format!("pipe:{name}:{i}"), i);
        }
        let gets: Vec<_> = (0..300)
            .map(|i| pipe.add(redis_client::cmd::get(format!("pipe:{name}:{i}")).returning::<i64>()))
            .collect();
        let mut replies = pipe.run($b)$($aw)*.unwrap();
        assert_eq!(replies.len(), 600);
        for (i, get) in gets.into_iter().enumerate() {
            assert_eq!(replies.take(get).unwrap(), i as i64);
        }

        let mut pipe = Pipeline::new();
        pipe.set(format!("pipe:{name}:x"), 1);
        pipe.mget(["a", "b"]);
        let refused = pipe.run($b)$($aw)*.unwrap_err();
        assert!(matches!(refused, Error::Cluster(ClusterError::CrossSlot { .. })), "{refused:?}");

        let (a, b) = (format!("{{tx-{name}}}:a"), format!("{{tx-{name}}}:b"));
        let mut tx = Transaction::new();
        tx.set(a.as_str(), 1);
        let n = tx.incr(a.as_str());
        let text = tx.add(redis_client::cmd::get(a.as_str()).returning::<String>());
        tx.set(b.as_str(), "b");
        let mut replies = tx.run($b)$($aw)*.unwrap();
        assert_eq!(replies.take(n).unwrap(), 2);
        assert_eq!(replies.take(text).unwrap(), "2");

        let mut tx = Transaction::new();
        tx.set(a.as_str(), 1);
        tx.set("elsewhere", 1);
        let refused = tx.run($b)$($aw)*.unwrap_err();
        assert!(matches!(refused, Error::Cluster(ClusterError::CrossSlot { .. })), "{refused:?}");

        // Both slots move while the body's table still names the old owners; the
        // transaction runs first, so it meets the move itself.
        let piped = format!("{{moved-pipe-{name}}}:k");
        let counted = format!("{{moved-tx-{name}}}:k");
        let mut pipe = Pipeline::new();
        pipe.set(piped.as_str(), "p");
        pipe.set(counted.as_str(), 10);
        pipe.run($b)$($aw)*.unwrap();
        let piped_owner = $crate::cluster_common::move_slot_of(&seed, &piped);
        let counted_owner = $crate::cluster_common::move_slot_of(&seed, &counted);

        let mut tx = Transaction::new();
        let n = tx.incr(counted.as_str());
        let mut replies = tx.run($b)$($aw)*.unwrap();
        assert_eq!(replies.take(n).unwrap(), 11);
        let mut pipe = Pipeline::new();
        let p = pipe.add(redis_client::cmd::get(piped.as_str()).returning::<String>());
        let c = pipe.add(redis_client::cmd::get(counted.as_str()).returning::<i64>());
        let mut replies = pipe.run($b)$($aw)*.unwrap();
        assert_eq!(replies.take(p).unwrap(), "p");
        assert_eq!(replies.take(c).unwrap(), 11);
        // The values are on the new owners.
        let direct: Option<String> = $crate::cluster_common::direct(&piped_owner)
            .execute(redis_client::cmd::get(piped.as_str()).returning())
            .unwrap();
        assert_eq!(direct.as_deref(), Some("p"));
        let direct: Option<i64> = $crate::cluster_common::direct(&counted_owner)
            .execute(redis_client::cmd::get(counted.as_str()).returning())
            .unwrap();
        assert_eq!(direct, Some(11));
    }};
}
#[allow(unused_imports)]
pub(crate) use cluster_batches;

/// The nodes that are not primaries (as `seed` sees them), as `host:port`.
pub(crate) fn replicas(cluster: &RedisCluster) -> Vec<String> {
    let primaries = primaries(&cluster.addrs()[0].to_string());
    cluster
        .addrs()
        .iter()
        .map(ToString::to_string)
        .filter(|a| !primaries.contains(a))
        .collect()
}

/// Waits (bounded, 5 s) until a replica of `key`'s shard has its value `expected`.
pub(crate) fn wait_replicated(cluster: &RedisCluster, key: &str, expected: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let replicas = replicas(cluster);
    loop {
        let found = replicas.iter().any(|r| {
            let mut conn = direct(r);
            let _ = conn.request(&Cmd::new("READONLY"));
            conn.request(&Cmd::new("GET").arg(key))
                .ok()
                .and_then(|f| f.as_bytes().map(|b| b == expected.as_bytes()))
                .unwrap_or(false)
        });
        if found {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{key} never reached a replica"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The last command (`cmd=` in `CLIENT LIST`) of every connection named `name` on
/// each of `nodes`.
pub(crate) fn last_commands(nodes: &[String], name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for node in nodes {
        let list = text(&run(node, &["CLIENT", "LIST"]));
        for line in list.lines() {
            let mut fields = line.split(' ');
            if fields.clone().any(|f| f == format!("name={name}")) {
                if let Some(cmd) = fields.find_map(|f| f.strip_prefix("cmd=")) {
                    out.push(cmd.to_owned());
                }
            }
        }
    }
    out
}
