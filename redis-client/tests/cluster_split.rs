//! Multi-key commands whose keys span slots (`MGET`, `MSET`, `DEL`, `EXISTS`,
//! `UNLINK`, `TOUCH`: the specification's `request_policy:multi_shard`), split into
//! one command per slot by the blocking `ClusterConnection` and the async
//! `ClusterClient` (tokio and smol), against a real six-node cluster: values in the
//! keys' order, counts summed, `MSET` read back on every owner, one command per slot
//! counted by the servers, parts meeting `MOVED` and `ASK` after slot moves by hand,
//! a part refused by an ACL, replica reads, and pipelines and transactions still
//! refusing cross-slot commands.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod cluster_common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use redis_client::cluster::{ClusterClient, ClusterConnection, ReadFrom, RouterConfig};
use redis_client::prelude::*;
use redis_io_async_std::smol::Smol;
use redis_io_tokio::Tokio;
use redis_sansio::ServerErrorKind;
use redis_sansio::cluster::key_slot;
use redis_test_support::RedisCluster;

use cluster_common as support;
use cluster_common::{on_smol, on_tokio};

/// The tests of this file take turns: they count the commands every node ran
/// (`INFO commandstats`), which another test's calls would disturb.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Twenty-four keys named after `name`, covering every primary, none in a slot the
/// migration tests move.
fn spread(cluster: &RedisCluster, name: &str) -> Vec<String> {
    let keys: Vec<String> = (0..40)
        .map(|i| format!("split:{name}:{i}"))
        .filter(|k| !support::migrated(key_slot(k.as_bytes())))
        .take(24)
        .collect();
    assert_eq!(keys.len(), 24);
    let seed = cluster.addrs()[0].to_string();
    let owners: BTreeSet<String> = keys
        .iter()
        .map(|k| support::owner(&seed, key_slot(k.as_bytes())))
        .collect();
    assert_eq!(owners.len(), 3, "keys on every primary: {owners:?}");
    keys
}

/// How many different slots `keys` are in.
fn slots<S: AsRef<str>>(keys: &[S]) -> u64 {
    let slots: BTreeSet<u16> = keys
        .iter()
        .map(|k| key_slot(k.as_ref().as_bytes()))
        .collect();
    slots.len() as u64
}

/// Every key's value as its owner (asked directly) has it.
fn on_owners(cluster: &RedisCluster, keys: &[String]) -> Vec<Option<String>> {
    let seed = cluster.addrs()[0].to_string();
    let mut direct = BTreeMap::new();
    keys.iter()
        .map(|key| {
            let owner = support::owner(&seed, key_slot(key.as_bytes()));
            let conn = direct
                .entry(owner.clone())
                .or_insert_with(|| support::direct(&owner));
            conn.execute(redis_client::cmd::get(key.as_str()).returning())
                .unwrap()
        })
        .collect()
}

