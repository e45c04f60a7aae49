//! The async cluster subscriber, on any runtime.

use std::collections::hash_map::Entry;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_core::Stream;
use redis_io_async::{Connection, Runtime};
use redis_sansio::CloseReason;
use redis_sansio::cluster::{NodeAddr, NodeId, PubSubBatch, RouterConfig};
use redis_sansio::config::ConnectionConfig;
use redis_sansio::conn::{Message, SubscriptionKind, Subscriptions};
use redis_sansio::deadline;
use redis_sansio::resp::ToArg;
use redis_sansio::retry::Reconnect;

use super::{Step, Steps, by_node, cluster_subscription_methods, name_of, names_of};
use crate::Error;
use crate::cluster::ClusterClient;
use crate::cluster::{NodeMap, drop_closed};

/// Work on the connections that awaits (subscribing, resubscribing, leaving): it
/// holds them meanwhile and gives them back with its result.
type Work<R> = Pin<Box<dyn Future<Output = (Box<Io<R>>, Result<(), Error>)> + Send>>;

/// Pub/sub over a Redis Cluster, managed by the cluster client, on any runtime; also
/// a `Stream` of the messages of every node, which ends after yielding an error.
///
/// It does what the blocking [`ClusterSubscriber`](super::ClusterSubscriber) does
/// (shard channels on their slots' primaries, followed when a slot moves; ordinary
/// channels and patterns on one node, moved when its connection fails; names lost
/// subscribed again after a topology refresh, paced by a [`Reconnect`] policy; the
/// caller's unsubscribes never undone; every slot's command on every node sent
/// before waiting, one round trip for many slots), over one exclusive
/// [`Connection`](redis_io_async::Connection) per node that has names. It shares its
/// [`ClusterClient`]'s router: its refreshes are the client's.
///
/// Every call is cancellation-safe: work on the connections that a dropped call
/// started (a subscribe, a round of resubscribing the stream started) runs on in the
/// next call, which waits for it first.
///
/// ```no_run
/// # async fn demo<R: redis_io_async::Runtime>(cluster: redis_client::cluster::ClusterClient<R>) -> Result<(), redis_client::Error> {
/// let mut subscriber = cluster.subscriber();
/// subscriber.ssubscribe(["{user:1}:events"]).await?;
/// subscriber.psubscribe(["news.*"]).await?;
/// while let Some(message) = subscriber.next_message(None).await? {
///     println!("{:?} {:?}: {:?}", message.kind, message.channel, message.payload);
/// }
/// # Ok(()) }
/// ```
pub struct AsyncClusterSubscriber<R: Runtime> {
    /// The cluster client, for its router (a clone of [`Io::cluster`]).
    cluster: ClusterClient<R>,
    /// The books, shared with work in progress.
    steps: Arc<Mutex<Steps>>,
    /// The connections; `None` while `work` holds them.
    io: Option<Box<Io<R>>>,
    work: Option<Work<R>>,
    /// The failure of work whose caller went away, for the next message call.
    undelivered: Option<Error>,
    /// Wakes the stream when the next round is due.
    timer: Option<(Instant, Pin<Box<R::Sleep>>)>,
    /// The stream yielded an error and is over.
    failed: bool,
}

/// The connections, one per node that has names, and the cluster client whose
/// refresh path and router they use.
struct Io<R: Runtime> {
    cluster: ClusterClient<R>,
    conns: NodeMap<Connection<R>>,
}

