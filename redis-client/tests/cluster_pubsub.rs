//! Pub/sub managed by the cluster client against a real six-node cluster, on the
//! blocking `ClusterSubscriber` and the async `AsyncClusterSubscriber` (tokio, smol
//! and async-std; the scenarios are in `cluster_common/pubsub.rs`): shard channels on every primary, ordinary channels and patterns, a slot
//! moved by hand (Redis unsubscribes the channel; the subscriber subscribes it again
//! on the new owner), a slot mid-migration (Redis serves its shard channel on the
//! owner, no `-ASK`, until the migration ends), a subscriber connection killed (its
//! names subscribed again), many slots subscribed in one round trip, and the caller's
//! unsubscribes never undone; RESP3, and RESP2 for one move and one kill. Every wait
//! is bounded.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod cluster_common;

use redis_client::cluster::{AsyncClusterSubscriber, ClusterSubscriber};
use redis_client::pubsub::SubscriptionKind;
use redis_io_async_std::async_std::AsyncStd;
use redis_io_async_std::smol::Smol;
use redis_io_tokio::Tokio;
use redis_test_support::RedisCluster;

use cluster_common as support;
use cluster_common::pubsub::{
    MESSAGE_WAIT, every_kind, killed_connection, many_slots, message, migrating_slot, moved_slot,
    one_per_primary, spublish,
};

/// Seed URLs whose connections are named `name`, and speak RESP2 when `name` ends
/// in `resp2`.
fn seeds(cluster: &RedisCluster, name: &str) -> Vec<String> {
    let seeds = support::named_seeds(cluster, name);
    match name.ends_with("resp2") {
        true => seeds
            .into_iter()
            .map(|s| format!("{s}&protocol=2"))
            .collect(),
        false => seeds,
    }
}

fn blocking(cluster: &RedisCluster, name: &str) -> ClusterSubscriber {
    let urls = seeds(cluster, name);
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    ClusterSubscriber::open(&urls).unwrap()
}

async fn nonblocking<R: redis_io_async::Runtime>(
    cluster: &RedisCluster,
    name: &str,
) -> AsyncClusterSubscriber<R> {
    let urls = seeds(cluster, name);
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    AsyncClusterSubscriber::<R>::open(&urls).await.unwrap()
}

#[test]
fn blocking_every_kind_gets_its_messages() {
    let cluster = support::cluster();
    let mut subscriber = blocking(&cluster, "every-blocking");
    every_kind!(&cluster, "every-blocking", subscriber,);
}

#[test]
fn tokio_every_kind_gets_its_messages() {
    let cluster = support::cluster();
    support::on_tokio(async {
        let mut subscriber = nonblocking::<Tokio>(&cluster, "every-tokio").await;
        every_kind!(&cluster, "every-tokio", subscriber, .await);
    });
}

#[test]
fn smol_every_kind_gets_its_messages() {
    let cluster = support::cluster();
    support::on_smol(async {
        let mut subscriber = nonblocking::<Smol>(&cluster, "every-smol").await;
        every_kind!(&cluster, "every-smol", subscriber, .await);
    });
}

#[test]
fn blocking_subscribes_many_slots_in_one_round_trip() {
    let cluster = support::cluster();
    let mut subscriber = blocking(&cluster, "many-blocking");
    many_slots!(&cluster, "many-blocking", subscriber,);
}

#[test]
fn tokio_subscribes_many_slots_in_one_round_trip() {
    let cluster = support::cluster();
    support::on_tokio(async {
        let mut subscriber = nonblocking::<Tokio>(&cluster, "many-tokio").await;
        many_slots!(&cluster, "many-tokio", subscriber, .await);
    });
}

#[test]
fn smol_subscribes_many_slots_in_one_round_trip() {
    let cluster = support::cluster();
    support::on_smol(async {
        let mut subscriber = nonblocking::<Smol>(&cluster, "many-smol").await;
        many_slots!(&cluster, "many-smol", subscriber, .await);
    });
}

#[test]
fn async_std_every_kind_gets_its_messages() {
    let cluster = support::cluster();
    support::on_async_std(async {
        let mut subscriber = nonblocking::<AsyncStd>(&cluster, "every-async-std").await;
        every_kind!(&cluster, "every-async-std", subscriber, .await);
    });
}

#[test]
fn async_std_follows_a_moved_slot() {
    let cluster = support::cluster();
    support::on_async_std(async {
        let mut subscriber = nonblocking::<AsyncStd>(&cluster, "moved-pubsub-async-std").await;
        moved_slot!(&cluster, "{moved-pubsub-async-std}", subscriber, .await);
    });
}

#[test]
fn async_std_subscribes_many_slots_in_one_round_trip() {
    let cluster = support::cluster();
    support::on_async_std(async {
        let mut subscriber = nonblocking::<AsyncStd>(&cluster, "many-async-std").await;
        many_slots!(&cluster, "many-async-std", subscriber, .await);
    });
}

#[test]
fn blocking_follows_a_moved_slot() {
    let cluster = support::cluster();
    let mut subscriber = blocking(&cluster, "moved-pubsub-blocking");
    moved_slot!(&cluster, "{moved-pubsub-blocking}", subscriber,);
}

#[test]
fn tokio_follows_a_moved_slot() {
    let cluster = support::cluster();
    support::on_tokio(async {
        let mut subscriber = nonblocking::<Tokio>(&cluster, "moved-pubsub-tokio").await;
        moved_slot!(&cluster, "{moved-pubsub-tokio}", subscriber, .await);
    });
}

