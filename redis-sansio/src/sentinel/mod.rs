//! Finding the master (or a replica) of a Sentinel-monitored group, as a state machine
//! with no IO and no clock.
//!
//! [`Discovery`] follows the
//! [Sentinel client guidelines](https://redis.io/docs/latest/develop/reference/sentinel-clients/):
//! ask each sentinel in turn for the address (`SENTINEL GET-MASTER-ADDR-BY-NAME`, or
//! `SENTINEL REPLICAS` for a replica), connect to that node and check its `ROLE`, and
//! move on to the next sentinel whenever one is unreachable, does not know the name,
//! answers nonsense, or names a node that turns out to have another role (a stale
//! sentinel still pointing at a demoted master).
//!
//! - [`Discovery`]: the machine; [`Action`]: what it asks the adapter
//!   to do next; [`Target`]: the master or a replica.
//! - [`SentinelError`]: why it found nothing, with every [`Attempt`] kept.
//! - [`SwitchMaster`]: the `+switch-master` announcement of a failover, for clients
//!   that watch the sentinels' pub/sub.
//! - [`Follower`] and [`FollowCall`]: following the master through failovers (when to
//!   discover again, backoff, calls waiting for the new master, the resend rule).
//!
//! Timeouts are the adapter's: it applies its connect and response timeouts to each
//! step and reports an expiry as a failure of that step.

mod error;
mod follow;
mod reply;
mod switch;

use std::collections::VecDeque;
use std::sync::Arc;

use crate::config::ServerAddr;
use crate::resp::Frame;
use crate::{Cmd, ServerError};

pub use error::{Attempt, Failure, MalformedReply, Role, SentinelError, SharedError};
pub use follow::{
    CallAction, DEFAULT_FOLLOW_TIMEOUT, FollowAction, FollowCall, FollowError, Follower,
    default_policy,
};
pub use switch::{SWITCH_MASTER_CHANNEL, SwitchMaster};

use reply::Peer;

/// What discovery looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// The master: the node `SENTINEL GET-MASTER-ADDR-BY-NAME` names, whose `ROLE`
    /// says `master`.
    Master,
    /// A replica of it, chosen among the healthy ones `SENTINEL REPLICAS` lists,
    /// starting at index `seed % count` and going round from there while candidates
    /// fail. The core draws no randomness: pass a random seed to spread clients over
    /// the replicas, or a fixed one to pick deterministically.
    Replica {
        /// Where to start in the list of healthy replicas.
        seed: u64,
    },
}

impl Target {
    /// The role a node must report to be the one wanted.
    pub fn role(self) -> Role {
        match self {
            Target::Master => Role::Master,
            Target::Replica { .. } => Role::Replica,
        }
    }
}

/// Names one step of a discovery: the adapter passes it back with the step's outcome,
/// so an outcome can never be taken for another step's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StepId(u64);

/// What the adapter does next, from [`Discovery::poll_action`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Action {
    /// Connect to the sentinel at `sentinel` (unless a connection to it is open from
    /// the previous step: reusing it is fine) and send `cmd`; then call
    /// [`Discovery::handle_reply`] with the reply (error replies included) or
    /// [`Discovery::handle_failure`] with why there is none.
    AskSentinel {
        /// This step, to pass back.
        step: StepId,
        /// The sentinel's address.
        sentinel: ServerAddr,
        /// The command: `SENTINEL GET-MASTER-ADDR-BY-NAME name`, `SENTINEL REPLICAS
        /// name` or `SENTINEL SENTINELS name`.
        cmd: Cmd,
    },
    /// Connect to the node at `node` with the data connection's settings
    /// (password, database...) and send `cmd` (`ROLE`); then pass the reply or the
    /// failure back as for [`AskSentinel`](Action::AskSentinel). Keep the connection:
    /// if the role is right, it is the one to use.
    CheckRole {
        /// This step, to pass back.
        step: StepId,
        /// The node's address.
        node: ServerAddr,
        /// `ROLE`.
        cmd: Cmd,
    },
    /// Discovery succeeded: use `node`. Comes last.
    Done {
        /// The node whose role was checked.
        node: ServerAddr,
        /// The sentinel that named it.
        sentinel: ServerAddr,
    },
    /// Discovery failed: every sentinel was tried. Comes last.
    Failed(SentinelError),
}

/// Where discovery is.
#[derive(Debug)]
enum Phase {
    /// Asking `sentinel` for the address.
    Asking { sentinel: ServerAddr },
    /// Asking `sentinel`, which answered, for the other sentinels it knows.
    Learning {
        sentinel: ServerAddr,
        candidates: VecDeque<ServerAddr>,
    },
    /// Checking the role of `candidates[0]`, which `sentinel` named.
    Checking {
        sentinel: ServerAddr,
        candidates: VecDeque<ServerAddr>,
    },
    /// Done or failed; the last action is out or waiting.
    Finished,
}

