//! Following the master through failovers: when a sentinel-backed client discovers
//! again, how long it waits between discoveries, and what each call does meanwhile.
//!
//! See [`Follower`] for the contract and the body's loop.

use std::time::{Duration, Instant};

use crate::config::ServerAddr;
use crate::retry::Reconnect;
use crate::supervisor::{Action, Phase, Supervisor};
use crate::{CloseReason, Cmd, deadline};

use super::SwitchMaster;

/// How long a call may wait for a master by default, counted from when it was made:
/// a failover (detection, election, promotion) and the discoveries after it, with
/// room to spare.
pub const DEFAULT_FOLLOW_TIMEOUT: Duration = Duration::from_secs(10);

/// The default policy between discoveries: the first at once, then 50 ms, doubled
/// per failure up to 1 s, without end (a call stops waiting at its own deadline; the
/// next call resumes the attempts).
pub fn default_policy() -> Reconnect {
    Reconnect::default()
        .max_attempts(u32::MAX)
        .delays(Duration::from_millis(50), Duration::from_secs(1))
}

/// What a [`Follower`] asks its body to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FollowAction {
    /// Run one discovery now, then report it with
    /// [`handle_discovered`](Follower::handle_discovered) or
    /// [`handle_discovery_failed`](Follower::handle_discovery_failed).
    Discover,
    /// Given up for good: every call fails with this reason.
    GiveUp(CloseReason),
}

/// The node a sentinel-backed client uses, and when to find it again.
///
/// Two machines, in the style of the cluster's router and call:
///
/// - [`Follower`], one per client: the node in use and its generation (one more per
///   discovery), and the outage under way, run by a [`Supervisor`] (backoff between
///   discoveries, permanent refusals). It discovers again when a call reports the
///   connection lost ([`handle_lost`](Follower::handle_lost)), the node refused a
///   write with `READONLY` ([`handle_demoted`](Follower::handle_demoted)), or a
///   sentinel announced another master
///   ([`handle_announcement`](Follower::handle_announcement)). Its drain hands out
///   [`FollowAction::Discover`]: whoever takes it runs one discovery (the
///   [`Discovery`](super::Discovery) machine) and reports the result with
///   [`handle_discovered`](Follower::handle_discovered) or
///   [`handle_discovery_failed`](Follower::handle_discovery_failed).
/// - [`FollowCall`], one per call: its deadline, counted from when it was made, and
///   the resend rule. It is sent on the node in use; while there is none (a discovery
///   runs, or its backoff), it waits, until its deadline.
///
/// The resend rule, from [`commands::may_resend`](crate::commands::may_resend):
///
/// - refused with `READONLY` (the node was demoted): it did not run; sent again to
///   the master found afresh;
/// - not sent (the connection was already gone): sent again;
/// - lost after it was written: sent again if it cannot change data, or if the
///   caller opted in for writes; otherwise delivered as it is, an unknown outcome.
///
/// A permanent refusal of the node found (a wrong password: see
/// [`is_permanent`](crate::supervisor::is_permanent)) ends the follower at once: every
/// call fails with [`FollowError::Down`] and that refusal.
///
/// The body's loop for one call, over a fake whose master dies and comes back
/// elsewhere:
///
/// ```
/// use std::time::{Duration, Instant};
/// use redis_sansio::config::ServerAddr;
/// use redis_sansio::sentinel::{CallAction, FollowAction, Follower};
/// use redis_sansio::{CloseReason, Cmd};
///
/// let start = Instant::now();
/// let mut follower = Follower::new("mymaster", Default::default(), Duration::from_secs(5));
/// follower.handle_discovered(ServerAddr::tcp("10.0.0.1", 6379), start);
/// let mut now = start;
/// // A GET in flight on generation 1 when its master dies.
/// let mut call = follower.call(&Cmd::new("GET").arg("k"), false, now);
/// let mut discoveries = 0;
/// let answered_by = loop {
///     if follower.poll_timeout().is_some_and(|at| at <= now) {
///         follower.handle_timeout(now);
///     }
///     while let Some(action) = follower.poll_action() {
///         if action == FollowAction::Discover {
///             discoveries += 1;
///             if discoveries < 3 {
///                 // The sentinels still name the dead master.
///                 follower.handle_discovery_failed(None, now);
///             } else {
///                 follower.handle_discovered(ServerAddr::tcp("10.0.0.2", 6379), now);
///             }
///         }
///     }
///     match call.poll_action(&follower, now) {
///         Some(CallAction::Send { generation: 1 }) => {
///             call.handle_lost(&mut follower, &CloseReason::Eof, now); // a read: resent
///         }
///         Some(CallAction::Send { generation }) => {
///             call.handle_reply();
///             break generation;
///         }
///         Some(CallAction::Wait { until }) => now = until,
///         other => panic!("{other:?}"),
///     }
/// };
/// assert_eq!(answered_by, 2);
/// assert_eq!(call.poll_action(&follower, now), Some(CallAction::Deliver));
/// assert!(now < call.deadline());
/// ```
///
/// Its methods:
///
/// - **Getters**: [`generation`](Self::generation), [`node`](Self::node),
///   [`phase`](Self::phase), [`is_up`](Self::is_up), [`down_reason`](Self::down_reason).
/// - **Inputs**: [`handle_discovered`](Self::handle_discovered),
///   [`handle_discovery_failed`](Self::handle_discovery_failed),
///   [`handle_lost`](Self::handle_lost), [`handle_demoted`](Self::handle_demoted),
///   [`handle_announcement`](Self::handle_announcement),
///   [`handle_timeout`](Self::handle_timeout).
/// - **Application calls**: [`call`](Self::call), [`rediscover`](Self::rediscover),
///   [`close`](Self::close).
/// - **Drains**: [`poll_action`](Self::poll_action), [`poll_timeout`](Self::poll_timeout).
#[derive(Debug, Clone)]
pub struct Follower {
    master_name: String,
    policy: Reconnect,
    supervisor: Supervisor,
    timeout: Duration,
    generation: u64,
    node: Option<ServerAddr>,
}

