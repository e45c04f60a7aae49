//! Redis Cluster clients over the core's [`ClusterRouter`](redis_sansio::cluster::ClusterRouter):
//! [`ClusterConnection`] (blocking, `sync` feature) and [`ClusterClient`] (async, any
//! runtime). Both take seed URLs, route each command by the slot of its keys, and
//! follow `MOVED`/`ASK`, retry `TRYAGAIN`/`CLUSTERDOWN`/`LOADING`, and refresh the
//! topology when a node fails.
//!
//! Not supported yet: pipelines and transactions over a cluster, pub/sub, reads from
//! replicas (`READONLY`), and commands meant for every node (`KEYS`, `SCAN`,
//! `FLUSHALL` go to one primary only).

mod batch;
#[cfg(feature = "sync")]
mod blocking;
mod client;
mod request;
mod route;
mod seeds;

#[cfg(feature = "sync")]
pub use blocking::ClusterConnection;
pub use client::ClusterClient;
pub use redis_sansio::cluster::{ClusterError, NodeAddr, RouterConfig};
pub use request::ClusterRequest;
pub use route::command_slot;
