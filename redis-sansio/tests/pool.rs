//! The pool's books: every path of checkout, checkin, opening, closing and timeouts
//! against a simulated clock, then a seeded random run checking the invariants.
// Tests may read the clock (the core may not): it starts the simulated one.
#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use redis_sansio::deadline::LONGEST_WAIT;
use redis_sansio::pool::{
    Checkout, CloseCause, ConnId, ConnState, DEFAULT_CHECKOUT_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_LIFETIME, DEFAULT_MAX_SIZE, DEFAULT_MIN_IDLE, Event, MIN_IDLE_RETRY_DELAY, Pool,
    PoolConfig, WaitFailure, WaiterId,
};

const SECOND: Duration = Duration::from_secs(1);

/// A pool and its simulated clock.
struct Sim {
    pool: Pool,
    now: Instant,
}

impl Sim {
    fn new(config: PoolConfig) -> Self {
        let now = Instant::now();
        Sim {
            pool: Pool::new(config, now),
            now,
        }
    }

    fn with_max(max_size: usize) -> Self {
        Sim::new(
            PoolConfig::default()
                .with_max_size(max_size)
                .with_checkout_timeout(Some(5 * SECOND)),
        )
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.pool.poll_event()).collect()
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    /// Advances to the next deadline and handles it.
    fn fire(&mut self) -> Vec<Event> {
        let at = self.pool.poll_timeout().expect("a deadline");
        self.now = self.now.max(at);
        self.pool.handle_timeout(self.now);
        self.events()
    }

    fn wait(&mut self) -> WaiterId {
        match self.pool.checkout(self.now) {
            Checkout::Wait(waiter) => waiter,
            other => panic!("expected to wait, got {other:?}"),
        }
    }

    fn ready(&mut self) -> ConnId {
        match self.pool.checkout(self.now) {
            Checkout::Ready(conn) => conn,
            other => panic!("expected a connection, got {other:?}"),
        }
    }

    /// Checks out through a fresh open: returns the opened connection.
    fn open_one(&mut self) -> ConnId {
        let waiter = self.wait();
        let [Event::Open(conn)] = self.events()[..] else {
            panic!("expected one open")
        };
        assert!(self.pool.handle_opened(conn, self.now));
        assert_eq!(self.events(), [Event::Granted { waiter, conn }]);
        conn
    }
}

#[test]
fn defaults_are_documented_values() {
    let config = PoolConfig::default();
    assert_eq!(DEFAULT_MAX_SIZE, 10);
    assert_eq!(DEFAULT_MIN_IDLE, 0);
    assert_eq!(DEFAULT_CHECKOUT_TIMEOUT, Duration::from_secs(30));
    assert_eq!(DEFAULT_IDLE_TIMEOUT, Duration::from_secs(600));
    assert_eq!(DEFAULT_MAX_LIFETIME, Duration::from_secs(1800));
    assert_eq!(MIN_IDLE_RETRY_DELAY, SECOND);
    assert_eq!(config.max_size, DEFAULT_MAX_SIZE);
    assert_eq!(config.min_idle, DEFAULT_MIN_IDLE);
    assert_eq!(config.checkout_timeout, Some(DEFAULT_CHECKOUT_TIMEOUT));
    assert_eq!(config.idle_timeout, Some(DEFAULT_IDLE_TIMEOUT));
    assert_eq!(config.max_lifetime, Some(DEFAULT_MAX_LIFETIME));
}

#[test]
fn out_of_range_settings_are_corrected() {
    let config = PoolConfig::default().with_max_size(0).with_min_idle(5);
    assert_eq!(config.effective_max_size(), 1);
    assert_eq!(config.effective_min_idle(), 1);
    let mut sim = Sim::new(config);
    sim.open_one();
    // A pool of one with its connection out makes every checkout wait, and opens
    // nothing more.
    sim.wait();
    assert_eq!(sim.pool.size(), 1);
    assert!(sim.events().is_empty());
}

#[test]
fn empty_pool_opens_for_the_first_checkout_and_grants_it() {
    let mut sim = Sim::with_max(2);
    let waiter = sim.wait();
    let events = sim.events();
    let [Event::Open(conn)] = events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(sim.pool.conn_state(conn), Some(ConnState::Opening));
    assert_eq!((sim.pool.opening(), sim.pool.waiting()), (1, 1));
    assert!(sim.pool.handle_opened(conn, sim.now));
    assert_eq!(sim.events(), [Event::Granted { waiter, conn }]);
    assert_eq!(sim.pool.conn_state(conn), Some(ConnState::Busy));
    assert_eq!((sim.pool.busy(), sim.pool.waiting()), (1, 0));
}

