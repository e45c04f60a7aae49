//! What the failover tests under writes share (the cluster's and Sentinel's): the
//! tally of what the clients saw, and the flags the test and the clients share.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redis_client::Error;

/// What the clients saw.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Increments acknowledged with a value.
    pub(crate) acked: u64,
    /// Increments acknowledged after the kill.
    pub(crate) acked_after_kill: u64,
    /// Increments that failed with an unknown outcome.
    pub(crate) unknown: u64,
    /// Increments that failed otherwise (must be none).
    pub(crate) write_errors: Vec<String>,
    /// `GET`s answered after the kill.
    pub(crate) reads_after_kill: u64,
    /// `GET`s that failed (must be none).
    pub(crate) read_errors: Vec<String>,
}

impl Tally {
    /// Counts an increment's result, as after the kill when it came after it.
    pub(crate) fn incr<T>(&mut self, result: Result<T, Error>, flags: &Flags) {
        match result {
            Ok(_) => {
                self.acked += 1;
                if flags.killed.load(Ordering::SeqCst) {
                    self.acked_after_kill += 1;
                    flags.acked_after_kill.fetch_add(1, Ordering::SeqCst);
                }
            }
            Err(Error::Request(error)) if error.is_unknown_outcome() => self.unknown += 1,
            Err(other) => self.write_errors.push(other.to_string()),
        }
    }

    /// Counts a read's result, as after the kill when it came after it.
    pub(crate) fn get<T>(&mut self, result: Result<T, Error>, flags: &Flags) {
        match result {
            Ok(_) if flags.killed.load(Ordering::SeqCst) => {
                self.reads_after_kill += 1;
                flags.reads_after_kill.fetch_add(1, Ordering::SeqCst);
            }
            Ok(_) => {}
            Err(error) => self.read_errors.push(error.to_string()),
        }
    }

    /// The checks of every failover under writes, given the counter the new primary
    /// has: no call failed otherwise than with an unknown outcome, the counter is at
    /// least the acknowledged increments and at most those plus the unknown ones, and
    /// both kinds succeeded after the kill.
    pub(crate) fn check(&self, on_server: u64) {
        eprintln!("{self:?}, counter {on_server}");
        assert!(self.write_errors.is_empty(), "{:?}", self.write_errors);
        assert!(self.read_errors.is_empty(), "{:?}", self.read_errors);
        assert!(
            self.acked <= on_server && on_server <= self.acked + self.unknown,
            "{} acknowledged, {} unknown, {on_server} on the server",
            self.acked,
            self.unknown
        );
        assert!(self.acked_after_kill > 0, "writes resumed after the kill");
        assert!(self.reads_after_kill > 0, "reads resumed after the kill");
    }

    /// Adds `other`'s counts to these.
    pub(crate) fn merge(mut self, other: Tally) -> Tally {
        self.acked += other.acked;
        self.acked_after_kill += other.acked_after_kill;
        self.unknown += other.unknown;
        self.write_errors.extend(other.write_errors);
        self.reads_after_kill += other.reads_after_kill;
        self.read_errors.extend(other.read_errors);
        self
    }
}

/// What the test and the clients share: killed (from then on successes count as
/// after the kill), stop, and how many successes came after the kill.
#[derive(Debug, Default)]
pub(crate) struct Flags {
    pub(crate) killed: AtomicBool,
    pub(crate) stop: AtomicBool,
    pub(crate) acked_after_kill: AtomicU64,
    pub(crate) reads_after_kill: AtomicU64,
}

/// Waits (bounded by `limit`) until the clients have had 10 increments and 3 reads
/// answered after the kill, then stops them and gives what they saw.
pub(crate) fn stop_once_resumed(
    flags: &Flags,
    clients: JoinHandle<Tally>,
    limit: Duration,
) -> Tally {
    let started = Instant::now();
    while flags.acked_after_kill.load(Ordering::SeqCst) < 10
        || flags.reads_after_kill.load(Ordering::SeqCst) < 3
    {
        assert!(
            started.elapsed() < limit,
            "the clients did not resume: {flags:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    flags.stop.store(true, Ordering::SeqCst);
    clients.join().expect("the clients finished")
}
