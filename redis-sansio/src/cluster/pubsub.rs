//! A cluster subscriber's books: which channel, pattern and shard channel is
//! subscribed on which node, what must be subscribed (again) where, and when the next
//! try is due. Pure, like the [`ClusterRouter`] it asks for routes.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Instant;

use bytes::Bytes;

use crate::conn::{SubscriptionKind, Subscriptions};
use crate::deadline;
use crate::retry::{Outage, Reconnect};
use crate::{Cmd, ServerError};

use super::error::ClusterError;
use super::event::{Decision, NodeId, ReadFrom};
use super::router::ClusterRouter;
use super::slot::key_slot;

/// The pub/sub subscriptions of a cluster client, as a pure state machine: what the
/// user asked for, on which node each name is subscribed, and what must be subscribed
/// (again) where.
///
/// Shard channels (`SSUBSCRIBE`) go to the primary serving their slot, those of one
/// slot batched in one command (Redis refuses a batch that spans slots with
/// `CROSSSLOT`); ordinary channels (`SUBSCRIBE`) and patterns (`PSUBSCRIBE`) all go to
/// one node (the one they are on already, else the router's
/// [`route_keyless`](ClusterRouter::route_keyless)). The adapter keeps one connection
/// per node and carries the books' batches out on them.
///
/// A name the user still wants but no node holds any more is subscribed again: a
/// shard channel Redis unsubscribed on its own because its slot moved (the adapter
/// hands the connection's confirmed [`Subscriptions`] in after an unasked-for
/// `sunsubscribe`), or any name on a node whose connection failed. The books then ask
/// the router for a topology refresh, and the next round of batches goes where the
/// refreshed table says. Names the user unsubscribed are forgotten at once and never
/// subscribed again.
///
/// **A slot being migrated**: Redis (7.0, the version the integration tests run)
/// answers `SSUBSCRIBE` for a slot marked `MIGRATING` on the node that owns it, and
/// never with `-ASK`: it serves the slot's shard channels there until the migration
/// ends, then unsubscribes them (the `sunsubscribe` push above) and they are
/// subscribed again on the new owner. So the books do not follow an `-ASK` with
/// `ASKING`: should a server send one, the batch counts as failed and its names go
/// to the slot's owner again in the next round (an `ASK` leaves the slot table as it
/// is), paced like any failed round.
///
/// Its methods come in the four kinds of the core's other machines:
///
/// - **Getters**: [`wanted`](Self::wanted), [`node_of`](Self::node_of),
///   [`nodes`](Self::nodes), [`is_settled`](Self::is_settled),
///   [`wants_round`](Self::wants_round), [`resubscribed`](Self::resubscribed).
/// - **Inputs**: [`handle_batch`](Self::handle_batch) with each subscribe or
///   unsubscribe batch's outcome, [`handle_subscriptions`](Self::handle_subscriptions)
///   with what a node's connection has confirmed (after a push, and after each batch),
///   [`handle_node_failure`](Self::handle_node_failure) when a node's connection fails,
///   [`handle_topology`](Self::handle_topology) after the router's events were
///   carried out.
/// - **Application calls**: [`subscribe`](Self::subscribe),
///   [`unsubscribe`](Self::unsubscribe) (which returns the batches that leave), and
///   [`set_policy`](Self::set_policy).
/// - **Drains**: [`poll_batches`](Self::poll_batches) (the next round of subscribe
///   batches, once it is due), [`poll_dropped`](Self::poll_dropped) (names given up)
///   and [`poll_timeout`](Self::poll_timeout) (when the next round is due).
///
/// **Rounds and giving up**: a round is the batches one `poll_batches` hands out, all
/// of them at once (one per slot for shard channels, for every node). The adapter may
/// send them all before waiting for any (back to back on each node's connection,
/// every node at the same time: N slots on one node then cost one round trip) and
/// hand their outcomes in as they come, in any order across batches and nodes; no
/// new round starts before the last outcome of this one is in. When
/// every batch of a round has its outcome and one failed (a redirect, a busy cluster,
/// a connection that failed, a slot no node serves), the failed names wait for the
/// next round, paced by the [`Reconnect`] policy: the first retry at once, then after
/// its growing delays (or later, when the router's backoff says so). A round without
/// failure ends the outage. When the policy's attempts are used up, the waiting names
/// are dropped ([`DropReason::GaveUp`]). A batch the server refuses for a reason no
/// retry mends (an ACL, say: the router's [`Decision::Deliver`]) drops its names at
/// once ([`DropReason::Refused`]).
///
/// ```
/// use std::time::Instant;
/// use bytes::Bytes;
/// use redis_sansio::cluster::{BatchOutcome, ClusterRouter, ClusterSubscriptions, NodeAddr, RouterConfig};
/// use redis_sansio::conn::SubscriptionKind;
/// use redis_sansio::resp::Frame;
/// use redis_sansio::retry::Reconnect;
///
/// // A router that knows a one-node cluster.
/// let now = Instant::now();
/// let mut router = ClusterRouter::new(RouterConfig::default());
/// let node = router.add_seed(NodeAddr::new("127.0.0.1", 7000));
/// router.request_refresh(now);
/// let slots = Frame::Array(vec![Frame::Array(vec![
///     Frame::Integer(0),
///     Frame::Integer(16383),
///     Frame::Array(vec![Frame::bulk("127.0.0.1"), Frame::Integer(7000)]),
/// ])]);
/// # while router.poll_event().is_some() {}
/// # let _ = router.handle_topology(&Frame::error("ERR unknown subcommand 'SHARDS'"), node, now);
/// router.handle_topology(&slots, node, now).unwrap();
///
/// let mut books = ClusterSubscriptions::new(Reconnect::default());
/// books.subscribe(SubscriptionKind::Shard, [Bytes::from("{user:1}:events")]);
/// let batches = books.poll_batches(&mut router, now);
/// assert_eq!(batches.len(), 1);
/// assert_eq!(batches[0].node(), node);
/// // The adapter sends `batches[0].cmd()` (SSUBSCRIBE) on its connection to the node.
/// books.handle_batch(&batches[0], BatchOutcome::Confirmed, &mut router, now);
/// assert!(books.is_settled());
/// ```
#[derive(Debug, Clone)]
pub struct ClusterSubscriptions {
    /// The names the user wants, per kind in [`SubscriptionKind::ALL`]'s order, and
    /// where each stands.
    names: [BTreeMap<Bytes, Place>; 3],
    policy: Reconnect,
    /// The rounds that failed in a row so far; `None` once a round succeeds.
    outage: Option<Outage>,
    /// The next round does not start before this.
    due: Option<Instant>,
    /// A batch of the round in progress failed.
    round_failed: bool,
    /// What went wrong last, for the error of a give-up.
    last_failure: Option<String>,
    dropped: VecDeque<Dropped>,
    resubscribed: u64,
}

