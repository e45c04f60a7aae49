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
/// slots starting at the oldest untaken id finds each in constant time; in the common
/// case an outcome is pushed at the back and taken from the front.
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
    /// Taken, or abandoned: an outcome arriving for it is dropped.
    Taken,
}

impl Outcomes {
    /// The slot index of `id`, `None` if it is below the ring (taken or abandoned).
    fn index(&self, id: RequestId) -> Option<usize> {
        usize::try_from(id.get().checked_sub(self.base)?).ok()
    }

    /// Stores the outcome of `id`.
    pub(crate) fn insert(&mut self, id: RequestId, outcome: Outcome) {
        let Some(index) = self.index(id) else {
            return; // already taken or abandoned
        };
        if index == self.slots.len() {
            // The next one in order: the common case.
            self.slots.push_back(Slot::Ready(outcome));
            return;
        }
        match self.slots.get_mut(index) {
            Some(Slot::Taken) => {} // abandoned
            Some(slot) => *slot = Slot::Ready(outcome),
            None => {
                self.slots.resize_with(index, || Slot::Waiting);
                self.slots.push_back(Slot::Ready(outcome));
            }
        }
    }

    /// Takes the outcome of `id`, if it has arrived.
    pub(crate) fn take(&mut self, id: RequestId) -> Option<Outcome> {
        let index = self.index(id)?;
        if index == 0 {
            // The oldest, the common case: it leaves the ring at once.
            return match self.slots.pop_front()? {
                Slot::Ready(outcome) => {
                    self.base += 1;
                    self.drop_taken_front();
                    Some(outcome)
                }
                other => {
                    self.slots.push_front(other);
                    None
                }
            };
        }
        let slot = self.slots.get_mut(index)?;
        if !matches!(slot, Slot::Ready(_)) {
            return None;
        }
        match std::mem::replace(slot, Slot::Taken) {
            Slot::Ready(outcome) => Some(outcome),
            _ => None, // checked above
        }
    }

    /// Notes that the outcome of `id` was delivered without passing through here.
    #[inline]
    pub(crate) fn skip(&mut self, id: RequestId) {
        if self.slots.is_empty() && id.get() == self.base {
            self.base += 1;
        } else {
            self.abandon(id);
        }
    }

    /// [`skip`](Self::skip) for the `n` requests from `first` on.
    pub(crate) fn skip_all(&mut self, first: RequestId, n: usize) {
        if self.slots.is_empty() && first.get() == self.base {
            self.base += n as u64;
        } else {
            for i in 0..n {
                self.skip(first.offset(i));
            }
        }
    }

    /// Forgets `id`: its outcome, arrived or still to come, is dropped. For requests
    /// that were sent but that nobody will wait for.
    pub(crate) fn abandon(&mut self, id: RequestId) {
        let Some(index) = self.index(id) else {
            return;
        };
        if index >= self.slots.len() {
            self.slots.resize_with(index + 1, || Slot::Waiting);
        }
        self.slots[index] = Slot::Taken;
        self.drop_taken_front();
    }

    fn drop_taken_front(&mut self) {
        while matches!(self.slots.front(), Some(Slot::Taken)) {
            self.slots.pop_front();
            self.base += 1;
        }
    }

    /// True if the outcome of `id` has arrived and not been taken.
    pub(crate) fn is_ready(&self, id: RequestId) -> bool {
        self.index(id)
            .and_then(|index| self.slots.get(index))
            .is_some_and(|slot| matches!(slot, Slot::Ready(_)))
    }

    /// How many slots the ring holds: what it costs in memory.
    #[cfg(test)]
    fn slots(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use redis_sansio::Cmd;
    use redis_sansio::config::ConnectionConfig;
    use redis_sansio::conn::Connection;

    use super::*;

    /// Request ids 0, 1, 2, ... (held behind the handshake, never sent).
    fn ids(n: usize) -> Vec<RequestId> {
        let mut core = Connection::new(ConnectionConfig::default(), Instant::now());
        (0..n)
            .map(|_| core.send(&Cmd::new("PING"), Instant::now()).unwrap())
            .collect()
    }

    fn ok(n: i64) -> Outcome {
        Ok(Frame::Integer(n))
    }

    #[test]
    fn in_order_and_out_of_order() {
        let ids = ids(4);
        let mut outcomes = Outcomes::default();
        outcomes.insert(ids[1], ok(1));
        assert!(!outcomes.is_ready(ids[0]));
        assert!(outcomes.is_ready(ids[1]));
        outcomes.insert(ids[0], ok(0));
        assert_eq!(outcomes.take(ids[1]), Some(ok(1)));
        assert_eq!(outcomes.take(ids[1]), None);
        assert_eq!(outcomes.take(ids[0]), Some(ok(0)));
        assert_eq!(outcomes.slots(), 0);
        outcomes.insert(ids[2], ok(2));
        outcomes.insert(ids[3], ok(3));
        assert_eq!(outcomes.take(ids[2]), Some(ok(2)));
        assert_eq!(outcomes.take(ids[3]), Some(ok(3)));
        assert_eq!(outcomes.slots(), 0);
    }

    #[test]
    fn skipped_ids_leave_no_gap() {
        let ids = ids(4);
        let mut outcomes = Outcomes::default();
        outcomes.skip(ids[0]);
        // Out of order: 2 is delivered elsewhere while 1 is still due here.
        outcomes.skip(ids[2]);
        outcomes.insert(ids[1], ok(1));
        assert_eq!(outcomes.take(ids[1]), Some(ok(1)));
        outcomes.insert(ids[3], ok(3));
        assert_eq!(outcomes.take(ids[3]), Some(ok(3)));
        assert_eq!(outcomes.slots(), 0);
    }

    #[test]
    fn abandoned_outcomes_do_not_pile_up() {
        let ids = ids(100);
        let mut outcomes = Outcomes::default();
        // Sent, then given up on before its outcome came.
        outcomes.abandon(ids[0]);
        // Arrived, then given up on.
        outcomes.insert(ids[1], ok(1));
        outcomes.abandon(ids[1]);
        outcomes.insert(ids[0], ok(0));
        assert!(!outcomes.is_ready(ids[0]));
        for (n, &id) in ids.iter().enumerate().skip(2) {
            outcomes.insert(id, ok(n as i64));
            assert_eq!(outcomes.take(id), Some(ok(n as i64)));
            assert_eq!(outcomes.slots(), 0);
        }
    }
}
