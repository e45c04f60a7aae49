//! Checks of pub/sub on the multiplexed client (subscriptions beside ordinary calls on
//! one connection), run by each runtime's tests: [`pubsub_tests!`](crate::pubsub_tests).

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use redis_io_async::{Client, Error, Reconnect, Runtime, Subscription};
use redis_sansio::config::ProtocolVersion;
use redis_sansio::conn::Message;
use redis_sansio::resp::Frame;
use redis_sansio::subscribers::{Delivery, Gap};
use redis_sansio::{CloseReason, SendError};

use crate::{RedisServer, cmd, tcp_config};

/// How long any wait in these checks may take.
const BOUND: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(20);

async fn sleep<R: Runtime>(duration: Duration) {
    R::sleep_until(Instant::now() + duration).await;
}

/// `future`, or a panic naming `what` once [`BOUND`] has passed.
async fn within<R: Runtime, T>(what: &str, future: impl Future<Output = T>) -> T {
    let mut future = pin!(future);
    let mut deadline = pin!(R::sleep_until(Instant::now() + BOUND));
    poll_fn(|cx| {
        if let Poll::Ready(value) = future.as_mut().poll(cx) {
            return Poll::Ready(value);
        }
        if deadline.as_mut().poll(cx).is_ready() {
            panic!("waited more than {BOUND:?} for {what}");
        }
        Poll::Pending
    })
    .await
}

/// The subscription's next delivery, which must come.
async fn next<R: Runtime>(subscription: &mut Subscription<R>) -> Delivery {
    match within::<R, _>("a delivery", subscription.recv()).await {
        Some(Ok(delivery)) => delivery,
        other => panic!("the subscription gave {other:?}"),
    }
}

/// The subscription's next delivery, which must be a message.
async fn message<R: Runtime>(subscription: &mut Subscription<R>) -> Message {
    match next(subscription).await {
        Delivery::Message(message) => message,
        other => panic!("expected a message, got {other:?}"),
    }
}

async fn publish<R: Runtime>(client: &Client<R>, channel: &str, payload: &str) -> i64 {
    match client
        .request(&cmd(&["PUBLISH", channel, payload]))
        .await
        .unwrap()
    {
        Frame::Integer(receivers) => receivers,
        other => panic!("PUBLISH answered {other:?}"),
    }
}

/// How many subscribers the server counts on `channel` (`PUBSUB NUMSUB`).
fn numsub(server: &RedisServer, channel: &str) -> String {
    server.command(&["PUBSUB", "NUMSUB", channel])
}

/// Waits, bounded, until the server counts `count` subscribers on `channel`.
async fn until_numsub<R: Runtime>(server: &RedisServer, channel: &str, count: usize) {
    let want = format!("[{channel}, :{count}]");
    let started = Instant::now();
    loop {
        let now = numsub(server, channel);
        if now == want {
            return;
        }
        assert!(
            started.elapsed() < BOUND,
            "PUBSUB NUMSUB {channel} stayed {now}, not {want}"
        );
        sleep::<R>(POLL).await;
    }
}

async fn client_on<R: Runtime>(server: &RedisServer, protocol: ProtocolVersion) -> Client<R> {
    named::<R>(server, protocol, "pubsub-check").await
}

/// A client whose connections are named `name`, to count them in `CLIENT LIST`.
async fn named<R: Runtime>(
    server: &RedisServer,
    protocol: ProtocolVersion,
    name: &str,
) -> Client<R> {
    let mut config = tcp_config(server).with_protocol(protocol);
    config.client_name = Some(name.to_owned());
    Client::<R>::connect(config).await.unwrap()
}

/// How many connections named `name` the server has.
fn connections(server: &RedisServer, name: &str) -> usize {
    let needle = format!("name={name} ");
    server
        .command(&["CLIENT", "LIST"])
        .lines()
        .filter(|line| line.contains(&needle))
        .count()
}

/// A short policy, so that the checks run quickly.
fn quick() -> Reconnect {
    Reconnect::default()
        .max_attempts(200)
        .delays(Duration::from_millis(20), Duration::from_millis(100))
}

