//! Pub/sub: recognising messages and confirmations, and tracking what the connection
//! is subscribed to so an adapter can replay it after reconnecting.

use std::collections::BTreeSet;

use bytes::Bytes;

use super::command::SubscriptionKind;
use crate::Cmd;
use crate::resp::Frame;

/// A published message delivered to this connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Which subscription delivered it.
    pub kind: SubscriptionKind,
    /// The channel it was published to.
    pub channel: Bytes,
    /// The pattern that matched, for [`SubscriptionKind::Pattern`].
    pub pattern: Option<Bytes>,
    /// The message itself.
    pub payload: Bytes,
}

/// The channels, patterns and shard channels the server has confirmed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscriptions {
    /// `SUBSCRIBE`d channels.
    pub channels: BTreeSet<Bytes>,
    /// `PSUBSCRIBE`d patterns.
    pub patterns: BTreeSet<Bytes>,
    /// `SSUBSCRIBE`d shard channels.
    pub shard_channels: BTreeSet<Bytes>,
}

impl Subscriptions {
    /// True when nothing is subscribed.
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.patterns.is_empty() && self.shard_channels.is_empty()
    }

    /// The set for one kind.
    pub fn of(&self, kind: SubscriptionKind) -> &BTreeSet<Bytes> {
        match kind {
            SubscriptionKind::Channel => &self.channels,
            SubscriptionKind::Pattern => &self.patterns,
            SubscriptionKind::Shard => &self.shard_channels,
        }
    }

    /// The commands that subscribe a new connection to all of this: one `SUBSCRIBE`,
    /// `PSUBSCRIBE` and `SSUBSCRIBE` each for the kinds that have names. Send them
    /// after reconnecting to carry the subscriptions over (messages published in
    /// between are lost: pub/sub delivers at most once).
    pub fn resubscribe_cmds(&self) -> Vec<Cmd> {
        SubscriptionKind::ALL
            .into_iter()
            .filter(|kind| !self.of(*kind).is_empty())
            .map(|kind| {
                let mut cmd = Cmd::new(kind.subscribe_command());
                cmd.push_args(self.of(kind));
                cmd
            })
            .collect()
    }

    /// The commands that leave every subscription of this: `UNSUBSCRIBE`,
    /// `PUNSUBSCRIBE` and `SUNSUBSCRIBE` with no names, for the kinds that have any.
    pub fn unsubscribe_cmds(&self) -> Vec<Cmd> {
        SubscriptionKind::ALL
            .into_iter()
            .filter(|kind| !self.of(*kind).is_empty())
            .map(|kind| Cmd::new(kind.unsubscribe_command()))
            .collect()
    }

    fn of_mut(&mut self, kind: SubscriptionKind) -> &mut BTreeSet<Bytes> {
        match kind {
            SubscriptionKind::Channel => &mut self.channels,
            SubscriptionKind::Pattern => &mut self.patterns,
            SubscriptionKind::Shard => &mut self.shard_channels,
        }
    }

    /// Records a confirmation.
    pub(crate) fn apply(&mut self, confirmation: &Confirmation) {
        let set = self.of_mut(confirmation.kind);
        match (&confirmation.name, confirmation.subscribed) {
            (Some(name), true) => {
                set.insert(name.clone());
            }
            (Some(name), false) => {
                set.remove(name);
            }
            (None, _) => {}
        }
    }
}

/// A subscribe or unsubscribe confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Confirmation {
    pub(crate) kind: SubscriptionKind,
    /// True for subscribe, false for unsubscribe.
    pub(crate) subscribed: bool,
    /// The channel or pattern; `None` for an unsubscribe-all when nothing was subscribed.
    pub(crate) name: Option<Bytes>,
}

/// What a pub/sub-shaped frame is.
#[derive(Debug)]
pub(crate) enum PubSubFrame {
    Message(Message),
    Confirmation(Confirmation),
}

/// Recognises a pub/sub message or confirmation: a RESP3 push, or (in RESP2
/// subscribed mode) an array whose first element names the kind.
/// True when `items` is shaped like a message (`message`, `pmessage`, `smessage`
/// first), whatever its payload: client-tracking invalidations arrive as messages
/// whose payload is an array of keys (or null), which [`recognise`] does not take.
pub(crate) fn is_message(items: &[Frame]) -> bool {
    items.first().and_then(Frame::as_bytes).is_some_and(|kind| {
        [&b"message"[..], b"pmessage", b"smessage"]
            .iter()
            .any(|name| kind.eq_ignore_ascii_case(name))
    })
}

pub(crate) fn recognise(items: &[Frame]) -> Option<PubSubFrame> {
    let text = |i: usize| -> Option<&Bytes> { items.get(i)?.as_bytes() };
    let kind_name = text(0)?;
    let mut lower = [0u8; 12];
    if kind_name.len() > lower.len() {
        return None;
    }
    for (l, b) in lower.iter_mut().zip(kind_name.iter()) {
        *l = b.to_ascii_lowercase();
    }
    use SubscriptionKind::*;
    let message = |kind| {
        Some(PubSubFrame::Message(Message {
            kind,
            channel: text(1)?.clone(),
            pattern: None,
            payload: text(2)?.clone(),
        }))
    };
    let confirmation = |kind, subscribed| {
        if items.len() != 3 {
            return None;
        }
        Some(PubSubFrame::Confirmation(Confirmation {
            kind,
            subscribed,
            name: text(1).cloned(),
        }))
    };
    match &lower[..kind_name.len()] {
        b"message" if items.len() == 3 => message(Channel),
        b"smessage" if items.len() == 3 => message(Shard),
        b"pmessage" if items.len() == 4 => Some(PubSubFrame::Message(Message {
            kind: Pattern,
            pattern: Some(text(1)?.clone()),
            channel: text(2)?.clone(),
            payload: text(3)?.clone(),
        })),
        b"subscribe" => confirmation(Channel, true),
        b"psubscribe" => confirmation(Pattern, true),
        b"ssubscribe" => confirmation(Shard, true),
        b"unsubscribe" => confirmation(Channel, false),
        b"punsubscribe" => confirmation(Pattern, false),
        b"sunsubscribe" => confirmation(Shard, false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(names: &[&'static str]) -> BTreeSet<Bytes> {
        names
            .iter()
            .map(|name| Bytes::from_static(name.as_bytes()))
            .collect()
    }

    #[test]
    fn commands_replay_and_leave_each_kind_that_has_names() {
        let subscriptions = Subscriptions {
            channels: names(&["news", "weather"]),
            patterns: BTreeSet::new(),
            shard_channels: names(&["{u}:1"]),
        };
        assert_eq!(
            subscriptions.resubscribe_cmds(),
            [
                Cmd::new("SUBSCRIBE").arg("news").arg("weather"),
                Cmd::new("SSUBSCRIBE").arg("{u}:1"),
            ]
        );
        assert_eq!(
            subscriptions.unsubscribe_cmds(),
            [Cmd::new("UNSUBSCRIBE"), Cmd::new("SUNSUBSCRIBE")]
        );
        assert!(Subscriptions::default().resubscribe_cmds().is_empty());
        assert!(Subscriptions::default().unsubscribe_cmds().is_empty());
    }
}
