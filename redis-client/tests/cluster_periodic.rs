//! The topology is read again every `RouterConfig::periodic_refresh`, without an
//! error asking for it: after a slot moves by hand, a client with the periodic
//! refresh learns the new owner from the next calls (a keyless `PING`, which meets
//! no `MOVED`), while one without it keeps the old table. Blocking and tokio.
#![cfg(feature = "sync")]

mod cluster_common;

use std::time::{Duration, Instant};

use redis_client::cluster::{ClusterClient, ClusterConnection, RouterConfig};
use redis_client::prelude::*;
use redis_io_tokio::Tokio;
use redis_sansio::cluster::key_slot;

use cluster_common as support;

const PERIOD: Duration = Duration::from_millis(200);
/// How long the new owner may take to show: many periods on a loaded machine.
const LIMIT: Duration = Duration::from_secs(10);

fn config(periodic: bool) -> RouterConfig {
    RouterConfig::default().with_periodic_refresh(periodic.then_some(PERIOD))
}

#[test]
fn the_blocking_client_reads_the_topology_again_periodically() {
    let cluster = support::cluster();
    let seed = cluster.addrs()[0].to_string();
    let key = "{periodic-blocking}:k";
    let slot = key_slot(key.as_bytes());
    let mut periodic =
        ClusterConnection::connect(support::seed_configs(&cluster), config(true)).unwrap();
    let mut on_errors =
        ClusterConnection::connect(support::seed_configs(&cluster), config(false)).unwrap();
    periodic.set(key, "v").unwrap();
    let before = periodic.node_for_slot(slot).unwrap().to_string();
    let after = support::move_slot_of(&seed, key);
    assert_ne!(before, after);

    let started = Instant::now();
    while periodic.node_for_slot(slot).unwrap().to_string() != after {
        assert!(started.elapsed() < LIMIT, "the move was not learnt");
        let _: String = periodic
            .execute(redis_client::cmd::ping().returning())
            .unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    // Without the periodic refresh nothing asked for the topology.
    let _: String = on_errors
        .execute(redis_client::cmd::ping().returning())
        .unwrap();
    assert_eq!(on_errors.node_for_slot(slot).unwrap().to_string(), before);
    // And the periodic client reads the key on its new owner at once.
    assert_eq!(periodic.get(key).unwrap().as_deref(), Some(&b"v"[..]));
}

#[test]
fn the_async_client_reads_the_topology_again_periodically() {
    let cluster = support::cluster();
    let seed = cluster.addrs()[0].to_string();
    let key = "{periodic-tokio}:k";
    let slot = key_slot(key.as_bytes());
    support::on_tokio(async {
        let periodic =
            ClusterClient::<Tokio>::connect(support::seed_configs(&cluster), config(true))
                .await
                .unwrap();
        let on_errors =
            ClusterClient::<Tokio>::connect(support::seed_configs(&cluster), config(false))
                .await
                .unwrap();
        periodic.set(key, "v").await.unwrap();
        let before = periodic.node_for_slot(slot).unwrap().to_string();
        let after = support::move_slot_of(&seed, key);
        assert_ne!(before, after);

        let started = Instant::now();
        while periodic.node_for_slot(slot).unwrap().to_string() != after {
            assert!(started.elapsed() < LIMIT, "the move was not learnt");
            let _: String = periodic
                .execute(redis_client::cmd::ping().returning())
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _: String = on_errors
            .execute(redis_client::cmd::ping().returning())
            .await
            .unwrap();
        assert_eq!(on_errors.node_for_slot(slot).unwrap().to_string(), before);
        assert_eq!(periodic.get(key).await.unwrap().as_deref(), Some(&b"v"[..]));
    });
}
