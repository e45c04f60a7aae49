//! CPU time used by this process, for the end-to-end benchmark's client-CPU figures.

use std::time::Duration;

/// CPU time (user and system) used so far by every thread of this process, living or
/// exited: `clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`. Nanosecond resolution.
pub fn process_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; the clock id is a constant the
    // kernel always supports.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}
