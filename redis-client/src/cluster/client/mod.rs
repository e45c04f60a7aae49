//! The async cluster client: one multiplexed [`Client`] per node, shared by every
//! clone, driven by the core's [`ClusterRouter`].

mod batches;
mod shared_pubsub;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use redis_io_async::{Client, Connection, Outcome, Runtime};
use redis_sansio::Cmd;
use redis_sansio::cluster::{
    ClusterCall, ClusterError, ClusterRouter, NodeAddr, NodeId, ReadFrom, RouterConfig, Routing,
    Target,
};
use redis_sansio::config::ConnectionConfig;
use redis_sansio::resp::Frame;
use redis_sansio::resp::ToArg;

use super::batch;
use super::call::{self, NodeIo};
use super::many_nodes;
use super::request::ClusterRequest;
use super::route::{after_asking, asking, readonly};
use super::scan as cluster_scan;
use super::seeds::Seeds;
use super::split::Split;
use super::subscriber::AsyncClusterSubscriber;
use super::topology_reply::RefreshFailures;
use super::{NodeMap, drop_closed};
use crate::Error;

/// An async client for a Redis Cluster, generic over the runtime: cloneable, `Send`,
/// usable from many tasks at once.
///
/// It keeps one multiplexed [`Client`] per node, opened the first time a request is
/// routed there, with the settings of the first seed URL. Every generated command
/// works on it (`cluster.get("k").await?`), routed as on
/// [`ClusterConnection`](super::ClusterConnection): by the slot of its keys to that
/// slot's primary, keyless commands meant for every node to all of them at once
/// (combined as the specification says) and other keyless commands to the primary
/// serving slot 0. Each request is the core's [`ClusterCall`], the machine the
/// blocking connection runs too (redirects, backoff, failovers waited out within
/// [`RouterConfig::retry_timeout`], a lost request sent again only when it cannot
/// change data or [`RouterConfig::resend_writes`] is set). Keys in different slots are split into one command per slot when
/// the specification marks the command `request_policy:multi_shard` (`MGET`, `MSET`,
/// `DEL`, `EXISTS`, `UNLINK`, `TOUCH`), the parts sent as one pipeline per node to
/// every node at once and their replies merged as its `response_policy` says
/// (`MGET`'s values in the keys' order, counts summed, `MSET` failing if a part
/// failed; not atomic); for any other command they are refused with
/// [`ClusterError::CrossSlot`] before anything is sent. Redirects, busy errors and
/// failed connections are handled the same way too (for each part of a split
/// command), and so are reads from replicas ([`RouterConfig::read_from`]).
///
/// Each call returns a [`ClusterRequest`], a named future. When the node's connection
/// is open, the command is queued at once and the future is the node client's own
/// [`Request`](redis_io_async::Request), unboxed; a call that must be retried
/// (redirect, busy error, failed or not yet opened connection, topology refresh due)
/// or goes to several nodes continues in a boxed future, since it awaits connects,
/// sleeps and several replies.
///
/// ```no_run
/// # async fn example() -> Result<(), redis_client::Error> {
/// use redis_client::prelude::*;
/// use redis_client::cluster::ClusterClient;
/// use redis_io_tokio::Tokio;
///
/// let cluster = ClusterClient::<Tokio>::open(&["redis://127.0.0.1:7000"]).await?;
/// cluster.set("greeting", "hello").await?;
/// let greeting = cluster.get("greeting").await?;
/// # Ok(()) }
/// ```
pub struct ClusterClient<R: Runtime> {
    shared: Arc<Shared<R>>,
}

struct Shared<R: Runtime> {
    seeds: Seeds,
    state: Mutex<State<R>>,
}

/// Everything the clones share, behind one mutex never held across an `.await`.
struct State<R: Runtime> {
    router: ClusterRouter,
    addrs: HashMap<NodeId, NodeAddr>,
    clients: NodeMap<Client<R>>,
    refresh_failures: RefreshFailures,
}

impl<R: Runtime> State<R> {
    /// The open client for `node`, if there is one.
    fn client(&self, node: NodeId) -> Option<&Client<R>> {
        self.clients.get(&node).filter(|c| !c.is_closed())
    }
}

