//! Opening the socket (and TLS on it), and the IO step both the connection and the client's driver
//! repeat: write what the core has to send, read into its buffer, fire its timer.

use std::future::{Future, poll_fn};
use std::io::{self, ErrorKind};
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use redis_sansio::config::{ConnectionConfig, ServerAddr};
use redis_sansio::conn::{self, RequestId};
use redis_sansio::deadline;
use redis_sansio::{Cmd, SendError};

use crate::Error;
use crate::runtime::{Runtime, Socket};
use crate::tls::TlsSession;
use crate::tls_stream::TlsStream;

/// A connected socket: TCP, Unix, or TLS over one of them.
pub(crate) enum Stream<R: Runtime> {
    Tcp(R::Tcp),
    Unix(R::Unix),
    /// Boxed: the session is large, and only TLS connections pay for it.
    Tls(Box<TlsStream<Stream<R>>>),
}

impl<R: Runtime> Socket for Stream<R> {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self {
            Stream::Tcp(socket) => socket.poll_read(cx, buf),
            Stream::Unix(socket) => socket.poll_read(cx, buf),
            Stream::Tls(socket) => socket.poll_read(cx, buf),
        }
    }

    fn poll_read_now(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self {
            Stream::Tcp(socket) => socket.poll_read_now(cx, buf),
            Stream::Unix(socket) => socket.poll_read_now(cx, buf),
            Stream::Tls(socket) => socket.poll_read_now(cx, buf),
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self {
            Stream::Tcp(socket) => socket.poll_write(cx, buf),
            Stream::Unix(socket) => socket.poll_write(cx, buf),
            Stream::Tls(socket) => socket.poll_write(cx, buf),
        }
    }
}

/// Opens a socket to `config.addr`, and with `config.tls` runs the TLS handshake on it.
///
/// The TLS settings are checked first ([`TlsSession::new`]), so bad settings (or a
/// build without TLS) fail before any connection is attempted.
pub(crate) async fn connect<R: Runtime>(config: &ConnectionConfig) -> Result<Stream<R>, Error> {
    let session = match config.tls {
        true => Some(TlsSession::new(config)?),
        false => None,
    };
    let stream = connect_socket::<R>(config).await?;
    match session {
        None => Ok(stream),
        Some(session) => {
            let tls = TlsStream::handshake::<R>(stream, session, config).await?;
            Ok(Stream::Tls(Box::new(tls)))
        }
    }
}

/// Opens a socket to `config.addr`: resolves the host, tries each address in turn,
/// each attempt bounded by `config.connect_timeout`.
async fn connect_socket<R: Runtime>(config: &ConnectionConfig) -> Result<Stream<R>, Error> {
    let timeout = config.connect_timeout;
    match &config.addr {
        ServerAddr::Tcp { host, port } => {
            let addrs = with_timeout::<R, _>(timeout, R::resolve(host, *port))
                .await
                .map_err(|source| Error::UnknownHost {
                    host: host.clone(),
                    source,
                })?;
            let mut last_error = io::Error::new(ErrorKind::NotFound, "no addresses");
            for addr in addrs {
                match with_timeout::<R, _>(timeout, R::connect_tcp(addr)).await {
                    Ok(socket) => return Ok(Stream::Tcp(socket)),
                    Err(error) => last_error = error,
                }
            }
            Err(Error::Connect {
                addr: config.addr.to_string(),
                source: last_error,
            })
        }
        ServerAddr::Unix { path } => with_timeout::<R, _>(timeout, R::connect_unix(path))
            .await
            .map(Stream::Unix)
            .map_err(|source| Error::Connect {
                addr: path.display().to_string(),
                source,
            }),
    }
}

/// `future`, failed with `TimedOut` if it takes longer than `timeout`.
pub(crate) async fn with_timeout<R: Runtime, T>(
    timeout: Option<Duration>,
    future: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    let Some(timeout) = timeout else {
        return future.await;
    };
    let mut future = pin!(future);
    let mut sleep = pin!(R::sleep_until(deadline::after(Instant::now(), timeout)));
    poll_fn(|cx| {
        if let Poll::Ready(result) = future.as_mut().poll(cx) {
            return Poll::Ready(result);
        }
        sleep
            .as_mut()
            .poll(cx)
            .map(|()| Err(io::Error::new(ErrorKind::TimedOut, "connect timed out")))
    })
    .await
}

/// How many reads [`Io::read_unasked`] makes at most.
const UNASKED_READS: usize = 16;

/// What one [`Io::poll_io`] step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// Bytes were read, the socket closed or the core's timer fired: take events.
    Made,
    /// The caller's own deadline passed.
    Deadline,
}

/// A socket, the core it feeds, and the timer armed from the core's deadlines.
pub(crate) struct Io<R: Runtime> {
    stream: Stream<R>,
    pub(crate) core: conn::Connection,
    /// The armed timer and the instant it was armed for.
    timer: Option<(Instant, Pin<Box<R::Sleep>>)>,
}

