//! One request at a time through a `Connection` in memory, many times: the program
//! behind the per-request cost figures of `docs/observability.md`. Count its
//! instructions with and without the `tracing` feature (no subscriber installed):
//!
//! ```sh
//! cargo build --release -p redis-sansio --example request_cost
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/request_cost
//! cargo build --release -p redis-sansio --features tracing --example request_cost
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/request_cost
//! ```
// The example starts its own clock; the core never reads one.
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

use redis_sansio::Cmd;
use redis_sansio::config::ConnectionConfig;
use redis_sansio::conn::{Connection, Event};

const HELLO_REPLY: &[u8] =
    b"%3\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.2.0\r\n$5\r\nproto\r\n:3\r\n";

fn main() {
    let requests: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let now = Instant::now();
    let config = ConnectionConfig::default()
        .with_lib_name(None)
        .with_lib_ver(None);
    let mut conn = Connection::new(config, now);
    let sent = conn.transmit().len();
    conn.advance_transmit(sent);
    conn.handle_input(HELLO_REPLY, now);
    assert!(matches!(conn.poll_event(), Some(Event::Connected { .. })));
    let get = Cmd::from_args(["GET", "key"]);
    let mut bytes = 0;
    for _ in 0..requests {
        let id = conn.send(&get, now).expect("sendable");
        let sent = conn.transmit().len();
        conn.advance_transmit(sent);
        conn.handle_input(b"$5\r\nvalue\r\n", now);
        match conn.poll_event() {
            Some(Event::Reply {
                id: got,
                result: Ok(frame),
            }) if got == id => {
                bytes += std::hint::black_box(frame)
                    .as_bytes()
                    .map_or(0, |b| b.len());
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(bytes as u64, 5 * requests);
}
