//! The queue of events waiting to be taken, replies kept apart from the rest.

use std::collections::VecDeque;

use super::event::Event;
use super::pending::RequestId;
use crate::RequestError;
use crate::resp::Frame;

/// A reply's outcome, as [`Event::Reply`] carries it.
pub(crate) type Outcome = Result<Frame, RequestError>;

/// Events in the order they happened, stored as two queues: replies, by far the
/// commonest, as plain `(id, outcome)` pairs (48 bytes, where an [`Event`] takes over
/// 100), and every other event beside the number of replies that came before it.
/// Taking them back in order is a comparison of two counters.
#[derive(Debug, Default)]
pub(crate) struct EventQueue {
    replies: VecDeque<(RequestId, Outcome)>,
    /// Each event, with how many replies had been pushed before it.
    others: VecDeque<(u64, Event)>,
    replies_pushed: u64,
    replies_taken: u64,
}

impl EventQueue {
    /// Queues a reply.
    #[inline]
    pub(crate) fn push_reply(&mut self, id: RequestId, outcome: Outcome) {
        self.replies.push_back((id, outcome));
        self.replies_pushed += 1;
    }

    /// Queues an event of any kind.
    pub(crate) fn push(&mut self, event: Event) {
        match event {
            Event::Reply { id, result } => self.push_reply(id, result),
            other => self.others.push_back((self.replies_pushed, other)),
        }
    }

    /// True when the next event in order is not a reply.
    #[inline]
    fn other_is_next(&self) -> bool {
        self.others
            .front()
            .is_some_and(|(before, _)| *before == self.replies_taken)
    }

    /// The next event if it is a reply.
    #[inline]
    pub(crate) fn pop_reply(&mut self) -> Option<(RequestId, Outcome)> {
        if self.other_is_next() {
            return None;
        }
        let reply = self.replies.pop_front()?;
        self.replies_taken += 1;
        Some(reply)
    }

    /// The next event.
    pub(crate) fn pop(&mut self) -> Option<Event> {
        if self.other_is_next() {
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
