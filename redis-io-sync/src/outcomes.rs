//! Request outcomes waiting to be taken, keyed by request id without hashing.

use std::collections::VecDeque;

use redis_sansio::RequestError;
use redis_sansio::conn::RequestId;
use redis_sansio::resp::Frame;

/// The outcome of one request.
pub type Outcome = Result<Frame, RequestError>;

/// Outcomes that arrived but have not been taken yet.
///
/// Ids are handed out in increasing order and mostly taken in that order, so a ring of
/// slots starting at the oldest untaken id finds each in constant time.
#[derive(Debug, Default)]
pub(crate) struct Outcomes {
    /// The id of `slots[0]`.
    base: u64,
    slots: VecDeque<Slot>,
}

#[derive(Debug)]
enum Slot {
    Waiting,
    Ready(Outcome),
    Taken,
}

impl Outcomes {
    /// Stores the outcome of `id`.
    pub(crate) fn insert(&mut self, id: RequestId, outcome: Outcome) {
        let Some(index) = id.get().checked_sub(self.base) else {
            return; // already taken
        };
        let index = index as usize;
        while self.slots.len() <= index {
            self.slots.push_back(Slot::Waiting);
        }
        self.slots[index] = Slot::Ready(outcome);
    }

    /// Takes the outcome of `id`, if it has arrived.
    pub(crate) fn take(&mut self, id: RequestId) -> Option<Outcome> {
        let index = id.get().checked_sub(self.base)? as usize;
        let slot = self.slots.get_mut(index)?;
        if !matches!(slot, Slot::Ready(_)) {
            return None;
        }
        let Slot::Ready(outcome) = std::mem::replace(slot, Slot::Taken) else {
            return None;
        };
        while matches!(self.slots.front(), Some(Slot::Taken)) {
            self.slots.pop_front();
            self.base += 1;
        }
        Some(outcome)
    }

    /// True if the outcome of `id` has arrived and not been taken.
    pub(crate) fn is_ready(&self, id: RequestId) -> bool {
        id.get()
            .checked_sub(self.base)
            .and_then(|index| self.slots.get(index as usize))
            .is_some_and(|slot| matches!(slot, Slot::Ready(_)))
    }
}