impl<R: Runtime> ClusterClient<R> {
    /// Connects to the cluster through the seed URLs (tried in order until one
    /// answers `CLUSTER SHARDS`) with the default router settings.
    pub async fn open(urls: impl IntoIterator<Item = impl AsRef<str>>) -> Result<Self, Error> {
        Self::with_seeds(Seeds::from_urls(urls)?, RouterConfig::default()).await
    }

    /// Connects through seed configurations: the first one's settings apply to every
    /// node. Fails with [`ClusterError::TopologyRefreshFailed`] when no seed answers,
    /// or with the TLS error itself ([`Error::Tls`]) when a seed's TLS failed (an
    /// untrusted certificate, a refused client certificate): no retry mends those.
    ///
    /// With TLS seeds (`rediss://` with the `with_tls_*` settings), every node is
    /// reached over TLS at the port the cluster names for TLS clients (its `tls-port`
    /// in `CLUSTER SHARDS`, which sets [`RouterConfig::tls`] here).
    pub async fn connect(
        seeds: Vec<ConnectionConfig>,
        router: RouterConfig,
    ) -> Result<Self, Error> {
        Self::with_seeds(Seeds::from_configs(seeds)?, router).await
    }

    async fn with_seeds(seeds: Seeds, config: RouterConfig) -> Result<Self, Error> {
        let mut router = ClusterRouter::new(config.with_tls(seeds.base.tls));
        for addr in &seeds.addrs {
            router.add_seed(addr.clone());
        }
        let cluster = ClusterClient {
            shared: Arc::new(Shared {
                seeds,
                state: Mutex::new(State {
                    router,
                    addrs: HashMap::new(),
                    clients: NodeMap::default(),
                    refresh_failures: RefreshFailures::default(),
                }),
            }),
        };
        cluster.refresh().await?;
        Ok(cluster)
    }

    /// Asks the cluster for its topology now (unless a refresh is in progress or
    /// started less than the router's refresh interval ago) and waits for the answer.
    pub async fn refresh(&self) -> Result<(), Error> {
        self.lock().router.request_refresh(Instant::now());
        self.drive().await?;
        if self.lock().router.has_topology() {
            Ok(())
        } else {
            let mut state = self.lock();
            let tried = state.addrs.len();
            Err(state.refresh_failures.error(tried))
        }
    }

    /// Sends `cmd` to the node that serves its keys and resolves to its reply,
    /// following redirects and retrying as the type's documentation says. The command
    /// is queued at once when that node's connection is open. A `multi_shard` command
    /// whose keys span slots (`MGET a b`) runs as one command per slot, in a boxed
    /// future, and resolves to their merged reply, or to the first part's error.
    pub fn request(&self, cmd: &Cmd) -> ClusterRequest<R> {
        self.request_with(cmd, false)
    }

    /// [`request`](Self::request), and sent again after a connection lost with the
    /// request written even when the command may change data
    /// ([`ClusterCall::resend_anyway`]): for a write the caller knows is harmless
    /// twice (`SET k v`), on a client that does not set
    /// [`RouterConfig::resend_writes`] for every call. (A command for many nodes or
    /// split per slot runs as `request` runs it.)
    pub fn request_resending(&self, cmd: &Cmd) -> ClusterRequest<R> {
        self.request_with(cmd, true)
    }

