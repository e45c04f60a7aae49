//! A write whose connection is lost after it was written: reported with an unknown
//! outcome and not sent again by `request`, sent again (and answered) by
//! `request_resending`, the caller's per-call opt-in. Blocking and tokio.
//!
//! The key's primary is paused for writes (`CLIENT PAUSE .. WRITE`), so the `INCR`
//! waits on the server unapplied; once the server shows it waiting, the client's
//! connection is killed (`CLIENT KILL`), which drops the waiting command. The
//! counter then says how many times the server ran it. Its own cluster, since it
//! pauses a primary.
#![cfg(feature = "sync")]

mod cluster_common;

use std::time::{Duration, Instant};

use redis_client::Error;
use redis_client::cluster::{ClusterClient, ClusterConnection};
use redis_client::resp::Frame;
use redis_io_tokio::Tokio;
use redis_sansio::Cmd;
use redis_sansio::cluster::key_slot;
use redis_test_support::RedisCluster;

use cluster_common as support;

const LIMIT: Duration = Duration::from_secs(20);

/// On a thread: pauses `owner` for writes, waits until a connection named `name`
/// is waiting there with `INCR`, and kills it.
fn pause_then_kill(owner: String, name: &'static str) -> std::thread::JoinHandle<()> {
    support::run(&owner, &["CLIENT", "PAUSE", "1000", "WRITE"]);
    std::thread::spawn(move || {
        let started = Instant::now();
        while !support::last_commands(std::slice::from_ref(&owner), name)
            .iter()
            .any(|cmd| cmd == "incr")
        {
            assert!(started.elapsed() < LIMIT, "the INCR never arrived");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(support::kill_named(&owner, name), 1);
    })
}

/// The counter on `owner`, once its pause is over.
fn counter(owner: &str, key: &str) -> i64 {
    support::run(owner, &["CLIENT", "UNPAUSE"]);
    match &support::run(owner, &["GET", key]) {
        Frame::Null => 0,
        Frame::BulkString(bytes) => std::str::from_utf8(bytes).unwrap().parse().unwrap(),
        other => panic!("{other:?}"),
    }
}

fn unknown_outcome(result: Result<Frame, Error>) -> bool {
    matches!(result, Err(Error::Request(error)) if error.is_unknown_outcome())
}

#[test]
fn a_lost_write_is_resent_only_when_the_caller_asks() {
    let cluster = RedisCluster::start();
    let seed = cluster.addrs()[0].to_string();

    // Blocking.
    let name = "resend-blocking";
    let urls = support::named_seeds(&cluster, name);
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let mut conn = ClusterConnection::open(&urls).unwrap();
    let key = "{resend-blocking}:n";
    let owner = support::owner(&seed, key_slot(key.as_bytes()));
    let incr = Cmd::new("INCR").arg(key);
    let killer = pause_then_kill(owner.clone(), name);
    assert!(unknown_outcome(conn.request(&incr)), "reported, not resent");
    killer.join().unwrap();
    assert_eq!(counter(&owner, key), 0, "the killed INCR never ran");
    let killer = pause_then_kill(owner.clone(), name);
    assert_eq!(conn.request_resending(&incr).unwrap(), Frame::Integer(1));
    killer.join().unwrap();
    assert_eq!(counter(&owner, key), 1, "ran once, on the new connection");

    // Tokio.
    let name = "resend-tokio";
    let key = "{resend-tokio}:n";
    let owner = support::owner(&seed, key_slot(key.as_bytes()));
    let incr = Cmd::new("INCR").arg(key);
    let urls = support::named_seeds(&cluster, name);
    support::on_tokio(async {
        let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
        let client = ClusterClient::<Tokio>::open(&urls).await.unwrap();
        // A first call opens the node's connection (named) before the pause.
        client.request(&Cmd::new("GET").arg(key)).await.unwrap();
        let killer = pause_then_kill(owner.clone(), name);
        assert!(unknown_outcome(client.request(&incr).await));
        killer.join().unwrap();
        assert_eq!(counter(&owner, key), 0);
        let killer = pause_then_kill(owner.clone(), name);
        assert_eq!(
            client.request_resending(&incr).await.unwrap(),
            Frame::Integer(1)
        );
        killer.join().unwrap();
        assert_eq!(counter(&owner, key), 1);
    });
}
