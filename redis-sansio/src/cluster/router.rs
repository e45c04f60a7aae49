//! The router: which node serves which slot, what to do about redirects and busy
//! errors, and when to ask the cluster for its topology again.

use std::collections::VecDeque;
use std::time::Instant;

use crate::deadline;
use crate::resp::Frame;
use crate::{ServerError, ServerErrorKind};

use super::config::RouterConfig;
use super::error::{ClusterError, TopologyError};
use super::event::{ClusterEvent, Decision, NodeId, ReadFrom, TopologyCommand};
use super::nodes::{Node, NodeTable};
use super::refresh::Refresh;
use super::slot_table::{ShardEntry, SlotTable};
use super::topology::{NodeAddr, NodeInfo, Role, Topology};

/// A Redis Cluster router as a pure state machine: the slot table, the nodes (by
/// integer [`NodeId`] handles), redirects, retries and topology refreshes. It owns
/// no connection; the adapter keeps one per node and carries replies and failures in.
///
/// Its methods come in four kinds, like [`conn::Connection`](crate::conn::Connection)'s:
///
/// - **Getters** (`&self`): [`route`](Self::route), [`route_keyless`](Self::route_keyless),
///   [`node_addr`](Self::node_addr), [`node_by_addr`](Self::node_by_addr),
///   [`node_cluster_id`](Self::node_cluster_id), [`node_role`](Self::node_role),
///   [`nodes`](Self::nodes),
///   [`primaries`](Self::primaries), [`shard_nodes`](Self::shard_nodes), [`has_topology`](Self::has_topology),
///   [`is_refreshing`](Self::is_refreshing), [`config`](Self::config).
/// - **Inputs**: [`handle_topology`](Self::handle_topology) with a topology reply,
///   [`handle_refresh_failure`](Self::handle_refresh_failure) when a node could not
///   answer one, [`handle_node_failure`](Self::handle_node_failure) when a node's
///   connection fails, [`handle_timeout`](Self::handle_timeout) when the timer from
///   `poll_timeout` fires.
/// - **Application calls**: [`add_seed`](Self::add_seed),
///   [`request_refresh`](Self::request_refresh), and
///   [`handle_error`](Self::handle_error) for a request's server error, which says
///   what to do next as a [`Decision`].
/// - **Drains**: [`poll_event`](Self::poll_event) (connect to a node, drop one, ask one
///   for the topology) and [`poll_timeout`](Self::poll_timeout).
///
/// After any input or application call, take events until `None` and re-arm the timer
/// from `poll_timeout()`.
///
/// The slot table is 16384 two-byte shard indices; a topology replaces it whole, and
/// a `MOVED` changes its one slot at once.
#[derive(Debug, Clone)]
pub struct ClusterRouter {
    config: RouterConfig,
    nodes: NodeTable,
    table: SlotTable,
    refresh: Refresh,
    /// Where the next refresh round starts looking for a node to ask, so that rounds
    /// spread over the nodes.
    refresh_cursor: usize,
    events: VecDeque<ClusterEvent>,
    has_topology: bool,
    /// `MOVED` and `ASK` redirects followed, since the router was made.
    redirects: u64,
}

impl ClusterRouter {
    /// A router that knows no node yet: add seeds, then
    /// [`request_refresh`](Self::request_refresh).
    pub fn new(config: RouterConfig) -> Self {
        ClusterRouter {
            config,
            nodes: NodeTable::default(),
            table: SlotTable::default(),
            refresh: Refresh::default(),
            refresh_cursor: 0,
            events: VecDeque::new(),
            has_topology: false,
            redirects: 0,
        }
    }

    // A: getters.

    /// The limits and timings in use.
    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// Whether a topology has been applied (until then, [`route`](Self::route)
    /// finds nothing).
    pub fn has_topology(&self) -> bool {
        self.has_topology
    }

    /// Whether a node is being asked for the topology right now.
    pub fn is_refreshing(&self) -> bool {
        self.refresh.in_flight.is_some()
    }