fn lock(steps: &Mutex<Steps>) -> MutexGuard<'_, Steps> {
    steps.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<R: Runtime> AsyncClusterSubscriber<R> {
    /// Connects to the cluster through the seed URLs, as [`ClusterClient::open`]
    /// does, for subscribing.
    pub async fn open(urls: impl IntoIterator<Item = impl AsRef<str>>) -> Result<Self, Error> {
        ClusterClient::open(urls).await.map(Self::new)
    }

    /// Connects through seed configurations, as [`ClusterClient::connect`] does, for
    /// subscribing.
    pub async fn connect(
        seeds: Vec<ConnectionConfig>,
        router: RouterConfig,
    ) -> Result<Self, Error> {
        ClusterClient::connect(seeds, router).await.map(Self::new)
    }

    /// Subscribes through `cluster`'s router (the same as
    /// [`ClusterClient::subscriber`]).
    pub fn new(cluster: ClusterClient<R>) -> Self {
        AsyncClusterSubscriber {
            io: Some(Box::new(Io {
                cluster: cluster.clone(),
                conns: NodeMap::default(),
            })),
            cluster,
            steps: Arc::new(Mutex::new(Steps::new())),
            work: None,
            undelivered: None,
            timer: None,
            failed: false,
        }
    }

    cluster_subscription_methods!(async, .await);

    /// The next message from any node, waiting at most `timeout` (`None`: as long as
    /// it takes). `Ok(None)` when the time ran out. Names lost meanwhile are
    /// subscribed again, as on the blocking subscriber; fails when names had to be
    /// given up (those are dropped, and the next call goes on with the rest).
    pub async fn next_message(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<Option<Message>, Error> {
        let mut timer = timeout
            .map(|timeout| Box::pin(R::sleep_until(deadline::after(Instant::now(), timeout))));
        poll_fn(|cx| {
            if let Poll::Ready(message) = self.poll_message(cx) {
                return Poll::Ready(message.map(Some));
            }
            match &mut timer {
                Some(timer) => timer.as_mut().poll(cx).map(|()| Ok(None)),
                None => Poll::Pending,
            }
        })
        .await
    }

    /// The address of the node that has confirmed `name` (a channel, pattern or shard
    /// channel, as `kind` says), if one has.
    pub fn node_of(&self, kind: SubscriptionKind, name: impl ToArg) -> Option<NodeAddr> {
        let name = name_of(name)?;
        let node = self.steps().books.node_of(kind, &name)?;
        self.cluster
            .with_router(|router| router.node_addr(node).cloned())
    }

    /// The cluster client whose router this subscriber uses.
    pub fn cluster(&self) -> &ClusterClient<R> {
        &self.cluster
    }

    fn steps(&self) -> MutexGuard<'_, Steps> {
        lock(&self.steps)
    }

    fn steps_mut(&mut self) -> MutexGuard<'_, Steps> {
        lock(&self.steps)
    }

    /// Subscribes to `names` and waits until every wanted name is on a node, or
    /// leaves them; as work that a dropped call leaves to the next.
    async fn change(
        &mut self,
        kind: SubscriptionKind,
        names: Vec<Bytes>,
        subscribe: bool,
    ) -> Result<(), Error> {
        if let Err(error) = poll_fn(|cx| self.poll_work(cx)).await {
            self.undelivered = Some(error);
        }
        self.start(move |mut io, steps| async move {
            let result = io.change(&steps, kind, names, subscribe).await;
            (io, result)
        });
        poll_fn(|cx| self.poll_work(cx)).await
    }

    /// Starts `work` on the connections, which must be free (no work in progress).
    fn start<F, W>(&mut self, work: F)
    where
        F: FnOnce(Box<Io<R>>, Arc<Mutex<Steps>>) -> W,
        W: Future<Output = (Box<Io<R>>, Result<(), Error>)> + Send + 'static,
    {
        if let Some(io) = self.io.take() {
            self.work = Some(Box::pin(work(io, self.steps.clone())));
        }
    }

    /// Waits for the work in progress, if any, and takes the connections back:
    /// `Ready` with its result (`Ok` when there was none).
    fn poll_work(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let Some(work) = &mut self.work else {
            return Poll::Ready(Ok(()));
        };
        let (io, result) = ready!(work.as_mut().poll(cx));
        (self.io, self.work) = (Some(io), None);
        Poll::Ready(result)
    }

    /// The next message, as a poll method: runs due rounds (as work) first, then
    /// looks at every connection in turn, and arms a timer for the next round.
    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message, Error>> {
        if let Some(error) = self.undelivered.take() {
            return Poll::Ready(Err(error));
        }
        loop {
            ready!(self.poll_work(cx))?;
            if self.steps().books.wants_round(Instant::now()) {
                self.start(|mut io, steps| async move {
                    let result = io.round(&steps).await;
                    (io, result)
                });
                continue;
            }
            let Some(io) = self.io.as_mut() else {
                return Poll::Ready(Err(Error::Closed(CloseReason::Local)));
            };
            if let Poll::Ready(message) = io.poll_message(&self.steps, cx) {
                return Poll::Ready(Ok(message));
            }
            let due = self.steps().books.poll_timeout();
            if due.is_some_and(|due| due <= Instant::now()) {
                continue;
            }
            let Some(due) = due else {
                self.timer = None;
                return Poll::Pending;
            };
            let timer = match &mut self.timer {
                Some((at, timer)) if *at == due => timer,
                _ => &mut self.timer.insert((due, Box::pin(R::sleep_until(due)))).1,
            };
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl<R: Runtime> Io<R> {
    /// Subscribes to `names` and runs rounds (waiting out the pacing between them)
    /// until every wanted name is on a node, or leaves them.
    async fn change(
        &mut self,
        steps: &Mutex<Steps>,
        kind: SubscriptionKind,
        names: Vec<Bytes>,
        subscribe: bool,
    ) -> Result<(), Error> {
        if !subscribe {
            let batches = lock(steps).books.unsubscribe(kind, names);
            self.carry(steps, &batches).await;
            self.close_unused(steps);
            return lock(steps).dropped();
        }
        lock(steps).books.subscribe(kind, names);
        // Bounded by the policy: each failed round brings it closer to giving up.
        loop {
            self.round(steps).await?;
            let due = lock(steps).books.poll_timeout();
            match due {
                Some(due) => R::sleep_until(due).await,
                None => return Ok(()),
            }
        }
    }

    /// Runs the rounds that are due: carries the router's events out (a refresh the
    /// books asked for), then sends each batch and files its outcome, until no round
    /// is due. Fails when names were given up.
    async fn round(&mut self, steps: &Mutex<Steps>) -> Result<(), Error> {
        loop {
            let due = lock(steps).books.wants_round(Instant::now());
            if !due {
                break;
            }
            // A failed refresh keeps the old table, which may still be right.
            let _ = self.cluster.drive().await;
            let batches = self.cluster.with_router(|router| {
                let mut steps = lock(steps);
                steps.books.handle_topology(router);
                steps.books.poll_batches(router, Instant::now())
            });
            self.carry(steps, &batches).await;
        }
        self.close_unused(steps);
        lock(steps).dropped()
    }

    /// Sends every one of `batches` and files their outcomes: each node's back to back
    /// on its connection (those not open yet are opened first), every node's at once,
    /// and each node's outcomes filed as soon as they are all in. However many slots
    /// and nodes, the batches cost one round trip (plus a handshake for each new
    /// connection).
    async fn carry(&mut self, steps: &Mutex<Steps>, batches: &[PubSubBatch]) {
        let mut nodes = by_node(batches);
        let wanted: Vec<NodeId> = nodes.keys().copied().collect();
        for node in wanted {
            if let Err(error) = self.conn(node).await {
                let batches = nodes.remove(&node).unwrap_or_default();
                self.cluster.with_router(|router| {
                    lock(steps).node_done(router, node, &batches, Err(error), None)
                });
            }
        }
        let Io { cluster, conns } = self;
        // Each node's batches as one pipeline, polled together until every one is in.
        let mut calls: Vec<_> = conns
            .iter_mut()
            .filter_map(|(node, conn)| {
                let batches = nodes.remove(node)?;
                let cmds: Vec<_> = batches.iter().map(|batch| batch.cmd()).collect();
                Some((*node, batches, Some(conn.pipeline(&cmds))))
            })
            .collect();
        let mut failed = Vec::new();
        poll_fn(|cx| {
            for (node, batches, call) in &mut calls {
                let Some(mut pipeline) = call.take() else {
                    continue;
                };
                let Poll::Ready(outcomes) = Pin::new(&mut pipeline).poll(cx) else {
                    *call = Some(pipeline);
                    continue;
                };
                let conn = pipeline.into_connection();
                let replies = outcomes.map(|outcomes| {
                    let replies = outcomes.into_iter();
                    replies.map(|reply| reply.map_err(Error::Request)).collect()
                });
                let confirmed = Some(conn.core().subscriptions());
                let done = cluster.with_router(|router| {
                    lock(steps).node_done(router, *node, batches, replies, confirmed)
                });
                if done {
                    failed.push(*node);
                }
            }
            match calls.iter().all(|(_, _, call)| call.is_none()) {
                true => Poll::Ready(()),
                false => Poll::Pending,
            }
        })
        .await;
        for node in failed {
            conns.remove(&node);
        }
    }

    /// `node`'s connection, opened now if there is none or the last one closed.
    async fn conn(&mut self, node: NodeId) -> Result<&mut Connection<R>, Error> {
        drop_closed(&mut self.conns, node, |c| c.close_reason().is_some());
        match self.conns.entry(node) {
            Entry::Occupied(open) => Ok(open.into_mut()),
            Entry::Vacant(slot) => {
                let config = self.cluster.node_config(node)?;
                Ok(slot.insert(Connection::connect(config).await?))
            }
        }
    }

    /// Closes the connections of nodes that have no names left.
    fn close_unused(&mut self, steps: &Mutex<Steps>) {
        let used = lock(steps).books.nodes();
        self.conns.retain(|node, _| used.contains(node));
    }

    /// Looks at every connection, from the turn on, until one has a message: pushes
    /// and failures go to the books on the way (a failed connection is dropped).
    fn poll_message(&mut self, steps: &Mutex<Steps>, cx: &mut Context<'_>) -> Poll<Message> {
        let nodes = lock(steps).in_turn(self.conns.keys().copied().collect());
        for node in nodes {
            while let Some(conn) = self.conns.get_mut(&node) {
                let Poll::Ready(event) = conn.poll_next_event(cx) else {
                    break;
                };
                let confirmed = conn.core().subscriptions();
                let step = self
                    .cluster
                    .with_router(|router| lock(steps).event(router, node, event, confirmed));
                match step {
                    Step::Message(message) => return Poll::Ready(message),
                    Step::Continue => {}
                    Step::Drop => {
                        self.conns.remove(&node);
                    }
                }
            }
        }
        Poll::Pending
    }
}

impl<R: Runtime> Stream for AsyncClusterSubscriber<R> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        let item = ready!(this.poll_message(cx));
        this.failed = item.is_err();
        Poll::Ready(Some(item))
    }
}

impl<R: Runtime> fmt::Debug for AsyncClusterSubscriber<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncClusterSubscriber")
            .field("steps", &self.steps)
            .field("connections", &self.io.as_ref().map(|io| io.conns.len()))
            .field("working", &self.work.is_some())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}
