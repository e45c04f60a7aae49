//! Keeping a connection up: the reconnect supervisor, a state machine with no IO and no
//! clock.
//!
//! Anything that replaces a lost connection (the multiplexed client, the subscribers,
//! cluster nodes, sentinel data connections) asks a [`Supervisor`] what to do instead
//! of deciding for itself. It decides:
//!
//! - **whether to reconnect at all**: a loss the application asked for
//!   ([`CloseReason::Local`]) or a refusal that another attempt cannot change (wrong
//!   credentials, a missing permission, a database the server does not have: see
//!   [`is_permanent`]) ends the client at once, with that reason;
//! - **when**: the first attempt at once, then after the [`Reconnect`] policy's backoff,
//!   until its attempts are used up;
//! - **with what error** waiting calls fail: a call queued while the client reconnects
//!   fails at its own deadline, with the server's own refusal when the last attempt was
//!   refused ("max number of clients reached") and [`RequestError::Timeout`] otherwise
//!   ([`expired_call_error`](Supervisor::expired_call_error)); when the supervisor gives
//!   up, with the refusal or the loss's reason;
//! - **when a live connection is dead in fact**: the policy's
//!   [`stall_grace`](Reconnect::stall_grace), which the body gives the connection
//!   ([`Connection::set_stall_grace`](crate::conn::Connection::set_stall_grace)): after
//!   a request times out, if no byte arrives within it, the connection closes with
//!   [`CloseReason::Stalled`], a loss like any other, and is replaced.
//!
//! Its methods come in the core's four kinds:
//!
//! - getters: [`phase`](Supervisor::phase), [`reconnects`](Supervisor::reconnects),
//!   [`attempts`](Supervisor::attempts);
//! - inputs: [`handle_lost`](Supervisor::handle_lost),
//!   [`handle_connected`](Supervisor::handle_connected),
//!   [`handle_connect_failed`](Supervisor::handle_connect_failed),
//!   [`handle_timeout`](Supervisor::handle_timeout);
//! - application calls: [`close`](Supervisor::close);
//! - drains: [`poll_action`](Supervisor::poll_action) and
//!   [`poll_timeout`](Supervisor::poll_timeout).
//!
//! After any input, take actions until `None` and re-arm the timer from
//! `poll_timeout()`:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use redis_sansio::retry::Reconnect;
//! use redis_sansio::supervisor::{Action, Phase, Supervisor};
//! use redis_sansio::{CloseReason, ServerError};
//!
//! let start = Instant::now();
//! let policy = Reconnect::default().delays(Duration::from_millis(100), Duration::from_secs(1));
//! let mut supervisor = Supervisor::new(policy);
//!
//! // The server went away: reconnect at once.
//! supervisor.handle_lost(&CloseReason::Eof, start);
//! assert_eq!(supervisor.poll_action(), Some(Action::Connect));
//!
//! // Refused ("max number of clients reached"): wait, then try again.
//! let full = CloseReason::Handshake(ServerError::new(bytes::Bytes::from_static("ERR max number of clients reached".as_bytes())));
//! supervisor.handle_connect_failed(Some(&full), start);
//! assert_eq!(supervisor.poll_action(), None);
//! let retry_at = supervisor.poll_timeout().unwrap();
//! assert_eq!(retry_at, start + Duration::from_millis(100));
//! supervisor.handle_timeout(retry_at);
//! assert_eq!(supervisor.poll_action(), Some(Action::Connect));
//!
//! // The password changed meanwhile: no attempt can succeed, so it gives up at once.
//! let wrong = CloseReason::Auth(ServerError::new(bytes::Bytes::from_static("WRONGPASS invalid username-password pair".as_bytes())));
//! supervisor.handle_connect_failed(Some(&wrong), retry_at);
//! assert_eq!(supervisor.poll_action(), Some(Action::GiveUp(wrong.clone())));
//! assert_eq!(supervisor.phase(), &Phase::Down(wrong));
//! ```

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::deadline;
use crate::retry::{Outage, Reconnect};
use crate::{CloseReason, RequestError, ServerErrorKind};

/// Where the supervised connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// A connection is up (or the body has not reported a loss yet).
    Up,
    /// An attempt is under way: [`Action::Connect`] was handed out and its result is
    /// due through [`handle_connected`](Supervisor::handle_connected) or
    /// [`handle_connect_failed`](Supervisor::handle_connect_failed).
    Connecting,
    /// Waiting until the given instant before the next attempt.
    Waiting(Instant),
    /// Given up for good: calls fail with this reason.
    Down(CloseReason),
}

/// What the supervisor asks its body to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Open a new connection now (its handshake included), then report the result.
    Connect,
    /// Give up: fail the calls still waiting, and every later one, with this reason.
    /// The reason is the permanent refusal, the last server refusal, or the loss.
    GiveUp(CloseReason),
}

/// The reconnect supervisor: see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Supervisor {
    policy: Reconnect,
    phase: Phase,
    /// The outage under way, while reconnecting.
    outage: Option<Outage>,
    /// Why the connection was lost, for giving up.
    lost: Option<CloseReason>,
    /// The last refusal a server answered an attempt with, this outage.
    refusal: Option<CloseReason>,
    actions: VecDeque<Action>,
    reconnects: u64,
}

impl Supervisor {
    /// A supervisor over a connection that is up, replacing it under `policy`.
    pub fn new(policy: Reconnect) -> Self {
        Supervisor {
            policy,
            phase: Phase::Up,
            outage: None,
            lost: None,
            refusal: None,
            actions: VecDeque::new(),
            reconnects: 0,
        }
    }

    // ---- A: getters -------------------------------------------------------------

    /// Where the supervised connection is.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// The policy it follows.
    pub fn policy(&self) -> &Reconnect {
        &self.policy
    }

