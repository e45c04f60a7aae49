//! smol and async-std adapters for [`redis_sansio`]: exclusive connections and a
//! multiplexed client.
//!
//! All the driving is [`redis_io_async`]'s, written once for every runtime; this crate
//! is only two [`Runtime`] implementations, each behind a Cargo feature:
//!
//! - `smol` → [`smol::Smol`]: `smol::net` sockets, `async_io::Timer` and `smol::spawn`.
//! - `async-std` → [`async_std::AsyncStd`]: `async_std::net` and
//!   `async_std::os::unix::net` sockets, `async_io::Timer` (what async-std's own
//!   `sleep` is built on) and `async_std::task::spawn`.
//!
//! Both features are on by default, so that a plain `cargo test` exercises both
//! runtimes. To compile only one, depend with `default-features = false` and
//! `features = ["smol"]` (pulls in no async-std and no tokio) or
//! `features = ["async-std"]` (no tokio). The `tls` feature adds `rediss://` for both:
//! [`redis_io_async::tls`]'s one implementation over their sockets, no futures-rustls.
//!
//! Each module has a [`Connection`](redis_io_async::Connection) (exclusive, `&mut self`
//! calls, no background task) and a [`Client`](redis_io_async::Client) (cloneable,
//! shared by many tasks over one socket; its driver task is spawned on the runtime,
//! or handed to you as a `ClientDriver` to poll on the callers' own thread).
//!
//! ```no_run
//! # #[cfg(feature = "smol")]
//! # fn main() -> Result<(), redis_io_async_std::Error> {
//! use redis_io_async_std::smol::{Client, Connection};
//! use redis_sansio::Cmd;
//!
//! smol::block_on(async {
//!     let mut conn = Connection::open("redis://127.0.0.1:6379").await?;
//!     conn.request(&Cmd::new("SET").arg("k").arg("v")).await?;
//!
//!     let client = Client::open("redis://127.0.0.1:6379").await?;
//!     let tasks: Vec<_> = (0..8)
//!         .map(|i| {
//!             let client = client.clone();
//!             smol::spawn(async move { client.request(&Cmd::new("INCR").arg(i)).await })
//!         })
//!         .collect();
//!     for task in tasks {
//!         task.await?;
//!     }
//!     Ok(())
//! })
//! # }
//! # #[cfg(not(feature = "smol"))]
//! # fn main() {}
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use redis_io_async::{Error, Outcome, Pipeline, Reconnect, Request, Runtime, Socket};

#[cfg(any(feature = "smol", feature = "async-std"))]
pub use shared::{FuturesSocket, Sleep};

/// What both runtimes share: the futures-io socket wrapper and the timer.
#[cfg(any(feature = "smol", feature = "async-std"))]
mod shared {
    use std::future::Future;
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::Instant;

    use futures_io::{AsyncRead, AsyncWrite};
    use redis_io_async::Socket;

    /// A futures-io stream (smol's and async-std's `TcpStream`, `UnixStream`) seen as a
    /// [`Socket`].
    #[derive(Debug)]
    pub struct FuturesSocket<T>(pub T);

    impl<T> Socket for FuturesSocket<T>
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.0).poll_read(cx, buf)
        }

        fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.0).poll_write(cx, buf)
        }
    }

    /// The future `sleep_until` returns: an `async_io::Timer` set for the deadline.
    #[derive(Debug)]
    pub struct Sleep(async_io::Timer);

    impl Sleep {
        pub(crate) fn until(deadline: Instant) -> Sleep {
            Sleep(async_io::Timer::at(deadline))
        }
    }

    impl Future for Sleep {
        type Output = ();

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            Pin::new(&mut self.0).poll(cx).map(drop)
        }
    }
}

/// The smol runtime (feature `smol`).
#[cfg(feature = "smol")]
pub mod smol {
    use std::future::Future;
    use std::io;
    use std::net::SocketAddr;
    use std::path::Path;
    use std::time::Instant;

    use redis_io_async::Runtime;

    use crate::{FuturesSocket, Sleep};

    /// An exclusive connection on smol; see [`redis_io_async::Connection`].
    pub type Connection = redis_io_async::Connection<Smol>;

    /// A multiplexed client on smol; see [`redis_io_async::Client`]. Its driver runs
    /// on `smol::spawn`'s global executor.
    pub type Client = redis_io_async::Client<Smol>;

