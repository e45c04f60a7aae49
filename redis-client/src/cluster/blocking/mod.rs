//! The blocking cluster connection: one `redis_io_sync::Connection` per node, opened
//! when first needed, driven by the core's [`ClusterRouter`].

mod batches;
mod many_nodes;

use std::collections::HashMap;
use std::time::Instant;

use redis_io_sync::Connection;
use redis_sansio::Cmd;
use redis_sansio::cluster::{
    ClusterError, ClusterEvent, ClusterRouter, Decision, NodeAddr, NodeId, ReadFrom, RouterConfig,
    TopologyCommand,
};
use redis_sansio::config::ConnectionConfig;
use redis_sansio::resp::Frame;

use super::batch;
use super::drop_closed;
use super::fanout::{self, Fanout};
use super::route::{after_asking, asking, command_slot, read_from, readonly};
use super::scan as cluster_scan;
use super::seeds::Seeds;
use super::split::Split;
use super::subscriber::ClusterSubscriber;
use super::topology_reply::RefreshFailures;
use crate::Error;
use redis_sansio::resp::ToArg;

/// A blocking client for a Redis Cluster.
///
/// It keeps one [`redis_io_sync::Connection`] per node, opened the first time a
/// request is routed there, with the settings of the first seed URL (password,
/// protocol, client name, timeouts). Every generated command works on it
/// (`cluster.set("k", "v")?`), routed by its keys:
///
/// - keys in one slot: the primary serving that slot;
/// - keys in different slots, for a command the specification marks
///   `request_policy:multi_shard` (`MGET`, `MSET`, `DEL`, `EXISTS`, `UNLINK`,
///   `TOUCH`): one command per slot (`MSET`'s values with their keys), sent as one
///   pipeline per node, nodes one after another, each part following redirects and
///   retries like a single command; the replies merged as its `response_policy`
///   says (`MGET`'s values in the keys' order, the counts summed, `MSET` failing if
///   any part failed; an error in any part is the command's error). Not atomic:
///   the parts run on different nodes, and a failed part does not undo the others;
/// - keys in different slots, for any other command: [`ClusterError::CrossSlot`],
///   and nothing is sent;
/// - no keys, and meant for every primary or every node by the specification's
///   `request_policy` tip (`DBSIZE`, `FLUSHALL`, `KEYS`, `PING`, `SCRIPT LOAD`,
///   `CONFIG SET`...): all of them, one after another, their replies combined as its
///   `response_policy` says (`DBSIZE` sums, `KEYS` concatenates, `FLUSHALL` fails if
///   any node failed);
/// - `SCAN`: every primary in turn, under one cursor (see
///   [`Scan::iter_cluster`](crate::Scan::iter_cluster));
/// - other keyless commands (`ECHO`, `INFO`, `RANDOMKEY`, whose merging is
///   command-specific): the primary serving slot 0.
///
/// `MOVED` updates the slot table and retries on the new owner; `ASK` sends `ASKING`
/// and the command together to the node named; `TRYAGAIN`, `CLUSTERDOWN` and
/// `LOADING` are retried after the router's backoff; a node whose connection fails
/// is reported, the topology is refreshed (rate-limited), and the request is retried
/// once. Limits are the [`RouterConfig`]'s.
///
/// With [`RouterConfig::read_from`] set to [`ReadFrom::PreferReplica`], commands the
/// specification flags `readonly` go to a replica of their slot's shard (each
/// connection sends `READONLY` first), the per-slot parts of a split `MGET`,
/// `EXISTS` or `TOUCH` too; writes, pipelines, transactions and keyless commands
/// stay on primaries.
///
/// ```no_run
/// use redis_client::prelude::*;
/// use redis_client::cluster::ClusterConnection;
///
/// let mut cluster = ClusterConnection::open(&["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"])?;
/// cluster.set("greeting", "hello")?;
/// assert_eq!(cluster.get("greeting")?.as_deref(), Some(&b"hello"[..]));
/// # Ok::<(), redis_client::Error>(())
/// ```
#[derive(Debug)]
pub struct ClusterConnection {
    router: ClusterRouter,
    seeds: Seeds,
    addrs: HashMap<NodeId, NodeAddr>,
    conns: HashMap<NodeId, Connection>,
    /// What went wrong while asking for the topology, for a clear error.
    refresh_failures: RefreshFailures,
}

impl ClusterConnection {
    /// Connects to the cluster through the seed URLs (tried in order until one
    /// answers `CLUSTER SHARDS`) with the default router settings.
    pub fn open(urls: impl IntoIterator<Item = impl AsRef<str>>) -> Result<Self, Error> {
        Self::with_seeds(Seeds::from_urls(urls)?, RouterConfig::default())
    }

