//! The queue of events waiting to be taken, replies kept apart from the rest.

use std::collections::VecDeque;

use super::event::Event;
use super::pending::RequestId;
use crate::RequestError;
use crate::resp::Frame;

/// A reply's outcome, as [`Event::Reply`] carries it.
pub(crate) type Outcome = Result<Frame, RequestError>;

/// Events in the order they happened, stored as two queues: replies, by far the
/// commonest, as plain ids and outcomes (40 bytes each, where an [`Event`] takes over
/// 100), and every other event beside the number of replies that came before it.
/// Taking them back in order is a comparison of two counters.
///
/// The outcomes are a plain vector, so that a pipeline's adapter can take many at
/// once, the whole vector without copying when it is all theirs
/// ([`take_replies`](Self::take_replies)).
#[derive(Debug, Default)]
pub(crate) struct EventQueue {
    /// The ids of the replies not taken yet, from `head` on; `outcomes[i]` is the
    /// outcome of `ids[i]`.
    ids: Vec<RequestId>,
    outcomes: Vec<Outcome>,
    /// How many replies at the front were taken one by one: their outcomes are
    /// placeholders until the vectors are emptied or compacted.
    head: usize,
    /// Each event, with how many replies had been pushed before it.
    others: VecDeque<(u64, Event)>,
    replies_pushed: u64,
    replies_taken: u64,
}

impl EventQueue {
    /// Queues a reply.
    #[inline]
    pub(crate) fn push_reply(&mut self, id: RequestId, outcome: Outcome) {
        self.ids.push(id);
        self.outcomes.push(outcome);
        self.replies_pushed += 1;
    }

    /// Queues an event of any kind.
    pub(crate) fn push(&mut self, event: Event) {
        match event {
            Event::Reply { id, result } => self.push_reply(id, result),
            other => self.others.push_back((self.replies_pushed, other)),
        }
    }

    /// How many replies can be taken before the next other event is due.
    #[inline]
    fn replies_due(&self) -> usize {
        match self.others.front() {
            Some((before, _)) => (before - self.replies_taken) as usize,
            None => self.ids.len() - self.head,
        }
    }

    /// The next event if it is a reply.
    #[inline]
    pub(crate) fn pop_reply(&mut self) -> Option<(RequestId, Outcome)> {
        if self.replies_due() == 0 {
            return None;
        }
        let id = self.ids[self.head];
        let outcome = std::mem::replace(&mut self.outcomes[self.head], Ok(Frame::Null));
        self.head += 1;
        self.replies_taken += 1;
        self.forget_taken();
        Some((id, outcome))
    }

    /// Drops the placeholders at the front once every reply is taken, or once
    /// they are most of the vectors (replies taken one by one as others arrive).
    #[inline]
    fn forget_taken(&mut self) {
        if self.head == self.ids.len() {
            self.ids.clear();
            self.outcomes.clear();
            self.head = 0;
        } else if self.head >= 32 && self.head * 2 >= self.ids.len() {
            self.ids.drain(..self.head);
            self.outcomes.drain(..self.head);
            self.head = 0;
        }
    }

    /// Moves the outcomes of the replies to `first.offset(out.len())` and the
    /// requests after it, as long as they come next, onto `out`; returns how many.
    pub(crate) fn take_replies(&mut self, first: RequestId, out: &mut Vec<Outcome>) -> usize {
        let (head, due) = (self.head, self.replies_due());
        let expected = first.offset(out.len()).get();
        let run = self.ids[head..head + due]
            .iter()
            .zip(expected..)
            .take_while(|(id, expected)| id.get() == *expected)
            .count();
        if run == 0 {
            return 0;
        }
        if out.is_empty() && head == 0 && run == self.ids.len() {
            // All of them, for an empty vector: trade vectors, copying nothing.
            std::mem::swap(out, &mut self.outcomes);
            self.ids.clear();
        } else {
            out.extend(self.outcomes.drain(head..head + run));
            self.ids.drain(head..head + run);
        }
        self.replies_taken += run as u64;
        self.forget_taken();
        run
    }

