//! Observability for the `tracing` ecosystem (feature `tracing`), written once here so
//! every body (blocking, async, pools, cluster, Sentinel) reports the same way.
//!
//! - **A span per request**, `redis.command`, opened when the request is queued
//!   ([`Connection::send`](crate::conn::Connection::send) and friends) and closed when
//!   its outcome is decided (reply, server error, timeout or close), so its duration
//!   is the request's latency as the core saw it. Fields follow OpenTelemetry's
//!   database conventions: `db.system` (`redis`), `db.operation.name` (the command's
//!   name as sent, `GET`), `server.address` and `server.port` (or the socket path),
//!   `otel.name` (the command's name), and `error.type` when the outcome is an error
//!   (the server error's kind, `timeout`, or `closed`). No argument value is
//!   recorded. The span's parent is the span current where the request was queued.
//! - **Events** (target `redis_sansio`): `connected` (the handshake is done, with the
//!   protocol), `connection closed` (with the reason), `reconnecting` (attempt and
//!   delay) and `reconnect given up`, `cluster redirect` (`MOVED` or `ASK`, slot,
//!   node), `waiting for a failover`, and `pool wait` (a checkout that has to wait).
//!
//! With the feature off, every item here is an empty inline function or a zero-sized
//! type: nothing is compiled in. With it on and no subscriber listening, a request
//! costs one check of the callsite's interest.

#[cfg(feature = "tracing")]
mod on;
#[cfg(feature = "tracing")]
pub(crate) use on::*;

#[cfg(not(feature = "tracing"))]
mod off;
#[cfg(not(feature = "tracing"))]
pub(crate) use off::*;