    fn request_with(&self, cmd: &Cmd, resend: bool) -> ClusterRequest<R> {
        let routing = match Routing::of(cmd) {
            Ok(routing) => routing,
            Err(error) => return ClusterRequest::failed(Error::Cluster(error)),
        };
        match routing.target {
            Target::SplitBySlot { first, second } => {
                let Some(split) = Split::of(cmd) else {
                    return ClusterRequest::failed(Error::Cluster(ClusterError::CrossSlot {
                        first,
                        second,
                    }));
                };
                let mut client = self.clone();
                return ClusterRequest::retrying(Box::pin(async move {
                    many_nodes::split(&mut client, &split).await
                }));
            }
            // Only a keyless command may be SCAN: a keyed one is not looked at again.
            Target::AnyNode if cluster_scan::is_scan(cmd) => {
                let (mut client, cmd) = (self.clone(), cmd.clone());
                return ClusterRequest::retrying(Box::pin(async move {
                    many_nodes::scan_page(&mut client, &cmd).await
                }));
            }
            Target::AllPrimaries(policy) | Target::AllNodes(policy) => {
                let (mut client, cmd) = (self.clone(), cmd.clone());
                return ClusterRequest::retrying(Box::pin(async move {
                    many_nodes::fan_out_or_one(&mut client, &cmd, routing, policy).await
                }));
            }
            _ => {}
        }
        let now = Instant::now();
        let (call, sent) = {
            let state = self.lock();
            let call = ClusterCall::new(&routing, state.router.config(), now).resend_anyway(resend);
            let refresh_due = state.router.poll_timeout().is_some_and(|t| t <= now);
            let node = call.route(&state.router).filter(|_| !refresh_due);
            let sent = node.and_then(|node| Some((node, state.client(node)?.request(cmd))));
            (call, sent)
        };
        match sent {
            Some((node, request)) => {
                ClusterRequest::sent(request, cmd.clone(), call.sent_to(node), self.clone())
            }
            None => ClusterRequest::retrying(Box::pin(self.clone().run(cmd.clone(), call, None))),
        }
    }

    /// A new exclusive connection to the primary serving `key`'s slot, with the seed's
    /// settings: for sharded pub/sub (`SSUBSCRIBE` with the shard channel as `key`),
    /// `SUBSCRIBE` (any key), `MONITOR` or long blocking commands, which a shared
    /// connection refuses or would be held up by. It does not follow redirects: for
    /// pub/sub that follows slot moves and failed nodes, use
    /// [`subscriber`](Self::subscriber).
    pub async fn dedicated(&self, key: impl ToArg) -> Result<Connection<R>, Error> {
        let slot = batch::watch_slot(&[key])?;
        let _ = self.drive().await;
        let node = self.route(slot)?;
        Connection::<R>::connect(self.node_config(node)?).await
    }

    /// A pub/sub subscriber managed by the cluster client: shard channels on the
    /// primaries serving their slots, followed when their slots move, ordinary
    /// channels and patterns on one node (see [`AsyncClusterSubscriber`]). It shares
    /// this client's router (its refreshes are this client's) and opens exclusive
    /// connections of its own.
    pub fn subscriber(&self) -> AsyncClusterSubscriber<R> {
        AsyncClusterSubscriber::new(self.clone())
    }

    /// Runs `f` on the router, under the lock (for the subscriber).
    pub(in crate::cluster) fn with_router<T>(&self, f: impl FnOnce(&mut ClusterRouter) -> T) -> T {
        f(&mut self.lock().router)
    }

    /// The settings of a connection to `node`: the seed's, at the node's address.
    pub(in crate::cluster) fn node_config(&self, node: NodeId) -> Result<ConnectionConfig, Error> {
        let addr = self.lock().addrs.get(&node).cloned();
        let addr = addr.ok_or(Error::Cluster(ClusterError::NodeGone { node }))?;
        Ok(self.shared.seeds.config_for(&addr))
    }

    /// The address of the primary that serves `slot`, as far as this client knows.
    pub fn node_for_slot(&self, slot: u16) -> Option<NodeAddr> {
        let state = self.lock();
        let node = state.router.route(slot, ReadFrom::Primary)?;
        state.router.node_addr(node).cloned()
    }

    /// A request from its first attempt on, or (`first`) from the outcome of a
    /// first attempt that needs following up: the shared loop over the core's
    /// [`ClusterCall`].
    pub(super) async fn run(
        mut self,
        cmd: Cmd,
        call: ClusterCall,
        first: Option<Result<Frame, Error>>,
    ) -> Result<Frame, Error> {
        call::run(&mut self, &cmd, call, first).await
    }

    /// The primary for `slot` (`None`: a keyless command) as the table says now.
    fn route(&self, slot: Option<u16>) -> Result<NodeId, Error> {
        many_nodes::route(&self.lock().router, slot, ReadFrom::Primary)
    }