    /// The next event.
    pub(crate) fn pop(&mut self) -> Option<Event> {
        if self.replies_due() == 0 {
            return self.others.pop_front().map(|(_, event)| event);
        }
        self.pop_reply()
            .map(|(id, result)| Event::Reply { id, result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CloseReason;

    fn reply(id: u64) -> Event {
        Event::Reply {
            id: RequestId(id),
            result: Ok(Frame::Integer(id as i64)),
        }
    }

    #[test]
    fn events_come_back_in_the_order_they_went_in() {
        let push = Event::Push(Frame::Null);
        let closed = Event::Closed(CloseReason::Eof);
        let order = [
            push.clone(),
            reply(0),
            reply(1),
            push.clone(),
            push.clone(),
            reply(2),
            closed,
        ];
        let mut queue = EventQueue::default();
        for event in order.iter().cloned() {
            queue.push(event);
        }
        let mut out = Vec::new();
        while let Some(event) = queue.pop() {
            out.push(event);
        }
        assert_eq!(out, order);
    }

    #[test]
    fn take_replies_takes_the_expected_ones_in_order() {
        let mut queue = EventQueue::default();
        for event in [
            reply(3),
            reply(4),
            Event::Push(Frame::Null),
            reply(5),
            reply(7),
        ] {
            queue.push(event);
        }
        let mut out = Vec::new();
        assert_eq!(
            queue.take_replies(RequestId(4), &mut out),
            0,
            "3 comes first"
        );
        assert_eq!(queue.pop_reply().map(|(id, _)| id.get()), Some(3));
        out.push(Ok(Frame::Null)); // the outcome of 3, taken elsewhere
        assert_eq!(
            queue.take_replies(RequestId(3), &mut out),
            1,
            "up to the push"
        );
        assert_eq!(queue.pop(), Some(Event::Push(Frame::Null)));
        assert_eq!(
            queue.take_replies(RequestId(3), &mut out),
            1,
            "6 is not next"
        );
        assert_eq!(out[1..], [Ok(Frame::Integer(4)), Ok(Frame::Integer(5))]);
        assert_eq!(queue.pop(), Some(reply(7)));
        assert_eq!(queue.pop(), None);
    }

    #[test]
    fn a_whole_batch_is_handed_over_without_copying() {
        let mut queue = EventQueue::default();
        for id in 0..100 {
            queue.push(reply(id));
        }
        let stored = queue.outcomes.as_ptr();
        let mut out = Vec::with_capacity(1000);
        assert_eq!(queue.take_replies(RequestId(0), &mut out), 100);
        assert_eq!(out.as_ptr(), stored, "the vectors were traded");
        assert_eq!(queue.outcomes.capacity(), 1000);
        assert_eq!(out[99], Ok(Frame::Integer(99)));
        queue.push(reply(100));
        assert_eq!(queue.take_replies(RequestId(0), &mut out), 1);
        assert_eq!(out.len(), 101);
        assert_eq!(queue.pop(), None);
    }

    #[test]
    fn replies_taken_one_by_one_do_not_pile_up() {
        let mut queue = EventQueue::default();
        queue.push(reply(0));
        for id in 1..10_000 {
            queue.push(reply(id));
            assert_eq!(queue.pop_reply().map(|(id, _)| id.get()), Some(id - 1));
            assert!(queue.ids.len() <= 64, "{} stored", queue.ids.len());
        }
        let mut out = Vec::new();
        assert_eq!(queue.take_replies(RequestId(9_999), &mut out), 1);
        assert!(queue.ids.is_empty() && queue.outcomes.is_empty());
    }

    #[test]
    fn pop_reply_stops_at_other_events() {
        let mut queue = EventQueue::default();
        queue.push(reply(0));
        queue.push(Event::Push(Frame::Null));
        queue.push(reply(1));
        assert_eq!(queue.pop_reply().map(|(id, _)| id.get()), Some(0));
        assert_eq!(queue.pop_reply(), None);
        assert_eq!(queue.pop(), Some(Event::Push(Frame::Null)));
        assert_eq!(queue.pop_reply().map(|(id, _)| id.get()), Some(1));
        assert_eq!(queue.pop(), None);
    }
}
