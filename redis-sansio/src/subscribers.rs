//! The book of a shared connection's subscriptions: who listens to which channels,
//! patterns and shard channels, the messages each listener has yet to take, and what
//! to subscribe again after a reconnect.
//!
//! Many callers of one connection (a multiplexed client) may subscribe to the same
//! channel; the server knows it once. The book keeps, per name, the listeners that
//! asked for it, so that:
//!
//! - [`add`](SubscriberBook::add) says which names are new and must be subscribed
//!   (the `SUBSCRIBE` command to send), and [`remove`](SubscriberBook::remove) which
//!   names lost their last listener and must be left (the `UNSUBSCRIBE` to send);
//! - [`handle_message`](SubscriberBook::handle_message) copies a published message
//!   (its `Bytes` are shared, not copied) into the queue of every listener of its
//!   channel (or pattern, or shard channel), and names the listeners to wake;
//! - after a reconnect, [`restore_cmds`](SubscriberBook::restore_cmds) gives the
//!   commands that subscribe the new connection to every name that has a listener,
//!   and [`handle_reconnected`](SubscriberBook::handle_reconnected) tells each listener
//!   that messages may have been lost ([`Gap::Reconnected`]);
//! - [`handle_closed`](SubscriberBook::handle_closed) ends every listener once the
//!   connection is closed for good.
//!
//! A listener takes its deliveries in order with [`poll`](SubscriberBook::poll).
//! The book does no IO and keeps no wakers: a body keeps at most listener id → waker,
//! and sends the commands the book returns (with
//! [`Connection::send_subscription`](crate::conn::Connection::send_subscription) on a
//! shared connection).
//!
//! Each listener's queue holds at most [`max_queued`](SubscriberBook::max_queued)
//! deliveries ([`DEFAULT_MAX_QUEUED`] unless set): a listener that does not keep up
//! loses the messages that arrive while its queue is full, and is told how many with
//! [`Gap::Lagged`] before the next message it gets. The other listeners, and the
//! connection's other callers, are not held up.
//!
//! ```
//! use bytes::Bytes;
//! use redis_sansio::conn::{Message, SubscriptionKind};
//! use redis_sansio::subscribers::{Delivery, SubscriberBook};
//!
//! let mut book = SubscriberBook::new();
//! let (news, subscribe) = book.add(SubscriptionKind::Channel, [Bytes::from("news")]).unwrap();
//! assert!(subscribe.is_some()); // the first listener of "news": send SUBSCRIBE news
//! let (also, subscribe) = book.add(SubscriptionKind::Channel, [Bytes::from("news")]).unwrap();
//! assert!(subscribe.is_none()); // already subscribed
//!
//! let mut woken = Vec::new();
//! book.handle_message(
//!     Message {
//!         kind: SubscriptionKind::Channel,
//!         channel: Bytes::from("news"),
//!         pattern: None,
//!         payload: Bytes::from("hello"),
//!     },
//!     |listener| woken.push(listener),
//! );
//! assert_eq!(woken, [news, also]);
//! assert!(matches!(book.poll(news), Ok(Some(Delivery::Message(m))) if m.payload == "hello"));
//! assert_eq!(book.remove(news), None); // `also` still listens
//! assert!(book.remove(also).is_some()); // the last one: send UNSUBSCRIBE news
//! ```

use std::collections::{BTreeMap, HashMap, VecDeque};

use bytes::Bytes;

use crate::conn::{Message, SubscriptionKind};
use crate::{CloseReason, Cmd, SendError};

/// How many deliveries a listener's queue holds by default before messages for it are
/// dropped (and counted in a [`Gap::Lagged`]).
pub const DEFAULT_MAX_QUEUED: usize = 10_000;

/// One listener of a [`SubscriberBook`]: a subscription a caller holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListenerId(u64);

/// What a listener receives: a message, or word that some may be missing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delivery {
    /// A message published to one of the listener's channels or patterns.
    Message(Message),
    /// Messages may have been lost here; those after it flow again.
    Gap(Gap),
}

/// Why a listener may have missed messages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Gap {
    /// The connection was lost and replaced, and the new one subscribed again:
    /// messages published in between were not received (pub/sub delivers at most once).
    Reconnected,
    /// The listener's queue was full: this many messages for it were dropped.
    Lagged {
        /// How many.
        dropped: u64,
    },
}

