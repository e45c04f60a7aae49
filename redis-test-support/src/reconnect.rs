//! Checks of the multiplexed client's reconnection, run by each runtime's tests.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use redis_io_async::{Client, Error, Reconnect, Request, Runtime};
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, RequestError};

use crate::{RedisServer, cmd};

/// How long any wait in these checks may take.
const BOUND: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(20);

/// A short policy, so that the checks run quickly.
fn quick(attempts: u32) -> Reconnect {
    Reconnect::default()
        .max_attempts(attempts)
        .delays(Duration::from_millis(20), Duration::from_millis(200))
}

async fn sleep<R: Runtime>(duration: Duration) {
    R::sleep_until(Instant::now() + duration).await;
}

/// Runs `check`, failing it if it takes longer than a minute: a lost wake-up or reply
/// fails the test instead of hanging it.
pub async fn bounded<R: Runtime, T>(check: impl Future<Output = T>) -> T {
    let mut check = pin!(check);
    let mut deadline = pin!(R::sleep_until(Instant::now() + Duration::from_secs(60)));
    poll_fn(|cx| {
        if let Poll::Ready(value) = check.as_mut().poll(cx) {
            return Poll::Ready(value);
        }
        if deadline.as_mut().poll(cx).is_ready() {
            panic!("the check took longer than 60 s");
        }
        Poll::Pending
    })
    .await
}

async fn client_id<R: Runtime>(client: &Client<R>) -> Frame {
    client.request(&cmd(&["CLIENT", "ID"])).await.unwrap()
}

/// Sends a `BLPOP` that blocks for 10 s and waits until the server runs it: a request
/// in flight for as long as the check needs.
async fn blpop_in_flight<R: Runtime>(client: &Client<R>, server: &RedisServer) -> Request {
    let blpop = client.request(&cmd(&["BLPOP", "reconnect:nothing", "10"]));
    let started = Instant::now();
    while !server.command(&["CLIENT", "LIST"]).contains("cmd=blpop") {
        assert!(
            started.elapsed() < BOUND,
            "the BLPOP never reached the server"
        );
        sleep::<R>(POLL).await;
    }
    blpop
}

/// The connection is killed (`CLIENT KILL`) while a `BLPOP` is in flight: the `BLPOP`
/// fails with the close reason, and the next call succeeds on a new connection.
pub async fn reconnect_after_client_kill<R: Runtime>(server: &RedisServer) {
    let client = Client::<R>::open(&server.url())
        .await
        .unwrap()
        .with_reconnect(quick(5));
    let old_id = client_id(&client).await;
    let blpop = blpop_in_flight(&client, server).await;
    let Frame::Integer(id) = old_id else {
        panic!("CLIENT ID answered {old_id:?}");
    };
    assert_eq!(
        server.command(&["CLIENT", "KILL", "ID", &id.to_string()]),
        ":1"
    );
    match blpop.await {
        Err(Error::Request(RequestError::Closed(CloseReason::Eof))) => {}
        other => panic!("the in-flight BLPOP ended with {other:?}"),
    }
    let new_id = client_id(&client).await;
    assert_ne!(
        new_id, old_id,
        "the call after the kill ran on a new connection"
    );
    assert!(!client.is_closed());
    assert_eq!(
        client.request(&cmd(&["ECHO", "again"])).await.unwrap(),
        Frame::bulk("again")
    );
}

/// The server goes down for a while: calls made meanwhile wait, and go out once it is
/// back.
pub async fn calls_wait_while_the_server_restarts<R: Runtime>(server: &RedisServer) {
    let client = Client::<R>::open(&server.url())
        .await
        .unwrap()
        .with_reconnect(quick(100));
    client.request(&cmd(&["SET", "k", "before"])).await.unwrap();
    server.kill();
    // Long enough for the driver to see the loss and fail a few attempts.
    sleep::<R>(Duration::from_millis(300)).await;
    let set = client.request(&cmd(&["SET", "k", "after"]));
    let get = client.request(&cmd(&["GET", "k"]));
    assert!(!client.is_closed(), "the client gave up too early");
    server.restart();
    assert_eq!(set.await.unwrap(), Frame::simple("OK"));
    assert_eq!(get.await.unwrap(), Frame::bulk("after"));
}

