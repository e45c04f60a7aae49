//! The blocking cluster connection: one `redis_io_sync::Connection` per node, opened
//! when first needed, driven by the core's [`ClusterRouter`].

mod batches;
mod fanout_nodes;

use std::collections::HashMap;
use std::future::Future;
use std::time::Instant;

use redis_io_async::Outcome;
use redis_io_sync::Connection;
use redis_sansio::Cmd;
use redis_sansio::cluster::{
    ClusterCall, ClusterError, ClusterRouter, NodeAddr, NodeId, ReadFrom, RouterConfig, Routing,
    Target,
};
use redis_sansio::config::ConnectionConfig;
use redis_sansio::resp::Frame;

use super::batch;
use super::call::{self, NodeIo};
use super::many_nodes;
use super::route::{after_asking, asking, readonly};
use super::scan as cluster_scan;
use super::seeds::Seeds;
use super::split::Split;
use super::subscriber::ClusterSubscriber;
use super::topology_reply::RefreshFailures;
use super::{NodeMap, drop_closed};
use crate::Error;
use crate::body_ops::now;
use fanout_nodes::FanoutNodes;
use redis_sansio::resp::ToArg;

/// A blocking client for a Redis Cluster.
///
/// It keeps one [`redis_io_sync::Connection`] per node, opened the first time a
/// request is routed there, with the settings of the first seed URL (password,
/// protocol, client name, timeouts), and for pipelines and fan-outs a second
/// connection per node on one mio [`Fanout`](redis_io_sync::Fanout), so that those
/// reach every node at once. Every generated command works on it
/// (`cluster.set("k", "v")?`), routed by its keys:
///
/// - keys in one slot: the primary serving that slot;
/// - keys in different slots, for a command the specification marks
///   `request_policy:multi_shard` (`MGET`, `MSET`, `DEL`, `EXISTS`, `UNLINK`,
///   `TOUCH`): one command per slot (`MSET`'s values with their keys), sent as one
///   pipeline per node, every node at once, each part following redirects and
///   retries like a single command; the replies merged as its `response_policy`
///   says (`MGET`'s values in the keys' order, the counts summed, `MSET` failing if
///   any part failed; an error in any part is the command's error). Not atomic:
///   the parts run on different nodes, and a failed part does not undo the others;
/// - keys in different slots, for any other command: [`ClusterError::CrossSlot`],
///   and nothing is sent;
/// - no keys, and meant for every primary or every node by the specification's
///   `request_policy` tip (`DBSIZE`, `FLUSHALL`, `KEYS`, `PING`, `SCRIPT LOAD`,
///   `CONFIG SET`...): all of them at once, their replies combined as its
///   `response_policy` says (`DBSIZE` sums, `KEYS` concatenates, `FLUSHALL` fails if
///   any node failed);
/// - `SCAN`: every primary in turn, under one cursor (see
///   [`Scan::iter_cluster`](crate::Scan::iter_cluster));
/// - other keyless commands (`ECHO`, `INFO`, `RANDOMKEY`, whose merging is
///   command-specific): the primary serving slot 0.
///
/// Each request is a [`ClusterCall`] of the core, the same machine as on the async
/// client: `MOVED` updates the slot table and retries on the new owner (the first
/// at once, later ones after the router's backoff); `ASK` sends `ASKING` and the
/// command together to the node named; `TRYAGAIN`, `CLUSTERDOWN` and `LOADING` are
/// retried after the backoff; a node that cannot be reached is reported, the
/// topology is refreshed, and the request is routed again with backoff until
/// [`RouterConfig::retry_timeout`] (so a write to a primary that died waits for its
/// replica's promotion). A request whose connection was lost after it was written
/// is sent again only when it cannot change data (`GET`, `PING`: the command
/// table's `may_resend`) or [`RouterConfig::resend_writes`] is set; a write fails
/// with the connection's error, whose
/// [`is_unknown_outcome`](redis_sansio::RequestError::is_unknown_outcome) says it
/// may have run. Limits are the [`RouterConfig`]'s.
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
    conns: NodeMap<Connection>,
    /// Second connections to the nodes, on one mio `Fanout`, for pipelines and
    /// fan-outs that reach every node at once.
    fanout: FanoutNodes,
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
            conns: NodeMap::default(),
            fanout: FanoutNodes::default(),
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
        self.request_with(cmd, false)
    }

    /// [`request`](Self::request), and sent again after a connection lost with the
    /// request written even when the command may change data
    /// ([`ClusterCall::resend_anyway`]): for a write the caller knows is harmless
    /// twice (`SET k v`), on a client that does not set
    /// [`RouterConfig::resend_writes`] for every call. (A command for many nodes or
    /// split per slot runs as `request` runs it.)
    pub fn request_resending(&mut self, cmd: &Cmd) -> Result<Frame, Error> {
        self.request_with(cmd, true)
    }

    fn request_with(&mut self, cmd: &Cmd, resend: bool) -> Result<Frame, Error> {
        let routing = Routing::of(cmd)?;
        match routing.target {
            Target::SplitBySlot { first, second } => {
                return match Split::of(cmd) {
                    Some(split) => now(many_nodes::split(self, &split)),
                    None => Err(Error::Cluster(ClusterError::CrossSlot { first, second })),
                };
            }
            // Only a keyless command may be SCAN: a keyed one is not looked at again.
            Target::AnyNode if cluster_scan::is_scan(cmd) => {
                return now(many_nodes::scan_page(self, cmd));
            }
            Target::AllPrimaries(policy) | Target::AllNodes(policy) => {
                return now(many_nodes::fan_out_or_one(self, cmd, routing, policy));
            }
            _ => {}
        }
        let call =
            ClusterCall::new(&routing, self.router.config(), Instant::now()).resend_anyway(resend);
        now(call::run(self, cmd, call, None))
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
            conns: NodeMap::default(),
            fanout: FanoutNodes::default(),
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
        many_nodes::route(&self.router, slot, ReadFrom::Primary)
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

    /// Carries the router's events out ([`call::drive`]): records and drops nodes,
    /// and answers refresh requests by asking nodes in turn. A deferred or periodic
    /// refresh whose time has come starts first.
    pub(in crate::cluster) fn drive(&mut self) -> Result<(), Error> {
        now(call::drive(self))
    }

    fn refresh_failed(&mut self, tried: usize) -> Error {
        self.refresh_failures.error(tried)
    }
}

