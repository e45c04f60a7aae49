//! The `tracing` feature on: spans and events.

use std::collections::VecDeque;
use std::time::Duration;

use tracing::field::Empty;
use tracing::{Span, debug, info_span, warn};

use crate::config::ServerAddr;
use crate::conn::RequestId;
use crate::error::{CloseReason, RequestError};
use crate::resp::Frame;

/// The open span of each request whose outcome is not decided yet, by id.
#[derive(Debug, Default)]
pub(crate) struct RequestSpans {
    /// Increasing ids; only spans a subscriber is interested in are kept.
    open: VecDeque<(RequestId, Span)>,
}

impl RequestSpans {
    /// Opens `id`'s span: `name` is the command's name as sent.
    #[inline]
    pub(crate) fn start(&mut self, id: RequestId, name: Option<&[u8]>, server: &ServerAddr) {
        // The fields are computed only when a subscriber wants the span.
        let span = info_span!(
            target: "redis_sansio",
            "redis.command",
            otel.name = command_name(name),
            db.system = "redis",
            db.operation.name = command_name(name),
            server.address = address(server),
            server.port = port(server),
            error.type = Empty,
        );
        if !span.is_disabled() {
            self.open.push_back((id, span));
        }
    }

    /// Closes `id`'s span, recording the error when the outcome is one.
    #[inline]
    pub(crate) fn finish(&mut self, id: RequestId, outcome: &Result<Frame, RequestError>) {
        if self.open.is_empty() {
            return;
        }
        let at = match self.open.front() {
            Some((front, _)) if *front == id => 0,
            _ => match self.open.binary_search_by_key(&id, |(open, _)| *open) {
                Ok(at) => at,
                Err(_) => return,
            },
        };
        if let Some((_, span)) = self.open.remove(at) {
            if let Err(error) = outcome {
                span.record("error.type", error_type(error));
            }
        }
    }
}

fn command_name(name: Option<&[u8]>) -> &str {
    name.and_then(|name| std::str::from_utf8(name).ok())
        .unwrap_or("?")
}

fn address(server: &ServerAddr) -> &str {
    match server {
        ServerAddr::Tcp { host, .. } => host,
        ServerAddr::Unix { path } => path.to_str().unwrap_or("?"),
    }
}

fn port(server: &ServerAddr) -> Option<u16> {
    match server {
        ServerAddr::Tcp { port, .. } => Some(*port),
        ServerAddr::Unix { .. } => None,
    }
}

fn error_type(error: &RequestError) -> &str {
    match error {
        RequestError::Server(error) => {
            let message = error.message();
            let code = message.split(|&b| b == b' ').next().unwrap_or_default();
            std::str::from_utf8(code).unwrap_or("server")
        }
        RequestError::Timeout => "timeout",
        RequestError::Closed(_) => "closed",
        _ => "error",
    }
}

/// The handshake is done.
pub(crate) fn connected(server: &ServerAddr, protocol: crate::resp::Version) {
    debug!(target: "redis_sansio", server = %server, ?protocol, "connected");
}

/// The connection closed, for `reason`.
pub(crate) fn closed(server: &ServerAddr, reason: &CloseReason) {
    debug!(target: "redis_sansio", server = %server, reason = %reason, "connection closed");
}

/// A lost connection is to be replaced: attempt `attempt` after `delay`.
pub(crate) fn reconnecting(attempt: u32, delay: Duration) {
    debug!(target: "redis_sansio", attempt, ?delay, "reconnecting");
}

/// Reconnection ended for good.
pub(crate) fn reconnect_given_up(reason: Option<&CloseReason>) {
    warn!(target: "redis_sansio", reason = ?reason, "reconnect given up");
}

/// A cluster node redirected a request (`MOVED` or `ASK`).
pub(crate) fn redirected(kind: &str, slot: u16, to: &str) {
    debug!(target: "redis_sansio", kind, slot, to, "cluster redirect");
}

/// A cluster request waits for a failover (its node is down).
pub(crate) fn failover_wait(slot: Option<u16>, delay: Duration) {
    debug!(target: "redis_sansio", slot = ?slot, ?delay, "waiting for a failover");
}

/// A pool checkout has to wait: `waiting` callers wait now, `size` connections exist.
pub(crate) fn pool_wait(waiting: usize, size: usize) {
    debug!(target: "redis_sansio", waiting, size, "pool wait");
}
