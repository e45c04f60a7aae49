//! Requests awaiting replies, in wire order, with their deadlines.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, VecDeque};
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

    /// The id of the request sent `n` requests after this one on the same
    /// connection: `send_all` gives `cmds[i]` the id `first.offset(i)`.
    #[inline]
    pub fn offset(self, n: usize) -> RequestId {
        RequestId(self.0 + n as u64)
    }
}

/// What replies a request is waiting for.
#[derive(Debug)]
pub(crate) enum Expect {
    /// Exactly one reply.
    One,
    /// `MONITOR`: one `+OK`, then the connection streams.
    Monitor,
    /// One confirmation per channel. Boxed: (un)subscribing is rare.
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

/// A request leaving the queue.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) id: RequestId,
    pub(crate) expect: Expect,
    /// Its outcome (a timeout) was delivered; its replies are dropped when they come.
    pub(crate) timed_out: bool,
}

/// The queue of pending requests plus a min-heap of their deadlines.
///
/// The pending requests are the ids `front..next`: requests are sent with increasing
/// ids and leave only from the front, in the order their replies arrive. Most expect
/// exactly one reply and have no outcome yet, and for those the queue stores nothing:
/// sending one is `next += 1` and its reply `front += 1`. Only the exceptions are
/// stored, by id: requests expecting something else (`special`) and requests already
/// timed out (`timed_out`). The heap finds a request by its id; entries of requests
/// already gone are skipped lazily.
#[derive(Debug, Default)]
pub(crate) struct PendingQueue {
    /// The oldest pending request's id (equal to `next` when none is pending).
    front: u64,
    /// The id the next request gets.
    next: u64,
    /// Pending requests that expect anything but [`Expect::One`], by increasing id.
    special: VecDeque<(u64, Expect)>,
    /// Pending requests whose outcome (a timeout) was delivered.
    timed_out: BTreeSet<u64>,
    deadlines: BinaryHeap<Reverse<(Instant, u64)>>,
    /// How many queued requests are `(P|S)SUBSCRIBE`s.
    subscribes: usize,
    /// How many queued requests are `MONITOR`s.
    monitors: usize,
}

impl PendingQueue {
    /// The id the next request will get.
    #[inline]
    pub(crate) fn next_id(&self) -> RequestId {
        RequestId(self.next)
    }

    /// Queues a request and returns its id.
    ///
    /// Every command sent goes through here, most with [`Expect::One`] and no
    /// deadline, for which this is `next += 1`. So that it stays small enough to be
    /// inlined into the send loops whatever else lands in their codegen unit, the
    /// deadline heap and the special queue are pushed onto out of line: with
    /// `BinaryHeap::push` inlined into it, this was once left as a call costing 29
    /// instructions per command.
    #[inline]
    pub(crate) fn push(&mut self, expect: Expect, deadline: Option<Instant>) -> RequestId {
        let id = self.next;
        self.next += 1;
        if let Some(deadline) = deadline {
            self.push_deadline(deadline, id);
        }
        if !matches!(expect, Expect::One) {
            self.push_special(id, expect);
        }
        RequestId(id)
    }

    #[inline(never)]
    fn push_deadline(&mut self, deadline: Instant, id: u64) {
        self.deadlines.push(Reverse((deadline, id)));
    }

    #[inline(never)]
    fn push_special(&mut self, id: u64, expect: Expect) {
        self.count(&expect, true);
        self.special.push_back((id, expect));
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

    /// The oldest request's expectation when it expects anything but one reply.
    /// `None` when it expects one, or when nothing is pending.
    #[inline]
    pub(crate) fn front_special_mut(&mut self) -> Option<&mut Expect> {
        match self.special.front_mut() {
            Some((id, expect)) if *id == self.front => Some(expect),
            _ => None,
        }
    }

    /// Takes the oldest request if it expects exactly one reply and has no outcome
    /// yet: the common case, with nothing to look up.
    #[inline]
    pub(crate) fn pop_plain(&mut self) -> Option<RequestId> {
        let id = self.front;
        if id == self.next
            || self
                .special
                .front()
                .is_some_and(|(special, _)| *special == id)
            || (!self.timed_out.is_empty() && self.timed_out.contains(&id))
        {
            return None;
        }
        self.front += 1;
        Some(RequestId(id))
    }

    /// Takes the oldest request, whatever it expects.
    pub(crate) fn pop_front(&mut self) -> Option<Pending> {
        let id = self.front;
        if id == self.next {
            return None;
        }
        self.front += 1;
        let expect = match self.special.front() {
            Some((special, _)) if *special == id => {
                let (_, expect) = self.special.pop_front()?;
                self.count(&expect, false);
                expect
            }
            _ => Expect::One,
        };
        let timed_out = !self.timed_out.is_empty() && self.timed_out.remove(&id);
        Some(Pending {
            id: RequestId(id),
            expect,
            timed_out,
        })
    }

    /// True when the oldest request has timed out: the reply arriving now is its.
    #[inline]
    pub(crate) fn front_timed_out(&self) -> bool {
        !self.timed_out.is_empty() && self.timed_out.contains(&self.front)
    }

    pub(crate) fn len(&self) -> usize {
        (self.next - self.front) as usize
    }

    /// Requests whose outcome has not been given yet: pending, not timed out.
    pub(crate) fn unanswered(&self) -> usize {
        self.len() - self.timed_out.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.front == self.next
    }

    /// Takes every request, oldest first, for failing them all.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = Pending> + '_ {
        self.deadlines.clear();
        std::iter::from_fn(|| self.pop_front())
    }

    /// True if the request with this id is still waiting for a reply and has no
    /// outcome.
    fn is_live(&self, id: u64) -> bool {
        (self.front..self.next).contains(&id) && !self.timed_out.contains(&id)
    }

    /// The earliest deadline of a request that still has no outcome.
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(&Reverse((deadline, id))) = self.deadlines.peek() {
            if self.is_live(id) {
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
            if self.is_live(id) {
                self.timed_out.insert(id);
                return Some(RequestId(id));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exceptions_are_stored() {
        let mut queue = PendingQueue::default();
        let a = queue.push(Expect::One, None);
        let b = queue.push(Expect::Monitor, None);
        let c = queue.push(Expect::One, None);
        assert_eq!((a.get(), b.get(), c.get()), (0, 1, 2));
        assert_eq!(queue.special.len(), 1);
        assert_eq!(queue.monitors(), 1);
        assert_eq!(queue.len(), 3);
        assert_eq!(queue.pop_plain(), Some(a));
        assert_eq!(queue.pop_plain(), None, "the MONITOR is next");
        assert!(matches!(queue.front_special_mut(), Some(Expect::Monitor)));
        let monitor = queue.pop_front().unwrap();
        assert_eq!(monitor.id, b);
        assert!(matches!(monitor.expect, Expect::Monitor));
        assert_eq!(queue.monitors(), 0);
        assert_eq!(queue.pop_plain(), Some(c));
        assert!(queue.is_empty());
        assert!(queue.pop_front().is_none());
    }
}