    /// The node a request for `slot` goes to, or `None` when no shard serves it.
    ///
    /// [`ReadFrom::PreferReplica`] picks among the shard's usable replicas by slot
    /// (`slot % count`), so reads spread without randomness; with no usable replica,
    /// the primary.
    pub fn route(&self, slot: u16, read_from: ReadFrom) -> Option<NodeId> {
        let shard = self.table.shard(slot)?;
        if read_from == ReadFrom::PreferReplica {
            let usable = |id: &&NodeId| self.node(**id).is_some_and(Node::usable);
            let count = shard.replicas.iter().filter(usable).count();
            if count > 0 {
                return shard
                    .replicas
                    .iter()
                    .filter(usable)
                    .nth(usize::from(slot) % count)
                    .copied();
            }
        }
        Some(shard.primary)
    }

    /// The node a command without keys goes to: the primary serving slot 0, else the
    /// primary of the first shard with slots, else (no topology yet) the first usable
    /// node.
    pub fn route_keyless(&self) -> Option<NodeId> {
        self.route(0, ReadFrom::Primary)
            .or_else(|| self.table.shards().first().map(|s| s.primary))
            .or_else(|| self.nodes.iter().find(|n| n.usable()).map(|n| n.id))
    }

    /// Where `node` listens, while the router knows it.
    pub fn node_addr(&self, node: NodeId) -> Option<&NodeAddr> {
        self.node(node).map(|n| &n.addr)
    }

    /// The node at `addr`, if the router knows one there.
    pub fn node_by_addr(&self, addr: &NodeAddr) -> Option<NodeId> {
        self.nodes.by_addr(addr)
    }

    /// `node`'s role, once a topology gave it.
    pub fn node_role(&self, node: NodeId) -> Option<Role> {
        self.node(node)?.role
    }

    /// `node`'s cluster id, once a topology gave it.
    pub fn node_cluster_id(&self, node: NodeId) -> Option<&str> {
        self.node(node)?.cluster_id.as_deref()
    }