#[test]
fn checked_in_connection_is_reused_most_recent_first() {
    let mut sim = Sim::with_max(2);
    let a = sim.open_one();
    let b = sim.open_one();
    sim.pool.checkin(a, true, sim.now);
    sim.advance(SECOND);
    sim.pool.checkin(b, true, sim.now);
    assert_eq!(sim.pool.idle(), 2);
    assert_eq!(sim.ready(), b);
    assert_eq!(sim.ready(), a);
    assert!(sim.events().is_empty());
}

#[test]
fn waiters_are_served_first_come_first_served() {
    let mut sim = Sim::with_max(1);
    let conn = sim.open_one();
    let first = sim.wait();
    let second = sim.wait();
    let third = sim.wait();
    assert!(
        sim.events().is_empty(),
        "at the maximum, nothing more opens"
    );
    for waiter in [first, second, third] {
        sim.pool.checkin(conn, true, sim.now);
        assert_eq!(sim.events(), [Event::Granted { waiter, conn }]);
    }
    sim.pool.checkin(conn, true, sim.now);
    assert_eq!(sim.pool.idle(), 1);
}

#[test]
fn a_connection_opened_goes_to_the_oldest_waiter() {
    let mut sim = Sim::with_max(2);
    let first = sim.wait();
    let second = sim.wait();
    let events = sim.events();
    let [Event::Open(a), Event::Open(b)] = events[..] else {
        panic!("{events:?}")
    };
    // The second open finishes first, and still serves the first waiter.
    sim.pool.handle_opened(b, sim.now);
    sim.pool.handle_opened(a, sim.now);
    assert_eq!(
        sim.events(),
        [
            Event::Granted {
                waiter: first,
                conn: b
            },
            Event::Granted {
                waiter: second,
                conn: a
            }
        ]
    );
}

#[test]
fn size_never_exceeds_the_maximum() {
    let mut sim = Sim::with_max(3);
    for _ in 0..10 {
        sim.wait();
    }
    let opens = sim
        .events()
        .iter()
        .filter(|event| matches!(event, Event::Open(_)))
        .count();
    assert_eq!(opens, 3);
    assert_eq!((sim.pool.size(), sim.pool.waiting()), (3, 10));
}

#[test]
fn unhealthy_checkin_closes_and_replaces_for_a_waiter() {
    let mut sim = Sim::with_max(1);
    let conn = sim.open_one();
    let waiter = sim.wait();
    assert!(sim.pool.checkin(conn, false, sim.now));
    let events = sim.events();
    let [
        Event::Close {
            conn: closed,
            cause: CloseCause::Unhealthy,
        },
        Event::Open(fresh),
    ] = events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(closed, conn);
    assert_ne!(fresh, conn, "handles are never reused");
    sim.pool.handle_opened(fresh, sim.now);
    assert_eq!(
        sim.events(),
        [Event::Granted {
            waiter,
            conn: fresh
        }]
    );
}

#[test]
fn unhealthy_checkin_without_waiters_opens_nothing() {
    let mut sim = Sim::with_max(1);
    let conn = sim.open_one();
    sim.pool.checkin(conn, false, sim.now);
    assert_eq!(
        sim.events(),
        [Event::Close {
            conn,
            cause: CloseCause::Unhealthy
        }]
    );
    assert_eq!(sim.pool.size(), 0);
}

#[test]
fn waiter_times_out_at_its_checkout_timeout_and_not_before() {
    let mut sim = Sim::with_max(1);
    let _conn = sim.open_one();
    let start = sim.now;
    let waiter = sim.wait();
    assert_eq!(sim.pool.poll_timeout(), Some(start + 5 * SECOND));
    sim.advance(4 * SECOND);
    sim.pool.handle_timeout(sim.now);
    assert!(sim.events().is_empty(), "early calls do nothing");
    assert_eq!(
        sim.fire(),
        [Event::Failed {
            waiter,
            reason: WaitFailure::TimedOut
        }]
    );
    assert_eq!(sim.pool.waiting(), 0);
    assert_eq!(sim.pool.poll_timeout(), None);
}