    /// How many times a lost connection was replaced.
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// The attempts made in the outage under way (0 while the connection is up).
    pub fn attempts(&self) -> u32 {
        self.outage.as_ref().map_or(0, Outage::attempts)
    }

    /// The error for a call whose deadline passed while it waited for a new
    /// connection: the server's refusal of the last attempt (not sent), or a timeout.
    pub fn expired_call_error(&self) -> RequestError {
        match &self.refusal {
            Some(reason) => RequestError::NotSent(reason.clone()),
            None => RequestError::Timeout,
        }
    }

    /// The error for a call made or waiting once the supervisor gave up, `None` before.
    pub fn down_reason(&self) -> Option<&CloseReason> {
        match &self.phase {
            Phase::Down(reason) => Some(reason),
            _ => None,
        }
    }

    // ---- B: inputs --------------------------------------------------------------

    /// The connection closed for `reason` (the core's [`CloseReason`]). Starts an
    /// outage (the first attempt at once) unless the reason is permanent or local,
    /// in which case it gives up. Ignored unless the connection was up.
    pub fn handle_lost(&mut self, reason: &CloseReason, now: Instant) {
        if self.phase != Phase::Up {
            return;
        }
        if *reason == CloseReason::Local || is_permanent(reason) {
            self.give_up(reason.clone());
            return;
        }
        self.lost = Some(reason.clone());
        self.refusal = None;
        self.outage = Some(Outage::new(self.policy.clone()));
        self.next_attempt(now);
    }

    /// The attempt asked for by [`Action::Connect`] succeeded: the connection is up
    /// again. The body restores its session (subscriptions...) on it.
    pub fn handle_connected(&mut self, now: Instant) {
        let _ = now;
        if self.phase != Phase::Connecting {
            return;
        }
        self.phase = Phase::Up;
        self.outage = None;
        self.lost = None;
        self.refusal = None;
        self.reconnects += 1;
    }

    /// The attempt failed: `reason` is the core's close reason when the server
    /// answered the handshake with a refusal (or closed during it), `None` when no
    /// connection opened (refused, unreachable, timed out). Gives up on a permanent
    /// refusal; otherwise waits the backoff, or gives up once the attempts are used.
    pub fn handle_connect_failed(&mut self, reason: Option<&CloseReason>, now: Instant) {
        if self.phase != Phase::Connecting {
            return;
        }
        if let Some(reason) = reason {
            if is_permanent(reason) {
                self.give_up(reason.clone());
                return;
            }
            if matches!(reason, CloseReason::Handshake(_) | CloseReason::Auth(_)) {
                self.refusal = Some(reason.clone());
            }
        }
        self.next_attempt(now);
    }

    /// The timer armed from [`poll_timeout`](Self::poll_timeout) fired: makes the
    /// next attempt once its wait is over (an early call does nothing).
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Phase::Waiting(at) = self.phase {
            if at <= now {
                self.phase = Phase::Connecting;
                self.actions.push_back(Action::Connect);
            }
        }
    }

    // ---- C: application calls ---------------------------------------------------

    /// The application closed the client: no more attempts.
    pub fn close(&mut self, now: Instant) {
        let _ = now;
        if !matches!(self.phase, Phase::Down(_)) {
            self.phase = Phase::Down(CloseReason::Local);
            self.outage = None;
            self.actions.clear();
        }
    }

    // ---- D: drains --------------------------------------------------------------

    /// The next thing to do, oldest first.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called: the next
    /// attempt's time, while waiting for it.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Waiting(at) => Some(at),
            _ => None,
        }
    }

    // ---- internals --------------------------------------------------------------

    fn next_attempt(&mut self, now: Instant) {
        let delay = self.outage.as_mut().and_then(Outage::next_attempt);
        match delay {
            None => {
                let reason = self
                    .refusal
                    .clone()
                    .or_else(|| self.lost.clone())
                    .unwrap_or(CloseReason::Eof);
                self.give_up(reason);
            }
            Some(delay) if delay.is_zero() => {
                crate::trace::reconnecting(self.attempts(), delay);
                self.phase = Phase::Connecting;
                self.actions.push_back(Action::Connect);
            }
            Some(delay) => {
                crate::trace::reconnecting(self.attempts(), delay);
                self.phase = Phase::Waiting(deadline::after(now, delay));
            }
        }
    }

    fn give_up(&mut self, reason: CloseReason) {
        crate::trace::reconnect_given_up(Some(&reason));
        self.phase = Phase::Down(reason.clone());
        self.outage = None;
        self.actions.push_back(Action::GiveUp(reason));
    }
}

/// True when another connection attempt cannot succeed without a change of settings
/// or of the server's configuration: wrong or missing credentials, a missing
/// permission, or a handshake step the server refuses for good (a database it does
/// not have, a client name it does not take). A server that is loading, busy, a
/// replica whose master is down, or full ("max number of clients reached") is
/// transient. A protocol error is transient: a new connection starts a clean stream.
pub fn is_permanent(reason: &CloseReason) -> bool {
    match reason {
        CloseReason::Auth(_) => true,
        CloseReason::Handshake(error) => match error.kind() {
            ServerErrorKind::Loading
            | ServerErrorKind::Busy
            | ServerErrorKind::MasterDown
            | ServerErrorKind::TryAgain
            | ServerErrorKind::ClusterDown => false,
            ServerErrorKind::Err => !error
                .message_lossy()
                .to_ascii_lowercase()
                .contains("max number of clients"),
            _ => true,
        },
        _ => false,
    }
}

/// The stall grace of the default [`Reconnect`] policy: how long a connection may
/// stay silent after a request timed out before it is dropped as stalled.
pub const DEFAULT_STALL_GRACE: Duration = Duration::from_secs(1);
