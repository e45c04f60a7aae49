//! The async pool against real servers, on tokio and on smol: many tasks on a few
//! connections, dropped `get()` futures, the checkout timeout, connections killed by
//! the server, the server down.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]
// Tests may read the clock and sleep; the core may not.
#![allow(clippy::disallowed_methods)]

mod common;

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

use redis_client::pool::exclusive::Pool;
use redis_client::pool::{PoolConfig, PoolError};
use redis_client::prelude::*;
use redis_client::{Error, cmd};
use redis_io_async::Runtime;
use redis_test_support::{RedisServer, tcp_config};

/// The client name every pooled connection gets, to count them in `CLIENT LIST`.
const NAME: &str = "asyncpooltest";

type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

fn pool<R: Runtime>(server: &RedisServer, config: PoolConfig) -> Pool<R> {
    Pool::new(tcp_config(server).with_client_name(NAME), config)
}

fn server_side_connections(addr: std::net::SocketAddr) -> usize {
    redis_test_support::command(addr, &["CLIENT", "LIST"])
        .lines()
        .filter(|line| line.contains(&format!("name={NAME} ")))
        .count()
}

/// Polls `future` once, with the caller's waker.
async fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *future).poll(cx))).await
}

fn assert_send<T: Send>(_: &T) {}