#[test]
fn waits_at_the_maximum_and_checkout_timeouts_are_counted() {
    let mut sim = Sim::with_max(1);
    let conn = sim.open_one();
    assert_eq!(sim.pool.waits(), 0, "waiting for an open is no contention");
    let first = sim.wait();
    sim.fire();
    let second = sim.wait();
    assert_eq!((sim.pool.waits(), sim.pool.checkout_timeouts()), (2, 1));
    sim.pool.checkin(conn, true, sim.now);
    assert_eq!(
        sim.events(),
        [Event::Granted {
            waiter: second,
            conn
        }]
    );
    assert_ne!(first, second);
    assert_eq!((sim.pool.waits(), sim.pool.checkout_timeouts()), (2, 1));
}

#[test]
fn no_checkout_timeout_waits_forever() {
    let mut sim = Sim::new(
        PoolConfig::default()
            .with_max_size(1)
            .with_checkout_timeout(None)
            .with_max_lifetime(None),
    );
    let conn = sim.open_one();
    let waiter = sim.wait();
    assert_eq!(sim.pool.poll_timeout(), None);
    sim.advance(Duration::from_secs(3600));
    sim.pool.handle_timeout(sim.now);
    assert!(sim.events().is_empty());
    sim.pool.checkin(conn, true, sim.now);
    assert_eq!(sim.events(), [Event::Granted { waiter, conn }]);
}

#[test]
fn timeouts_of_duration_max_make_distant_deadlines_not_a_panic() {
    let mut sim = Sim::new(
        PoolConfig::default()
            .with_max_size(2)
            .with_checkout_timeout(Some(Duration::MAX))
            .with_idle_timeout(Some(Duration::MAX))
            .with_max_lifetime(Some(Duration::MAX)),
    );
    let idle = sim.open_one();
    let busy = sim.open_one();
    let waiter = sim.wait();
    assert_eq!(sim.pool.poll_timeout(), Some(sim.now + LONGEST_WAIT));
    sim.advance(Duration::from_secs(3600));
    sim.pool.handle_timeout(sim.now);
    assert!(sim.events().is_empty());
    sim.pool.checkin(idle, true, sim.now);
    assert_eq!(sim.events(), [Event::Granted { waiter, conn: idle }]);
    sim.pool.checkin(busy, true, sim.now);
    assert!(sim.events().is_empty());
    assert_eq!(sim.pool.idle(), 1);
    assert!(sim.pool.poll_timeout() > Some(sim.now + Duration::from_secs(3600)));
    assert_eq!(sim.ready(), busy);
}

#[test]
fn failed_open_fails_the_oldest_waiter() {
    let mut sim = Sim::with_max(1);
    let first = sim.wait();
    let second = sim.wait();
    let [Event::Open(conn)] = sim.events()[..] else {
        panic!()
    };
    assert!(sim.pool.handle_open_failed(conn, sim.now));
    let events = sim.events();
    let [
        Event::Failed {
            waiter,
            reason: WaitFailure::OpenFailed,
        },
        Event::Open(retry),
    ] = events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(waiter, first);
    // The next waiter gets its own attempt, and its failure ends its wait too.
    assert!(sim.pool.handle_open_failed(retry, sim.now));
    assert_eq!(
        sim.events(),
        [Event::Failed {
            waiter: second,
            reason: WaitFailure::OpenFailed
        }]
    );
    assert_eq!((sim.pool.size(), sim.pool.waiting()), (0, 0));
}

#[test]
fn failed_open_spares_waiters_while_other_opens_cover_them() {
    let mut sim = Sim::new(PoolConfig::default().with_max_size(3).with_min_idle(2));
    sim.pool.handle_timeout(sim.now);
    let opens = sim.events();
    assert_eq!(opens.len(), 2, "{opens:?}");
    let waiter = sim.wait();
    let events = sim.events();
    let [Event::Open(third)] = events[..] else {
        panic!("{events:?}")
    };
    sim.pool.handle_open_failed(third, sim.now);
    assert!(sim.events().is_empty(), "two opens still under way");
    assert_eq!(sim.pool.waiting(), 1);
    let Event::Open(first) = opens[0] else {
        panic!()
    };
    sim.pool.handle_opened(first, sim.now);
    assert_eq!(
        sim.events(),
        [Event::Granted {
            waiter,
            conn: first
        }]
    );
}

