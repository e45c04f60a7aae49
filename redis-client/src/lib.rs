//! One typed Redis command API, generated from the Redis command specification, over every redis-sansio adapter.
//!
//! **Status: not yet implemented.** This crate is a placeholder in the workspace;
//! the work is tracked in issue 5. Nothing here is usable yet.
