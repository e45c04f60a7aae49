//! A connection pool's books as a state machine: which connections exist, which are
//! idle, who waits, and when something expires, with no IO and no clock.
//!
//! The pool never sees a connection: it knows each by a [`ConnId`] handle, and the
//! adapter keeps the connection itself (a socket and a [`crate::conn::Connection`])
//! under that handle, as quinn's `Endpoint` knows its connections.

mod config;
mod event;

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use crate::deadline;

pub use config::{
    DEFAULT_CHECKOUT_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_LIFETIME, DEFAULT_MAX_SIZE,
    DEFAULT_MIN_IDLE, MIN_IDLE_RETRY_DELAY, PoolConfig,
};
pub use event::{Checkout, CloseCause, ConnId, Event, WaitFailure, WaiterId};

/// Where one connection is in its life, as the pool sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnState {
    /// The adapter is opening it ([`Event::Open`]).
    Opening,
    /// Open and in the pool, free for the next checkout.
    Idle,
    /// Open and held by a caller (checked out or granted), until checked in.
    Busy,
}

/// One connection's entry in the books.
#[derive(Debug, Clone, Copy)]
struct Entry {
    state: ConnState,
    /// When it opened (for the maximum lifetime); unset while opening.
    opened_at: Option<Instant>,
    /// When it last became idle, while idle.
    idle_since: Option<Instant>,
}

/// One caller waiting for a connection.
#[derive(Debug, Clone, Copy)]
struct Waiter {
    id: WaiterId,
    deadline: Option<Instant>,
}

/// The books of one connection pool, as a pure state machine.
///
/// Its methods come in the four kinds of [`crate::conn::Connection`]'s:
///
/// - **Getters** (`&self`): [`config`](Self::config), [`size`](Self::size),
///   [`idle`](Self::idle), [`busy`](Self::busy), [`opening`](Self::opening),
///   [`waiting`](Self::waiting), [`conn_state`](Self::conn_state),
///   [`is_closed`](Self::is_closed).
/// - **Inputs**, when the adapter learns something: [`handle_opened`](Self::handle_opened),
///   [`handle_open_failed`](Self::handle_open_failed), [`handle_closed`](Self::handle_closed),
///   [`handle_timeout`](Self::handle_timeout).
/// - **Application calls**: [`checkout`](Self::checkout), [`checkin`](Self::checkin),
///   [`cancel`](Self::cancel), [`resize`](Self::resize), [`close`](Self::close).
/// - **Drains**: [`poll_event`](Self::poll_event) (open a connection, close one,
///   grant one to a waiter, fail a waiter) and [`poll_timeout`](Self::poll_timeout)
///   (the next deadline: a waiter's checkout timeout, an idle timeout, a lifetime).
///
/// After any input or application call, take events until `None` and re-arm the
/// timer from `poll_timeout()`; when the timer fires, call `handle_timeout`.
///
/// What it guarantees:
/// - Waiters are served first come, first served: a connection that comes free (by
///   checkin or by opening) goes to the oldest waiter.
/// - Each waiter gets exactly one outcome: [`Event::Granted`] or [`Event::Failed`],
///   unless it is cancelled first.
/// - A connection is held by at most one caller at a time.
/// - Opening, idle and busy connections together never number more than
///   [`PoolConfig::max_size`] (except after [`resize`](Self::resize) lowers it, until
///   the surplus is closed).
/// - While callers wait and there is room, a connection is being opened for each.
///
/// ```
/// use std::time::{Duration, Instant};
/// use redis_sansio::pool::{Checkout, Event, Pool, PoolConfig};
///
/// let now = Instant::now();
/// let mut pool = Pool::new(PoolConfig::default().with_max_size(1), now);
///
/// // No connection yet: the caller waits, and the pool asks for one to be opened.
/// let Checkout::Wait(waiter) = pool.checkout(now) else { unreachable!() };
/// let Some(Event::Open(conn)) = pool.poll_event() else { unreachable!() };
///
/// // The adapter opened it: it goes to the waiter.
/// pool.handle_opened(conn, now);
/// assert_eq!(pool.poll_event(), Some(Event::Granted { waiter, conn }));
///
/// // Checked in healthy, it is idle and handed out at once next time.
/// pool.checkin(conn, true, now);
/// assert_eq!(pool.checkout(now + Duration::from_secs(1)), Checkout::Ready(conn));
/// ```
#[derive(Debug)]
pub struct Pool {
    config: PoolConfig,
    /// The effective maximum size ([`PoolConfig::effective_max_size`]).
    max_size: usize,
    conns: BTreeMap<ConnId, Entry>,
    /// Idle connections, the longest idle at the front; checkouts take from the back.
    idle: VecDeque<ConnId>,
    opening: usize,
    waiters: VecDeque<Waiter>,
    events: VecDeque<Event>,
    next_conn: u64,
    next_waiter: u64,
    /// After a failed open: no open only for `min_idle` before this instant.
    min_idle_retry_at: Option<Instant>,
    closed: bool,
    /// Checkouts that found the pool at its maximum size, since it was made.
    waits: u64,
    /// Checkouts that failed because their timeout passed, since the pool was made.
    checkout_timeouts: u64,
}

