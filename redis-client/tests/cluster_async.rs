//! The async `ClusterClient` against a real six-node cluster, on tokio and smol:
//! keys from many tasks spread over every primary, hash tags, cross-slot refusal (of
//! a command that is not split per slot; see `tests/cluster_split.rs`),
//! `MOVED` and `ASK` during a slot migration done by hand, and seed failures.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod cluster_common;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::Duration;

use redis_client::Error;
use redis_client::cluster::{ClusterClient, ClusterError, ReadFrom, RouterConfig};
use redis_client::prelude::*;
use redis_io_async::Runtime;
use redis_io_async_std::smol::Smol;
use redis_io_tokio::Tokio;
use redis_sansio::cluster::key_slot;
use redis_test_support::RedisCluster;

use cluster_common as support;
use cluster_common::{on_smol, on_tokio};

async fn get<R: Runtime>(client: &ClusterClient<R>, key: &str) -> Option<String> {
    client
        .execute(redis_client::cmd::get(key).returning::<Option<String>>())
        .await
        .unwrap()
}

/// Sets then reads back every key, each task its share, all tasks at once.
async fn write_and_read<R: Runtime>(client: ClusterClient<R>, keys: Vec<(usize, String)>) {
    // Queue every SET before awaiting any: they go out pipelined per node.
    let sets: Vec<_> = keys
        .iter()
        .map(|(i, k)| client.set(k.as_str(), *i))
        .collect();
    for set in sets {
        set.await.unwrap();
    }
    for (i, key) in &keys {
        assert_eq!(get(&client, key).await, Some(i.to_string()), "{key}");
    }
}

fn spread_keys(runtime: &str) -> Vec<(usize, String)> {
    (0..1000)
        .map(|i| (i, format!("spread:{runtime}:{i}")))
        .filter(|(_, k)| !support::migrated(key_slot(k.as_bytes())))
        .collect()
}

/// Each key is on the primary that owns its slot; keys on every primary.
fn check_owners(cluster: &RedisCluster, keys: &[(usize, String)]) {
    let map = support::slot_map(&cluster.addrs()[0].to_string());
    let mut direct = HashMap::new();
    let mut owners = BTreeMap::new();
    for (i, key) in keys {
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
    assert_eq!(owners.len(), 3, "{owners:?}");
}

async fn hash_tags_and_cross_slot<R: Runtime>(cluster: &RedisCluster, tag: &str) {
    let urls = support::named_seeds(cluster, tag);
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let client = ClusterClient::<R>::open(&urls).await.unwrap();
    let (a, b) = (format!("{{{tag}}}:a"), format!("{{{tag}}}:b"));
    client
        .mset([(a.as_str(), "1"), (b.as_str(), "2")])
        .await
        .unwrap();
    let values: Vec<Option<String>> = client
        .execute(redis_client::cmd::mget([a.as_str(), b.as_str()]).returning())
        .await
        .unwrap();
    assert_eq!(values, [Some("1".into()), Some("2".into())]);
    // PING goes to every primary, so each has a connection of ours.
    let pong: String = client
        .execute(redis_client::cmd::ping().returning())
        .await
        .unwrap();
    assert_eq!(pong, "PONG");
    // MSETNX is not split per slot (no `request_policy:multi_shard` tip).
    let refused = client
        .msetnx([(a.as_str(), "x"), ("elsewhere", "y")])
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::Cluster(ClusterError::CrossSlot { .. })),
        "{refused:?}"
    );
    // Nothing was sent: every connection of ours last ran the PING.
    let primaries = support::primaries(&cluster.addrs()[0].to_string());
    let last = support::last_commands(&primaries, tag);
    assert_eq!(last.len(), 3, "{last:?}");
    assert!(last.iter().all(|cmd| cmd == "ping"), "{last:?}");
}

async fn moved<R: Runtime>(cluster: &RedisCluster, key: &str) {
    let client = support::open_async::<R>(cluster).await;
    let seed = cluster.addrs()[0].to_string();
    let slot = key_slot(key.as_bytes());
    client.set(key, "before").await.unwrap();
    let (from, to) = support::owner_and_another(&seed, slot);
    let primaries = support::primaries(&seed);
    support::begin_migration(slot, &from, &to);
    support::migrate_keys(&from, &to, &[key]);
    support::finish_migration(slot, &from, &to, &primaries);

    assert_eq!(get(&client, key).await.as_deref(), Some("before"));
    assert_eq!(
        client.node_for_slot(slot).map(|a| a.to_string()),
        Some(to.clone())
    );
    // Clones share the updated map.
    let clone = client.clone();
    clone.set(key, "after").await.unwrap();
    assert_eq!(get(&client, key).await.as_deref(), Some("after"));
}