#[test]
fn smol_follows_a_moved_slot() {
    let cluster = support::cluster();
    support::on_smol(async {
        let mut subscriber = nonblocking::<Smol>(&cluster, "moved-pubsub-smol").await;
        moved_slot!(&cluster, "{moved-pubsub-smol}", subscriber, .await);
    });
}

#[test]
fn blocking_follows_a_moved_slot_in_resp2() {
    let cluster = support::cluster();
    let mut subscriber = blocking(&cluster, "moved-pubsub-resp2");
    moved_slot!(&cluster, "{moved-pubsub-resp2}", subscriber,);
}

#[test]
fn blocking_is_served_by_the_owner_of_a_migrating_slot() {
    let cluster = support::cluster();
    let mut subscriber = blocking(&cluster, "migrating-pubsub-blocking");
    migrating_slot!(&cluster, "{migrating-pubsub-blocking}", subscriber,);
}

#[test]
fn tokio_is_served_by_the_owner_of_a_migrating_slot() {
    let cluster = support::cluster();
    support::on_tokio(async {
        let mut subscriber = nonblocking::<Tokio>(&cluster, "migrating-pubsub-tokio").await;
        migrating_slot!(&cluster, "{migrating-pubsub-tokio}", subscriber, .await);
    });
}

#[test]
fn blocking_resubscribes_after_its_connection_is_killed() {
    let cluster = support::cluster();
    let mut subscriber = blocking(&cluster, "killed-pubsub-blocking");
    killed_connection!(&cluster, "killed-pubsub-blocking", subscriber,);
}

#[test]
fn tokio_resubscribes_after_its_connection_is_killed() {
    let cluster = support::cluster();
    support::on_tokio(async {
        let mut subscriber = nonblocking::<Tokio>(&cluster, "killed-pubsub-tokio").await;
        killed_connection!(&cluster, "killed-pubsub-tokio", subscriber, .await);
    });
}

#[test]
fn tokio_resubscribes_after_its_connection_is_killed_in_resp2() {
    let cluster = support::cluster();
    support::on_tokio(async {
        let mut subscriber = nonblocking::<Tokio>(&cluster, "killed-pubsub-resp2").await;
        killed_connection!(&cluster, "killed-pubsub-resp2", subscriber, .await);
    });
}

#[test]
fn smol_resubscribes_after_its_connection_is_killed() {
    let cluster = support::cluster();
    support::on_smol(async {
        let mut subscriber = nonblocking::<Smol>(&cluster, "killed-pubsub-smol").await;
        killed_connection!(&cluster, "killed-pubsub-smol", subscriber, .await);
    });
}

#[test]
fn the_async_subscriber_is_a_stream_of_every_nodes_messages() {
    use futures_core::Stream;
    use std::pin::Pin;
    let cluster = support::cluster();
    support::on_tokio(async {
        let seed = cluster.addrs()[0].to_string();
        let client = {
            let urls = seeds(&cluster, "stream-tokio");
            let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
            redis_client::cluster::ClusterClient::<Tokio>::open(&urls)
                .await
                .unwrap()
        };
        let mut subscriber = client.subscriber();
        let shard = one_per_primary(&seed, "stream-tokio");
        let channels: Vec<&str> = shard.iter().map(|(c, _)| c.as_str()).collect();
        subscriber.ssubscribe(&channels).await.unwrap();
        for channel in &channels {
            spublish(&seed, channel, "s");
        }
        let mut seen = Vec::new();
        for _ in 0..channels.len() {
            let next = std::future::poll_fn(|cx| Pin::new(&mut subscriber).poll_next(cx));
            let message = tokio::time::timeout(MESSAGE_WAIT, next)
                .await
                .expect("a message in time")
                .expect("the stream goes on")
                .unwrap();
            seen.push(message.channel);
        }
        seen.sort();
        let mut expected: Vec<_> = channels.iter().map(|c| c.as_bytes().to_vec()).collect();
        expected.sort();
        assert_eq!(seen, expected);
    });
}

#[test]
fn a_subscriber_from_a_cluster_connection_uses_its_knowledge() {
    let cluster = support::cluster();
    let seed = cluster.addrs()[0].to_string();
    let urls = cluster.seed_urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let conn = redis_client::cluster::ClusterConnection::open(&urls).unwrap();
    let mut subscriber = conn.subscriber();
    let (channel, primary) = one_per_primary(&seed, "from-conn").remove(0);
    subscriber.ssubscribe([channel.as_str()]).unwrap();
    assert_eq!(
        subscriber
            .node_of(SubscriptionKind::Shard, channel.as_str())
            .map(|a| a.to_string()),
        Some(primary)
    );
    assert_eq!(spublish(&seed, &channel, "x"), 1);
    let message = message!(subscriber,);
    assert_eq!(message.payload, "x".as_bytes());
}

/// The async subscriber and the futures of its calls can move between threads.
#[test]
fn the_async_subscriber_and_its_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    fn calls(mut subscriber: AsyncClusterSubscriber<Tokio>) {
        send(&subscriber.ssubscribe(["a"]));
        send(&subscriber.sunsubscribe(["a"]));
        send(&subscriber.next_message(None));
        send(&subscriber);
    }
    let _ = calls;
}
