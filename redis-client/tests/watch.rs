//! The WATCH helper: retries when another client changes a watched key between the
//! read and EXEC, and runs on a dedicated connection for multiplexed clients.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod common;

use redis_client::prelude::*;
use redis_client::{Error, watch};

/// Reads the counter, lets a rival bump it on the first attempt only, then queues
/// the increment: the first EXEC must abort, the second commit.
#[test]
fn blocking_retries_until_no_watched_key_changed() {
    let server = common::server();
    let mut conn = common::blocking(common::resp3(&server));
    let mut rival = common::blocking(common::resp3(&server));
    conn.set("counter", 10).unwrap();
    let mut attempts = 0;
    let replies = watch::blocking(&mut conn, &["counter"], |conn, tx| {
        attempts += 1;
        assert!(attempts <= 5, "no progress");
        let seen: i64 = conn
            .execute(redis_client::cmd::get("counter").returning::<Option<i64>>())?
            .unwrap_or(0);
        if attempts == 1 {
            rival.incrby("counter", 100)?;
        }
        tx.set("counter", seen + 1);
        Ok(())
    })
    .unwrap();
    assert_eq!(attempts, 2);
    assert_eq!(replies.len(), 1);
    assert_eq!(conn.get("counter").unwrap().unwrap(), "111");
    drop(replies.into_outcomes());

    // An error from the closure ends it without EXEC, and unwatches.
    let error = watch::blocking(&mut conn, &["counter"], |_, tx| {
        tx.set("counter", 0);
        Err(Error::Conversion(redis_client::ConversionError::new(
            "test", "stop",
        )))
    })
    .unwrap_err();
    assert!(matches!(error, Error::Conversion(_)));
    assert_eq!(conn.get("counter").unwrap().unwrap(), "111");
}

/// Many concurrent increments through the helper from two connections lose nothing.
#[test]
fn concurrent_blocking_increments_are_all_kept() {
    let server = common::server();
    let rounds = 200;
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let config = common::resp3(&server);
            std::thread::spawn(move || {
                let mut conn = common::blocking(config);
                for _ in 0..rounds {
                    watch::blocking(&mut conn, &["shared"], |conn, tx| {
                        let seen: i64 = conn
                            .execute(redis_client::cmd::get("shared").returning::<Option<i64>>())?
                            .unwrap_or(0);
                        tx.set("shared", seen + 1);
                        Ok(())
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let mut conn = common::blocking(common::resp3(&server));
    let total: Option<i64> = conn
        .execute(redis_client::cmd::get("shared").returning())
        .unwrap();
    assert_eq!(total, Some(2 * rounds));
}

#[test]
fn async_helpers_retry_too_and_multiplexed_uses_a_dedicated_connection() {
    let server = common::server();
    common::tokio_runtime().block_on(async {
        let client = redis_io_tokio::Client::connect(common::resp3(&server))
            .await
            .unwrap();
        let rival = redis_io_tokio::Client::connect(common::resp3(&server))
            .await
            .unwrap();
        client.set("n", 1).await.unwrap();
        // WATCH itself is refused on the shared connection...
        assert!(matches!(client.watch(["n"]).await, Err(Error::Send(_))));
        // ...so the helper opens a dedicated one.
        let mut attempts = 0;
        let replies = watch::multiplexed(&client, &["n"], async |conn, tx| {
            attempts += 1;
            assert!(attempts <= 5, "no progress");
            let seen: Option<i64> = conn
                .execute(redis_client::cmd::get("n").returning())
                .await?;
            if attempts == 1 {
                rival.incr("n").await?;
            }
            tx.set("n", seen.unwrap_or(0) + 10);
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(attempts, 2);
        assert_eq!(replies.len(), 1);
        let value: Option<i64> = client
            .execute(redis_client::cmd::get("n").returning())
            .await
            .unwrap();
        assert_eq!(value, Some(12));
        drop(replies.into_outcomes());

        let mut conn = redis_io_tokio::Connection::connect(common::resp2(&server))
            .await
            .unwrap();
        let mut attempts = 0;
        watch::exclusive(&mut conn, &["n"], async |_, tx| {
            attempts += 1;
            if attempts == 1 {
                rival.set("n", 0).await?;
            }
            tx.incr("n");
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(attempts, 2, "the rival wrote after WATCH: one retry");
        assert_eq!(client.get("n").await.unwrap().unwrap(), "1");
    });
}