/// Messages arrive, in order, between the replies of ordinary calls on the same
/// connection; the calls keep their own replies.
async fn interleaved<R: Runtime>(server: &RedisServer, protocol: ProtocolVersion) {
    let client = named::<R>(server, protocol, "interleaved").await;
    assert_eq!(connections(server, "interleaved"), 1);
    let mut news = client.subscribe(["news"]).await.unwrap();
    // RESP3 subscribes on the shared connection; RESP2 on one of its own.
    let count = 1 + usize::from(protocol == ProtocolVersion::Resp2);
    assert_eq!(connections(server, "interleaved"), count, "{protocol:?}");
    for n in 0..50 {
        let value = format!("v{n}");
        let set = client.request(&cmd(&["SET", "k", &value]));
        assert_eq!(publish(&client, "news", &value).await, 1);
        let get = client.request(&cmd(&["GET", "k"]));
        assert_eq!(set.await.unwrap(), Frame::simple("OK"));
        assert_eq!(get.await.unwrap(), Frame::BulkString(value.into()));
    }
    for n in 0..50 {
        let got = message(&mut news).await;
        assert_eq!(got.channel, "news");
        assert_eq!(got.payload, format!("v{n}").as_str());
    }
    assert!(news.try_recv().unwrap().is_none());
}

/// RESP3: messages between ordinary calls on the one shared connection.
pub async fn messages_interleave_with_calls<R: Runtime>(server: &RedisServer) {
    interleaved::<R>(server, ProtocolVersion::Resp3).await;
}

/// RESP2: the same, the subscriptions moved to a connection of their own.
pub async fn resp2_subscribes_on_a_connection_of_its_own<R: Runtime>(server: &RedisServer) {
    interleaved::<R>(server, ProtocolVersion::Resp2).await;
    let client = named::<R>(server, ProtocolVersion::Resp2, "resp2").await;
    let mut sub = client.subscribe(["resp2"]).await.unwrap();
    assert_eq!(
        connections(server, "resp2"),
        2,
        "one more, for subscriptions"
    );
    // A second subscription shares it.
    let mut pattern = client.psubscribe(["resp*"]).await.unwrap();
    assert_eq!(connections(server, "resp2"), 2);
    assert_eq!(publish(&client, "resp2", "hello").await, 2);
    assert_eq!(message(&mut sub).await.payload, "hello");
    let matched = message(&mut pattern).await;
    assert_eq!(matched.pattern.as_deref(), Some(&b"resp*"[..]));
    // The shared connection still runs every command.
    assert_eq!(
        client.request(&cmd(&["ECHO", "still"])).await.unwrap(),
        Frame::bulk("still")
    );
    drop(sub);
    until_numsub::<R>(server, "resp2", 0).await;
}

/// Each subscription gets every message of its names; dropping one leaves a channel
/// only when no other subscription names it (`PUBSUB NUMSUB`).
pub async fn dropping_the_last_subscription_unsubscribes<R: Runtime>(server: &RedisServer) {
    let client = client_on::<R>(server, ProtocolVersion::Resp3).await;
    let mut first = client.subscribe(["a", "b"]).await.unwrap();
    let mut second = client.subscribe(["b"]).await.unwrap();
    let patterns = client.psubscribe(["p.*"]).await.unwrap();
    assert_eq!(numsub(server, "a"), "[a, :1]");
    assert_eq!(
        numsub(server, "b"),
        "[b, :1]",
        "one server subscription for two"
    );
    assert_eq!(server.command(&["PUBSUB", "NUMPAT"]), ":1");
    assert_eq!(publish(&client, "b", "both").await, 1);
    assert_eq!(message(&mut first).await.payload, "both");
    assert_eq!(message(&mut second).await.payload, "both");
    drop(first);
    until_numsub::<R>(server, "a", 0).await;
    assert_eq!(numsub(server, "b"), "[b, :1]", "still the second's");
    assert_eq!(publish(&client, "b", "again").await, 1);
    assert_eq!(message(&mut second).await.payload, "again");
    drop(second);
    until_numsub::<R>(server, "b", 0).await;
    drop(patterns);
    let started = Instant::now();
    while server.command(&["PUBSUB", "NUMPAT"]) != ":0" {
        assert!(started.elapsed() < BOUND, "the pattern was never left");
        sleep::<R>(POLL).await;
    }
    // Subscribing again after leaving works.
    let mut again = client.subscribe(["a"]).await.unwrap();
    assert_eq!(publish(&client, "a", "back").await, 1);
    assert_eq!(message(&mut again).await.payload, "back");
}

