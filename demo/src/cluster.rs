//! A six-node cluster: keys spread over the three primaries by hash slot, hash tags
//! keeping keys together, an `MGET` across slots split per slot, and a cross-slot
//! command that cannot be split refused before it is sent.

use std::collections::BTreeMap;

use redis_client::Error;
use redis_client::cluster::ClusterConnection;
use redis_client::prelude::*;
use redis_sansio::cluster::key_slot;
use redis_test_support::RedisCluster;

pub(crate) fn run() -> Result<(), Error> {
    let cluster = RedisCluster::start();
    let seeds = cluster.seed_urls();
    println!("started a cluster of six nodes (three primaries, three replicas)");
    let seeds: Vec<&str> = seeds.iter().map(String::as_str).collect();
    let mut conn = ClusterConnection::open(&seeds)?;

    let mut per_node = BTreeMap::new();
    for i in 0..300 {
        let key = format!("demo:{i}");
        conn.set(&key, i)?;
        if let Some(node) = conn.node_for_slot(key_slot(key.as_bytes())) {
            *per_node.entry(node.to_string()).or_insert(0) += 1;
        }
    }
    println!("  300 SETs, routed by slot: {per_node:?}");

    conn.mset([("{user:1}:name", "Ada"), ("{user:1}:lang", "Rust")])?;
    let values = conn.mget(["{user:1}:name", "{user:1}:lang"])?;
    println!("  MGET of two keys sharing the tag {{user:1}}: {values:?}");
    let values = conn.mget(["demo:1", "demo:2", "demo:none"])?;
    println!("  MGET across slots, split per slot, values in the keys' order: {values:?}");
    match conn.msetnx([("demo:1", "x"), ("demo:2", "y")]) {
        Err(error) => println!("  MSETNX across slots (all or nothing, not split): {error}"),
        Ok(set) => println!("  MSETNX across slots answered {set:?}"),
    }
    println!("  DBSIZE, summed over every primary: {}", conn.dbsize()?);
    Ok(())
}
