//! What the blocking and the async pool share: the core's books, plus the
//! connections themselves under their handles and the outcomes decided for waiters.
//! No IO and no waiting here; the drivers do that around it.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use redis_io_async::PoolError;
use redis_sansio::pool::{
    Checkout, ConnId, Event, Pool as Machine, PoolConfig, WaitFailure, WaiterId,
};

use super::{PoolStatus, Poolable};
use crate::Error;

/// Who should be told that something changed, after a call on [`Books`].
#[derive(Debug, Default)]
pub(crate) struct Woken {
    /// Waiters whose outcome is now decided.
    pub(crate) waiters: Vec<WaiterId>,
    /// A connection is waiting to be opened by some caller.
    pub(crate) opens: bool,
}

/// How a checkout starts.
pub(crate) enum Start<C> {
    /// A live idle connection, now the caller's.
    Ready(ConnId, C),
    /// The caller waits as this waiter.
    Wait(WaiterId),
    /// The pool is closed.
    Closed,
}

/// The core's books and the connections they stand for.
pub(crate) struct Books<C> {
    machine: Machine,
    /// Idle connections, and granted ones their waiter has not taken yet.
    conns: HashMap<ConnId, C>,
    /// Decided outcomes their waiter has not taken yet: a granted handle or an error.
    outcomes: HashMap<WaiterId, Result<ConnId, Error>>,
    /// Connections the core asked for that no caller is opening yet.
    to_open: VecDeque<ConnId>,
}

impl<C: Poolable> Books<C> {
    pub(crate) fn new(config: PoolConfig, now: Instant) -> Self {
        Books {
            machine: Machine::new(config, now),
            conns: HashMap::new(),
            outcomes: HashMap::new(),
            to_open: VecDeque::new(),
        }
    }

    pub(crate) fn status(&self) -> PoolStatus {
        PoolStatus {
            size: self.machine.size(),
            idle: self.machine.idle(),
            busy: self.machine.busy(),
            opening: self.machine.opening(),
            waiting: self.machine.waiting(),
            waits: self.machine.waits(),
            checkout_timeouts: self.machine.checkout_timeouts(),
        }
    }

