//! The data: databases of keys, each with a value and an optional expiry.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use bytes::Bytes;

/// A copy of `bytes` that owns its memory. Request arguments are slices of the
/// connection's read buffer; a value kept in the keyspace must not keep that whole
/// buffer alive (a list of a million three-byte elements would pin a million read
/// buffers).
pub(crate) fn owned(bytes: &[u8]) -> Bytes {
    Bytes::copy_from_slice(bytes)
}

/// A key's value.
pub(crate) enum Value {
    Str(Bytes),
    List(VecDeque<Bytes>),
    Hash(HashMap<Bytes, Bytes>),
}

impl Value {
    /// `TYPE`'s answer.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
        }
    }
}

/// A value and when it expires.
pub(crate) struct Entry {
    pub(crate) value: Value,
    pub(crate) expires: Option<Instant>,
}

/// One database. Expired keys are removed when touched (lazily), as Redis does
/// between its active expiry cycles.
#[derive(Default)]
pub(crate) struct Db {
    map: HashMap<Bytes, Entry>,
}

impl Db {
    /// The live entry of `key`; an expired one is removed first.
    pub(crate) fn get_mut(&mut self, key: &[u8], now: Instant) -> Option<&mut Entry> {
        if self
            .map
            .get(key)
            .is_some_and(|e| e.expires.is_some_and(|at| at <= now))
        {
            self.map.remove(key);
        }
        self.map.get_mut(key)
    }

    /// The live entry of `key`, for a read.
    pub(crate) fn get(&mut self, key: &[u8], now: Instant) -> Option<&Entry> {
        self.get_mut(key, now).map(|e| &*e)
    }

    /// Sets `key` to `value` without expiry (`SET` without options).
    pub(crate) fn set(&mut self, key: &[u8], value: Value) {
        self.insert(
            key,
            Entry {
                value,
                expires: None,
            },
        );
    }

    /// Inserts a whole entry.
    pub(crate) fn insert(&mut self, key: &[u8], entry: Entry) {
        self.map.insert(owned(key), entry);
    }

    /// Removes `key`; whether a live key was there.
    pub(crate) fn remove(&mut self, key: &[u8], now: Instant) -> bool {
        self.get_mut(key, now).is_some() && self.map.remove(key).is_some()
    }

    /// The entry of `key`, created with `make` when missing.
    pub(crate) fn entry_or(
        &mut self,
        key: &Bytes,
        now: Instant,
        make: impl FnOnce() -> Value,
    ) -> &mut Entry {
        if self.get_mut(key, now).is_none() {
            self.set(key, make());
        }
        self.map.get_mut(key).expect("just inserted")
    }

    /// Removes `key` if its list or hash became empty, as Redis does.
    pub(crate) fn drop_if_empty(&mut self, key: &[u8]) {
        let empty = match self.map.get(key).map(|e| &e.value) {
            Some(Value::List(list)) => list.is_empty(),
            Some(Value::Hash(hash)) => hash.is_empty(),
            _ => false,
        };
        if empty {
            self.map.remove(key);
        }
    }

    /// Keys, expired ones included until touched (as Redis's `DBSIZE`).
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Live keys matching `pattern`.
    pub(crate) fn keys(&self, now: Instant, matches: impl Fn(&[u8]) -> bool) -> Vec<Bytes> {
        self.map
            .iter()
            .filter(|(key, e)| e.expires.is_none_or(|at| at > now) && matches(key))
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Removes every key.
    pub(crate) fn clear(&mut self) {
        self.map.clear();
    }
}
