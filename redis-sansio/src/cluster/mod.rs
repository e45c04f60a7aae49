//! Redis Cluster routing as a pure state machine: hash slots, the topology, and a
//! router that follows redirects, paces retries and refreshes, and talks to the
//! adapter's connections through integer [`NodeId`] handles and [`ClusterEvent`]s.
//!
//! - [`key_slot`]: CRC16 of a key (or its `{hash tag}`) modulo 16384.
//! - [`Topology`]: shards, their slot ranges and nodes, parsed from `CLUSTER SHARDS`
//!   or (for older servers) `CLUSTER SLOTS`, in RESP2 or RESP3.
//! - [`ClusterRouter`]: the slot table and node table; decides where a request goes
//!   and what to do when it fails ([`Decision`]); says when to connect, disconnect and
//!   ask for the topology ([`ClusterEvent`]).
//! - [`Routing`]: where a command goes, computed once from the command table (its
//!   slot, the nodes of a fan-out, a per-slot split, read-only or not, whether it may
//!   be sent again after a lost connection).
//! - [`ClusterCall`]: one request as a machine over the router: which node, `ASKING`
//!   or not, how long to wait, when to give up; it owns the attempt counts, backoff
//!   and deadline ([`CallAction`]).
//! - [`ClusterSubscriptions`]: a cluster subscriber's books: which channel is subscribed
//!   on which node, and what must be subscribed again where after a slot moved or a
//!   node's connection failed.
//!
//! The adapter's loop, against a make-believe one-node cluster:
//!
//! ```
//! use std::time::Instant;
//! use redis_sansio::cluster::{key_slot, ClusterEvent, ClusterRouter, NodeAddr, ReadFrom, RouterConfig};
//! use redis_sansio::resp::Frame;
//!
//! let now = Instant::now();
//! let mut router = ClusterRouter::new(RouterConfig::default());
//! let seed = router.add_seed(NodeAddr::new("127.0.0.1", 7000));
//! router.request_refresh(now);
//! while let Some(event) = router.poll_event() {
//!     match event {
//!         ClusterEvent::Connect { node, addr } => { /* remember where `node` is */ }
//!         ClusterEvent::Refresh { node, command } => {
//!             // Send `command.cmd()` on `node`'s connection; here, a canned reply.
//!             let reply = Frame::Array(vec![Frame::Array(vec![
//!                 Frame::Integer(0),
//!                 Frame::Integer(16383),
//!                 Frame::Array(vec![Frame::bulk("127.0.0.1"), Frame::Integer(7000)]),
//!             ])]);
//!             # let reply = if command == redis_sansio::cluster::TopologyCommand::Shards {
//!             #     Frame::error("ERR unknown subcommand 'SHARDS'") } else { reply };
//!             let _ = router.handle_topology(&reply, node, now);
//!         }
//!         _ => {}
//!     }
//! }
//! assert_eq!(router.route(key_slot(b"user:1"), ReadFrom::Primary), Some(seed));
//! ```

mod call;
mod config;
mod error;
mod event;
mod nodes;
mod pubsub;
mod refresh;
mod reply_fields;
mod router;
mod routing;
mod shards_reply;
mod slot;
mod slot_table;
mod slots_reply;
mod topology;

pub use call::{CallAction, ClusterCall};
pub use config::{
    DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_RETRIES, DEFAULT_PERIODIC_REFRESH, DEFAULT_REFRESH_INTERVAL,
    DEFAULT_REFRESH_TIMEOUT, DEFAULT_RETRY_BASE, DEFAULT_RETRY_MAX, DEFAULT_RETRY_TIMEOUT,
    RouterConfig,
};
pub use error::{ClusterError, TopologyError};
pub use event::{ClusterEvent, Decision, NodeId, ReadFrom, TopologyCommand};
pub use pubsub::{BatchOutcome, ClusterSubscriptions, DropReason, Dropped, PubSubBatch};
pub use router::ClusterRouter;
pub use routing::{Routing, Target, command_slot, same_slot};
pub use slot::{SLOT_COUNT, crc16, hash_tag, key_slot};
pub use topology::{Health, NodeAddr, NodeInfo, Role, Shard, SlotRange, Topology};
