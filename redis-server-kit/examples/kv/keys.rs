//! Key commands: `DEL`, `EXISTS`, `TYPE`, `EXPIRE`, `PEXPIRE`, `TTL`, `PTTL`,
//! `PERSIST`, `DBSIZE`, `FLUSHDB`, `KEYS`.

use std::time::{Duration, Instant};

use bytes::Bytes;
use redis_sansio::resp::Frame;
use redis_server_kit::Reply;

use crate::args::int;
use crate::glob;
use crate::keyspace::Db;

pub(crate) fn del(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    Frame::Integer(args.iter().filter(|key| db.remove(key, now)).count() as i64).into()
}

pub(crate) fn exists(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    Frame::Integer(args.iter().filter(|key| db.get(key, now).is_some()).count() as i64).into()
}

pub(crate) fn type_of(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    let name = db
        .get(&args[0], now)
        .map_or("none", |e| e.value.type_name());
    Frame::simple(name).into()
}

/// `EXPIRE` (seconds) and `PEXPIRE` (milliseconds): a time not in the future
/// deletes the key, as in Redis.
fn expire(db: &mut Db, now: Instant, args: &[Bytes], unit: Duration) -> Reply {
    let amount = match int(&args[1]) {
        Ok(n) => n,
        Err(error) => return error,
    };
    if amount <= 0 {
        return Frame::Integer(db.remove(&args[0], now) as i64).into();
    }
    let Some(after) = unit.checked_mul(u32::try_from(amount).unwrap_or(u32::MAX)) else {
        return Reply::error("ERR invalid expire time in 'expire' command");
    };
    match db.get_mut(&args[0], now) {
        Some(entry) => {
            entry.expires = now.checked_add(after);
            Frame::Integer(1).into()
        }
        None => Frame::Integer(0).into(),
    }
}

pub(crate) fn expire_seconds(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    expire(db, now, args, Duration::from_secs(1))
}

pub(crate) fn expire_millis(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    expire(db, now, args, Duration::from_millis(1))
}

/// `TTL` and `PTTL`: -2 for a missing key, -1 without expiry.
fn ttl(db: &mut Db, now: Instant, key: &[u8], in_millis: bool) -> Reply {
    let left = match db.get(key, now) {
        None => -2,
        Some(entry) => match entry.expires {
            None => -1,
            Some(at) => {
                let left = at.saturating_duration_since(now);
                if in_millis {
                    left.as_millis() as i64
                } else {
                    // Rounded as Redis rounds: to the nearest second.
                    ((left.as_millis() + 500) / 1000) as i64
                }
            }
        },
    };
    Frame::Integer(left).into()
}

pub(crate) fn ttl_seconds(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    ttl(db, now, &args[0], false)
}

pub(crate) fn ttl_millis(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    ttl(db, now, &args[0], true)
}

pub(crate) fn persist(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    let removed = db
        .get_mut(&args[0], now)
        .and_then(|entry| entry.expires.take())
        .is_some();
    Frame::Integer(removed as i64).into()
}

pub(crate) fn dbsize(db: &mut Db, _: Instant, _: &[Bytes]) -> Reply {
    Frame::Integer(db.len() as i64).into()
}

pub(crate) fn flushdb(db: &mut Db, _: Instant, _: &[Bytes]) -> Reply {
    db.clear();
    Reply::ok()
}

pub(crate) fn keys(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    let pattern = &args[0];
    let keys = db.keys(now, |key| glob::matches(pattern, key));
    Frame::Array(keys.into_iter().map(Frame::BulkString).collect()).into()
}
