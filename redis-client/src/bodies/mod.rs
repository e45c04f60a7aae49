//! The [`Executor`](crate::Executor) implementations: one small file per body.

#[cfg(feature = "sync")]
mod blocking;
mod cluster;
mod exclusive;
mod multiplexed;
mod pooled;
mod reply_future;

pub use reply_future::ReplyFuture;
