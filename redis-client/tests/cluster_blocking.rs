//! The blocking `ClusterConnection` against a real six-node cluster: keys spread over
//! every primary, hash tags, cross-slot refusal (of a command that is not split per
//! slot; `tests/cluster_split.rs` has those that are), `MOVED` and `ASK` during a
//! slot migration done by hand, and seed failures.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod cluster_common;

use redis_client::Error;
use redis_client::cluster::{ClusterConnection, ClusterError, NodeAddr, ReadFrom, RouterConfig};
use redis_client::prelude::*;
use redis_sansio::ServerErrorKind;
use redis_sansio::cluster::key_slot;

use cluster_common as support;

fn addr_text(addr: &NodeAddr) -> String {
    addr.to_string()
}

#[test]
fn a_thousand_keys_land_on_the_primary_that_owns_their_slot() {
    let cluster = support::cluster();
    let mut conn = support::open_blocking(&cluster);
    let seed = cluster.addrs()[0].to_string();
    let keys: Vec<String> = (0..1000)
        .map(|i| format!("spread:blocking:{i}"))
        .filter(|k| !support::migrated(key_slot(k.as_bytes())))
        .collect();
    for (i, key) in keys.iter().enumerate() {
        conn.set(key.as_str(), i).unwrap();
    }
    for (i, key) in keys.iter().enumerate() {
        let value: Option<String> = conn
            .execute(redis_client::cmd::get(key.as_str()).returning())
            .unwrap();
        assert_eq!(value, Some(i.to_string()));
    }
    // Each key is on the node the servers say owns its slot.
    let map = support::slot_map(&seed);
    let mut owners = std::collections::BTreeMap::new();
    let mut direct = std::collections::HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        let slot = key_slot(key.as_bytes());
        let owner = map
            .iter()
            .find(|(s, e, _)| (*s..=*e).contains(&slot))
            .map(|(_, _, o)| o.clone())
            .unwrap();
        let conn = direct
            .entry(owner.clone())
            .or_insert_with(|| support::direct(&owner));
        let value: Option<String> = conn
            .execute(redis_client::cmd::get(key.as_str()).returning())
            .unwrap();
        assert_eq!(value, Some(i.to_string()), "{key} on {owner}");
        *owners.entry(owner).or_insert(0) += 1;
    }
    assert_eq!(owners.len(), 3, "keys on every primary: {owners:?}");
    assert!(owners.values().all(|&n| n > 200), "{owners:?}");
    // The client's own map agrees.
    for (start, _, owner) in &map {
        if !support::migrated(*start) {
            assert_eq!(
                conn.node_for_slot(*start).map(addr_text),
                Some(owner.clone()),
                "slot {start} in {map:?}"
            );
        }
    }
}

#[test]
fn hash_tags_route_multi_key_commands_and_cross_slot_is_refused() {
    let cluster = support::cluster();
    let name = "crossslot-blocking";
    let urls = support::named_seeds(&cluster, name);
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let mut conn = ClusterConnection::open(&urls).unwrap();
    let primaries = support::primaries(&cluster.addrs()[0].to_string());

    conn.mset([("{user:7}:name", "ada"), ("{user:7}:lang", "rust")])
        .unwrap();
    // PING has no keys: it goes to every primary, so each has a connection of ours
    // (the blocking client's fan-out connections).
    let pong: String = conn.execute(redis_client::cmd::ping().returning()).unwrap();
    assert_eq!(pong, "PONG");
    // MSETNX has no `request_policy:multi_shard` tip (it is all or nothing), so it
    // is not split.
    let refused = conn
        .msetnx([("{user:7}:name", "x"), ("other:key", "y")])
        .unwrap_err();
    match &refused {
        Error::Cluster(ClusterError::CrossSlot { first, second }) => {
            assert_eq!(*first, key_slot(b"user:7"));
            assert_eq!(*second, key_slot(b"other:key"));
        }
        other => panic!("{other:?}"),
    }
    assert!(refused.to_string().contains("different slots"), "{refused}");
    // Nothing was sent: no connection of ours ran MSETNX. (The PING reached every
    // primary on the connections of the fan-out, the MSET ran on its node's own.)
    let last = support::last_commands(&primaries, name);
    assert_eq!(
        last.iter().filter(|cmd| *cmd == "ping").count(),
        3,
        "{last:?}"
    );
    assert!(!last.iter().any(|cmd| cmd == "msetnx"), "{last:?}");

    let values: Vec<Option<String>> = conn
        .execute(
            redis_client::cmd::mget(["{user:7}:name", "{user:7}:lang", "{user:7}:none"])
                .returning(),
        )
        .unwrap();
    assert_eq!(values, [Some("ada".into()), Some("rust".into()), None]);
    let last = support::last_commands(&primaries, name);
    assert_eq!(
        last.iter().filter(|cmd| *cmd == "mget").count(),
        1,
        "{last:?}"
    );
}

