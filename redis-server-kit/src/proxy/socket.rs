//! An upstream socket: TCP or Unix, one type for both.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
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

    /// Writes what the socket takes now of `out`, without waiting, and removes it
    /// from `out`; the rest is for an async write. An error means the connection is
    /// broken.
    pub(crate) fn write_now(&self, out: &mut BytesMut) -> io::Result<()> {
        while !out.is_empty() {
            let written = match self {
                UpstreamSocket::Tcp(s) => s.try_write(out),
                UpstreamSocket::Unix(s) => s.try_write(out),
            };
            match written {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => out.advance(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Whether an idle connection is still open: nothing to read yet (a closed one
    /// reads its end; an idle one was sent nothing, so any byte means it is broken).
    pub(crate) fn is_idle_and_open(&self) -> bool {
        let mut byte = [0u8; 1];
        let read = match self {
            UpstreamSocket::Tcp(s) => s.try_read(&mut byte),
            UpstreamSocket::Unix(s) => s.try_read(&mut byte),
        };
        matches!(read, Err(e) if e.kind() == io::ErrorKind::WouldBlock)
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
