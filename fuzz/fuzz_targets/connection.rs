//! Random operations on a `Connection`, driven by the fuzzer's bytes: sends,
//! transactions, arbitrary input bytes, timeouts, EOF and close. Checks that nothing
//! panics, every request gets exactly one outcome, and `Closed` comes exactly once,
//! last, after every pending request has failed.
#![no_main]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use redis_sansio::Cmd;
use redis_sansio::config::ConnectionConfig;
use redis_sansio::conn::{Connection, Event};

fuzz_target!(|data: &[u8]| {
    let mut now = Instant::now();
    let config = ConnectionConfig::default().with_response_timeout(Duration::from_millis(100));
    let mut conn = Connection::new(config, now);
    let mut open = HashSet::new();
    let mut closed = false;
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        match op % 8 {
            0 => {
                if let Ok(id) = conn.send(&Cmd::new("GET").arg("k"), now) {
                    open.insert(id);
                }
            }
            1 => {
                let name = [
                    "SUBSCRIBE",
                    "UNSUBSCRIBE",
                    "PSUBSCRIBE",
                    "MONITOR",
                    "BLPOP",
                    "PING",
                ][usize::from(op / 8) % 6];
                if let Ok(id) = conn.send(&Cmd::new(name).arg("c").arg("1"), now) {
                    open.insert(id);
                }
            }
            2 => {
                if let Ok(id) = conn.send_transaction(&[Cmd::new("INCR").arg("k")], now) {
                    open.insert(id);
                }
            }
            3 | 4 => {
                let n = usize::from(op / 8).min(rest.len());
                conn.handle_input(&rest[..n], now);
                rest = &rest[n..];
            }
            5 => {
                now += Duration::from_millis(u64::from(op));
                conn.handle_timeout(now);
            }
            6 => {
                let n = conn.transmit().len().min(usize::from(op));
                conn.advance_transmit(n);
            }
            _ => {
                if op > 250 {
                    conn.handle_eof(now);
                } else if op > 245 {
                    conn.close(now);
                }
            }
        }
        while let Some(event) = conn.poll_event() {
            assert!(!closed, "event after Closed: {event:?}");
            match event {
                Event::Reply { id, .. } => assert!(open.remove(&id), "second outcome for {id:?}"),
                Event::Closed(_) => {
                    assert!(open.is_empty(), "Closed with requests pending");
                    closed = true;
                }
                _ => {}
            }
        }
    }
    conn.handle_eof(now);
    while let Some(event) = conn.poll_event() {
        assert!(!closed, "event after Closed: {event:?}");
        match event {
            Event::Reply { id, .. } => assert!(open.remove(&id), "second outcome for {id:?}"),
            Event::Closed(_) => closed = true,
            _ => {}
        }
    }
    assert!(closed && open.is_empty());
});