impl Follower {
    /// A follower of `master_name` with no node yet (generation 0): report the first
    /// discovery with [`handle_discovered`](Self::handle_discovered). Discoveries
    /// after a loss follow `policy`; each call waits at most `timeout` from when it is
    /// made.
    pub fn new(master_name: impl Into<String>, policy: Reconnect, timeout: Duration) -> Self {
        Follower {
            master_name: master_name.into(),
            supervisor: Supervisor::new(policy.clone()),
            policy,
            timeout,
            generation: 0,
            node: None,
        }
    }

    // ---- A: getters -------------------------------------------------------------

    /// The node in use's generation: 1 after the first discovery, one more per
    /// discovery since; 0 before any.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The node in use (or last used, while a discovery runs).
    pub fn node(&self) -> Option<&ServerAddr> {
        self.node.as_ref()
    }

    /// Where the outage machine is: [`Phase::Up`] while the node serves.
    pub fn phase(&self) -> &Phase {
        self.supervisor.phase()
    }

    /// True while calls may be sent to the node in use.
    pub fn is_up(&self) -> bool {
        self.generation > 0 && *self.supervisor.phase() == Phase::Up
    }

    /// Why the follower gave up for good, if it did.
    pub fn down_reason(&self) -> Option<&CloseReason> {
        self.supervisor.down_reason()
    }

    /// How long each call may wait, from when it is made.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    // ---- B: inputs --------------------------------------------------------------

    /// A discovery found `node` (its role checked): it is the node in use from now
    /// on. Returns its generation, or `None` when the follower has given up (drop the
    /// connection then).
    pub fn handle_discovered(&mut self, node: ServerAddr, now: Instant) -> Option<u64> {
        let _ = now;
        if self.supervisor.down_reason().is_some() {
            return None;
        }
        // A fresh supervisor: the outage is over, the next one starts afresh.
        self.supervisor = Supervisor::new(self.policy.clone());
        self.generation += 1;
        self.node = Some(node);
        Some(self.generation)
    }

