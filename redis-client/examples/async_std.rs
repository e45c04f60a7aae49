//! async-std: the multiplexed client. Run with
//! `cargo run -p redis-sansio-api --example async_std [redis://...]`.
#![allow(clippy::print_stdout)]

use redis_client::Error;
use redis_client::prelude::*;
use redis_io_async_std::async_std::Client;

pub(crate) async fn run(url: &str) -> Result<(), Error> {
    let client = Client::open(url).await?;
    client
        .hset("user:1", [("name", "Ada"), ("lang", "en")])
        .await?;
    let user = client.hgetall("user:1").await?; // HashMap<Bytes, Bytes>
    println!("user: {user:?}");
    Ok(())
}

#[allow(dead_code)]
fn main() -> Result<(), Error> {
    let url = std::env::args().nth(1);
    async_std::task::block_on(run(url.as_deref().unwrap_or("redis://127.0.0.1:6379")))
}