/// Where one wanted name stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// On no node: it goes out with the next round. `lost`: a node had it, and then
    /// lost it (the slot moved, the connection failed).
    Waiting { lost: bool },
    /// In a batch sent to `node` whose outcome is not in yet.
    Sending { node: NodeId, lost: bool },
    /// Confirmed by `node`.
    On(NodeId),
}

impl Place {
    /// The node that has the name or is being asked for it.
    fn node(self) -> Option<NodeId> {
        match self {
            Place::Waiting { .. } => None,
            Place::Sending { node, .. } | Place::On(node) => Some(node),
        }
    }

    /// The same name, back to waiting: it was lost if a node had it.
    fn unplaced(self) -> Place {
        match self {
            Place::On(_) => Place::Waiting { lost: true },
            Place::Sending { lost, .. } | Place::Waiting { lost } => Place::Waiting { lost },
        }
    }
}

/// One subscribe or unsubscribe command for one node: names of one kind, and for
/// shard channels, of one slot. From [`ClusterSubscriptions::poll_batches`] and
/// [`ClusterSubscriptions::unsubscribe`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubSubBatch {
    node: NodeId,
    kind: SubscriptionKind,
    subscribe: bool,
    names: Vec<Bytes>,
}

impl PubSubBatch {
    /// The node to send it to.
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// Which kind of names it carries.
    pub fn kind(&self) -> SubscriptionKind {
        self.kind
    }