    /// A discovery failed. `refusal` is the node's refusal of the connection
    /// (`CloseReason::Auth`, ...) when that is why: a permanent one gives up at once;
    /// anything else waits the backoff before the next discovery.
    pub fn handle_discovery_failed(&mut self, refusal: Option<&CloseReason>, now: Instant) {
        self.supervisor.handle_connect_failed(refusal, now);
    }

    /// The connection of generation `generation` closed for `reason`: discover again
    /// (at once), unless an older generation's loss is reported late (ignored) or a
    /// discovery already runs. A connection closed locally (the body dropped it) is
    /// taken as any loss: only [`close`](Self::close) ends the follower.
    pub fn handle_lost(&mut self, generation: u64, reason: &CloseReason, now: Instant) {
        if generation != self.generation {
            return;
        }
        match reason {
            CloseReason::Local => self.supervisor.handle_lost(&CloseReason::Eof, now),
            _ => self.supervisor.handle_lost(reason, now),
        }
    }

    /// The node of generation `generation` refused a write with `READONLY`: it was
    /// demoted, so discover again (at once). Ignored for an older generation.
    pub fn handle_demoted(&mut self, generation: u64, now: Instant) {
        // Not a close the server made: the body drops the connection itself.
        self.handle_lost(generation, &CloseReason::Eof, now);
    }

    /// A sentinel announced a new master. True when it is about this master and
    /// names another node than the one in use: then (if the node was up) discovery
    /// starts at once, and the body should ask the announcing sentinel first.
    pub fn handle_announcement(&mut self, switch: &SwitchMaster, now: Instant) -> bool {
        if switch.master_name != self.master_name || self.node.as_ref() == Some(&switch.new) {
            return false;
        }
        self.handle_demoted(self.generation, now);
        true
    }

    /// The timer armed from [`poll_timeout`](Self::poll_timeout) fired: the next
    /// discovery is due once its backoff is over.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.supervisor.handle_timeout(now);
    }

    // ---- C: application calls ---------------------------------------------------

    /// A call for `cmd` made at `now`: it waits at most [`timeout`](Self::timeout)
    /// for a node; `resend_writes` lets a write lost in flight be sent again.
    pub fn call(&self, cmd: &Cmd, resend_writes: bool, now: Instant) -> FollowCall {
        FollowCall {
            resend: resend_writes || crate::commands::may_resend(cmd),
            deadline: deadline::after(now, self.timeout),
            state: CallState::Route,
            sends: 0,
        }
    }

    /// The application asks for a discovery now (the node in use is dropped). A
    /// discovery already under way or in backoff is left as it is.
    pub fn rediscover(&mut self, now: Instant) {
        self.handle_demoted(self.generation, now);
    }

    /// The client is closed: no more discoveries; calls fail with
    /// [`CloseReason::Local`].
    pub fn close(&mut self, now: Instant) {
        self.supervisor.close(now);
    }

    // ---- D: drains --------------------------------------------------------------

    /// The next thing to do, oldest first.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<FollowAction> {
        match self.supervisor.poll_action()? {
            Action::Connect => Some(FollowAction::Discover),
            Action::GiveUp(reason) => Some(FollowAction::GiveUp(reason)),
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called: the next
    /// discovery's time, while in backoff.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.supervisor.poll_timeout()
    }
}

/// Why a [`FollowCall`] failed without an outcome of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FollowError {
    /// Its deadline passed while it waited for a node (the body names the last
    /// discovery's failure if it has one, or a timeout).
    Expired,
    /// The follower gave up for good, for this reason (a permanent refusal, or the
    /// application closed the client).
    Down(CloseReason),
}