async fn ask<R: Runtime>(cluster: &RedisCluster, tag: &str) {
    let client = support::open_async::<R>(cluster).await;
    let seed = cluster.addrs()[0].to_string();
    let (moving, new) = (format!("{tag}:moving"), format!("{tag}:new"));
    let slot = key_slot(moving.as_bytes());
    client.set(moving.as_str(), "m").await.unwrap();
    let (from, to) = support::owner_and_another(&seed, slot);
    let primaries = support::primaries(&seed);
    support::begin_migration(slot, &from, &to);
    support::migrate_keys(&from, &to, &[&moving]);

    assert_eq!(get(&client, &moving).await.as_deref(), Some("m"));
    client.set(new.as_str(), "n").await.unwrap();
    assert_eq!(get(&client, &new).await.as_deref(), Some("n"));
    assert_eq!(
        client.node_for_slot(slot).map(|a| a.to_string()),
        Some(from.clone())
    );

    support::finish_migration(slot, &from, &to, &primaries);
    assert_eq!(get(&client, &moving).await.as_deref(), Some("m"));
}

async fn seeds<R: Runtime>(cluster: &RedisCluster, key: &str) {
    let dead = support::dead_url();
    let good = cluster.seed_urls()[2].clone();
    let client = ClusterClient::<R>::open(&[&dead, &good]).await.unwrap();
    client.set(key, "ok").await.unwrap();
    assert_eq!(get(&client, key).await.as_deref(), Some("ok"));

    let other = support::dead_url();
    let error = ClusterClient::<R>::open(&[&dead, &other])
        .await
        .unwrap_err();
    match &error {
        Error::Cluster(ClusterError::TopologyRefreshFailed {
            tried: 2,
            last_error,
        }) => {
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
}

#[test]
fn tokio_keys_from_many_tasks_land_on_their_owners() {
    let cluster = support::cluster();
    let keys = spread_keys("tokio");
    on_tokio(async {
        let client = support::open_async::<Tokio>(&cluster).await;
        let tasks: Vec<_> = keys
            .chunks(keys.len() / 8 + 1)
            .map(|chunk| tokio::spawn(write_and_read(client.clone(), chunk.to_vec())))
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    check_owners(&cluster, &keys);
}

#[test]
fn smol_keys_from_many_tasks_land_on_their_owners() {
    let cluster = support::cluster();
    let keys = spread_keys("smol");
    on_smol(async {
        let client = support::open_async::<Smol>(&cluster).await;
        let tasks: Vec<_> = keys
            .chunks(keys.len() / 8 + 1)
            .map(|chunk| smol::spawn(write_and_read(client.clone(), chunk.to_vec())))
            .collect();
        for task in tasks {
            task.await;
        }
    });
    check_owners(&cluster, &keys);
}

#[test]
fn tokio_hash_tags_and_cross_slot() {
    let cluster = support::cluster();
    on_tokio(hash_tags_and_cross_slot::<Tokio>(&cluster, "tags-tokio"));
}

#[test]
fn smol_hash_tags_and_cross_slot() {
    let cluster = support::cluster();
    on_smol(hash_tags_and_cross_slot::<Smol>(&cluster, "tags-smol"));
}

#[test]
fn tokio_moved_is_followed() {
    let cluster = support::cluster();
    on_tokio(moved::<Tokio>(&cluster, "{moved-tokio}:k"));
}

#[test]
fn smol_moved_is_followed() {
    let cluster = support::cluster();
    on_smol(moved::<Smol>(&cluster, "{moved-smol}:k"));
}

#[test]
fn tokio_ask_is_followed() {
    let cluster = support::cluster();
    on_tokio(ask::<Tokio>(&cluster, "{ask-tokio}"));
}

#[test]
fn smol_ask_is_followed() {
    let cluster = support::cluster();
    on_smol(ask::<Smol>(&cluster, "{ask-smol}"));
}

#[test]
fn tokio_dead_seeds() {
    let cluster = support::cluster();
    on_tokio(seeds::<Tokio>(&cluster, "seeds:tokio"));
}

#[test]
fn smol_dead_seeds() {
    let cluster = support::cluster();
    on_smol(seeds::<Smol>(&cluster, "seeds:smol"));
}

async fn killed_connection<R: Runtime>(cluster: &RedisCluster, name: &str) {
    let seed = cluster.addrs()[0].to_string();
    let urls = support::named_seeds(cluster, name);
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let client = ClusterClient::<R>::open(&urls).await.unwrap();
    let key = format!("killed:{name}");
    client.set(key.as_str(), "v").await.unwrap();
    let owner = support::owner(&seed, key_slot(key.as_bytes()));
    assert!(support::kill_named(&owner, name) >= 1);
    // The node client may notice the close only when it next reads; either way the
    // request is retried once on a new connection.
    assert_eq!(get(&client, &key).await.as_deref(), Some("v"));
    assert_eq!(get(&client, &key).await.as_deref(), Some("v"));
    assert_eq!(support::count_named(&owner, name), 1, "reconnected once");
}

#[test]
fn tokio_killed_connection_is_reopened() {
    let cluster = support::cluster();
    on_tokio(killed_connection::<Tokio>(&cluster, "victim-tokio"));
}

#[test]
fn smol_killed_connection_is_reopened() {
    let cluster = support::cluster();
    on_smol(killed_connection::<Smol>(&cluster, "victim-smol"));
}

#[test]
fn tokio_pipelines_and_transactions() {
    let cluster = support::cluster();
    on_tokio(async {
        let client = support::open_async::<Tokio>(&cluster).await;
        support::cluster_batches!(cluster, "tokio", &client, .await);
    });
}

#[test]
fn smol_pipelines_and_transactions() {
    let cluster = support::cluster();
    on_smol(async {
        let client = support::open_async::<Smol>(&cluster).await;
        support::cluster_batches!(cluster, "smol", &client, .await);
    });
}

#[test]
fn tokio_reads_go_to_replicas_when_asked() {
    let cluster = support::cluster();
    let configs = support::seed_configs(&cluster);
    let replicas = support::replicas(&cluster);
    let keys: Vec<String> = (0..30).map(|i| format!("replica-read:tokio:{i}")).collect();
    on_tokio(async {
        let config = RouterConfig::default().with_read_from(ReadFrom::PreferReplica);
        let client = ClusterClient::<Tokio>::connect(configs, config)
            .await
            .unwrap();
        for key in &keys {
            client.set(key.as_str(), "r").await.unwrap();
        }
        for key in &keys {
            support::wait_replicated(&cluster, key, "r");
        }
        let before = support::calls(&replicas, "get");
        for key in &keys {
            assert_eq!(get(&client, key).await.as_deref(), Some("r"));
        }
        assert_eq!(support::calls(&replicas, "get"), before + 30);
    });
}

#[test]
fn tokio_watch_retries_after_a_conflict() {
    let cluster = support::cluster();
    let seed = cluster.addrs()[0].to_string();
    on_tokio(async {
        let client = support::open_async::<Tokio>(&cluster).await;
        let key = "{watch-tokio}:n";
        client.set(key, 10).await.unwrap();
        let owner = support::owner(&seed, key_slot(key.as_bytes()));
        let mut rounds = 0;
        client
            .watch_transaction(&[key], async |conn, tx| {
                rounds += 1;
                let n: Option<i64> = conn
                    .execute(redis_client::cmd::get(key).returning())
                    .await?;
                if rounds == 1 {
                    support::run(&owner, &["INCRBY", key, "100"]);
                }
                tx.set(key, n.unwrap_or(0) + 1);
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(rounds, 2);
        assert_eq!(get(&client, key).await.as_deref(), Some("111"));
    });
}

#[test]
fn smol_sharded_pubsub_on_a_dedicated_connection() {
    let cluster = support::cluster();
    on_smol(async {
        let client = support::open_async::<Smol>(&cluster).await;
        let channel = "news:smol";
        let mut subscriber = client.dedicated(channel).await.unwrap();
        subscriber
            .request(&redis_sansio::Cmd::new("SSUBSCRIBE").arg(channel))
            .await
            .unwrap();
        assert_eq!(client.spublish(channel, "hi").await.unwrap(), 1);
        match subscriber
            .next_event(Some(Duration::from_secs(5)))
            .await
            .unwrap()
        {
            Some(redis_sansio::conn::Event::Message(message)) => {
                assert_eq!(message.payload, "hi".as_bytes());
            }
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn tokio_tryagain_backs_off_then_fails_typed() {
    let cluster = support::cluster();
    let seed = cluster.addrs()[0].to_string();
    let (moved, staying) = ("{tryagain-tokio}:moved", "{tryagain-tokio}:staying");
    let slot = key_slot(moved.as_bytes());
    let configs = support::seed_configs(&cluster);
    on_tokio(async {
        let ms = Duration::from_millis;
        let config = RouterConfig::default()
            .with_max_retries(2)
            .with_retry_delays(ms(20), ms(20));
        let client = ClusterClient::<Tokio>::connect(configs, config)
            .await
            .unwrap();
        client.mset([(moved, "m"), (staying, "s")]).await.unwrap();
        let (from, to) = support::owner_and_another(&seed, slot);
        let primaries = support::primaries(&seed);
        support::begin_migration(slot, &from, &to);
        support::migrate_keys(&from, &to, &[moved]);

        let started = std::time::Instant::now();
        let error = client.mget([moved, staying]).await.unwrap_err();
        match &error {
            Error::Cluster(ClusterError::TooManyRetries { limit: 2, last }) => {
                assert_eq!(*last.kind(), redis_sansio::ServerErrorKind::TryAgain);
            }
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() >= ms(40), "slept between attempts");

        support::migrate_keys(&from, &to, &[staying]);
        support::finish_migration(slot, &from, &to, &primaries);
        let values: Vec<Option<String>> = client
            .execute(redis_client::cmd::mget([moved, staying]).returning())
            .await
            .unwrap();
        assert_eq!(values, [Some("m".into()), Some("s".into())]);
    });
}

#[test]
fn the_client_and_its_futures_are_send_and_static() {
    fn assert_send_static<T: Send + Sync + 'static>() {}
    fn assert_future_send<T: Future + Send + 'static>() {}
    assert_send_static::<ClusterClient<Tokio>>();
    assert_future_send::<redis_client::cluster::ClusterRequest<Smol>>();
    assert_future_send::<
        redis_client::ReplyFuture<redis_client::cluster::ClusterRequest<Tokio>, Option<String>>,
    >();
}
