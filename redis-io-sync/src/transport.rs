//! Opening sockets: TCP (with `TCP_NODELAY`) or Unix, with a connect timeout, and TLS
//! on them for `rediss://` (see [`redis_io_base::tls`]).

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::time::Duration;

use redis_io_base::tls::{TlsSession, handshake_timeout};
use redis_sansio::config::{ConnectionConfig, ServerAddr};

use crate::Error;
pub use crate::tls::{Nonblocking, TlsStream};

/// A connected blocking socket.
#[derive(Debug)]
pub enum Stream {
    /// A TCP connection.
    Tcp(TcpStream),
    /// A Unix-domain socket connection.
    #[cfg(unix)]
    Unix(UnixStream),
    /// TLS over a TCP (or Unix) connection, its handshake done. Boxed: the session is
    /// large, and only TLS connections pay for it.
    Tls(Box<TlsStream<Stream>>),
}

/// Opens a blocking socket to `config.addr`, trying each resolved address in turn,
/// each bounded by `config.connect_timeout`; with `config.tls`, runs the TLS handshake
/// on it, bounded by the connect timeout too (10 s without one:
/// [`handshake_timeout`]).
///
/// Fails with [`Error::UnknownHost`] or [`Error::Connect`] when no socket opens, and
/// with [`Error::Tls`] when TLS does not come up ([`Error::TlsUnsupported`] without
/// the `tls` feature, before any socket opens).
pub fn connect(config: &ConnectionConfig) -> Result<Stream, Error> {
    let (socket, session) = connect_parts(config)?;
    Ok(match session {
        None => socket,
        Some(session) => Stream::Tls(Box::new(TlsStream::new(socket, session))),
    })
}

/// [`connect`], but the socket and the TLS session (its handshake done) come apart,
/// for a caller that puts the socket into its own wrapper (the fan-out's mio sockets).
/// The TLS settings are checked before any socket opens.
pub(crate) fn connect_parts(
    config: &ConnectionConfig,
) -> Result<(Stream, Option<TlsSession>), Error> {
    let mut session = match config.tls {
        true => Some(TlsSession::new(config)?),
        false => None,
    };
    let mut socket = connect_socket(config)?;
    if let Some(session) = &mut session {
        crate::tls::handshake(&mut socket, session, handshake_timeout(config))?;
    }
    Ok((socket, session))
}

/// Opens the socket, TCP or Unix.
fn connect_socket(config: &ConnectionConfig) -> Result<Stream, Error> {
    match &config.addr {
        ServerAddr::Tcp { host, port } => {
            let addrs: Vec<_> = (host.as_str(), *port)
                .to_socket_addrs()
                .map_err(|source| Error::UnknownHost {
                    host: host.clone(),
                    source,
                })?
                .collect();
            let mut last_error = io::Error::new(io::ErrorKind::NotFound, "no addresses");
            for addr in addrs {
                let attempt = match config.connect_timeout {
                    Some(timeout) => TcpStream::connect_timeout(&addr, timeout),
                    None => TcpStream::connect(addr),
                };
                match attempt {
                    Ok(socket) => {
                        socket.set_nodelay(true)?;
                        return Ok(Stream::Tcp(socket));
                    }
                    Err(error) => last_error = error,
                }
            }
            Err(Error::Connect {
                addr: config.addr.to_string(),
                source: last_error,
            })
        }
        #[cfg(unix)]
        ServerAddr::Unix { path } => {
            UnixStream::connect(path)
                .map(Stream::Unix)
                .map_err(|source| Error::Connect {
                    addr: path.display().to_string(),
                    source,
                })
        }
        #[cfg(not(unix))]
        ServerAddr::Unix { path } => Err(Error::Connect {
            addr: path.display().to_string(),
            source: redis_io_base::unix_sockets_unsupported(),
        }),
    }
}

impl Stream {
    /// Sets how long a read may block; `None` blocks until data or EOF.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(timeout),
            #[cfg(unix)]
            Stream::Unix(s) => s.set_read_timeout(timeout),
            Stream::Tls(s) => s.socket().set_read_timeout(timeout),
        }
    }

    /// Sets how long a write may block.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_write_timeout(timeout),
            #[cfg(unix)]
            Stream::Unix(s) => s.set_write_timeout(timeout),
            Stream::Tls(s) => s.socket().set_write_timeout(timeout),
        }
    }

    /// Switches between blocking and non-blocking mode.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_nonblocking(nonblocking),
            #[cfg(unix)]
            Stream::Unix(s) => s.set_nonblocking(nonblocking),
            Stream::Tls(s) => s.socket().set_nonblocking(nonblocking),
        }
    }

    /// Whether [`read_now`](Self::read_now) works in blocking mode: a plain socket
    /// on Unix. Any other stream must be switched to non-blocking mode around it.
    pub fn reads_without_waiting(&self) -> bool {
        cfg!(unix) && !matches!(self, Stream::Tls(_))
    }

    /// Reads what has already arrived, without waiting (`WouldBlock` when nothing
    /// has): one `recv(MSG_DONTWAIT)` on a plain Unix socket, whatever its mode;
    /// otherwise a plain read, which waits unless the stream is in non-blocking mode
    /// (see [`reads_without_waiting`](Self::reads_without_waiting)).
    pub fn read_now(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        {
            use rustix::net::{RecvFlags, recv};
            let done = |received: rustix::io::Result<(usize, usize)>| {
                received.map(|(n, _)| n).map_err(io::Error::from)
            };
            match self {
                Stream::Tcp(s) => return done(recv(&*s, buf, RecvFlags::DONTWAIT)),
                Stream::Unix(s) => return done(recv(&*s, buf, RecvFlags::DONTWAIT)),
                Stream::Tls(_) => {}
            }
        }
        self.read(buf)
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            Stream::Unix(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for Stream {
    /// The socket's descriptor (under TLS, the one it runs over).
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
            Stream::Tls(s) => s.socket().as_raw_fd(),
        }
    }
}

impl Nonblocking for Stream {
    fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        Stream::set_nonblocking(self, nonblocking)
    }
}
