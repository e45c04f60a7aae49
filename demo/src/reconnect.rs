//! The multiplexed client with a reconnect policy: its connection is killed while a
//! `BLPOP` is in flight; that call fails, and the next one runs on a new connection.

use std::time::Duration;

use redis_client::Error;
use redis_client::prelude::*;
use redis_io_tokio::{Client, Reconnect};
use redis_test_support::RedisServer;

pub(crate) async fn run(server: &RedisServer) -> Result<(), Error> {
    let client = Client::open(&server.url())
        .await?
        .with_reconnect(Reconnect::default());
    let id = client.client_id().await?;
    println!("connection id {id}");
    let blpop = {
        let client = client.clone();
        tokio::spawn(async move { client.blpop(["demo:empty"], 10.0).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.command(&["CLIENT", "KILL", "ID", &id.to_string()]);
    match blpop.await.expect("task") {
        Err(error) => println!("  the BLPOP in flight: {error}"),
        Ok(reply) => println!("  the BLPOP in flight answered {reply:?}"),
    }
    println!(
        "  the next call: connection id {}",
        client.client_id().await?
    );
    Ok(())
}
