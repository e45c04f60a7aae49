//! The tokio body: a task per connection, each moving bytes between its socket and
//! its [`Session`].
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use redis_server_kit::{ClientInfo, Cx, Handler, ListenAddr, Outbox, Reply, Request, ServerConfig};
//! # struct MyHandler;
//! # impl Handler for MyHandler {
//! #     type State = ();
//! #     fn open(&self, _: &ClientInfo, _: &Outbox) {}
//! #     fn call(&self, _: &mut Cx<'_, ()>, _: Request) -> Reply { Reply::ok() }
//! # }
//! # async fn serve() -> std::io::Result<()> {
//! use redis_server_kit::tokio::Server;
//! let server = Server::bind(
//!     Arc::new(MyHandler),
//!     ServerConfig::default(),
//!     &[ListenAddr::Tcp("127.0.0.1:6380".into())],
//! ).await?;
//! let shutdown = server.shutdown_handle(); // shutdown.shutdown() from anywhere
//! server.run().await // returns once shut down and every connection is closed
//! # }
//! ```

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{Notify, mpsc, watch};

use crate::config::ServerConfig;
use crate::handler::Handler;
use crate::listen::{BoundAddr, ListenAddr, remove_stale_socket};
use crate::session::Session;

/// A bound listener.
enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, std::path::PathBuf),
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Stops a server from anywhere: no new connections, requests already read are
/// answered, then every connection closes (after
/// [`ServerConfig::shutdown_grace`] at the latest) and [`Server::run`] returns.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    sender: Arc<watch::Sender<bool>>,
}

impl ShutdownHandle {
    /// Starts the graceful shutdown; returns at once.
    pub fn shutdown(&self) {
        self.sender.send_replace(true);
    }
}

/// A server bound to its addresses, not yet running.
pub struct Server<H: Handler> {
    handler: Arc<H>,
    config: Arc<ServerConfig>,
    listeners: Vec<Listener>,
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
    /// Binds every address in `addrs` (TCP and Unix may be mixed). Call it inside a
    /// tokio runtime.
    pub async fn bind(
        handler: Arc<H>,
        config: ServerConfig,
        addrs: &[ListenAddr],
    ) -> io::Result<Self> {
        let mut listeners = Vec::with_capacity(addrs.len());
        for addr in addrs {
            listeners.push(match addr {
                ListenAddr::Tcp(addr) => Listener::Tcp(TcpListener::bind(addr.as_str()).await?),
                ListenAddr::Unix(path) => {
                    remove_stale_socket(path)?;
                    Listener::Unix(UnixListener::bind(path)?, path.clone())
                }
            });
        }
        Ok(Server {
            handler,
            config: Arc::new(config),
            listeners,
            shutdown: ShutdownHandle {
                sender: Arc::new(watch::channel(false).0),
            },
        })
    }

    /// The addresses bound, in the order given to [`bind`](Self::bind).
    pub fn local_addrs(&self) -> Vec<BoundAddr> {
        self.listeners
            .iter()
            .filter_map(|listener| match listener {
                Listener::Tcp(l) => l.local_addr().ok().map(BoundAddr::Tcp),
                Listener::Unix(_, path) => Some(BoundAddr::Unix(path.clone())),
            })
            .collect()
    }

    /// A handle that stops [`run`](Self::run).
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Accepts and serves clients, each on a task of its own, until shut down; then
    /// waits for every connection to close.
    pub async fn run(self) -> io::Result<()> {
        let ids = Arc::new(AtomicU64::new(1));
        // Each connection task holds a sender; when all are gone, all are closed.
        let (alive, mut all_closed) = mpsc::channel::<()>(1);
        let mut accept_tasks = Vec::new();
        for listener in self.listeners {
            let serve = Accept {
                handler: Arc::clone(&self.handler),
                config: Arc::clone(&self.config),
                ids: Arc::clone(&ids),
                shutdown: self.shutdown.sender.subscribe(),
                alive: alive.clone(),
            };
            accept_tasks.push(tokio::spawn(serve.run(listener)));
        }
        drop(alive);
        let mut shutdown = self.shutdown.sender.subscribe();
        let _ = shutdown.wait_for(|&stop| stop).await;
        let mut result = Ok(());
        for task in accept_tasks {
            if let Ok(Err(error)) = task.await {
                result = Err(error);
            }
        }
        let _ = all_closed.recv().await;
        result
    }
}

