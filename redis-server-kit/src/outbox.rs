//! Reaching a connection from outside its session: pushes, deferred replies, a close.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use redis_sansio::resp::Frame;

use crate::reply::Ticket;

/// What arrives at a session from elsewhere, in the order it was sent.
#[derive(Debug)]
pub(crate) enum Delivery {
    Push(Frame),
    Raw(Bytes),
    Complete(Ticket, Frame),
    Close,
}

/// How a body learns that a session has deliveries: it wakes the task or the event
/// loop that drives the session.
pub(crate) type Wake = Arc<dyn Fn() + Send + Sync>;

struct Shared {
    queue: Mutex<Queue>,
    wake: Wake,
}

#[derive(Default)]
struct Queue {
    deliveries: Vec<Delivery>,
    /// The session is gone: deliveries are refused.
    closed: bool,
}

/// A handle to one connection that works from any thread or task: send it pushes
/// (pub/sub messages), give the replies its handler deferred, or close it.
///
/// Cheap to clone. Get one from [`Cx::outbox`](crate::Cx::outbox). Every call returns
/// `false` once the connection is gone, so a pub/sub registry knows to forget it.
#[derive(Clone)]
pub struct Outbox {
    shared: Arc<Shared>,
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    pub(crate) fn new(wake: Wake) -> Self {
        Outbox {
            shared: Arc::new(Shared {
                queue: Mutex::default(),
                wake,
            }),
        }
    }

    /// Sends `frame` to the client out of band: a RESP3 push (`>`), written to a RESP2
    /// client as an array, as Redis writes pub/sub messages. It goes out after what
    /// is already written, ahead of replies still waiting for a deferred one.
    pub fn push(&self, frame: Frame) -> bool {
        self.deliver(Delivery::Push(frame))
    }

    /// Sends `bytes` to the client as they are, out of band like [`push`](Self::push):
    /// for a proxy passing a stream through unchanged (the replication stream that
    /// follows `SYNC`, whose RDB payload is not RESP). The caller answers for them
    /// being what the client expects.
    pub fn push_raw(&self, bytes: Bytes) -> bool {
        self.deliver(Delivery::Raw(bytes))
    }

    /// Gives the reply promised with `ticket`. Replies still go out in request order.
    pub fn complete(&self, ticket: Ticket, frame: Frame) -> bool {
        self.deliver(Delivery::Complete(ticket, frame))
    }

    /// Closes the connection as a server that went away would: the replies ready
    /// in order are written, those still owed are dropped, then the socket closes
    /// and the client sees it end. For a proxy whose upstream closed: the client is
    /// not left waiting, and does not take the loss for a reply.
    pub fn close(&self) -> bool {
        self.deliver(Delivery::Close)
    }

    /// Whether the connection is gone (deliveries would be refused).
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Whether `self` and `other` reach the same connection.
    pub fn same_connection(&self, other: &Outbox) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    fn deliver(&self, delivery: Delivery) -> bool {
        {
            let mut queue = self.lock();
            if queue.closed {
                return false;
            }
            queue.deliveries.push(delivery);
        }
        (self.shared.wake)();
        true
    }

    /// Takes what arrived, in order; called by the session.
    pub(crate) fn take(&self, into: &mut Vec<Delivery>) {
        std::mem::swap(&mut self.lock().deliveries, into);
    }

    /// Refuses further deliveries and drops the queued ones; called when the session
    /// ends.
    pub(crate) fn shut(&self) {
        let mut queue = self.lock();
        queue.closed = true;
        queue.deliveries.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