    /// True for a subscribe command, false for an unsubscribe one.
    pub fn is_subscribe(&self) -> bool {
        self.subscribe
    }

    /// The channels, patterns or shard channels, in order.
    pub fn names(&self) -> &[Bytes] {
        &self.names
    }

    /// The command to send: `SUBSCRIBE`, `PSUBSCRIBE`, `SSUBSCRIBE` or their `UN`
    /// forms, with the names.
    pub fn cmd(&self) -> Cmd {
        let name = match self.subscribe {
            true => self.kind.subscribe_command(),
            false => self.kind.unsubscribe_command(),
        };
        let mut cmd = Cmd::new(name);
        cmd.push_args(&self.names);
        cmd
    }
}

/// What became of a batch, for [`ClusterSubscriptions::handle_batch`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum BatchOutcome<'a> {
    /// The server confirmed every name.
    Confirmed,
    /// The server answered with an error (`MOVED`, `TRYAGAIN`, `CLUSTERDOWN`, an ACL
    /// refusal, ...).
    Refused(&'a ServerError),
    /// The node's connection could not be opened, or failed before every
    /// confirmation came: `error` says how, for the error of a give-up.
    ConnectionFailed {
        /// What the adapter saw.
        error: &'a str,
    },
}

/// Names the books stopped subscribing, from [`ClusterSubscriptions::poll_dropped`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// The names given up, with their kinds.
    pub names: Vec<(SubscriptionKind, Bytes)>,
    /// Why.
    pub reason: DropReason,
}

/// Why names were dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// The server refused them with an error no retry mends.
    Refused(ServerError),
    /// The [`Reconnect`] policy's attempts ran out
    /// ([`ClusterError::SubscribeFailed`]).
    GaveUp(ClusterError),
}

/// The position of `kind` in [`SubscriptionKind::ALL`].
fn index(kind: SubscriptionKind) -> usize {
    match kind {
        SubscriptionKind::Channel => 0,
        SubscriptionKind::Pattern => 1,
        SubscriptionKind::Shard => 2,
    }
}

/// The slot a name is routed by: its own for a shard channel, none for the others.
fn slot_of(kind: SubscriptionKind, name: &[u8]) -> Option<u16> {
    (kind == SubscriptionKind::Shard).then(|| key_slot(name))
}

/// Names grouped into batches: by node, kind, and for shard channels, slot.
#[derive(Default)]
struct Groups(BTreeMap<(NodeId, usize, Option<u16>), Vec<Bytes>>);

impl Groups {
    fn add(&mut self, node: NodeId, kind: SubscriptionKind, name: Bytes) {
        let key = (node, index(kind), slot_of(kind, &name));
        self.0.entry(key).or_default().push(name);
    }

    fn into_batches(self, subscribe: bool) -> Vec<PubSubBatch> {
        self.0
            .into_iter()
            .map(|((node, kind, _), names)| PubSubBatch {
                node,
                kind: SubscriptionKind::ALL[kind],
                subscribe,
                names,
            })
            .collect()
    }
}

impl ClusterSubscriptions {
    /// Books with nothing subscribed, pacing retries with `policy`.
    pub fn new(policy: Reconnect) -> Self {
        ClusterSubscriptions {
            names: Default::default(),
            policy,
            outage: None,
            due: None,
            round_failed: false,
            last_failure: None,
            dropped: VecDeque::new(),
            resubscribed: 0,
        }
    }

    // A: getters.

    /// Everything the user wants subscribed, whether a node has confirmed it yet or
    /// not.
    pub fn wanted(&self) -> Subscriptions {
        let keys = |kind| self.names[index(kind)].keys().cloned().collect();
        Subscriptions {
            channels: keys(SubscriptionKind::Channel),
            patterns: keys(SubscriptionKind::Pattern),
            shard_channels: keys(SubscriptionKind::Shard),
        }
    }

