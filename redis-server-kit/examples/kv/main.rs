//! An in-memory key-value server on `redis-server-kit`: strings, lists, hashes,
//! expiry and pub/sub, enough for redis-cli, redis-benchmark and this workspace's
//! clients.
//!
//! ```sh
//! cargo run --release -p redis-server-kit --example kv -- 127.0.0.1:7777          # blocking body
//! cargo run --release -p redis-server-kit --example kv -- 127.0.0.1:7777 --tokio  # tokio body
//! redis-cli -p 7777 set greeting hello ex 60
//! redis-benchmark -p 7777 -t set,get,lpush,mset -q
//! ```
//!
//! Commands: `GET`, `SET` (`EX`, `PX`, `NX`, `XX`, `KEEPTTL`, `GET`), `SETNX`,
//! `GETDEL`, `MGET`, `MSET`, `INCR`, `DECR`, `INCRBY`, `DECRBY`, `APPEND`, `STRLEN`;
//! `LPUSH`, `RPUSH`, `LPOP`, `RPOP`, `LLEN`, `LRANGE`, `LINDEX`; `HSET`, `HMSET`,
//! `HGET`, `HMGET`, `HDEL`, `HGETALL`, `HKEYS`, `HVALS`, `HLEN`, `HEXISTS`, `HINCRBY`;
//! `DEL`, `UNLINK`, `EXISTS`, `TYPE`, `EXPIRE`, `PEXPIRE`, `TTL`, `PTTL`, `PERSIST`,
//! `DBSIZE`, `FLUSHDB`, `FLUSHALL`, `KEYS`; `SUBSCRIBE`, `PSUBSCRIBE`, their
//! `UNSUBSCRIBE`s, `PUBLISH`; `PING`, `ECHO`, `INFO`; and from the toolkit `HELLO`,
//! `AUTH`, `SELECT` (16 databases), `CLIENT`, `QUIT`. Not there: blocking list
//! commands, transactions, sets and sorted sets, persistence. Expired keys are
//! removed when touched.
//!
//! Its tests (run by `cargo test -p redis-server-kit --example kv`) talk to it with
//! the workspace's blocking connection, the tokio client, the typed `redis-client`
//! API and its subscriber, redis-cli and redis-benchmark.
#![allow(clippy::print_stdout)]

mod args;
mod glob;
mod handler;
mod hashes;
mod keys;
mod keyspace;
mod lists;
mod pubsub;
mod strings;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use redis_server_kit::{ListenAddr, ServerConfig};

pub(crate) use handler::Kv;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:7777".to_owned());
    let on_tokio = args.any(|arg| arg == "--tokio");
    let config = ServerConfig::default();
    let handler = Arc::new(Kv::new(config.databases));
    let addrs = [ListenAddr::Tcp(addr)];
    if on_tokio {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let server = redis_server_kit::tokio::Server::bind(handler, config, &addrs).await?;
            println!("listening on {:?} (tokio)", server.local_addrs());
            server.run().await
        })
    } else {
        let server = redis_server_kit::blocking::Server::bind(handler, config, &addrs)?;
        println!("listening on {:?} (blocking)", server.local_addrs());
        server.run()
    }
}
