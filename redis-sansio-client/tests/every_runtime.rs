//! The facade's names on every runtime, against a real server: each body opened
//! through `redis_sansio_client` alone (a `valkey://` URL included), commands, a
//! pipeline and a pool.
#![cfg(all(
    feature = "tokio",
    feature = "smol",
    feature = "async-std",
    feature = "sync"
))]

use redis_sansio_client::pool::PoolConfig;
use redis_sansio_client::prelude::*;
use redis_sansio_client::{Bytes, Error, Pipeline};
use redis_test_support::RedisServer;

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

#[test]
fn tokio_client_pipeline_and_pool() {
    let server = RedisServer::start();
    let url = server.url();
    tokio_runtime()
        .block_on(async {
            let client = redis_sansio_client::tokio::Client::open(&url).await?;
            client.set("greeting", "hello").await?;
            assert_eq!(
                client.get("greeting").await?,
                Some(Bytes::from_static(b"hello"))
            );
            let mut pipe = Pipeline::new();
            let pushed = pipe.rpush("jobs", ["a", "b"]);
            let length = pipe.llen("jobs");
            let mut replies = pipe.run(&client).await?;
            assert_eq!((replies.take(pushed)?, replies.take(length)?), (2, 2));

            let pool = redis_sansio_client::tokio::Pool::open(&url, PoolConfig::default())?;
            let mut conn = pool.get().await?;
            assert_eq!(conn.incr("visits").await?, 1);
            Ok::<(), Error>(())
        })
        .unwrap();
}

#[test]
fn smol_connection_from_a_valkey_url() {
    let server = RedisServer::start();
    let url = format!("valkey://127.0.0.1:{}", server.port());
    smol::block_on(async {
        let mut conn = redis_sansio_client::smol::Connection::open(&url).await?;
        conn.set("k", 7).await?;
        assert_eq!(conn.incr("k").await?, 8);
        Ok::<(), Error>(())
    })
    .unwrap();
}

#[test]
fn async_std_client() {
    let server = RedisServer::start();
    let url = server.url();
    async_std::task::block_on(async {
        let client = redis_sansio_client::async_std::Client::open(&url).await?;
        client.hset("user:1", [("name", "Ada")]).await?;
        let user = client.hgetall("user:1").await?;
        assert_eq!(user.get(&b"name"[..]), Some(&Bytes::from_static(b"Ada")));
        Ok::<(), Error>(())
    })
    .unwrap();
}

#[test]
fn blocking_connection_and_pool() {
    let server = RedisServer::start();
    let url = server.url();
    let mut conn = redis_sansio_client::blocking::Connection::open(&url).unwrap();
    conn.sadd("tags", ["rust", "redis"]).unwrap();
    assert_eq!(conn.scard("tags").unwrap(), 2);

    let pool = redis_sansio_client::blocking::Pool::open(&url, PoolConfig::default()).unwrap();
    let mut pooled = pool.get().unwrap();
    assert!(pooled.sismember("tags", "rust").unwrap());
}
