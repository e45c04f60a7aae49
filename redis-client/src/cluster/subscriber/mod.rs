//! Pub/sub managed by the cluster client: [`ClusterSubscriber`] (blocking) and
//! [`AsyncClusterSubscriber`] (any runtime, also a `Stream`).
//!
//! Both keep the core's [`ClusterSubscriptions`] (which name is subscribed on which
//! node, what must be subscribed again where) and one exclusive connection per node
//! that has names, and do only the IO: they carry the books' batches out, hand the
//! outcomes, pushes and connection failures back in, and ask the cluster client's
//! router for topology refreshes through the client's own refresh path. What both do
//! between their IO steps is here, once.
//!
//! A round's batches (one per slot for shard channels) all go out before either
//! subscriber waits: each node's back to back on its connection, every node's at
//! once; so subscribing, or subscribing again after a move or a failure, costs one
//! round trip however many slots and nodes it spans (plus a handshake for each
//! connection it has to open, one after the other).

#[cfg(feature = "sync")]
mod blocking;
mod nonblocking;

use std::collections::BTreeMap;
use std::time::Instant;

use bytes::Bytes;
use redis_sansio::cluster::{
    BatchOutcome, ClusterRouter, ClusterSubscriptions, DropReason, NodeId, PubSubBatch,
};
use redis_sansio::conn::{Event, Message, Subscriptions};
use redis_sansio::resp::{Frame, ToArg, ToArgs};
use redis_sansio::retry::Reconnect;
use redis_sansio::{Cmd, RequestError};

#[cfg(feature = "sync")]
pub use blocking::{ClusterMessages, ClusterSubscriber};
pub use nonblocking::AsyncClusterSubscriber;

use crate::Error;

/// The books and the turn, with what both subscribers do between their IO steps.
#[derive(Debug)]
struct Steps {
    books: ClusterSubscriptions,
    /// Which node's connection is looked at first for the next message, so that no
    /// node's messages wait behind another's.
    turn: usize,
}

/// What an event from a node's connection comes to.
enum Step {
    /// A message for the caller.
    Message(Message),
    /// Nothing for the caller (the books were told what it meant).
    Continue,
    /// The connection failed: drop it (the books and the router were told).
    Drop,
}

impl Steps {
    fn new() -> Self {
        Steps {
            books: ClusterSubscriptions::new(Reconnect::default()),
            turn: 0,
        }
    }

    /// Files the outcomes of `batches`, sent together (back to back) on `node`'s
    /// connection: `replies` holds each one's reply or error in order, or the error
    /// that failed the connection before any came; a batch left without a reply counts
    /// as a connection failure. `confirmed`: what the connection holds now, if it is
    /// still open. Returns true when the connection failed and must be dropped.
    fn node_done(
        &mut self,
        router: &mut ClusterRouter,
        node: NodeId,
        batches: &[&PubSubBatch],
        replies: Result<Vec<Result<Frame, Error>>, Error>,
        confirmed: Option<&Subscriptions>,
    ) -> bool {
        let now = Instant::now();
        let (replies, failure) = match replies {
            Ok(replies) => (replies, None),
            Err(error) => (Vec::new(), Some(error.to_string())),
        };
        let failure = failure.as_deref().unwrap_or("the connection closed");
        let mut replies = replies.into_iter();
        let mut failed = false;
        for batch in batches {
            let reply = replies.next();
            let text;
            let outcome = match &reply {
                Some(Ok(_)) => BatchOutcome::Confirmed,
                Some(Err(error)) => match error.server_error() {
                    Some(server) => BatchOutcome::Refused(server),
                    // Not the server's answer: the connection is done for.
                    None => {
                        text = error.to_string();
                        BatchOutcome::ConnectionFailed { error: &text }
                    }
                },
                None => BatchOutcome::ConnectionFailed { error: failure },
            };
            failed |= matches!(outcome, BatchOutcome::ConnectionFailed { .. });
            self.books.handle_batch(batch, outcome, router, now);
        }
        match (failed, confirmed) {
            (false, Some(confirmed)) => {
                // The server may have dropped names on its own meanwhile.
                self.books
                    .handle_subscriptions(node, confirmed, router, now);
                false
            }
            _ => true,
        }
    }

    /// Files what `node`'s connection gave when waited on (`confirmed`: what it holds
    /// now).
    fn event(
        &mut self,
        router: &mut ClusterRouter,
        node: NodeId,
        event: Result<Event, Error>,
        confirmed: &Subscriptions,
    ) -> Step {
        let now = Instant::now();
        match event {
            Ok(Event::Message(message)) => {
                self.turn = self.turn.wrapping_add(1);
                Step::Message(message)
            }
            // A subscription the server changed on its own: a shard channel whose
            // slot moved away.
            Ok(Event::Push(_)) => {
                self.books
                    .handle_subscriptions(node, confirmed, router, now);
                Step::Continue
            }
            Ok(_) => Step::Continue,
            Err(_) => {
                self.books.handle_node_failure(node, router, now);
                Step::Drop
            }
        }
    }

    /// The error for names the books gave up since the last call, if any.
    fn dropped(&mut self) -> Result<(), Error> {
        match self.books.poll_dropped() {
            None => Ok(()),
            Some(dropped) => Err(match dropped.reason {
                DropReason::Refused(error) => Error::Request(RequestError::Server(error)),
                DropReason::GaveUp(error) => Error::Cluster(error),
                other => Error::Cluster(redis_sansio::cluster::ClusterError::SubscribeFailed {
                    channels: dropped.names.len(),
                    attempts: 0,
                    last_error: Some(format!("{other:?}")),
                }),
            }),
        }
    }

