//! One request to a cluster as a state machine: where it goes, what to do about each
//! outcome, how often and how long to try, written once for every client.

use std::time::Instant;

use crate::deadline;
use crate::{ServerError, ServerErrorKind};

use super::config::RouterConfig;
use super::error::ClusterError;
use super::event::{NodeId, ReadFrom};
use super::router::ClusterRouter;
use super::routing::{Routing, Target};

/// One request to a single node of a cluster (a command whose keys share a slot, or
/// a keyless command for one node), from its routing to its outcome: it picks the
/// node, follows `MOVED` and `ASK`, waits out busy errors and failovers with backoff,
/// and decides whether a request whose connection was lost may be sent again. It owns
/// the request's counts and its deadline; the router it is given owns the slot table.
///
/// Its methods come in the core's kinds:
///
/// - **Getters**: [`deadline`](Self::deadline), [`node`](Self::node),
///   [`redirects`](Self::redirects), [`retries`](Self::retries).
/// - **Inputs**, one per attempt, after a [`CallAction::Send`]:
///   [`handle_reply`](Self::handle_reply) (the command's own reply, or a server
///   error that is not the cluster's), [`handle_server_error`](Self::handle_server_error),
///   [`handle_not_sent`](Self::handle_not_sent) (the connection could not be opened,
///   or closed before the request was written: it did not run),
///   [`handle_lost`](Self::handle_lost) (the connection closed after the request was
///   written: it may have run).
/// - **Drain**: [`poll_action`](Self::poll_action): what to do next.
///
/// The body's loop: call `poll_action(router, now)` until it returns `None` (an
/// attempt is out; report its outcome) or an end ([`CallAction::Deliver`],
/// [`CallAction::Fail`]); on [`CallAction::Wait`], wait until then (driving the
/// router's refreshes meanwhile) and poll again.
///
/// The rules:
///
/// - `MOVED`: the router learns the slot's new owner; the first redirect is followed
///   at once, each later one after the router's backoff (a slot moving back and forth
///   does not spend the redirects in a few milliseconds). `ASK`: at once, with
///   `ASKING`. Past [`RouterConfig::max_redirects`]:
///   [`ClusterError::TooManyRedirects`].
/// - `TRYAGAIN`, `CLUSTERDOWN` (which also asks for a refresh), `LOADING`: again
///   after the backoff; past [`RouterConfig::max_retries`]:
///   [`ClusterError::TooManyRetries`].
/// - Not sent (a refused connection: a primary that died): the node is reported
///   failed to the router (which refreshes the topology), and the call is routed
///   again after the backoff, so a write waits for the replica's promotion.
/// - Lost after it was written: the same when [`Routing::may_resend`] (the command
///   cannot change data) or [`RouterConfig::resend_writes`] says so; otherwise the
///   node is reported and the call ends with [`CallAction::Deliver`]: its outcome is
///   unknown, and the caller learns it.
/// - No node for the slot: a refresh is requested and the call waits with backoff.
/// - Every wait ends by the deadline ([`RouterConfig::retry_timeout`] after the call
///   was made): a retry that would start after it ends the call with
///   [`CallAction::Deliver`] of the last outcome (or [`ClusterError::NoNodeForSlot`]
///   when no node was found).
///
/// ```
/// use std::time::{Duration, Instant};
/// use redis_sansio::Cmd;
/// use redis_sansio::cluster::{
///     CallAction, ClusterCall, ClusterEvent, ClusterRouter, NodeAddr, RouterConfig, Routing,
///     TopologyCommand,
/// };
/// use redis_sansio::resp::Frame;
///
/// // A make-believe cluster: 7000 serves every slot and dies at once; 300 ms later its
/// // replica 7001 is promoted.
/// let start = Instant::now();
/// let promoted = start + Duration::from_millis(300);
/// let topology = |now: Instant| {
///     let (primary, replica) = if now < promoted { (7000, 7001) } else { (7001, 7000) };
///     let node = |port| Frame::Array(vec![Frame::bulk("127.0.0.1"), Frame::Integer(port)]);
///     Frame::Array(vec![Frame::Array(vec![
///         Frame::Integer(0), Frame::Integer(16383), node(primary), node(replica),
///     ])])
/// };
/// // The body's one drain of the router: refreshes answered by the fake (which knows
/// // only `CLUSTER SLOTS`).
/// let drive = |router: &mut ClusterRouter, now: Instant| {
///     if router.poll_timeout().is_some_and(|t| t <= now) {
///         router.handle_timeout(now);
///     }
///     while let Some(event) = router.poll_event() {
///         if let ClusterEvent::Refresh { node, command } = event {
///             let reply = match command {
///                 TopologyCommand::Shards => Frame::error("ERR unknown subcommand 'SHARDS'"),
///                 _ => topology(now),
///             };
///             let _ = router.handle_topology(&reply, node, now);
///         }
///     }
/// };
/// let mut now = start;
/// let mut router = ClusterRouter::new(RouterConfig::default());
/// router.add_seed(NodeAddr::new("127.0.0.1", 7000));
/// router.request_refresh(now);
/// drive(&mut router, now);
///
/// // An INCR made as 7000 dies: never sent twice, never failed while the failover
/// // runs, sent once the topology names the new primary.
/// let incr = Cmd::new("INCR").arg("counter");
/// let mut call = ClusterCall::new(&Routing::of(&incr).unwrap(), router.config(), now);
/// let mut refused = 0;
/// let mut served_by = None;
/// let end = loop {
///     drive(&mut router, now);
///     match call.poll_action(&mut router, now) {
///         Some(CallAction::Send { node, asking: false }) => {
///             match router.node_addr(node).unwrap().port {
///                 7000 => {
///                     refused += 1; // connection refused: the request was not sent
///                     call.handle_not_sent(&mut router, now);
///                 }
///                 port => {
///                     served_by = Some(port);
///                     call.handle_reply();
///                 }
///             }
///         }
///         Some(CallAction::Wait { until }) => now = until,
///         Some(end) => break end,
///         None => unreachable!("every attempt's outcome is reported"),
///     }
/// };
/// assert_eq!(end, CallAction::Deliver);
/// assert_eq!(served_by, Some(7001));
/// assert_eq!(call.retries(), refused);
/// assert!(now < call.deadline());
/// ```
#[derive(Debug, Clone)]
pub struct ClusterCall {
    slot: Option<u16>,
    read_from: ReadFrom,
    resend: bool,
    deadline: Instant,
    redirects: u32,
    retries: u32,
    state: State,
}