/// Patterns and shard channels deliver too, each to its own subscription.
pub async fn patterns_and_shard_channels<R: Runtime>(server: &RedisServer) {
    let client = client_on::<R>(server, ProtocolVersion::Resp3).await;
    let mut pattern = client.psubscribe(["news.*"]).await.unwrap();
    let mut shard = client.ssubscribe(["{s}:1"]).await.unwrap();
    assert_eq!(publish(&client, "news.eu", "p").await, 1);
    let got = message(&mut pattern).await;
    assert_eq!((got.channel, got.payload), ("news.eu".into(), "p".into()));
    let spublish = client
        .request(&cmd(&["SPUBLISH", "{s}:1", "s"]))
        .await
        .unwrap();
    assert_eq!(spublish, Frame::Integer(1));
    assert_eq!(message(&mut shard).await.payload, "s");
}

/// Waits for the gap a reconnect leaves, skipping nothing else: no message was
/// published meanwhile.
async fn gap<R: Runtime>(subscription: &mut Subscription<R>) {
    match next(subscription).await {
        Delivery::Gap(Gap::Reconnected) => {}
        other => panic!("expected the reconnect's gap, got {other:?}"),
    }
}

/// `CLIENT KILL`: the client reconnects, subscribes the new connection again, and each
/// subscription is told of the gap, then receives again.
pub async fn subscriptions_are_restored_after_client_kill<R: Runtime>(server: &RedisServer) {
    let client = client_on::<R>(server, ProtocolVersion::Resp3)
        .await
        .with_reconnect(quick());
    let mut news = client.subscribe(["news"]).await.unwrap();
    let mut pattern = client.psubscribe(["n*"]).await.unwrap();
    let Frame::Integer(id) = client.request(&cmd(&["CLIENT", "ID"])).await.unwrap() else {
        panic!("CLIENT ID is an integer");
    };
    assert_eq!(
        server.command(&["CLIENT", "KILL", "ID", &id.to_string()]),
        ":1"
    );
    gap(&mut news).await;
    gap(&mut pattern).await;
    until_numsub::<R>(server, "news", 1).await;
    assert_eq!(publish(&client, "news", "after").await, 2);
    assert_eq!(message(&mut news).await.payload, "after");
    assert_eq!(message(&mut pattern).await.payload, "after");
}

/// The server restarts: the same, in RESP3 and on RESP2's connection of its own.
pub async fn subscriptions_are_restored_after_a_restart<R: Runtime>(server: &RedisServer) {
    for protocol in [ProtocolVersion::Resp3, ProtocolVersion::Resp2] {
        let client = client_on::<R>(server, protocol)
            .await
            .with_reconnect(quick());
        let mut news = client.subscribe(["news"]).await.unwrap();
        server.restart();
        gap(&mut news).await;
        until_numsub::<R>(server, "news", 1).await;
        assert_eq!(publish(&client, "news", "back").await, 1, "{protocol:?}");
        assert_eq!(message(&mut news).await.payload, "back");
    }
}

/// Without a policy, the loss ends each subscription with the reason, and so does a
/// close; later subscriptions fail at once.
pub async fn a_close_ends_the_subscriptions<R: Runtime>(server: &RedisServer) {
    for protocol in [ProtocolVersion::Resp3, ProtocolVersion::Resp2] {
        let client = client_on::<R>(server, protocol).await;
        let mut news = client.subscribe(["news"]).await.unwrap();
        assert_eq!(publish(&client, "news", "last").await, 1);
        until_numsub::<R>(server, "news", 1).await;
        client.close();
        // What was read before the close is still delivered, then the reason. In RESP3
        // the message came on the connection before PUBLISH's reply, so it was read;
        // in RESP2 it travels on the subscriptions' own connection and may still have
        // been on its way when the client closed.
        let delivered = within::<R, _>("a delivery", news.recv()).await;
        let end = match delivered {
            Some(Ok(Delivery::Message(message))) => {
                assert_eq!(message.payload, "last");
                within::<R, _>("the end", news.recv()).await
            }
            end if protocol == ProtocolVersion::Resp2 => end,
            other => panic!("{protocol:?}: the message before the close gave {other:?}"),
        };
        match end {
            Some(Err(Error::Closed(CloseReason::Local))) => {}
            other => panic!("{protocol:?}: a closed client's subscription gave {other:?}"),
        }
        assert!(news.recv().await.is_none());
        until_numsub::<R>(server, "news", 0).await;
        match client.subscribe(["other"]).await {
            Err(Error::Closed(CloseReason::Local)) => {}
            other => panic!("{protocol:?}: subscribing on a closed client gave {other:?}"),
        }
    }
    // Still refused as a plain request: the subscriptions' book would not know of it.
    let other = client_on::<R>(server, ProtocolVersion::Resp3).await;
    match other.request(&cmd(&["SUBSCRIBE", "x"])).await {
        Err(Error::Send(SendError::Shared { .. })) => {}
        result => panic!("SUBSCRIBE as a request gave {result:?}"),
    }
}