    /// `nodes` in the order to look at them for the next message: from the turn on.
    fn in_turn<T>(&self, mut nodes: Vec<T>) -> Vec<T> {
        if !nodes.is_empty() {
            let turn = self.turn % nodes.len();
            nodes.rotate_left(turn);
        }
        nodes
    }

    #[cfg(feature = "sync")]
    /// When to stop waiting for a message to run a round: the caller's `deadline`,
    /// or when the next round is due, whichever comes first.
    fn wake(&self, deadline: Option<Instant>) -> Option<Instant> {
        match (deadline, self.books.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// `batches` by node, each node's in their order: what goes back to back on one
/// connection.
fn by_node(batches: &[PubSubBatch]) -> BTreeMap<NodeId, Vec<&PubSubBatch>> {
    let mut nodes: BTreeMap<NodeId, Vec<&PubSubBatch>> = BTreeMap::new();
    for batch in batches {
        nodes.entry(batch.node()).or_default().push(batch);
    }
    nodes
}

/// One name as bytes.
pub(super) fn name_of(name: impl ToArg) -> Option<Bytes> {
    let mut cmd = Cmd::default();
    cmd.push_arg(name);
    cmd.args().next().map(Bytes::copy_from_slice)
}

/// Each of `names` as bytes.
fn names_of(names: impl ToArgs) -> Vec<Bytes> {
    let mut cmd = Cmd::default();
    cmd.push_all(&names);
    cmd.args().map(Bytes::copy_from_slice).collect()
}

/// The subscription methods, the same on both cluster subscribers: `$($await)*` is
/// `.await` on the async one and nothing on the blocking one.
macro_rules! cluster_subscription_methods {
    ($($async:ident)?, $($await:tt)*) => {
        /// Subscribes to `channels` (`SUBSCRIBE`), all on one node, and waits until the
        /// server has confirmed each. Messages published to them on any node reach
        /// every node, so one is enough; if its connection fails, they move to another
        /// (the primary serving slot 0, as the refreshed topology says).
        pub $($async)? fn subscribe(&mut self, channels: impl crate::ToArgs) -> Result<(), Error> {
            self.change(SubscriptionKind::Channel, names_of(channels), true) $($await)*
        }

        /// Subscribes to the channels matching each of `patterns` (`PSUBSCRIBE`), on
        /// the node of the ordinary channels, and waits for every confirmation.
        pub $($async)? fn psubscribe(&mut self, patterns: impl crate::ToArgs) -> Result<(), Error> {
            self.change(SubscriptionKind::Pattern, names_of(patterns), true) $($await)*
        }

        /// Subscribes to shard channels (`SSUBSCRIBE`, Redis 7): each on the primary
        /// serving its slot, those of one slot in one command, and waits for every
        /// confirmation. When a channel's slot moves, Redis unsubscribes it; the
        /// subscriber then refreshes the topology and subscribes it on the new owner
        /// (messages published in between are lost). While the slot is being
        /// migrated, Redis serves its shard channels on the old owner (no `-ASK`),
        /// until the migration ends.
        pub $($async)? fn ssubscribe(&mut self, channels: impl crate::ToArgs) -> Result<(), Error> {
            self.change(SubscriptionKind::Shard, names_of(channels), true) $($await)*
        }

        /// Leaves `channels`, or every channel when `channels` is empty
        /// (`UNSUBSCRIBE`); they are not subscribed again.
        pub $($async)? fn unsubscribe(&mut self, channels: impl crate::ToArgs) -> Result<(), Error> {
            self.change(SubscriptionKind::Channel, names_of(channels), false) $($await)*
        }

        /// Leaves `patterns`, or every pattern when it is empty (`PUNSUBSCRIBE`).
        pub $($async)? fn punsubscribe(&mut self, patterns: impl crate::ToArgs) -> Result<(), Error> {
            self.change(SubscriptionKind::Pattern, names_of(patterns), false) $($await)*
        }

        /// Leaves shard `channels`, or every shard channel when it is empty
        /// (`SUNSUBSCRIBE`, on each node that has some, one command per slot); they are
        /// not subscribed again.
        pub $($async)? fn sunsubscribe(&mut self, channels: impl crate::ToArgs) -> Result<(), Error> {
            self.change(SubscriptionKind::Shard, names_of(channels), false) $($await)*
        }

        /// Paces the attempts to subscribe names again (after a slot moved or a node's
        /// connection failed) with `policy`: the first at once, then after its growing
        /// delays; once its attempts are used up, the names are given up and the
        /// next message call fails with
        /// [`ClusterError::SubscribeFailed`](crate::cluster::ClusterError::SubscribeFailed).
        /// Default: [`Reconnect::default()`], about 20 seconds of outage ridden out
        /// (time enough for a failover).
        pub fn with_reconnect(mut self, policy: Reconnect) -> Self {
            self.steps_mut().books.set_policy(policy);
            self
        }

        /// What the caller has subscribed to and not left, whether a node has
        /// confirmed it yet or not (names being subscribed again included).
        pub fn subscriptions(&self) -> Subscriptions {
            self.steps().books.wanted()
        }

        /// How many names were subscribed again after a node lost them (a slot moved,
        /// a connection failed).
        pub fn resubscriptions(&self) -> u64 {
            self.steps().books.resubscribed()
        }
    };
}

use cluster_subscription_methods;