    /// Connects through seed configurations: the first one's settings apply to every
    /// node. Fails with [`ClusterError::TopologyRefreshFailed`] when no seed answers,
    /// or with the TLS error itself ([`Error::Tls`]) when a seed's TLS failed (an
    /// untrusted certificate, a refused client certificate): no retry mends those.
    ///
    /// With TLS seeds (`rediss://` with the `with_tls_*` settings), every node is
    /// reached over TLS at the port the cluster names for TLS clients (its `tls-port`
    /// in `CLUSTER SHARDS`, which sets [`RouterConfig::tls`] here).
    pub fn connect(seeds: Vec<ConnectionConfig>, router: RouterConfig) -> Result<Self, Error> {
        Self::with_seeds(Seeds::from_configs(seeds)?, router)
    }

    fn with_seeds(seeds: Seeds, config: RouterConfig) -> Result<Self, Error> {
        let mut router = ClusterRouter::new(config.with_tls(seeds.base.tls));
        for addr in &seeds.addrs {
            router.add_seed(addr.clone());
        }
        let mut cluster = ClusterConnection {
            router,
            seeds,
            addrs: HashMap::new(),
            conns: HashMap::new(),
            refresh_failures: RefreshFailures::default(),
        };
        cluster.refresh()?;
        Ok(cluster)
    }

    /// Asks the cluster for its topology now (unless a refresh started less than the
    /// router's refresh interval ago) and waits for the answer.
    pub fn refresh(&mut self) -> Result<(), Error> {
        self.router.request_refresh(Instant::now());
        self.drive()?;
        if self.router.has_topology() {
            Ok(())
        } else {
            Err(self.refresh_failed(self.addrs.len()))
        }
    }

    /// Sends `cmd` to the node that serves its keys and waits for its reply,
    /// following redirects and retrying as the type's documentation says. A
    /// `multi_shard` command whose keys span slots (`MGET a b`) runs as one command
    /// per slot and returns their merged reply, or the first part's error.
    pub fn request(&mut self, cmd: &Cmd) -> Result<Frame, Error> {
        let slot = match command_slot(cmd) {
            Ok(slot) => slot,
            Err(cross_slot) => {
                return match Split::of(cmd) {
                    Some(split) => self.split(&split),
                    None => Err(Error::Cluster(cross_slot)),
                };
            }
        };
        if cluster_scan::is_scan(cmd) {
            return self.scan_page(cmd);
        }
        if slot.is_none() {
            let _ = self.drive();
            let nodes = match fanout::fanout_of(cmd) {
                Fanout::One => Vec::new(),
                Fanout::Primaries(how) => vec![(how, self.router.primaries())],
                Fanout::AllNodes(how) => vec![(how, self.router.shard_nodes())],
            };
            if let Some((how, nodes)) = nodes.into_iter().find(|(_, n)| !n.is_empty()) {
                return self.fan_out(cmd, nodes, how);
            }
        }
        let reads = read_from(cmd, self.router.config().read_from);
        let mut attempt = 0;
        let mut reconnected = false;
        let mut target = None;
        loop {
            // A failed background refresh leaves the old table, which may still work.
            let _ = self.drive();
            let (node, with_asking) = match target.take() {
                Some(target) => target,
                None => (self.route_for(slot, reads)?, false),
            };
            let error = match self.send_to(node, cmd, with_asking) {
                Ok(frame) => return Ok(frame),
                Err(error) => error,
            };
            let now = Instant::now();
            if let Some(server_error) = error.server_error() {
                match self.router.handle_error(server_error, node, attempt, now) {
                    Decision::Retry { node } => target = Some((node, false)),
                    Decision::RetryAsking { node } => target = Some((node, true)),
                    Decision::RetryAfter { deadline } => {
                        std::thread::sleep(deadline.saturating_duration_since(now));
                    }
                    Decision::Fail(reason) => return Err(Error::Cluster(reason)),
                    _ => return Err(error),
                }
                attempt += 1;
            } else if error.is_connection_failure() && !reconnected {
                reconnected = true;
                self.conns.remove(&node);
                self.router.handle_node_failure(node, now);
            } else {
                return Err(error);
            }
        }
    }

    /// A new connection of its own to the primary serving `key`'s slot, with the
    /// seed's settings: for what must not share this client's connections or follows
    /// its own protocol, such as sharded pub/sub (`SSUBSCRIBE` with the shard channel
    /// as `key`), `SUBSCRIBE` (any key), `MONITOR` or long blocking commands. It does
    /// not follow redirects: for pub/sub that follows slot moves and failed nodes,
    /// use [`subscriber`](Self::subscriber).
    pub fn dedicated(&mut self, key: impl ToArg) -> Result<Connection, Error> {
        let slot = batch::watch_slot(&[key])?;
        let _ = self.drive();
        let node = self.route(slot)?;
        Connection::connect(self.node_config(node)?)
    }

