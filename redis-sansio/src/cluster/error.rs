//! Why a topology reply could not be read, and why a cluster request failed.

use thiserror::Error;

use crate::ServerError;

use super::event::NodeId;

/// A `CLUSTER SHARDS` or `CLUSTER SLOTS` reply that does not describe a usable
/// cluster.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TopologyError {
    /// The node answered with an error (cluster support disabled, unknown
    /// subcommand, ...).
    #[error("the node answered with an error: {0}")]
    ErrorReply(String),
    /// A value of the wrong kind where the reply's shape expects another.
    #[error("expected {expected} for {what}, found {found}")]
    Unexpected {
        /// What was being read.
        what: &'static str,
        /// The kind expected there.
        expected: &'static str,
        /// The kind found instead.
        found: &'static str,
    },
    /// A field every entry must have is missing.
    #[error("missing {field}")]
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A field with a value that cannot be read (a role that is neither master nor
    /// replica, an odd list of slot bounds, text that is not UTF-8, ...).
    #[error("invalid {field}")]
    InvalidField {
        /// The field.
        field: &'static str,
    },
    /// A slot range outside 0..=16383, or ending before it starts.
    #[error("invalid slot range {start}-{end}")]
    InvalidSlotRange {
        /// The first slot as given.
        start: i64,
        /// The last slot as given.
        end: i64,
    },
    /// A port outside 1..=65535.
    #[error("invalid port {0}")]
    InvalidPort(i64),
    /// A shard that serves slots but lists no primary.
    #[error("a shard with slots has no primary")]
    NoPrimary,
    /// The reply covers no slot at all: the cluster is not set up (yet).
    #[error("the reply assigns no slot to any node")]
    NoSlots,
    /// Two ranges claim the same slot.
    #[error("slot {slot} is assigned twice")]
    OverlappingSlots {
        /// The first slot claimed twice.
        slot: u16,
    },
}

/// Why a request to a cluster failed as a whole (as opposed to the server's own
/// error, which is passed on as it is).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The command's keys hash to different slots, so no single node can run it.
    /// Nothing was sent. Use hash tags (`{user1}:a`, `{user1}:b`) to keep keys that
    /// go together in one slot.
    #[error("the command's keys hash to different slots ({first} and {second}); nothing was sent")]
    CrossSlot {
        /// The first key's slot.
        first: u16,
        /// The slot of the first key that differs.
        second: u16,
    },
    /// `MOVED`/`ASK` redirects went on past the limit.
    #[error("still redirected after {limit} redirects")]
    TooManyRedirects {
        /// The configured limit.
        limit: u32,
    },
    /// `TRYAGAIN`, `CLUSTERDOWN` or `LOADING` went on past the retry limit.
    #[error("still failing after {limit} retries: {last}")]
    TooManyRetries {
        /// The configured limit.
        limit: u32,
        /// The last error the server sent.
        last: ServerError,
    },
    /// No node serves the slot (the cluster does not cover it, or no topology is
    /// known).
    #[error("no node serves slot {slot}")]
    NoNodeForSlot {
        /// The slot.
        slot: u16,
    },
    /// A request was routed to a node that left the topology before its connection
    /// could be opened.
    #[error("{node} left the topology before it could be reached")]
    NodeGone {
        /// The node's handle.
        node: NodeId,
    },
    /// A `MOVED` or `ASK` error whose address cannot be read.
    #[error("cannot read the redirect address {addr:?}")]
    BadRedirect {
        /// The address as sent.
        addr: String,
    },
    /// No known node answered a topology request: every seed and node was tried.
    #[error("no cluster node answered a topology request (tried {tried}){}", last_error_suffix(.last_error))]
    TopologyRefreshFailed {
        /// How many nodes were tried.
        tried: usize,
        /// What went wrong with the last one tried, as the adapter described it.
        last_error: Option<String>,
    },
    /// The client was given no seed address.
    #[error("no seed address was given")]
    NoSeeds,
    /// A cluster subscriber could not subscribe channels (again, after their slot
    /// moved or their node's connection failed) within its reconnect policy's
    /// attempts, and gave them up.
    #[error("could not subscribe {channels} channel(s) after {attempts} attempts{}", last_error_suffix(.last_error))]
    SubscribeFailed {
        /// How many channels, patterns and shard channels were given up.
        channels: usize,
        /// How many rounds of attempts were made.
        attempts: u32,
        /// What went wrong with the last attempt.
        last_error: Option<String>,
    },
}

fn last_error_suffix(last_error: &Option<String>) -> String {
    match last_error {
        Some(error) => format!("; last error: {error}"),
        None => String::new(),
    }
}
