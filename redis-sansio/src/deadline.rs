//! Deadlines from durations, without overflow.
//!
//! `Instant + Duration` panics when the sum does not fit the clock, and a setting or a
//! caller may well give `Duration::MAX` to mean "no limit". Every deadline made from a
//! setting (timeouts, lifetimes, retry and reconnect delays) or from a caller's
//! timeout goes through [`after`], in the core and in the adapters alike.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use redis_sansio::deadline::{self, LONGEST_WAIT};
//!
//! let now = Instant::now();
//! assert_eq!(deadline::after(now, Duration::from_secs(5)), now + Duration::from_secs(5));
//! assert_eq!(deadline::after(now, Duration::MAX), now + LONGEST_WAIT);
//! ```

use std::time::{Duration, Instant};

/// The longest wait a deadline stands for: thirty years. Longer durations are cut to
/// it, which changes nothing a program can see and keeps the deadline on the clock.
pub const LONGEST_WAIT: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// The instant `wait` after `now`, `wait` cut to [`LONGEST_WAIT`]. Call it instead of
/// `now + wait` wherever `wait` comes from a setting or a caller.
pub fn after(now: Instant, wait: Duration) -> Instant {
    now + wait.min(LONGEST_WAIT)
}