/// The server stays down: the request in flight fails at once, the client keeps
/// trying as the policy says, then gives up: waiting calls fail and the client closes
/// with the reason the connection was lost.
pub async fn reconnect_gives_up<R: Runtime>(server: &RedisServer) {
    // Three attempts 200 ms apart: the client is still trying for 400 ms after the loss.
    let policy = quick(3).delays(Duration::from_millis(200), Duration::from_millis(200));
    let client = Client::<R>::open(&server.url())
        .await
        .unwrap()
        .with_reconnect(policy);
    let blpop = blpop_in_flight(&client, server).await;
    server.kill();
    match blpop.await {
        Err(Error::Request(RequestError::Closed(CloseReason::Eof))) => {}
        other => panic!("the in-flight BLPOP ended with {other:?}"),
    }
    assert!(!client.is_closed(), "the client gave up without trying");
    // Waits for the attempts, then fails with the loss's reason.
    match client.request(&cmd(&["PING"])).await {
        Err(Error::Closed(CloseReason::Eof)) => {}
        other => panic!("a call while giving up gave {other:?}"),
    }
    assert!(client.is_closed());
    assert_eq!(client.close_reason(), Some(CloseReason::Eof));
    server.restart();
    // Closed for good: later calls fail at once, server or not.
    match client.request(&cmd(&["PING"])).await {
        Err(Error::Closed(CloseReason::Eof)) => {}
        other => panic!("a call after giving up gave {other:?}"),
    }
}

/// Kills the client's connection (`CLIENT KILL`) and waits, bounded, until the client
/// has noticed, without calling it meanwhile.
pub(crate) async fn kill_and_wait_until_closed<R: Runtime>(
    client: &Client<R>,
    server: &RedisServer,
) {
    let Frame::Integer(id) = client_id(client).await else {
        panic!("CLIENT ID is an integer");
    };
    assert_eq!(
        server.command(&["CLIENT", "KILL", "ID", &id.to_string()]),
        ":1"
    );
    let started = Instant::now();
    while !client.is_closed() {
        assert!(started.elapsed() < BOUND, "the loss was never noticed");
        sleep::<R>(POLL).await;
    }
}

/// Without a policy nothing changes: the loss closes the client for good.
pub async fn no_policy_no_reconnect<R: Runtime>(server: &RedisServer) {
    let client = Client::<R>::open(&server.url()).await.unwrap();
    kill_and_wait_until_closed(&client, server).await;
    match client.request(&cmd(&["PING"])).await {
        Err(Error::Closed(CloseReason::Eof)) => {}
        other => panic!("a call after the loss gave {other:?}"),
    }
}

/// [`Client::close`] while the client reconnects stops the attempts: the calls waiting
/// for the new connection fail with [`CloseReason::Local`].
pub async fn close_stops_reconnecting<R: Runtime>(server: &RedisServer) {
    let client = Client::<R>::open(&server.url())
        .await
        .unwrap()
        .with_reconnect(quick(1000));
    let blpop = blpop_in_flight(&client, server).await;
    server.kill();
    assert!(blpop.await.is_err());
    let waiting = client.request(&cmd(&["PING"]));
    sleep::<R>(Duration::from_millis(100)).await;
    assert!(!client.is_closed(), "the client gave up on its own");
    client.close();
    match waiting.await {
        Err(Error::Closed(CloseReason::Local)) => {}
        other => panic!("a call waiting for the new connection gave {other:?}"),
    }
    assert_eq!(client.close_reason(), Some(CloseReason::Local));
}
