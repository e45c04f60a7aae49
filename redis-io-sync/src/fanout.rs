//! The mio fan-out: many connections to many servers, driven from one thread.

use std::io::{self, ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use mio::event::Source;
use mio::{Events, Interest, Poll, Registry, Token};
use redis_sansio::config::ConnectionConfig;
use redis_sansio::conn::{self, Event, RequestId, State};
use redis_sansio::deadline;
use redis_sansio::{CloseReason, Cmd, RequestError};

use crate::Error;
use crate::outcomes::{Outcome, Outcomes};
use crate::transport::{self, Nonblocking, Stream, TlsStream};

/// A connection of a [`Fanout`], as returned by [`Fanout::add`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId(usize);

/// Many connections, to any number of servers, driven by one `mio` loop on one thread.
///
/// Queue requests on any connections with [`send`](Self::send), then one
/// [`run`](Self::run) does the IO for all of them at once and returns when every
/// request has its outcome, so asking N shards costs one round trip, not N. Take the
/// outcomes with [`take`](Self::take), or do all three with
/// [`query_all`](Self::query_all).
///
/// A connection that fails (refused handshake, EOF, an IO error, a protocol error)
/// fails its own requests with [`RequestError::Closed`] and leaves the others
/// running; [`close_reason`](Self::close_reason) says why, and
/// [`take_failure`](Self::take_failure) gives the socket or TLS error behind an EOF.
///
/// TLS (`rediss://`, feature `tls`) works here too: [`add`](Self::add) runs the TLS
/// handshake (blocking, bounded by the connect timeout) and the loop then drives the
/// same `TlsSession` as the blocking connection over the mio socket. Pub/sub messages, pushes
/// and MONITOR lines are dropped: use a blocking [`Connection`](crate::Connection)
/// for those. As everywhere in this crate, the protocol is the core's
/// ([`redis_sansio::conn::Connection`]); this owns only sockets, readiness and timers.
///
/// ```no_run
/// use redis_io_sync::Fanout;
/// use redis_sansio::Cmd;
///
/// let mut fanout = Fanout::new()?;
/// let a = fanout.add("redis://127.0.0.1:7001".parse()?)?;
/// let b = fanout.add("redis://127.0.0.1:7002".parse()?)?;
/// let outcomes = fanout.query_all(&[
///     (a, Cmd::new("GET").arg("user:1")),
///     (b, Cmd::new("GET").arg("user:2")),
/// ])?;
/// # Ok::<(), redis_io_sync::Error>(())
/// ```
///
/// # Panics
///
/// Methods taking a [`ConnId`] panic when it comes from another `Fanout`.
#[derive(Debug)]
pub struct Fanout {
    poll: Poll,
    events: Events,
    /// Indexed by `ConnId`, which is also the connection's mio `Token`.
    conns: Vec<Conn>,
}

#[derive(Debug)]
struct Conn {
    /// `None` once closed.
    socket: Option<Socket>,
    core: conn::Connection,
    outcomes: Outcomes,
    /// Requests sent whose outcome has not arrived yet.
    waiting: usize,
    closed: Option<CloseReason>,
    /// The socket or TLS error that ended the connection (seen by the core as EOF).
    failure: Option<Error>,
}

#[derive(Debug)]
enum Socket {
    Tcp(mio::net::TcpStream),
    #[cfg(unix)]
    Unix(mio::net::UnixStream),
    Tls(Box<TlsStream<Socket>>),
}

impl Fanout {
    /// An empty fan-out.
    pub fn new() -> io::Result<Self> {
        Ok(Fanout {
            poll: Poll::new()?,
            events: Events::with_capacity(1024),
            conns: Vec::new(),
        })
    }

    /// Opens a connection as `config` says. The socket connects here, and with TLS
    /// the TLS handshake runs here too (blocking, each bounded by the connect timeout;
    /// a TLS failure is [`Error::Tls`]); the Redis handshake runs during the next
    /// [`run`](Self::run), and its failure shows as the connection's
    /// [`close_reason`](Self::close_reason).
    pub fn add(&mut self, config: ConnectionConfig) -> Result<ConnId, Error> {
        let (stream, session) = transport::connect_parts(&config)?;
        let mut socket = Socket::new(stream)?;
        if let Some(session) = session {
            socket = Socket::Tls(Box::new(TlsStream::new(socket, session)));
        }
        let id = ConnId(self.conns.len());
        let interest = Interest::READABLE | Interest::WRITABLE;
        self.poll
            .registry()
            .register(socket.source(), Token(id.0), interest)?;
        self.conns.push(Conn {
            socket: Some(socket),
            core: conn::Connection::new(config, Instant::now()),
            outcomes: Outcomes::default(),
            waiting: 0,
            closed: None,
            failure: None,
        });
        Ok(id)
    }

    /// Queues `cmd` on `conn`; it goes out during the next [`run`](Self::run). Fails
    /// with [`Error::Closed`] once the connection is closed. On an idle connection it
    /// first reads what the socket has received, without waiting: a reply nobody
    /// asked for closes the connection ([`CloseReason::UnexpectedReply`]).
    pub fn send(&mut self, conn: ConnId, cmd: &Cmd) -> Result<RequestId, Error> {
        let conn = &mut self.conns[conn.0];
        if conn.core.is_idle() {
            // A reply that arrived unasked must not be taken for this request's: read
            // it first (see `conn::Connection::is_idle`); it closes the connection.
            conn.read();
            conn.take_events(self.poll.registry());
        }
        if let Some(reason) = &conn.closed {
            return Err(Error::Closed(reason.clone()));
        }
        let id = conn.core.send(cmd, Instant::now())?;
        conn.waiting += 1;
        Ok(id)
    }

    /// Does the IO of every connection until every handshake is over and every request
    /// sent so far has its outcome (a reply, a server error, a timeout, or its
    /// connection's close reason), or until `timeout` has passed (`None`: no limit but
    /// the core's own deadlines). Requests without an outcome then stay pending for
    /// the next `run`; [`waiting`](Self::waiting) counts them.
    ///
    /// A connection's IO error counts as its EOF and does not stop the others; the
    /// only error is the poller's own.
    pub fn run(&mut self, timeout: Option<Duration>) -> Result<(), Error> {
        let deadline = timeout.map(|timeout| deadline::after(Instant::now(), timeout));
        loop {
            let now = Instant::now();
            let mut done = true;
            let mut wake = deadline;
            for conn in &mut self.conns {
                if conn.core.poll_timeout().is_some_and(|t| t <= now) {
                    conn.core.handle_timeout(now);
                }
                conn.flush();
                conn.take_events(self.poll.registry());
                done &= conn.waiting == 0 && conn.core.state() != State::Handshaking;
                wake = earliest(wake, conn.core.poll_timeout());
            }
            if done || deadline.is_some_and(|deadline| deadline <= now) {
                return Ok(());
            }
            let wait = wake.map(|wake| wake.saturating_duration_since(now));
            match self.poll.poll(&mut self.events, wait) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                result => result?,
            }
            // Readiness is edge-triggered: read until the socket would block. Writes
            // are retried at the top of the loop, on every pass.
            for event in &self.events {
                self.conns[event.token().0].read();
            }
        }
    }

    /// Takes the outcome of request `id` on `conn`, once it has arrived.
    pub fn take(&mut self, conn: ConnId, id: RequestId) -> Option<Outcome> {
        self.conns[conn.0].outcomes.take(id)
    }

    /// Sends every request, [`run`](Self::run)s until all are answered, and returns
    /// their outcomes in order. A request on a connection already closed gets that
    /// close as its outcome.
    pub fn query_all(&mut self, requests: &[(ConnId, Cmd)]) -> Result<Vec<Outcome>, Error> {
        let mut sent = Vec::with_capacity(requests.len());
        for (conn, cmd) in requests {
            sent.push(match self.send(*conn, cmd) {
                Ok(id) => Ok(id),
                Err(Error::Closed(reason)) => Err(RequestError::Closed(reason)),
                Err(error) => return Err(error),
            });
        }
        self.run(None)?;
        // After `run(None)` every request has its outcome; `Local` is never used.
        let outcomes = requests.iter().zip(sent).map(|((conn, _), id)| {
            let missing = Err(RequestError::Closed(CloseReason::Local));
            self.take(*conn, id?).unwrap_or(missing)
        });
        Ok(outcomes.collect())
    }

    /// Requests sent on any connection whose outcome has not arrived yet.
    pub fn waiting(&self) -> usize {
        self.conns.iter().map(|conn| conn.waiting).sum()
    }

    /// Why `conn` closed, once it has.
    pub fn close_reason(&self, conn: ConnId) -> Option<&CloseReason> {
        self.conns[conn.0].closed.as_ref()
    }

    /// Takes the socket or TLS error that ended `conn`, if one did: its
    /// [`close_reason`](Self::close_reason) then says EOF, and this says why (for
    /// example [`Error::Tls`] when a TLS 1.3 server refuses the client's certificate
    /// after the TLS handshake).
    pub fn take_failure(&mut self, conn: ConnId) -> Option<Error> {
        self.conns[conn.0].failure.take()
    }

    /// The state machine of `conn`, for its getters (state, protocol, ...).
    pub fn core(&self, conn: ConnId) -> &conn::Connection {
        &self.conns[conn.0].core
    }
}

