//! What a runtime provides: sockets, a timer and `spawn`. Everything else is generic.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};
use std::time::Instant;

/// A connected byte stream, polled for reads and writes.
///
/// This is the smallest common shape of tokio's `AsyncRead`/`AsyncWrite` and of
/// futures-io's traits, so each runtime wraps its socket type in a few lines. The
/// buffers are plain initialised slices; the driver reads straight into the
/// connection core's own buffer.
pub trait Socket: Send + Unpin + 'static {
    /// Reads into `buf`: `Ok(0)` means end of stream. On `Pending`, the waker in `cx`
    /// is woken once the socket may be readable.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;

    /// [`poll_read`](Self::poll_read), but sure to see bytes that have already
    /// arrived, even if the runtime's reactor has not noticed them yet. The driver
    /// calls it before a request goes out on an idle connection, to read a reply
    /// nobody asked for before it could be taken for the new request's (see
    /// `redis_sansio::conn::Connection::is_idle`).
    ///
    /// The default is `poll_read`, right for sockets that try the read itself before
    /// consulting the reactor (async-io's). A runtime that answers from readiness it
    /// cached (tokio) asks the OS first.
    fn poll_read_now(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_read(cx, buf)
    }

    /// Writes some of `buf` and says how much. On `Pending`, the waker in `cx` is woken
    /// once the socket may be writable.
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
}

/// One async runtime: how to open sockets, sleep and spawn.
///
/// Implemented once per runtime (tokio in `redis-io-tokio`, async-std and smol in
/// `redis-io-async-std`), in about a hundred lines. The runtime is a type-level marker:
/// every method is an associated function.
///
/// Resolving, trying each address, the connect timeout and the error mapping are done
/// once, generically, in [`crate::Connection::connect`].
pub trait Runtime: Send + Sync + Sized + 'static {
    /// A connected TCP socket. `connect_tcp` sets `TCP_NODELAY` on it.
    type Tcp: Socket;
    /// A connected Unix-domain socket ([`Unsupported`] where the platform has none).
    type Unix: Socket;
    /// The future [`sleep_until`](Self::sleep_until) returns.
    type Sleep: Future<Output = ()> + Send + 'static;

    /// Resolves a host name to socket addresses.
    fn resolve(host: &str, port: u16) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send;

    /// Connects a TCP socket to `addr` and turns `TCP_NODELAY` on.
    fn connect_tcp(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Tcp>> + Send;

    /// Connects a Unix-domain socket to `path`.
    fn connect_unix(path: &Path) -> impl Future<Output = io::Result<Self::Unix>> + Send;

    /// A future that completes at `deadline` (at once if it has passed).
    fn sleep_until(deadline: Instant) -> Self::Sleep;

    /// Runs `future` to completion in the background: the multiplexed client's driver.
    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Whether this runtime's sockets and timers can be polled on the current thread.
    /// A multiplexed client's call drives the connection itself when it is alone on
    /// it, and leaves that to the driver task where this says no. The default, yes,
    /// suits runtimes whose reactor is global (smol, async-std).
    fn in_context() -> bool {
        true
    }
}

/// A socket type that cannot exist: [`Runtime::Unix`] on platforms without Unix
/// sockets, whose `connect_unix` always fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsupported {}

impl Unsupported {
    /// The error a Unix-socket connect fails with where there are no Unix sockets:
    /// every runtime's `connect_unix`, and the blocking transport, return this one.
    pub fn error() -> io::Error {
        redis_io_base::unix_sockets_unsupported()
    }
}

impl Socket for Unsupported {
    fn poll_read(&mut self, _: &mut Context<'_>, _: &mut [u8]) -> Poll<io::Result<usize>> {
        match *self {}
    }

    fn poll_write(&mut self, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        match *self {}
    }
}