impl<R: Runtime> Io<R> {
    pub(crate) fn new(stream: Stream<R>, core: conn::Connection) -> Self {
        Io {
            stream,
            core,
            timer: None,
        }
    }

    /// Writes as much of `transmit()` as the socket takes now. When it takes no more,
    /// `cx` is woken once it may be writable again.
    pub(crate) fn write_out(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        while self.core.wants_write() {
            match self.stream.poll_write(cx, self.core.transmit()) {
                Poll::Ready(Ok(0)) => return Err(ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(n)) => self.core.advance_transmit(n),
                Poll::Ready(Err(e)) if e.kind() == ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Err(e),
                // Read meanwhile: the server may be waiting for us to take its replies.
                Poll::Pending => break,
            }
        }
        Ok(())
    }

    /// Before a request goes out on an idle connection, reads what the socket has
    /// already received, without waiting, into the core: a reply nobody asked for
    /// then closes it ([`CloseReason::UnexpectedReply`](redis_sansio::CloseReason))
    /// instead of being taken for the new request's reply (the rule of
    /// [`conn::Connection::is_idle`]). Does nothing on a busy connection. A socket
    /// error is returned as it is; the caller then closes the core.
    pub(crate) fn read_unasked(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        // Bounded: an idle connection has little or nothing waiting.
        for _ in 0..UNASKED_READS {
            if !self.core.is_idle() {
                break;
            }
            match self.stream.poll_read_now(cx, self.core.read_buf()) {
                Poll::Ready(Ok(0)) => self.core.handle_eof(Instant::now()),
                Poll::Ready(Ok(n)) => self.core.handle_read(n, Instant::now()),
                Poll::Ready(Err(e)) if e.kind() == ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => break,
            }
        }
        Ok(())
    }

    /// Queues `cmds` as [`conn::Connection::send_all`] does, writing each piece the
    /// core hands out ([`conn::Connection::send_some`]) as far as the socket takes it
    /// now, without waiting: what it does not take goes out in the next
    /// [`poll_io`](Self::poll_io). A socket error is left for that call to meet.
    pub(crate) fn send_streaming(
        &mut self,
        cmds: &[Cmd],
        now: Instant,
    ) -> Result<RequestId, SendError> {
        let first = self.core.next_id();
        let mut queued = self.core.send_some(cmds, now)?;
        while queued < cmds.len() {
            let mut cx = Context::from_waker(Waker::noop());
            let _ = self.write_out(&mut cx);
            queued += self.core.send_some(&cmds[queued..], now)?;
        }
        Ok(first)
    }

    /// One step of the driving loop: writes as much of `transmit()` as the socket
    /// takes, then returns `Ready` as soon as the core has new input (bytes, EOF, an
    /// expired deadline) or `deadline` has passed. `Pending` means the socket and the
    /// timer are armed to wake `cx`. A socket error is returned as it is; the caller
    /// then closes the core.
    pub(crate) fn poll_io(
        &mut self,
        cx: &mut Context<'_>,
        deadline: Option<Instant>,
    ) -> Poll<io::Result<Progress>> {
        self.write_out(cx)?;
        let now = Instant::now();
        if self.core.poll_timeout().is_some_and(|at| at <= now) {
            self.core.handle_timeout(now);
            return Poll::Ready(Ok(Progress::Made));
        }
        if deadline.is_some_and(|at| at <= now) {
            return Poll::Ready(Ok(Progress::Deadline));
        }
        match self.stream.poll_read(cx, self.core.read_buf()) {
            Poll::Ready(Ok(0)) => {
                self.core.handle_eof(Instant::now());
                return Poll::Ready(Ok(Progress::Made));
            }
            Poll::Ready(Ok(n)) => {
                self.core.handle_read(n, Instant::now());
                return Poll::Ready(Ok(Progress::Made));
            }
            Poll::Ready(Err(e)) if e.kind() == ErrorKind::Interrupted => {
                return Poll::Ready(Ok(Progress::Made));
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => {}
        }
        let wake = match (self.core.poll_timeout(), deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(wake) = wake else {
            self.timer = None;
            return Poll::Pending;
        };
        let sleep = match &mut self.timer {
            Some((at, sleep)) if *at == wake => sleep,
            timer => &mut timer.insert((wake, Box::pin(R::sleep_until(wake)))).1,
        };
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.timer = None;
        // The timer says `wake` has come, even if the clock reads a hair earlier.
        let now = Instant::now().max(wake);
        if self.core.poll_timeout().is_some_and(|at| at <= now) {
            self.core.handle_timeout(now);
        }
        if deadline.is_some_and(|at| at <= now) {
            Poll::Ready(Ok(Progress::Deadline))
        } else {
            Poll::Ready(Ok(Progress::Made))
        }
    }
}
