//! Shard channels on the async cluster client's own connections
//! (`ClusterClient::ssubscribe`) against a real six-node cluster, on tokio and smol:
//! each subscription on its slot's primary, next to ordinary calls, and channels of
//! two slots in one subscription refused. Every wait is bounded (the scenario limit).
// Needs the blocking adapter (the default `sync` feature) for the shared support.
#![cfg(feature = "sync")]

mod cluster_common;

use redis_client::Error;
use redis_client::cluster::{ClusterClient, ClusterError};
use redis_client::prelude::*;
use redis_io_async::Runtime;
use redis_io_async_std::smol::Smol;
use redis_io_tokio::Tokio;
use redis_sansio::cluster::key_slot;
use redis_sansio::resp::Frame;
use redis_sansio::subscribers::Delivery;
use redis_test_support::RedisCluster;

use cluster_common::{on_smol, on_tokio};

/// Shard channels on different primaries (their hash tags' slots are far apart).
const CHANNELS: [&str; 3] = ["{a}:news", "{b}:news", "{c}:news"];

async fn scenario<R: Runtime>(cluster: &RedisCluster) {
    let client = ClusterClient::<R>::open(cluster.seed_urls()).await.unwrap();
    let mut nodes = Vec::new();
    let mut subscriptions = Vec::new();
    for channel in CHANNELS {
        nodes.push(client.node_for_slot(key_slot(channel.as_bytes())).unwrap());
        subscriptions.push(client.ssubscribe(channel).await.unwrap());
    }
    nodes.sort_by_key(|node| format!("{node:?}"));
    nodes.dedup();
    assert!(nodes.len() > 1, "the channels are on several primaries");
    for (channel, subscription) in CHANNELS.iter().zip(&mut subscriptions) {
        client.set(*channel, "beside").await.unwrap();
        let receivers = client
            .request(&redis_sansio::Cmd::new("SPUBLISH").arg(*channel).arg("hi"))
            .await
            .unwrap();
        assert_eq!(receivers, Frame::Integer(1), "{channel}");
        match subscription.recv().await {
            Some(Ok(Delivery::Message(message))) => {
                assert_eq!(message.channel, channel.as_bytes());
                assert_eq!(message.payload, "hi");
            }
            other => panic!("{channel}: {other:?}"),
        }
    }
    match client.ssubscribe(["{a}:x", "{b}:y"]).await {
        Err(Error::Cluster(ClusterError::CrossSlot { .. })) => {}
        other => panic!("two slots in one subscription gave {other:?}"),
    }
}

#[test]
fn shard_channels_on_their_primaries() {
    let cluster = RedisCluster::start();
    on_tokio(scenario::<Tokio>(&cluster));
    on_smol(scenario::<Smol>(&cluster));
}
