//! The application cache on the cluster bodies: keys spread over every primary in
//! `set_many` and `delete_many`, and the herd scripts run on the node of their key.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod cluster_common;

use std::time::Duration;

use cluster_common as support;
use redis_client::Bytes;
use redis_client::app_cache::{Cache, HerdCache, Key, Lookup};

const TTL: Duration = Duration::from_secs(100);

/// Keys whose Redis keys land on many slots (the arguments are hashed).
fn keys() -> Vec<Key> {
    (0..30).map(|i| Key::new("item").arg(i)).collect()
}

macro_rules! spread {
    ($b:expr, $ns:expr, $($aw:tt)*) => {{
        let cache = Cache::new($ns);
        let keys = keys();
        let values: Vec<Bytes> = (0..keys.len()).map(|i| Bytes::from(i.to_string())).collect();
        cache
            .set_many($b, keys.iter().zip(values.iter()), TTL)
            $($aw)*
            .unwrap();
        for (key, value) in keys.iter().zip(&values) {
            let got: Option<Bytes> = cache.get($b, key)$($aw)*.unwrap();
            assert_eq!(got.as_ref(), Some(value));
        }
        assert_eq!(cache.delete_many($b, &keys)$($aw)*.unwrap(), keys.len() as u64);
        assert!(!cache.exists($b, &keys[0])$($aw)*.unwrap());

        let herd = HerdCache::new(Cache::new($ns));
        for key in &keys[..5] {
            herd.set($b, key, &Bytes::from("v"), TTL)$($aw)*.unwrap();
            let found: Lookup<Bytes> = herd.lookup($b, key)$($aw)*.unwrap();
            assert_eq!(found, Lookup::Fresh(Bytes::from("v")));
        }
    }};
}

#[test]
fn blocking_cluster_connection() {
    let cluster = support::cluster();
    let mut conn = support::open_blocking(&cluster);
    spread!(&mut conn, "blocking",);
}

#[test]
fn tokio_cluster_client() {
    let cluster = support::cluster();
    support::on_tokio(async {
        let client = support::open_async::<redis_io_tokio::Tokio>(&cluster).await;
        spread!(&client, "tokio", .await);
    });
}
