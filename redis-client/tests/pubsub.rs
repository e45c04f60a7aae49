//! The subscribers: subscribing to channels, patterns and shard channels, messages in
//! publish order, leaving, the connection given back, and the end after a close; on
//! the blocking subscriber (RESP3 over TCP, RESP2 over a Unix socket) and the async
//! one on tokio and smol. With a reconnect policy: carrying the subscriptions over
//! to a new connection after `CLIENT KILL` and after the server went down and came
//! back, by calls and by the stream, and the loss's error once the policy gives up.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod common;

use std::time::Duration;

use bytes::Bytes;
use redis_client::pubsub::{AsyncSubscriber, Message, Subscriber, SubscriptionKind};
use redis_client::{Error, Reconnect, prelude::*};
use redis_sansio::CloseReason;
use redis_test_support::RedisServer;

/// What a message should be: kind, channel, pattern and payload.
fn message(kind: SubscriptionKind, channel: &str, pattern: Option<&str>, payload: &str) -> Message {
    Message {
        kind,
        channel: Bytes::copy_from_slice(channel.as_bytes()),
        pattern: pattern.map(|p| Bytes::copy_from_slice(p.as_bytes())),
        payload: Bytes::copy_from_slice(payload.as_bytes()),
    }
}

/// Publishes from a connection of its own.
fn publish(server: &RedisServer, command: &str, channel: &str, payload: &str) {
    let receivers = server.command(&[command, channel, payload]);
    assert_eq!(
        receivers, ":1",
        "{command} {channel} reached one subscriber"
    );
}

const SHORT: Option<Duration> = Some(Duration::from_millis(50));
const LONG: Option<Duration> = Some(Duration::from_secs(10));

/// The whole life of a subscriber; `$($await)*` finishes each call.
macro_rules! subscriber_scenario {
    ($server:expr, $subscriber:expr, $($await:tt)*) => {{
        let server: &RedisServer = $server;
        let mut subscriber = $subscriber;
        use SubscriptionKind::{Channel, Pattern, Shard};

        subscriber.subscribe(["news", "weather"]) $($await)* .unwrap();
        subscriber.psubscribe(["alerts.*"]) $($await)* .unwrap();
        subscriber.ssubscribe(["shard"]) $($await)* .unwrap();
        let subscriptions = subscriber.subscriptions().clone();
        assert_eq!(subscriptions.channels.len(), 2);
        assert!(subscriptions.patterns.contains(&Bytes::from_static(b"alerts.*")));
        assert!(subscriptions.shard_channels.contains(&Bytes::from_static(b"shard")));

        publish(server, "PUBLISH", "news", "one");
        publish(server, "PUBLISH", "alerts.fire", "two");
        publish(server, "SPUBLISH", "shard", "three");
        publish(server, "PUBLISH", "weather", "four");
        let expected = [
            message(Channel, "news", None, "one"),
            message(Pattern, "alerts.fire", Some("alerts.*"), "two"),
            message(Shard, "shard", None, "three"),
            message(Channel, "weather", None, "four"),
        ];
        for want in expected {
            assert_eq!(subscriber.next_message(LONG) $($await)* .unwrap(), Some(want));
        }
        assert_eq!(subscriber.next_message(SHORT) $($await)* .unwrap(), None);

        // Leaving one channel: its messages stop, the others' go on.
        subscriber.unsubscribe(["news"]) $($await)* .unwrap();
        assert_eq!(server.command(&["PUBLISH", "news", "lost"]), ":0");
        publish(server, "PUBLISH", "weather", "five");
        assert_eq!(
            subscriber.next_message(LONG) $($await)* .unwrap(),
            Some(message(Channel, "weather", None, "five"))
        );
        subscriber.ping() $($await)* .unwrap();

        // Back to ordinary commands, in RESP2 too.
        let mut conn = subscriber.into_connection() $($await)* .unwrap();
        assert!(conn.core().subscriptions().is_empty());
        conn.set("after", "pubsub") $($await)* .unwrap();
        let value = conn.get("after") $($await)* .unwrap();
        assert_eq!(value.as_deref(), Some(&b"pubsub"[..]));
    }};
}

fn kill_subscribers(server: &RedisServer) {
    let killed = server.command(&["CLIENT", "KILL", "TYPE", "pubsub"]);
    assert_eq!(killed, ":1");
}

#[test]
fn blocking_resp3() {
    let server = common::server();
    let subscriber = Subscriber::new(common::blocking(common::resp3(&server)));
    subscriber_scenario!(&server, subscriber,);
}

#[test]
fn blocking_resp2() {
    let server = common::server();
    let subscriber = Subscriber::new(common::blocking(common::resp2(&server)));
    subscriber_scenario!(&server, subscriber,);
}

#[test]
fn tokio_resp2() {
    let server = common::server();
    common::tokio_runtime().block_on(async {
        let conn = redis_io_tokio::Connection::connect(common::resp2(&server))
            .await
            .unwrap();
        subscriber_scenario!(&server, AsyncSubscriber::new(conn), .await);
    });
}

