//! The exclusive async connection on tokio: what the conformance suite
//! (`conformance.rs`) cannot express, cancelling a call mid-flight.

use std::future::Future;
use std::time::Duration;

use redis_io_tokio::Connection;
use redis_sansio::Cmd;
use redis_sansio::resp::Frame;
use redis_test_support::RedisServer;
use redis_test_support::{cmd, tcp_config as tcp};

/// Every test is bounded: a hang is a failure, not a stuck CI run.
async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .expect("test took longer than 60 s")
}

#[tokio::test]
async fn a_cancelled_call_does_not_shift_replies() {
    let server = RedisServer::start();
    bounded(async {
        let mut conn = Connection::connect(tcp(&server)).await.unwrap();
        let sleep = cmd(&["DEBUG", "SLEEP", "0.2"]);
        let slow = conn.request(&sleep);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), slow)
                .await
                .is_err()
        );
        // A pipeline cut short too, mid-flight.
        let gets: Vec<Cmd> = (0..1000).map(|i| cmd(&["ECHO", &i.to_string()])).collect();
        let _ = tokio::time::timeout(Duration::from_millis(1), conn.pipeline(&gets)).await;
        for i in 0..20 {
            let value = format!("after-{i}");
            assert_eq!(
                conn.request(&cmd(&["ECHO", &value])).await.unwrap(),
                Frame::bulk(value)
            );
        }
    })
    .await;
}