    /// The node that has confirmed `name`, if one has.
    pub fn node_of(&self, kind: SubscriptionKind, name: &[u8]) -> Option<NodeId> {
        match self.names[index(kind)].get(name)? {
            Place::On(node) => Some(*node),
            _ => None,
        }
    }

    /// The nodes that have names or are being asked for some: those whose connections
    /// the adapter keeps.
    pub fn nodes(&self) -> BTreeSet<NodeId> {
        self.places().filter_map(|place| place.node()).collect()
    }

    /// True when every wanted name is confirmed by a node.
    pub fn is_settled(&self) -> bool {
        self.places().all(|place| matches!(place, Place::On(_)))
    }

    /// How many names were subscribed again after a node lost them.
    pub fn resubscribed(&self) -> u64 {
        self.resubscribed
    }

    /// True when a round is due at `now`: names wait, and the pacing after a failed
    /// round (see [`poll_timeout`](Self::poll_timeout)) is over. The adapter then
    /// carries the router's events out and takes the round from
    /// [`poll_batches`](Self::poll_batches).
    pub fn wants_round(&self, now: Instant) -> bool {
        let waiting = self
            .places()
            .any(|place| matches!(place, Place::Waiting { .. }));
        waiting && self.due.is_none_or(|due| due <= now)
    }

    // B: inputs.

    /// Call with the outcome of each batch from [`poll_batches`](Self::poll_batches)
    /// or [`unsubscribe`](Self::unsubscribe).
    ///
    /// A confirmed subscribe batch's names are on its node now. A refused one goes to
    /// the router's [`handle_error`](ClusterRouter::handle_error) (a `MOVED` updates
    /// the slot table and requests a refresh; a busy error sets a backoff): the names
    /// wait for the next round, unless the router says the error is not the
    /// cluster's ([`Decision::Deliver`]), which drops them. A connection failure is
    /// [`handle_node_failure`](Self::handle_node_failure). Only the connection failure
    /// of an unsubscribe batch matters.
    pub fn handle_batch(
        &mut self,
        batch: &PubSubBatch,
        outcome: BatchOutcome<'_>,
        router: &mut ClusterRouter,
        now: Instant,
    ) {
        if !batch.subscribe {
            if let BatchOutcome::ConnectionFailed { .. } = outcome {
                self.handle_node_failure(batch.node, router, now);
            }
            return;
        }
        // The batch's names still out to its node (a failure on the node since may
        // have sent them back to waiting).
        let names = &mut self.names[index(batch.kind)];
        let sent: Vec<Bytes> = batch
            .names
            .iter()
            .filter(|name| {
                matches!(names.get(*name), Some(Place::Sending { node, .. }) if *node == batch.node)
            })
            .cloned()
            .collect();
        match outcome {
            BatchOutcome::Confirmed => {
                for name in &sent {
                    if let Some(place) = names.get_mut(name) {
                        if let Place::Sending { node, lost } = *place {
                            self.resubscribed += u64::from(lost);
                            *place = Place::On(node);
                        }
                    }
                }
            }
            BatchOutcome::Refused(error) => {
                let attempts = self.outage.as_ref().map_or(0, Outage::attempts);
                match router.handle_error(error, batch.node, attempts, now) {
                    Decision::Deliver => {
                        for name in &sent {
                            names.remove(name);
                        }
                        self.dropped.push_back(Dropped {
                            names: sent.into_iter().map(|name| (batch.kind, name)).collect(),
                            reason: DropReason::Refused(error.clone()),
                        });
                    }
                    decision => {
                        for name in &sent {
                            if let Some(place) = names.get_mut(name) {
                                *place = place.unplaced();
                            }
                        }
                        if let Decision::RetryAfter { deadline } = decision {
                            self.due = Some(self.due.map_or(deadline, |due| due.max(deadline)));
                        }
                        self.fail_round(error.message_lossy().into_owned());
                    }
                }
            }
            BatchOutcome::ConnectionFailed { error } => {
                self.fail_round(error.to_owned());
                self.handle_node_failure(batch.node, router, now);
            }
        }
        self.end_round(now);
    }

