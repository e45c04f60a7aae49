//! What the application-cache tests share: a herd entry that is logically expired.
#![allow(dead_code)]

use std::time::Duration;

use redis_client::Bytes;
use redis_client::app_cache::HerdCache;
use redis_client::prelude::*;

/// Stores `old` under `key` with a 1 ms TTL, and waits (bounded) until it is
/// logically expired: its Redis key has less than `herd_timeout` left.
pub(crate) fn expired_entry(
    conn: &mut redis_io_sync::Connection,
    herd: &HerdCache,
    herd_timeout: Duration,
    key: &str,
) {
    herd.set(
        &mut *conn,
        key,
        &Bytes::from("old"),
        Duration::from_millis(1),
    )
    .unwrap();
    let redis_key = herd.cache().redis_key(key);
    for _ in 0..2000 {
        let left: i64 = conn.pttl(&redis_key).unwrap();
        if left >= 0 && (left as u128) < herd_timeout.as_millis() {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("the entry never expired logically");
}
