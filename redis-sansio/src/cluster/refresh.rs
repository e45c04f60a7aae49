//! When topology refreshes start: one at a time, no closer together than the
//! configured interval, and the next node asked when one fails or goes quiet.

use std::time::{Duration, Instant};

use super::event::{NodeId, TopologyCommand};
use crate::deadline;

/// The refresh in progress: which node was asked, with what, and until when it may
/// answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct InFlight {
    pub(super) node: NodeId,
    pub(super) command: TopologyCommand,
    pub(super) deadline: Instant,
}

/// The books of topology refreshes.
#[derive(Debug, Clone)]
pub(super) struct Refresh {
    /// The node being asked, if any.
    pub(super) in_flight: Option<InFlight>,
    /// When the current (or last) round started, for the rate limit.
    round_started: Option<Instant>,
    /// A refresh was asked for while the rate limit held it back.
    pub(super) wanted: bool,
    /// The nodes asked in this round, so each is asked at most once.
    pub(super) tried: Vec<NodeId>,
    /// `CLUSTER SHARDS` until some node refuses it, then `CLUSTER SLOTS`.
    pub(super) command: TopologyCommand,
    /// When a topology was last read, for the periodic refresh.
    pub(super) last_read: Option<Instant>,
}

impl Default for Refresh {
    fn default() -> Self {
        Refresh {
            in_flight: None,
            round_started: None,
            wanted: false,
            tried: Vec::new(),
            command: TopologyCommand::Shards,
            last_read: None,
        }
    }
}

impl Refresh {
    /// Whether a new round may start at `now`: none in progress and the last one
    /// started at least `interval` ago.
    pub(super) fn may_start(&self, now: Instant, interval: Duration) -> bool {
        self.in_flight.is_none()
            && self
                .round_started
                .is_none_or(|started| now >= deadline::after(started, interval))
    }

    /// When the round the rate limit held back may start.
    pub(super) fn deferred_until(&self, interval: Duration) -> Option<Instant> {
        if !self.wanted || self.in_flight.is_some() {
            return None;
        }
        self.round_started
            .map(|started| deadline::after(started, interval))
    }

    /// When the periodic refresh is due: `every` after the last topology read, unless
    /// a round is in progress or already wanted.
    pub(super) fn periodic_due(&self, every: Option<Duration>) -> Option<Instant> {
        if self.wanted || self.in_flight.is_some() {
            return None;
        }
        Some(deadline::after(self.last_read?, every?))
    }

    /// A new round starts: nobody asked yet.
    pub(super) fn start_round(&mut self, now: Instant) {
        self.round_started = Some(now);
        self.wanted = false;
        self.tried.clear();
    }

    /// `node` is being asked with `command` and has until `now + timeout`.
    pub(super) fn ask(
        &mut self,
        node: NodeId,
        command: TopologyCommand,
        now: Instant,
        timeout: Duration,
    ) {
        self.tried.push(node);
        self.in_flight = Some(InFlight {
            node,
            command,
            deadline: deadline::after(now, timeout),
        });
    }

    /// The round is over, answered or given up.
    pub(super) fn finish(&mut self) {
        self.in_flight = None;
        self.tried.clear();
    }
}