#[derive(Debug)]
struct Listener {
    kind: SubscriptionKind,
    names: Vec<Bytes>,
    queue: VecDeque<Delivery>,
    /// Messages dropped since the queue was last not full.
    dropped: u64,
}

/// Who listens to what on a shared connection, and the deliveries each listener has
/// yet to take. See [the module docs](self).
#[derive(Debug)]
pub struct SubscriberBook {
    listeners: HashMap<ListenerId, Listener>,
    /// Per kind: each subscribed name and its listeners, in the order they came.
    names: [BTreeMap<Bytes, Vec<ListenerId>>; 3],
    next_id: u64,
    max_queued: usize,
    /// Set once the connection is closed for good.
    closed: Option<CloseReason>,
}

impl Default for SubscriberBook {
    fn default() -> Self {
        Self::new()
    }
}

fn index(kind: SubscriptionKind) -> usize {
    match kind {
        SubscriptionKind::Channel => 0,
        SubscriptionKind::Pattern => 1,
        SubscriptionKind::Shard => 2,
    }
}

impl SubscriberBook {
    /// An empty book whose listeners queue at most [`DEFAULT_MAX_QUEUED`] deliveries.
    pub fn new() -> Self {
        SubscriberBook {
            listeners: HashMap::new(),
            names: Default::default(),
            next_id: 0,
            max_queued: DEFAULT_MAX_QUEUED,
            closed: None,
        }
    }

    /// Sets how many deliveries each listener's queue holds (at least 1) before
    /// further messages for it are dropped and counted (see [`Gap::Lagged`]).
    pub fn set_max_queued(&mut self, max: usize) {
        self.max_queued = max.max(1);
    }

    /// How many deliveries each listener's queue holds.
    pub fn max_queued(&self) -> usize {
        self.max_queued
    }

    /// How many listeners there are.
    pub fn len(&self) -> usize {
        self.listeners.len()
    }

    /// True when no one listens.
    pub fn is_empty(&self) -> bool {
        self.listeners.is_empty()
    }

    /// The names of `kind` that have at least one listener: what the connection should
    /// be subscribed to.
    pub fn names(&self, kind: SubscriptionKind) -> impl Iterator<Item = &Bytes> {
        self.names[index(kind)].keys()
    }

    /// Registers a listener of `names` (channels, patterns or shard channels, as
    /// `kind` says). Returns its id and, when some of the names had no listener yet,
    /// the command that subscribes the connection to them, for the body to send.
    /// Messages for the names are queued for the listener from now on.
    ///
    /// Fails with [`SendError::Empty`] when `names` is empty, and with
    /// [`SendError::Closed`] once the book is closed.
    pub fn add(
        &mut self,
        kind: SubscriptionKind,
        names: impl IntoIterator<Item = Bytes>,
    ) -> Result<(ListenerId, Option<Cmd>), SendError> {
        if self.closed.is_some() {
            return Err(SendError::Closed);
        }
        let mut names: Vec<Bytes> = names.into_iter().collect();
        names.sort();
        names.dedup();
        if names.is_empty() {
            return Err(SendError::Empty);
        }
        let id = ListenerId(self.next_id);
        self.next_id += 1;
        let mut cmd: Option<Cmd> = None;
        for name in &names {
            let listeners = self.names[index(kind)].entry(name.clone()).or_default();
            if listeners.is_empty() {
                cmd.get_or_insert_with(|| Cmd::new(kind.subscribe_command()))
                    .push_arg(name);
            }
            listeners.push(id);
        }
        self.listeners.insert(
            id,
            Listener {
                kind,
                names,
                queue: VecDeque::new(),
                dropped: 0,
            },
        );
        Ok((id, cmd))
    }

