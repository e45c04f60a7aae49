//! The cluster clients over TLS, against real six-node clusters whose nodes speak TLS
//! (`tls-cluster yes`, `tls-replication yes`, client certificates required): one that
//! speaks TLS only (`port 0`), shared by most tests, and one that serves both plain
//! text and TLS. Keys routed to every primary, `MOVED` and `ASK` to TLS ports after a
//! slot migration done by hand, topology refreshes that read TLS ports, pipelines and
//! transactions, and TLS failures as `Error::Tls`, on the blocking
//! `ClusterConnection` and tokio's `ClusterClient`; the cluster subscribers
//! (blocking, tokio) over TLS: every kind of subscription, and names subscribed
//! again (over a new TLS connection) after a killed connection. (Following a moved
//! slot is left to the plain-text pub/sub tests: more slot migrations at once in
//! this binary made its migration tests flaky.)
// Needs the blocking adapter (the default `sync` feature) for the out-of-band helpers.
#![cfg(feature = "sync")]

mod cluster_common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use redis_client::cluster::{
    AsyncClusterSubscriber, ClusterClient, ClusterConnection, ClusterSubscriber, NodeAddr,
    RouterConfig,
};
use redis_client::prelude::*;
use redis_client::{Error, TlsErrorKind};
use redis_io_tokio::Tokio;
use redis_sansio::cluster::key_slot;
use redis_sansio::config::ConnectionConfig;
use redis_test_support::{RedisCluster, TestCerts};

use cluster_common as support;
use cluster_common::on_tokio;
use cluster_common::pubsub::{every_kind, killed_connection};

/// Router settings whose `refresh()` always asks the cluster (no rate limit), so a
/// test can see a refresh's result at once.
fn eager() -> RouterConfig {
    RouterConfig::default().with_refresh_interval(Duration::ZERO)
}

fn open_blocking(cluster: &RedisCluster) -> ClusterConnection {
    ClusterConnection::connect(cluster.tls_seed_configs(), eager()).expect("open over TLS")
}

async fn open_tokio(cluster: &RedisCluster) -> ClusterClient<Tokio> {
    ClusterClient::<Tokio>::connect(cluster.tls_seed_configs(), eager())
        .await
        .expect("open over TLS")
}

/// `host:port` of every node's TLS port.
fn tls_addrs(cluster: &RedisCluster) -> Vec<String> {
    cluster
        .tls_addrs()
        .iter()
        .map(SocketAddr::to_string)
        .collect()
}

/// Keys named after `name`, none in a slot another test moves.
fn spread_keys(name: &str) -> Vec<String> {
    (0..300)
        .map(|i| format!("spread:{name}:{i}"))
        .filter(|k| !support::migrated(key_slot(k.as_bytes())))
        .collect()
}

/// Each key holds its index on the node the servers say owns its slot, and the keys
/// cover every primary.
fn check_owners(cluster: &RedisCluster, keys: &[String]) {
    let seed = cluster.addrs()[0].to_string();
    let mut owners = BTreeMap::new();
    for (i, key) in keys.iter().enumerate() {
        let owner = support::owner(&seed, key_slot(key.as_bytes()));
        let frame = support::run(&owner, &["GET", key]);
        let value = frame.as_bytes().map(|b| b.to_vec());
        assert_eq!(value, Some(i.to_string().into_bytes()), "{key}");
        *owners.entry(owner).or_insert(0) += 1;
    }
    assert_eq!(owners.len(), 3, "keys on every primary: {owners:?}");
    let tls = tls_addrs(cluster);
    assert!(owners.keys().all(|owner| tls.contains(owner)), "{owners:?}");
}

/// Settings for the cluster's TLS ports that trust another CA.
fn wrong_ca(cluster: &RedisCluster) -> Vec<ConnectionConfig> {
    let other = TestCerts::generate();
    cluster
        .tls_seed_configs()
        .into_iter()
        .map(|config| {
            let mut config = config;
            config.tls_options.ca_certs.clear();
            other.trusted_by(config)
        })
        .collect()
}

/// Settings for the cluster's TLS ports with no client certificate.
fn no_client_certificate(cluster: &RedisCluster) -> Vec<ConnectionConfig> {
    cluster
        .tls_seed_configs()
        .into_iter()
        .map(|mut config| {
            config.tls_options.client_identity = None;
            config
        })
        .collect()
}