/// One listener's accept loop.
struct Accept<H: Handler> {
    handler: Arc<H>,
    config: Arc<ServerConfig>,
    ids: Arc<AtomicU64>,
    shutdown: watch::Receiver<bool>,
    alive: mpsc::Sender<()>,
}

impl<H: Handler> Accept<H> {
    async fn run(self, listener: Listener) -> io::Result<()> {
        let mut shutdown = self.shutdown.clone();
        loop {
            tokio::select! {
                _ = stopped(&mut shutdown) => return Ok(()),
                accepted = accept(&listener) => match accepted {
                    Ok(Some(accepted)) => self.spawn(accepted),
                    Ok(None) => {}
                    Err(error) => return Err(error),
                },
            }
        }
    }

    fn spawn(&self, accepted: Accepted) {
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        let conn = Conn {
            handler: Arc::clone(&self.handler),
            config: Arc::clone(&self.config),
            shutdown: self.shutdown.clone(),
            _alive: self.alive.clone(),
        };
        match accepted {
            Accepted::Tcp(stream, peer) => {
                tokio::spawn(conn.serve(stream, id, peer));
            }
            Accepted::Unix(stream, peer) => {
                tokio::spawn(conn.serve(stream, id, peer));
            }
        }
    }
}

enum Accepted {
    Tcp(tokio::net::TcpStream, String),
    Unix(tokio::net::UnixStream, String),
}

/// The next connection; `None` for a failed accept worth retrying (a reset
/// connection, a full descriptor table).
async fn accept(listener: &Listener) -> io::Result<Option<Accepted>> {
    let accepted = match listener {
        Listener::Tcp(l) => l.accept().await.map(|(stream, peer)| {
            let _ = stream.set_nodelay(true);
            Accepted::Tcp(stream, peer.to_string())
        }),
        Listener::Unix(l, path) => l
            .accept()
            .await
            .map(|(stream, _)| Accepted::Unix(stream, format!("{}:0", path.display()))),
    };
    match accepted {
        Ok(accepted) => Ok(Some(accepted)),
        Err(error) if error.kind() == io::ErrorKind::InvalidInput => Err(error),
        Err(_) => {
            // Back off briefly so a full descriptor table does not spin the task.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            Ok(None)
        }
    }
}

/// Resolves once shutdown is requested (or the server is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|&stop| stop).await;
}

/// One connection's task.
struct Conn<H: Handler> {
    handler: Arc<H>,
    config: Arc<ServerConfig>,
    shutdown: watch::Receiver<bool>,
    _alive: mpsc::Sender<()>,
}

impl<H: Handler> Conn<H> {
    async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut self, stream: S, id: u64, peer: String) {
        let notify = Arc::new(Notify::new());
        let wake = {
            let notify = Arc::clone(&notify);
            move || notify.notify_one()
        };
        let handler = &*self.handler;
        let mut session = Session::new(handler, &self.config, id, peer, wake);
        let mut grace_over = None;
        let mut scratch = bytes::BytesMut::with_capacity(self.config.read_chunk.max(1));
        // Reading and writing wait side by side, so that a client that does not read
        // does not stop the session from taking its deliveries (and from dropping
        // it once its pushes pass `max_push_output`).
        let (mut reader, mut writer) = tokio::io::split(stream);
        loop {
            session.handle_deliveries();
            session.handle_requests(handler);
            if session.is_finished() {
                break;
            }
            let reading = session.wants_read();
            let writing = !session.transmit().is_empty();
            let stopping = grace_over.is_none();
            let grace = grace_over.unwrap_or_else(tokio::time::Instant::now);
            tokio::select! {
                biased;
                _ = stopped(&mut self.shutdown), if stopping => {
                    grace_over = Some(tokio::time::Instant::now() + self.config.shutdown_grace);
                    session.handle_shutdown();
                }
                _ = tokio::time::sleep_until(grace), if !stopping => session.handle_abort(),
                written = writer.write(session.transmit()), if writing => match written {
                    Ok(n) if n > 0 => session.advance_transmit(n),
                    _ => session.handle_abort(),
                },
                _ = notify.notified() => {}
                // Into a scratch buffer (tokio reads into its spare capacity without
                // zeroing it), then copied into the session.
                read = reader.read_buf(&mut scratch), if reading => match read {
                    Ok(0) => session.handle_eof(),
                    Ok(_) => {
                        session.handle_input(&scratch);
                        scratch.clear();
                    }
                    Err(_) => session.handle_abort(),
                },
            }
        }
        session.close(handler);
        let _ = writer.shutdown().await;
    }
}
