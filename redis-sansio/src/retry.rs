//! Waiting longer after each failure: the delays behind the cluster router's retries
//! and the adapters' reconnects, with no clock of its own.
//!
//! - [`Backoff`]: a delay that doubles per step up to a cap.
//! - [`Reconnect`]: a policy for replacing a lost connection (how many attempts, how
//!   long between them). The multiplexed client and the subscribers take one.
//! - [`Outage`]: one run of attempts under a policy; an adapter asks it, before each
//!   attempt, how long to wait first, or whether to give up.
//!
//! ```
//! use std::time::Duration;
//! use redis_sansio::retry::{Outage, Reconnect};
//!
//! let policy = Reconnect::default().max_attempts(3).delays(Duration::from_millis(50), Duration::from_secs(1));
//! let mut outage = Outage::new(policy);
//! assert_eq!(outage.next_attempt(), Some(Duration::ZERO)); // the first attempt: at once
//! assert_eq!(outage.next_attempt(), Some(Duration::from_millis(50)));
//! assert_eq!(outage.next_attempt(), Some(Duration::from_millis(100)));
//! assert_eq!(outage.next_attempt(), None); // three failed: give up
//! ```

use std::time::Duration;

/// A delay that starts at `base` and doubles with each step, never above `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay (step 0).
    pub base: Duration,
    /// The cap.
    pub max: Duration,
}

impl Backoff {
    /// A backoff from `base`, capped at `max`.
    pub const fn new(base: Duration, max: Duration) -> Self {
        Backoff { base, max }
    }

    /// The delay for step `step` (0 for the first): `base * 2^step`, at most `max`.
    pub fn delay(&self, step: u32) -> Duration {
        let factor = 1u32.checked_shl(step.min(31)).unwrap_or(u32::MAX);
        self.base
            .checked_mul(factor)
            .unwrap_or(self.max)
            .min(self.max)
    }
}

/// How a lost connection is replaced: set on a multiplexed client
/// (`Client::with_reconnect`) or a subscriber (`with_reconnect`).
///
/// The first attempt is made at once; each later one waits `initial_delay`, doubled
/// per failed attempt, at most `max_delay`. After `max_attempts` failed attempts in a
/// row the adapter gives up and closes for good with the reason the connection was
/// lost.
///
/// ```
/// use std::time::Duration;
/// use redis_sansio::retry::Reconnect;
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
    backoff: Backoff,
    stall_grace: Duration,
}

impl Default for Reconnect {
    /// 10 attempts, waiting 0, 100 ms, 200 ms, ... up to 5 s between them: about
    /// 20 seconds of outage are ridden out. A connection silent for 1 s after a
    /// request timed out is dropped as stalled.
    fn default() -> Self {
        Reconnect {
            max_attempts: 10,
            backoff: Backoff::new(Duration::from_millis(100), Duration::from_secs(5)),
            stall_grace: crate::supervisor::DEFAULT_STALL_GRACE,
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
        self.backoff = Backoff::new(initial, max.max(initial));
        self
    }

    /// How long a connection may stay silent after one of its requests timed out
    /// before it is dropped as stalled and replaced (default 1 s). Bytes arriving
    /// within it (a late reply) keep the connection.
    pub fn stall_grace(mut self, grace: Duration) -> Self {
        self.stall_grace = grace;
        self
    }

    /// The stall grace: see [`stall_grace`](Self::stall_grace).
    pub fn grace(&self) -> Duration {
        self.stall_grace
    }

    /// How long to wait before attempt number `attempt` (1 for the first, which is
    /// made at once).
    pub fn delay(&self, attempt: u32) -> Duration {
        match attempt {
            0 | 1 => Duration::ZERO,
            n => self.backoff.delay(n - 2),
        }
    }

    /// The number of failed attempts after which the adapter gives up.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }
}

/// One outage: the attempts made to replace a lost connection under a [`Reconnect`]
/// policy.
///
/// Create it when the connection is lost; call [`next_attempt`](Self::next_attempt)
/// before each attempt (the first included) and wait what it says, or give up on
/// `None`. Drop it once an attempt succeeds: the next outage starts afresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outage {
    policy: Reconnect,
    /// Attempts started so far.
    attempts: u32,
}

impl Outage {
    /// An outage that has had no attempt yet.
    pub fn new(policy: Reconnect) -> Self {
        Outage {
            policy,
            attempts: 0,
        }
    }

    /// Counts one more attempt and says how long to wait before making it (nothing
    /// before the first), or `None` when the policy's attempts are used up.
    pub fn next_attempt(&mut self) -> Option<Duration> {
        if self.attempts >= self.policy.max_attempts {
            return None;
        }
        self.attempts += 1;
        Some(self.policy.delay(self.attempts))
    }

    /// The attempts started so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn backoff_doubles_up_to_the_cap_without_overflow() {
        let backoff = Backoff::new(50 * MS, 2000 * MS);
        let delays: Vec<Duration> = (0..8).map(|n| backoff.delay(n)).collect();
        assert_eq!(
            delays,
            [50, 100, 200, 400, 800, 1600, 2000, 2000].map(|n| n * MS)
        );
        assert_eq!(backoff.delay(u32::MAX), 2000 * MS);
        let huge = Backoff::new(Duration::MAX, Duration::MAX);
        assert_eq!(huge.delay(3), Duration::MAX);
    }

    #[test]
    fn reconnect_delays_double_from_the_second_attempt_up_to_the_cap() {
        let policy = Reconnect::default();
        let delays: Vec<Duration> = (1..=9).map(|n| policy.delay(n)).collect();
        assert_eq!(
            delays,
            [0, 100, 200, 400, 800, 1600, 3200, 5000, 5000].map(|n| n * MS)
        );
        assert_eq!(policy.delay(u32::MAX), Duration::from_secs(5));
        assert_eq!(policy.attempts(), 10);
    }

    #[test]
    fn reconnect_settings_are_kept_sane() {
        let policy = Reconnect::default()
            .max_attempts(0)
            .delays(Duration::from_secs(2), Duration::from_secs(1));
        assert_eq!(policy.attempts(), 1);
        assert_eq!(policy.delay(2), Duration::from_secs(2));
        assert_eq!(policy.delay(5), Duration::from_secs(2));
    }

    #[test]
    fn an_outage_counts_attempts_until_the_policy_gives_up() {
        let policy = Reconnect::default()
            .max_attempts(4)
            .delays(10 * MS, 25 * MS);
        let mut outage = Outage::new(policy);
        let mut waits = Vec::new();
        while let Some(wait) = outage.next_attempt() {
            waits.push(wait);
            assert!(waits.len() <= 4, "unbounded outage");
        }
        assert_eq!(waits, [0, 10, 20, 25].map(|n| n * MS));
        assert_eq!(outage.attempts(), 4);
        assert_eq!(outage.next_attempt(), None);
    }
}