    /// Call with what `node`'s connection has confirmed, after the server changed it
    /// on its own (a push such as the `sunsubscribe` Redis sends for the shard
    /// channels of a slot that moved away) and after each batch sent on it. Names the
    /// books have on `node` that `confirmed` lacks are lost: they wait for the next
    /// round, and a topology refresh is requested (a lost shard channel most likely
    /// means its slot moved). Returns true when a name was lost.
    pub fn handle_subscriptions(
        &mut self,
        node: NodeId,
        confirmed: &Subscriptions,
        router: &mut ClusterRouter,
        now: Instant,
    ) -> bool {
        let mut lost = false;
        for kind in SubscriptionKind::ALL {
            let held = confirmed.of(kind);
            for (name, place) in &mut self.names[index(kind)] {
                if *place == Place::On(node) && !held.contains(name) {
                    *place = place.unplaced();
                    lost = true;
                }
            }
        }
        if lost {
            router.request_refresh(now);
        }
        lost
    }

    /// Call when `node`'s connection failed (or could not be opened): every name on
    /// it, or being sent to it, waits for the next round, and the router is told
    /// ([`ClusterRouter::handle_node_failure`], which requests a refresh).
    pub fn handle_node_failure(&mut self, node: NodeId, router: &mut ClusterRouter, now: Instant) {
        self.unplace(|place| place.node() == Some(node));
        router.handle_node_failure(node, now);
    }

    /// Call after carrying out the router's events: names on nodes that left the
    /// topology wait for the next round.
    pub fn handle_topology(&mut self, router: &ClusterRouter) {
        self.unplace(|place| place.node().is_some_and(|n| router.node_addr(n).is_none()));
    }

    // C: application calls.

    /// Paces failed rounds with `policy` from the next outage on.
    pub fn set_policy(&mut self, policy: Reconnect) {
        self.policy = policy;
    }

    /// Wants `names` subscribed, as `kind`: they go out with the next round. Names
    /// already wanted stay as they are.
    pub fn subscribe<I>(&mut self, kind: SubscriptionKind, names: I)
    where
        I: IntoIterator<Item = Bytes>,
    {
        let map = &mut self.names[index(kind)];
        for name in names {
            map.entry(name).or_insert(Place::Waiting { lost: false });
        }
    }

    /// No longer wants `names` (every name of `kind` when `names` is empty): they are
    /// forgotten now and never subscribed again. Returns the batches that leave them
    /// on the nodes that have them (a name no node has needs none); send each and
    /// hand its outcome to [`handle_batch`](Self::handle_batch). The server may
    /// answer with an error for a shard channel whose slot moved meanwhile (`MOVED`):
    /// the node has dropped it already.
    pub fn unsubscribe<I>(&mut self, kind: SubscriptionKind, names: I) -> Vec<PubSubBatch>
    where
        I: IntoIterator<Item = Bytes>,
    {
        let map = &mut self.names[index(kind)];
        let mut names: Vec<Bytes> = names.into_iter().collect();
        if names.is_empty() {
            names = map.keys().cloned().collect();
        }
        let mut groups = Groups::default();
        for name in names {
            if let Some(node) = map.remove(&name).and_then(Place::node) {
                groups.add(node, kind, name);
            }
        }
        groups.into_batches(false)
    }

    // D: drains.

