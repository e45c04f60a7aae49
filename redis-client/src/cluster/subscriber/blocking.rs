//! The blocking cluster subscriber.

use std::collections::hash_map::Entry;
use std::time::{Duration, Instant};

use bytes::Bytes;
use redis_io_sync::{Connection, wait_any};
use redis_sansio::CloseReason;
use redis_sansio::cluster::{NodeAddr, NodeId, PubSubBatch, RouterConfig};
use redis_sansio::config::ConnectionConfig;
use redis_sansio::conn::{Message, SubscriptionKind, Subscriptions};
use redis_sansio::deadline;
use redis_sansio::resp::ToArg;
use redis_sansio::retry::Reconnect;

use super::{Step, Steps, by_node, cluster_subscription_methods, name_of, names_of};
use crate::Error;
use crate::cluster::ClusterConnection;
use crate::cluster::{NodeMap, drop_closed};
use crate::pubsub::next_item;

/// Pub/sub over a Redis Cluster, managed by the cluster client, blocking.
///
/// Shard channels ([`ssubscribe`](Self::ssubscribe)) are subscribed on the primary
/// serving each one's slot, ordinary channels and patterns
/// ([`subscribe`](Self::subscribe), [`psubscribe`](Self::psubscribe)) on one node;
/// the subscriber opens one connection per node that has names, as needed (with the
/// seeds' settings), and closes those left with none. A call sends every command it
/// needs (one `SSUBSCRIBE` per slot) to every node before it waits for any reply, so
/// channels in many slots cost one round trip (new connections are opened first,
/// one after the other). Every connection's messages
/// come out of one [`next_message`](Self::next_message) (or the
/// [`messages`](Self::messages) iterator), the nodes taking turns; a [`Message`] says
/// which kind of subscription delivered it ([`SubscriptionKind`]), its channel, its
/// pattern for a pattern subscription, and its payload.
///
/// It follows the cluster. When Redis unsubscribes a shard channel on its own
/// because the channel's slot moved to another node (Redis 7 sends `sunsubscribe`),
/// or a node's connection fails, the subscriber asks for a topology refresh (its
/// [`ClusterConnection`]'s, rate-limited by the router) and subscribes the names
/// again where the new topology says: shard channels on their slot's new owner,
/// ordinary channels and patterns on the primary serving slot 0 (the same node again
/// after a lost connection, the promoted replica after a failover). This happens
/// inside `next_message` and the subscribe calls; messages published in between are
/// lost (pub/sub delivers at most once). Attempts that fail are paced by a
/// [`Reconnect`] policy ([`with_reconnect`](Self::with_reconnect)); when it gives up,
/// the names are dropped and the call fails. What the caller unsubscribed is never
/// subscribed again.
///
/// ```no_run
/// use std::time::Duration;
/// use redis_client::cluster::ClusterSubscriber;
///
/// let mut subscriber = ClusterSubscriber::open(&["redis://127.0.0.1:7000"])?;
/// subscriber.ssubscribe(["{user:1}:events", "{user:2}:events"])?;
/// subscriber.subscribe(["news"])?;
/// while let Some(message) = subscriber.next_message(Some(Duration::from_secs(5)))? {
///     println!("{:?} {:?}: {:?}", message.kind, message.channel, message.payload);
/// }
/// # Ok::<(), redis_client::Error>(())
/// ```
#[derive(Debug)]
pub struct ClusterSubscriber {
    /// The router and its refresh path, and the seeds' settings.
    cluster: ClusterConnection,
    steps: Steps,
    conns: NodeMap<Connection>,
}

impl ClusterSubscriber {
    /// Connects to the cluster through the seed URLs, as
    /// [`ClusterConnection::open`] does, for subscribing.
    pub fn open(urls: impl IntoIterator<Item = impl AsRef<str>>) -> Result<Self, Error> {
        ClusterConnection::open(urls).map(Self::new)
    }

    /// Connects through seed configurations, as [`ClusterConnection::connect`] does,
    /// for subscribing.
    pub fn connect(seeds: Vec<ConnectionConfig>, router: RouterConfig) -> Result<Self, Error> {
        ClusterConnection::connect(seeds, router).map(Self::new)
    }

    /// Subscribes through `cluster`: its router finds the nodes, and its refreshes
    /// follow the cluster. Its own connections are not used for pub/sub (see also
    /// [`ClusterConnection::subscriber`], which leaves the connection to its caller).
    pub fn new(cluster: ClusterConnection) -> Self {
        ClusterSubscriber {
            cluster,
            steps: Steps::new(),
            conns: NodeMap::default(),
        }
    }

    cluster_subscription_methods!(,);

    /// The next message from any node, waiting at most `timeout` (`None`: as long as
    /// it takes). `Ok(None)` when the time ran out. Names lost meanwhile (a slot moved,
    /// a connection failed) are subscribed again first, and while waiting when the
    /// [`Reconnect`] policy's pacing says. Fails when names had to be given up
    /// ([`ClusterError::SubscribeFailed`](crate::cluster::ClusterError::SubscribeFailed),
    /// or the server's error for a refusal no retry mends): those are dropped, and
    /// the next call goes on with the rest.
    pub fn next_message(&mut self, timeout: Option<Duration>) -> Result<Option<Message>, Error> {
        let deadline = timeout.map(|timeout| deadline::after(Instant::now(), timeout));
        loop {
            self.round()?;
            let open = self.conns.iter_mut().map(|(node, conn)| (*node, conn));
            let (nodes, mut conns): (Vec<NodeId>, Vec<&mut Connection>) =
                self.steps.in_turn(open.collect()).into_iter().unzip();
            let Some(ready) = wait_any(&mut conns, self.steps.wake(deadline))? else {
                if deadline.is_some_and(|deadline| deadline <= Instant::now()) {
                    return Ok(None);
                }
                continue;
            };
            let node = nodes[ready];
            let conn = &mut conns[ready];
            let Some(event) = conn.next_event(Some(Duration::ZERO)).transpose() else {
                continue;
            };
            let confirmed = conn.core().subscriptions();
            let router = self.cluster.router_mut();
            match self.steps.event(router, node, event, confirmed) {
                Step::Message(message) => return Ok(Some(message)),
                Step::Continue => {}
                Step::Drop => {
                    self.conns.remove(&node);
                }
            }
        }
    }

