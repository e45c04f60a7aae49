//! A multiplexed client queues a command when its method is called: futures that are
//! kept but never awaited still run their commands.
// Needs the blocking adapter (the default `sync` feature) for the shared helpers.
#![cfg(feature = "sync")]

mod common;

use redis_client::prelude::*;

#[test]
fn futures_kept_but_never_awaited_still_run_on_a_multiplexed_client() {
    let server = common::server();
    common::tokio_runtime().block_on(async {
        let client = redis_io_tokio::Client::connect(common::resp3(&server))
            .await
            .unwrap();
        let first = client.incr("n");
        let second = client.incr("n");
        // One connection, in order: the GET is written after both INCRs, which run
        // though their futures are never polled.
        let n: i64 = client.returning().get("n").await.unwrap();
        assert_eq!(n, 2);
        drop((first, second));
    });
}
