//! The multiplexed client on tokio when a call is alone on the connection and drives
//! it itself: the shared checks of `redis_test_support::alone`, and a call made where
//! it cannot drive (outside any tokio runtime).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use redis_io_tokio::{Client, Tokio};
use redis_sansio::resp::Frame;
use redis_test_support::reconnect::bounded;
use redis_test_support::{RedisServer, alone, cmd, tcp_config as tcp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_future_holds_up_only_itself() {
    let server = RedisServer::start();
    bounded::<Tokio, _>(alone::a_kept_future_holds_up_only_itself::<Tokio>(&server)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_unpolled_call_goes_out_in_full() {
    let server = RedisServer::start();
    bounded::<Tokio, _>(alone::a_large_unpolled_call_goes_out_in_full::<Tokio>(
        &server,
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_while_idle_is_noticed() {
    let server = RedisServer::start();
    bounded::<Tokio, _>(alone::a_close_while_idle_is_noticed::<Tokio>(&server)).await;
}

/// Runs `future` on this thread, outside any runtime, parking between polls; gives up
/// after `limit`.
fn block_on_plain_thread<T>(future: impl Future<Output = T>, limit: Duration) -> T {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Arc::new(Unpark(thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    let started = Instant::now();
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        let left = limit.checked_sub(started.elapsed());
        thread::park_timeout(left.expect("the call took longer than its limit"));
    }
}

/// Calls made on a thread outside the runtime cannot drive tokio's sockets and timers
/// (a timer is armed for the response timeout): they leave the driving to the driver
/// task and are answered all the same.
#[test]
fn calls_from_outside_the_runtime_leave_the_driving_to_the_task() {
    let server = RedisServer::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut config = tcp(&server);
    config.response_timeout = Some(Duration::from_secs(5));
    let client = runtime.block_on(Client::connect(config)).unwrap();
    let outside = thread::spawn(move || {
        for n in 0..3 {
            // Slow enough that the reply is waited for, with the timer armed.
            let sleep = client.request(&cmd(&["DEBUG", "SLEEP", "0.02"]));
            let reply = block_on_plain_thread(sleep, Duration::from_secs(20));
            assert_eq!(reply.unwrap(), Frame::simple("OK"));
            let echo = n.to_string();
            let reply = block_on_plain_thread(
                client.request(&cmd(&["ECHO", &echo])),
                Duration::from_secs(20),
            );
            assert_eq!(reply.unwrap(), Frame::bulk(echo.into_bytes()));
        }
    });
    outside
        .join()
        .expect("the calls from outside the runtime failed");
}
