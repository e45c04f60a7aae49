//! Redis Cluster clients over the core's [`ClusterRouter`](redis_sansio::cluster::ClusterRouter):
//! [`ClusterConnection`] (blocking, `sync` feature) and [`ClusterClient`] (async, any
//! runtime). Both take seed URLs, route each command by the slot of its keys, and
//! follow `MOVED`/`ASK`, retry `TRYAGAIN`/`CLUSTERDOWN`/`LOADING`, and refresh the
//! topology when a node fails.
//!
//! Pipelines run as one pipeline per node (`pipe.run(&mut cluster)`), transactions
//! on the node of their one slot (`tx.run(&cluster)`).
//!
//! Multi-key commands the specification marks `request_policy:multi_shard` (`MGET`,
//! `MSET`, `DEL`, `EXISTS`, `UNLINK`, `TOUCH`) whose keys span slots are split into
//! one command per slot, sent as one pipeline per node, and their replies merged as
//! its `response_policy` says; other commands whose keys span slots are refused with
//! [`ClusterError::CrossSlot`], and so is any such command inside a pipeline or
//! transaction.
//!
//! Keyless commands the specification marks for every primary or every node
//! (`DBSIZE`, `FLUSHALL`, `KEYS`, `SCRIPT LOAD`...) go to all of them, their replies
//! combined as its response policy says. Scripts ([`Invoke`](crate::Invoke)) load on
//! every node when one lacks them.
//!
//! With [`RouterConfig::read_from`] set to [`ReadFrom::PreferReplica`], read-only
//! commands go to replicas (after `READONLY`).
//!
//! `SCAN` walks every primary in turn under one cursor (`Scan::keys().iter_cluster(&mut
//! cluster)`, `Scan::keys().stream(&client)`).
//!
//! `cluster.watch_transaction(&keys, build)` runs a check-and-set transaction on the keys' primary.
//!
//! `cluster.subscriber()` (or [`ClusterSubscriber::open`] /
//! [`AsyncClusterSubscriber::open`]) gives pub/sub managed by the cluster client:
//! shard channels (`SSUBSCRIBE`) on the primaries serving their slots, ordinary
//! channels and patterns on one node, one stream of messages from every node, and the
//! names subscribed again on the new owner when Redis drops them because their slot
//! moved or when a node's connection fails.
//!
//! `cluster.dedicated(key)` opens a connection of its own to the key's primary, for
//! `MONITOR`, long blocking commands, or pub/sub handled by hand.
//!
//! Not supported yet: fan-out inside pipelines.

mod batch;
#[cfg(feature = "sync")]
mod blocking;
mod call;
mod client;
mod fanout;
mod many_nodes;
mod request;
mod route;
mod scan;
mod seeds;
mod split;
mod subscriber;
mod topology_reply;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use redis_sansio::cluster::NodeId;

#[cfg(feature = "sync")]
pub use blocking::ClusterConnection;
pub use client::ClusterClient;
pub use redis_sansio::cluster::{ClusterError, NodeAddr, ReadFrom, RouterConfig};
pub use request::ClusterRequest;
pub use route::command_slot;
pub use scan::ClusterFetch;
#[cfg(feature = "sync")]
pub use scan::ClusterScanIter;
pub use subscriber::AsyncClusterSubscriber;
#[cfg(feature = "sync")]
pub use subscriber::{ClusterMessages, ClusterSubscriber};

/// The clients' connections by node, looked up for every request: hashed by one
/// multiplication of the node's small integer rather than SipHash.
type NodeMap<C> = HashMap<NodeId, C, BuildHasherDefault<NodeIdHasher>>;

/// The hasher of [`NodeMap`]: Fibonacci hashing of the `u32` a [`NodeId`] hashes as.
#[derive(Debug, Default, Clone, Copy)]
struct NodeIdHasher(u64);

impl Hasher for NodeIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    /// Any other input (not what a `NodeId` writes), a byte at a time.
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
}

/// Forgets `node`'s connection in `conns` once `closed` says it has closed, so that
/// the next use opens another.
fn drop_closed<C>(conns: &mut NodeMap<C>, node: NodeId, closed: impl Fn(&C) -> bool) {
    if conns.get(&node).is_some_and(closed) {
        conns.remove(&node);
    }
}
