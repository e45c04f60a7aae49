//! The callers' side of calls in progress: a slab of reusable [`Slot`]s under the
//! client's lock, where the driver files outcomes and callers find them.

use std::mem;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use redis_sansio::resp::Frame;

use super::Shared;
use super::driving::{Role, Turn};
use crate::{Error, Outcome};

/// The caller's end of a call: its slot, which it frees (or leaves to the driver to
/// free) once it has its result or is dropped.
#[derive(Debug)]
pub(super) struct Waiter {
    /// `None` once the result was taken.
    pub(super) shared: Option<Arc<Shared>>,
    pub(super) slot: usize,
}

impl Waiter {
    /// What the call has once it is complete: every outcome in, or failed. A call
    /// that has the [`Role`] runs a turn of the driver first (at most one per poll:
    /// the turn returns only once it waits for the socket).
    #[inline]
    pub(super) fn poll_filled(&mut self, cx: &mut Context<'_>) -> Poll<Filled> {
        let shared = self
            .shared
            .as_ref()
            .expect("future polled after completion");
        let me = Role::Caller(self.slot);
        let mut drove = false;
        let (filled, stale, task) = loop {
            let mut guard = shared.lock();
            let inner = &mut *guard;
            let slot = &mut inner.slots.entries[self.slot];
            if slot.pending > 0 && !matches!(slot.filled, Filled::Failed(_)) {
                if !drove && inner.role == me {
                    // No waker while this caller drives: a turn that completes the
                    // call would only wake the caller running it. The call is looked
                    // at again after the turn, and the waker left then if need be.
                    let stale = slot.waker.take();
                    drop(guard);
                    drop(stale);
                    drove = true;
                    if shared.drive(me, Some(cx.waker())) == Turn::NotHere {
                        shared.hand_over(me);
                    }
                    continue;
                }
                let stale = match &slot.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => None,
                    _ => slot.waker.replace(cx.waker().clone()),
                };
                drop(guard);
                // Wakers are dropped outside the lock: dropping one may drop a task,
                // and with it another call's future, which takes the lock.
                drop(stale);
                return Poll::Pending;
            }
            let filled = mem::take(&mut slot.filled);
            slot.caller_gone = true;
            let mut stale = [slot.waker.take(), None];
            if slot.pending == 0 {
                inner.slots.release(self.slot);
            }
            let task = inner.call_left(self.slot, &mut stale[1]);
            break (filled, stale, task);
        };
        drop(stale);
        if let Some(task) = task {
            task.wake();
        }
        self.shared = None;
        Poll::Ready(filled)
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let Some(shared) = self.shared.take() else {
            return;
        };
        let mut stale = [None, None];
        let task = {
            let mut guard = shared.lock();
            let inner = &mut *guard;
            let slot = &mut inner.slots.entries[self.slot];
            slot.caller_gone = true;
            stale[0] = slot.waker.take();
            if slot.pending == 0 {
                inner.slots.release(self.slot);
            }
            inner.call_left(self.slot, &mut stale[1])
        };
        drop(stale);
        if let Some(task) = task {
            task.wake();
        }
    }
}

/// One call in progress, in [`Slots`]: where the driver puts its outcomes.
///
/// It is in use from [`Client::enqueue`](super::Client::enqueue) until both ends are done with it: the caller
/// (`caller_gone`: it took the result or dropped its future) and the driver
/// (`pending == 0`: no command of the call is queued or on the wire any more).
#[derive(Debug, Default)]
pub(super) struct Slot {
    /// Outcomes the driver still owes: commands queued or on the wire. The call is
    /// complete when it reaches 0, or when it failed.
    pub(super) pending: usize,
    pub(super) filled: Filled,
    /// The caller's, while it waits.
    pub(super) waker: Option<Waker>,
    /// The caller took the result or dropped its future: outcomes are discarded, and
    /// commands not yet sent are not sent.
    pub(super) caller_gone: bool,
}

/// What a call has so far.
#[derive(Debug, Default)]
pub(super) enum Filled {
    /// Nothing yet, or taken by the caller.
    #[default]
    Empty,
    /// A request's or a transaction's outcome.
    One(Outcome),
    /// A pipeline's outcomes, by index. Made with a placeholder in each place
    /// ([`Filled::many`]), which its outcome replaces: the pipeline is complete once
    /// every outcome is in, so the caller never sees a placeholder.
    Many(Vec<Outcome>),
    /// The call failed as a whole; it is complete, and outcomes still on their way
    /// are discarded.
    Failed(Error),
}

impl Filled {
    /// Room for a pipeline of `len` commands' outcomes.
    pub(super) fn many(len: usize) -> Filled {
        let mut outcomes = Vec::with_capacity(len);
        outcomes.resize_with(len, || Ok(Frame::Null));
        Filled::Many(outcomes)
    }
}