#[derive(Debug, Clone)]
enum State {
    /// Pick the node from the slot table at the next poll.
    Route,
    /// Send to this node at the next poll.
    SendTo { node: NodeId, asking: bool },
    /// Route again once this time has come.
    WaitUntil(Instant),
    /// Sent to this node; its outcome is awaited.
    InFlight { node: NodeId },
    /// The caller gets the outcome last reported.
    Deliver,
    /// The call failed as a whole.
    Failed(ClusterError),
    /// Delivered or failed; nothing more to do.
    Finished,
}

/// What the body does next for a [`ClusterCall`], from
/// [`poll_action`](ClusterCall::poll_action).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallAction {
    /// Send the command to `node` (after `ASKING`, back to back on one connection,
    /// when `asking`), then report its outcome.
    Send {
        /// Where.
        node: NodeId,
        /// Whether `ASKING` goes first.
        asking: bool,
    },
    /// Poll again at `until` (drive the router's refreshes meanwhile).
    Wait {
        /// When.
        until: Instant,
    },
    /// The call is over: give the caller the outcome last reported, as it is (a
    /// reply, the server's error, or the connection's error).
    Deliver,
    /// The call is over: it failed as a whole.
    Fail(ClusterError),
}

impl ClusterCall {
    /// A call made at `now` for a command routed as `routing` (its
    /// [`Target::Slot`]; any other target goes to one node, the keyless one), under
    /// `config`'s limits: replicas may serve it when it is read-only and
    /// [`RouterConfig::read_from`] allows, and it may be sent again after a lost
    /// connection when [`Routing::may_resend`] or [`RouterConfig::resend_writes`].
    pub fn new(routing: &Routing, config: &RouterConfig, now: Instant) -> Self {
        let read_from = if routing.read_only {
            config.read_from
        } else {
            ReadFrom::Primary
        };
        let slot = match routing.target {
            Target::Slot(slot) => Some(slot),
            _ => None,
        };
        ClusterCall {
            slot,
            read_from,
            resend: routing.may_resend || config.resend_writes,
            deadline: deadline::after(now, config.retry_timeout),
            redirects: 0,
            retries: 0,
            state: State::Route,
        }
    }

    /// Lets this call be sent again after a lost connection even when its command
    /// may change data: the caller's opt-in, per call, for a write it knows is
    /// harmless twice (`SET k v`, a script written to be idempotent). `false` keeps
    /// what the routing and the config say.
    pub fn resend_anyway(mut self, allowed: bool) -> Self {
        self.resend |= allowed;
        self
    }

    /// Sends it first to `node` rather than where the table says (a body that
    /// already sent it there, or a command for that node).
    pub fn sent_to(mut self, node: NodeId) -> Self {
        self.state = State::InFlight { node };
        self
    }

    // A: getters.

    /// When retries end.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The node the attempt in flight went to.
    pub fn node(&self) -> Option<NodeId> {
        match self.state {
            State::InFlight { node } => Some(node),
            _ => None,
        }
    }

    /// Where the next attempt goes, when it is due now and goes where the slot table
    /// says (not a redirect's node, not after a wait): for a body that sends the first
    /// attempt itself on an open connection, then marks the call
    /// [`sent_to`](Self::sent_to) that node.
    pub fn route(&self, router: &ClusterRouter) -> Option<NodeId> {
        if !matches!(self.state, State::Route) {
            return None;
        }
        match self.slot {
            Some(slot) => router.route(slot, self.read_from),
            None => router.route_keyless(),
        }
    }

    /// How many `MOVED`/`ASK` redirects it followed.
    pub fn redirects(&self) -> u32 {
        self.redirects
    }

