//! MONITOR as typed entries on a real server: a client's commands, with their
//! database, address and escaped arguments, and a script's commands from `lua`; on
//! the blocking monitor and the async one on tokio and smol.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

use std::time::Duration;

use bytes::Bytes;
use redis_client::monitor::{AsyncMonitor, Monitor, MonitorEntry};
use redis_test_support::{RawConnection, RedisServer};

const LONG: Option<Duration> = Some(Duration::from_secs(10));

/// Runs commands from a connection of its own: a SET with an argument that needs
/// escaping, in database 0; a GET in database 2; a script's SET.
fn run_commands(server: &RedisServer) -> String {
    let mut raw = RawConnection::connect(server.addr()).unwrap();
    assert_eq!(raw.command(&["CLIENT", "SETNAME", "watched"]), "+OK");
    assert_eq!(raw.command(&["SET", "mon:k", "a \"b\"\n\u{1}"]), "+OK");
    assert_eq!(raw.command(&["SELECT", "2"]), "+OK");
    assert_eq!(raw.command(&["GET", "mon:two"]), "(nil)");
    raw.command(&["EVAL", "return redis.call('SET', 'mon:lua', '1')", "0"]);
    assert_eq!(raw.command(&["ECHO", "done"]), "done");
    // The address the entries name: `addr=` in this connection's CLIENT INFO.
    let info = raw.command(&["CLIENT", "INFO"]);
    let addr = info
        .split(' ')
        .find_map(|field| field.strip_prefix("addr="))
        .expect("CLIENT INFO has addr=");
    addr.to_owned()
}

fn args(entry: &MonitorEntry) -> Vec<&[u8]> {
    entry.args.iter().map(Bytes::as_ref).collect()
}

/// Checks the entries up to the `ECHO done`, skipping what else the server ran.
fn check(entries: &[MonitorEntry], addr: &str) {
    let find = |command: &[&[u8]]| {
        entries
            .iter()
            .find(|entry| args(entry) == command)
            .unwrap_or_else(|| panic!("no entry {command:?} in {entries:#?}"))
    };
    let set = find(&[b"SET", b"mon:k", b"a \"b\"\n\x01"]);
    assert_eq!((set.db, set.client.as_str()), (0, addr));
    let get = find(&[b"GET", b"mon:two"]);
    assert_eq!((get.db, get.client.as_str()), (2, addr));
    assert!(get.time >= set.time, "in the order they ran");
    let lua = find(&[b"SET", b"mon:lua", b"1"]);
    assert_eq!((lua.db, lua.client.as_str()), (2, "lua"));
    // Wall-clock seconds since the epoch: after 2020.
    assert!(set.time > Duration::from_secs(1_577_836_800));
}

fn is_done(entry: &MonitorEntry) -> bool {
    args(entry) == [&b"ECHO"[..], b"done"]
}

#[test]
fn blocking_monitor_parses_what_the_server_runs() {
    let server = RedisServer::start();
    let mut monitor = Monitor::open(&server.url()).unwrap();
    let addr = run_commands(&server);
    let mut entries = Vec::new();
    while entries.last().is_none_or(|entry| !is_done(entry)) {
        assert!(entries.len() < 100, "no ECHO done in {entries:#?}");
        let entry = monitor.next_entry(LONG).unwrap().expect("an entry in time");
        entries.push(entry);
    }
    check(&entries, &addr);
    // The iterator form goes on from there; a killed connection ends it with the
    // error.
    let list = server.command(&["CLIENT", "LIST"]);
    let id = list
        .lines()
        .find(|line| line.contains("cmd=monitor"))
        .and_then(|line| line.split(' ').find_map(|field| field.strip_prefix("id=")))
        .unwrap_or_else(|| panic!("no monitoring client in {list}"));
    assert_eq!(server.command(&["CLIENT", "KILL", "ID", id]), ":1");
    let rest: Vec<_> = monitor.by_ref().take(100).collect();
    assert!(
        matches!(rest.last(), Some(Err(redis_client::Error::Closed(_)))),
        "{rest:?}"
    );
    assert!(monitor.next().is_none());
}

macro_rules! async_monitor {
    ($runtime:ty, $block_on:expr) => {{
        let server = RedisServer::start();
        $block_on(async {
            let mut monitor = AsyncMonitor::<$runtime>::open(&server.url()).await.unwrap();
            let addr = run_commands(&server);
            let mut entries = Vec::new();
            while entries.last().is_none_or(|entry| !is_done(entry)) {
                assert!(entries.len() < 100, "no ECHO done in {entries:#?}");
                let entry = monitor.next_entry(LONG).await.unwrap();
                entries.push(entry.expect("an entry in time"));
            }
            check(&entries, &addr);
            // The stream goes on: up to another command's entry.
            server.command(&["ECHO", "stream"]);
            for _ in 0..100 {
                let next = std::future::poll_fn(|cx| {
                    futures_core::Stream::poll_next(std::pin::Pin::new(&mut monitor), cx)
                })
                .await;
                let entry = next.expect("the stream goes on").unwrap();
                if args(&entry) == [&b"ECHO"[..], b"stream"] {
                    return;
                }
            }
            panic!("no ECHO stream entry");
        });
    }};
}

#[test]
fn async_monitor_on_tokio() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    async_monitor!(redis_io_tokio::Tokio, |f| runtime.block_on(f));
}

#[test]
fn async_monitor_on_smol() {
    async_monitor!(redis_io_async_std::smol::Smol, smol::block_on);
}
