//! The embedder's example (`redis-sansio/examples/cluster_loop.rs`: the core's
//! machines driven by one loop over plain std sockets) against a real cluster: every
//! shard serves its keys, and what it wrote is on each key's owner.
#![cfg(feature = "sync")]

mod cluster_common;

#[path = "../../redis-sansio/examples/cluster_loop.rs"]
mod cluster_loop;

use redis_client::resp::Frame;
use redis_sansio::Cmd;
use redis_sansio::cluster::key_slot;

use cluster_common as support;

#[test]
fn an_embedders_loop_over_the_core_machines_reaches_every_shard() {
    let cluster = support::cluster();
    let seed = cluster.addrs()[0].to_string();
    let mut client = cluster_loop::Cluster::connect(&seed).unwrap();
    let mut owners = std::collections::BTreeSet::new();
    for i in 0..100 {
        let key = format!("embedded:{i}");
        if support::migrated(key_slot(key.as_bytes())) {
            continue;
        }
        let set = client.request(&Cmd::new("SET").arg(&key).arg(i)).unwrap();
        assert_eq!(set, Frame::simple("OK"));
        let incr = client.request(&Cmd::new("INCR").arg(&key)).unwrap();
        assert_eq!(incr, Frame::Integer(i + 1));
        let owner = support::owner(&seed, key_slot(key.as_bytes()));
        assert_eq!(
            support::run(&owner, &["GET", &key]),
            Frame::bulk((i + 1).to_string()),
            "{key} on {owner}"
        );
        owners.insert(owner);
    }
    assert_eq!(owners.len(), support::primaries(&seed).len(), "every shard");
    // A server error goes to the caller as it is.
    let error = client
        .request(&Cmd::new("INCR").arg("embedded:0").arg("extra"))
        .unwrap_err();
    assert!(error.contains("wrong number of arguments"), "{error}");
}
