//! The demo behind `scripts/demo`: starts a throw-away `redis-server` on a free
//! loopback port and a Unix socket, shows the client against it, and stops it on exit.
//!
//! Each part is in a file of its own: [`handshake`] (what the connection does before
//! the first command, and a wrong password), the `redis-client` examples (the typed
//! API on the blocking connection and on tokio's multiplexed client, run as they are
//! in `redis-client/examples/`), [`pubsub`], [`reconnect`], [`pool`], [`sentinel`]
//! (which starts a master, a replica and three sentinels of its own), [`cluster`]
//! (which starts six cluster nodes) and [`tls`] (a server of its own with a TLS port
//! and a throw-away certificate authority).
#![allow(clippy::print_stdout)]

mod cluster;
mod handshake;
mod pool;
mod pubsub;
mod reconnect;
mod sentinel;
mod tls;

#[path = "../../redis-client/examples/blocking.rs"]
mod blocking_example;
#[path = "../../redis-client/examples/tokio.rs"]
mod tokio_example;

use redis_client::Error;
use redis_test_support::RedisServer;

fn main() -> Result<(), Error> {
    let server = RedisServer::builder()
        .acl_user("demo", "demo-password")
        .start();
    let (major, minor, patch) = server.version();
    println!(
        "started a throw-away redis-server {major}.{minor}.{patch} on {} and {}",
        server.addr(),
        server
            .unix_path()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    );

    section("the handshake: RESP3, an ACL user and a database in one round trip");
    handshake::run(&server)?;

    section("the typed API on the blocking connection (redis-client/examples/blocking.rs)");
    blocking_example::run(&server.url())?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    section("tokio: one multiplexed client, many tasks (redis-client/examples/tokio.rs)");
    runtime.block_on(tokio_example::run(&server.url()))?;

    section("pub/sub: a subscriber over the Unix socket, in RESP2");
    pubsub::run(&server)?;

    section("reconnecting: the connection is killed under the multiplexed client");
    runtime.block_on(reconnect::run(&server))?;

    section("a connection pool shared by threads");
    pool::run(&server)?;

    section("Sentinel: finding the master");
    sentinel::run()?;

    section("Cluster: routing by hash slot");
    cluster::run()?;

    section("TLS: rediss:// with a private CA and a client certificate");
    tls::run()?;

    drop(server);
    println!("\nstopped the server; bye");
    Ok(())
}

fn section(title: &str) {
    println!("\n== {title}");
}
