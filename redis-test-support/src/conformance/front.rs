//! Running the suite through something in front of the servers: a proxy under test.
//!
//! A [`Body`](super::Body) whose [`front`](super::Body::front) names a [`Front`] gets
//! its TCP and Unix targets at the addresses the front gives for each server the
//! suite starts (the TLS targets stay direct). The suite's side connections
//! (`CLIENT KILL` from another client, server commands) still reach the server itself.

use std::cell::Cell;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::RedisServer;

/// Where clients reach a server through its front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontAddrs {
    /// The front's TCP address for the server.
    pub tcp: SocketAddr,
    /// The front's Unix socket for the server, if it listens on one; without it the
    /// Unix targets reach the server directly.
    pub unix: Option<PathBuf>,
}

/// Puts a front before `server` (starting it on first use) and says where it listens.
pub type Front = fn(&RedisServer) -> FrontAddrs;

thread_local! {
    /// The front of the check running on this thread, set by `run` and `skipped`.
    static CURRENT: Cell<Option<Front>> = const { Cell::new(None) };
}

/// Sets the front for the checks this thread runs next.
pub(crate) fn install(front: Option<Front>) {
    CURRENT.with(|current| current.set(front));
}

/// The front of the check running on this thread.
pub(crate) fn current() -> Option<Front> {
    CURRENT.with(Cell::get)
}