/// The callback form: a handler runs for each message on a task of the runtime;
/// stopping it unsubscribes.
pub async fn handlers_run_in_the_background<R: Runtime>(server: &RedisServer) {
    use std::sync::{Arc, Mutex};
    let client = client_on::<R>(server, ProtocolVersion::Resp3).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handled = seen.clone();
    let listening = client
        .subscribe_with("handled", move |delivery| {
            if let Delivery::Message(message) = delivery {
                handled.lock().unwrap().push(message.payload);
            }
        })
        .await
        .unwrap();
    for n in 0..3 {
        assert_eq!(publish(&client, "handled", &n.to_string()).await, 1);
    }
    let started = Instant::now();
    while seen.lock().unwrap().len() < 3 {
        assert!(started.elapsed() < BOUND, "the handler saw {seen:?}");
        sleep::<R>(POLL).await;
    }
    assert_eq!(*seen.lock().unwrap(), ["0", "1", "2"]);
    assert!(!listening.is_finished());
    listening.stop();
    until_numsub::<R>(server, "handled", 0).await;
}

/// Many tasks subscribe to one channel and drop their subscriptions at once, over and
/// over: the server ends subscribed exactly while a subscription is held (the
/// `UNSUBSCRIBE` of the last one dropped never overtakes the `SUBSCRIBE` of the next).
pub async fn subscribing_and_dropping_at_once_stays_consistent<R: Runtime>(server: &RedisServer) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    const TASKS: usize = 8;
    let client = client_on::<R>(server, ProtocolVersion::Resp3).await;
    let done = Arc::new(AtomicUsize::new(0));
    for task in 0..TASKS {
        let (client, done) = (client.clone(), done.clone());
        R::spawn(async move {
            for round in 0..40 {
                let subscription = client.subscribe("churn").await.unwrap();
                if (task + round) % 3 == 0 {
                    sleep::<R>(Duration::from_millis(1)).await;
                }
                drop(subscription);
            }
            done.fetch_add(1, Ordering::AcqRel);
        });
    }
    let started = Instant::now();
    while done.load(Ordering::Acquire) < TASKS {
        assert!(started.elapsed() < BOUND, "the tasks never finished");
        sleep::<R>(POLL).await;
    }
    until_numsub::<R>(server, "churn", 0).await;
    let mut held = client.subscribe("churn").await.unwrap();
    assert_eq!(numsub(server, "churn"), "[churn, :1]");
    assert_eq!(publish(&client, "churn", "still").await, 1);
    assert_eq!(message(&mut held).await.payload, "still");
}

/// Instantiates the checks of [`pubsub`](crate::pubsub) for one runtime: `$runtime`
/// implements `redis_io_async::Runtime`, `$block_on` runs a future to completion.
/// Each check gets a server of its own.
#[macro_export]
macro_rules! pubsub_tests {
    ($runtime:ty, $block_on:path) => {
        $crate::pubsub_tests!(@each $runtime, $block_on, [
            messages_interleave_with_calls,
            resp2_subscribes_on_a_connection_of_its_own,
            dropping_the_last_subscription_unsubscribes,
            patterns_and_shard_channels,
            subscriptions_are_restored_after_client_kill,
            subscriptions_are_restored_after_a_restart,
            a_close_ends_the_subscriptions,
            handlers_run_in_the_background,
            subscribing_and_dropping_at_once_stays_consistent,
        ]);
    };
    (@each $runtime:ty, $block_on:path, [$($check:ident),* $(,)?]) => {
        $(
            #[test]
            fn $check() {
                let server = $crate::RedisServer::start();
                $block_on($crate::reconnect::bounded::<$runtime, _>(
                    $crate::pubsub::$check::<$runtime>(&server),
                ));
            }
        )*
    };
}