#[test]
fn server_down_every_waiter_fails_after_a_bounded_number_of_opens() {
    let mut sim = Sim::with_max(4);
    let waiters: Vec<WaiterId> = (0..10).map(|_| sim.wait()).collect();
    let mut failed = Vec::new();
    let mut opens = 0;
    let mut queue = sim.events();
    while let Some(event) = queue.pop() {
        match event {
            Event::Open(conn) => {
                opens += 1;
                assert!(opens <= 10, "one attempt per waiter at most");
                sim.pool.handle_open_failed(conn, sim.now);
                queue.extend(sim.events());
            }
            Event::Failed {
                waiter,
                reason: WaitFailure::OpenFailed,
            } => failed.push(waiter),
            other => panic!("{other:?}"),
        }
    }
    failed.sort();
    assert_eq!(failed, waiters);
    assert_eq!(sim.pool.size(), 0);
}

#[test]
fn idle_connections_beyond_min_idle_close_after_the_idle_timeout() {
    let mut sim = Sim::new(
        PoolConfig::default()
            .with_max_size(3)
            .with_min_idle(1)
            .with_idle_timeout(Some(60 * SECOND))
            .with_max_lifetime(None),
    );
    let waiters: Vec<WaiterId> = (0..3).map(|_| sim.wait()).collect();
    let mut conns = Vec::new();
    for (event, waiter) in sim.events().into_iter().zip(waiters) {
        let Event::Open(conn) = event else { panic!() };
        sim.pool.handle_opened(conn, sim.now);
        assert_eq!(sim.events(), [Event::Granted { waiter, conn }]);
        conns.push(conn);
    }
    let [a, b, c] = conns[..] else { panic!() };
    sim.pool.checkin(a, true, sim.now);
    sim.advance(10 * SECOND);
    sim.pool.checkin(b, true, sim.now);
    sim.pool.checkin(c, true, sim.now);
    assert_eq!(sim.pool.poll_timeout(), Some(sim.now + 50 * SECOND));
    assert_eq!(
        sim.fire(),
        [Event::Close {
            conn: a,
            cause: CloseCause::IdleTimeout
        }]
    );
    assert_eq!(
        sim.fire(),
        [Event::Close {
            conn: b,
            cause: CloseCause::IdleTimeout
        }]
    );
    // One is left for min_idle, and nothing more is due.
    assert_eq!(sim.pool.idle(), 1);
    assert_eq!(sim.pool.poll_timeout(), None);
    sim.advance(Duration::from_secs(3600));
    sim.pool.handle_timeout(sim.now);
    assert!(sim.events().is_empty());
    assert_eq!(sim.ready(), c);
}

#[test]
fn max_lifetime_closes_idle_connections_and_old_ones_at_checkin() {
    let mut sim = Sim::new(
        PoolConfig::default()
            .with_max_size(2)
            .with_idle_timeout(None)
            .with_max_lifetime(Some(100 * SECOND)),
    );
    let idle = sim.open_one();
    let busy = sim.open_one();
    sim.pool.checkin(idle, true, sim.now);
    assert_eq!(sim.pool.poll_timeout(), Some(sim.now + 100 * SECOND));
    assert_eq!(
        sim.fire(),
        [Event::Close {
            conn: idle,
            cause: CloseCause::MaxLifetime
        }]
    );
    sim.pool.checkin(busy, true, sim.now);
    assert_eq!(
        sim.events(),
        [Event::Close {
            conn: busy,
            cause: CloseCause::MaxLifetime
        }]
    );
    assert_eq!(sim.pool.size(), 0);
}

#[test]
fn checkout_skips_an_idle_connection_past_its_lifetime() {
    let mut sim = Sim::new(
        PoolConfig::default()
            .with_max_size(2)
            .with_max_lifetime(Some(10 * SECOND)),
    );
    let old = sim.open_one();
    sim.pool.checkin(old, true, sim.now);
    sim.advance(10 * SECOND);
    // The timer was not handled: the checkout itself notices.
    let waiter = sim.wait();
    let events = sim.events();
    let [
        Event::Close {
            conn,
            cause: CloseCause::MaxLifetime,
        },
        Event::Open(fresh),
    ] = events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(conn, old);
    sim.pool.handle_opened(fresh, sim.now);
    assert_eq!(
        sim.events(),
        [Event::Granted {
            waiter,
            conn: fresh
        }]
    );
}

