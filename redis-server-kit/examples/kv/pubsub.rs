//! Publish and subscribe: who listens to which channel or pattern, and delivery
//! through each subscriber's outbox.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use redis_sansio::resp::Frame;
use redis_server_kit::Outbox;

use crate::glob;

/// Every subscription of the server, by channel and by pattern.
#[derive(Default)]
pub(crate) struct Registry {
    channels: HashMap<Bytes, HashMap<u64, Outbox>>,
    patterns: HashMap<Bytes, HashMap<u64, Outbox>>,
}

/// Whether a subscription is to a channel or to a pattern.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Channel,
    Pattern,
}

impl Kind {
    fn confirm(self, subscribe: bool) -> &'static str {
        match (self, subscribe) {
            (Kind::Channel, true) => "subscribe",
            (Kind::Channel, false) => "unsubscribe",
            (Kind::Pattern, true) => "psubscribe",
            (Kind::Pattern, false) => "punsubscribe",
        }
    }
}

/// One connection's subscriptions.
#[derive(Default)]
pub(crate) struct Subscriptions {
    pub(crate) channels: HashSet<Bytes>,
    pub(crate) patterns: HashSet<Bytes>,
}

impl Subscriptions {
    /// How many subscriptions the connection holds (the count in confirmations).
    pub(crate) fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    fn of(&mut self, kind: Kind) -> &mut HashSet<Bytes> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
        }
    }
}

/// The confirmation of one (un)subscription: a push in RESP3, an array in RESP2.
fn confirmation(kind: Kind, subscribe: bool, name: Option<Bytes>, count: usize) -> Frame {
    Frame::Push(vec![
        Frame::bulk(kind.confirm(subscribe)),
        name.map_or(Frame::NullBulk, Frame::BulkString),
        Frame::Integer(count as i64),
    ])
}

impl Registry {
    fn of(&mut self, kind: Kind) -> &mut HashMap<Bytes, HashMap<u64, Outbox>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
        }
    }

    /// Subscribes client `id` to `names`; one confirmation per name.
    pub(crate) fn subscribe(
        &mut self,
        kind: Kind,
        id: u64,
        outbox: &Outbox,
        mine: &mut Subscriptions,
        names: &[Bytes],
    ) -> Vec<Frame> {
        names
            .iter()
            .map(|name| {
                if mine.of(kind).insert(name.clone()) {
                    self.of(kind)
                        .entry(name.clone())
                        .or_default()
                        .insert(id, outbox.clone());
                }
                confirmation(kind, true, Some(name.clone()), mine.count())
            })
            .collect()
    }

    /// Unsubscribes client `id` from `names`, or from every one of `kind` when
    /// `names` is empty; one confirmation per name (one with a null name when there
    /// was none).
    pub(crate) fn unsubscribe(
        &mut self,
        kind: Kind,
        id: u64,
        mine: &mut Subscriptions,
        names: &[Bytes],
    ) -> Vec<Frame> {
        let names: Vec<Bytes> = if names.is_empty() {
            mine.of(kind).iter().cloned().collect()
        } else {
            names.to_vec()
        };
        if names.is_empty() {
            return vec![confirmation(kind, false, None, mine.count())];
        }
        names
            .into_iter()
            .map(|name| {
                if mine.of(kind).remove(&name) {
                    let registry = self.of(kind);
                    if let Some(listeners) = registry.get_mut(&name) {
                        listeners.remove(&id);
                        if listeners.is_empty() {
                            registry.remove(&name);
                        }
                    }
                }
                confirmation(kind, false, Some(name), mine.count())
            })
            .collect()
    }

    /// Forgets every subscription of a client that left.
    pub(crate) fn forget(&mut self, id: u64, mine: &mut Subscriptions) {
        self.unsubscribe(Kind::Channel, id, mine, &[]);
        self.unsubscribe(Kind::Pattern, id, mine, &[]);
    }

    /// Delivers `message` to the channel's and matching patterns' subscribers; how
    /// many received it.
    pub(crate) fn publish(&self, channel: &Bytes, message: &Bytes) -> usize {
        let mut received = 0;
        if let Some(listeners) = self.channels.get(channel) {
            let frame = Frame::Push(vec![
                Frame::bulk("message"),
                Frame::BulkString(channel.clone()),
                Frame::BulkString(message.clone()),
            ]);
            received += deliver(listeners, &frame);
        }
        for (pattern, listeners) in &self.patterns {
            if !glob::matches(pattern, channel) {
                continue;
            }
            let frame = Frame::Push(vec![
                Frame::bulk("pmessage"),
                Frame::BulkString(pattern.clone()),
                Frame::BulkString(channel.clone()),
                Frame::BulkString(message.clone()),
            ]);
            received += deliver(listeners, &frame);
        }
        received
    }
}

/// Pushes `frame` to every listener; how many were still connected.
fn deliver(listeners: &HashMap<u64, Outbox>, frame: &Frame) -> usize {
    listeners
        .values()
        .filter(|outbox| outbox.push(frame.clone()))
        .count()
}
