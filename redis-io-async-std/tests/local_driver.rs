//! The multiplexed client with its driver polled by the test itself
//! (`Client::connect_unspawned`) instead of spawned on a global executor: on a
//! `smol::LocalExecutor`, joined with the work on async-std, and dropped early.
#![cfg(feature = "smol")]

use std::future::Future;
use std::time::Duration;

use futures_lite::future;
use redis_io_async_std::Error;
use redis_io_async_std::smol::{Client, ClientDriver};
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, RequestError};
use redis_test_support::{RedisServer, cmd, echo_task, tcp_config as tcp, unix_config as unix};

/// Fails the test instead of hanging when `future` takes more than 30 s.
async fn bounded<T>(future: impl Future<Output = T>) -> T {
    future::or(future, async {
        smol::Timer::after(Duration::from_secs(30)).await;
        panic!("test took longer than 30 s")
    })
    .await
}

/// Compile-time check: the driver can go to any executor, `smol::spawn` included.
#[allow(dead_code)]
fn driver_is_send_and_static(driver: ClientDriver) {
    fn send_static<T: Future<Output = ()> + Send + Unpin + 'static>(_: T) {}
    send_static(driver);
}

#[test]
fn the_driver_and_64_tasks_share_a_local_executor() {
    let server = RedisServer::start();
    let executor = smol::LocalExecutor::new();
    smol::block_on(executor.run(bounded(async {
        for config in [tcp(&server), unix(&server)] {
            let (client, driver) = Client::connect_unspawned(config).await.unwrap();
            let driver = executor.spawn(driver);
            let tasks: Vec<_> = (0..64)
                .map(|task| executor.spawn(echo_task(client.clone(), task)))
                .collect();
            for task in tasks {
                task.await;
            }
            // The last handle gone and nothing outstanding: the driver finishes.
            drop(client);
            driver.await;
        }
    })));
}

#[cfg(feature = "async-std")]
#[test]
fn the_driver_joined_with_the_work_on_async_std() {
    use redis_io_async_std::async_std::Client;

    let server = RedisServer::start();
    async_std::task::block_on(bounded(async {
        let (client, driver) = Client::open_unspawned(&server.url()).await.unwrap();
        let work = async move {
            let key = cmd(&["INCR", "local-driver-counter"]);
            let replies = future::zip(client.request(&key), client.request(&key)).await;
            assert_eq!(replies.0.unwrap(), Frame::Integer(1));
            assert_eq!(replies.1.unwrap(), Frame::Integer(2));
            // Dropping the client lets the driver finish, so the join completes.
        };
        future::zip(driver, work).await;
    }));
}

/// A sent request and a queued one wait on a driver that is polled for a while, then
/// dropped: both fail with the local close, and so does every later call.
#[test]
fn dropping_a_partly_polled_driver_fails_every_call() {
    let server = RedisServer::start();
    smol::block_on(bounded(async {
        let (client, mut driver) = Client::connect_unspawned(tcp(&server)).await.unwrap();
        // Alone on the idle connection, the sleep goes out as it is made; the PING,
        // made while the sleep is in flight, is left to the driver.
        let sleeping = client.request(&cmd(&["DEBUG", "SLEEP", "0.5"]));
        let sent = client.request(&cmd(&["PING"]));
        // Polled long enough to send the PING, far from long enough for its reply.
        future::or(&mut driver, async {
            smol::Timer::after(Duration::from_millis(50)).await;
        })
        .await;
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
        assert!(client.is_closed());
        assert_eq!(client.close_reason(), Some(CloseReason::Local));
        assert!(matches!(
            client.request(&cmd(&["PING"])).await,
            Err(Error::Closed(CloseReason::Local))
        ));
    }));
}

/// A driver that is never polled: a call alone on the idle connection is sent as it
/// is made and its own future reads the reply; calls made while one is in flight wait
/// for the driver, and dropping the driver fails them and every later call.
#[test]
fn dropping_an_unpolled_driver_fails_every_call() {
    let server = RedisServer::start();
    smol::block_on(bounded(async {
        let (client, driver) = Client::connect_unspawned(unix(&server)).await.unwrap();
        assert_eq!(
            client.request(&cmd(&["SET", "alone", "1"])).await.unwrap(),
            Frame::simple("OK")
        );
        let sleeping = client.request(&cmd(&["DEBUG", "SLEEP", "0.2"]));
        let queued = client.request(&cmd(&["SET", "never-sent", "1"]));
        let other = client.clone();
        let waiting = smol::spawn(async move { other.request(&cmd(&["PING"])).await });
        // The spawned call is queued and waits for a driver nobody polls.
        smol::Timer::after(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        drop(driver);
        assert!(matches!(
            sleeping.await,
            Err(Error::Request(RequestError::Closed(CloseReason::Local)))
        ));
        assert!(matches!(
            queued.await,
            Err(Error::Closed(CloseReason::Local))
        ));
        assert!(matches!(
            waiting.await,
            Err(Error::Closed(CloseReason::Local))
        ));
        assert!(matches!(
            client.pipeline(&[cmd(&["PING"])]).await,
            Err(Error::Closed(CloseReason::Local))
        ));
        // Only the call that was alone went out.
        assert_eq!(server.command(&["EXISTS", "alone"]), ":1");
        assert_eq!(server.command(&["EXISTS", "never-sent"]), ":0");
    }));
}