/// One discovery: the master's (or a replica's) address, from a list of sentinels.
///
/// Its methods come in the core's four kinds:
///
/// - **Getters**: [`master_name`](Self::master_name), [`target`](Self::target),
///   [`sentinels`](Self::sentinels) (the known list, updated as discovery goes),
///   [`attempts`](Self::attempts), [`is_finished`](Self::is_finished).
/// - **Inputs**: [`handle_reply`](Self::handle_reply) with the current step's reply,
///   [`handle_failure`](Self::handle_failure) with why it has none.
/// - **Application call**: [`Discovery::new`], with
///   [`learn_sentinels`](Self::learn_sentinels) before the first poll.
/// - **Drain**: [`poll_action`](Self::poll_action), after creating it and after each
///   input.
///
/// There is one step at a time. The adapter's loop:
///
/// ```
/// use redis_sansio::config::ServerAddr;
/// use redis_sansio::resp::Frame;
/// use redis_sansio::sentinel::{Action, Discovery, Target};
///
/// let sentinels = [ServerAddr::tcp("127.0.0.1", 26379), ServerAddr::tcp("127.0.0.1", 26380)];
/// let mut discovery = Discovery::new("mymaster", sentinels, Target::Master);
/// let node = loop {
///     match discovery.poll_action() {
///         Some(Action::AskSentinel { step, sentinel, .. }) => {
///             if sentinel.to_string() == "127.0.0.1:26379" {
///                 // Connecting failed: hand over the adapter's error.
///                 let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
///                 discovery.handle_failure(step, refused);
///             } else {
///                 let addr = Frame::Array(vec![Frame::bulk("10.0.0.5"), Frame::bulk("6379")]);
///                 discovery.handle_reply(step, addr);
///             }
///         }
///         Some(Action::CheckRole { step, .. }) => {
///             discovery.handle_reply(step, Frame::Array(vec![Frame::bulk("master")]));
///         }
///         Some(Action::Done { node, .. }) => break node,
///         Some(Action::Failed(error)) => panic!("{error}"),
///         Some(_) | None => unreachable!("one action after each input"),
///     }
/// };
/// assert_eq!(node, ServerAddr::tcp("10.0.0.5", 6379));
/// // The sentinel that answered now comes first.
/// assert_eq!(discovery.sentinels()[0], ServerAddr::tcp("127.0.0.1", 26380));
/// ```
#[derive(Debug)]
pub struct Discovery {
    master_name: String,
    target: Target,
    learn: bool,
    /// Every sentinel known, the one that last led to a good node first.
    sentinels: Vec<ServerAddr>,
    /// This run's sentinels not asked yet, in order.
    queue: VecDeque<ServerAddr>,
    attempts: Vec<Attempt>,
    phase: Phase,
    /// The step waiting for its outcome, if any.
    step: Option<StepId>,
    next_step: u64,
    /// The action to hand out next.
    action: Option<Action>,
}

impl Discovery {
    /// Starts a discovery of `target` for the master `master_name`, asking the
    /// `sentinels` in order (duplicates dropped). The first action is ready for
    /// [`poll_action`](Self::poll_action) at once.
    pub fn new(
        master_name: impl Into<String>,
        sentinels: impl IntoIterator<Item = ServerAddr>,
        target: Target,
    ) -> Self {
        let mut known = Vec::new();
        for sentinel in sentinels {
            if !known.contains(&sentinel) {
                known.push(sentinel);
            }
        }
        let mut discovery = Discovery {
            master_name: master_name.into(),
            target,
            learn: false,
            queue: known.iter().cloned().collect(),
            sentinels: known,
            attempts: Vec::new(),
            phase: Phase::Finished,
            step: None,
            next_step: 0,
            action: None,
        };
        discovery.ask_next_sentinel();
        discovery
    }

    /// Also asks the first sentinel that answers for the other sentinels it knows
    /// (`SENTINEL SENTINELS name`), and adds those not known yet to
    /// [`sentinels`](Self::sentinels) and to the ones still to ask. A failure of that
    /// step is ignored. Off by default.
    pub fn learn_sentinels(mut self, learn: bool) -> Self {
        self.learn = learn;
        self
    }

    // ---- A: getters -------------------------------------------------------------

    /// The master name asked for.
    pub fn master_name(&self) -> &str {
        &self.master_name
    }

    /// What is looked for.
    pub fn target(&self) -> Target {
        self.target
    }

    /// Every sentinel known: those given, then those learned. Once discovery is done,
    /// the sentinel that named the node comes first; start the next discovery from
    /// this list.
    pub fn sentinels(&self) -> &[ServerAddr] {
        &self.sentinels
    }

