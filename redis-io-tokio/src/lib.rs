//! Tokio adapter for [`redis_sansio`]: exclusive connections and a multiplexed client.
//!
//! All the driving is [`redis_io_async`]'s, written once for every runtime; this crate
//! is only [`Tokio`], its [`Runtime`] implementation: `tokio::net` sockets
//! (`TCP_NODELAY` on), `tokio::time::sleep_until` and `tokio::spawn`.
//!
//! - [`Connection`]: an exclusive connection; each call drives the socket inline.
//! - [`Client`]: cloneable, shared by many tasks over one socket with automatic
//!   pipelining; its driver runs on `tokio::spawn`, so create it inside a runtime,
//!   or, as a [`ClientDriver`], wherever you poll it.
//!
//! TLS (`rediss://`, feature `tls`) is [`redis_io_async::tls`]'s, run over tokio's
//! sockets like any other runtime's: no tokio-rustls.
//!
//! ```no_run
//! use redis_io_tokio::{Client, Connection, Error};
//! use redis_sansio::Cmd;
//!
//! # async fn demo() -> Result<(), Error> {
//! let mut conn = Connection::open("redis://127.0.0.1:6379").await?;
//! conn.request(&Cmd::new("SET").arg("k").arg("v")).await?;
//!
//! let client = Client::open("redis://127.0.0.1:6379").await?;
//! let tasks: Vec<_> = (0..8)
//!     .map(|i| {
//!         let client = client.clone();
//!         tokio::spawn(async move { client.request(&Cmd::new("INCR").arg(i)).await })
//!     })
//!     .collect();
//! for task in tasks {
//!     task.await.expect("task")?;
//! }
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::future::Future;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub use redis_io_async::{Error, Outcome, Pipeline, Reconnect, Request, Runtime, Socket};

/// An exclusive connection on tokio; see [`redis_io_async::Connection`].
pub type Connection = redis_io_async::Connection<Tokio>;

/// A multiplexed client on tokio; see [`redis_io_async::Client`].
pub type Client = redis_io_async::Client<Tokio>;

/// A [`Client`]'s driver, to poll yourself (under a `tokio::task::LocalSet`, or
/// `tokio::join!`ed with your work) instead of `tokio::spawn`; see
/// [`redis_io_async::ClientDriver`] and [`Client::from_connection_unspawned`].
pub type ClientDriver = redis_io_async::ClientDriver<Tokio>;

/// The tokio [`Runtime`]: sockets from `tokio::net`, timers from `tokio::time`, and
/// `tokio::spawn` for the client's driver. Needs a tokio runtime with IO and time
/// enabled (`#[tokio::main]` has both).
#[derive(Debug, Clone, Copy, Default)]
pub struct Tokio;

impl Runtime for Tokio {
    type Tcp = TokioSocket<tokio::net::TcpStream>;
    #[cfg(unix)]
    type Unix = TokioSocket<tokio::net::UnixStream>;
    #[cfg(not(unix))]
    type Unix = redis_io_async::Unsupported;
    type Sleep = tokio::time::Sleep;

    async fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }

    async fn connect_tcp(addr: SocketAddr) -> io::Result<Self::Tcp> {
        let socket = tokio::net::TcpStream::connect(addr).await?;
        socket.set_nodelay(true)?;
        Ok(TokioSocket(socket))
    }

    #[cfg(unix)]
    async fn connect_unix(path: &Path) -> io::Result<Self::Unix> {
        Ok(TokioSocket(tokio::net::UnixStream::connect(path).await?))
    }

    #[cfg(not(unix))]
    async fn connect_unix(_: &Path) -> io::Result<Self::Unix> {
        Err(redis_io_async::Unsupported::error())
    }

    fn sleep_until(deadline: Instant) -> Self::Sleep {
        tokio::time::sleep_until(deadline.into())
    }

    fn spawn<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::spawn(future));
    }

    /// Inside a tokio runtime: its timers cannot be made elsewhere.
    fn in_context() -> bool {
        tokio::runtime::Handle::try_current().is_ok()
    }
}

/// A tokio stream (`TcpStream`, `UnixStream`) seen as a [`Socket`].
#[derive(Debug)]
pub struct TokioSocket<T>(pub T);

impl<T> Socket for TokioSocket<T>
where
    T: AsyncRead + AsyncWrite + ReadNow + Send + Unpin + 'static,
{
    /// Asks the OS first: tokio's `poll_read` answers `Pending` without reading
    /// while its reactor has not yet seen the bytes arrive.
    fn poll_read_now(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self.0.read_now(buf) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => self.poll_read(cx, buf),
            result => Poll::Ready(result),
        }
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut buf = ReadBuf::new(buf);
        match Pin::new(&mut self.0).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(buf.filled().len())),
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
}

/// A tokio stream whose OS socket can be read at once, whatever tokio's reactor has
/// seen so far: [`Socket::poll_read_now`] for `TcpStream` and `UnixStream`.
pub trait ReadNow {
    /// Reads what the OS has received, without waiting: `WouldBlock` when nothing.
    fn read_now(&self, buf: &mut [u8]) -> io::Result<usize>;
}

impl ReadNow for tokio::net::TcpStream {
    fn read_now(&self, buf: &mut [u8]) -> io::Result<usize> {
        (&*socket2::SockRef::from(self)).read(buf)
    }
}

#[cfg(unix)]
impl ReadNow for tokio::net::UnixStream {
    fn read_now(&self, buf: &mut [u8]) -> io::Result<usize> {
        (&*socket2::SockRef::from(self)).read(buf)
    }
}