#[test]
fn smol_resp3_from_a_client() {
    let server = common::server();
    smol::block_on(async {
        let client = redis_io_async_std::smol::Client::open(&server.url())
            .await
            .unwrap();
        let subscriber = AsyncSubscriber::from_client(&client).await.unwrap();
        subscriber_scenario!(&server, subscriber, .await);
    });
}

#[test]
fn the_iterator_ends_after_the_close() {
    let server = common::server();
    let mut subscriber = Subscriber::open(&server.url()).unwrap();
    subscriber.subscribe(["c"]).unwrap();
    publish(&server, "PUBLISH", "c", "before");
    kill_subscribers(&server);
    let items: Vec<Result<Message, Error>> = subscriber.messages().take(5).collect();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(
        items[0].as_ref().unwrap(),
        &message(SubscriptionKind::Channel, "c", None, "before")
    );
    assert!(
        matches!(items[1], Err(Error::Closed(CloseReason::Eof))),
        "{items:?}"
    );
}

#[test]
fn the_stream_ends_after_the_close() {
    let server = common::server();
    common::tokio_runtime().block_on(async {
        let mut subscriber = AsyncSubscriber::<redis_io_tokio::Tokio>::open(&server.url())
            .await
            .unwrap();
        subscriber.subscribe(["c"]).await.unwrap();
        publish(&server, "PUBLISH", "c", "before");
        let first = common::next(&mut subscriber).await.unwrap().unwrap();
        assert_eq!(
            first,
            message(SubscriptionKind::Channel, "c", None, "before")
        );
        kill_subscribers(&server);
        let end = common::next(&mut subscriber).await;
        assert!(
            matches!(end, Some(Err(Error::Closed(CloseReason::Eof)))),
            "{end:?}"
        );
        assert!(common::next(&mut subscriber).await.is_none());
    });
}

/// Quick attempts, enough to ride out a server restart (about 10 s).
fn patient() -> Reconnect {
    Reconnect::default()
        .max_attempts(60)
        .delays(Duration::from_millis(20), Duration::from_millis(200))
}

/// Publishes until a subscriber receives it: at most this many rounds.
const ROUNDS: usize = 200;

/// A subscriber with [`patient`] reconnects, killed and then cut off by a restart;
/// `$($await)*` finishes each call.
macro_rules! reconnect_scenario {
    ($server:expr, $subscriber:expr, $($await:tt)*) => {{
        let server: &RedisServer = $server;
        let mut subscriber = $subscriber;
        use SubscriptionKind::{Channel, Pattern, Shard};

        subscriber.subscribe(["news"]) $($await)* .unwrap();
        subscriber.psubscribe(["alerts.*"]) $($await)* .unwrap();
        subscriber.ssubscribe(["shard"]) $($await)* .unwrap();
        let before = subscriber.subscriptions().clone();

        // Killed: the next wait notices, opens a new connection and subscribes it.
        kill_subscribers(server);
        assert_eq!(subscriber.next_message(SHORT) $($await)* .unwrap(), None);
        assert_eq!(subscriber.reconnects(), 1);
        assert_eq!(subscriber.subscriptions(), &before);
        publish(server, "PUBLISH", "news", "one");
        publish(server, "PUBLISH", "alerts.fire", "two");
        publish(server, "SPUBLISH", "shard", "three");
        let expected = [
            message(Channel, "news", None, "one"),
            message(Pattern, "alerts.fire", Some("alerts.*"), "two"),
            message(Shard, "shard", None, "three"),
        ];
        for want in expected {
            assert_eq!(subscriber.next_message(LONG) $($await)* .unwrap(), Some(want));
        }

        // Down: attempts fail, and waits end at their timeout meanwhile. Back: the
        // subscriptions are restored on the restarted server.
        server.kill();
        assert_eq!(subscriber.next_message(SHORT) $($await)* .unwrap(), None);
        assert_eq!(subscriber.reconnects(), 1);
        server.restart();
        let mut delivered = None;
        for _ in 0..ROUNDS {
            if server.command(&["PUBLISH", "news", "back"]) == ":1" {
                delivered = subscriber.next_message(LONG) $($await)* .unwrap();
                break;
            }
            assert_eq!(subscriber.next_message(SHORT) $($await)* .unwrap(), None);
        }
        assert_eq!(delivered, Some(message(Channel, "news", None, "back")));
        assert_eq!(subscriber.reconnects(), 2);
        assert_eq!(subscriber.subscriptions(), &before);

        // A subscription made afterwards lands on the new connection.
        subscriber.subscribe(["later"]) $($await)* .unwrap();
        publish(server, "PUBLISH", "later", "four");
        assert_eq!(
            subscriber.next_message(LONG) $($await)* .unwrap(),
            Some(message(Channel, "later", None, "four"))
        );
    }};
}

#[test]
fn blocking_reconnects_in_resp2() {
    let server = common::server();
    let subscriber = Subscriber::new(common::blocking(common::resp2(&server)));
    reconnect_scenario!(&server, subscriber.with_reconnect(patient()),);
}