    /// A pub/sub subscriber managed by the cluster client: shard channels on the
    /// primaries serving their slots, followed when their slots move, ordinary
    /// channels and patterns on one node (see [`ClusterSubscriber`]). It starts from
    /// what this connection knows of the cluster (a copy of its router) and opens
    /// connections of its own; it asks for the topology on its own from then on.
    pub fn subscriber(&self) -> ClusterSubscriber {
        ClusterSubscriber::new(ClusterConnection {
            router: self.router.clone(),
            seeds: self.seeds.clone(),
            addrs: self.addrs.clone(),
            conns: HashMap::new(),
            refresh_failures: RefreshFailures::default(),
        })
    }

    /// The router: the slot table, the nodes, the settings.
    pub fn router(&self) -> &ClusterRouter {
        &self.router
    }

    /// The router, to feed it (for the subscriber).
    pub(in crate::cluster) fn router_mut(&mut self) -> &mut ClusterRouter {
        &mut self.router
    }

    /// The settings of a connection to `node`: the seed's, at the node's address.
    pub(in crate::cluster) fn node_config(&self, node: NodeId) -> Result<ConnectionConfig, Error> {
        let addr = self
            .addrs
            .get(&node)
            .ok_or(Error::Cluster(ClusterError::NodeGone { node }))?;
        Ok(self.seeds.config_for(addr))
    }

    /// The address of the primary that serves `slot`, as far as this client knows.
    pub fn node_for_slot(&self, slot: u16) -> Option<&NodeAddr> {
        let node = self.router.route(slot, ReadFrom::Primary)?;
        self.router.node_addr(node)
    }

    fn route(&self, slot: Option<u16>) -> Result<NodeId, Error> {
        self.route_for(slot, ReadFrom::Primary)
    }

    fn route_for(&self, slot: Option<u16>, reads: ReadFrom) -> Result<NodeId, Error> {
        let node = match slot {
            Some(slot) => self.router.route(slot, reads),
            None => self.router.route_keyless(),
        };
        node.ok_or(Error::Cluster(ClusterError::NoNodeForSlot {
            slot: slot.unwrap_or(0),
        }))
    }

    fn send_to(&mut self, node: NodeId, cmd: &Cmd, with_asking: bool) -> Result<Frame, Error> {
        let conn = self.conn(node)?;
        if with_asking {
            after_asking(conn.pipeline(&[asking(), cmd.clone()])?)
        } else {
            conn.request(cmd)
        }
    }

    /// `node`'s connection, opened now if there is none or the last one closed.
    fn conn(&mut self, node: NodeId) -> Result<&mut Connection, Error> {
        drop_closed(&mut self.conns, node, |c| c.close_reason().is_some());
        if !self.conns.contains_key(&node) {
            let mut conn = Connection::connect(self.node_config(node)?)?;
            if self.router.config().read_from != ReadFrom::Primary {
                conn.request(&readonly())?;
            }
            self.conns.insert(node, conn);
        }
        self.conns
            .get_mut(&node)
            .ok_or(Error::Cluster(ClusterError::NodeGone { node }))
    }

    /// Carries the router's events out: records and drops nodes, and answers refresh
    /// requests by asking nodes in turn. A deferred refresh whose time has come
    /// starts first.
    pub(in crate::cluster) fn drive(&mut self) -> Result<(), Error> {
        let now = Instant::now();
        if self.router.poll_timeout().is_some_and(|t| t <= now) {
            self.router.handle_timeout(now);
        }
        let mut result = Ok(());
        while let Some(event) = self.router.poll_event() {
            match event {
                ClusterEvent::Connect { node, addr } => {
                    self.addrs.insert(node, addr);
                }
                ClusterEvent::Disconnect { node } => {
                    self.addrs.remove(&node);
                    self.conns.remove(&node);
                }
                ClusterEvent::Refresh { node, command } => self.ask_topology(node, command),
                ClusterEvent::RefreshFailed { tried } => result = Err(self.refresh_failed(tried)),
                _ => {}
            }
        }
        result
    }

    fn ask_topology(&mut self, node: NodeId, command: TopologyCommand) {
        let reply = self
            .conn(node)
            .and_then(|conn| conn.request(&command.cmd()));
        let now = Instant::now();
        let failed = self
            .refresh_failures
            .file(&mut self.router, node, reply, now);
        if failed {
            self.conns.remove(&node);
        }
    }

    fn refresh_failed(&mut self, tried: usize) -> Error {
        self.refresh_failures.error(tried)
    }
}
