//! The blocking body: one thread runs a mio event loop over every listener and
//! connection, as Redis does; no async runtime.
//!
//! ```no_run
//! use std::sync::Arc;
//! use redis_server_kit::blocking::Server;
//! use redis_server_kit::{ListenAddr, ServerConfig};
//! # use redis_server_kit::{ClientInfo, Cx, Handler, Outbox, Reply, Request};
//! # struct MyHandler;
//! # impl Handler for MyHandler {
//! #     type State = ();
//! #     fn open(&self, _: &ClientInfo, _: &Outbox) {}
//! #     fn call(&self, _: &mut Cx<'_, ()>, _: Request) -> Reply { Reply::ok() }
//! # }
//!
//! let server = Server::bind(
//!     Arc::new(MyHandler),
//!     ServerConfig::default(),
//!     &[ListenAddr::Tcp("127.0.0.1:6380".into())],
//! )?;
//! let shutdown = server.shutdown_handle(); // shutdown.shutdown() from anywhere
//! server.run()?; // returns once shut down
//! # Ok::<(), std::io::Error>(())
//! ```

mod event_loop;
mod stream;

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use crate::config::ServerConfig;
use crate::handler::Handler;
use crate::listen::{BoundAddr, ListenAddr};
use stream::Listener;

/// Sessions with deliveries, and the waker of the loop that drives them.
pub(crate) struct Wakeups {
    tokens: Mutex<Vec<usize>>,
    waker: mio::Waker,
}

impl Wakeups {
    fn wake(&self, token: usize) {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(token);
        // A failed wake leaves the loop asleep until its next event; nothing to do.
        let _ = self.waker.wake();
    }

    fn take(&self, into: &mut Vec<usize>) {
        std::mem::swap(
            &mut *self.tokens.lock().unwrap_or_else(PoisonError::into_inner),
            into,
        );
    }
}

/// Stops a server from any thread: no new connections, requests already read are
/// answered, then every connection closes (after
/// [`ServerConfig::shutdown_grace`] at the latest) and [`Server::run`] returns.
#[derive(Clone)]
pub struct ShutdownHandle {
    requested: Arc<AtomicBool>,
    wakeups: Arc<Wakeups>,
}

impl std::fmt::Debug for ShutdownHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShutdownHandle")
            .field("requested", &self.requested.load(Ordering::Relaxed))
            .finish()
    }
}

impl ShutdownHandle {
    /// Starts the graceful shutdown; returns at once.
    pub fn shutdown(&self) {
        self.requested.store(true, Ordering::SeqCst);
        let _ = self.wakeups.waker.wake();
    }
}

/// A server bound to its addresses, not yet running.
pub struct Server<H: Handler> {
    handler: Arc<H>,
    config: ServerConfig,
    listeners: Vec<Listener>,
    poll: mio::Poll,
    shutdown: ShutdownHandle,
}

impl<H: Handler> std::fmt::Debug for Server<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addrs", &self.local_addrs())
            .finish_non_exhaustive()
    }
}

impl<H: Handler> Server<H> {
    /// Binds every address in `addrs` (TCP and Unix may be mixed).
    pub fn bind(handler: Arc<H>, config: ServerConfig, addrs: &[ListenAddr]) -> io::Result<Self> {
        let listeners = addrs
            .iter()
            .map(Listener::bind)
            .collect::<io::Result<_>>()?;
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), event_loop::WAKER)?;
        Ok(Server {
            handler,
            config,
            listeners,
            poll,
            shutdown: ShutdownHandle {
                requested: Arc::new(AtomicBool::new(false)),
                wakeups: Arc::new(Wakeups {
                    tokens: Mutex::default(),
                    waker,
                }),
            },
        })
    }

    /// The addresses bound, in the order given to [`bind`](Self::bind) (with the
    /// port chosen for `:0`).
    pub fn local_addrs(&self) -> Vec<BoundAddr> {
        self.listeners
            .iter()
            .filter_map(|listener| listener.bound().ok())
            .collect()
    }

    /// A handle that stops [`run`](Self::run) from another thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Serves on this thread until shut down.
    pub fn run(self) -> io::Result<()> {
        event_loop::run(self)
    }

    /// Serves on a new thread; join it for `run`'s result.
    pub fn spawn(self) -> io::Result<JoinHandle<io::Result<()>>> {
        std::thread::Builder::new()
            .name("resp-server".to_owned())
            .spawn(move || self.run())
    }
}