    /// Every node the router knows, with its address.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &NodeAddr)> + '_ {
        self.nodes.iter().map(|n| (n.id, &n.addr))
    }

    /// The primaries that serve slots, each once.
    pub fn primaries(&self) -> Vec<NodeId> {
        let mut primaries: Vec<NodeId> = Vec::new();
        for shard in self.table.shards() {
            if !primaries.contains(&shard.primary) {
                primaries.push(shard.primary);
            }
        }
        primaries
    }

    /// The primaries that serve slots and their replicas, each once: where a command
    /// meant for every node goes.
    pub fn shard_nodes(&self) -> Vec<NodeId> {
        let mut nodes: Vec<NodeId> = Vec::new();
        for shard in self.table.shards() {
            for node in std::iter::once(&shard.primary).chain(&shard.replicas) {
                if !nodes.contains(node) {
                    nodes.push(*node);
                }
            }
        }
        nodes
    }

    // B: inputs.

    /// Call with the reply to the [`ClusterEvent::Refresh`] sent to `from`.
    ///
    /// A good reply replaces the slot table and the node table: new nodes come out as
    /// [`ClusterEvent::Connect`], nodes no longer listed (seeds excepted) as
    /// [`ClusterEvent::Disconnect`], and the refresh is over. A bad one (an error
    /// reply, a malformed or empty topology) leaves both tables as they were, asks the
    /// next node (or falls back from `CLUSTER SHARDS` to `CLUSTER SLOTS` on the same
    /// node when it does not know the subcommand), and is returned.
    pub fn handle_topology(
        &mut self,
        reply: &Frame,
        from: NodeId,
        now: Instant,
    ) -> Result<(), TopologyError> {
        let command = match self.refresh.in_flight {
            Some(asked) if asked.node == from => asked.command,
            _ => self.refresh.command,
        };
        let host = self
            .node(from)
            .map(|n| n.addr.host.clone())
            .unwrap_or_default();
        let parsed = match command {
            TopologyCommand::Shards if self.config.tls => Topology::from_shards_tls(reply, &host),
            TopologyCommand::Shards => Topology::from_shards(reply, &host),
            TopologyCommand::Slots => Topology::from_slots(reply, &host),
        };
        let asked_from = self.refresh.in_flight.is_some_and(|a| a.node == from);
        match parsed {
            Ok(topology) => {
                self.apply(&topology);
                self.refresh.finish();
                self.refresh.last_read = Some(now);
                Ok(())
            }
            Err(error) => {
                if asked_from {
                    let unknown =
                        matches!(&error, TopologyError::ErrorReply(m) if unknown_command(m));
                    self.move_on(from, unknown, now);
                }
                Err(error)
            }
        }
    }

    /// Call when the [`ClusterEvent::Refresh`] sent to `node` got no reply: its
    /// connection failed (`error` is `None`), or it answered with `error`. The next
    /// node is asked (or the same one with `CLUSTER SLOTS`, when it does not know
    /// `CLUSTER SHARDS`); after the last, [`ClusterEvent::RefreshFailed`].
    pub fn handle_refresh_failure(
        &mut self,
        node: NodeId,
        error: Option<&ServerError>,
        now: Instant,
    ) {
        if self.refresh.in_flight.is_none_or(|a| a.node != node) {
            return;
        }
        let unknown = error.is_some_and(|e| unknown_command(&e.message_lossy()));
        self.move_on(node, unknown, now);
    }

    /// Call when `node`'s connection could not be opened or died. The node is marked
    /// failed (asked for the topology last, skipped for replica reads) until a
    /// topology says it is healthy, and a refresh is requested (rate-limited).
    pub fn handle_node_failure(&mut self, node: NodeId, now: Instant) {
        if let Some(n) = self.node_mut(node) {
            n.failed = true;
        }
        if self.refresh.in_flight.is_some_and(|a| a.node == node) {
            self.refresh.in_flight = None;
            self.ask_next(now);
        }
        self.request_refresh(now);
    }

    /// Call when the deadline from [`poll_timeout`](Self::poll_timeout) has passed: a
    /// node that took too long to answer a refresh is given up on, and a refresh the
    /// rate limit held back, or the [periodic](RouterConfig::periodic_refresh) one,
    /// starts.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.expire_refresh(now);
        if self
            .refresh
            .periodic_due(self.config.periodic_refresh)
            .is_some_and(|due| now >= due)
        {
            self.refresh.wanted = true;
        }
        if self.refresh.wanted && self.refresh.may_start(now, self.config.refresh_interval) {
            self.start_round(now);
        }
    }

    // C: application calls.

    /// Adds a node to start from (and to fall back on: seeds stay known even when a
    /// topology does not list them). Emits [`ClusterEvent::Connect`] for a new
    /// address; an address already known returns its handle.
    pub fn add_seed(&mut self, addr: NodeAddr) -> NodeId {
        if let Some(id) = self.nodes.by_addr(&addr) {
            if let Some(node) = self.nodes.get_mut(id) {
                node.seed = true;
            }
            return id;
        }
        self.insert_node(addr, true)
    }

    /// Asks for the topology to be refreshed. Starts a round at once (a
    /// [`ClusterEvent::Refresh`] for one node) unless one is in progress, or one
    /// started less than [`RouterConfig::refresh_interval`] ago: then the request is
    /// remembered and the round starts at [`handle_timeout`](Self::handle_timeout).
    pub fn request_refresh(&mut self, now: Instant) {
        self.expire_refresh(now);
        if self.refresh.in_flight.is_some() {
            return;
        }
        if !self.refresh.may_start(now, self.config.refresh_interval) {
            self.refresh.wanted = true;
            return;
        }
        self.start_round(now);
    }

    /// Decides what to do about a request that `from` answered with `error`, the
    /// request having been retried `attempt` times so far (0 the first time).
    ///
    /// - `MOVED`: the slot now routes to the named node (a new one comes out as
    ///   [`ClusterEvent::Connect`]), a refresh is requested, and [`Decision::Retry`]
    ///   there. The table is updated even when the redirect limit fails the request.
    /// - `ASK`: [`Decision::RetryAsking`] on the named node; the slot table is not
    ///   changed.
    /// - `TRYAGAIN`, `CLUSTERDOWN` (which also requests a refresh), `LOADING`:
    ///   [`Decision::RetryAfter`] a delay of [`RouterConfig::retry_delay`]`(attempt)`.
    /// - Past [`RouterConfig::max_redirects`] or [`RouterConfig::max_retries`]:
    ///   [`Decision::Fail`]. A redirect address that cannot be read fails too.
    /// - Any other error: [`Decision::Deliver`].
    pub fn handle_error(
        &mut self,
        error: &ServerError,
        from: NodeId,
        attempt: u32,
        now: Instant,
    ) -> Decision {
        match error.kind() {
            ServerErrorKind::Moved(_) | ServerErrorKind::Ask(_) => {
                let (node, asking) = match self.follow_redirect(error, from, now) {
                    Ok(Some(followed)) => followed,
                    Ok(None) => return Decision::Deliver,
                    Err(error) => return Decision::Fail(error),
                };
                if attempt >= self.config.max_redirects {
                    Decision::Fail(ClusterError::TooManyRedirects {
                        limit: self.config.max_redirects,
                    })
                } else if asking {
                    Decision::RetryAsking { node }
                } else {
                    Decision::Retry { node }
                }
            }
            ServerErrorKind::TryAgain | ServerErrorKind::ClusterDown | ServerErrorKind::Loading => {
                if attempt >= self.config.max_retries {
                    return Decision::Fail(ClusterError::TooManyRetries {
                        limit: self.config.max_retries,
                        last: error.clone(),
                    });
                }
                if matches!(error.kind(), ServerErrorKind::ClusterDown) {
                    self.request_refresh(now);
                }
                Decision::RetryAfter {
                    deadline: deadline::after(now, self.config.retry_delay(attempt)),
                }
            }
            _ => Decision::Deliver,
        }
    }

    /// Takes in what a `MOVED` or `ASK` from `from` says: the node named (a new one
    /// comes out as [`ClusterEvent::Connect`]) and whether it was `ASK`. A `MOVED`
    /// also assigns the slot to that node and requests a refresh. `None` for any
    /// other error; [`ClusterError::BadRedirect`] for an address that cannot be read.
    pub(super) fn follow_redirect(
        &mut self,
        error: &ServerError,
        from: NodeId,
        now: Instant,
    ) -> Result<Option<(NodeId, bool)>, ClusterError> {
        let (redirect, asking) = match error.kind() {
            ServerErrorKind::Moved(redirect) => (redirect, false),
            ServerErrorKind::Ask(redirect) => (redirect, true),
            _ => return Ok(None),
        };
        let default_host = self.node(from).map_or("", |n| n.addr.host.as_str());
        let Some(addr) = NodeAddr::parse_redirect(&redirect.addr, default_host) else {
            return Err(ClusterError::BadRedirect {
                addr: redirect.addr.clone(),
            });
        };
        let node = match self.node_by_addr(&addr) {
            Some(node) => node,
            None => self.insert_node(addr, false),
        };
        if !asking {
            // True whatever becomes of this request: learn it.
            self.table.assign(redirect.slot, node);
            self.request_refresh(now);
        }
        self.redirects += 1;
        let kind = if asking { "ASK" } else { "MOVED" };
        crate::trace::redirected(kind, redirect.slot, &redirect.addr);
        Ok(Some((node, asking)))
    }

    /// How many `MOVED` and `ASK` redirects were followed since the router was made.
    pub fn redirects(&self) -> u64 {
        self.redirects
    }

    // D: drains.

    /// The next thing the adapter must do, in order.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClusterEvent> {
        self.events.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout): the deadline of the
    /// refresh in progress, when a refresh held back by the rate limit may start, or
    /// when the [periodic refresh](RouterConfig::periodic_refresh) is due.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let asked = self.refresh.in_flight.map(|a| a.deadline);
        let deferred = self.refresh.deferred_until(self.config.refresh_interval);
        let periodic = self.refresh.periodic_due(self.config.periodic_refresh);
        [asked, deferred, periodic].into_iter().flatten().min()
    }

    // Internals.

    fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id)
    }

    fn node_mut(&mut self, id: NodeId) -> Option<&mut Node> {
        self.nodes.get_mut(id)
    }

    /// A new node, announced with [`ClusterEvent::Connect`].
    fn insert_node(&mut self, addr: NodeAddr, seed: bool) -> NodeId {
        let id = self.nodes.insert(addr.clone(), seed);
        self.events
            .push_back(ClusterEvent::Connect { node: id, addr });
        id
    }

    fn start_round(&mut self, now: Instant) {
        self.refresh.start_round(now);
        self.ask_next(now);
    }

    /// Asks the next node not yet asked in this round: healthy ones first, from the
    /// cursor on; with none left, the round fails.
    fn ask_next(&mut self, now: Instant) {
        let count = self.nodes.len();
        let pick = |failed: bool| {
            (0..count)
                .map(|k| (self.refresh_cursor + k) % count)
                .find(|&i| {
                    self.nodes.at(i).is_some_and(|node| {
                        node.failed == failed && !self.refresh.tried.contains(&node.id)
                    })
                })
        };
        let picked = pick(false).or_else(|| pick(true));
        match picked.and_then(|index| Some((index, self.nodes.at(index)?.id))) {
            Some((index, node)) => {
                self.refresh_cursor = index + 1;
                let command = self.refresh.command;
                self.refresh
                    .ask(node, command, now, self.config.refresh_timeout);
                self.events
                    .push_back(ClusterEvent::Refresh { node, command });
            }
            None => {
                let tried = self.refresh.tried.len();
                self.refresh.finish();
                self.events.push_back(ClusterEvent::RefreshFailed { tried });
            }
        }
    }

    /// The node asked gave no usable answer: ask it again with `CLUSTER SLOTS` when it
    /// did not know `CLUSTER SHARDS`, otherwise the next node.
    fn move_on(&mut self, node: NodeId, unknown_command: bool, now: Instant) {
        let asked = self.refresh.in_flight.take();
        if unknown_command && asked.is_some_and(|a| a.command == TopologyCommand::Shards) {
            self.refresh.command = TopologyCommand::Slots;
            self.refresh.ask(
                node,
                TopologyCommand::Slots,
                now,
                self.config.refresh_timeout,
            );
            self.events.push_back(ClusterEvent::Refresh {
                node,
                command: TopologyCommand::Slots,
            });
            return;
        }
        self.ask_next(now);
    }

    fn expire_refresh(&mut self, now: Instant) {
        if self.refresh.in_flight.is_some_and(|a| now >= a.deadline) {
            self.refresh.in_flight = None;
            self.ask_next(now);
        }
    }

    fn apply(&mut self, topology: &Topology) {
        let mut listed: Vec<NodeId> = Vec::new();
        let mut shards = Vec::new();
        for shard in &topology.shards {
            let primary = self.learn(&shard.primary);
            let replicas: Vec<NodeId> = shard.replicas.iter().map(|r| self.learn(r)).collect();
            listed.push(primary);
            listed.extend(&replicas);
            if !shard.slots.is_empty() {
                shards.push((ShardEntry { primary, replicas }, &shard.slots[..]));
            }
        }
        self.table.replace(shards);
        let gone = self.nodes.retain(|n| n.seed || listed.contains(&n.id));
        for node in gone {
            self.events.push_back(ClusterEvent::Disconnect { node });
        }
        self.has_topology = true;
    }

    /// The handle for a node a topology lists, its details updated (a new node is
    /// announced).
    fn learn(&mut self, info: &NodeInfo) -> NodeId {
        match self.nodes.learn(info) {
            Some(id) => id,
            None => {
                let id = self.insert_node(info.addr.clone(), false);
                self.nodes.learn(info);
                id
            }
        }
    }
}

/// Whether an error says the command or subcommand does not exist.
fn unknown_command(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("unknown subcommand") || message.contains("unknown command")
}
