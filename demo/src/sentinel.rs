//! A master, a replica and three sentinels: the client asks the sentinels where the
//! master is, checks its role, and runs commands there.

use redis_client::Error;
use redis_client::prelude::*;
use redis_client::sentinel::{SentinelClient, SentinelConfig, discover_blocking};
use redis_test_support::RedisSentinel;

pub(crate) fn run() -> Result<(), Error> {
    let topology = RedisSentinel::start();
    let urls: Vec<String> = topology
        .sentinel_addrs()
        .iter()
        .map(|addr| format!("redis://{addr}"))
        .collect();
    println!(
        "started a master ({}), a replica ({}) and sentinels at {}",
        topology.master_addr(),
        topology.replica_addr(),
        urls.join(", ")
    );
    let config = SentinelConfig::new(topology.master_name(), &urls)?;
    let mut client = SentinelClient::connect(config.clone())?;
    client.set("demo:where", "on the master")?;
    println!(
        "  the master of {:?} is {:?}; SET there, GET -> {:?}",
        topology.master_name(),
        client.node().map(ToString::to_string),
        client
            .get("demo:where")?
            .as_deref()
            .map(String::from_utf8_lossy)
    );
    let replica = discover_blocking(&config.with_replica())?;
    println!("  a replica: {}", replica.node);
    Ok(())
}