/// What the body does next for a [`FollowCall`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallAction {
    /// Send the command on the connection of this generation, then report its
    /// outcome.
    Send {
        /// The follower's generation when the call was sent.
        generation: u64,
    },
    /// No node: carry out the follower's actions, and poll again at `until` or as
    /// soon as the follower has changed (a discovery was reported).
    Wait {
        /// The call's deadline, or the next discovery's time if sooner.
        until: Instant,
    },
    /// The call is over: give the caller the outcome last reported, as it is (a
    /// reply, the server's error, or the connection's error: an unknown outcome).
    Deliver,
    /// The call is over without an outcome of its own.
    Fail(FollowError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum CallState {
    Route,
    InFlight { generation: u64 },
    Deliver,
    Finished,
}

/// One call through a [`Follower`]: made by [`Follower::call`]; the rules are
/// [`Follower`]'s.
///
/// - **Getters**: [`deadline`](Self::deadline), [`sends`](Self::sends).
/// - **Inputs**, one per [`CallAction::Send`]: [`handle_reply`](Self::handle_reply)
///   (a reply, or a server error other than `READONLY`),
///   [`handle_demoted`](Self::handle_demoted), [`handle_not_sent`](Self::handle_not_sent),
///   [`handle_lost`](Self::handle_lost).
/// - **Drain**: [`poll_action`](Self::poll_action), after the follower's own actions.
#[derive(Debug, Clone)]
pub struct FollowCall {
    resend: bool,
    deadline: Instant,
    state: CallState,
    sends: u32,
}

impl FollowCall {
    /// When the call stops waiting for a node.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// How many times it was sent.
    pub fn sends(&self) -> u32 {
        self.sends
    }

    /// Its outcome came (a reply, or a server error that is not `READONLY`): it is
    /// delivered.
    pub fn handle_reply(&mut self) {
        if matches!(self.state, CallState::InFlight { .. }) {
            self.state = CallState::Deliver;
        }
    }

    /// The node refused it with `READONLY`: it did not run; the follower discovers
    /// again and the call is sent to the new master.
    pub fn handle_demoted(&mut self, follower: &mut Follower, now: Instant) {
        if let CallState::InFlight { generation } = self.state {
            follower.handle_demoted(generation, now);
            self.state = CallState::Route;
        }
    }

    /// The connection was gone before the call was written (`reason`): it did not
    /// run; the follower discovers again and the call is sent once there is a node.
    pub fn handle_not_sent(&mut self, follower: &mut Follower, reason: &CloseReason, now: Instant) {
        if let CallState::InFlight { generation } = self.state {
            follower.handle_lost(generation, reason, now);
            self.state = CallState::Route;
        }
    }

    /// The connection closed after the call was written (`reason`): it may have run.
    /// The follower discovers again; the call is sent again if it may be (it cannot
    /// change data, or the caller opted in), else it is delivered as it is.
    pub fn handle_lost(&mut self, follower: &mut Follower, reason: &CloseReason, now: Instant) {
        if let CallState::InFlight { generation } = self.state {
            follower.handle_lost(generation, reason, now);
            self.state = if self.resend {
                CallState::Route
            } else {
                CallState::Deliver
            };
        }
    }

    /// What to do next, given the `follower` (whose actions the body carries out
    /// first). `None` while the call is in flight, and once it is over.
    #[must_use]
    pub fn poll_action(&mut self, follower: &Follower, now: Instant) -> Option<CallAction> {
        match self.state {
            CallState::InFlight { .. } | CallState::Finished => None,
            CallState::Deliver => {
                self.state = CallState::Finished;
                Some(CallAction::Deliver)
            }
            CallState::Route => {
                if let Some(reason) = follower.down_reason() {
                    self.state = CallState::Finished;
                    return Some(CallAction::Fail(FollowError::Down(reason.clone())));
                }
                if now >= self.deadline {
                    self.state = CallState::Finished;
                    return Some(CallAction::Fail(FollowError::Expired));
                }
                if follower.is_up() {
                    let generation = follower.generation();
                    self.state = CallState::InFlight { generation };
                    self.sends += 1;
                    return Some(CallAction::Send { generation });
                }
                let until = match follower.poll_timeout() {
                    Some(at) => at.min(self.deadline),
                    None => self.deadline,
                };
                Some(CallAction::Wait { until })
            }
        }
    }
}
