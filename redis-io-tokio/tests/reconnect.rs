//! The multiplexed client's reconnection on tokio: the shared checks of
//! `redis_test_support::reconnect`, each against a server of its own (they kill it).

use redis_io_tokio::Tokio;
use redis_test_support::RedisServer;
use redis_test_support::reconnect::{self, bounded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_after_client_kill() {
    let server = RedisServer::start();
    bounded::<Tokio, _>(reconnect::reconnect_after_client_kill::<Tokio>(&server)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_wait_while_the_server_restarts() {
    let server = RedisServer::start();
    bounded::<Tokio, _>(reconnect::calls_wait_while_the_server_restarts::<Tokio>(
        &server,
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_gives_up() {
    let server = RedisServer::start();
    bounded::<Tokio, _>(reconnect::reconnect_gives_up::<Tokio>(&server)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_policy_no_reconnect() {
    let server = RedisServer::start();
    bounded::<Tokio, _>(reconnect::no_policy_no_reconnect::<Tokio>(&server)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_stops_reconnecting() {
    let server = RedisServer::start();
    bounded::<Tokio, _>(reconnect::close_stops_reconnecting::<Tokio>(&server)).await;
}
