//! TLS over any runtime's [`Socket`]: the one [`TlsSession`] driven through the
//! socket's `poll_read`/`poll_write`, so tokio, async-std and smol share this code.

use std::future::poll_fn;
use std::io::{self, ErrorKind, Read, Write};
use std::task::{Context, Poll, Waker};

use redis_sansio::config::ConnectionConfig;

use crate::Error;
use crate::runtime::{Runtime, Socket};
use crate::tls::{TlsSession, handshake_timeout};
use crate::transport::with_timeout;

/// A socket with a TLS session on top; itself a [`Socket`] carrying plain text.
///
/// Dropping it sends `close_notify` as far as the socket takes it at once, without
/// waiting.
pub(crate) struct TlsStream<S: Socket> {
    socket: S,
    session: TlsSession,
}

impl<S: Socket> TlsStream<S> {
    /// Runs `session`'s handshake over `socket`, bounded by [`handshake_timeout`].
    /// Fails with [`Error::Tls`]: the server's refusal or certificate as rustls saw
    /// it, [`TlsErrorKind::PlainText`](crate::TlsErrorKind::PlainText) for a port
    /// that does not speak TLS, or
    /// [`TlsErrorKind::Handshake`](crate::TlsErrorKind::Handshake) for a timeout or
    /// a connection lost during the handshake.
    pub(crate) async fn handshake<R: Runtime>(
        socket: S,
        session: TlsSession,
        config: &ConnectionConfig,
    ) -> Result<Self, Error> {
        let mut stream = TlsStream { socket, session };
        let handshake = poll_fn(|cx| {
            let TlsStream { socket, session } = &mut stream;
            pending_on_block(session.handshake(&mut Polled { socket, cx }))
        });
        match with_timeout::<R, _>(Some(handshake_timeout(config)), handshake).await {
            Ok(()) => Ok(stream),
            Err(error) => Err(Error::Tls(stream.session.handshake_error(error))),
        }
    }
}

impl<S: Socket> Socket for TlsStream<S> {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let TlsStream { socket, session } = self;
        pending_on_block(session.read(&mut Polled { socket, cx }, buf))
    }

    fn poll_read_now(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let TlsStream { socket, session } = self;
        pending_on_block(session.read(&mut PolledNow(Polled { socket, cx }), buf))
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let TlsStream { socket, session } = self;
        pending_on_block(session.write(&mut Polled { socket, cx }, buf))
    }
}

impl<S: Socket> Drop for TlsStream<S> {
    fn drop(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        let TlsStream { socket, session } = self;
        session.close(&mut Polled {
            socket,
            cx: &mut cx,
        });
    }
}

/// A [`Socket`] and the task's context as a non-blocking `Read + Write`: `Pending`
/// becomes `WouldBlock`, with the waker registered by the socket.
struct Polled<'a, 'b, S> {
    socket: &'a mut S,
    cx: &'a mut Context<'b>,
}

impl<S: Socket> Read for Polled<'_, '_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.socket.poll_read(self.cx, buf) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(ErrorKind::WouldBlock.into()),
        }
    }
}

/// [`Polled`] whose reads use [`Socket::poll_read_now`].
struct PolledNow<'a, 'b, S>(Polled<'a, 'b, S>);

impl<S: Socket> Read for PolledNow<'_, '_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.socket.poll_read_now(self.0.cx, buf) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(ErrorKind::WouldBlock.into()),
        }
    }
}

impl<S: Socket> Write for PolledNow<'_, '_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<S: Socket> Write for Polled<'_, '_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.socket.poll_write(self.cx, buf) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(ErrorKind::WouldBlock.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `WouldBlock` back into `Pending`: the socket has registered the waker.
fn pending_on_block<T>(result: io::Result<T>) -> Poll<io::Result<T>> {
    match result {
        Err(error) if error.kind() == ErrorKind::WouldBlock => Poll::Pending,
        result => Poll::Ready(result),
    }
}
