//! Bounded polling.

use std::thread;
use std::time::{Duration, Instant};

/// Upper bound on the number of probes in one wait, on top of the deadline.
const MAX_PROBES: usize = 100_000;

/// Calls `probe` every `interval` until it returns `Ok`, at most until
/// `timeout` has passed (and at most `MAX_PROBES` times).
///
/// # Panics
///
/// Panics with `what` and the last error from `probe` when time runs out.
pub(crate) fn wait_until<T>(
    what: &str,
    timeout: Duration,
    interval: Duration,
    mut probe: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    let mut last = String::from("never probed");
    for _ in 0..MAX_PROBES {
        match probe() {
            Ok(value) => return value,
            Err(err) => last = err,
        }
        if Instant::now() >= deadline {
            break;
        }
        thread::sleep(interval);
    }
    panic!("timed out after {timeout:?} waiting for {what}: {last}");
}