impl Pool {
    /// An empty pool. It opens nothing until a checkout, or until
    /// [`handle_timeout`](Self::handle_timeout) when `min_idle` is above 0 (the first
    /// [`poll_timeout`](Self::poll_timeout) is `now` then).
    pub fn new(config: PoolConfig, now: Instant) -> Self {
        let max_size = config.effective_max_size();
        let mut pool = Pool {
            config,
            max_size,
            conns: BTreeMap::new(),
            idle: VecDeque::new(),
            opening: 0,
            waiters: VecDeque::new(),
            events: VecDeque::new(),
            next_conn: 0,
            next_waiter: 0,
            min_idle_retry_at: None,
            closed: false,
            waits: 0,
            checkout_timeouts: 0,
        };
        if pool.min_idle() > 0 {
            pool.min_idle_retry_at = Some(now);
        }
        pool
    }

    // ---- A: getters -------------------------------------------------------------

    /// The settings the pool was made with.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// How many connections count against the maximum: opening, idle and busy.
    pub fn size(&self) -> usize {
        self.conns.len()
    }

    /// How many connections are idle.
    pub fn idle(&self) -> usize {
        self.idle.len()
    }

    /// How many connections are held by callers.
    pub fn busy(&self) -> usize {
        self.conns
            .len()
            .saturating_sub(self.idle.len() + self.opening)
    }

    /// How many connections are being opened.
    pub fn opening(&self) -> usize {
        self.opening
    }