async fn sixty_four_tasks_share_four_connections<R: Runtime>(spawn: fn(Task) -> Task) {
    const TASKS: usize = 64;
    const INCRS: usize = 50;
    let server = RedisServer::start();
    let pool = pool::<R>(&server, PoolConfig::default().with_max_size(4));
    let get = pool.get();
    assert_send(&get);
    drop(get);
    // Watches the server's side from a thread while the tasks run.
    let done = Arc::new(AtomicBool::new(false));
    let most_seen = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let (done, most_seen, addr) = (done.clone(), most_seen.clone(), server.addr());
        let pool = pool.clone();
        thread::spawn(move || {
            for _ in 0..2_000 {
                if done.load(Ordering::SeqCst) {
                    break;
                }
                let seen = server_side_connections(addr).max(pool.status().size);
                most_seen.fetch_max(seen, Ordering::SeqCst);
                thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let tasks: Vec<Task> = (0..TASKS)
        .map(|_| {
            let pool = pool.clone();
            spawn(Box::pin(async move {
                for _ in 0..INCRS {
                    let mut conn = pool.get().await.expect("checkout");
                    let _: i64 = conn.incr("counter").await.expect("INCR");
                }
            }))
        })
        .collect();
    for task in tasks {
        task.await;
    }
    done.store(true, Ordering::SeqCst);
    watcher.join().expect("watcher");
    assert_eq!(server.command(&["GET", "counter"]), "3200");
    assert!(most_seen.load(Ordering::SeqCst) <= 4, "{most_seen:?}");
    assert!(server_side_connections(server.addr()) <= 4);
    let status = pool.status();
    assert_eq!((status.busy, status.waiting), (0, 0));
}

async fn dropped_waiting_get_gives_its_place_back<R: Runtime>() {
    let server = RedisServer::start();
    let pool = pool::<R>(&server, PoolConfig::default().with_max_size(1));
    let mut held = pool.get().await.expect("checkout");
    let id: i64 = held.execute(cmd::client_id()).await.expect("CLIENT ID");
    let mut first = Box::pin(pool.get());
    let mut second = Box::pin(pool.get());
    assert!(poll_once(&mut first).await.is_pending());
    assert!(poll_once(&mut second).await.is_pending());
    assert_eq!(pool.status().waiting, 2);
    // The first in line gives up: the connection goes to the second.
    drop(first);
    assert_eq!(pool.status().waiting, 1);
    drop(held);
    let mut conn = second.await.expect("granted");
    let again: i64 = conn.execute(cmd::client_id()).await.expect("CLIENT ID");
    assert_eq!(again, id);
    assert_eq!(pool.status().size, 1);
}

async fn dropped_get_gives_a_granted_connection_back<R: Runtime>() {
    let server = RedisServer::start();
    let pool = pool::<R>(&server, PoolConfig::default().with_max_size(1));
    let held = pool.get().await.expect("checkout");
    let mut waiting = Box::pin(pool.get());
    assert!(poll_once(&mut waiting).await.is_pending());
    drop(held); // granted to `waiting`, which never takes it
    assert_eq!(pool.status().busy, 1);
    drop(waiting);
    let status = pool.status();
    assert_eq!((status.idle, status.busy, status.waiting), (1, 0, 0));
    let mut conn = pool.get().await.expect("back in the pool");
    conn.ping().await.expect("PING");
}

async fn checkout_times_out_with_a_typed_error<R: Runtime>() {
    let server = RedisServer::start();
    let timeout = Duration::from_millis(200);
    let pool = pool::<R>(
        &server,
        PoolConfig::default()
            .with_max_size(1)
            .with_checkout_timeout(Some(timeout)),
    );
    let held = pool.get().await.expect("checkout");
    let start = Instant::now();
    let error = pool.get().await.expect_err("all busy");
    let waited = start.elapsed();
    assert!(
        matches!(
            error,
            Error::Pool(PoolError::CheckoutTimeout { max_size: 1, .. })
        ),
        "{error:?}"
    );
    assert!(
        waited >= timeout && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    drop(held);
    pool.get().await.expect("free again");
}

async fn killed_connection_is_replaced_on_next_checkout<R: Runtime>() {
    let server = RedisServer::start();
    let pool = pool::<R>(&server, PoolConfig::default().with_max_size(1));
    let first: i64 = {
        let mut conn = pool.get().await.expect("checkout");
        conn.execute(cmd::client_id()).await.expect("CLIENT ID")
    };
    server.command(&["CLIENT", "KILL", "ID", &first.to_string()]);
    // Give the runtime's reactor a turn to see the close: tokio's sockets report
    // readiness from it, so a close that arrived since it last ran is not seen yet.
    R::sleep_until(Instant::now() + Duration::from_millis(50)).await;
    let mut conn = pool.get().await.expect("checkout");
    let second: i64 = conn.execute(cmd::client_id()).await.expect("CLIENT ID");
    assert_ne!(first, second);
}

async fn server_down_fails_fast_with_the_connect_error<R: Runtime>() {
    let server = RedisServer::start();
    let pool = pool::<R>(&server, PoolConfig::default().with_max_size(2));
    server.kill();
    let start = Instant::now();
    for _ in 0..4 {
        let error = pool.get().await.expect_err("server down");
        assert!(matches!(error, Error::Connect { .. }), "{error:?}");
    }
    assert!(start.elapsed() < Duration::from_secs(10));
    server.restart();
    let mut conn = pool.get().await.expect("back up");
    conn.ping().await.expect("PING");
}

async fn dropped_get_while_opening_leaves_the_open_to_the_next_caller<R: Runtime>() {
    // A peer that accepts connections (the kernel's backlog does) but never answers,
    // so an open stays in its handshake until the connect timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let config = redis_sansio::config::ConnectionConfig::new(
        redis_sansio::config::ServerAddr::tcp("127.0.0.1", port),
    )
    .with_connect_timeout(Duration::from_millis(200));
    let pool = Pool::<R>::new(config, PoolConfig::default().with_max_size(1));
    let mut opening = Box::pin(pool.get());
    assert!(poll_once(&mut opening).await.is_pending());
    let status = pool.status();
    assert_eq!((status.opening, status.waiting), (1, 1), "{status:?}");
    drop(opening);
    let status = pool.status();
    assert_eq!(
        (status.size, status.opening, status.waiting),
        (1, 1, 0),
        "{status:?}"
    );
    // The next caller takes the open over; it fails, and so does the caller's own.
    let start = Instant::now();
    let error = pool.get().await.expect_err("no answer");
    assert_eq!(
        error.close_reason(),
        Some(&redis_sansio::CloseReason::HandshakeTimeout),
        "{error:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(pool.status().size, 0);
}

fn tokio_block_on<F: Future>(future: F) -> F::Output {
    common::tokio_runtime().block_on(future)
}

fn tokio_spawn(task: Task) -> Task {
    let handle = tokio::spawn(task);
    Box::pin(async move { handle.await.expect("task") })
}

fn smol_spawn(task: Task) -> Task {
    Box::pin(smol::spawn(task))
}

macro_rules! on_runtime {
    ($name:ident, $runtime:ty, $block_on:path, $spawn:path) => {
        mod $name {
            use super::*;

            #[test]
            fn sixty_four_tasks_share_four_connections() {
                $block_on(super::sixty_four_tasks_share_four_connections::<$runtime>(
                    $spawn,
                ));
            }

            #[test]
            fn dropped_waiting_get_gives_its_place_back() {
                $block_on(super::dropped_waiting_get_gives_its_place_back::<$runtime>());
            }

            #[test]
            fn dropped_get_gives_a_granted_connection_back() {
                $block_on(super::dropped_get_gives_a_granted_connection_back::<$runtime>());
            }

            #[test]
            fn checkout_times_out_with_a_typed_error() {
                $block_on(super::checkout_times_out_with_a_typed_error::<$runtime>());
            }

            #[test]
            fn killed_connection_is_replaced_on_next_checkout() {
                $block_on(super::killed_connection_is_replaced_on_next_checkout::<
                    $runtime,
                >());
            }

            #[test]
            fn dropped_get_while_opening_leaves_the_open_to_the_next_caller() {
                $block_on(
                    super::dropped_get_while_opening_leaves_the_open_to_the_next_caller::<$runtime>(
                    ),
                );
            }

            #[test]
            fn server_down_fails_fast_with_the_connect_error() {
                $block_on(super::server_down_fails_fast_with_the_connect_error::<
                    $runtime,
                >());
            }
        }
    };
}

on_runtime!(on_tokio, redis_io_tokio::Tokio, tokio_block_on, tokio_spawn);
on_runtime!(
    on_smol,
    redis_io_async_std::smol::Smol,
    smol::block_on,
    smol_spawn
);