impl Conn {
    /// Writes what the core has to send, until done or the socket would block.
    fn flush(&mut self) {
        let Some(socket) = &mut self.socket else {
            return;
        };
        while self.core.wants_write() {
            match socket.write(self.core.transmit()) {
                Ok(0) => return self.fail(ErrorKind::WriteZero.into()),
                Ok(n) => self.core.advance_transmit(n),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return self.fail(e),
            }
        }
    }

    /// Reads into the core until the socket would block, EOF, or an error (as EOF).
    fn read(&mut self) {
        let Some(socket) = &mut self.socket else {
            return;
        };
        while self.core.state() != State::Closed {
            let read = socket.read(self.core.read_buf());
            let now = Instant::now();
            match read {
                Ok(0) => return self.core.handle_eof(now),
                Ok(n) => self.core.handle_read(n, now),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return self.fail(e),
            }
        }
    }

    /// The socket broke: its error is kept, and the core sees EOF.
    fn fail(&mut self, error: io::Error) {
        self.failure = Some(Error::from(error));
        self.core.handle_eof(Instant::now());
    }

    /// Files the core's events: outcomes by id; on close, drops the socket.
    fn take_events(&mut self, registry: &Registry) {
        while let Some(event) = self.core.poll_event() {
            match event {
                Event::Reply { id, result } => {
                    self.outcomes.insert(id, result);
                    self.waiting -= 1;
                }
                Event::Closed(reason) => {
                    if let Some(mut socket) = self.socket.take() {
                        let _ = registry.deregister(socket.source());
                    }
                    self.closed = Some(reason);
                }
                _ => {}
            }
        }
    }
}

impl Socket {
    fn new(stream: Stream) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(match stream {
            Stream::Tcp(s) => Socket::Tcp(mio::net::TcpStream::from_std(s)),
            #[cfg(unix)]
            Stream::Unix(s) => Socket::Unix(mio::net::UnixStream::from_std(s)),
            // `transport::connect_parts` hands out the plain socket; TLS goes on top here.
            Stream::Tls(_) => {
                return Err(io::Error::new(
                    ErrorKind::InvalidInput,
                    "expected a plain socket to put under TLS",
                ));
            }
        })
    }

    fn source(&mut self) -> &mut dyn Source {
        match self {
            Socket::Tcp(s) => s,
            #[cfg(unix)]
            Socket::Unix(s) => s,
            Socket::Tls(s) => s.socket_mut().source(),
        }
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            Socket::Unix(s) => s.read(buf),
            Socket::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            Socket::Unix(s) => s.write(buf),
            Socket::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// mio sockets are always non-blocking.
impl Nonblocking for Socket {
    fn set_nonblocking(&self, _nonblocking: bool) -> io::Result<()> {
        Ok(())
    }
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