#[test]
fn moved_after_a_finished_migration_is_followed_and_updates_the_map() {
    let cluster = support::cluster();
    let mut conn = support::open_blocking(&cluster);
    let seed = cluster.addrs()[0].to_string();
    let key = "{moved-blocking}:k";
    let slot = key_slot(key.as_bytes());
    conn.set(key, "before").unwrap();
    let (from, to) = support::owner_and_another(&seed, slot);
    assert_eq!(conn.node_for_slot(slot).map(addr_text), Some(from.clone()));
    let primaries = support::primaries(&seed);

    support::begin_migration(slot, &from, &to);
    support::migrate_keys(&from, &to, &[key]);
    support::finish_migration(slot, &from, &to, &primaries);

    // The client still routes to `from`, which answers MOVED.
    let value: Option<String> = conn
        .execute(redis_client::cmd::get(key).returning())
        .unwrap();
    assert_eq!(value.as_deref(), Some("before"));
    assert_eq!(conn.node_for_slot(slot).map(addr_text), Some(to.clone()));
    conn.set(key, "after").unwrap();
    let direct: Option<String> = support::direct(&to)
        .execute(redis_client::cmd::get(key).returning())
        .unwrap();
    assert_eq!(direct.as_deref(), Some("after"));
}

#[test]
fn ask_during_a_migration_is_followed_without_changing_the_map() {
    let cluster = support::cluster();
    let mut conn = support::open_blocking(&cluster);
    let seed = cluster.addrs()[0].to_string();
    let (moved_key, staying_key, new_key) = (
        "{ask-blocking}:moved",
        "{ask-blocking}:staying",
        "{ask-blocking}:new",
    );
    let slot = key_slot(moved_key.as_bytes());
    conn.set(moved_key, "m").unwrap();
    conn.set(staying_key, "s").unwrap();
    let (from, to) = support::owner_and_another(&seed, slot);
    let primaries = support::primaries(&seed);

    support::begin_migration(slot, &from, &to);
    support::migrate_keys(&from, &to, &[moved_key]);
    // `from` no longer has the key and answers ASK; the client asks `to`.
    let value: Option<String> = conn
        .execute(redis_client::cmd::get(moved_key).returning())
        .unwrap();
    assert_eq!(value.as_deref(), Some("m"));
    let value: Option<String> = conn
        .execute(redis_client::cmd::get(staying_key).returning())
        .unwrap();
    assert_eq!(value.as_deref(), Some("s"));
    // A new key in a migrating slot is created on the target, through ASK.
    conn.set(new_key, "n").unwrap();
    let value: Option<String> = conn
        .execute(redis_client::cmd::get(new_key).returning())
        .unwrap();
    assert_eq!(value.as_deref(), Some("n"));
    // ASK does not move the slot.
    assert_eq!(conn.node_for_slot(slot).map(addr_text), Some(from.clone()));

    support::migrate_keys(&from, &to, &[staying_key]);
    support::finish_migration(slot, &from, &to, &primaries);
    let value: Option<String> = conn
        .execute(redis_client::cmd::get(staying_key).returning())
        .unwrap();
    assert_eq!(value.as_deref(), Some("s"));
    assert_eq!(conn.node_for_slot(slot).map(addr_text), Some(to));
}

#[test]
fn a_dead_seed_before_a_good_one_is_skipped() {
    let cluster = support::cluster();
    let dead = support::dead_url();
    let good = cluster.seed_urls()[1].clone();
    let mut conn = ClusterConnection::open([&dead, &good]).unwrap();
    conn.set("seeds:blocking", "ok").unwrap();
    let value: Option<String> = conn
        .execute(redis_client::cmd::get("seeds:blocking").returning())
        .unwrap();
    assert_eq!(value.as_deref(), Some("ok"));
}

