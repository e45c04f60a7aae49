//! Requests awaiting replies, in wire order, with their deadlines.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Instant;

use super::command::SubscriptionKind;
use crate::resp::Frame;

/// Identifies a request on its connection; [`Event::Reply`](super::Event::Reply)
/// carries it back with the outcome. Ids increase in send order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub(crate) u64);

impl RequestId {
    /// The id as a number: 0 for the first request on a connection, then 1, 2, ...
    pub fn get(self) -> u64 {
        self.0
    }
}

/// What replies a request is waiting for.
#[derive(Debug)]
pub(crate) enum Expect {
    /// Exactly one reply.
    One,
    /// `MONITOR`: one `+OK`, then the connection streams.
    Monitor,
    /// One confirmation per channel. Boxed: (un)subscribing is rare, and a small
    /// `Pending` is cheaper to queue for every other request.
    Confirmations(Box<Confirmations>),
    /// `MULTI`, the queued commands, `EXEC`: `acks_left` replies (`+OK`, `+QUEUED` or
    /// errors) come before `EXEC`'s.
    Transaction { acks_left: usize },
}

/// The confirmations a `(P|S)(UN)SUBSCRIBE` waits for.
#[derive(Debug)]
pub(crate) struct Confirmations {
    pub(crate) kind: SubscriptionKind,
    pub(crate) subscribe: bool,
    /// Confirmations still to come; 0 at the start (with `all`) means "unsubscribe
    /// from all": done once none of `kind` is left.
    pub(crate) remaining: usize,
    pub(crate) all: bool,
    pub(crate) replies: Vec<Frame>,
}

/// A request on the wire (or held until the handshake is done).
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) id: RequestId,
    pub(crate) expect: Expect,
    /// Its outcome (a timeout) was delivered; its replies are dropped when they come.
    pub(crate) timed_out: bool,
}

/// The queue of pending requests plus a min-heap of their deadlines.
///
/// Requests leave only from the front, in the order their replies arrive, so a
/// request's position is its id minus the front's id, and the heap can find it
/// without a map. Heap entries of requests already gone are skipped lazily.
#[derive(Debug, Default)]
pub(crate) struct PendingQueue {
    queue: VecDeque<Pending>,
    deadlines: BinaryHeap<Reverse<(Instant, u64)>>,
    /// How many queued requests are `(P|S)SUBSCRIBE`s.
    subscribes: usize,
    /// How many queued requests are `MONITOR`s.
    monitors: usize,
}

impl PendingQueue {
    #[inline]
    pub(crate) fn push(&mut self, pending: Pending, deadline: Option<Instant>) {
        if let Some(deadline) = deadline {
            self.deadlines.push(Reverse((deadline, pending.id.0)));
        }
        self.count(&pending.expect, true);
        self.queue.push_back(pending);
    }

    #[inline]
    fn count(&mut self, expect: &Expect, added: bool) {
        let counter = match expect {
            Expect::Confirmations(confirmations) if confirmations.subscribe => &mut self.subscribes,
            Expect::Monitor => &mut self.monitors,
            _ => return,
        };
        if added {
            *counter += 1;
        } else {
            *counter -= 1;
        }
    }

    /// How many `(P|S)SUBSCRIBE` requests are queued.
    pub(crate) fn subscribes(&self) -> usize {
        self.subscribes
    }

    /// How many `MONITOR` requests are queued.
    pub(crate) fn monitors(&self) -> usize {
        self.monitors
    }

    #[inline]
    pub(crate) fn front_mut(&mut self) -> Option<&mut Pending> {
        self.queue.front_mut()
    }

    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<Pending> {
        let pending = self.queue.pop_front()?;
        self.count(&pending.expect, false);
        Some(pending)
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Takes every request, for failing them all.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = Pending> + '_ {
        self.deadlines.clear();
        self.subscribes = 0;
        self.monitors = 0;
        self.queue.drain(..)
    }

    /// The request with this id if it is still waiting for a reply and has no outcome.
    fn live_mut(&mut self, id: u64) -> Option<&mut Pending> {
        let front = self.queue.front()?.id.0;
        let pending = self
            .queue
            .get_mut(usize::try_from(id.checked_sub(front)?).ok()?)?;
        (!pending.timed_out).then_some(pending)
    }

    /// The earliest deadline of a request that still has no outcome.
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(&Reverse((deadline, id))) = self.deadlines.peek() {
            if self.live_mut(id).is_some() {
                return Some(deadline);
            }
            self.deadlines.pop();
        }
        None
    }

    /// Marks the next request whose deadline has passed as timed out and returns its id.
    pub(crate) fn expire_one(&mut self, now: Instant) -> Option<RequestId> {
        loop {
            let Reverse((deadline, id)) = *self.deadlines.peek()?;
            if deadline > now {
                return None;
            }
            self.deadlines.pop();
            if let Some(pending) = self.live_mut(id) {
                pending.timed_out = true;
                return Some(pending.id);
            }
        }
    }
}
