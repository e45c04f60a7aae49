//! What the generated commands take besides plain values: repeated arguments (one
//! value or many) and time spans in the unit the argument is specified in.
//!
//! ## One value or many
//!
//! Where the specification lets an argument repeat, the command takes an
//! [`impl ToArgs`](ToArgs): one value, or a slice, array, `Vec`, set or map of them;
//! a tuple is one `field value` or `score member` pair. A `String` is one element:
//!
//! ```
//! use std::collections::HashMap;
//! use redis_client::{cmd, Each};
//!
//! let job = String::from("job:1");
//! assert_eq!(cmd::lpush("queue", &job).cmd().len(), 3); // LPUSH queue job:1
//! assert_eq!(cmd::lpush("queue", ["a", "b"]).cmd().len(), 4);
//! assert_eq!(cmd::del(vec![job.clone(), "x".into()]).cmd().len(), 3);
//! assert_eq!(cmd::hset("user:1", ("name", "Ada")).cmd().len(), 4);
//! assert_eq!(cmd::hset("user:1", HashMap::from([("a", 1), ("b", 2)])).cmd().len(), 6);
//! assert_eq!(cmd::zadd("board", [(1.5, "ada"), (2.0, "bob")]).cmd().len(), 6);
//! // A script without keys or arguments: `()`.
//! assert_eq!(cmd::eval("return 1", (), ()).cmd().len(), 3); // EVAL script 0
//! // An iterator computed on the fly goes in `Each`.
//! assert_eq!(cmd::del(Each((0..3).map(|i| format!("k{i}")))).cmd().len(), 4);
//! ```
//!
//! A string never turns into its bytes: `u8` is not an element, so the `.bytes()` a
//! compiler might suggest does not compile, neither alone nor in [`Each`]:
//!
//! ```compile_fail,E0277
//! let job = String::from("job:1");
//! redis_client::cmd::lpush("queue", job.bytes());
//! ```
//!
//! ```compile_fail,E0277
//! let job = String::from("job:1");
//! redis_client::cmd::lpush("queue", redis_client::Each(job.bytes()));
//! ```
//!
//! ## Time spans
//!
//! A time argument takes an integer in its unit or a [`Duration`]:
//!
//! ```
//! use std::time::Duration;
//! use redis_client::cmd;
//!
//! // EXPIRE counts seconds, PEXPIRE milliseconds, BRPOP's timeout is seconds with a
//! // fraction: the same Duration is written in each one's unit.
//! let ttl = Duration::from_millis(1500);
//! assert_eq!(cmd::expire("k", ttl).cmd().args().nth(2), Some(&b"2"[..]));
//! assert_eq!(cmd::pexpire("k", ttl).cmd().args().nth(2), Some(&b"1500"[..]));
//! assert_eq!(cmd::brpop("queue", ttl).cmd().args().nth(2), Some(&b"1.5"[..]));
//! // Plain numbers, signed or not, are in the argument's unit.
//! assert_eq!(cmd::expire("k", 10u64).cmd().args().nth(2), Some(&b"10"[..]));
//! assert_eq!(cmd::brpop("queue", 0).cmd().args().nth(2), Some(&b"0.0"[..]));
//! ```
//!
//! The specification has no unit field: the generator reads it from the argument's
//! name and type. `seconds` is [`Seconds`]; `milliseconds`, `ms`, `min-idle-time` and
//! an integer `timeout` (WAIT, CLIENT PAUSE, MIGRATE) are [`Milliseconds`]; a double
//! `timeout` (BLPOP, BRPOP, BLMOVE, BZPOPMIN, ...) is [`FractionalSeconds`].
//!
//! A `Duration` that does not fall on a whole unit is rounded **up**: an expiry of
//! 1.5 s is 2 s, never 1 s, and 1 ms is never 0 s (which EXPIRE would read as
//! "delete now"). Values past `i64::MAX` are sent as `i64::MAX`.
//!
//! ## Points in time
//!
//! An argument that is a Unix time (EXPIREAT, PEXPIREAT, SET's and GETEX's `EXAT` and
//! `PXAT`, XCLAIM's `TIME`) takes an integer in its unit or a [`SystemTime`], rounded
//! up to the unit as a span is (an expiry never comes early):
//!
//! ```
//! use std::time::{Duration, SystemTime, UNIX_EPOCH};
//! use redis_client::cmd;
//!
//! let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
//! assert_eq!(cmd::expireat("k", at).cmd().args().nth(2), Some(&b"1700000001"[..]));
//! assert_eq!(cmd::pexpireat("k", at).cmd().args().nth(2), Some(&b"1700000000250"[..]));
//! let in_a_minute = SystemTime::now() + Duration::from_secs(60);
//! let _ = cmd::expireat("k", in_a_minute);
//! assert_eq!(cmd::expireat("k", 1_700_000_000u64).cmd().args().nth(2), Some(&b"1700000000"[..]));
//! ```
//!
//! A time before 1970 is sent as a negative number (Redis reads it as in the past).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use redis_sansio::resp::{Each, Pair, Single, ToArg, ToArgs, Triple};

