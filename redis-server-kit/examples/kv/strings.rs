//! String commands: `GET`, `SET` (with `EX`, `PX`, `NX`, `XX`, `KEEPTTL`, `GET`),
//! `MGET`, `MSET`, `SETNX`, `INCR` and friends, `APPEND`, `STRLEN`, `GETDEL`.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use redis_sansio::resp::Frame;
use redis_server_kit::Reply;

use crate::args::{int, not_integer, wrong_type};
use crate::keyspace::{Db, Entry, Value, owned};

/// What a string lookup found.
fn string(db: &mut Db, key: &[u8], now: Instant) -> Result<Option<Bytes>, Reply> {
    match db.get(key, now).map(|e| &e.value) {
        None => Ok(None),
        Some(Value::Str(data)) => Ok(Some(data.clone())),
        Some(_) => Err(wrong_type()),
    }
}

fn bulk_or_null(value: Option<Bytes>) -> Reply {
    value.map_or(Frame::NullBulk, Frame::BulkString).into()
}

pub(crate) fn get(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    string(db, &args[0], now).map_or_else(|e| e, bulk_or_null)
}

pub(crate) fn getdel(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    match string(db, &args[0], now) {
        Ok(value) => {
            db.remove(&args[0], now);
            bulk_or_null(value)
        }
        Err(error) => error,
    }
}

pub(crate) fn set(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    let (key, value) = (&args[0], &args[1]);
    let (mut expires, mut nx, mut xx, mut keep_ttl, mut get) = (None, false, false, false, false);
    let mut options = args[2..].iter();
    while let Some(option) = options.next() {
        let upper = option.to_ascii_uppercase();
        match &upper[..] {
            b"NX" if !xx => nx = true,
            b"XX" if !nx => xx = true,
            b"GET" => get = true,
            b"KEEPTTL" if expires.is_none() => keep_ttl = true,
            b"EX" | b"PX" if expires.is_none() && !keep_ttl => {
                let Some(amount) = options.next() else {
                    return Reply::error("ERR syntax error");
                };
                let amount = match int(amount) {
                    Ok(n) if n > 0 => n as u64,
                    Ok(_) => return Reply::error("ERR invalid expire time in 'set' command"),
                    Err(error) => return error,
                };
                let duration = if &upper[..] == b"EX" {
                    Duration::from_secs(amount)
                } else {
                    Duration::from_millis(amount)
                };
                expires = Some(now + duration);
            }
            _ => return Reply::error("ERR syntax error"),
        }
    }
    let old = match db.get(key, now) {
        None => None,
        Some(Entry {
            value: Value::Str(data),
            expires,
        }) => Some((data.clone(), *expires)),
        Some(_) if get => return wrong_type(),
        Some(e) => Some((Bytes::new(), e.expires)),
    };
    let exists = old.is_some();
    let reply = if get {
        bulk_or_null(old.as_ref().map(|(data, _)| data.clone()))
    } else {
        Reply::ok()
    };
    if (nx && exists) || (xx && !exists) {
        return if get { reply } else { Frame::NullBulk.into() };
    }
    let expires = if keep_ttl {
        old.and_then(|(_, at)| at)
    } else {
        expires
    };
    db.insert(
        key,
        Entry {
            value: Value::Str(owned(value)),
            expires,
        },
    );
    reply
}

pub(crate) fn setnx(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    if db.get(&args[0], now).is_some() {
        return Frame::Integer(0).into();
    }
    db.set(&args[0], Value::Str(owned(&args[1])));
    Frame::Integer(1).into()
}

pub(crate) fn mget(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    let values = args.iter().map(|key| match string(db, key, now) {
        Ok(Some(data)) => Frame::BulkString(data),
        _ => Frame::NullBulk,
    });
    Frame::Array(values.collect()).into()
}

pub(crate) fn mset(db: &mut Db, _: Instant, args: &[Bytes]) -> Reply {
    if args.len() % 2 != 0 {
        return Reply::wrong_arity("mset");
    }
    for pair in args.chunks_exact(2) {
        db.set(&pair[0], Value::Str(owned(&pair[1])));
    }
    Reply::ok()
}

/// `INCR`, `DECR`, `INCRBY`, `DECRBY`: `sign` is 1 or -1; the amount is 1 or the
/// second argument.
fn add(db: &mut Db, now: Instant, key: &Bytes, delta: i64) -> Reply {
    let current = match string(db, key, now) {
        Ok(None) => 0,
        Ok(Some(data)) => match int(&data) {
            Ok(n) => n,
            Err(error) => return error,
        },
        Err(error) => return error,
    };
    let Some(sum) = current.checked_add(delta) else {
        return Reply::error("ERR increment or decrement would overflow");
    };
    let text = Bytes::from(sum.to_string());
    match db.get_mut(key, now) {
        Some(entry) => entry.value = Value::Str(text),
        None => db.set(key, Value::Str(text)),
    }
    Frame::Integer(sum).into()
}

pub(crate) fn incr(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    add(db, now, &args[0], 1)
}

pub(crate) fn decr(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    add(db, now, &args[0], -1)
}

pub(crate) fn incrby(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    int(&args[1]).map_or_else(|e| e, |delta| add(db, now, &args[0], delta))
}

pub(crate) fn decrby(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    match int(&args[1]).map(i64::checked_neg) {
        Ok(Some(delta)) => add(db, now, &args[0], delta),
        Ok(None) => not_integer(),
        Err(error) => error,
    }
}

pub(crate) fn append(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    let joined = match string(db, &args[0], now) {
        Ok(old) => {
            let mut joined = BytesMut::from(&old.unwrap_or_default()[..]);
            joined.extend_from_slice(&args[1]);
            joined.freeze()
        }
        Err(error) => return error,
    };
    let len = joined.len() as i64;
    match db.get_mut(&args[0], now) {
        Some(entry) => entry.value = Value::Str(joined),
        None => db.set(&args[0], Value::Str(joined)),
    }
    Frame::Integer(len).into()
}

pub(crate) fn strlen(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    string(db, &args[0], now).map_or_else(
        |e| e,
        |value| Frame::Integer(value.map_or(0, |v| v.len() as i64)).into(),
    )
}
