//! TLS over std and mio sockets: the one [`TlsSession`] of `redis-io-base`, driven
//! through `Read`/`Write`, with the handshake bounded by the connect timeout.

use std::io::{self, ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use redis_io_base::tls::TlsSession;
use redis_sansio::deadline;

use crate::Error;
use crate::transport::Stream;

/// A socket that can be switched to non-blocking mode, so that dropping a
/// [`TlsStream`] never blocks on its `close_notify`.
pub trait Nonblocking {
    /// Switches between blocking and non-blocking mode.
    fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()>;
}

/// A socket with a TLS session on top, its handshake done: reads and writes carry
/// plain text. Blocking or not as the socket is (`WouldBlock` passes through, and the
/// same call resumes).
///
/// Dropping it sends `close_notify` as far as the socket takes it at once.
#[derive(Debug)]
pub struct TlsStream<T: Read + Write + Nonblocking> {
    socket: T,
    session: TlsSession,
}

impl<T: Read + Write + Nonblocking> TlsStream<T> {
    /// `session`, whose handshake is done, over `socket`.
    pub(crate) fn new(socket: T, session: TlsSession) -> Self {
        TlsStream { socket, session }
    }

    /// The socket underneath, for its settings (timeouts, blocking mode).
    pub fn socket(&self) -> &T {
        &self.socket
    }

    /// The socket underneath, to register it with a poller.
    pub(crate) fn socket_mut(&mut self) -> &mut T {
        &mut self.socket
    }
}

impl<T: Read + Write + Nonblocking> Read for TlsStream<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.session.read(&mut self.socket, buf)
    }
}

impl<T: Read + Write + Nonblocking> Write for TlsStream<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.session.write(&mut self.socket, buf)
    }

    /// Nothing to do: every `write` writes out what it took, as far as the socket
    /// takes it.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<T: Read + Write + Nonblocking> Drop for TlsStream<T> {
    fn drop(&mut self) {
        if self.socket.set_nonblocking(true).is_ok() {
            self.session.close(&mut self.socket);
        }
    }
}

/// Runs `session`'s handshake over the blocking `socket`, all of it within `timeout`,
/// then leaves the socket blocking with no timeouts. Fails with [`Error::Tls`].
pub(crate) fn handshake(
    socket: &mut Stream,
    session: &mut TlsSession,
    timeout: Duration,
) -> Result<(), Error> {
    let deadline = deadline::after(Instant::now(), timeout);
    let result = session.handshake(&mut Bounded { socket, deadline });
    socket.set_read_timeout(None)?;
    socket.set_write_timeout(None)?;
    result.map_err(|error| Error::Tls(session.handshake_error(error)))
}

/// A blocking socket whose every read and write must end by `deadline`.
struct Bounded<'a> {
    socket: &'a mut Stream,
    deadline: Instant,
}

impl Bounded<'_> {
    /// What is left until the deadline, or `TimedOut` once it has passed.
    fn left(&self) -> io::Result<Option<Duration>> {
        match self.deadline.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(Some(left)),
            _ => Err(io::Error::new(
                ErrorKind::TimedOut,
                "the TLS handshake timed out",
            )),
        }
    }
}

/// A socket timeout shows as `WouldBlock` (or `TimedOut`): both mean the deadline.
fn timed_out(error: io::Error) -> io::Error {
    match error.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            io::Error::new(ErrorKind::TimedOut, "the TLS handshake timed out")
        }
        _ => error,
    }
}

impl Read for Bounded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.socket.set_read_timeout(self.left()?)?;
        self.socket.read(buf).map_err(timed_out)
    }
}

impl Write for Bounded<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.socket.set_write_timeout(self.left()?)?;
        self.socket.write(buf).map_err(timed_out)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