#[test]
fn tokio_reconnects() {
    let server = common::server();
    common::tokio_runtime().block_on(async {
        let conn = redis_io_tokio::Connection::connect(common::resp3(&server))
            .await
            .unwrap();
        let subscriber = AsyncSubscriber::new(conn).with_reconnect(patient());
        reconnect_scenario!(&server, subscriber, .await);
    });
}

#[test]
fn smol_reconnects_in_resp2() {
    let server = common::server();
    smol::block_on(async {
        let conn = redis_io_async_std::smol::Connection::connect(common::resp2(&server))
            .await
            .unwrap();
        let subscriber = AsyncSubscriber::new(conn).with_reconnect(patient());
        reconnect_scenario!(&server, subscriber, .await);
    });
}

#[test]
fn the_stream_goes_on_after_a_reconnect() {
    let server = common::server();
    common::tokio_runtime().block_on(async {
        let mut subscriber = AsyncSubscriber::<redis_io_tokio::Tokio>::open(&server.url())
            .await
            .unwrap()
            .with_reconnect(patient());
        subscriber.subscribe(["c"]).await.unwrap();
        kill_subscribers(&server);
        // The stream notices the loss and resubscribes while this publishes until
        // someone receives.
        let publisher = async {
            for _ in 0..ROUNDS {
                if server.command(&["PUBLISH", "c", "after"]) == ":1" {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            false
        };
        let both = async { tokio::join!(publisher, common::next(&mut subscriber)) };
        let (published, item) = tokio::time::timeout(LONG.unwrap(), both)
            .await
            .expect("the stream did not deliver");
        assert!(published, "no subscriber came back");
        assert_eq!(
            item.unwrap().unwrap(),
            message(SubscriptionKind::Channel, "c", None, "after")
        );
        assert_eq!(subscriber.reconnects(), 1);
    });
}

#[test]
fn a_policy_that_gives_up_ends_in_the_loss() {
    let server = common::server();
    let policy = Reconnect::default()
        .max_attempts(2)
        .delays(Duration::from_millis(10), Duration::from_millis(10));
    let mut subscriber = Subscriber::open(&server.url())
        .unwrap()
        .with_reconnect(policy.clone());
    subscriber.subscribe(["c"]).unwrap();
    server.kill();
    let lost = subscriber.next_message(LONG);
    assert!(
        matches!(lost, Err(Error::Closed(CloseReason::Eof))),
        "{lost:?}"
    );
    // The loss is final: no new attempts, even with the server back.
    server.restart();
    let again = subscriber.next_message(SHORT);
    assert!(
        matches!(again, Err(Error::Closed(CloseReason::Eof))),
        "{again:?}"
    );
    assert_eq!(subscriber.reconnects(), 0);

    common::tokio_runtime().block_on(async {
        let mut subscriber = AsyncSubscriber::<redis_io_tokio::Tokio>::open(&server.url())
            .await
            .unwrap()
            .with_reconnect(policy);
        subscriber.subscribe(["c"]).await.unwrap();
        server.kill();
        let end = common::next(&mut subscriber).await;
        assert!(
            matches!(end, Some(Err(Error::Closed(CloseReason::Eof)))),
            "{end:?}"
        );
        assert!(common::next(&mut subscriber).await.is_none());
    });
}

/// Changes user `app`'s password and kills its connections in one step, so that no
/// reconnect attempt can slip in with the old password.
fn change_password_and_kill(server: &RedisServer) {
    let mut admin = redis_test_support::RawConnection::connect(server.addr()).unwrap();
    admin.command(&["MULTI"]);
    admin.command(&["ACL", "SETUSER", "app", "resetpass", ">new"]);
    admin.command(&["CLIENT", "KILL", "USER", "app"]);
    admin.command(&["EXEC"]);
}

/// Whether `result` is the authentication error of a changed password.
fn refused_password<T: std::fmt::Debug>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::Closed(CloseReason::Auth(error)))
        if error.kind() == &redis_sansio::ServerErrorKind::WrongPass)
}

#[test]
fn a_refused_password_ends_the_attempts_at_once() {
    let server = RedisServer::builder().acl_user("app", "old").start();
    let url = format!("redis://app:old@127.0.0.1:{}", server.port());
    let mut subscriber = Subscriber::open(&url).unwrap().with_reconnect(patient());
    subscriber.subscribe(["c"]).unwrap();
    change_password_and_kill(&server);
    let started = std::time::Instant::now();
    let lost = subscriber.next_message(LONG);
    assert!(refused_password(&lost), "{lost:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the refusal was retried"
    );
    assert_eq!(subscriber.reconnects(), 0);

    server.command(&["ACL", "SETUSER", "app", "resetpass", ">old"]);
    common::tokio_runtime().block_on(async {
        let mut subscriber = AsyncSubscriber::<redis_io_tokio::Tokio>::open(&url)
            .await
            .unwrap()
            .with_reconnect(patient());
        subscriber.subscribe(["c"]).await.unwrap();
        change_password_and_kill(&server);
        let started = std::time::Instant::now();
        let end = common::next(&mut subscriber)
            .await
            .expect("an error, then the end");
        assert!(refused_password(&end), "{end:?}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the refusal was retried"
        );
        assert!(common::next(&mut subscriber).await.is_none());
    });
}
