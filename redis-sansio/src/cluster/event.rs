//! What the router hands back: node handles, events to act on, and decisions about
//! failed requests.

use std::fmt;
use std::time::Instant;

use crate::Cmd;

use super::error::ClusterError;
use super::topology::NodeAddr;

/// A node's handle: a small integer the router gives each node it learns of and never
/// reuses. The adapter keys its connections by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// The handle as a number (for logs and maps).
    pub fn index(self) -> u32 {
        self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node#{}", self.0)
    }
}

/// Which node of a shard a read may go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ReadFrom {
    /// Always the primary.
    #[default]
    Primary,
    /// A usable replica if the shard has one (the connection must have sent
    /// `READONLY`), otherwise the primary.
    PreferReplica,
}

/// The command that asks a node for the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TopologyCommand {
    /// `CLUSTER SHARDS` (Redis 7.0 and later), the first choice.
    Shards,
    /// `CLUSTER SLOTS`, used once a node refuses `CLUSTER SHARDS`.
    Slots,
}

impl TopologyCommand {
    /// The command to send.
    pub fn cmd(self) -> Cmd {
        match self {
            TopologyCommand::Shards => Cmd::new("CLUSTER").arg("SHARDS"),
            TopologyCommand::Slots => Cmd::new("CLUSTER").arg("SLOTS"),
        }
    }
}

/// Something the adapter must do, from [`ClusterRouter::poll_event`](super::ClusterRouter::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClusterEvent {
    /// A node the router now knows of: reach it at `addr` (connect now, or when
    /// first routed to).
    Connect {
        /// Its handle.
        node: NodeId,
        /// Where it listens.
        addr: NodeAddr,
    },
    /// The node left the topology: drop its connection. Its handle is not used again.
    Disconnect {
        /// Its handle.
        node: NodeId,
    },
    /// Send `command` to `node` and hand the reply to
    /// [`handle_topology`](super::ClusterRouter::handle_topology), or report that it
    /// could not be asked with
    /// [`handle_refresh_failure`](super::ClusterRouter::handle_refresh_failure).
    Refresh {
        /// The node to ask.
        node: NodeId,
        /// What to send it.
        command: TopologyCommand,
    },
    /// Every known node was asked for the topology and none gave a usable answer. The
    /// router keeps its last slot table; a later request for a refresh starts over.
    RefreshFailed {
        /// How many nodes were tried.
        tried: usize,
    },
}

/// What to do with a request that failed with a server error, from
/// [`ClusterRouter::handle_error`](super::ClusterRouter::handle_error).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Send it again to `node` (after `MOVED`: the slot table already says so).
    Retry {
        /// Where to send it.
        node: NodeId,
    },
    /// Send `ASKING` and then the request to `node`, back to back on one connection
    /// (after `ASK`); do not change where the slot is routed.
    RetryAsking {
        /// Where to send it.
        node: NodeId,
    },
    /// Route it again and send it once `deadline` has passed (`TRYAGAIN`,
    /// `CLUSTERDOWN`, `LOADING`; bounded exponential backoff).
    RetryAfter {
        /// When to retry.
        deadline: Instant,
    },
    /// Give up with this error.
    Fail(ClusterError),
    /// Not a cluster error: give the server's error to the caller as it is.
    Deliver,
}
