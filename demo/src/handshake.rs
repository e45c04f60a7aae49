//! What the connection does before the first command: `HELLO 3` with the user, the
//! client name and the library's name and version, and `SELECT`, pipelined together;
//! and the typed error a wrong password gets.

use redis_client::Error;
use redis_client::prelude::*;
use redis_io_sync::Connection;
use redis_test_support::RedisServer;

pub(crate) fn run(server: &RedisServer) -> Result<(), Error> {
    let url = format!(
        "redis://demo:demo-password@127.0.0.1:{}/1?client_name=demo",
        server.port()
    );
    let mut conn = Connection::open(&url)?;
    println!("connected to {}", url.replace("demo-password", "***"));
    println!("  protocol: {:?}", conn.core().protocol());
    println!("  who am I: {:?}", conn.acl_whoami()?);
    let info = conn.client_info()?;
    for field in info.trim_end().split(' ') {
        if ["name=", "db=", "resp=", "lib-name=", "lib-ver="]
            .iter()
            .any(|key| field.starts_with(key))
        {
            println!("  {field}");
        }
    }
    let wrong = format!("redis://demo:wrong@127.0.0.1:{}", server.port());
    match Connection::open(&wrong) {
        Err(error) => println!("a wrong password is a typed error: {error}"),
        Ok(_) => println!("unexpected: a wrong password was accepted"),
    }
    Ok(())
}