    /// When [`tick`](Self::tick) has something to do next.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.machine.poll_timeout()
    }

    /// Handles whatever deadline has passed: checkout timeouts, idle timeouts,
    /// lifetimes, `min_idle`. Call on every entry into the pool.
    pub(crate) fn tick(&mut self, now: Instant, woken: &mut Woken) {
        if self.machine.poll_timeout().is_some_and(|at| at <= now) {
            self.machine.handle_timeout(now);
            self.drain(None, woken);
        }
    }

    /// Starts a checkout. An idle connection that turns out closed is forgotten and
    /// the next one tried; each pass forgets one, so this ends.
    pub(crate) fn checkout(&mut self, now: Instant, woken: &mut Woken) -> Start<C> {
        loop {
            let start = self.machine.checkout(now);
            self.drain(None, woken);
            match start {
                Checkout::Ready(id) => {
                    if let Some(mut conn) = self.conns.remove(&id) {
                        if conn.probe_alive() {
                            return Start::Ready(id, conn);
                        }
                    }
                    self.machine.handle_closed(id, now);
                    self.drain(None, woken);
                }
                Checkout::Wait(waiter) => return Start::Wait(waiter),
                Checkout::Closed => return Start::Closed,
            }
        }
    }

    /// Whether `waiter`'s outcome is decided.
    pub(crate) fn is_decided(&self, waiter: WaiterId) -> bool {
        self.outcomes.contains_key(&waiter)
    }

    /// Takes `waiter`'s outcome once it is decided.
    pub(crate) fn take_outcome(&mut self, waiter: WaiterId) -> Option<Result<(ConnId, C), Error>> {
        let outcome = self.outcomes.remove(&waiter)?;
        Some(outcome.and_then(|id| {
            self.conns
                .remove(&id)
                .map(|conn| (id, conn))
                .ok_or(Error::Pool(PoolError::OpenFailed))
        }))
    }

    /// Whether a connection waits to be opened.
    pub(crate) fn has_open(&self) -> bool {
        !self.to_open.is_empty()
    }

    /// A connection to open, which the caller then reports with
    /// [`opened`](Self::opened) (or gives back with [`requeue_open`](Self::requeue_open)).
    pub(crate) fn take_open(&mut self) -> Option<ConnId> {
        self.to_open.pop_front()
    }

    /// An opener gave up before finishing: someone else opens it.
    pub(crate) fn requeue_open(&mut self, id: ConnId, woken: &mut Woken) {
        self.to_open.push_front(id);
        woken.opens = true;
    }

    /// Reports how opening `id` went.
    pub(crate) fn opened(
        &mut self,
        id: ConnId,
        result: Result<C, Error>,
        now: Instant,
        woken: &mut Woken,
    ) {
        match result {
            Ok(conn) => {
                self.conns.insert(id, conn);
                if !self.machine.handle_opened(id, now) {
                    self.conns.remove(&id);
                }
                self.drain(None, woken);
            }
            Err(error) => {
                self.machine.handle_open_failed(id, now);
                self.drain(Some(error), woken);
            }
        }
    }

    /// A caller gives `conn` back: reused when [`Poolable::reusable`], else closed.
    pub(crate) fn checkin(&mut self, id: ConnId, conn: C, now: Instant, woken: &mut Woken) {
        let healthy = conn.reusable();
        if healthy {
            self.conns.insert(id, conn);
        }
        if !self.machine.checkin(id, healthy, now) {
            self.conns.remove(&id);
        }
        self.drain(None, woken);
    }

    /// A caller takes `id` out of the pool for good: its place is freed.
    pub(crate) fn detach(&mut self, id: ConnId, now: Instant, woken: &mut Woken) {
        self.machine.handle_closed(id, now);
        self.drain(None, woken);
    }

    /// A waiter gives up: it leaves the queue, or the connection already granted to
    /// it goes back to the pool.
    pub(crate) fn cancel(&mut self, waiter: WaiterId, now: Instant, woken: &mut Woken) {
        match self.outcomes.remove(&waiter) {
            Some(Ok(id)) => {
                if !self.machine.checkin(id, true, now) {
                    self.conns.remove(&id);
                }
            }
            Some(Err(_)) => {}
            None => {
                self.machine.cancel(waiter, now);
            }
        }
        self.drain(None, woken);
    }

    /// Closes the pool: waiters fail, idle connections close, the rest as they
    /// come back.
    pub(crate) fn close(&mut self, woken: &mut Woken) {
        self.machine.close();
        self.drain(None, woken);
    }

    /// Carries out the core's events. `open_error` is the error of the open just
    /// reported failed: it goes to the waiter that failed because of it.
    fn drain(&mut self, mut open_error: Option<Error>, woken: &mut Woken) {
        while let Some(event) = self.machine.poll_event() {
            match event {
                Event::Open(id) => {
                    self.to_open.push_back(id);
                    woken.opens = true;
                }
                Event::Close { conn, .. } => drop(self.conns.remove(&conn)),
                Event::Granted { waiter, conn } => {
                    self.outcomes.insert(waiter, Ok(conn));
                    woken.waiters.push(waiter);
                }
                Event::Failed { waiter, reason } => {
                    let error = match reason {
                        WaitFailure::TimedOut => self.timeout_error(),
                        WaitFailure::OpenFailed => open_error
                            .take()
                            .unwrap_or(Error::Pool(PoolError::OpenFailed)),
                        _ => Error::Pool(PoolError::Closed),
                    };
                    self.outcomes.insert(waiter, Err(error));
                    woken.waiters.push(waiter);
                }
                _ => {}
            }
        }
    }

    fn timeout_error(&self) -> Error {
        let config = self.machine.config();
        Error::Pool(PoolError::CheckoutTimeout {
            timeout: config.checkout_timeout.unwrap_or_default(),
            max_size: config.effective_max_size(),
        })
    }
}