    /// Every failure so far, in order.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// True once [`Action::Done`] or [`Action::Failed`] has been produced.
    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Finished)
    }

    // ---- B: inputs --------------------------------------------------------------

    /// The reply to step `step`'s command, error replies included. An outcome for
    /// any other step than the current one is ignored.
    pub fn handle_reply(&mut self, step: StepId, reply: Frame) {
        if !self.take_step(step) {
            return;
        }
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Asking { sentinel } => self.on_address(sentinel, &reply),
            Phase::Learning {
                sentinel,
                candidates,
            } => {
                if let Ok(peers) = reply::peers(reply::SENTINELS, &reply) {
                    self.learn_from(peers);
                }
                self.check_first(sentinel, candidates);
            }
            Phase::Checking {
                sentinel,
                candidates,
            } => self.on_role(sentinel, candidates, &reply),
            Phase::Finished => {}
        }
    }

    /// Step `step` has no reply: connecting failed or timed out, or the connection
    /// closed. `error` is the adapter's own error, kept in the [`Attempt`]. An outcome
    /// for any other step than the current one is ignored.
    pub fn handle_failure(
        &mut self,
        step: StepId,
        error: impl std::error::Error + Send + Sync + 'static,
    ) {
        let shared: SharedError = Arc::new(error);
        self.handle_shared_failure(step, shared);
    }

    /// [`handle_failure`](Self::handle_failure) with an error already shared.
    pub fn handle_shared_failure(&mut self, step: StepId, error: SharedError) {
        if !self.take_step(step) {
            return;
        }
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Asking { sentinel } => {
                self.fail(sentinel, Failure::Unreachable(error));
                self.ask_next_sentinel();
            }
            // Learning is optional: go on without it.
            Phase::Learning {
                sentinel,
                candidates,
            } => self.check_first(sentinel, candidates),
            Phase::Checking {
                sentinel,
                mut candidates,
            } => {
                if let Some(node) = candidates.pop_front() {
                    self.fail(sentinel.clone(), Failure::NodeUnreachable { node, error });
                }
                self.check_first(sentinel, candidates);
            }
            Phase::Finished => {}
        }
    }

    // ---- D: drains --------------------------------------------------------------

    /// The next thing to do: after [`new`](Self::new) and after each input there is
    /// exactly one, and [`Action::Done`] or [`Action::Failed`] is the last.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<Action> {
        self.action.take()
    }

    // ---- the steps ----------------------------------------------------------------

    /// True when `step` is the step waiting; it is waiting no more.
    fn take_step(&mut self, step: StepId) -> bool {
        if self.step == Some(step) {
            self.step = None;
            true
        } else {
            false
        }
    }

    fn new_step(&mut self) -> StepId {
        let step = StepId(self.next_step);
        self.next_step += 1;
        self.step = Some(step);
        step
    }

    fn fail(&mut self, sentinel: ServerAddr, failure: Failure) {
        self.attempts.push(Attempt { sentinel, failure });
    }

    /// Asks the next sentinel of the queue for the address, or fails when none is left.
    fn ask_next_sentinel(&mut self) {
        let Some(sentinel) = self.queue.pop_front() else {
            self.finish_failed();
            return;
        };
        let cmd = match self.target {
            Target::Master => Cmd::new("SENTINEL")
                .arg("GET-MASTER-ADDR-BY-NAME")
                .arg(self.master_name.as_str()),
            Target::Replica { .. } => Cmd::new("SENTINEL")
                .arg("REPLICAS")
                .arg(self.master_name.as_str()),
        };
        let step = self.new_step();
        self.phase = Phase::Asking {
            sentinel: sentinel.clone(),
        };
        self.action = Some(Action::AskSentinel {
            step,
            sentinel,
            cmd,
        });
    }

    /// The sentinel's answer to the address question: the candidates to check, or a
    /// failure and the next sentinel.
    fn on_address(&mut self, sentinel: ServerAddr, reply: &Frame) {
        match self.candidates(reply) {
            Ok(candidates) => {
                if self.learn {
                    // Once per discovery: the first sentinel that answers.
                    self.learn = false;
                    let step = self.new_step();
                    self.phase = Phase::Learning {
                        sentinel: sentinel.clone(),
                        candidates,
                    };
                    self.action = Some(Action::AskSentinel {
                        step,
                        sentinel,
                        cmd: Cmd::new("SENTINEL")
                            .arg("SENTINELS")
                            .arg(self.master_name.as_str()),
                    });
                } else {
                    self.check_first(sentinel, candidates);
                }
            }
            Err(failure) => {
                self.fail(sentinel, failure);
                self.ask_next_sentinel();
            }
        }
    }

    /// The nodes a sentinel's answer names, in the order to check them.
    fn candidates(&self, reply: &Frame) -> Result<VecDeque<ServerAddr>, Failure> {
        if let Some(error) = server_error(reply) {
            return Err(error);
        }
        match self.target {
            Target::Master => match reply::master_addr(reply) {
                Ok(Some(addr)) => Ok(VecDeque::from([addr])),
                Ok(None) => Err(Failure::UnknownMaster),
                Err(malformed) => Err(Failure::Malformed(malformed)),
            },
            Target::Replica { seed } => {
                let peers = reply::peers(reply::REPLICAS, reply).map_err(Failure::Malformed)?;
                let healthy: Vec<ServerAddr> = peers
                    .into_iter()
                    .filter(|peer| !peer.down)
                    .map(|peer| peer.addr)
                    .collect();
                if healthy.is_empty() {
                    return Err(Failure::NoHealthyReplica);
                }
                let start = usize::try_from(seed % healthy.len() as u64).unwrap_or(0);
                let mut candidates: VecDeque<ServerAddr> = healthy.into();
                candidates.rotate_left(start);
                Ok(candidates)
            }
        }
    }

    /// Adds the sentinels not known yet, to the known list and to this run's queue.
    fn learn_from(&mut self, peers: Vec<Peer>) {
        for peer in peers {
            if !self.sentinels.contains(&peer.addr) {
                self.sentinels.push(peer.addr.clone());
                self.queue.push_back(peer.addr);
            }
        }
    }

    /// Checks the role of the first candidate, or moves on to the next sentinel when
    /// none is left.
    fn check_first(&mut self, sentinel: ServerAddr, candidates: VecDeque<ServerAddr>) {
        let Some(node) = candidates.front().cloned() else {
            self.ask_next_sentinel();
            return;
        };
        let step = self.new_step();
        self.phase = Phase::Checking {
            sentinel,
            candidates,
        };
        self.action = Some(Action::CheckRole {
            step,
            node,
            cmd: Cmd::new("ROLE"),
        });
    }

    /// The candidate's `ROLE` reply: done if it is the role wanted, else the next
    /// candidate.
    fn on_role(
        &mut self,
        sentinel: ServerAddr,
        mut candidates: VecDeque<ServerAddr>,
        reply: &Frame,
    ) {
        let Some(node) = candidates.pop_front() else {
            self.ask_next_sentinel();
            return;
        };
        let expected = self.target.role();
        let failure = if let Some(Failure::Server(error)) = server_error(reply) {
            Failure::NodeUnreachable {
                node,
                error: Arc::new(error),
            }
        } else {
            match reply::role(reply) {
                Ok(found) if found.eq_ignore_ascii_case(expected.word()) => {
                    self.finish_done(node, sentinel);
                    return;
                }
                Ok(found) => Failure::RoleMismatch {
                    node,
                    expected,
                    found,
                },
                Err(malformed) => Failure::Malformed(malformed),
            }
        };
        self.fail(sentinel.clone(), failure);
        self.check_first(sentinel, candidates);
    }

    fn finish_done(&mut self, node: ServerAddr, sentinel: ServerAddr) {
        if let Some(at) = self.sentinels.iter().position(|known| *known == sentinel) {
            self.sentinels[..=at].rotate_right(1);
        }
        self.phase = Phase::Finished;
        self.action = Some(Action::Done { node, sentinel });
    }

    fn finish_failed(&mut self) {
        let name = self.master_name.clone();
        let attempts = self.attempts.clone();
        let error = if self.sentinels.is_empty() {
            SentinelError::NoSentinels
        } else if unknown_everywhere(&attempts) {
            SentinelError::UnknownMaster { name, attempts }
        } else {
            SentinelError::Exhausted {
                name,
                role: self.target.role(),
                attempts,
            }
        };
        self.phase = Phase::Finished;
        self.action = Some(Action::Failed(error));
    }
}

/// True when some sentinel said it does not know the name, and every other one was
/// unreachable.
fn unknown_everywhere(attempts: &[Attempt]) -> bool {
    let unknown = |attempt: &Attempt| matches!(attempt.failure, Failure::UnknownMaster);
    attempts.iter().any(unknown)
        && attempts
            .iter()
            .all(|attempt| unknown(attempt) || matches!(attempt.failure, Failure::Unreachable(_)))
}

/// The sentinel's error reply as a failure: `No such master with that name` (what
/// `SENTINEL REPLICAS` says for an unknown name) is [`Failure::UnknownMaster`].
fn server_error(reply: &Frame) -> Option<Failure> {
    if !reply.is_error() {
        return None;
    }
    let message = reply.as_bytes().cloned().unwrap_or_default();
    let error = ServerError::new(message);
    let unknown = error
        .message_lossy()
        .to_ascii_lowercase()
        .contains("no such master");
    Some(if unknown {
        Failure::UnknownMaster
    } else {
        Failure::Server(error)
    })
}