#[test]
fn all_seeds_dead_is_a_clear_error() {
    let (a, b) = (support::dead_url(), support::dead_url());
    let error = ClusterConnection::open([&a, &b]).unwrap_err();
    match &error {
        Error::Cluster(ClusterError::TopologyRefreshFailed { tried, last_error }) => {
            assert_eq!(*tried, 2);
            assert!(
                last_error
                    .as_deref()
                    .unwrap_or("")
                    .contains("could not connect"),
                "{error}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        error
            .to_string()
            .starts_with("cluster: no cluster node answered"),
        "{error}"
    );
    assert!(matches!(
        ClusterConnection::open(Vec::<&str>::new()).unwrap_err(),
        Error::Cluster(ClusterError::NoSeeds)
    ));
}

#[test]
fn seed_settings_apply_to_every_node() {
    let cluster = support::cluster();
    let urls: Vec<String> = cluster
        .seed_urls()
        .iter()
        .map(|u| format!("{u}?protocol=2"))
        .collect();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    // RESP2 everywhere: the topology comes as flat arrays, and replies too.
    let mut conn = ClusterConnection::open(&urls).unwrap();
    for i in 0..50 {
        conn.hset(format!("resp2:{i}"), [("f", i)]).unwrap();
        let all: std::collections::HashMap<String, i64> = conn
            .execute(redis_client::cmd::hgetall(format!("resp2:{i}")).returning())
            .unwrap();
        assert_eq!(all["f"], i);
    }
}

#[test]
fn a_killed_node_connection_is_reopened_and_the_request_retried_once() {
    let cluster = support::cluster();
    let seed = cluster.addrs()[0].to_string();
    let urls = support::named_seeds(&cluster, "victim-blocking");
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let mut conn = ClusterConnection::open(&urls).unwrap();
    let key = "killed:blocking";
    conn.set(key, "v").unwrap();
    let owner = support::owner(&seed, key_slot(key.as_bytes()));
    assert!(support::kill_named(&owner, "victim-blocking") >= 1);

    let value: Option<String> = conn
        .execute(redis_client::cmd::get(key).returning())
        .unwrap();
    assert_eq!(value.as_deref(), Some("v"));
    assert_eq!(
        support::count_named(&owner, "victim-blocking"),
        1,
        "reconnected once"
    );
}

#[test]
fn pipelines_and_transactions() {
    let cluster = support::cluster();
    let mut conn = support::open_blocking(&cluster);
    support::cluster_batches!(cluster, "blocking", &mut conn,);
}

#[test]
fn tryagain_is_retried_with_backoff_then_fails_typed_or_succeeds() {
    let cluster = support::cluster();
    let seed = cluster.addrs()[0].to_string();
    let mut conn = support::open_blocking(&cluster);
    let (moved, staying) = ("{tryagain-blocking}:moved", "{tryagain-blocking}:staying");
    let slot = key_slot(moved.as_bytes());
    conn.mset([(moved, "m"), (staying, "s")]).unwrap();
    let (from, to) = support::owner_and_another(&seed, slot);
    let primaries = support::primaries(&seed);
    support::begin_migration(slot, &from, &to);
    support::migrate_keys(&from, &to, &[moved]);

    // One key on each side: the source answers TRYAGAIN for as long as that lasts.
    let ms = std::time::Duration::from_millis;
    let mut strict = ClusterConnection::connect(
        support::seed_configs(&cluster),
        RouterConfig::default()
            .with_max_retries(3)
            .with_retry_delays(ms(10), ms(40)),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let error = strict.mget([moved, staying]).unwrap_err();
    match &error {
        Error::Cluster(ClusterError::TooManyRetries { limit: 3, last }) => {
            assert_eq!(*last.kind(), ServerErrorKind::TryAgain);
        }
        other => panic!("{other:?}"),
    }
    // Waited 10 + 20 + 40 ms between the four attempts.
    assert!(started.elapsed() >= ms(70), "{:?}", started.elapsed());

    // With the default limits, a helper thread finishing the move 300 ms from now
    // ends the TRYAGAINs; the source then answers ASK, and the target serves both.
    let helper = {
        let (from, to) = (from.clone(), to.clone());
        std::thread::spawn(move || {
            std::thread::sleep(ms(300));
            support::migrate_keys(&from, &to, &[staying]);
        })
    };
    let started = std::time::Instant::now();
    let values: Vec<Option<String>> = conn
        .execute(redis_client::cmd::mget([moved, staying]).returning())
        .unwrap();
    helper.join().unwrap();
    assert_eq!(values, [Some("m".into()), Some("s".into())]);
    assert!(started.elapsed() >= ms(300));
    support::finish_migration(slot, &from, &to, &primaries);
}

#[test]
fn the_redirect_limit_applies_to_real_redirects() {
    let cluster = support::cluster();
    let seed = cluster.addrs()[0].to_string();
    let key = "{limit-blocking}:k";
    let mut strict = ClusterConnection::connect(
        support::seed_configs(&cluster),
        RouterConfig::default().with_max_redirects(0),
    )
    .unwrap();
    strict.set(key, "v").unwrap();
    support::move_slot_of(&seed, key);
    let error = strict.get(key).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Cluster(ClusterError::TooManyRedirects { limit: 0 })
        ),
        "{error:?}"
    );
    // The MOVED still taught the router the new owner: the next call goes there.
    let value: Option<String> = strict
        .execute(redis_client::cmd::get(key).returning())
        .unwrap();
    assert_eq!(value.as_deref(), Some("v"));
}

#[test]
fn reads_go_to_replicas_when_asked() {
    let cluster = support::cluster();
    let config = RouterConfig::default().with_read_from(ReadFrom::PreferReplica);
    let mut conn = ClusterConnection::connect(support::seed_configs(&cluster), config).unwrap();
    let replicas = support::replicas(&cluster);
    assert_eq!(replicas.len(), 3);
    let keys: Vec<String> = (0..30)
        .map(|i| format!("replica-read:blocking:{i}"))
        .collect();
    for key in &keys {
        conn.set(key.as_str(), "r").unwrap();
    }
    for key in &keys {
        support::wait_replicated(&cluster, key, "r");
    }
    let before = support::calls(&replicas, "get");
    for key in &keys {
        let value: Option<String> = conn
            .execute(redis_client::cmd::get(key.as_str()).returning())
            .unwrap();
        assert_eq!(value.as_deref(), Some("r"));
    }
    // The wait above read from replicas too, so count from after it: 30 more GETs
    // on replicas, all of this connection's.
    assert_eq!(support::calls(&replicas, "get"), before + 30);
}

#[test]
fn watch_retries_after_a_conflict_on_the_keys_node() {
    let cluster = support::cluster();
    let seed = cluster.addrs()[0].to_string();
    let mut conn = support::open_blocking(&cluster);
    let key = "{watch-blocking}:n";
    conn.set(key, 10).unwrap();
    let owner = support::owner(&seed, key_slot(key.as_bytes()));
    let mut rounds = 0;
    let replies = conn
        .watch_transaction(&[key], |node, tx| {
            rounds += 1;
            let n: i64 = node
                .execute(redis_client::cmd::get(key).returning::<Option<i64>>())?
                .unwrap_or(0);
            if rounds == 1 {
                // Another client changes the watched key: this round's EXEC aborts.
                support::run(&owner, &["INCRBY", key, "100"]);
            }
            tx.set(key, n + 1);
            Ok(())
        })
        .unwrap();
    assert_eq!(rounds, 2);
    assert_eq!(replies.len(), 1);
    let value: Option<i64> = conn
        .execute(redis_client::cmd::get(key).returning())
        .unwrap();
    assert_eq!(value, Some(111));
    let refused = conn
        .watch_transaction(&["a", "b"], |_, _| Ok(()))
        .unwrap_err();
    assert!(
        matches!(refused, Error::Cluster(ClusterError::CrossSlot { .. })),
        "{refused:?}"
    );
}

#[test]
fn sharded_pubsub_on_a_dedicated_connection_to_the_channels_node() {
    let cluster = support::cluster();
    let mut conn = support::open_blocking(&cluster);
    let channel = "news:blocking";
    let mut subscriber = conn.dedicated(channel).unwrap();
    subscriber
        .request(&redis_sansio::Cmd::new("SSUBSCRIBE").arg(channel))
        .unwrap();
    // SPUBLISH is routed by its shard channel, to the same node.
    assert_eq!(conn.spublish(channel, "hello").unwrap(), 1);
    match subscriber
        .next_event(Some(std::time::Duration::from_secs(5)))
        .unwrap()
    {
        Some(redis_sansio::conn::Event::Message(message)) => {
            assert_eq!(message.channel, channel.as_bytes());
            assert_eq!(message.payload, "hello".as_bytes());
        }
        other => panic!("{other:?}"),
    }
}
