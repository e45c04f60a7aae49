//! The cached replies: a slab of entries on a least-recently-used list, found by
//! command (a hit) and by key (an invalidation), bounded by entries and bytes.

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;

use crate::resp::Frame;

/// "No entry" in the list links.
const NIL: u32 = u32::MAX;

/// One cached reply.
#[derive(Debug)]
struct Entry {
    /// The command's encoded arguments: what a lookup finds it by.
    cmd: Bytes,
    /// The key its reply depends on: what an invalidation finds it by.
    key: Bytes,
    reply: Frame,
    /// What it counts against the byte bound.
    size: usize,
    /// When it stops being served, if the cache has a TTL.
    expires: Option<Instant>,
    /// Toward the most recently used.
    prev: u32,
    /// Toward the least recently used.
    next: u32,
}

/// A lookup found an entry whose TTL had passed (and removed it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expired;

/// The entries, each on the recency list and in both indexes.
#[derive(Debug, Default)]
pub(crate) struct Store {
    slots: Vec<Option<Entry>>,
    free: Vec<u32>,
    /// Most recently used.
    head: u32,
    /// Least recently used: evicted first.
    tail: u32,
    by_cmd: HashMap<Bytes, u32>,
    by_key: HashMap<Bytes, Vec<u32>>,
    bytes: usize,
}

impl Store {
    pub(crate) fn new() -> Self {
        Store {
            head: NIL,
            tail: NIL,
            ..Store::default()
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.by_cmd.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The reply cached for `cmd`, made the most recently used; an entry whose TTL
    /// has passed is removed instead (`Err(Expired)`).
    #[inline]
    pub(crate) fn get(&mut self, cmd: &[u8], now: Instant) -> Result<Option<&Frame>, Expired> {
        let Some(&index) = self.by_cmd.get(cmd) else {
            return Ok(None);
        };
        let expired = self.entry(index).expires.is_some_and(|at| now >= at);
        if expired {
            self.remove(index);
            return Err(Expired);
        }
        if self.head != index {
            self.unlink(index);
            self.link_front(index);
        }
        Ok(Some(&self.entry(index).reply))
    }

    /// Stores `reply` for `cmd` (replacing an older one), then evicts the least
    /// recently used entries until at most `max_entries` and `max_bytes` are held.
    /// Returns how many were evicted; an entry bigger than `max_bytes` alone is not
    /// stored.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn insert(
        &mut self,
        cmd: Bytes,
        key: Bytes,
        reply: Frame,
        size: usize,
        expires: Option<Instant>,
        max_entries: usize,
        max_bytes: usize,
    ) -> u64 {
        if let Some(&old) = self.by_cmd.get(&cmd) {
            self.remove(old);
        }
        if size > max_bytes || max_entries == 0 {
            return 0;
        }
        let mut evicted = 0;
        while self.len() >= max_entries || self.bytes + size > max_bytes {
            if self.tail == NIL {
                break;
            }
            self.remove(self.tail);
            evicted += 1;
        }
        let entry = Entry {
            cmd: cmd.clone(),
            key: key.clone(),
            reply,
            size,
            expires,
            prev: NIL,
            next: NIL,
        };
        let index = match self.free.pop() {
            Some(index) => {
                self.slots[index as usize] = Some(entry);
                index
            }
            None => {
                self.slots.push(Some(entry));
                (self.slots.len() - 1) as u32
            }
        };
        self.link_front(index);
        self.by_cmd.insert(cmd, index);
        self.by_key.entry(key).or_default().push(index);
        self.bytes += size;
        evicted
    }

    /// Removes every entry whose reply depends on `key`; returns how many.
    pub(crate) fn remove_key(&mut self, key: &[u8]) -> u64 {
        let Some(indexes) = self.by_key.remove(key) else {
            return 0;
        };
        let count = indexes.len() as u64;
        for index in indexes {
            self.unindex_and_free(index);
        }
        count
    }

    /// Removes everything; returns how many entries there were.
    pub(crate) fn clear(&mut self) -> u64 {
        let count = self.len() as u64;
        *self = Store::new();
        count
    }

    fn entry(&self, index: u32) -> &Entry {
        self.slots[index as usize]
            .as_ref()
            .expect("indexes point at live entries")
    }

    fn entry_mut(&mut self, index: u32) -> &mut Entry {
        self.slots[index as usize]
            .as_mut()
            .expect("indexes point at live entries")
    }

    /// Removes one entry, from the key index too.
    fn remove(&mut self, index: u32) {
        let key = self.entry(index).key.clone();
        if let Some(indexes) = self.by_key.get_mut(&key) {
            indexes.retain(|&i| i != index);
            if indexes.is_empty() {
                self.by_key.remove(&key);
            }
        }
        self.unindex_and_free(index);
    }

    /// Unlinks an entry, drops it from the command index and frees its slot (the
    /// key index is the caller's).
    fn unindex_and_free(&mut self, index: u32) {
        self.unlink(index);
        if let Some(entry) = self.slots[index as usize].take() {
            self.by_cmd.remove(&entry.cmd);
            self.bytes -= entry.size;
            self.free.push(index);
        }
    }

    fn unlink(&mut self, index: u32) {
        let (prev, next) = {
            let entry = self.entry(index);
            (entry.prev, entry.next)
        };
        match prev {
            NIL => self.head = next,
            prev => self.entry_mut(prev).next = next,
        }
        match next {
            NIL => self.tail = prev,
            next => self.entry_mut(next).prev = prev,
        }
        let entry = self.entry_mut(index);
        entry.prev = NIL;
        entry.next = NIL;
    }

    fn link_front(&mut self, index: u32) {
        let head = self.head;
        {
            let entry = self.entry_mut(index);
            entry.prev = NIL;
            entry.next = head;
        }
        match head {
            NIL => self.tail = index,
            head => self.entry_mut(head).prev = index,
        }
        self.head = index;
    }
}

/// What an entry costs beyond its payload bytes: the entry itself, its slot, and
/// its places in the two indexes (an estimate of the hash tables' share).
pub const ENTRY_OVERHEAD: usize =
    std::mem::size_of::<Option<Entry>>() + 2 * (std::mem::size_of::<Bytes>() + 16) + 16;

/// The bytes an entry counts: its command, its key and its reply's payloads, plus
/// [`ENTRY_OVERHEAD`].
pub(crate) fn entry_size(cmd: &[u8], key: &[u8], reply: &Frame) -> usize {
    ENTRY_OVERHEAD + cmd.len() + key.len() + frame_size(reply)
}

/// The heap bytes a reply holds beyond its own `Frame`.
fn frame_size(frame: &Frame) -> usize {
    let items = |items: &[Frame]| -> usize {
        items
            .iter()
            .map(|item| std::mem::size_of::<Frame>() + frame_size(item))
            .sum()
    };
    let pairs = |pairs: &[(Frame, Frame)]| -> usize {
        pairs
            .iter()
            .map(|(k, v)| 2 * std::mem::size_of::<Frame>() + frame_size(k) + frame_size(v))
            .sum()
    };
    match frame {
        Frame::SimpleString(b)
        | Frame::SimpleError(b)
        | Frame::BulkString(b)
        | Frame::BulkError(b)
        | Frame::BigNumber(b) => b.len(),
        Frame::Verbatim { text, .. } => text.len(),
        Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => items(v),
        Frame::Map(m) => pairs(m),
        Frame::Attributed { attributes, value } => {
            pairs(attributes) + std::mem::size_of::<Frame>() + frame_size(value)
        }
        _ => 0,
    }
}
