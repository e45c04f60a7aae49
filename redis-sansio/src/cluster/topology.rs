//! The cluster's shape, parsed from a `CLUSTER SHARDS` or `CLUSTER SLOTS` reply.
//!
//! The parsers (`shards_reply.rs`, `slots_reply.rs`) accept RESP3 (maps) and RESP2
//! (flat arrays of alternating keys and values), ignore fields they do not know, and
//! answer a malformed reply with a [`TopologyError`], never a panic.

use std::fmt;

use crate::resp::Frame;

use super::error::TopologyError;
use super::slot::SLOT_COUNT;
use super::{shards_reply, slots_reply};

/// A range of hash slots, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SlotRange {
    /// The first slot.
    pub start: u16,
    /// The last slot (included).
    pub end: u16,
}

/// What a node does in its shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// The primary (`master`): it takes writes for the shard's slots.
    Primary,
    /// A replica of the shard's primary.
    Replica,
}

/// How a node is doing, as the node that answered sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Health {
    /// `online`: serving.
    Online,
    /// `failed`: considered down by the cluster.
    Failed,
    /// `loading`: loading its dataset (a replica in initial sync, say).
    Loading,
    /// Not reported (`CLUSTER SLOTS` has no health), or a value this parser does not
    /// know.
    Unknown,
}

impl Health {
    /// Whether the node is worth sending requests to: online, or not known to be
    /// otherwise.
    pub fn is_usable(self) -> bool {
        matches!(self, Health::Online | Health::Unknown)
    }
}

/// A node's TCP endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodeAddr {
    /// A host name, an IPv4 address or an IPv6 address (without brackets).
    pub host: String,
    /// The port.
    pub port: u16,
}

impl NodeAddr {
    /// An endpoint.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        NodeAddr {
            host: host.into(),
            port,
        }
    }

    /// Parses `host:port` as a `MOVED`/`ASK` error gives it (`[::1]:7000` for IPv6;
    /// an empty host means `default_host`, the host of the node that answered).
    pub fn parse_redirect(addr: &str, default_host: &str) -> Option<NodeAddr> {
        let (host, port) = addr.rsplit_once(':')?;
        let port = port.parse().ok().filter(|&p: &u16| p != 0)?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let host = if host.is_empty() { default_host } else { host };
        Some(NodeAddr::new(host, port))
    }
}

impl fmt::Display for NodeAddr {
    /// `host:port`, with an IPv6 host in brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// One node as a topology reply describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// The node's cluster id (40 hex characters), when the reply gives it.
    pub id: Option<String>,
    /// Where to reach it: the preferred endpoint, or the host of the node that
    /// answered when the endpoint is `""` or `"?"`.
    pub addr: NodeAddr,
    /// Primary or replica.
    pub role: Role,
    /// How it is doing.
    pub health: Health,
}

/// One primary, its replicas and the slots they serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// The slot ranges, in the order the reply gave them.
    pub slots: Vec<SlotRange>,
    /// The primary.
    pub primary: NodeInfo,
    /// The replicas.
    pub replicas: Vec<NodeInfo>,
}

/// The whole cluster: its shards.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Topology {
    /// The shards; a shard without slots (an empty primary) is kept.
    pub shards: Vec<Shard>,
}

impl Topology {
    /// How many slots some shard serves.
    pub fn covered_slots(&self) -> usize {
        self.shards
            .iter()
            .flat_map(|s| &s.slots)
            .map(|r| usize::from(r.end - r.start) + 1)
            .sum()
    }

    /// Parses a `CLUSTER SHARDS` reply (Redis 7.0 and later). `answered_host` is the
    /// host of the node that sent it, used for endpoints given as `""` or `"?"`.
    ///
    /// A shard with slots but no primary, a slot out of range, a missing port or an
    /// error reply is a [`TopologyError`]; so is a reply that covers no slot, or one
    /// slot twice.
    ///
    /// Each node's address has its `port`, or its `tls-port` when it has no `port`
    /// (or `port` is 0: a TLS-only node). For clients that connect with TLS, see
    /// [`from_shards_tls`](Self::from_shards_tls).
    pub fn from_shards(reply: &Frame, answered_host: &str) -> Result<Topology, TopologyError> {
        Topology::covering(shards_reply::parse(reply, answered_host, false)?)
    }

    /// As [`from_shards`](Self::from_shards), for clients that connect with TLS: each
    /// node's address has its `tls-port`, or its `port` when it has no `tls-port`. A
    /// node of a cluster serving both plain text and TLS (`tls-cluster yes` with both
    /// `port` and `tls-port` set) lists both, and a TLS client must take the TLS one.
    /// (`CLUSTER SLOTS` and `MOVED`/`ASK` need no such choice: the server names the
    /// port of the asking connection's kind.)
    pub fn from_shards_tls(reply: &Frame, answered_host: &str) -> Result<Topology, TopologyError> {
        Topology::covering(shards_reply::parse(reply, answered_host, true)?)
    }

    /// Parses a `CLUSTER SLOTS` reply (the fallback for servers before 7.0): one
    /// entry per slot range, grouped here into shards by primary.
    pub fn from_slots(reply: &Frame, answered_host: &str) -> Result<Topology, TopologyError> {
        Topology::covering(slots_reply::parse(reply, answered_host)?)
    }

    /// Checks that the shards serve some slot, and none twice.
    fn covering(shards: Vec<Shard>) -> Result<Topology, TopologyError> {
        let mut seen = vec![false; usize::from(SLOT_COUNT)];
        let mut any = false;
        for range in shards.iter().flat_map(|s| &s.slots) {
            for slot in range.start..=range.end {
                let claimed =
                    seen.get_mut(usize::from(slot))
                        .ok_or(TopologyError::InvalidSlotRange {
                            start: range.start.into(),
                            end: range.end.into(),
                        })?;
                if std::mem::replace(claimed, true) {
                    return Err(TopologyError::OverlappingSlots { slot });
                }
                any = true;
            }
        }
        if !any {
            return Err(TopologyError::NoSlots);
        }
        Ok(Topology { shards })
    }
}
