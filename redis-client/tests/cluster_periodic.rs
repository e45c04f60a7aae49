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

/// The scenario on two clients of one body, `$periodic` (with the periodic refresh)
/// and `$on_errors` (without), `$aw` finishing a call (`.await` or nothing) and
/// `$sleep` pausing between calls.
macro_rules! learns_a_move_periodically {
    ($cluster:expr, $key:expr, $periodic:ident, $on_errors:ident, $sleep:path, $($aw:tt)*) => {{
        let seed = $cluster.addrs()[0].to_string();
        let key: &str = $key;
        let slot = key_slot(key.as_bytes());
        $periodic.set(key, "v")$($aw)*.unwrap();
        let before = $periodic.node_for_slot(slot).unwrap().to_string();
        let after = support::move_slot_of(&seed, key);
        assert_ne!(before, after);

        let started = Instant::now();
        while $periodic.node_for_slot(slot).unwrap().to_string() != after {
            assert!(started.elapsed() < LIMIT, "the move was not learnt");
            let _: String = $periodic
                .execute(redis_client::cmd::ping().returning())$($aw)*
                .unwrap();
            $sleep(Duration::from_millis(20))$($aw)*;
        }
        // Without the periodic refresh nothing asked for the topology.
        let _: String = $on_errors
            .execute(redis_client::cmd::ping().returning())$($aw)*
            .unwrap();
        assert_eq!($on_errors.node_for_slot(slot).unwrap().to_string(), before);
        // And the periodic client reads the key on its new owner at once.
        assert_eq!($periodic.get(key)$($aw)*.unwrap().as_deref(), Some(&b"v"[..]));
    }};
}

#[test]
fn the_blocking_client_reads_the_topology_again_periodically() {
    let cluster = support::cluster();
    let connect = |periodic| {
        ClusterConnection::connect(support::seed_configs(&cluster), config(periodic)).unwrap()
    };
    let (mut periodic, mut on_errors) = (connect(true), connect(false));
    learns_a_move_periodically!(
        cluster,
        "{periodic-blocking}:k",
        periodic,
        on_errors,
        std::thread::sleep,
    );
}

#[test]
fn the_async_client_reads_the_topology_again_periodically() {
    let cluster = support::cluster();
    support::on_tokio(async {
        let seeds = || support::seed_configs(&cluster);
        let periodic = ClusterClient::<Tokio>::connect(seeds(), config(true))
            .await
            .unwrap();
        let on_errors = ClusterClient::<Tokio>::connect(seeds(), config(false))
            .await
            .unwrap();
        learns_a_move_periodically!(
            cluster,
            "{periodic-tokio}:k",
            periodic,
            on_errors,
            tokio::time::sleep,
            .await
        );
    });
}
