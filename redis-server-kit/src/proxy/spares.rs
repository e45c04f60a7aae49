//! Spare upstream connections, opened ahead of need, for dedicated upstreams.
//!
//! A client's first blocking command, `MULTI`, `SUBSCRIBE`... moves it to a
//! connection of its own. Opening that connection then would put a connect between
//! the client's request and the server, while other clients' requests go straight
//! up the shared upstreams: a `BLPOP` followed by another client's `LPUSH` would
//! reach the server in the wrong order (Redis's test suite does exactly this). So a
//! few connections are kept open and idle; a new dedicated upstream takes one, its
//! request goes up at once, and a replacement is opened in the background.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use redis_sansio::config::ServerAddr;

use super::socket::UpstreamSocket;

/// Idle connections to the upstream, kept at a target count.
pub(crate) struct Spares {
    addr: ServerAddr,
    target: usize,
    idle: Mutex<Vec<UpstreamSocket>>,
    /// Connects under way.
    opening: AtomicUsize,
}

impl Spares {
    /// Keeps `target` idle connections to `addr` (0: none, every dedicated upstream
    /// connects when it is needed).
    pub(crate) fn new(addr: ServerAddr, target: usize) -> Self {
        Spares {
            addr,
            target,
            idle: Mutex::new(Vec::new()),
            opening: AtomicUsize::new(0),
        }
    }

    /// An idle connection that is still open, if there is one; starts opening its
    /// replacement. Call it on a tokio runtime.
    pub(crate) fn take(self: &Arc<Self>) -> Option<UpstreamSocket> {
        let taken = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            // A spare the server closed (a `timeout`, a `CLIENT KILL`) is dropped.
            idle.retain(UpstreamSocket::is_idle_and_open);
            idle.pop()
        };
        self.refill();
        taken
    }

    /// Starts the connects that bring the idle count back to the target (on the
    /// current tokio runtime; none outside one).
    pub(crate) fn refill(self: &Arc<Self>) {
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        loop {
            let opening = self.opening.load(Ordering::Acquire);
            if idle + opening >= self.target {
                return;
            }
            if self
                .opening
                .compare_exchange(opening, opening + 1, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                continue;
            }
            let spares = Arc::clone(self);
            tokio::spawn(async move {
                let socket = UpstreamSocket::connect(&spares.addr).await;
                if let Ok(socket) = socket {
                    spares
                        .idle
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(socket);
                }
                spares.opening.fetch_sub(1, Ordering::AcqRel);
            });
        }
    }
}
