//! An upstream socket: TCP or Unix, one type for both.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use redis_sansio::config::ServerAddr;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

/// A connection to the upstream server.
pub(crate) enum UpstreamSocket {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl UpstreamSocket {
    /// Connects to `addr` (no TLS).
    pub(crate) async fn connect(addr: &ServerAddr) -> io::Result<Self> {
        match addr {
            ServerAddr::Tcp { host, port } => {
                let stream = TcpStream::connect((host.as_str(), *port)).await?;
                stream.set_nodelay(true)?;
                Ok(UpstreamSocket::Tcp(stream))
            }
            ServerAddr::Unix { path } => Ok(UpstreamSocket::Unix(UnixStream::connect(path).await?)),
            #[allow(unreachable_patterns)]
            _ => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "unsupported upstream address",
            )),
        }
    }
}

impl AsyncRead for UpstreamSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            UpstreamSocket::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            UpstreamSocket::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for UpstreamSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            UpstreamSocket::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            UpstreamSocket::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            UpstreamSocket::Tcp(s) => Pin::new(s).poll_flush(cx),
            UpstreamSocket::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            UpstreamSocket::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            UpstreamSocket::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