    /// A [`Client`]'s driver, to poll yourself instead of `smol::spawn`: on a
    /// `smol::LocalExecutor` next to the tasks that use the client, or raced with
    /// your work, so that overlapping calls do not cross threads either (a call alone
    /// on an idle connection drives it itself wherever the driver runs). See
    /// [`redis_io_async::ClientDriver`] and [`Client::from_connection_unspawned`].
    pub type ClientDriver = redis_io_async::ClientDriver<Smol>;

    /// The smol [`Runtime`]: sockets from `smol::net`, `async_io::Timer`, and
    /// `smol::spawn` for the client's driver. Works under `smol::block_on` or any
    /// executor, since smol's reactor runs on its own thread.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct Smol;

    impl Runtime for Smol {
        type Tcp = FuturesSocket<::smol::net::TcpStream>;
        #[cfg(unix)]
        type Unix = FuturesSocket<::smol::net::unix::UnixStream>;
        #[cfg(not(unix))]
        type Unix = redis_io_async::Unsupported;
        type Sleep = Sleep;

        async fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
            ::smol::net::resolve((host, port)).await
        }

        async fn connect_tcp(addr: SocketAddr) -> io::Result<Self::Tcp> {
            let socket = ::smol::net::TcpStream::connect(addr).await?;
            socket.set_nodelay(true)?;
            Ok(FuturesSocket(socket))
        }

        #[cfg(unix)]
        async fn connect_unix(path: &Path) -> io::Result<Self::Unix> {
            Ok(FuturesSocket(
                ::smol::net::unix::UnixStream::connect(path).await?,
            ))
        }

        #[cfg(not(unix))]
        async fn connect_unix(_: &Path) -> io::Result<Self::Unix> {
            Err(redis_io_async::Unsupported::error())
        }

        fn sleep_until(deadline: Instant) -> Self::Sleep {
            Sleep::until(deadline)
        }

        fn spawn<F>(future: F)
        where
            F: Future<Output = ()> + Send + 'static,
        {
            ::smol::spawn(future).detach();
        }
    }
}

/// The async-std runtime (feature `async-std`).
#[cfg(feature = "async-std")]
pub mod async_std {
    use std::future::Future;
    use std::io;
    use std::net::SocketAddr;
    use std::path::Path;
    use std::time::Instant;

    use ::async_std::net::ToSocketAddrs;
    use redis_io_async::Runtime;

    use crate::{FuturesSocket, Sleep};

    /// An exclusive connection on async-std; see [`redis_io_async::Connection`].
    pub type Connection = redis_io_async::Connection<AsyncStd>;

    /// A multiplexed client on async-std; see [`redis_io_async::Client`]. Its driver
    /// runs on `async_std::task::spawn`.
    pub type Client = redis_io_async::Client<AsyncStd>;

    /// A [`Client`]'s driver, to poll yourself instead of `async_std::task::spawn`
    /// (on the callers' own thread, say); see [`redis_io_async::ClientDriver`] and
    /// [`Client::from_connection_unspawned`].
    pub type ClientDriver = redis_io_async::ClientDriver<AsyncStd>;

    /// The async-std [`Runtime`]: sockets from `async_std::net` and
    /// `async_std::os::unix::net`, `async_io::Timer` (async-std's own timer), and
    /// `async_std::task::spawn` for the client's driver.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct AsyncStd;

    impl Runtime for AsyncStd {
        type Tcp = FuturesSocket<::async_std::net::TcpStream>;
        #[cfg(unix)]
        type Unix = FuturesSocket<::async_std::os::unix::net::UnixStream>;
        #[cfg(not(unix))]
        type Unix = redis_io_async::Unsupported;
        type Sleep = Sleep;

        async fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
            Ok((host, port).to_socket_addrs().await?.collect())
        }

        async fn connect_tcp(addr: SocketAddr) -> io::Result<Self::Tcp> {
            let socket = ::async_std::net::TcpStream::connect(addr).await?;
            socket.set_nodelay(true)?;
            Ok(FuturesSocket(socket))
        }

        #[cfg(unix)]
        async fn connect_unix(path: &Path) -> io::Result<Self::Unix> {
            Ok(FuturesSocket(
                ::async_std::os::unix::net::UnixStream::connect(path).await?,
            ))
        }

        #[cfg(not(unix))]
        async fn connect_unix(_: &Path) -> io::Result<Self::Unix> {
            Err(redis_io_async::Unsupported::error())
        }

        fn sleep_until(deadline: Instant) -> Self::Sleep {
            Sleep::until(deadline)
        }

        fn spawn<F>(future: F)
        where
            F: Future<Output = ()> + Send + 'static,
        {
            drop(::async_std::task::spawn(future));
        }
    }
}