    /// The messages, as an iterator that waits for each: after an error it ends (a
    /// later call of this or [`next_message`](Self::next_message) goes on with the
    /// names left).
    pub fn messages(&mut self) -> ClusterMessages<'_> {
        ClusterMessages {
            subscriber: self,
            failed: false,
        }
    }

    /// The address of the node that has confirmed `name` (a channel, pattern or shard
    /// channel, as `kind` says), if one has.
    pub fn node_of(&self, kind: SubscriptionKind, name: impl ToArg) -> Option<NodeAddr> {
        let name = name_of(name)?;
        let node = self.steps.books.node_of(kind, &name)?;
        self.cluster.router().node_addr(node).cloned()
    }

    /// The cluster connection whose router this subscriber uses.
    pub fn cluster(&self) -> &ClusterConnection {
        &self.cluster
    }

    fn steps(&self) -> &Steps {
        &self.steps
    }

    fn steps_mut(&mut self) -> &mut Steps {
        &mut self.steps
    }

    /// Subscribes to `names` and waits until every wanted name is on a node, or
    /// leaves them.
    fn change(
        &mut self,
        kind: SubscriptionKind,
        names: Vec<Bytes>,
        subscribe: bool,
    ) -> Result<(), Error> {
        if !subscribe {
            let batches = self.steps.books.unsubscribe(kind, names);
            self.carry(&batches);
            self.close_unused();
            return self.steps.dropped();
        }
        self.steps.books.subscribe(kind, names);
        // Bounded by the policy: each failed round brings it closer to giving up.
        loop {
            self.round()?;
            match self.steps.books.poll_timeout() {
                Some(due) => std::thread::sleep(due.saturating_duration_since(Instant::now())),
                None => return Ok(()),
            }
        }
    }

    /// Runs the rounds that are due: carries the router's events out (a refresh the
    /// books asked for), then sends each batch and files its outcome, until no round
    /// is due. Fails when names were given up.
    fn round(&mut self) -> Result<(), Error> {
        while self.steps.books.wants_round(Instant::now()) {
            // A failed refresh keeps the old table, which may still be right.
            let _ = self.cluster.drive();
            self.steps.books.handle_topology(self.cluster.router());
            let now = Instant::now();
            let batches = self
                .steps
                .books
                .poll_batches(self.cluster.router_mut(), now);
            self.carry(&batches);
        }
        self.close_unused();
        self.steps.dropped()
    }

    /// Sends every one of `batches` and files their outcomes: each node's back to back
    /// on its connection (opened now if needed), every node's written before waiting
    /// on any, then each node's outcomes filed in turn. However many slots and nodes,
    /// the batches cost one round trip (plus a handshake for each new connection).
    fn carry(&mut self, batches: &[PubSubBatch]) {
        let mut sent = Vec::new();
        for (node, batches) in by_node(batches) {
            let ids = self.conn(node).and_then(|conn| {
                let ids = batches
                    .iter()
                    .map(|batch| conn.send(&batch.cmd()))
                    .collect::<Result<Vec<_>, Error>>()?;
                conn.flush()?;
                Ok(ids)
            });
            sent.push((node, batches, ids));
        }
        for (node, batches, ids) in sent {
            let replies = ids.and_then(|ids| {
                let conn = self
                    .conns
                    .get_mut(&node)
                    .ok_or(Error::Closed(CloseReason::Local))?;
                Ok(ids.into_iter().map(|id| conn.wait_for(id)).collect())
            });
            let confirmed = self.conns.get(&node).map(|c| c.core().subscriptions());
            let router = self.cluster.router_mut();
            if self
                .steps
                .node_done(router, node, &batches, replies, confirmed)
            {
                self.conns.remove(&node);
            }
        }
    }

    /// `node`'s connection, opened now if there is none or the last one closed.
    fn conn(&mut self, node: NodeId) -> Result<&mut Connection, Error> {
        drop_closed(&mut self.conns, node, |c| c.close_reason().is_some());
        match self.conns.entry(node) {
            Entry::Occupied(open) => Ok(open.into_mut()),
            Entry::Vacant(slot) => {
                let config = self.cluster.node_config(node)?;
                Ok(slot.insert(Connection::connect(config)?))
            }
        }
    }

    /// Closes the connections of nodes that have no names left.
    fn close_unused(&mut self) {
        let used = self.steps.books.nodes();
        self.conns.retain(|node, _| used.contains(node));
    }
}

/// The iterator of [`ClusterSubscriber::messages`].
#[derive(Debug)]
pub struct ClusterMessages<'a> {
    subscriber: &'a mut ClusterSubscriber,
    failed: bool,
}

impl Iterator for ClusterMessages<'_> {
    type Item = Result<Message, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let subscriber = &mut *self.subscriber;
        next_item(&mut self.failed, || subscriber.next_message(None))
    }
}