/// An integer argument (`LRANGE`'s `start`, `INCRBY`'s `increment`): any integer
/// type, so a `usize` length or a `u64` counter needs no cast. A value the server
/// cannot hold (past `i64::MAX`) is its error, "value is not an integer or out of
/// range".
pub trait Integer: ToArg {}

/// A floating-point argument (`ZADD`'s `score`, `INCRBYFLOAT`'s `increment`): a float,
/// or an integer (sent as written: `1` for `1.0`).
pub trait Float: ToArg {}

impl Float for f64 {}
impl Float for f32 {}

/// A span of whole seconds: an integer count of seconds, or a [`Duration`] rounded up
/// to the next second.
pub trait Seconds {
    /// The number sent.
    fn whole_seconds(&self) -> i64;
}

/// A span of whole milliseconds: an integer count of milliseconds, or a [`Duration`]
/// rounded up to the next millisecond.
pub trait Milliseconds {
    /// The number sent.
    fn whole_milliseconds(&self) -> i64;
}

/// A timeout in seconds that may have a fraction (`0.5`): a float or integer count of
/// seconds, or a [`Duration`]. `0` blocks without end.
pub trait FractionalSeconds {
    /// The number sent.
    fn fractional_seconds(&self) -> f64;
}

/// A point in time in whole seconds since the Unix epoch: an integer, or a
/// [`SystemTime`] rounded up to the next second.
pub trait UnixSeconds {
    /// The number sent.
    fn unix_seconds(&self) -> i64;
}

/// A point in time in whole milliseconds since the Unix epoch: an integer, or a
/// [`SystemTime`] rounded up to the next millisecond.
pub trait UnixMilliseconds {
    /// The number sent.
    fn unix_milliseconds(&self) -> i64;
}

/// `time` in units of `unit` nanoseconds since the epoch: rounded up after it,
/// negative (rounded toward the epoch) before it.
fn since_epoch(time: SystemTime, unit: u128) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => whole_units(after, unit),
        Err(before) => {
            let units = before.duration().as_nanos() / unit;
            i64::try_from(units).map_or(i64::MIN, |units| -units)
        }
    }
}

impl UnixSeconds for SystemTime {
    fn unix_seconds(&self) -> i64 {
        since_epoch(*self, 1_000_000_000)
    }
}

impl UnixMilliseconds for SystemTime {
    fn unix_milliseconds(&self) -> i64 {
        since_epoch(*self, 1_000_000)
    }
}

/// `n` units of `unit` nanoseconds, rounded up and capped at `i64::MAX`.
fn whole_units(duration: Duration, unit: u128) -> i64 {
    i64::try_from(duration.as_nanos().div_ceil(unit)).unwrap_or(i64::MAX)
}

impl Seconds for Duration {
    fn whole_seconds(&self) -> i64 {
        whole_units(*self, 1_000_000_000)
    }
}

impl Milliseconds for Duration {
    fn whole_milliseconds(&self) -> i64 {
        whole_units(*self, 1_000_000)
    }
}

