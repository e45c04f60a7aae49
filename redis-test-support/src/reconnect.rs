//! Checks of the multiplexed client's reconnection, run by each runtime's tests.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use redis_io_async::{Client, Error, Reconnect, Runtime};
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, RequestError, SendError, ServerErrorKind};

use crate::{RawConnection, RedisServer, StallProxy, cmd, tcp_config};

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

/// Sends a `BLPOP` that blocks for 10 s on the shared connection (in a pipeline: a
/// blocking command sent alone would go to a side connection) and waits until the
/// server runs it: a request in flight for as long as the check needs.
async fn blpop_in_flight<R: Runtime>(
    client: &Client<R>,
    server: &RedisServer,
) -> impl Future<Output = Result<Frame, Error>> + use<R> {
    let blpop = client.pipeline(&[cmd(&["BLPOP", "reconnect:nothing", "10"])]);
    let started = Instant::now();
    while !server.command(&["CLIENT", "LIST"]).contains("cmd=blpop") {
        assert!(
            started.elapsed() < BOUND,
            "the BLPOP never reached the server"
        );
        sleep::<R>(POLL).await;
    }
    async move {
        let mut outcomes = blpop.await?;
        assert_eq!(outcomes.len(), 1);
        outcomes.remove(0).map_err(Error::Request)
    }
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

/// `Client::stats` counts requests, timeouts and reconnects over every connection the
/// client used.
pub async fn stats_are_summed_over_reconnects<R: Runtime>(server: &RedisServer) {
    let config = tcp_config(server).with_response_timeout(Duration::from_millis(200));
    let client = Client::<R>::connect(config)
        .await
        .unwrap()
        .with_reconnect(quick(5));
    assert_eq!(client.stats().requests, 0);
    for _ in 0..10 {
        client.request(&cmd(&["PING"])).await.unwrap();
    }
    // One request times out: the server sleeps past the deadline.
    match client.request(&cmd(&["DEBUG", "SLEEP", "0.5"])).await {
        Err(Error::Request(RequestError::Timeout)) => {}
        other => panic!("DEBUG SLEEP past the deadline gave {other:?}"),
    }
    // Its late reply comes once the server wakes, and is dropped.
    sleep::<R>(Duration::from_millis(500)).await;
    let before = client.stats();
    assert_eq!(
        (before.requests, before.timeouts, before.reconnects),
        (11, 1, 0),
        "{before:?}"
    );
    // Killed: the next connection's requests add to the old one's.
    let Frame::Integer(id) = client_id(&client).await else {
        panic!("CLIENT ID is an integer");
    };
    server.command(&["CLIENT", "KILL", "ID", &id.to_string()]);
    wait_until_answering(&client).await;
    for _ in 0..5 {
        client.request(&cmd(&["PING"])).await.unwrap();
    }
    let after = client.stats();
    assert_eq!(after.reconnects, 1, "{after:?}");
    assert_eq!(after.timeouts, 1, "{after:?}");
    assert!(
        after.requests > before.requests + 1 + 5,
        "CLIENT ID, the PINGs after the kill and at least one to see the server: {after:?}"
    );
    assert_eq!(after.in_flight, 0, "{after:?}");
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

/// A call that returns `Ok` once the server answers again, polled every 50 ms within
/// [`BOUND`]: the client is back.
async fn wait_until_answering<R: Runtime>(client: &Client<R>) {
    let started = Instant::now();
    loop {
        match client.request(&cmd(&["PING"])).await {
            Ok(reply) => {
                assert_eq!(reply, Frame::simple("PONG"));
                return;
            }
            Err(error) => assert!(
                started.elapsed() < BOUND,
                "the client never answered again: {error:?}"
            ),
        }
        sleep::<R>(Duration::from_millis(50)).await;
    }
}

/// Fault A: with a 500 ms response timeout, a call made while the client reconnects
/// (the server is down) times out at its own deadline, counted from when it was made,
/// instead of waiting for the server; once the server is back, calls succeed again.
pub async fn calls_time_out_while_reconnecting<R: Runtime>(server: &RedisServer) {
    let config = tcp_config(server).with_response_timeout(Duration::from_millis(500));
    let client = Client::<R>::connect(config)
        .await
        .unwrap()
        .with_reconnect(quick(1000));
    client.request(&cmd(&["PING"])).await.unwrap();
    server.kill();
    // Long enough for the driver to see the loss and fail a few attempts.
    sleep::<R>(Duration::from_millis(300)).await;
    let made = Instant::now();
    match client.request(&cmd(&["PING"])).await {
        Err(Error::Request(RequestError::Timeout)) => {}
        other => panic!("a call while the server is down gave {other:?}"),
    }
    let waited = made.elapsed();
    assert!(
        waited >= Duration::from_millis(450) && waited < Duration::from_secs(3),
        "the call timed out after {waited:?}, not at its 500 ms deadline"
    );
    assert!(!client.is_closed(), "the client gave up too early");
    server.restart();
    wait_until_answering(&client).await;
}

/// Fault B: the client's password is changed and its connection killed. The new
/// connection's `WRONGPASS` is permanent: the client stops reconnecting at once and
/// calls fail with the typed authentication error, not after the policy's attempts
/// with `Eof`.
pub async fn a_refused_password_stops_reconnecting<R: Runtime>(server: &RedisServer) {
    let url = format!("redis://app:old@127.0.0.1:{}", server.port());
    let client = Client::<R>::open(&url)
        .await
        .unwrap()
        .with_reconnect(quick(10).delays(Duration::from_millis(500), Duration::from_secs(1)));
    let Frame::Integer(id) = client_id(&client).await else {
        panic!("CLIENT ID is an integer");
    };
    // The password changes and the connection dies in one step, so that no attempt
    // can slip in between with the old password.
    let mut admin = RawConnection::connect(server.addr()).unwrap();
    admin.command(&["MULTI"]);
    admin.command(&["ACL", "SETUSER", "app", "resetpass", ">new"]);
    admin.command(&["CLIENT", "KILL", "ID", &id.to_string()]);
    admin.command(&["EXEC"]);
    let started = Instant::now();
    let error = loop {
        match client.request(&cmd(&["PING"])).await {
            Err(Error::Closed(reason)) => break reason,
            // Sent before the client saw the loss.
            Err(Error::Request(RequestError::Closed(CloseReason::Eof))) => {}
            other => panic!("a call after the password changed gave {other:?}"),
        }
        assert!(started.elapsed() < BOUND, "the client never gave up");
    };
    match &error {
        CloseReason::Auth(refusal) => assert_eq!(refusal.kind(), &ServerErrorKind::WrongPass),
        other => panic!("the client closed with {other:?}, not the authentication error"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "gave up after {:?}: the refusal was retried",
        started.elapsed()
    );
    assert_eq!(client.close_reason(), Some(error));
}

/// Fault B, transient: the server is full ("max number of clients reached") when the
/// client reconnects. That may pass, so the client keeps trying; a call waiting
/// meanwhile fails at its deadline with the server's own refusal (not sent), and once
/// a place is free the client is back.
pub async fn a_full_server_is_retried_and_its_refusal_shown<R: Runtime>(server: &RedisServer) {
    let config = tcp_config(server).with_response_timeout(Duration::from_millis(500));
    let client = Client::<R>::connect(config)
        .await
        .unwrap()
        .with_reconnect(quick(1000));
    let Frame::Integer(id) = client_id(&client).await else {
        panic!("CLIENT ID is an integer");
    };
    let mut admin = RawConnection::connect(server.addr()).unwrap();
    admin.command(&["MULTI"]);
    admin.command(&["CONFIG", "SET", "maxclients", "1"]);
    admin.command(&["CLIENT", "KILL", "ID", &id.to_string()]);
    admin.command(&["EXEC"]);
    sleep::<R>(Duration::from_millis(300)).await;
    let started = Instant::now();
    let refusal = loop {
        match client.request(&cmd(&["PING"])).await {
            Err(Error::Request(RequestError::NotSent(reason))) => break reason,
            // Sent before the client saw the loss, or timed out before any refusal.
            Err(Error::Request(RequestError::Closed(_) | RequestError::Timeout)) => {}
            other => panic!("a call while the server is full gave {other:?}"),
        }
        assert!(started.elapsed() < BOUND, "no call saw the refusal");
    };
    match &refusal {
        CloseReason::Handshake(error) => assert!(
            error.message_lossy().contains("max number of clients"),
            "{error:?}"
        ),
        other => panic!("the refusal is {other:?}"),
    }
    assert!(
        !client.is_closed(),
        "a full server is not a reason to give up"
    );
    admin.command(&["CONFIG", "SET", "maxclients", "10000"]);
    drop(admin);
    wait_until_answering(&client).await;
}

/// Fault C: the network path stops forwarding mid-stream (a proxy that goes silent).
/// The call in flight times out; with nothing arriving for the stall grace after it,
/// the client drops the connection and opens a new one, and calls succeed again.
pub async fn a_stalled_connection_is_replaced<R: Runtime>(server: &RedisServer) {
    let proxy = StallProxy::start(server.addr());
    let config: redis_sansio::config::ConnectionConfig = proxy.url().parse().unwrap();
    let client = Client::<R>::connect(config.with_response_timeout(Duration::from_millis(300)))
        .await
        .unwrap()
        .with_reconnect(quick(100).stall_grace(Duration::from_millis(300)));
    client.request(&cmd(&["PING"])).await.unwrap();
    assert_eq!(proxy.accepted(), 1);
    proxy.freeze();
    match client.request(&cmd(&["ECHO", "lost"])).await {
        Err(Error::Request(RequestError::Timeout)) => {}
        other => panic!("a call on the stalled path gave {other:?}"),
    }
    wait_until_answering(&client).await;
    assert_eq!(
        proxy.accepted(),
        2,
        "the stalled connection was replaced once"
    );
    assert!(!client.is_closed());
}

/// Fault D: `CLIENT TRACKING` would be lost on a reconnect and its pushes reach no
/// caller, so the shared client refuses it (as it refuses `SELECT`); the connection
/// stays usable.
pub async fn tracking_is_refused_on_the_shared_client<R: Runtime>(server: &RedisServer) {
    let client = Client::<R>::open(&server.url())
        .await
        .unwrap()
        .with_reconnect(quick(5));
    for args in [
        &["CLIENT", "TRACKING", "on"][..],
        &["CLIENT", "TRACKING", "on", "BCAST"],
        &["CLIENT", "CACHING", "yes"],
        &["CLIENT", "REPLY", "OFF"],
    ] {
        match client.request(&cmd(args)).await {
            Err(Error::Send(SendError::Shared { .. })) => {}
            other => panic!("{args:?} gave {other:?}"),
        }
    }
    wait_until_answering(&client).await;
}

/// 64 tasks call the client while the server is killed and restarted: every call
/// gets exactly one outcome, no call hangs, and no caller gets another's value.
pub async fn many_tasks_through_a_restart<R: Runtime>(server: &RedisServer) {
    const TASKS: usize = 64;
    const CALLS: usize = 40;
    let config = tcp_config(server).with_response_timeout(Duration::from_secs(2));
    let client = Client::<R>::connect(config)
        .await
        .unwrap()
        .with_reconnect(quick(1000));
    let tasks = (0..TASKS).map(|task| {
        let client = client.clone();
        async move {
            let (mut ok, mut failed) = (0, 0);
            for call in 0..CALLS {
                let value = format!("{task}-{call}");
                match client.request(&cmd(&["ECHO", &value])).await {
                    Ok(reply) => {
                        assert_eq!(reply, Frame::bulk(value), "another caller's reply");
                        ok += 1;
                    }
                    Err(Error::Request(
                        RequestError::Closed(_) | RequestError::Timeout | RequestError::NotSent(_),
                    )) => failed += 1,
                    Err(other) => panic!("unexpected error {other:?}"),
                }
                sleep::<R>(Duration::from_millis(5)).await;
            }
            (ok, failed)
        }
    });
    let mut tasks: Vec<_> = tasks.map(Box::pin).collect();
    let mut results: Vec<Option<(usize, usize)>> = vec![None; TASKS];
    let mut restart = Box::pin(async {
        sleep::<R>(Duration::from_millis(50)).await;
        server.kill();
        sleep::<R>(Duration::from_millis(300)).await;
        server.restart();
    });
    let mut restarted = false;
    poll_fn(|cx| {
        if !restarted {
            restarted = restart.as_mut().poll(cx).is_ready();
        }
        for (task, result) in tasks.iter_mut().zip(results.iter_mut()) {
            if result.is_none() {
                if let Poll::Ready(done) = task.as_mut().poll(cx) {
                    *result = Some(done);
                }
            }
        }
        match restarted && results.iter().all(Option::is_some) {
            true => Poll::Ready(()),
            false => Poll::Pending,
        }
    })
    .await;
    let (ok, failed) = results
        .into_iter()
        .flatten()
        .fold((0, 0), |(ok, failed), (o, f)| (ok + o, failed + f));
    assert_eq!(ok + failed, TASKS * CALLS, "one outcome per call");
    assert!(ok > 0 && failed < TASKS * CALLS, "ok {ok}, failed {failed}");
    wait_until_answering(&client).await;
}

/// A blocking command sent with `request` runs on a side connection: a `PING` made
/// while a `BLPOP` waits is answered at once, and the `BLPOP` gets the pushed value.
pub async fn blocking_commands_hold_up_no_one<R: Runtime>(server: &RedisServer) {
    let client = Client::<R>::open(&server.url()).await.unwrap();
    let mut blpop = Box::pin(client.request(&cmd(&["BLPOP", "side:q", "5"])));
    // Polled once, so that it starts; then wait until the server runs it.
    let _ = poll_fn(|cx| Poll::Ready(blpop.as_mut().poll(cx).is_ready())).await;
    let started = Instant::now();
    while !server.command(&["CLIENT", "LIST"]).contains("cmd=blpop") {
        assert!(
            started.elapsed() < BOUND,
            "the BLPOP never reached the server"
        );
        let _ = poll_fn(|cx| Poll::Ready(blpop.as_mut().poll(cx).is_ready())).await;
        sleep::<R>(POLL).await;
    }
    assert_eq!(
        client.request(&cmd(&["PING"])).await.unwrap(),
        Frame::simple("PONG")
    );
    let pending = poll_fn(|cx| Poll::Ready(blpop.as_mut().poll(cx).is_pending())).await;
    assert!(pending, "the PING waited for the BLPOP");
    client
        .request(&cmd(&["RPUSH", "side:q", "x"]))
        .await
        .unwrap();
    let reply = blpop.await.unwrap();
    assert_eq!(
        reply,
        Frame::Array(vec![Frame::bulk("side:q"), Frame::bulk("x")])
    );
    // The side connection was kept: a second blocking call reuses it.
    client
        .request(&cmd(&["RPUSH", "side:q", "y"]))
        .await
        .unwrap();
    client
        .request(&cmd(&["BLPOP", "side:q", "1"]))
        .await
        .unwrap();
    let clients = server.command(&["CLIENT", "LIST"]);
    assert_eq!(clients.matches("id=").count(), 3, "{clients}");
}

/// The connection is lost with a read and a write on the wire (both sent while the
/// server sleeps, then it is killed): the read cannot change data, so it goes out
/// again on the new connection and its caller gets a reply; the write may have run,
/// so it fails as an unknown outcome and is not sent twice.
pub async fn reads_are_sent_again_after_a_loss<R: Runtime>(server: &RedisServer) {
    let (read, write) = lost_on_the_wire::<R>(server, quick(1000)).await;
    // The restarted server has no data (no persistence): the read's reply is nil.
    assert_eq!(read.unwrap(), Frame::Null);
    match write {
        Err(Error::Request(error)) => assert!(error.is_unknown_outcome(), "{error:?}"),
        other => panic!("the write in flight gave {other:?}"),
    }
    assert_eq!(
        server.command(&["GET", "resend:n"]),
        "(nil)",
        "the write was not sent again"
    );
}

/// As [`reads_are_sent_again_after_a_loss`], with a policy that resends writes
/// (`Reconnect::resend_writes(true)`): the write goes out again too, once.
pub async fn writes_are_sent_again_when_asked<R: Runtime>(server: &RedisServer) {
    let (read, write) = lost_on_the_wire::<R>(server, quick(1000).resend_writes(true)).await;
    assert_eq!(read.unwrap(), Frame::Null);
    assert_eq!(write.unwrap(), Frame::Integer(1));
    assert_eq!(server.command(&["GET", "resend:n"]), "1", "sent again once");
}

/// A `GET` and an `INCR` on the wire of a client with `policy` when the server dies
/// (they are sent while it sleeps, then it is killed and restarted): their outcomes.
async fn lost_on_the_wire<R: Runtime>(
    server: &RedisServer,
    policy: Reconnect,
) -> (Result<Frame, Error>, Result<Frame, Error>) {
    let client = Client::<R>::open(&server.url())
        .await
        .unwrap()
        .with_reconnect(policy);
    client
        .request(&cmd(&["SET", "resend:k", "v"]))
        .await
        .unwrap();
    let addr = server.addr();
    let sleeper = std::thread::spawn(move || {
        if let Ok(mut admin) = RawConnection::connect(addr) {
            // Ends with the kill; its reply does not matter.
            let _ = admin.try_command(&["DEBUG", "SLEEP", "2"]);
        }
    });
    sleep::<R>(Duration::from_millis(200)).await;
    let read = client.request(&cmd(&["GET", "resend:k"]));
    let write = client.request(&cmd(&["INCR", "resend:n"]));
    // Both are on the wire: the server reads them once it wakes, which it never does.
    sleep::<R>(Duration::from_millis(200)).await;
    server.kill();
    server.restart();
    let outcomes = (read.await, write.await);
    sleeper.join().unwrap();
    outcomes
}

/// One test per check of this module for runtime `$runtime`, each against a server of
/// its own (they kill it); `$block_on` runs a check to completion.
#[macro_export]
macro_rules! reconnect_tests {
    ($runtime:ty, $block_on:path) => {
        $crate::reconnect_tests!(@each $runtime, $block_on, [
            reconnect_after_client_kill,
            calls_wait_while_the_server_restarts,
            reconnect_gives_up,
            no_policy_no_reconnect,
            close_stops_reconnecting,
            calls_time_out_while_reconnecting,
            a_full_server_is_retried_and_its_refusal_shown,
            a_stalled_connection_is_replaced,
            tracking_is_refused_on_the_shared_client,
            many_tasks_through_a_restart,
            blocking_commands_hold_up_no_one,
            reads_are_sent_again_after_a_loss,
            writes_are_sent_again_when_asked,
            stats_are_summed_over_reconnects,
        ]);
        #[test]
        fn a_refused_password_stops_reconnecting() {
            let server = $crate::RedisServer::builder().acl_user("app", "old").start();
            $block_on($crate::reconnect::bounded::<$runtime, _>(
                $crate::reconnect::a_refused_password_stops_reconnecting::<$runtime>(&server),
            ));
        }
    };
    (@each $runtime:ty, $block_on:path, [$($check:ident),* $(,)?]) => {
        $(
            #[test]
            fn $check() {
                let server = $crate::RedisServer::start();
                $block_on($crate::reconnect::bounded::<$runtime, _>(
                    $crate::reconnect::$check::<$runtime>(&server),
                ));
            }
        )*
    };
}
