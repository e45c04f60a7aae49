//! The multiplexed client with its driver polled by the test itself
//! (`Client::connect_unspawned`) instead of `tokio::spawn`: under a `LocalSet`,
//! joined with the work, and dropped early.

use std::future::Future;
use std::time::Duration;

use redis_io_tokio::{Client, ClientDriver, Error};
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, RequestError};
use redis_test_support::{RedisServer, cmd, echo_task, tcp_config as tcp, unix_config as unix};

async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), future)
        .await
        .expect("test took longer than 30 s")
}

/// Compile-time check: the driver can go to any executor, `tokio::spawn` included.
#[allow(dead_code)]
fn driver_is_send_and_static(driver: ClientDriver) {
    fn send_static<T: Future<Output = ()> + Send + Unpin + 'static>(_: T) {}
    send_static(driver);
}

#[tokio::test]
async fn the_driver_and_64_tasks_share_a_local_set() {
    let server = RedisServer::start();
    let local = tokio::task::LocalSet::new();
    local
        .run_until(bounded(async {
            for config in [tcp(&server), unix(&server)] {
                let (client, driver) = Client::connect_unspawned(config).await.unwrap();
                let driver = tokio::task::spawn_local(driver);
                let tasks: Vec<_> = (0..64)
                    .map(|task| tokio::task::spawn_local(echo_task(client.clone(), task)))
                    .collect();
                for task in tasks {
                    task.await.unwrap();
                }
                // The last handle gone and nothing outstanding: the driver finishes.
                drop(client);
                driver.await.unwrap();
            }
        }))
        .await;
}

#[tokio::test]
async fn the_driver_joined_with_the_work() {
    let server = RedisServer::start();
    bounded(async {
        let (client, driver) = Client::open_unspawned(&server.url()).await.unwrap();
        let work = async move {
            let tasks = (0..64).map(|task| echo_task(client.clone(), task));
            futures_join_all(tasks).await;
            // Dropping the client lets the driver finish, so the join completes.
        };
        tokio::join!(driver, work);
    })
    .await;
}

/// Polls every future in turn on this task (no spawning) until all are done.
async fn futures_join_all<F: Future<Output = ()>>(futures: impl Iterator<Item = F>) {
    let mut futures: Vec<_> = futures.map(Box::pin).map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for slot in &mut futures {
            if let Some(future) = slot {
                if future.as_mut().poll(cx).is_ready() {
                    *slot = None;
                } else {
                    pending = true;
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
}

/// A sent request and a queued one wait on a driver that is polled for a while, then
/// dropped: both fail with the local close, and so does every later call.
#[tokio::test]
async fn dropping_a_partly_polled_driver_fails_every_call() {
    let server = RedisServer::start();
    bounded(async {
        let (client, mut driver) = Client::connect_unspawned(tcp(&server)).await.unwrap();
        // Alone on the idle connection, the sleep goes out as it is made; the PING,
        // made while the sleep is in flight, is left to the driver.
        let sleeping = client.request(&cmd(&["DEBUG", "SLEEP", "0.5"]));
        let sent = client.request(&cmd(&["PING"]));
        // Polled long enough to send the PING, far from long enough for its reply.
        let polled = tokio::time::timeout(Duration::from_millis(50), &mut driver).await;
        assert!(polled.is_err(), "the driver finished early");
        let queued = client.request(&cmd(&["PING"]));
        let queued_pipeline = client.pipeline(&[cmd(&["PING"]), cmd(&["PING"])]);
        drop(driver);
        for on_the_wire in [sleeping, sent] {
            assert!(matches!(
                on_the_wire.await,
                Err(Error::Request(RequestError::Closed(CloseReason::Local)))
            ));
        }
        assert!(matches!(
            queued.await,
            Err(Error::Closed(CloseReason::Local))
        ));
        assert!(matches!(
            queued_pipeline.await,
            Err(Error::Closed(CloseReason::Local))
        ));
        assert_eq!(client.close_reason(), Some(CloseReason::Local));
        assert!(matches!(
            client.request(&cmd(&["PING"])).await,
            Err(Error::Closed(CloseReason::Local))
        ));
    })
    .await;
}

/// A driver that is never polled: a call alone on the idle connection is sent as it
/// is made and its own future reads the reply; calls made while one is in flight wait
/// for the driver, and dropping it, here from another thread, fails them and every
/// later call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_an_unpolled_driver_fails_every_call() {
    let server = RedisServer::start();
    bounded(async {
        let (client, driver) = Client::connect_unspawned(unix(&server)).await.unwrap();
        assert_eq!(
            client.request(&cmd(&["SET", "alone", "1"])).await.unwrap(),
            Frame::simple("OK")
        );
        let sleeping = client.request(&cmd(&["DEBUG", "SLEEP", "0.2"]));
        let queued = client.request(&cmd(&["SET", "never-sent", "1"]));
        let other = client.clone();
        let waiting = tokio::spawn(async move { other.request(&cmd(&["PING"])).await });
        // The spawned call is queued and waits for a driver nobody polls.
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        tokio::task::spawn_blocking(move || drop(driver))
            .await
            .unwrap();
        assert!(matches!(
            sleeping.await,
            Err(Error::Request(RequestError::Closed(CloseReason::Local)))
        ));
        assert!(matches!(
            queued.await,
            Err(Error::Closed(CloseReason::Local))
        ));
        assert!(matches!(
            waiting.await.unwrap(),
            Err(Error::Closed(CloseReason::Local))
        ));
        assert!(matches!(
            client.pipeline(&[cmd(&["PING"])]).await,
            Err(Error::Closed(CloseReason::Local))
        ));
        // Only the call that was alone went out.
        assert_eq!(server.command(&["EXISTS", "alone"]), ":1");
        assert_eq!(server.command(&["EXISTS", "never-sent"]), ":0");
    })
    .await;
}