#[test]
fn min_idle_is_opened_on_the_first_timeout_and_retried_after_a_delay() {
    let mut sim = Sim::new(PoolConfig::default().with_max_size(4).with_min_idle(2));
    assert!(sim.events().is_empty(), "nothing opens in new()");
    assert_eq!(sim.pool.poll_timeout(), Some(sim.now));
    let events = sim.fire();
    let [Event::Open(a), Event::Open(b)] = events[..] else {
        panic!("{events:?}")
    };
    sim.pool.handle_opened(a, sim.now);
    sim.pool.handle_open_failed(b, sim.now);
    assert!(
        sim.events().is_empty(),
        "no waiter fails, nothing reopens at once"
    );
    assert_eq!(
        sim.pool.poll_timeout(),
        Some(sim.now + MIN_IDLE_RETRY_DELAY)
    );
    let events = sim.fire();
    let [Event::Open(c)] = events[..] else {
        panic!("{events:?}")
    };
    sim.pool.handle_opened(c, sim.now);
    assert_eq!(sim.pool.idle(), 2);
    assert!(sim.events().is_empty());
    // Taking one below min_idle opens a replacement.
    let _taken = sim.ready();
    assert!(matches!(sim.events()[..], [Event::Open(_)]));
}

#[test]
fn cancelled_waiter_leaves_the_queue() {
    let mut sim = Sim::with_max(1);
    let conn = sim.open_one();
    let first = sim.wait();
    let second = sim.wait();
    assert!(sim.pool.cancel(first, sim.now));
    assert!(!sim.pool.cancel(first, sim.now), "only once");
    sim.pool.checkin(conn, true, sim.now);
    assert_eq!(
        sim.events(),
        [Event::Granted {
            waiter: second,
            conn
        }]
    );
}

#[test]
fn cancel_withdraws_an_undelivered_grant_and_passes_the_connection_on() {
    let mut sim = Sim::with_max(1);
    let conn = sim.open_one();
    let first = sim.wait();
    let second = sim.wait();
    sim.pool.checkin(conn, true, sim.now);
    // The grant to `first` is queued but not taken when `first` gives up.
    assert!(sim.pool.cancel(first, sim.now));
    assert_eq!(
        sim.events(),
        [Event::Granted {
            waiter: second,
            conn
        }]
    );
    // Once delivered, a cancel changes nothing: the holder checks it in.
    assert!(!sim.pool.cancel(second, sim.now));
    assert_eq!(sim.pool.conn_state(conn), Some(ConnState::Busy));
}

#[test]
fn cancel_withdraws_an_undelivered_failure() {
    let mut sim = Sim::with_max(1);
    let _conn = sim.open_one();
    let waiter = sim.wait();
    sim.advance(5 * SECOND);
    sim.pool.handle_timeout(sim.now);
    assert!(sim.pool.cancel(waiter, sim.now));
    assert!(sim.events().is_empty());
}

#[test]
fn closed_idle_connection_is_forgotten_and_replaced_for_waiters() {
    let mut sim = Sim::with_max(2);
    let idle = sim.open_one();
    let busy = sim.open_one();
    sim.pool.checkin(idle, true, sim.now);
    assert!(sim.pool.handle_closed(idle, sim.now));
    assert!(
        sim.events().is_empty(),
        "no Close for what the adapter closed"
    );
    assert_eq!(sim.pool.conn_state(idle), None);
    let waiter = sim.wait();
    let [Event::Open(fresh)] = sim.events()[..] else {
        panic!()
    };
    // A busy one the adapter dropped frees its place too.
    assert!(sim.pool.handle_closed(busy, sim.now));
    assert!(matches!(sim.events()[..], [] | [Event::Open(_)]));
    sim.pool.handle_opened(fresh, sim.now);
    assert_eq!(
        sim.events(),
        [Event::Granted {
            waiter,
            conn: fresh
        }]
    );
}

