//! The queue of events waiting to be taken, replies kept apart from the rest: in
//! order with the other events, or by request id until the body takes them.

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
///
/// Kept by id ([`keep_by_id`](Self::keep_by_id)), replies are no events: they wait
/// in the same vectors until taken by id ([`take`](Self::take)), in any order (one
/// taken out of order leaves a tombstone), and [`pop`](Self::pop) gives only the
/// other events. An outcome abandoned before it arrives is dropped when it does.
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
    /// Replies are kept by id, not events.
    by_id: bool,
    /// Requests whose outcome is to be dropped when it arrives (kept by id).
    abandoned: Vec<RequestId>,
    /// `ids[head..]` has no tombstone and rises strictly, as it does unless a
    /// timeout overtook a reply or a reply was taken out of order: then a reply is
    /// found by bisection.
    rising: bool,
    /// The open span of each request (feature `tracing`; nothing without it): every
    /// outcome passes through [`push_reply`](Self::push_reply), which closes it.
    pub(crate) spans: crate::trace::RequestSpans,
}

/// The id of a reply taken out of order: a tombstone, passed over.
const TAKEN: RequestId = RequestId(u64::MAX);

impl EventQueue {
    /// From now on replies are kept by id instead of being events.
    pub(crate) fn keep_by_id(&mut self) {
        self.by_id = true;
    }

