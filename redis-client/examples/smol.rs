//! smol: an exclusive connection and a WATCH transaction. Run with
//! `cargo run -p redis-sansio-api --example smol [redis://...]`.
#![allow(clippy::print_stdout)]

use redis_client::prelude::*;
use redis_client::{Error, watch};
use redis_io_async_std::smol::Connection;

pub(crate) async fn run(url: &str) -> Result<(), Error> {
    let mut conn = Connection::open(url).await?;
    conn.set("balance", 100).await?;

    // Check and set: retried if another client changes "balance" meanwhile.
    watch::exclusive(&mut conn, &["balance"], async |conn, tx| {
        let balance: i64 = conn
            .execute(redis_client::cmd::get("balance").returning())
            .await?;
        tx.set("balance", balance - 30);
        Ok(())
    })
    .await?;
    println!("balance: {:?}", conn.get("balance").await?);
    Ok(())
}

#[allow(dead_code)]
fn main() -> Result<(), Error> {
    let url = std::env::args().nth(1);
    smol::block_on(run(url.as_deref().unwrap_or("redis://127.0.0.1:6379")))
}