#[test]
fn bad_handles_change_nothing() {
    let mut sim = Sim::with_max(2);
    let conn = sim.open_one();
    assert!(!sim.pool.handle_opened(conn, sim.now), "already open");
    assert!(!sim.pool.handle_open_failed(conn, sim.now), "not opening");
    assert!(sim.pool.checkin(conn, true, sim.now));
    assert!(!sim.pool.checkin(conn, true, sim.now), "double checkin");
    let mut other = Sim::with_max(1);
    let foreign = other.open_one();
    other.pool.checkin(foreign, false, other.now);
    assert!(
        !other.pool.handle_closed(foreign, other.now),
        "closed already"
    );
    assert!(!other.pool.checkin(foreign, true, other.now));
    assert!(sim.events().is_empty());
    assert_eq!((sim.pool.size(), sim.pool.idle()), (1, 1));
}

#[test]
fn shrinking_closes_surplus_idle_now_and_busy_at_checkin() {
    let mut sim = Sim::with_max(3);
    let a = sim.open_one();
    let b = sim.open_one();
    let c = sim.open_one();
    sim.pool.checkin(a, true, sim.now);
    sim.pool.resize(1);
    assert_eq!(
        sim.events(),
        [Event::Close {
            conn: a,
            cause: CloseCause::Surplus
        }]
    );
    sim.pool.checkin(b, true, sim.now);
    assert_eq!(
        sim.events(),
        [Event::Close {
            conn: b,
            cause: CloseCause::Surplus
        }]
    );
    sim.pool.checkin(c, true, sim.now);
    assert!(sim.events().is_empty());
    assert_eq!((sim.pool.size(), sim.pool.idle()), (1, 1));
    // Growing again opens for waiters at once.
    let _ = sim.ready();
    let _ = sim.wait();
    assert!(sim.events().is_empty());
    sim.pool.resize(2);
    assert!(matches!(sim.events()[..], [Event::Open(_)]));
}

#[test]
fn closing_fails_waiters_and_closes_everything() {
    let mut sim = Sim::with_max(2);
    let idle = sim.open_one();
    let busy = sim.open_one();
    sim.pool.checkin(idle, true, sim.now);
    let _ = sim.ready();
    let waiter = sim.wait();
    let _ = sim.events();
    sim.pool.close();
    assert!(sim.pool.is_closed());
    assert_eq!(
        sim.events(),
        [Event::Failed {
            waiter,
            reason: WaitFailure::PoolClosed
        }]
    );
    assert_eq!(sim.pool.checkout(sim.now), Checkout::Closed);
    sim.pool.checkin(busy, true, sim.now);
    sim.pool.checkin(idle, true, sim.now);
    assert_eq!(
        sim.events(),
        [
            Event::Close {
                conn: busy,
                cause: CloseCause::PoolClosed
            },
            Event::Close {
                conn: idle,
                cause: CloseCause::PoolClosed
            }
        ]
    );
    assert_eq!(sim.pool.size(), 0);
    assert_eq!(sim.pool.poll_timeout(), None);
}

// ---- randomized --------------------------------------------------------------

/// A tiny deterministic PRNG (xorshift64*), so the run is the same every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What the adapter side knows, to check the pool against.
#[derive(Default)]
struct Model {
    opening: BTreeSet<ConnId>,
    idle_or_free: HashSet<ConnId>,
    held: BTreeSet<ConnId>,
    waiting: BTreeSet<WaiterId>,
    outcomes: HashMap<WaiterId, &'static str>,
}