    /// How many times it was tried again after a busy error or a connection failure.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    // B: inputs.

    /// The attempt got the command's own reply, or a server error that is not the
    /// cluster's business: the caller gets it.
    pub fn handle_reply(&mut self) {
        self.state = State::Deliver;
    }

    /// The attempt got `error`. Redirects and busy errors are acted on as the type's
    /// documentation says; any other error goes to the caller.
    pub fn handle_server_error(
        &mut self,
        error: &ServerError,
        router: &mut ClusterRouter,
        now: Instant,
    ) {
        let Some(from) = self.node() else {
            return;
        };
        match error.kind() {
            ServerErrorKind::Moved(_) | ServerErrorKind::Ask(_) => {
                let (node, asking) = match router.follow_redirect(error, from, now) {
                    Ok(Some(followed)) => followed,
                    Ok(None) => return self.handle_reply(),
                    Err(error) => return self.state = State::Failed(error),
                };
                self.redirects += 1;
                let limit = router.config().max_redirects;
                if self.redirects > limit {
                    self.state = State::Failed(ClusterError::TooManyRedirects { limit });
                } else if asking || self.redirects == 1 {
                    self.state = State::SendTo { node, asking };
                } else {
                    // A slot moving back and forth: wait before following again.
                    let delay = router.config().retry_delay(self.redirects - 2);
                    self.retry_after(delay, now);
                }
            }
            ServerErrorKind::TryAgain | ServerErrorKind::ClusterDown | ServerErrorKind::Loading => {
                let limit = router.config().max_retries;
                if self.retries >= limit {
                    self.state = State::Failed(ClusterError::TooManyRetries {
                        limit,
                        last: error.clone(),
                    });
                    return;
                }
                if matches!(error.kind(), ServerErrorKind::ClusterDown) {
                    router.request_refresh(now);
                }
                self.retry_later(router.config(), now);
            }
            _ => self.handle_reply(),
        }
    }

    /// The attempt was never written: its node could not be reached, or its
    /// connection closed before the request went out. The node is reported failed
    /// and the call is routed again after the backoff, within its deadline.
    pub fn handle_not_sent(&mut self, router: &mut ClusterRouter, now: Instant) {
        let Some(node) = self.node() else {
            return;
        };
        router.handle_node_failure(node, now);
        crate::trace::failover_wait(self.slot, router.config().retry_delay(self.retries));
        self.retry_later(router.config(), now);
    }

    /// The attempt's connection closed after it was written, before its reply: it
    /// may have run. The node is reported failed; the call is routed again when it
    /// may be resent, otherwise it ends with [`CallAction::Deliver`] (the caller
    /// gets the unknown outcome).
    pub fn handle_lost(&mut self, router: &mut ClusterRouter, now: Instant) {
        let Some(node) = self.node() else {
            return;
        };
        router.handle_node_failure(node, now);
        if self.resend {
            self.retry_later(router.config(), now);
        } else {
            self.state = State::Deliver;
        }
    }

    // D: drain.

    /// What to do next: `None` while an attempt's outcome is awaited (or once the
    /// call is over and its end was returned).
    #[must_use]
    pub fn poll_action(&mut self, router: &mut ClusterRouter, now: Instant) -> Option<CallAction> {
        loop {
            match self.state {
                State::Route => match self.route(router) {
                    Some(node) => {
                        self.state = State::InFlight { node };
                        return Some(CallAction::Send {
                            node,
                            asking: false,
                        });
                    }
                    None => {
                        router.request_refresh(now);
                        let failed = ClusterError::NoNodeForSlot {
                            slot: self.slot.unwrap_or(0),
                        };
                        self.retry_later(router.config(), now);
                        if matches!(self.state, State::Deliver) {
                            self.state = State::Failed(failed);
                        }
                    }
                },
                State::SendTo { node, asking } => {
                    self.state = State::InFlight { node };
                    return Some(CallAction::Send { node, asking });
                }
                State::WaitUntil(until) if now < until => {
                    return Some(CallAction::Wait { until });
                }
                State::WaitUntil(_) => self.state = State::Route,
                State::InFlight { .. } | State::Finished => return None,
                State::Deliver => {
                    self.state = State::Finished;
                    return Some(CallAction::Deliver);
                }
                State::Failed(_) => {
                    let State::Failed(error) = std::mem::replace(&mut self.state, State::Finished)
                    else {
                        return None;
                    };
                    return Some(CallAction::Fail(error));
                }
            }
        }
    }

    // Internals.

    /// One more retry, after the backoff for it.
    fn retry_later(&mut self, config: &RouterConfig, now: Instant) {
        let delay = config.retry_delay(self.retries);
        self.retries += 1;
        self.retry_after(delay, now);
    }

    /// Routes again after `delay`, or ends with the last outcome when that would be
    /// past the deadline.
    fn retry_after(&mut self, delay: std::time::Duration, now: Instant) {
        let at = deadline::after(now, delay);
        self.state = if at > self.deadline {
            State::Deliver
        } else {
            State::WaitUntil(at)
        };
    }
}