/// The split commands on a cluster body `$b` (`$aw` finishes a call: `.await` or
/// nothing), its keys named after `$name`: `MSET` read back on every owner, `MGET`
/// with missing keys in order, the counts of `EXISTS`, `TOUCH`, `DEL` and `UNLINK`,
/// one command per slot as the servers count them, then parts meeting `MOVED` and
/// `ASK`, and pipelines and transactions refusing what a command alone splits.
macro_rules! split_commands {
    ($cluster:expr, $name:expr, $b:expr, $($aw:tt)*) => {{
        use redis_client::cluster::ClusterError;
        use redis_client::{Error, Pipeline, Transaction};
        let cluster: &RedisCluster = $cluster;
        let name: &str = $name;
        let seed = cluster.addrs()[0].to_string();
        let primaries = support::primaries(&seed);
        let keys = spread(cluster, name);
        let per_slot = slots(&keys);

        // MSET across every primary: one MSET per slot, each value on its owner.
        let before = support::calls(&primaries, "mset");
        $b.mset(Each(keys.iter().enumerate().map(|(i, k)| (k.as_str(), i))))$($aw)*.unwrap();
        assert_eq!(support::calls(&primaries, "mset"), before + per_slot);
        let expected: Vec<Option<String>> = (0..keys.len()).map(|i| Some(i.to_string())).collect();
        assert_eq!(on_owners(cluster, &keys), expected);

        // MGET: the values in the keys' order, missing keys as None.
        let mut asked = Vec::new();
        let mut values = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            asked.push(key.clone());
            values.push(Some(i.to_string()));
            if i % 3 == 1 {
                asked.push(format!("split:{name}:missing:{i}"));
                values.push(None);
            }
        }
        let before = support::calls(&primaries, "mget");
        let got: Vec<Option<String>> = $b
            .execute(redis_client::cmd::mget(&asked).returning())$($aw)*
            .unwrap();
        assert_eq!(got, values);
        assert_eq!(support::calls(&primaries, "mget"), before + slots(&asked));
        // The typed default (bytes) too, reversed.
        let reversed = $b.mget(Each(keys.iter().rev()))$($aw)*.unwrap();
        let reversed: Vec<Option<String>> = reversed
            .into_iter()
            .map(|v| v.map(|b| String::from_utf8(b.to_vec()).unwrap()))
            .collect();
        let mut expected_reversed = expected.clone();
        expected_reversed.reverse();
        assert_eq!(reversed, expected_reversed);

        // Counts summed over the parts; a key named twice counts twice in EXISTS.
        let mut twice = asked.clone();
        twice.push(keys[0].clone());
        assert_eq!($b.exists(&twice)$($aw)*.unwrap(), keys.len() as i64 + 1);
        assert_eq!($b.touch(&asked)$($aw)*.unwrap(), keys.len() as i64);
        let (first, _) = keys.split_at(10);
        assert_eq!($b.del(&first)$($aw)*.unwrap(), 10);
        assert_eq!($b.unlink(&asked)$($aw)*.unwrap(), keys.len() as i64 - 10);
        assert_eq!($b.exists(&keys)$($aw)*.unwrap(), 0);
        assert!(on_owners(cluster, &keys).iter().all(Option::is_none));

        // A part whose slot moved by hand: the body's table still names the old
        // owner, which answers MOVED for that part alone.
        let moved = format!("{{split-moved-{name}}}:k");
        $b.mset([(moved.as_str(), "m"), (keys[0].as_str(), "0"), (keys[1].as_str(), "1")])$($aw)*
            .unwrap();
        let to = support::move_slot_of(&seed, &moved);
        let got: Vec<Option<String>> = $b
            .execute(redis_client::cmd::mget([&keys[0], &moved, &keys[1]]).returning())$($aw)*
            .unwrap();
        assert_eq!(got, [Some("0".into()), Some("m".into()), Some("1".into())]);
        assert_eq!(
            $b.node_for_slot(key_slot(moved.as_bytes())).map(|a| a.to_string()),
            Some(to.clone())
        );
        assert_eq!($b.del([&keys[0], &moved, &keys[1], &keys[2]])$($aw)*.unwrap(), 3);

        // A part in a slot being migrated, its one key already on the target: the
        // source answers ASK, the part goes to the target after ASKING.
        let (asked_key, staying) = (
            format!("{{split-ask-{name}}}:moved"),
            format!("{{split-ask-{name}}}:staying"),
        );
        let slot = key_slot(asked_key.as_bytes());
        $b.mset([(asked_key.as_str(), "a"), (staying.as_str(), "s"), (keys[0].as_str(), "0")])$($aw)*
            .unwrap();
        let (from, to) = support::owner_and_another(&seed, slot);
        support::begin_migration(slot, &from, &to);
        support::migrate_keys(&from, &to, &[&asked_key]);
        let got: Vec<Option<String>> = $b
            .execute(redis_client::cmd::mget([&keys[0], &asked_key]).returning())$($aw)*
            .unwrap();
        assert_eq!(got, [Some("0".into()), Some("a".into())]);
        assert_eq!($b.exists([&asked_key, &keys[0], &keys[1]])$($aw)*.unwrap(), 2);
        // ASK does not move the slot in the body's table.
        assert_eq!($b.node_for_slot(slot).map(|a| a.to_string()), Some(from.clone()));
        support::migrate_keys(&from, &to, &[&staying]);
        support::finish_migration(slot, &from, &to, &primaries);
        assert_eq!($b.del([&keys[0], &asked_key, &staying])$($aw)*.unwrap(), 3);

        // Inside pipelines and transactions, cross-slot commands are still refused.
        let mut pipe = Pipeline::new();
        pipe.mget([&keys[0], &keys[1]]);
        let refused = pipe.run($b)$($aw)*.unwrap_err();
        assert!(matches!(refused, Error::Cluster(ClusterError::CrossSlot { .. })), "{refused:?}");
        let mut tx = Transaction::new();
        tx.del([&keys[0], &keys[1]]);
        let refused = tx.run($b)$($aw)*.unwrap_err();
        assert!(matches!(refused, Error::Cluster(ClusterError::CrossSlot { .. })), "{refused:?}");
    }};
}

/// A user allowed the keys `split:allowed:*` only, on every node, and seed URLs
/// that log in as it.
fn limited_user(cluster: &RedisCluster) -> Vec<String> {
    for addr in cluster.addrs() {
        support::run(
            &addr.to_string(),
            &[
                "ACL",
                "SETUSER",
                "split-limited",
                "on",
                ">split-secret",
                "~split:allowed:*",
                "+@all",
            ],
        );
    }
    cluster
        .addrs()
        .iter()
        .map(|a| format!("redis://split-limited:split-secret@{a}"))
        .collect()
}