    async fn send_to(&self, node: NodeId, cmd: &Cmd, with_asking: bool) -> Result<Frame, Error> {
        let client = self.client(node).await?;
        if with_asking {
            after_asking(client.pipeline(&[asking(), cmd.clone()]).await?)
        } else {
            client.request(cmd).await
        }
    }

    /// `node`'s client, connected now if there is none or the last one closed. Two
    /// tasks may connect at once; the first to finish is kept.
    async fn client(&self, node: NodeId) -> Result<Client<R>, Error> {
        if let Some(client) = self.lock().client(node) {
            return Ok(client.clone());
        }
        let client = Client::<R>::connect(self.node_config(node)?).await?;
        let replica_reads = self.lock().router.config().read_from != ReadFrom::Primary;
        if replica_reads {
            client.request(&readonly()).await?;
        }
        let mut state = self.lock();
        if !state.addrs.contains_key(&node) {
            // The node left the topology meanwhile: use it once, keep nothing.
            return Ok(client);
        }
        if let Some(open) = state.client(node) {
            return Ok(open.clone());
        }
        state.clients.insert(node, client.clone());
        Ok(client)
    }

    /// Carries the router's events out until none is left ([`call::drive`]).
    pub(in crate::cluster) async fn drive(&self) -> Result<(), Error> {
        call::drive(&mut self.clone()).await
    }

    fn lock(&self) -> MutexGuard<'_, State<R>> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The async body of the shared request loop.
impl<R: Runtime> NodeIo for ClusterClient<R> {
    fn with_router<T>(&mut self, f: impl FnOnce(&mut ClusterRouter) -> T) -> T {
        f(&mut self.lock().router)
    }

    fn set_node_addr(&mut self, node: NodeId, addr: Option<NodeAddr>) {
        let mut state = self.lock();
        match addr {
            Some(addr) => drop(state.addrs.insert(node, addr)),
            None => {
                state.addrs.remove(&node);
                state.clients.remove(&node);
            }
        }
    }

    fn file_topology(&mut self, node: NodeId, reply: Result<Frame, Error>) {
        let now = Instant::now();
        let mut guard = self.lock();
        let state = &mut *guard;
        if state
            .refresh_failures
            .file(&mut state.router, node, reply, now)
        {
            state.clients.remove(&node);
        }
    }

    fn refresh_error(&mut self, tried: usize) -> Error {
        self.lock().refresh_failures.error(tried)
    }

    fn send(
        &mut self,
        node: NodeId,
        cmd: &Cmd,
        asking: bool,
    ) -> impl Future<Output = Result<Frame, Error>> + Send {
        self.send_to(node, cmd, asking)
    }

    fn send_many(
        &mut self,
        batches: Vec<(NodeId, Vec<Cmd>)>,
    ) -> impl Future<Output = Vec<Result<Vec<Outcome>, Error>>> + Send {
        let client = self.clone();
        async move {
            // Queue every node's share before awaiting any, so the nodes work at once.
            let mut sent = Vec::with_capacity(batches.len());
            for (node, cmds) in batches {
                sent.push(match client.client(node).await {
                    Ok(node_client) => Ok(node_client.pipeline(&cmds)),
                    Err(error) => Err(error),
                });
            }
            let mut results = Vec::with_capacity(sent.len());
            for pipeline in sent {
                results.push(match pipeline {
                    Ok(pipeline) => pipeline.await,
                    Err(error) => Err(error),
                });
            }
            results
        }
    }

    fn drop_node(&mut self, node: NodeId) {
        // Another task may have opened a new one meanwhile: only a closed one goes.
        drop_closed(&mut self.lock().clients, node, Client::is_closed);
    }

    fn sleep_until(&mut self, until: Instant) -> impl Future<Output = ()> + Send {
        R::sleep_until(until)
    }
}

impl<R: Runtime> Clone for ClusterClient<R> {
    fn clone(&self) -> Self {
        ClusterClient {
            shared: self.shared.clone(),
        }
    }
}

impl<R: Runtime> fmt::Debug for ClusterClient<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("ClusterClient")
            .field("nodes", &state.addrs.len())
            .field("connected", &state.clients.len())
            .finish_non_exhaustive()
    }
}
