//! Replies in request order: ready ones, and places kept for deferred ones.

use std::collections::VecDeque;

use redis_sansio::resp::{Frame, Version};

use crate::reply::Ticket;

/// One reply's place in the queue.
#[derive(Debug)]
struct Slot {
    /// The protocol at the time of the request: a `HELLO 3` later in the pipeline
    /// does not change how earlier replies are written.
    protocol: Version,
    frame: Option<Frame>,
    /// Close the connection once this reply is written.
    close_after: bool,
}

/// Replies waiting to be written because a deferred one before them is not in yet.
/// Tickets are numbered in request order, so a ticket's place is its distance from
/// the front's.
#[derive(Debug, Default)]
pub(crate) struct ReplyQueue {
    slots: VecDeque<Slot>,
    /// The ticket of the front slot.
    front: u64,
    /// The ticket the next slot gets.
    next: u64,
}

/// A reply that may be written now.
pub(crate) struct Ready {
    pub(crate) protocol: Version,
    pub(crate) frame: Frame,
    pub(crate) close_after: bool,
}

impl ReplyQueue {
    /// Whether nothing waits: a reply may be written at once.
    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// How many replies wait.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Keeps a place for a reply that comes later.
    pub(crate) fn defer(&mut self, protocol: Version) -> Ticket {
        self.push(protocol, None, false)
    }

    /// Queues a reply that is ready but must wait behind deferred ones.
    pub(crate) fn push_ready(&mut self, protocol: Version, frame: Frame, close_after: bool) {
        self.push(protocol, Some(frame), close_after);
    }

    fn push(&mut self, protocol: Version, frame: Option<Frame>, close_after: bool) -> Ticket {
        if self.slots.is_empty() {
            self.front = self.next;
        }
        let ticket = Ticket(self.next);
        self.next += 1;
        self.slots.push_back(Slot {
            protocol,
            frame,
            close_after,
        });
        ticket
    }

    /// Fills the place of `ticket`. False for an unknown or already filled ticket.
    pub(crate) fn complete(&mut self, ticket: Ticket, frame: Frame) -> bool {
        let Some(index) = ticket.0.checked_sub(self.front) else {
            return false;
        };
        match usize::try_from(index)
            .ok()
            .and_then(|i| self.slots.get_mut(i))
        {
            Some(slot) if slot.frame.is_none() => {
                slot.frame = Some(frame);
                true
            }
            _ => false,
        }
    }

    /// Takes the front reply if it is ready.
    pub(crate) fn pop_ready(&mut self) -> Option<Ready> {
        if !self.front_is_ready() {
            return None;
        }
        let slot = self.slots.pop_front()?;
        self.front += 1;
        Some(Ready {
            protocol: slot.protocol,
            frame: slot.frame?,
            close_after: slot.close_after,
        })
    }

    /// Whether the front reply is ready to be written.
    pub(crate) fn front_is_ready(&self) -> bool {
        self.slots.front().is_some_and(|slot| slot.frame.is_some())
    }
}