/// Two keys in different slots, the first allowed to [`limited_user`], the second not.
fn allowed_and_denied(name: &str) -> (String, String) {
    let allowed = format!("split:allowed:{name}");
    let denied = format!("split:denied:{name}");
    assert_ne!(key_slot(allowed.as_bytes()), key_slot(denied.as_bytes()));
    (allowed, denied)
}

fn assert_no_perm(error: &redis_client::Error) {
    assert_eq!(
        error.server_error().map(|e| e.kind().clone()),
        Some(ServerErrorKind::NoPerm),
        "{error:?}"
    );
}

#[test]
fn blocking_split_commands() {
    let _turn = serial();
    let cluster = support::cluster();
    let mut conn = support::open_blocking(&cluster);
    split_commands!(&cluster, "blocking", &mut conn,);
}

#[test]
fn tokio_split_commands() {
    let _turn = serial();
    let cluster = support::cluster();
    on_tokio(async {
        let client = support::open_async::<Tokio>(&cluster).await;
        split_commands!(&cluster, "tokio", &client, .await);
    });
}

#[test]
fn smol_split_commands() {
    let _turn = serial();
    let cluster = support::cluster();
    on_smol(async {
        let client = support::open_async::<Smol>(&cluster).await;
        split_commands!(&cluster, "smol", &client, .await);
    });
}

#[test]
fn blocking_a_refused_part_fails_the_command_with_its_error() {
    let _turn = serial();
    let cluster = support::cluster();
    let urls = limited_user(&cluster);
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let mut conn = ClusterConnection::open(&urls).unwrap();
    let (allowed, denied) = allowed_and_denied("blocking");
    conn.set(allowed.as_str(), "ok").unwrap();

    assert_no_perm(&conn.mget([&allowed, &denied]).unwrap_err());
    assert_no_perm(&conn.exists([&denied, &allowed]).unwrap_err());
    // Not atomic: the allowed part of the MSET ran.
    assert_no_perm(&conn.mset([(&allowed, "new"), (&denied, "x")]).unwrap_err());
    let value: Option<String> = conn
        .execute(redis_client::cmd::get(allowed.as_str()).returning())
        .unwrap();
    assert_eq!(value.as_deref(), Some("new"));
    assert_no_perm(&conn.del([&allowed, &denied]).unwrap_err());
    assert_eq!(conn.exists([&allowed]).unwrap(), 0, "the allowed part ran");
}

#[test]
fn tokio_a_refused_part_fails_the_command_with_its_error() {
    let _turn = serial();
    let cluster = support::cluster();
    let urls = limited_user(&cluster);
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    on_tokio(async {
        let client = ClusterClient::<Tokio>::open(&urls).await.unwrap();
        let (allowed, denied) = allowed_and_denied("tokio");
        client.set(allowed.as_str(), "ok").await.unwrap();
        assert_no_perm(&client.mget([&allowed, &denied]).await.unwrap_err());
        assert_no_perm(
            &client
                .mset([(&denied, "x"), (&allowed, "new")])
                .await
                .unwrap_err(),
        );
        assert_no_perm(&client.unlink([&allowed, &denied]).await.unwrap_err());
        assert_eq!(client.exists([&allowed]).await.unwrap(), 0);
    });
}

#[test]
fn blocking_split_reads_go_to_replicas_when_asked() {
    let _turn = serial();
    let cluster = support::cluster();
    let config = RouterConfig::default().with_read_from(ReadFrom::PreferReplica);
    let mut conn = ClusterConnection::connect(support::seed_configs(&cluster), config).unwrap();
    let keys = spread(&cluster, "replica-blocking");
    conn.mset(Each(keys.iter().map(|k| (k.as_str(), "r"))))
        .unwrap();
    for key in &keys {
        support::wait_replicated(&cluster, key, "r");
    }
    let replicas = support::replicas(&cluster);
    let primaries = support::primaries(&cluster.addrs()[0].to_string());
    let (on_replicas, on_primaries) = (
        support::calls(&replicas, "mget"),
        support::calls(&primaries, "mget"),
    );
    let values: Vec<Option<String>> = conn
        .execute(redis_client::cmd::mget(&keys).returning())
        .unwrap();
    assert!(
        values.iter().all(|v| v.as_deref() == Some("r")),
        "{values:?}"
    );
    assert_eq!(
        support::calls(&replicas, "mget"),
        on_replicas + slots(&keys),
        "one MGET per slot, on replicas"
    );
    assert_eq!(support::calls(&primaries, "mget"), on_primaries);
    // Writes stay on primaries.
    assert_eq!(conn.del(&keys).unwrap(), keys.len() as i64);
}