impl FractionalSeconds for Duration {
    fn fractional_seconds(&self) -> f64 {
        self.as_secs_f64()
    }
}

impl FractionalSeconds for f64 {
    fn fractional_seconds(&self) -> f64 {
        *self
    }
}

impl FractionalSeconds for f32 {
    fn fractional_seconds(&self) -> f64 {
        f64::from(*self)
    }
}

/// Integers of every width count whole units of the argument.
macro_rules! integer_spans {
    ($($t:ty)*) => {$(
        impl Seconds for $t {
            fn whole_seconds(&self) -> i64 {
                i64::try_from(*self).unwrap_or(i64::MAX)
            }
        }
        impl Milliseconds for $t {
            fn whole_milliseconds(&self) -> i64 {
                i64::try_from(*self).unwrap_or(i64::MAX)
            }
        }
        impl FractionalSeconds for $t {
            fn fractional_seconds(&self) -> f64 {
                *self as f64
            }
        }
        impl UnixSeconds for $t {
            fn unix_seconds(&self) -> i64 {
                i64::try_from(*self).unwrap_or(i64::MAX)
            }
        }
        impl UnixMilliseconds for $t {
            fn unix_milliseconds(&self) -> i64 {
                i64::try_from(*self).unwrap_or(i64::MAX)
            }
        }
    )*};
}
integer_spans!(i8 i16 i32 i64 isize u8 u16 u32 u64 usize);

/// Integers of every width are integer and float arguments.
macro_rules! integers {
    ($($t:ty)*) => {$(
        impl Integer for $t {}
        impl Float for $t {}
    )*};
}
integers!(i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize);

impl<T: Integer + ?Sized> Integer for &T {}
impl<T: Float + ?Sized> Float for &T {}

impl<T: Seconds + ?Sized> Seconds for &T {
    fn whole_seconds(&self) -> i64 {
        (**self).whole_seconds()
    }
}

impl<T: Milliseconds + ?Sized> Milliseconds for &T {
    fn whole_milliseconds(&self) -> i64 {
        (**self).whole_milliseconds()
    }
}

impl<T: FractionalSeconds + ?Sized> FractionalSeconds for &T {
    fn fractional_seconds(&self) -> f64 {
        (**self).fractional_seconds()
    }
}

impl<T: UnixSeconds + ?Sized> UnixSeconds for &T {
    fn unix_seconds(&self) -> i64 {
        (**self).unix_seconds()
    }
}

impl<T: UnixMilliseconds + ?Sized> UnixMilliseconds for &T {
    fn unix_milliseconds(&self) -> i64 {
        (**self).unix_milliseconds()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_up_to_the_unit() {
        assert_eq!(Duration::from_millis(1).whole_seconds(), 1);
        assert_eq!(Duration::from_secs(3).whole_seconds(), 3);
        assert_eq!(Duration::from_micros(1001).whole_milliseconds(), 2);
        assert_eq!(Duration::ZERO.whole_milliseconds(), 0);
        assert_eq!(Duration::MAX.whole_milliseconds(), i64::MAX);
        assert_eq!(Duration::from_millis(250).fractional_seconds(), 0.25);
    }

    #[test]
    fn integers_are_the_unit_itself() {
        assert_eq!((-1i64).whole_seconds(), -1);
        assert_eq!(u64::MAX.whole_seconds(), i64::MAX);
        assert_eq!(5usize.whole_milliseconds(), 5);
        assert_eq!(2u32.fractional_seconds(), 2.0);
        assert_eq!(7u8.unix_seconds(), 7);
        assert_eq!(u64::MAX.unix_milliseconds(), i64::MAX);
    }

    #[test]
    fn system_times_round_up_after_the_epoch_and_go_negative_before_it() {
        let at = UNIX_EPOCH + Duration::from_micros(2_000_001);
        assert_eq!(at.unix_seconds(), 3);
        assert_eq!(at.unix_milliseconds(), 2001);
        assert_eq!(UNIX_EPOCH.unix_seconds(), 0);
        let before = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(before.unix_seconds(), -1);
        assert_eq!(before.unix_milliseconds(), -1500);
    }
}