    /// How many callers wait for a connection.
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }

    /// How many checkouts found every connection busy and the pool at its maximum
    /// size (so they waited for one to come back), since the pool was made. A
    /// checkout that waits only for a connection to be opened for it is not counted.
    pub fn waits(&self) -> u64 {
        self.waits
    }

    /// How many waiting checkouts failed with [`WaitFailure::TimedOut`] since the pool
    /// was made.
    pub fn checkout_timeouts(&self) -> u64 {
        self.checkout_timeouts
    }

    /// Where `conn` is in its life; `None` for a handle the pool does not hold (never
    /// given out, or closed).
    pub fn conn_state(&self, conn: ConnId) -> Option<ConnState> {
        self.conns.get(&conn).map(|entry| entry.state)
    }

    /// Whether [`close`](Self::close) has been called.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    // ---- B: inputs --------------------------------------------------------------

    /// Call when the connection asked for by [`Event::Open`] is open. It goes to the
    /// oldest waiter ([`Event::Granted`]), or becomes idle. Returns `false`, changing
    /// nothing, when `conn` is not being opened.
    pub fn handle_opened(&mut self, conn: ConnId, now: Instant) -> bool {
        let Some(entry) = self.conns.get_mut(&conn) else {
            return false;
        };
        if entry.state != ConnState::Opening {
            return false;
        }
        entry.opened_at = Some(now);
        entry.state = ConnState::Busy;
        self.opening -= 1;
        self.release(conn, now);
        true
    }

    /// Call when opening the connection asked for by [`Event::Open`] failed. Its
    /// place is freed and, unless the opens still under way outnumber the waiters,
    /// the oldest waiter fails with [`WaitFailure::OpenFailed`] (the adapter hands it
    /// the open's error), so that callers do not wait out their timeout while the
    /// server is down; opens for `min_idle` alone pause for
    /// [`MIN_IDLE_RETRY_DELAY`]. Returns `false`, changing nothing, when `conn` is not
    /// being opened.
    pub fn handle_open_failed(&mut self, conn: ConnId, now: Instant) -> bool {
        if self.conn_state(conn) != Some(ConnState::Opening) {
            return false;
        }
        self.conns.remove(&conn);
        self.opening -= 1;
        // Fail a waiter only when the opens still under way cannot serve them all.
        if self.waiters.len() > self.opening {
            if let Some(waiter) = self.waiters.pop_front() {
                self.events.push_back(Event::Failed {
                    waiter: waiter.id,
                    reason: WaitFailure::OpenFailed,
                });
            }
        }
        self.min_idle_retry_at = Some(now + MIN_IDLE_RETRY_DELAY);
        self.fill();
        true
    }

    /// Call when the adapter finds a connection closed on its own (the server closed
    /// it while it was idle, say) or drops it: the pool forgets it without an
    /// [`Event::Close`], and opens a replacement if callers wait. For a connection
    /// being opened this is [`handle_open_failed`](Self::handle_open_failed).
    /// Returns `false` for a handle the pool does not hold.
    pub fn handle_closed(&mut self, conn: ConnId, now: Instant) -> bool {
        match self.conn_state(conn) {
            None => false,
            Some(ConnState::Opening) => self.handle_open_failed(conn, now),
            Some(ConnState::Idle) => {
                self.idle.retain(|&idle| idle != conn);
                self.conns.remove(&conn);
                self.fill();
                true
            }
            Some(ConnState::Busy) => {
                self.conns.remove(&conn);
                self.fill();
                true
            }
        }
    }

    /// Call when the deadline from [`poll_timeout`](Self::poll_timeout) has come (or
    /// any time: early calls do nothing). Fails waiters whose checkout timeout has
    /// passed ([`WaitFailure::TimedOut`]), closes idle connections past their idle
    /// timeout (beyond `min_idle`) or their lifetime, and opens connections to keep
    /// `min_idle`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let events = &mut self.events;
        let timeouts = &mut self.checkout_timeouts;
        self.waiters.retain(|waiter| {
            let expired = waiter.deadline.is_some_and(|at| at <= now);
            if expired {
                *timeouts += 1;
                events.push_back(Event::Failed {
                    waiter: waiter.id,
                    reason: WaitFailure::TimedOut,
                });
            }
            !expired
        });
        self.expire_idle(now);
        if self.min_idle_retry_at.is_some_and(|at| at <= now) {
            self.min_idle_retry_at = None;
        }
        self.fill();
    }

    // ---- C: application calls ---------------------------------------------------

    /// Call when a caller wants a connection. Hands out the most recently used idle
    /// connection ([`Checkout::Ready`]; idle ones past their lifetime are closed on
    /// the way), or makes the caller a waiter ([`Checkout::Wait`]) and,
    /// if there is room, asks for a connection to be opened ([`Event::Open`]).
    pub fn checkout(&mut self, now: Instant) -> Checkout {
        if self.closed {
            return Checkout::Closed;
        }
        while let Some(conn) = self.idle.pop_back() {
            let Some(entry) = self.conns.get_mut(&conn) else {
                continue;
            };
            if let Some(cause) = lifetime_expiry(&self.config, entry, now) {
                self.conns.remove(&conn);
                self.events.push_back(Event::Close { conn, cause });
                continue;
            }
            entry.state = ConnState::Busy;
            entry.idle_since = None;
            self.fill();
            return Checkout::Ready(conn);
        }
        let full = self.size() >= self.max_size;
        let id = WaiterId(self.next_waiter);
        self.next_waiter += 1;
        self.waiters.push_back(Waiter {
            id,
            deadline: self
                .config
                .checkout_timeout
                .map(|timeout| deadline::after(now, timeout)),
        });
        self.fill();
        if full {
            self.waits += 1;
            crate::trace::pool_wait(self.waiters.len(), self.size());
        }
        Checkout::Wait(id)
    }

    /// Call when a caller gives back `conn`, from a checkout or a grant. A healthy
    /// connection goes to the oldest waiter ([`Event::Granted`]) or becomes idle; an
    /// unhealthy one (it closed, or broke mid-call), one past its lifetime, or one
    /// beyond the maximum size is closed ([`Event::Close`]) and, if callers wait,
    /// replaced. Returns `false`, changing nothing, when `conn` is not checked out.
    pub fn checkin(&mut self, conn: ConnId, healthy: bool, now: Instant) -> bool {
        if self.conn_state(conn) != Some(ConnState::Busy) {
            return false;
        }
        if !healthy {
            self.close_conn(conn, CloseCause::Unhealthy);
            self.fill();
            return true;
        }
        self.release(conn, now);
        true
    }

    /// Call when a waiter gives up (its caller went away). It leaves the queue; if
    /// its outcome is already decided but not yet taken from
    /// [`poll_event`](Self::poll_event), that event is withdrawn, and a connection
    /// granted to it goes to the next waiter or back to idle. Returns `false` when
    /// the waiter is unknown or its outcome was already taken: a connection granted
    /// to it must then be checked in.
    pub fn cancel(&mut self, waiter: WaiterId, now: Instant) -> bool {
        if let Some(at) = self.waiters.iter().position(|w| w.id == waiter) {
            self.waiters.remove(at);
            return true;
        }
        let queued = self.events.iter().position(|event| match event {
            Event::Granted { waiter: w, .. } | Event::Failed { waiter: w, .. } => *w == waiter,
            _ => false,
        });
        match queued.and_then(|at| self.events.remove(at)) {
            Some(Event::Granted { conn, .. }) => {
                self.release(conn, now);
                true
            }
            Some(_) => true,
            None => false,
        }
    }

    /// Changes the maximum size (0 counts as 1). Growing opens connections for
    /// waiters at once; shrinking closes idle connections beyond the new size
    /// ([`CloseCause::Surplus`]) now, and busy or opening ones when they come back.
    pub fn resize(&mut self, max_size: usize) {
        self.config.max_size = max_size;
        self.max_size = self.config.effective_max_size();
        while self.conns.len() > self.max_size {
            let Some(conn) = self.idle.pop_front() else {
                break;
            };
            self.close_conn(conn, CloseCause::Surplus);
        }
        self.fill();
    }

    /// Closes the pool: every waiter fails ([`WaitFailure::PoolClosed`]), idle
    /// connections are closed now, busy and opening ones when they come back, and
    /// later checkouts get [`Checkout::Closed`].
    pub fn close(&mut self) {
        self.closed = true;
        while let Some(waiter) = self.waiters.pop_front() {
            self.events.push_back(Event::Failed {
                waiter: waiter.id,
                reason: WaitFailure::PoolClosed,
            });
        }
        while let Some(conn) = self.idle.pop_front() {
            self.close_conn(conn, CloseCause::PoolClosed);
        }
        self.min_idle_retry_at = None;
    }

    // ---- D: drains --------------------------------------------------------------

    /// The next thing for the adapter to do or deliver. Take them until `None` after
    /// every input or application call.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next: the
    /// earliest checkout timeout, idle timeout, lifetime or open retry. `None` when
    /// nothing is due.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let waiters = self.waiters.iter().filter_map(|waiter| waiter.deadline);
        let lifetimes = self.config.max_lifetime.and_then(|lifetime| {
            self.idle
                .iter()
                .filter_map(|conn| self.conns.get(conn)?.opened_at)
                .min()
                .map(|opened| deadline::after(opened, lifetime))
        });
        // Only the longest-idle connection is closed for idleness, and only beyond
        // `min_idle`: its deadline is the one `handle_timeout` acts on.
        let idle = match (self.config.idle_timeout, self.idle.front()) {
            (Some(timeout), Some(conn)) if self.idle.len() > self.min_idle() => self
                .conns
                .get(conn)
                .and_then(|entry| entry.idle_since)
                .map(|since| deadline::after(since, timeout)),
            _ => None,
        };
        let retry = self.min_idle_retry_at.filter(|_| self.wants_min_idle());
        waiters.chain(lifetimes).chain(idle).chain(retry).min()
    }

    // ---- bookkeeping ------------------------------------------------------------

    fn min_idle(&self) -> usize {
        self.config.effective_min_idle()
    }

    /// Whether `min_idle` asks for more connections than are idle or opening, with
    /// room to open them.
    fn wants_min_idle(&self) -> bool {
        !self.closed
            && self.conns.len() < self.max_size
            && self.idle.len() + self.opening < self.min_idle() + self.waiters.len()
    }

    /// A busy connection comes free: closed if it is surplus, too old or the pool is
    /// closed; otherwise granted to the oldest waiter, or made idle.
    fn release(&mut self, conn: ConnId, now: Instant) {
        let Some(entry) = self.conns.get(&conn) else {
            return;
        };
        let cause = if self.closed {
            Some(CloseCause::PoolClosed)
        } else if self.conns.len() > self.max_size {
            Some(CloseCause::Surplus)
        } else {
            lifetime_expiry(&self.config, entry, now)
        };
        if let Some(cause) = cause {
            self.close_conn(conn, cause);
            self.fill();
            return;
        }
        let waiter = self.waiters.pop_front();
        let Some(entry) = self.conns.get_mut(&conn) else {
            return;
        };
        if let Some(waiter) = waiter {
            entry.state = ConnState::Busy;
            entry.idle_since = None;
            self.events.push_back(Event::Granted {
                waiter: waiter.id,
                conn,
            });
        } else {
            entry.state = ConnState::Idle;
            entry.idle_since = Some(now);
            self.idle.push_back(conn);
        }
    }

    /// Forgets `conn` (not idle-listed) and tells the adapter to close it.
    fn close_conn(&mut self, conn: ConnId, cause: CloseCause) {
        if self.conns.remove(&conn).is_some() {
            self.events.push_back(Event::Close { conn, cause });
        }
    }

    /// Closes idle connections past their lifetime, then the longest idle ones past
    /// their idle timeout while more than `min_idle` are idle.
    fn expire_idle(&mut self, now: Instant) {
        if let Some(lifetime) = self.config.max_lifetime {
            let conns = &self.conns;
            let (expired, kept): (Vec<ConnId>, Vec<ConnId>) = self.idle.iter().partition(|conn| {
                conns
                    .get(conn)
                    .and_then(|entry| entry.opened_at)
                    .is_some_and(|opened| deadline::after(opened, lifetime) <= now)
            });
            self.idle = kept.into();
            for conn in expired {
                self.close_conn(conn, CloseCause::MaxLifetime);
            }
        }
        let Some(timeout) = self.config.idle_timeout else {
            return;
        };
        while self.idle.len() > self.min_idle() {
            let Some(&conn) = self.idle.front() else {
                break;
            };
            let since = self.conns.get(&conn).and_then(|entry| entry.idle_since);
            if since.is_some_and(|since| deadline::after(since, timeout) > now) {
                break;
            }
            self.idle.pop_front();
            self.close_conn(conn, CloseCause::IdleTimeout);
        }
    }

    /// Asks for connections while there is room and waiters (or `min_idle`, outside
    /// a retry pause) need more than are idle or opening.
    fn fill(&mut self) {
        while !self.closed && self.conns.len() < self.max_size {
            let supply = self.idle.len() + self.opening;
            let for_waiters = supply < self.waiters.len();
            let for_min_idle =
                self.min_idle_retry_at.is_none() && supply < self.waiters.len() + self.min_idle();
            if !(for_waiters || for_min_idle) {
                return;
            }
            let conn = ConnId(self.next_conn);
            self.next_conn += 1;
            self.conns.insert(
                conn,
                Entry {
                    state: ConnState::Opening,
                    opened_at: None,
                    idle_since: None,
                },
            );
            self.opening += 1;
            self.events.push_back(Event::Open(conn));
        }
    }
}

/// [`CloseCause::MaxLifetime`] when the connection has lived its lifetime.
fn lifetime_expiry(config: &PoolConfig, entry: &Entry, now: Instant) -> Option<CloseCause> {
    let lifetime = config.max_lifetime?;
    let opened = entry.opened_at?;
    (deadline::after(opened, lifetime) <= now).then_some(CloseCause::MaxLifetime)
}
