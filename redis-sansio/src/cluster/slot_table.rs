//! The slot table: for each of the 16384 slots, a small index into the shards that
//! serve slots, and for each shard its primary and replicas as node handles.

use super::event::NodeId;
use super::slot::SLOT_COUNT;
use super::topology::SlotRange;

/// A slot-table entry for a slot no shard serves.
const NO_SHARD: u16 = u16::MAX;

/// A shard as the slot table points at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ShardEntry {
    pub(super) primary: NodeId,
    pub(super) replicas: Vec<NodeId>,
}

/// 16384 two-byte shard indices (32 KiB) and the shards they point at.
#[derive(Debug, Clone)]
pub(super) struct SlotTable {
    shards: Vec<ShardEntry>,
    /// For each slot, an index into `shards`, or [`NO_SHARD`].
    slots: Box<[u16]>,
}

impl Default for SlotTable {
    fn default() -> Self {
        SlotTable {
            shards: Vec::new(),
            slots: vec![NO_SHARD; usize::from(SLOT_COUNT)].into_boxed_slice(),
        }
    }
}

impl SlotTable {
    /// The shard serving `slot`, if any.
    pub(super) fn shard(&self, slot: u16) -> Option<&ShardEntry> {
        let index = *self.slots.get(usize::from(slot))?;
        self.shards.get(usize::from(index))
    }

    /// Every shard that serves (or, after a `MOVED`, was given) slots.
    pub(super) fn shards(&self) -> &[ShardEntry] {
        &self.shards
    }

    /// Replaces the whole table: each shard with its slot ranges. Shards beyond what
    /// the index can number are left out (a parsed topology assigns each slot once,
    /// so it has at most 16384 shards with slots).
    pub(super) fn replace(&mut self, shards: Vec<(ShardEntry, &[SlotRange])>) {
        self.slots.fill(NO_SHARD);
        self.shards.clear();
        for (entry, ranges) in shards {
            let Ok(index) = u16::try_from(self.shards.len()) else {
                break;
            };
            if index == NO_SHARD {
                break;
            }
            for range in ranges {
                for slot in range.start..=range.end {
                    if let Some(cell) = self.slots.get_mut(usize::from(slot)) {
                        *cell = index;
                    }
                }
            }
            self.shards.push(entry);
        }
    }

    /// Routes `slot` to the shard whose primary is `node`, adding a shard entry for it
    /// if there is none (the primary's replicas are learnt at the next refresh).
    pub(super) fn assign(&mut self, slot: u16, node: NodeId) {
        let index = match self.shards.iter().position(|s| s.primary == node) {
            Some(index) => index,
            None if self.shards.len() < usize::from(NO_SHARD) => {
                self.shards.push(ShardEntry {
                    primary: node,
                    replicas: Vec::new(),
                });
                self.shards.len() - 1
            }
            None => return,
        };
        if let (Some(cell), Ok(index)) =
            (self.slots.get_mut(usize::from(slot)), u16::try_from(index))
        {
            *cell = index;
        }
    }
}