    /// Queues a reply.
    #[inline]
    pub(crate) fn push_reply(&mut self, id: RequestId, outcome: Outcome) {
        self.spans.finish(id, &outcome);
        if !self.abandoned.is_empty() && self.forget_abandoned(id) {
            return;
        }
        if self.ids.len() == self.head {
            self.rising = true;
        } else if self.ids.last().is_some_and(|&last| last >= id) {
            self.rising = false;
        }
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

    /// How many replies can be taken before the next other event is due (kept by id,
    /// replies are never held up by other events).
    #[inline]
    fn replies_due(&self) -> usize {
        match self.others.front() {
            Some((before, _)) if !self.by_id => (before - self.replies_taken) as usize,
            _ => self.ids.len() - self.head,
        }
    }

    /// True when `id` was abandoned, which it no longer is: its outcome is dropped.
    #[cold]
    fn forget_abandoned(&mut self, id: RequestId) -> bool {
        match self.abandoned.iter().position(|&abandoned| abandoned == id) {
            Some(at) => {
                self.abandoned.swap_remove(at);
                true
            }
            None => false,
        }
    }

    /// Where the outcome of `id` waits, if it has arrived and not been taken. Replies
    /// arrive in request order but for timeouts, so a request's is at the front when
    /// it is waited for alone, and a pipeline's last is at the back or not there yet.
    fn position(&self, id: RequestId) -> Option<usize> {
        let due = &self.ids[self.head..];
        if due.first() == Some(&id) {
            return Some(self.head);
        }
        let at = match self.rising {
            true => due.binary_search(&id).ok(),
            false => due.iter().rposition(|&due| due == id),
        };
        at.map(|at| self.head + at)
    }

    /// True once the outcome of `id` has arrived and not been taken.
    pub(crate) fn is_ready(&self, id: RequestId) -> bool {
        self.position(id).is_some()
    }

    /// Takes the outcome of `id`, if it has arrived (replies kept by id).
    pub(crate) fn take(&mut self, id: RequestId) -> Option<Outcome> {
        let at = self.position(id)?;
        if at == self.head {
            return self.pop_reply().map(|(_, outcome)| outcome);
        }
        self.ids[at] = TAKEN;
        self.rising = false;
        let outcome = std::mem::replace(&mut self.outcomes[at], Ok(Frame::Null));
        Some(outcome)
    }

    /// Drops the outcome of `id`, now if it has arrived, or when it does.
    pub(crate) fn abandon(&mut self, id: RequestId) {
        if self.take(id).is_none() {
            self.abandoned.push(id);
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
        while self.ids.get(self.head) == Some(&TAKEN) {
            // Taken out of order earlier: counted as taken now.
            self.head += 1;
            self.replies_taken += 1;
        }
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
    /// requests after it, as long as they come next, onto `out`, at most `limit`;
    /// returns how many.
    pub(crate) fn take_replies(
        &mut self,
        first: RequestId,
        out: &mut Vec<Outcome>,
        limit: usize,
    ) -> usize {
        let (head, due) = (self.head, self.replies_due());
        let expected = first.offset(out.len()).get();
        let run = self.ids[head..head + due]
            .iter()
            .zip(expected..)
            .take_while(|(id, expected)| id.get() == *expected)
            .take(limit)
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

    /// The next event; kept by id, the next event that is not a reply.
    pub(crate) fn pop(&mut self) -> Option<Event> {
        if self.by_id || self.replies_due() == 0 {
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
            queue.take_replies(RequestId(4), &mut out, usize::MAX),
            0,
            "3 comes first"
        );
        assert_eq!(queue.pop_reply().map(|(id, _)| id.get()), Some(3));
        out.push(Ok(Frame::Null)); // the outcome of 3, taken elsewhere
        assert_eq!(
            queue.take_replies(RequestId(3), &mut out, usize::MAX),
            1,
            "up to the push"
        );
        assert_eq!(queue.pop(), Some(Event::Push(Frame::Null)));
        assert_eq!(
            queue.take_replies(RequestId(3), &mut out, usize::MAX),
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
        assert_eq!(queue.take_replies(RequestId(0), &mut out, usize::MAX), 100);
        assert_eq!(out.as_ptr(), stored, "the vectors were traded");
        assert_eq!(queue.outcomes.capacity(), 1000);
        assert_eq!(out[99], Ok(Frame::Integer(99)));
        queue.push(reply(100));
        assert_eq!(queue.take_replies(RequestId(0), &mut out, usize::MAX), 1);
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
        assert_eq!(
            queue.take_replies(RequestId(9_999), &mut out, usize::MAX),
            1
        );
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

    fn kept() -> EventQueue {
        let mut queue = EventQueue::default();
        queue.keep_by_id();
        queue
    }

    fn ok(id: u64) -> Outcome {
        Ok(Frame::Integer(id as i64))
    }

    #[test]
    fn kept_by_id_replies_are_taken_in_any_order_and_are_no_events() {
        let mut queue = kept();
        for event in [
            reply(0),
            Event::Push(Frame::Null),
            reply(1),
            reply(2),
            reply(3),
        ] {
            queue.push(event);
        }
        assert_eq!(queue.pop(), Some(Event::Push(Frame::Null)));
        assert_eq!(queue.pop(), None, "replies are not events");
        assert!(queue.is_ready(RequestId(2)));
        assert_eq!(queue.take(RequestId(2)), Some(ok(2)));
        assert_eq!(queue.take(RequestId(2)), None, "taken once");
        assert!(!queue.is_ready(RequestId(2)));
        assert_eq!(queue.take(RequestId(0)), Some(ok(0)));
        // 1 then 3: the tombstone of 2 is passed over, and nothing is left behind.
        assert_eq!(queue.take(RequestId(1)), Some(ok(1)));
        assert_eq!(queue.take(RequestId(3)), Some(ok(3)));
        assert!(queue.ids.is_empty() && queue.outcomes.is_empty());
        assert_eq!(queue.take(RequestId(4)), None, "not arrived");
    }

    #[test]
    fn kept_by_id_a_pipeline_is_not_held_up_by_other_events() {
        let mut queue = kept();
        for event in [reply(0), Event::Push(Frame::Null), reply(1), reply(2)] {
            queue.push(event);
        }
        let mut out = Vec::new();
        assert_eq!(queue.take_replies(RequestId(0), &mut out, usize::MAX), 3);
        assert_eq!(out, [ok(0), ok(1), ok(2)]);
        assert_eq!(queue.pop(), Some(Event::Push(Frame::Null)));
    }

    #[test]
    fn abandoned_outcomes_are_dropped_before_or_after_they_arrive() {
        let mut queue = kept();
        queue.push(reply(0));
        queue.abandon(RequestId(0));
        queue.abandon(RequestId(1));
        queue.push(reply(1));
        queue.push(reply(2));
        assert!(!queue.is_ready(RequestId(0)) && !queue.is_ready(RequestId(1)));
        assert!(queue.abandoned.is_empty(), "forgotten once arrived");
        assert_eq!(queue.take(RequestId(2)), Some(ok(2)));
        assert!(queue.ids.is_empty());
    }

    #[test]
    fn replies_taken_out_of_order_leave_nothing_behind() {
        let mut queue = kept();
        for id in 0..10_000u64 {
            // Each pair arrives and is taken in the reverse order.
            if id % 2 == 1 {
                queue.push(reply(id - 1));
                queue.push(reply(id));
                assert_eq!(queue.take(RequestId(id)), Some(ok(id)));
                assert_eq!(queue.take(RequestId(id - 1)), Some(ok(id - 1)));
                assert!(queue.ids.is_empty(), "{} stored", queue.ids.len());
            }
        }
    }
}
