//! Hash commands: `HSET`/`HMSET`, `HGET`, `HMGET`, `HDEL`, `HGETALL`, `HLEN`,
//! `HEXISTS`, `HINCRBY`, `HKEYS`, `HVALS`.

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;
use redis_sansio::resp::Frame;
use redis_server_kit::Reply;

use crate::args::{int, not_integer, wrong_type};
use crate::keyspace::{Db, Value, owned};

/// The hash at `key`; `Ok(None)` when missing.
fn hash<'a>(
    db: &'a mut Db,
    key: &[u8],
    now: Instant,
) -> Result<Option<&'a mut HashMap<Bytes, Bytes>>, Reply> {
    match db.get_mut(key, now).map(|e| &mut e.value) {
        None => Ok(None),
        Some(Value::Hash(hash)) => Ok(Some(hash)),
        Some(_) => Err(wrong_type()),
    }
}

/// The hash at `key`, created when missing.
fn hash_or_new<'a>(
    db: &'a mut Db,
    key: &Bytes,
    now: Instant,
) -> Result<&'a mut HashMap<Bytes, Bytes>, Reply> {
    hash(db, key, now)?;
    match &mut db.entry_or(key, now, || Value::Hash(HashMap::new())).value {
        Value::Hash(hash) => Ok(hash),
        _ => Err(wrong_type()),
    }
}

fn hset_pairs(db: &mut Db, now: Instant, args: &[Bytes], name: &str) -> Result<i64, Reply> {
    if args.len() < 3 || args.len() % 2 == 0 {
        return Err(Reply::wrong_arity(name));
    }
    let hash = hash_or_new(db, &args[0], now)?;
    let added = args[1..]
        .chunks_exact(2)
        .filter(|pair| hash.insert(owned(&pair[0]), owned(&pair[1])).is_none())
        .count();
    Ok(added as i64)
}

pub(crate) fn hset(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    hset_pairs(db, now, args, "hset").map_or_else(|e| e, |n| Frame::Integer(n).into())
}

pub(crate) fn hmset(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    hset_pairs(db, now, args, "hmset").map_or_else(|e| e, |_| Reply::ok())
}

pub(crate) fn hget(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    match hash(db, &args[0], now) {
        Ok(hash) => hash
            .and_then(|h| h.get(&args[1]).cloned())
            .map_or(Frame::NullBulk, Frame::BulkString)
            .into(),
        Err(error) => error,
    }
}

pub(crate) fn hmget(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    match hash(db, &args[0], now) {
        Ok(hash) => Frame::Array(
            args[1..]
                .iter()
                .map(|field| {
                    hash.as_ref()
                        .and_then(|h| h.get(field).cloned())
                        .map_or(Frame::NullBulk, Frame::BulkString)
                })
                .collect(),
        )
        .into(),
        Err(error) => error,
    }
}

pub(crate) fn hdel(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    let removed = match hash(db, &args[0], now) {
        Ok(Some(hash)) => args[1..]
            .iter()
            .filter(|f| hash.remove(*f).is_some())
            .count(),
        Ok(None) => 0,
        Err(error) => return error,
    };
    db.drop_if_empty(&args[0]);
    Frame::Integer(removed as i64).into()
}

pub(crate) fn hgetall(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    match hash(db, &args[0], now) {
        Ok(hash) => Frame::Map(
            hash.into_iter()
                .flatten()
                .map(|(f, v)| (Frame::BulkString(f.clone()), Frame::BulkString(v.clone())))
                .collect(),
        )
        .into(),
        Err(error) => error,
    }
}

/// `HKEYS` or `HVALS`.
fn column(db: &mut Db, now: Instant, key: &[u8], keys: bool) -> Reply {
    match hash(db, key, now) {
        Ok(hash) => Frame::Array(
            hash.into_iter()
                .flatten()
                .map(|(f, v)| Frame::BulkString(if keys { f.clone() } else { v.clone() }))
                .collect(),
        )
        .into(),
        Err(error) => error,
    }
}

pub(crate) fn hkeys(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    column(db, now, &args[0], true)
}

pub(crate) fn hvals(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    column(db, now, &args[0], false)
}

pub(crate) fn hlen(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    match hash(db, &args[0], now) {
        Ok(hash) => Frame::Integer(hash.map_or(0, |h| h.len() as i64)).into(),
        Err(error) => error,
    }
}

pub(crate) fn hexists(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    match hash(db, &args[0], now) {
        Ok(hash) => Frame::Integer(hash.is_some_and(|h| h.contains_key(&args[1])) as i64).into(),
        Err(error) => error,
    }
}

pub(crate) fn hincrby(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    let delta = match int(&args[2]) {
        Ok(delta) => delta,
        Err(error) => return error,
    };
    let hash = match hash_or_new(db, &args[0], now) {
        Ok(hash) => hash,
        Err(error) => return error,
    };
    let current = match hash.get(&args[1]).map(|v| int(v)) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return Reply::error("ERR hash value is not an integer"),
    };
    let Some(sum) = current.checked_add(delta) else {
        return not_integer();
    };
    hash.insert(owned(&args[1]), Bytes::from(sum.to_string()));
    Frame::Integer(sum).into()
}
