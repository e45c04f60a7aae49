//! Checks of the multiplexed client when a call is alone on its connection and so
//! drives it itself (the call writes its commands, its future reads the reply), run
//! by each runtime's tests with the driver spawned as usual.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use redis_io_async::{Client, Runtime};
use redis_sansio::CloseReason;
use redis_sansio::resp::Frame;

use crate::{RedisServer, cmd};

/// A call made alone and kept, not polled, holds up only itself: a later call goes
/// out and is answered, and the kept one still gets its own reply afterwards.
pub async fn a_kept_future_holds_up_only_itself<R: Runtime>(server: &RedisServer) {
    let client = Client::<R>::open(&server.url()).await.unwrap();
    let set = client.request(&cmd(&["SET", "alone:kept", "v"])).await;
    assert_eq!(set.unwrap(), Frame::simple("OK"));
    // Alone on the idle connection: sent now, and its reply is for its future to read.
    // Polled once, so that it is the one woken for the socket, then kept.
    let mut kept = client.request(&cmd(&["DEBUG", "SLEEP", "0.2"]));
    let polled = poll_fn(|cx| Poll::Ready(Pin::new(&mut kept).poll(cx))).await;
    assert!(polled.is_pending(), "DEBUG SLEEP answered at once");
    let other = client.request(&cmd(&["ECHO", "other"])).await;
    assert_eq!(other.unwrap(), Frame::bulk("other"));
    assert_eq!(kept.await.unwrap(), Frame::simple("OK"));
    let get = client.request(&cmd(&["GET", "alone:kept"])).await;
    assert_eq!(get.unwrap(), Frame::bulk("v"));
}

/// The server closes the connection while the client is idle, after calls that drove
/// it themselves: the client notices without being called (the driver task is woken
/// for the socket once the last call is done).
pub async fn a_close_while_idle_is_noticed<R: Runtime>(server: &RedisServer) {
    let client = Client::<R>::open(&server.url()).await.unwrap();
    for _ in 0..3 {
        assert_eq!(
            client.request(&cmd(&["PING"])).await.unwrap(),
            Frame::simple("PONG")
        );
    }
    crate::reconnect::kill_and_wait_until_closed(&client, server).await;
    assert_eq!(client.close_reason(), Some(CloseReason::Eof));
}

/// A call alone on the connection that is too large for the socket to take at once
/// (32 MiB) goes out in full while its future is kept unpolled: what the socket did
/// not take is left to the driver task. Its future then gets every outcome.
pub async fn a_large_unpolled_call_goes_out_in_full<R: Runtime>(server: &RedisServer) {
    const KEYS: usize = 128;
    let client = Client::<R>::open(&server.url()).await.unwrap();
    let value = "v".repeat(256 * 1024);
    let keys: Vec<String> = (0..KEYS).map(|n| format!("alone:large:{n}")).collect();
    let cmds: Vec<_> = keys.iter().map(|key| cmd(&["SET", key, &value])).collect();
    let kept = client.pipeline(&cmds);
    let started = Instant::now();
    while server.command(&["EXISTS", &keys[KEYS - 1]]) != ":1" {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the rest of the call was never sent"
        );
        R::sleep_until(Instant::now() + Duration::from_millis(10)).await;
    }
    let outcomes = kept.await.unwrap();
    assert_eq!(outcomes.len(), KEYS);
    for outcome in outcomes {
        assert_eq!(outcome.unwrap(), Frame::simple("OK"));
    }
}
