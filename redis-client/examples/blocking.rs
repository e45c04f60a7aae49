//! The blocking connection: typed commands, a pipeline, a transaction, a script and
//! a scan. Run with `cargo run -p redis-sansio-api --example blocking [redis://...]`.
#![allow(clippy::print_stdout)]

use redis_client::options::SetOptions;
use redis_client::prelude::*;
use redis_client::{Error, Pipeline, Scan, Script, Transaction};
use redis_io_sync::Connection;

pub(crate) fn run(url: &str) -> Result<(), Error> {
    let mut conn = Connection::open(url)?;

    // Every command is a method; the reply type comes from the specification.
    conn.set_with("greeting", "hello", SetOptions::new().ex(60))?;
    let greeting = conn.get("greeting")?; // Option<Bytes>
    println!("greeting: {greeting:?}");

    // Another type is one call away.
    conn.set("answer", 42)?;
    let answer: i64 = conn.execute(redis_client::cmd::get("answer").returning())?;
    println!("answer: {answer}");

    // A pipeline: one write, typed slots.
    let mut pipe = Pipeline::new();
    let visits = pipe.incr("visits");
    let added = pipe.sadd("tags", ["rust", "redis"]);
    let mut replies = pipe.run(&mut conn)?;
    println!(
        "visits: {}, tags added: {}",
        replies.take(visits)?,
        replies.take(added)?
    );

    // A transaction.
    let mut tx = Transaction::new();
    tx.rpush("log", ["started"]);
    let length = tx.llen("log");
    let mut replies = tx.run(&mut conn)?;
    println!("log length: {}", replies.take(length)?);

    // A script, called by its SHA1 and loaded when the server lacks it.
    let bump = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    let total: i64 = bump.key("visits").arg(10).invoke(&mut conn)?;
    println!("visits after the script: {total}");

    // A scan, as an iterator.
    for key in Scan::keys().pattern("*").count(100).iter(&mut conn) {
        println!("key: {:?}", key?);
    }
    Ok(())
}

#[allow(dead_code)]
fn main() -> Result<(), Error> {
    let url = std::env::args().nth(1);
    run(url.as_deref().unwrap_or("redis://127.0.0.1:6379"))
}