/// The blocking body of the shared request loop: every future is ready at once.
impl NodeIo for ClusterConnection {
    fn with_router<T>(&mut self, f: impl FnOnce(&mut ClusterRouter) -> T) -> T {
        f(&mut self.router)
    }

    fn set_node_addr(&mut self, node: NodeId, addr: Option<NodeAddr>) {
        match addr {
            Some(addr) => drop(self.addrs.insert(node, addr)),
            None => {
                self.addrs.remove(&node);
                self.drop_node(node);
            }
        }
    }

    fn file_topology(&mut self, node: NodeId, reply: Result<Frame, Error>) {
        let now = Instant::now();
        if self
            .refresh_failures
            .file(&mut self.router, node, reply, now)
        {
            self.conns.remove(&node);
        }
    }

    fn refresh_error(&mut self, tried: usize) -> Error {
        self.refresh_failed(tried)
    }

    fn send(
        &mut self,
        node: NodeId,
        cmd: &Cmd,
        asking: bool,
    ) -> impl Future<Output = Result<Frame, Error>> + Send {
        std::future::ready(self.send_to(node, cmd, asking))
    }

    fn send_many(
        &mut self,
        batches: Vec<(NodeId, Vec<Cmd>)>,
    ) -> impl Future<Output = Vec<Result<Vec<Outcome>, Error>>> + Send {
        let readonly = self.router.config().read_from != ReadFrom::Primary;
        let configs: Vec<Result<ConnectionConfig, Error>> = batches
            .iter()
            .map(|(node, _)| self.node_config(*node))
            .collect();
        std::future::ready(self.fanout.run(batches, configs, readonly))
    }

    fn drop_node(&mut self, node: NodeId) {
        self.conns.remove(&node);
        self.fanout.forget(node);
    }

    fn sleep_until(&mut self, until: Instant) -> impl Future<Output = ()> + Send {
        std::thread::sleep(until.saturating_duration_since(Instant::now()));
        std::future::ready(())
    }
}