impl Model {
    fn settle(&mut self, sim: &mut Sim, max: usize) {
        while let Some(event) = sim.pool.poll_event() {
            match event {
                Event::Open(conn) => assert!(self.opening.insert(conn), "opened twice"),
                Event::Close { conn, .. } => {
                    assert!(!self.held.contains(&conn), "closed while held");
                    self.idle_or_free.remove(&conn);
                }
                Event::Granted { waiter, conn } => {
                    assert!(self.waiting.remove(&waiter), "grant to a non-waiter");
                    assert!(self.held.insert(conn), "granted twice: {conn}");
                    self.idle_or_free.remove(&conn);
                    self.outcome(waiter, "granted");
                }
                Event::Failed { waiter, .. } => {
                    assert!(self.waiting.remove(&waiter), "failure of a non-waiter");
                    self.outcome(waiter, "failed");
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(sim.pool.size() <= max, "size {} > {max}", sim.pool.size());
        assert_eq!(sim.pool.opening(), self.opening.len());
        assert_eq!(sim.pool.busy(), self.held.len());
        assert_eq!(sim.pool.waiting(), self.waiting.len());
        assert_eq!(
            sim.pool.size(),
            self.opening.len() + sim.pool.idle() + self.held.len()
        );
    }

    fn outcome(&mut self, waiter: WaiterId, what: &'static str) {
        if let Some(before) = self.outcomes.insert(waiter, what) {
            panic!("{waiter} had two outcomes: {before} then {what}");
        }
    }
}

#[test]
fn random_operations_keep_the_invariants() {
    const MAX: usize = 4;
    const STEPS: usize = 20_000;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut sim = Sim::new(
        PoolConfig::default()
            .with_max_size(MAX)
            .with_min_idle(1)
            .with_checkout_timeout(Some(3 * SECOND))
            .with_idle_timeout(Some(7 * SECOND))
            .with_max_lifetime(Some(20 * SECOND)),
    );
    let mut model = Model::default();
    let mut waiters_made = 0usize;
    let mut cancelled = 0usize;
    let mut ready = 0usize;
    for _ in 0..STEPS {
        match rng.below(9) {
            0 | 1 => match sim.pool.checkout(sim.now) {
                Checkout::Ready(conn) => {
                    assert!(model.held.insert(conn), "handed out twice: {conn}");
                    ready += 1;
                }
                Checkout::Wait(waiter) => {
                    assert!(model.waiting.insert(waiter));
                    waiters_made += 1;
                }
                Checkout::Closed => unreachable!(),
            },
            2 => {
                let Some(&conn) = pick(&mut rng, &model.held) else {
                    continue;
                };
                model.held.remove(&conn);
                let healthy = rng.below(4) != 0;
                assert!(sim.pool.checkin(conn, healthy, sim.now));
            }
            3 | 4 => {
                let Some(&conn) = pick(&mut rng, &model.opening) else {
                    continue;
                };
                model.opening.remove(&conn);
                if rng.below(3) == 0 {
                    assert!(sim.pool.handle_open_failed(conn, sim.now));
                } else {
                    assert!(sim.pool.handle_opened(conn, sim.now));
                }
            }
            5 => {
                let Some(&waiter) = pick(&mut rng, &model.waiting) else {
                    continue;
                };
                assert!(sim.pool.cancel(waiter, sim.now));
                model.waiting.remove(&waiter);
                model.outcome(waiter, "cancelled");
                cancelled += 1;
            }
            6 => {
                // The adapter finds a held connection dead and drops it.
                let Some(&conn) = pick(&mut rng, &model.held) else {
                    continue;
                };
                model.held.remove(&conn);
                assert!(sim.pool.handle_closed(conn, sim.now));
            }
            7 => sim.advance(Duration::from_millis(rng.below(2_000))),
            _ => {
                if let Some(at) = sim.pool.poll_timeout() {
                    sim.now = sim.now.max(at);
                }
                sim.pool.handle_timeout(sim.now);
                // Whatever was due is done: the next deadline is in the future, so
                // an adapter's timer loop never spins.
                assert!(sim.pool.poll_timeout().is_none_or(|at| at > sim.now));
            }
        }
        model.settle(&mut sim, MAX);
    }
    // Wind down: let every open succeed and every waiter time out or be served.
    for _ in 0..1_000 {
        if model.waiting.is_empty() && model.opening.is_empty() {
            break;
        }
        for conn in std::mem::take(&mut model.opening) {
            sim.pool.handle_opened(conn, sim.now);
        }
        sim.advance(SECOND);
        sim.pool.handle_timeout(sim.now);
        model.settle(&mut sim, MAX);
    }
    assert!(model.waiting.is_empty());
    assert_eq!(
        model.outcomes.len(),
        waiters_made,
        "every waiter, one outcome"
    );
    assert!(
        waiters_made > 1_000 && ready > 500 && cancelled > 100,
        "the run covers every path: {waiters_made} waiters, {ready} ready, {cancelled} cancelled"
    );
}

fn pick<'a, T>(rng: &mut Rng, set: &'a BTreeSet<T>) -> Option<&'a T> {
    if set.is_empty() {
        return None;
    }
    set.iter().nth(rng.below(set.len() as u64) as usize)
}