fn assert_tls_error(error: &Error, kind: TlsErrorKind) {
    assert!(matches!(error, Error::Tls(_)), "{error:?}");
    assert_eq!(
        error.tls_error().map(|tls| tls.kind()),
        Some(kind),
        "{error:?}"
    );
}

#[test]
fn blocking_routes_keys_to_every_primary_over_tls() {
    let cluster = support::tls_cluster();
    let mut conn = open_blocking(&cluster);
    let keys = spread_keys("tls-blocking");
    for (i, key) in keys.iter().enumerate() {
        conn.set(key.as_str(), i).unwrap();
    }
    for (i, key) in keys.iter().enumerate() {
        let value: Option<String> = conn
            .execute(redis_client::cmd::get(key.as_str()).returning())
            .unwrap();
        assert_eq!(value, Some(i.to_string()));
    }
    check_owners(&cluster, &keys);
    // The client's map names the TLS ports, the only ones there are.
    let seed = cluster.addrs()[0].to_string();
    for (start, _, owner) in support::slot_map(&seed) {
        if !support::migrated(start) {
            let known = conn.node_for_slot(start).map(NodeAddr::to_string);
            assert_eq!(known, Some(owner), "slot {start}");
        }
    }
    // PING goes to every primary: three PONGs folded into one.
    let pong: String = conn.execute(redis_client::cmd::ping().returning()).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn blocking_follows_moved_and_ask_to_tls_ports() {
    let cluster = support::tls_cluster();
    let mut conn = open_blocking(&cluster);
    let seed = cluster.addrs()[0].to_string();

    // MOVED after a finished migration.
    let key = "{moved-tls-blocking}:k";
    let slot = key_slot(key.as_bytes());
    conn.set(key, "before").unwrap();
    let to = support::move_slot_of(&seed, key);
    assert!(tls_addrs(&cluster).contains(&to), "{to}");
    assert_ne!(
        conn.node_for_slot(slot).map(NodeAddr::to_string),
        Some(to.clone())
    );
    let value: Option<String> = conn
        .execute(redis_client::cmd::get(key).returning())
        .unwrap();
    assert_eq!(value.as_deref(), Some("before"));
    assert_eq!(
        conn.node_for_slot(slot).map(NodeAddr::to_string),
        Some(to.clone())
    );
    conn.set(key, "after").unwrap();
    let value = support::run(&to, &["GET", key])
        .as_bytes()
        .map(|b| b.to_vec());
    assert_eq!(value.as_deref(), Some(&b"after"[..]));

    // ASK during a migration: the moved key is asked for on the target.
    let (moved, staying) = ("{ask-tls-blocking}:moved", "{ask-tls-blocking}:staying");
    let slot = key_slot(moved.as_bytes());
    conn.set(moved, "m").unwrap();
    conn.set(staying, "s").unwrap();
    let (from, to) = support::owner_and_another(&seed, slot);
    let primaries = support::primaries(&seed);
    support::begin_migration(slot, &from, &to);
    support::migrate_keys(&from, &to, &[moved]);
    let value: Option<String> = conn
        .execute(redis_client::cmd::get(moved).returning())
        .unwrap();
    assert_eq!(value.as_deref(), Some("m"));
    let value: Option<String> = conn
        .execute(redis_client::cmd::get(staying).returning())
        .unwrap();
    assert_eq!(value.as_deref(), Some("s"));
    assert_eq!(
        conn.node_for_slot(slot).map(NodeAddr::to_string),
        Some(from.clone())
    );
    support::migrate_keys(&from, &to, &[staying]);
    support::finish_migration(slot, &from, &to, &primaries);
    support::wait_owner_everywhere(&cluster, slot, &to);
    let value: Option<String> = conn
        .execute(redis_client::cmd::get(staying).returning())
        .unwrap();
    assert_eq!(value.as_deref(), Some("s"));
    assert_eq!(conn.node_for_slot(slot).map(NodeAddr::to_string), Some(to));
}

#[test]
fn blocking_refresh_reads_the_tls_ports() {
    let cluster = support::tls_cluster();
    let mut conn = open_blocking(&cluster);
    let seed = cluster.addrs()[0].to_string();
    let key = "{refresh-tls-blocking}:k";
    let slot = key_slot(key.as_bytes());
    conn.set(key, "v").unwrap();
    let to = support::move_slot_of(&seed, key);
    assert_ne!(
        conn.node_for_slot(slot).map(NodeAddr::to_string),
        Some(to.clone())
    );
    // No request meets a redirect: the topology alone tells the new owner.
    conn.refresh().unwrap();
    assert_eq!(conn.node_for_slot(slot).map(NodeAddr::to_string), Some(to));
    let tls = tls_addrs(&cluster);
    for (_, addr) in conn.router().nodes() {
        assert!(
            tls.contains(&addr.to_string()),
            "{addr} is no TLS port: {tls:?}"
        );
    }
    assert_eq!(conn.router().nodes().count(), 6);
}

#[test]
fn blocking_pipelines_and_transactions_over_tls() {
    let cluster = support::tls_cluster();
    let mut conn = open_blocking(&cluster);
    support::cluster_batches!(cluster, "tls-blocking", &mut conn,);
}

#[test]
fn blocking_tls_failures_are_typed_errors() {
    let cluster = support::tls_cluster();
    let error = ClusterConnection::connect(wrong_ca(&cluster), RouterConfig::default())
        .expect_err("a CA the nodes' certificates do not chain to");
    assert_tls_error(&error, TlsErrorKind::Certificate);
    let error =
        ClusterConnection::connect(no_client_certificate(&cluster), RouterConfig::default())
            .expect_err("the nodes require a client certificate");
    assert_tls_error(&error, TlsErrorKind::Alert);
    // A bare `rediss://` URL trusts the system's roots, not the test CA.
    let urls = cluster.seed_urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let error = ClusterConnection::open(&urls).expect_err("the test CA is not trusted");
    assert_tls_error(&error, TlsErrorKind::Certificate);
}

#[test]
fn tokio_routes_follows_moved_and_refreshes_over_tls() {
    let cluster = support::tls_cluster();
    on_tokio(async {
        let client = open_tokio(&cluster).await;
        let seed = cluster.addrs()[0].to_string();
        let keys = spread_keys("tls-tokio");
        let mut tasks = Vec::new();
        for chunk in keys.chunks(50) {
            let (client, chunk) = (client.clone(), chunk.to_vec());
            let offset = keys.iter().position(|k| *k == chunk[0]).unwrap();
            tasks.push(tokio::spawn(async move {
                for (i, key) in chunk.iter().enumerate() {
                    client.set(key.as_str(), offset + i).await.unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        for (i, key) in keys.iter().enumerate() {
            let value: Option<String> = client
                .execute(redis_client::cmd::get(key.as_str()).returning())
                .await
                .unwrap();
            assert_eq!(value, Some(i.to_string()));
        }
        check_owners(&cluster, &keys);

        // MOVED to a TLS port.
        let key = "{moved-tls-tokio}:k";
        let slot = key_slot(key.as_bytes());
        client.set(key, "before").await.unwrap();
        let to = support::move_slot_of(&seed, key);
        assert!(tls_addrs(&cluster).contains(&to), "{to}");
        assert_ne!(
            client.node_for_slot(slot).map(|a| a.to_string()),
            Some(to.clone())
        );
        let value: Option<String> = client
            .execute(redis_client::cmd::get(key).returning())
            .await
            .unwrap();
        assert_eq!(value.as_deref(), Some("before"));
        assert_eq!(client.node_for_slot(slot).map(|a| a.to_string()), Some(to));

        // A refresh alone finds a moved slot's owner at its TLS port.
        let key = "{tokio-tls-refresh}:k";
        let slot = key_slot(key.as_bytes());
        client.set(key, "v").await.unwrap();
        let to = support::move_slot_of(&seed, key);
        assert_ne!(
            client.node_for_slot(slot).map(|a| a.to_string()),
            Some(to.clone())
        );
        client.refresh().await.unwrap();
        assert_eq!(client.node_for_slot(slot).map(|a| a.to_string()), Some(to));
    });
}

#[test]
fn tokio_pipelines_and_transactions_over_tls() {
    let cluster = support::tls_cluster();
    on_tokio(async {
        let client = open_tokio(&cluster).await;
        support::cluster_batches!(cluster, "tls-tokio", &client, .await);
    });
}

#[test]
fn tokio_tls_failures_are_typed_errors() {
    let cluster = support::tls_cluster();
    on_tokio(async {
        let error = ClusterClient::<Tokio>::connect(wrong_ca(&cluster), RouterConfig::default())
            .await
            .expect_err("a CA the nodes' certificates do not chain to");
        assert_tls_error(&error, TlsErrorKind::Certificate);
        let error = ClusterClient::<Tokio>::connect(
            no_client_certificate(&cluster),
            RouterConfig::default(),
        )
        .await
        .expect_err("the nodes require a client certificate");
        assert_tls_error(&error, TlsErrorKind::Alert);
    });
}

/// A cluster serving both plain text and TLS: `CLUSTER SHARDS` names both ports, and
/// a TLS client must take the TLS ones (a plain-text port would answer its TLS
/// handshake with plain text); a plain-text client keeps the plain ones.
#[test]
fn a_cluster_serving_both_is_reached_on_the_ports_of_each_kind() {
    let cluster = RedisCluster::start_tls_and_plain();
    let tls = tls_addrs(&cluster);
    let plain: Vec<String> = cluster.addrs().iter().map(SocketAddr::to_string).collect();
    let slots = [0, 5461, 10923, 16383];

    let mut conn = ClusterConnection::connect(cluster.tls_seed_configs(), eager()).unwrap();
    for (i, key) in spread_keys("both-blocking").iter().enumerate() {
        conn.set(key.as_str(), i).unwrap();
    }
    for slot in slots {
        let addr = conn.node_for_slot(slot).unwrap().to_string();
        assert!(tls.contains(&addr), "slot {slot} at {addr}, not a TLS port");
    }
    assert!(
        conn.router()
            .nodes()
            .all(|(_, a)| tls.contains(&a.to_string()))
    );

    on_tokio(async {
        let client = ClusterClient::<Tokio>::connect(cluster.tls_seed_configs(), eager())
            .await
            .unwrap();
        for (i, key) in spread_keys("both-tokio").iter().enumerate() {
            client.set(key.as_str(), i).await.unwrap();
        }
        for slot in slots {
            let addr = client.node_for_slot(slot).unwrap().to_string();
            assert!(tls.contains(&addr), "slot {slot} at {addr}, not a TLS port");
        }
    });

    let urls = cluster.seed_urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let mut conn = ClusterConnection::open(&urls).unwrap();
    let first = spread_keys("both-tokio").swap_remove(0);
    let value: Option<String> = conn
        .execute(redis_client::cmd::get(first.as_str()).returning())
        .unwrap();
    assert_eq!(value.as_deref(), Some("0"));
    for slot in slots {
        let addr = conn.node_for_slot(slot).unwrap().to_string();
        assert!(
            plain.contains(&addr),
            "slot {slot} at {addr}, not a plain port"
        );
    }
}

/// The TLS seeds, with connections named `name` (for `CLIENT KILL` by name).
fn named_tls_seeds(cluster: &RedisCluster, name: &str) -> Vec<ConnectionConfig> {
    cluster
        .tls_seed_configs()
        .into_iter()
        .map(|config| config.with_client_name(name))
        .collect()
}

fn tls_subscriber(cluster: &RedisCluster, name: &str) -> ClusterSubscriber {
    ClusterSubscriber::connect(named_tls_seeds(cluster, name), RouterConfig::default())
        .expect("subscribe over TLS")
}

async fn tokio_tls_subscriber(cluster: &RedisCluster, name: &str) -> AsyncClusterSubscriber<Tokio> {
    AsyncClusterSubscriber::connect(named_tls_seeds(cluster, name), RouterConfig::default())
        .await
        .expect("subscribe over TLS")
}

#[test]
fn blocking_subscriber_over_tls() {
    let cluster = support::tls_cluster();
    let mut subscriber = tls_subscriber(&cluster, "every-tls-blocking");
    every_kind!(&cluster, "every-tls-blocking", subscriber,);
    let mut subscriber = tls_subscriber(&cluster, "killed-tls-blocking");
    killed_connection!(&cluster, "killed-tls-blocking", subscriber,);
}

#[test]
fn tokio_subscriber_over_tls() {
    let cluster = support::tls_cluster();
    on_tokio(async {
        let mut subscriber = tokio_tls_subscriber(&cluster, "every-tls-tokio").await;
        every_kind!(&cluster, "every-tls-tokio", subscriber, .await);
        let mut subscriber = tokio_tls_subscriber(&cluster, "killed-tls-tokio").await;
        killed_connection!(&cluster, "killed-tls-tokio", subscriber, .await);
    });
}