    /// The next round: a subscribe batch per node, kind and (for shard channels) slot
    /// for every name that waits, routed by `router`, once the round is due (see
    /// [`poll_timeout`](Self::poll_timeout)) and the last one is over. Send each (all
    /// of them before waiting, if the adapter can) and hand its outcome to
    /// [`handle_batch`](Self::handle_batch), in whatever order they come. Empty when nothing
    /// waits or it is too early. A name whose slot no node serves stays waiting (the
    /// round counts as failed, and a refresh is requested).
    #[must_use]
    pub fn poll_batches(&mut self, router: &mut ClusterRouter, now: Instant) -> Vec<PubSubBatch> {
        let sending = self
            .places()
            .any(|place| matches!(place, Place::Sending { .. }));
        if sending || self.due.is_some_and(|due| due > now) {
            return Vec::new();
        }
        self.due = None;
        let ordinary = self.ordinary_node().or_else(|| router.route_keyless());
        let mut groups = Groups::default();
        let mut unrouted = None;
        for kind in SubscriptionKind::ALL {
            for (name, place) in &mut self.names[index(kind)] {
                let Place::Waiting { lost } = *place else {
                    continue;
                };
                let node = match slot_of(kind, name) {
                    Some(slot) => router.route(slot, ReadFrom::Primary).ok_or(slot),
                    None => ordinary.ok_or(0),
                };
                match node {
                    Ok(node) => {
                        *place = Place::Sending { node, lost };
                        groups.add(node, kind, name.clone());
                    }
                    Err(slot) => unrouted = Some(slot),
                }
            }
        }
        if let Some(slot) = unrouted {
            self.fail_round(ClusterError::NoNodeForSlot { slot }.to_string());
            router.request_refresh(now);
            self.end_round(now);
        }
        groups.into_batches(true)
    }

    /// Names given up since the last call, and why: the adapter reports them to the
    /// user as an error.
    #[must_use]
    pub fn poll_dropped(&mut self) -> Option<Dropped> {
        self.dropped.pop_front()
    }

    /// When the next round is due, while names wait for one and it is not due yet.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let waiting = self
            .places()
            .any(|place| matches!(place, Place::Waiting { .. }));
        self.due.filter(|_| waiting)
    }

    // Internals.

    fn places(&self) -> impl Iterator<Item = Place> + '_ {
        self.names.iter().flat_map(|names| names.values().copied())
    }

    /// The node the ordinary channels and patterns are on, or being sent to.
    fn ordinary_node(&self) -> Option<NodeId> {
        self.names[..index(SubscriptionKind::Shard)]
            .iter()
            .flat_map(|names| names.values())
            .find_map(|place| place.node())
    }

    /// Every name whose place `lost` picks waits for the next round.
    fn unplace(&mut self, lost: impl Fn(Place) -> bool) {
        for place in self.names.iter_mut().flat_map(|names| names.values_mut()) {
            if lost(*place) {
                *place = place.unplaced();
            }
        }
    }

    fn fail_round(&mut self, failure: String) {
        self.round_failed = true;
        self.last_failure = Some(failure);
    }

    /// Once no batch of the round is out: a failed round sets when the next is due,
    /// or gives up when the policy says so; a good one ends the outage.
    fn end_round(&mut self, now: Instant) {
        if self
            .places()
            .any(|place| matches!(place, Place::Sending { .. }))
        {
            return;
        }
        if !std::mem::take(&mut self.round_failed) {
            self.outage = None;
            return;
        }
        let outage = self
            .outage
            .get_or_insert_with(|| Outage::new(self.policy.clone()));
        match outage.next_attempt() {
            Some(delay) => {
                let next = deadline::after(now, delay);
                self.due = Some(self.due.map_or(next, |due| due.max(next)));
            }
            None => self.give_up(),
        }
    }

    /// Drops every waiting name: the policy's attempts ran out.
    fn give_up(&mut self) {
        let attempts = self.outage.take().map_or(0, |outage| outage.attempts());
        let mut names = Vec::new();
        for kind in SubscriptionKind::ALL {
            self.names[index(kind)].retain(|name, place| {
                let waiting = matches!(place, Place::Waiting { .. });
                if waiting {
                    names.push((kind, name.clone()));
                }
                !waiting
            });
        }
        self.due = None;
        self.dropped.push_back(Dropped {
            reason: DropReason::GaveUp(ClusterError::SubscribeFailed {
                channels: names.len(),
                attempts,
                last_error: self.last_failure.take(),
            }),
            names,
        });
    }
}
