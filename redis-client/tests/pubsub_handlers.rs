//! The callback form of the blocking subscriber: handlers per subscription, routed by
//! the core's book, `dispatch` and the background thread of `run_in_thread`, the gap
//! after a reconnect; and `Listening` on the multiplexed client is checked per runtime
//! in `redis_test_support::pubsub`.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use redis_client::Reconnect;
use redis_client::pubsub::{Delivery, Gap, Subscriber, SubscriptionKind};
use redis_test_support::RedisServer;

const LONG: Option<Duration> = Some(Duration::from_secs(10));

/// What each handler saw: payloads, and `gap` for a reconnect's gap.
type Seen = Arc<Mutex<Vec<String>>>;

fn recorder(seen: &Seen, tag: &'static str) -> impl FnMut(Delivery) + Send + 'static {
    let seen = seen.clone();
    move |delivery| {
        let entry = match delivery {
            Delivery::Message(message) => {
                format!("{tag}:{}", String::from_utf8_lossy(&message.payload))
            }
            Delivery::Gap(Gap::Reconnected) => format!("{tag}:gap"),
            other => format!("{tag}:{other:?}"),
        };
        seen.lock().unwrap().push(entry);
    }
}

fn publish(server: &RedisServer, channel: &str, payload: &str, receivers: usize) {
    assert_eq!(
        server.command(&["PUBLISH", channel, payload]),
        format!(":{receivers}")
    );
}

#[test]
fn handlers_get_their_messages_and_others_are_returned() {
    let server = RedisServer::start();
    let mut subscriber = Subscriber::open(&server.url()).unwrap();
    let seen = Seen::default();
    subscriber
        .subscribe_with("news", recorder(&seen, "a"))
        .unwrap();
    subscriber
        .subscribe_with(["news", "sport"], recorder(&seen, "b"))
        .unwrap();
    subscriber
        .subscribe_to_with(SubscriptionKind::Pattern, "n*", recorder(&seen, "p"))
        .unwrap();
    subscriber.subscribe("plain").unwrap();
    // One server subscription for "news", however many handlers.
    assert_eq!(server.command(&["PUBSUB", "NUMSUB", "news"]), "[news, :1]");
    publish(&server, "news", "1", 2);
    publish(&server, "sport", "2", 1);
    publish(&server, "plain", "3", 1);
    for _ in 0..3 {
        assert!(subscriber.dispatch(LONG).unwrap().is_none());
    }
    let plain = subscriber
        .dispatch(LONG)
        .unwrap()
        .expect("no handler for it");
    assert_eq!(plain.payload, Bytes::from("3"));
    assert_eq!(*seen.lock().unwrap(), ["a:1", "b:1", "p:1", "b:2"]);
    // Nothing more: the time runs out.
    assert!(
        subscriber
            .dispatch(Some(Duration::from_millis(20)))
            .unwrap()
            .is_none()
    );

    // In the background.
    let thread = subscriber.run_in_thread();
    publish(&server, "sport", "4", 1);
    let started = Instant::now();
    while seen.lock().unwrap().len() < 5 {
        assert!(started.elapsed() < Duration::from_secs(10), "{seen:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!thread.is_finished());
    let subscriber = thread.stop().unwrap();
    assert_eq!(seen.lock().unwrap().last().unwrap(), "b:4");
    drop(subscriber);
}

#[test]
fn handlers_are_told_of_a_reconnect() {
    let server = RedisServer::start();
    let mut subscriber = Subscriber::open(&server.url()).unwrap().with_reconnect(
        Reconnect::default().delays(Duration::from_millis(20), Duration::from_millis(100)),
    );
    let seen = Seen::default();
    subscriber
        .subscribe_with("news", recorder(&seen, "a"))
        .unwrap();
    assert_eq!(server.command(&["CLIENT", "KILL", "TYPE", "pubsub"]), ":1");
    // The loss is seen, the connection replaced and subscribed again.
    let started = Instant::now();
    while subscriber.reconnects() == 0 {
        assert!(started.elapsed() < Duration::from_secs(10));
        subscriber
            .dispatch(Some(Duration::from_millis(20)))
            .unwrap();
    }
    publish(&server, "news", "after", 1);
    while seen.lock().unwrap().len() < 2 {
        assert!(started.elapsed() < Duration::from_secs(10), "{seen:?}");
        subscriber
            .dispatch(Some(Duration::from_millis(20)))
            .unwrap();
    }
    assert_eq!(*seen.lock().unwrap(), ["a:gap", "a:after"]);
}
