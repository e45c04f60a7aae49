//! Reconnecting after the connection is lost: the policy, and the driver's state while
//! it opens a new connection.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use redis_sansio::CloseReason;
use redis_sansio::config::ConnectionConfig;

use super::driver::Driver;
use crate::{Connection, Error, Runtime};

/// How a [`Client`](super::Client) reconnects when its connection is lost, set with
/// [`Client::with_reconnect`](super::Client::with_reconnect).
///
/// The first attempt is made at once; each later one waits `initial_delay`, doubled
/// per failed attempt, at most `max_delay`. After `max_attempts` failed attempts in a
/// row the client gives up and closes for good with the reason the connection was
/// lost.
///
/// ```
/// use std::time::Duration;
/// use redis_io_async::Reconnect;
///
/// let policy = Reconnect::default().max_attempts(20).delays(Duration::from_millis(50), Duration::from_secs(2));
/// assert_eq!(policy.delay(1), Duration::ZERO);
/// assert_eq!(policy.delay(2), Duration::from_millis(50));
/// assert_eq!(policy.delay(3), Duration::from_millis(100));
/// assert_eq!(policy.delay(20), Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconnect {
    max_attempts: u32,
    initial_delay: Duration,
    max_delay: Duration,
}

impl Default for Reconnect {
    /// 10 attempts, waiting 0, 100 ms, 200 ms, ... up to 5 s between them: about
    /// 20 seconds of outage are ridden out.
    fn default() -> Self {
        Reconnect {
            max_attempts: 10,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl Reconnect {
    /// Failed attempts in a row before giving up (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the second attempt, and the most any wait may grow to.
    pub fn delays(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_delay = initial;
        self.max_delay = max.max(initial);
        self
    }

    /// How long to wait before attempt number `attempt` (1 for the first, which is
    /// made at once).
    pub fn delay(&self, attempt: u32) -> Duration {
        match attempt {
            0 | 1 => Duration::ZERO,
            n => {
                let doublings = (n - 2).min(31);
                self.initial_delay
                    .saturating_mul(1 << doublings)
                    .min(self.max_delay)
            }
        }
    }

    /// The number of failed attempts after which the client gives up.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }
}

type Connecting<R> = Pin<Box<dyn Future<Output = Result<Connection<R>, Error>> + Send>>;

/// The driver's state between losing its connection and having a new one. Calls made
/// meanwhile wait in the queue and go out on the new connection.
pub(super) struct Reconnecting<R: Runtime> {
    policy: Reconnect,
    /// Why the connection was lost: the close reason if the client gives up.
    reason: CloseReason,
    /// Attempts started so far in this outage.
    attempt: u32,
    step: Step<R>,
}

enum Step<R: Runtime> {
    Wait(Pin<Box<R::Sleep>>),
    Connect(Connecting<R>),
}

impl<R: Runtime> Reconnecting<R> {
    /// Starts an outage: the first attempt, at once.
    pub(super) fn start(policy: Reconnect, reason: CloseReason, config: &ConnectionConfig) -> Self {
        Reconnecting {
            policy,
            reason,
            attempt: 1,
            step: Step::Connect(Box::pin(Connection::<R>::connect(config.clone()))),
        }
    }

    /// Drives the attempts: `Ready(Ok(connection))` once one succeeds,
    /// `Ready(Err(reason))` when the policy gives up.
    pub(super) fn poll(
        &mut self,
        cx: &mut Context<'_>,
        config: &ConnectionConfig,
    ) -> Poll<Result<Connection<R>, CloseReason>> {
        loop {
            match &mut self.step {
                Step::Wait(sleep) => {
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.step = Step::Connect(Box::pin(Connection::<R>::connect(config.clone())));
                }
                Step::Connect(connecting) => match connecting.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(conn)) => return Poll::Ready(Ok(conn)),
                    Poll::Ready(Err(_)) if self.attempt >= self.policy.max_attempts => {
                        return Poll::Ready(Err(self.reason.clone()));
                    }
                    Poll::Ready(Err(_)) => {
                        self.attempt += 1;
                        let wake = Instant::now() + self.policy.delay(self.attempt);
                        self.step = Step::Wait(Box::pin(R::sleep_until(wake)));
                    }
                },
            }
        }
    }
}

impl<R: Runtime> Driver<R> {
    /// The connection closed for `reason`: starts reconnecting if the client has a
    /// policy, the close was not asked for and someone may still call. Returns false
    /// when the client should close for good instead.
    pub(super) fn start_reconnect(&mut self, reason: &CloseReason) -> bool {
        if *reason == CloseReason::Local {
            return false;
        }
        let policy = {
            let inner = self.shared.lock();
            if inner.close_requested || inner.handles == 0 {
                return false;
            }
            match &inner.reconnect {
                Some(policy) => policy.clone(),
                None => return false,
            }
        };
        // The core failed every request on the wire before it closed, so none should be
        // left; the new connection numbers its requests afresh, so none may be.
        if !self.waiting.is_empty() {
            let mut guard = self.shared.lock();
            for target in self.waiting.drain() {
                let error = Error::Closed(reason.clone());
                guard.slots.fail(target.slot, 1, error, &mut self.wake);
            }
        }
        self.wake_callers();
        self.reconnecting = Some(Reconnecting::start(
            policy,
            reason.clone(),
            &self.shared.config,
        ));
        true
    }

    /// Drives a reconnection in progress: `Ready(None)` once the new connection is in
    /// place, `Ready(Some(reason))` when the client is to close for good (the policy
    /// gave up, [`close`](super::Client::close) was called or every handle dropped).
    pub(super) fn poll_reconnect(&mut self, cx: &mut Context<'_>) -> Poll<Option<CloseReason>> {
        let Some(reconnecting) = &mut self.reconnecting else {
            return Poll::Ready(None);
        };
        let stale = {
            let mut inner = self.shared.lock();
            if inner.close_requested || inner.handles == 0 {
                return Poll::Ready(Some(CloseReason::Local));
            }
            match &inner.waker {
                Some(waker) if waker.will_wake(cx.waker()) => None,
                _ => inner.waker.replace(cx.waker().clone()),
            }
        };
        drop(stale);
        let polled = reconnecting.poll(cx, &self.shared.config);
        match polled {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(reason)) => Poll::Ready(Some(reason)),
            Poll::Ready(Ok(conn)) => {
                self.reconnecting = None;
                let mut io = conn.into_io();
                io.core.set_shared(true);
                self.io = io;
                Poll::Ready(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_second_attempt_up_to_the_cap() {
        let policy = Reconnect::default();
        let delays: Vec<u64> = (1..=9)
            .map(|n| policy.delay(n).as_millis() as u64)
            .collect();
        assert_eq!(delays, [0, 100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(policy.delay(u32::MAX), Duration::from_secs(5));
        assert_eq!(policy.attempts(), 10);
    }

    #[test]
    fn settings_are_kept_sane() {
        let policy = Reconnect::default()
            .max_attempts(0)
            .delays(Duration::from_secs(2), Duration::from_secs(1));
        assert_eq!(policy.attempts(), 1);
        assert_eq!(policy.delay(2), Duration::from_secs(2));
        assert_eq!(policy.delay(5), Duration::from_secs(2));
    }
}
