//! Connections to a Sentinel-monitored master (or replica), found through the
//! sentinels and found again after a failover.
//!
//! Each driver is a thin loop around [`redis_sansio::sentinel::Discovery`], the pure
//! state machine that decides whom to ask and what to make of the answers:
//!
//! - [`SentinelConfig`]: the master name, the sentinel URLs, the data node's settings.
//! - [`discover_blocking`] (feature `sync`): a checked [`redis_io_sync::Connection`].
//! - [`discover_exclusive`] and [`discover_client`]: a checked async
//!   [`Connection`](redis_io_async::Connection) or multiplexed
//!   [`Client`](redis_io_async::Client), on any runtime.
//! - [`SentinelClient`] (feature `sync`): a blocking connection that discovers again
//!   after its connection closes or the master refuses a write with `READONLY`,
//!   makes calls wait for the new master during a failover, and runs every
//!   generated command.
//! - [`SentinelMultiplexed`]: the same for a multiplexed async
//!   [`Client`](redis_io_async::Client), on any runtime.
//!
//! Both failover-following clients are one loop (`follow.rs`) over the core's
//! [`Follower`](redis_sansio::sentinel::Follower) machine: it decides when to
//! discover again, the backoff between discoveries, how long calls wait for a new
//! master (counted from when each was made) and which calls are sent again; the two
//! differ only in how they wait.
//!
//! Both failover-following clients of a master also watch a sentinel's
//! `+switch-master` announcements and move to the new master as soon as the sentinels
//! agree on it ([`SentinelConfig::with_failover_watch`]).
//!
//! Failures are [`Error::Sentinel`](crate::Error::Sentinel), a
//! [`SentinelError`] that keeps each
//! sentinel's failure.

#[cfg(feature = "sync")]
mod blocking;
#[cfg(feature = "sync")]
mod client;
mod config;
mod follow;
mod multiplexed;
mod nonblocking;
mod step;
mod watch;

#[cfg(feature = "sync")]
pub use blocking::discover_blocking;
#[cfg(feature = "sync")]
pub use client::SentinelClient;
pub use config::{DEFAULT_SENTINEL_TIMEOUT, SentinelConfig};
pub use multiplexed::{SentinelMultiplexed, SentinelRequest};
pub use nonblocking::{discover_client, discover_exclusive};
pub use redis_sansio::sentinel::{
    Attempt, DEFAULT_FOLLOW_TIMEOUT, Failure, Role, SentinelError, Target,
};
pub use step::Discovered;
