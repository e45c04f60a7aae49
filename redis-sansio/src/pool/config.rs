//! A pool's settings and their defaults.

use std::time::Duration;

/// How many connections a pool keeps at most, by default.
pub const DEFAULT_MAX_SIZE: usize = 10;

/// How many idle connections a pool keeps open at least, by default: none, so an idle
/// pool holds no connection once its idle timeout has passed.
pub const DEFAULT_MIN_IDLE: usize = 0;

/// How long a checkout waits for a connection, by default, before it fails.
pub const DEFAULT_CHECKOUT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a connection may stay idle, by default, before it is closed (while more
/// than [`PoolConfig::min_idle`] are idle).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// How long a connection may live, by default, before it is closed (when idle, or
/// when it is checked in).
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// How long after a failed open the pool waits before it opens again only to keep
/// [`PoolConfig::min_idle`] connections; opens for waiting callers are not delayed.
pub const MIN_IDLE_RETRY_DELAY: Duration = Duration::from_secs(1);

/// A pool's settings. [`PoolConfig::default`] gives the `DEFAULT_*` constants.
///
/// Out-of-range values are corrected rather than refused: a `max_size` of 0 counts
/// as 1, and `min_idle` counts as at most `max_size`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolConfig {
    /// The most connections open at once: opening, idle and checked out together.
    pub max_size: usize,
    /// How many idle connections the pool keeps open, opening new ones as needed.
    pub min_idle: usize,
    /// How long a checkout waits before it fails; `None` waits as long as it takes.
    pub checkout_timeout: Option<Duration>,
    /// How long a connection may stay idle before it is closed, while more than
    /// `min_idle` are idle; `None` keeps idle connections forever.
    pub idle_timeout: Option<Duration>,
    /// How long a connection may live before it is closed; `None` for ever.
    pub max_lifetime: Option<Duration>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_size: DEFAULT_MAX_SIZE,
            min_idle: DEFAULT_MIN_IDLE,
            checkout_timeout: Some(DEFAULT_CHECKOUT_TIMEOUT),
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            max_lifetime: Some(DEFAULT_MAX_LIFETIME),
        }
    }
}

impl PoolConfig {
    /// Sets [`max_size`](Self::max_size).
    pub fn with_max_size(mut self, max_size: usize) -> Self {
        self.max_size = max_size;
        self
    }

    /// Sets [`min_idle`](Self::min_idle).
    pub fn with_min_idle(mut self, min_idle: usize) -> Self {
        self.min_idle = min_idle;
        self
    }

    /// Sets [`checkout_timeout`](Self::checkout_timeout).
    pub fn with_checkout_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.checkout_timeout = timeout;
        self
    }

    /// Sets [`idle_timeout`](Self::idle_timeout).
    pub fn with_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`max_lifetime`](Self::max_lifetime).
    pub fn with_max_lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.max_lifetime = lifetime;
        self
    }

    /// `max_size` as the pool uses it: at least 1.
    pub fn effective_max_size(&self) -> usize {
        self.max_size.max(1)
    }

    /// `min_idle` as the pool uses it: at most the effective `max_size`.
    pub fn effective_min_idle(&self) -> usize {
        self.min_idle.min(self.effective_max_size())
    }
}