/// The slots of the calls in progress, reused: a call takes a free one.
#[derive(Debug, Default)]
pub(super) struct Slots {
    pub(super) entries: Vec<Slot>,
    /// Indices of free entries, which are in their default state.
    pub(super) free: Vec<usize>,
}

impl Slots {
    /// Above this many slots, the slab is given back to the allocator once every
    /// slot is free again (after a burst of concurrent calls).
    const KEEP: usize = 1024;

    /// A free slot, in its default state.
    pub(super) fn insert(&mut self) -> usize {
        match self.free.pop() {
            Some(index) => index,
            None => {
                self.entries.push(Slot::default());
                self.entries.len() - 1
            }
        }
    }

    /// How many slots are in use: calls in progress, including those whose caller
    /// left while their commands are still on the wire.
    pub(super) fn in_use(&self) -> usize {
        self.entries.len() - self.free.len()
    }

    /// Frees a slot neither end uses any more. Its waker has been taken out (wakers
    /// are not dropped under the lock).
    pub(super) fn release(&mut self, index: usize) {
        let slot = &mut self.entries[index];
        debug_assert!(slot.pending == 0 && slot.waker.is_none());
        // Mostly empty already (the caller took its result): skip the drop glue.
        if !matches!(slot.filled, Filled::Empty) {
            slot.filled = Filled::Empty;
        }
        slot.caller_gone = false;
        self.free.push(index);
        if self.free.len() == self.entries.len() && self.entries.len() > Self::KEEP {
            self.entries = Vec::new();
            self.free = Vec::new();
        }
    }

    /// Gives the call the outcome `target` was waiting for; collects the caller's
    /// waker once the call is complete.
    pub(super) fn complete(&mut self, target: Target, outcome: Outcome, wake: &mut Vec<Waker>) {
        let slot = &mut self.entries[target.slot];
        slot.pending -= 1;
        if slot.caller_gone {
            if slot.pending == 0 {
                self.release(target.slot);
            }
            return;
        }
        match &mut slot.filled {
            Filled::Failed(_) => return,
            Filled::Many(outcomes) => {
                if let Some(at) = outcomes.get_mut(target.index) {
                    *at = outcome;
                }
            }
            // Forgetting `Empty` (which owns nothing) skips the drop glue.
            filled @ Filled::Empty => mem::forget(mem::replace(filled, Filled::One(outcome))),
            // A second outcome for a call that expects one: cannot happen.
            Filled::One(_) => {}
        }
        if slot.pending == 0 {
            wake.extend(slot.waker.take());
        }
    }

    /// `unsent` of the call's outcomes will not come, and the call fails with `error`
    /// unless it already has.
    pub(super) fn fail(
        &mut self,
        index: usize,
        unsent: usize,
        error: Error,
        wake: &mut Vec<Waker>,
    ) {
        let slot = &mut self.entries[index];
        slot.pending -= unsent;
        if slot.caller_gone {
            if slot.pending == 0 {
                self.release(index);
            }
        } else if !matches!(slot.filled, Filled::Failed(_)) {
            slot.filled = Filled::Failed(error);
            wake.extend(slot.waker.take());
        }
    }
}

/// Where a request's outcome goes: its call's slot, and its index in the call.
#[derive(Debug, Clone, Copy)]
pub(super) struct Target {
    pub(super) slot: usize,
    pub(super) index: usize,
}

#[cfg(test)]
mod tests {
    use redis_sansio::CloseReason;

    use super::*;

    fn target(slot: usize) -> Target {
        Target { slot, index: 0 }
    }

    #[test]
    fn a_slot_is_freed_once_both_ends_are_done() {
        let mut slots = Slots::default();
        let mut wake = Vec::new();
        let a = slots.insert();
        slots.entries[a].pending = 1;
        // The caller leaves first: the slot stays until the outcome is in.
        slots.entries[a].caller_gone = true;
        let b = slots.insert();
        assert_ne!(a, b);
        slots.complete(target(a), Ok(Frame::Null), &mut wake);
        assert!(slots.free.contains(&a));
        assert!(matches!(slots.entries[a].filled, Filled::Empty));
        assert!(!slots.entries[a].caller_gone);
        // The outcome comes first: the caller takes it, then frees the slot.
        slots.entries[b].pending = 2;
        slots.complete(target(b), Ok(Frame::Integer(1)), &mut wake);
        assert!(!slots.free.contains(&b));
        // A refused command fails the call and settles what will not come.
        slots.fail(b, 1, Error::Closed(CloseReason::Local), &mut wake);
        assert_eq!(slots.entries[b].pending, 0);
        assert!(matches!(slots.entries[b].filled, Filled::Failed(_)));
        // Reuse, last freed first.
        assert_eq!(slots.insert(), a);
    }
}
