//! Tokio adapter for redis-sansio: exclusive connections and a multiplexed client.
//!
//! **Status: not yet implemented.** This crate is a placeholder in the workspace;
//! the work is tracked in issue 4. Nothing here is usable yet.
