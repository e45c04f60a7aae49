//! `body.returning::<T>()` reads the next command's reply as `T` on every body: the
//! blocking result, the async futures (exclusive, multiplexed, pooled), pipeline and
//! transaction slots; cluster bodies are checked to compile.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod common;

use common::on_every_body;
use redis_client::pool::PoolConfig;
use redis_client::prelude::*;
use redis_client::{Error, Pipeline, Transaction};
use redis_test_support::tcp_config;

macro_rules! returning {
    ($b:expr, $($aw:tt)*) => {{
        $b.set("name", "Ada")$($aw)*.unwrap();
        let name: String = $b.returning().get("name")$($aw)*.unwrap();
        assert_eq!(name, "Ada");
        let hits = $b.returning::<u64>().incr("hits")$($aw)*.unwrap();
        assert_eq!(hits, 1u64);
        $b.rpush("jobs", ["a", "b"])$($aw)*.unwrap();
        let jobs: Vec<String> = $b.returning().lrange("jobs", 0, -1)$($aw)*.unwrap();
        assert_eq!(jobs, ["a", "b"]);
        // A missing key is None as Option<String>, an error as String.
        let missing: Option<String> = $b.returning().get("nothing")$($aw)*.unwrap();
        assert_eq!(missing, None);
        let error: Result<String, Error> = $b.returning().get("nothing")$($aw)*;
        assert!(error.is_err());
    }};
}
on_every_body!(returning);

#[test]
fn pipeline_and_transaction_slots_are_retyped() {
    let server = common::server();
    let mut conn = common::blocking(common::resp3(&server));
    let mut pipe = Pipeline::new();
    pipe.set("n", 41);
    let n = pipe.returning::<u64>().incr("n");
    let text = pipe.returning::<String>().get("n");
    let mut replies = pipe.run(&mut conn).unwrap();
    assert_eq!(replies.take(n).unwrap(), 42u64);
    assert_eq!(replies.take(text).unwrap(), "42");

    let mut tx = Transaction::new();
    tx.rpush("l", ["x", "y"]);
    let items = tx.returning::<Vec<String>>().lrange("l", 0, -1);
    let mut replies = tx.run(&mut conn).unwrap();
    assert_eq!(replies.take(items).unwrap(), ["x", "y"]);
}

#[test]
fn pooled_connections_are_retyped() {
    let server = common::server();
    let pool = redis_client::pool::blocking::Pool::new(tcp_config(&server), PoolConfig::default());
    let mut pooled = pool.get().unwrap();
    pooled.set("k", 7).unwrap();
    let k: u8 = pooled.returning().get("k").unwrap();
    assert_eq!(k, 7);

    common::tokio_runtime().block_on(async {
        let pool: redis_client::pool::exclusive::Pool<redis_io_tokio::Tokio> =
            redis_client::pool::exclusive::Pool::new(tcp_config(&server), PoolConfig::default());
        let mut pooled = pool.get().await.unwrap();
        let k: String = pooled.returning().get("k").await.unwrap();
        assert_eq!(k, "7");
    });
}

/// The cluster bodies take the same call (their tests run against real clusters;
/// this pins that the shape compiles there too).
#[allow(dead_code)]
async fn cluster_bodies_are_retyped(
    blocking: &mut redis_client::cluster::ClusterConnection,
    client: &redis_client::cluster::ClusterClient<redis_io_tokio::Tokio>,
) -> Result<(), Error> {
    let _: String = blocking.returning().get("k")?;
    let _: u64 = client.returning().incr("k").await?;
    Ok(())
}
