//! List commands: `LPUSH`, `RPUSH`, `LPOP`, `RPOP` (with a count), `LLEN`, `LRANGE`,
//! `LINDEX`.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use redis_sansio::resp::Frame;
use redis_server_kit::Reply;

use crate::args::{int, wrong_type};
use crate::keyspace::{Db, Value, owned};

/// The list at `key`, created when `create`; `Ok(None)` when missing.
fn list<'a>(
    db: &'a mut Db,
    key: &Bytes,
    now: Instant,
    create: bool,
) -> Result<Option<&'a mut VecDeque<Bytes>>, Reply> {
    let entry = if create {
        Some(db.entry_or(key, now, || Value::List(VecDeque::new())))
    } else {
        db.get_mut(key, now)
    };
    match entry.map(|e| &mut e.value) {
        None => Ok(None),
        Some(Value::List(list)) => Ok(Some(list)),
        Some(_) => Err(wrong_type()),
    }
}

fn push(db: &mut Db, now: Instant, args: &[Bytes], front: bool) -> Reply {
    // Check the type before creating anything.
    if let Err(error) = list(db, &args[0], now, false) {
        return error;
    }
    match list(db, &args[0], now, true) {
        Ok(Some(list)) => {
            for value in &args[1..] {
                if front {
                    list.push_front(owned(value));
                } else {
                    list.push_back(owned(value));
                }
            }
            Frame::Integer(list.len() as i64).into()
        }
        Ok(None) => Frame::Integer(0).into(),
        Err(error) => error,
    }
}

pub(crate) fn lpush(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    push(db, now, args, true)
}

pub(crate) fn rpush(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    push(db, now, args, false)
}

fn pop(db: &mut Db, now: Instant, args: &[Bytes], front: bool) -> Reply {
    let count = match args.get(1).map(|n| int(n)) {
        None => None,
        Some(Ok(n)) if n >= 0 => Some(n as usize),
        Some(Ok(_)) => return Reply::error("ERR value is out of range, must be positive"),
        Some(Err(error)) => return error,
    };
    let popped: Vec<Bytes> = match list(db, &args[0], now, false) {
        Ok(Some(list)) => {
            let n = count.unwrap_or(1).min(list.len());
            (0..n)
                .filter_map(|_| {
                    if front {
                        list.pop_front()
                    } else {
                        list.pop_back()
                    }
                })
                .collect()
        }
        Ok(None) => {
            return if count.is_some() {
                Frame::NullArray.into()
            } else {
                Frame::NullBulk.into()
            };
        }
        Err(error) => return error,
    };
    db.drop_if_empty(&args[0]);
    match count {
        Some(_) => Frame::Array(popped.into_iter().map(Frame::BulkString).collect()).into(),
        None => popped
            .into_iter()
            .next()
            .map_or(Frame::NullBulk, Frame::BulkString)
            .into(),
    }
}

pub(crate) fn lpop(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    pop(db, now, args, true)
}

pub(crate) fn rpop(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    pop(db, now, args, false)
}

pub(crate) fn llen(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    match list(db, &args[0], now, false) {
        Ok(list) => Frame::Integer(list.map_or(0, |l| l.len() as i64)).into(),
        Err(error) => error,
    }
}

/// A Redis index (negative from the end) into a list of `len`, clamped as LRANGE does.
fn index(i: i64, len: usize) -> i64 {
    if i < 0 { len as i64 + i } else { i }
}

pub(crate) fn lrange(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    let (start, stop) = match (int(&args[1]), int(&args[2])) {
        (Ok(start), Ok(stop)) => (start, stop),
        (Err(error), _) | (_, Err(error)) => return error,
    };
    match list(db, &args[0], now, false) {
        Ok(Some(list)) => {
            let len = list.len();
            let start = index(start, len).max(0);
            let stop = index(stop, len).min(len as i64 - 1);
            let items = if start > stop {
                Vec::new()
            } else {
                list.range(start as usize..=stop as usize)
                    .cloned()
                    .map(Frame::BulkString)
                    .collect()
            };
            Frame::Array(items).into()
        }
        Ok(None) => Frame::Array(Vec::new()).into(),
        Err(error) => error,
    }
}

pub(crate) fn lindex(db: &mut Db, now: Instant, args: &[Bytes]) -> Reply {
    let i = match int(&args[1]) {
        Ok(i) => i,
        Err(error) => return error,
    };
    match list(db, &args[0], now, false) {
        Ok(Some(list)) => {
            let i = index(i, list.len());
            usize::try_from(i)
                .ok()
                .and_then(|i| list.get(i).cloned())
                .map_or(Frame::NullBulk, Frame::BulkString)
                .into()
        }
        Ok(None) => Frame::NullBulk.into(),
        Err(error) => error,
    }
}
