//! tokio: the multiplexed client shared by many tasks, and a scan stream. Run with
//! `cargo run -p redis-sansio-api --example tokio [redis://...]`.
#![allow(clippy::print_stdout)]

use redis_client::prelude::*;
use redis_client::{Error, Pipeline, Scan};
use redis_io_tokio::Client;

pub(crate) async fn run(url: &str) -> Result<(), Error> {
    let client = Client::open(url).await?;

    // Clones share one connection; concurrent calls are pipelined automatically.
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.incrby("counter", i).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("task panicked")?;
    }
    println!("counter: {:?}", client.get("counter").await?);

    let mut pipe = Pipeline::new();
    let length = pipe.rpush("queue", ["a", "b"]);
    let mut replies = pipe.run(&client).await?;
    println!("queue length: {}", replies.take(length)?);

    // A scan, as a stream.
    let mut keys = Scan::keys().stream(&client);
    while let Some(key) = std::future::poll_fn(|cx| {
        futures_core::Stream::poll_next(std::pin::Pin::new(&mut keys), cx)
    })
    .await
    {
        println!("key: {:?}", key?);
    }
    Ok(())
}

#[allow(dead_code)]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let url = std::env::args().nth(1);
    run(url.as_deref().unwrap_or("redis://127.0.0.1:6379")).await
}
