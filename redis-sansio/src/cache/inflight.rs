//! The in-flight race: reads on the wire, by key, with a generation that an
//! invalidation of the key moves on.

use std::collections::HashMap;

use bytes::Bytes;

/// Reads of one key on the wire.
#[derive(Debug)]
struct Reads {
    /// How many.
    count: u32,
    /// The generation they were sent under; an invalidation of the key moves it on,
    /// so their replies no longer match it.
    generation: u64,
}

/// The keys with reads on the wire.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    reads: HashMap<Bytes, Reads>,
    /// The last generation handed out.
    generation: u64,
}

impl InFlight {
    /// A read of `key` is being sent: returns the generation its reply must still
    /// find to be cached.
    pub(crate) fn begin(&mut self, key: &Bytes) -> u64 {
        let current = self.generation;
        let reads = self.reads.entry(key.clone()).or_insert(Reads {
            count: 0,
            generation: current,
        });
        reads.count += 1;
        reads.generation
    }

    /// The read sent under `generation` has its outcome: whether its key was not
    /// invalidated meanwhile (its reply may be cached).
    pub(crate) fn finish(&mut self, key: &[u8], generation: u64) -> bool {
        let Some(reads) = self.reads.get_mut(key) else {
            return false;
        };
        let unchanged = reads.generation == generation;
        reads.count -= 1;
        if reads.count == 0 {
            self.reads.remove(key);
        }
        unchanged
    }

    /// `key` changed: the replies of reads already on the wire may hold the old
    /// value, so they will not be cached. Reads sent from now on take the new
    /// generation.
    pub(crate) fn invalidate(&mut self, key: &[u8]) {
        if let Some(reads) = self.reads.get_mut(key) {
            self.generation += 1;
            reads.generation = self.generation;
        }
    }

    /// Forgets every read (the cache's epoch moved on, which already refuses their
    /// replies).
    pub(crate) fn clear(&mut self) {
        self.reads.clear();
    }

    /// How many keys have reads on the wire.
    pub(crate) fn keys(&self) -> usize {
        self.reads.len()
    }
}