    /// Removes a listener (its subscription was dropped, or subscribing failed), with
    /// whatever it had not taken. Returns the command that leaves the names it was the
    /// last listener of, for the body to send, if any. An unknown id is ignored.
    pub fn remove(&mut self, id: ListenerId) -> Option<Cmd> {
        let listener = self.listeners.remove(&id)?;
        let names = &mut self.names[index(listener.kind)];
        let mut cmd: Option<Cmd> = None;
        for name in listener.names {
            let Some(listeners) = names.get_mut(&name) else {
                continue;
            };
            listeners.retain(|other| *other != id);
            if listeners.is_empty() {
                names.remove(&name);
                cmd.get_or_insert_with(|| Cmd::new(listener.kind.unsubscribe_command()))
                    .push_arg(&name);
            }
        }
        cmd.filter(|_| self.closed.is_none())
    }

    /// A message arrived: queues it for every listener of its channel (pattern, or
    /// shard channel), and calls `woken` with each of them. A message no one listens
    /// to (one that was on its way when its last listener left) is dropped.
    pub fn handle_message(&mut self, message: Message, mut woken: impl FnMut(ListenerId)) {
        let name = match message.kind {
            SubscriptionKind::Pattern => message.pattern.as_ref(),
            SubscriptionKind::Channel | SubscriptionKind::Shard => Some(&message.channel),
        };
        let Some(ids) = name.and_then(|name| self.names[index(message.kind)].get(name)) else {
            return;
        };
        let max = self.max_queued;
        for id in ids {
            let Some(listener) = self.listeners.get_mut(id) else {
                continue;
            };
            if listener.queue.len() >= max {
                listener.dropped += 1;
                continue;
            }
            if listener.dropped > 0 {
                let dropped = std::mem::take(&mut listener.dropped);
                listener
                    .queue
                    .push_back(Delivery::Gap(Gap::Lagged { dropped }));
            }
            listener.queue.push_back(Delivery::Message(message.clone()));
            woken(*id);
        }
    }

    /// The connection was replaced and subscribed again with
    /// [`restore_cmds`](Self::restore_cmds): tells every listener with
    /// [`Gap::Reconnected`], and calls `woken` with each.
    pub fn handle_reconnected(&mut self, mut woken: impl FnMut(ListenerId)) {
        for (id, listener) in &mut self.listeners {
            listener.queue.push_back(Delivery::Gap(Gap::Reconnected));
            woken(*id);
        }
    }

    /// The connection is closed for good, for `reason`: each listener takes what it
    /// has queued, then is told the reason. Calls `woken` with each listener.
    pub fn handle_closed(&mut self, reason: CloseReason, mut woken: impl FnMut(ListenerId)) {
        self.closed.get_or_insert(reason);
        for id in self.listeners.keys() {
            woken(*id);
        }
    }

    /// Why the book was closed, once it is.
    pub fn closed(&self) -> Option<&CloseReason> {
        self.closed.as_ref()
    }

    /// The listener's next delivery: `Ok(Some(..))`, `Ok(None)` when nothing is queued
    /// yet (the body waits, and is woken through `woken` of the calls above), or
    /// `Err(reason)` once its queue is empty and the connection closed for good (an
    /// unknown listener gets [`CloseReason::Local`]).
    pub fn poll(&mut self, id: ListenerId) -> Result<Option<Delivery>, CloseReason> {
        let Some(listener) = self.listeners.get_mut(&id) else {
            return Err(CloseReason::Local);
        };
        if let Some(delivery) = listener.queue.pop_front() {
            return Ok(Some(delivery));
        }
        if listener.dropped > 0 {
            let dropped = std::mem::take(&mut listener.dropped);
            return Ok(Some(Delivery::Gap(Gap::Lagged { dropped })));
        }
        match &self.closed {
            Some(reason) => Err(reason.clone()),
            None => Ok(None),
        }
    }

    /// The commands that subscribe a new connection to every name that has a
    /// listener: one `SUBSCRIBE`, `PSUBSCRIBE` and `SSUBSCRIBE` each for the kinds
    /// that have names. Send them once the replacement connection is up, then call
    /// [`handle_reconnected`](Self::handle_reconnected).
    pub fn restore_cmds(&self) -> Vec<Cmd> {
        SubscriptionKind::ALL
            .into_iter()
            .filter(|kind| !self.names[index(*kind)].is_empty())
            .map(|kind| {
                let mut cmd = Cmd::new(kind.subscribe_command());
                cmd.push_args(self.names(kind));
                cmd
            })
            .collect()
    }
}
