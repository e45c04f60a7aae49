//! The checks, each generic over [`Body`](super::Body) and run over the four
//! targets (TCP and Unix, RESP3 and RESP2) unless its documentation says otherwise.
//!
//! Servers: `handshake`, `select`, `pipeline`, `binary_values`, `transactions`, `watch`,
//! `pubsub`, `events_see_close`, `tracking_pushes`, `tracking_redirect`, `blocking_commands`, `client_kill`, `close_reason_with_failure` and
//! `concurrent_tasks` share one server per test process (`longest_timeouts` too, and the
//! TLS server below), and `auth` one with a
//! password and an ACL user; `response_timeout` and `handshake_timeout` each start
//! their own (`DEBUG SLEEP` stops every client of a server), and
//! `server_killed_mid_pipeline` one per target (it kills it). The TLS checks
//! (`tls_requests`, `tls_verification`, `tls_client_certificates`) share a TLS
//! server, or one requiring client certificates, and run over its TLS port only.
//! `unexpected_replies` runs against a [`FakeServer`](crate::FakeServer) of its own
//! per case (a real server cannot be made to answer twice), over TCP.

mod auth;
mod concurrency;
mod events;
mod failures;
mod faults;
mod hostile;
mod requests;
mod tls;

pub use auth::auth;
pub use concurrency::concurrent_tasks;
pub use events::{events_see_close, pubsub, tracking_pushes, tracking_redirect};
pub use failures::connect_failures;
pub use faults::{
    blocking_commands, client_kill, close_reason_with_failure, handshake_timeout, longest_timeouts,
    response_timeout, server_killed_mid_pipeline,
};
pub use hostile::unexpected_replies;
pub use requests::{binary_values, handshake, pipeline, select, transactions, watch};
pub use tls::{tls_client_certificates, tls_requests, tls_verification};
