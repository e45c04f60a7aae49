//! A blocking connection: the core's driving loop over a std socket.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use redis_sansio::config::ConnectionConfig;
use redis_sansio::conn::{self, Event, RequestId, State, UnreadEvents};
use redis_sansio::deadline;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd};

use crate::caching::Caching;
use crate::transport::{self, Stream};
use crate::{Error, Outcome};

/// How many reads [`Connection::probe`] makes at most.
const PROBE_READS: usize = 16;

/// A blocking connection to one Redis server, over TCP or a Unix socket, with or
/// without TLS.
///
/// Each call writes what the core has to send, then reads until the outcome it waits
/// for has arrived, arming the socket's read timeout from the core's deadlines, and
/// takes it from the core, which keeps outcomes by request id
/// ([`keep_outcomes_by_id`](conn::Connection::keep_outcomes_by_id)). There is no
/// protocol logic here, and no book of outcomes: that is all in
/// [`redis_sansio::conn::Connection`].
///
/// A misbehaving server never gets a reply to the wrong caller: before a request goes
/// out on an idle connection, what the socket already holds is read, so a reply
/// nobody asked for closes the connection ([`CloseReason::UnexpectedReply`]) instead
/// of answering the next request.
///
/// ```no_run
/// use redis_io_sync::Connection;
/// use redis_sansio::Cmd;
///
/// let mut conn = Connection::open("redis://127.0.0.1:6379")?;
/// conn.request(&Cmd::new("SET").arg("k").arg("v"))?;
/// let replies = conn.pipeline(&[Cmd::new("GET").arg("k"), Cmd::new("DBSIZE")])?;
/// # Ok::<(), redis_io_sync::Error>(())
/// ```
#[derive(Debug)]
pub struct Connection {
    stream: Stream,
    pub(crate) core: conn::Connection,
    /// Messages, pushes and MONITOR lines, for [`Connection::next_event`], within
    /// the configuration's `push_limits` (past them the connection closes with
    /// [`CloseReason::UnreadPushes`]).
    events: UnreadEvents,
    closed: Option<CloseReason>,
    /// The read timeout the socket has now, to set it only when it changes.
    read_timeout: Option<Duration>,
    /// Client-side caching, once [`Connection::with_cache`] turned it on.
    pub(crate) caching: Option<Box<Caching>>,
}

/// What [`Connection::readiness`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Readiness {
    /// `next_event` has an event or the close to give.
    Ready,
    /// Nothing yet, and the socket has nothing unread.
    Idle,
    /// Nothing yet, but the socket had more than one look reads: look again at once.
    Unread,
}

impl Connection {
    /// Connects to the server a URL names and completes the handshake.
    pub fn open(url: &str) -> Result<Self, Error> {
        Self::connect(url.parse()?)
    }

    /// Connects as `config` says and completes the handshake. With
    /// [`ConnectionConfig::tls`] on (`rediss://`), the TLS handshake runs first,
    /// bounded by the connect timeout.
    ///
    /// Fails with [`Error::UnknownHost`] or [`Error::Connect`] (refused, timed out,
    /// missing Unix socket) when no socket opens, with [`Error::Tls`] when TLS fails
    /// ([`Error::TlsUnsupported`] without the `tls` feature), and with
    /// [`Error::Closed`] when the handshake fails ([`CloseReason::Auth`] for wrong
    /// credentials) or times out.
    pub fn connect(config: ConnectionConfig) -> Result<Self, Error> {
        let stream = transport::connect(&config)?;
        let push_limits = config.push_limits;
        let mut core = conn::Connection::new(config, Instant::now());
        core.keep_outcomes_by_id();
        let mut conn = Connection {
            stream,
            core,
            events: UnreadEvents::new(push_limits),
            closed: None,
            read_timeout: None,
            caching: None,
        };
        conn.drive_until(|conn| conn.core.state() != State::Handshaking)?;
        match &conn.closed {
            Some(reason) => Err(Error::Closed(reason.clone())),
            None => Ok(conn),
        }
    }

    /// Sends `cmd` and waits for its reply. A server error is `Err(Error::Request(..))`
    /// and leaves the connection usable. With [`with_cache`](Self::with_cache), a
    /// cacheable read may be answered from the cache without being sent.
    pub fn request(&mut self, cmd: &Cmd) -> Result<Frame, Error> {
        if self.caching.is_some() {
            return self.cached_request(cmd);
        }
        self.uncached_request(cmd)
    }

    pub(crate) fn uncached_request(&mut self, cmd: &Cmd) -> Result<Frame, Error> {
        let id = self.send(cmd)?;
        self.wait_for(id)
    }

    /// Queues `cmd` without waiting; several sends then [`wait_for`](Self::wait_for)s form a
    /// pipeline. The bytes go out on the next call that waits or flushes.
    pub fn send(&mut self, cmd: &Cmd) -> Result<RequestId, Error> {
        self.read_unasked();
        self.check_open()?;
        self.note_sent(std::slice::from_ref(cmd));
        Ok(self.core.send(cmd, Instant::now())?)
    }

    /// Waits for the outcome of a request queued with [`send`](Self::send).
    pub fn wait_for(&mut self, id: RequestId) -> Result<Frame, Error> {
        let driven = self.drive_until(|conn| conn.core.is_ready(id));
        // Taken before an IO error is returned, so that nothing is left behind.
        let outcome = self.core.take_outcome(id);
        driven?;
        match outcome {
            Some(outcome) => outcome.map_err(Error::Request),
            None => Err(self.closed_error()),
        }
    }

    /// Sends the commands back to back and returns each one's outcome, in order. One
    /// command's server error does not affect the others. A long pipeline is written
    /// as it is encoded, a write's worth at a time ([`conn::Connection::send_some`]),
    /// so the server starts on it early.
    pub fn pipeline(&mut self, cmds: &[Cmd]) -> Result<Vec<Outcome>, Error> {
        self.read_unasked();
        self.check_open()?;
        if cmds.is_empty() {
            return Ok(Vec::new());
        }
        self.note_sent(cmds);
        let start = self.core.next_id();
        let mut queued = 0;
        while queued < cmds.len() {
            let sent = match self.core.send_some(&cmds[queued..], Instant::now()) {
                Ok(n) => {
                    queued += n;
                    // The last piece goes out with the wait for the replies.
                    if queued == cmds.len() {
                        break;
                    }
                    self.flush()
                }
                Err(error) => Err(error.into()),
            };
            if let Err(error) = sent {
                // Nobody will wait for the commands queued so far.
                let queued = self.core.next_id().get() - start.get();
                for i in 0..queued as usize {
                    self.core.abandon(start.offset(i));
                }
                return Err(error);
            }
        }
        self.collect(start, cmds.len())
    }

    /// Waits for the outcomes of the `len` requests from `first` on, and takes them
    /// ([`conn::Connection::take_outcomes`]).
    fn collect(&mut self, first: RequestId, len: usize) -> Result<Vec<Outcome>, Error> {
        let last = first.offset(len - 1);
        let driven = self.drive_until(|conn| conn.core.is_ready(last));
        let mut outcomes = Vec::with_capacity(len);
        if driven.is_ok() {
            self.core.take_outcomes(first, len, &mut outcomes);
        }
        // Any outcome still missing will never be taken.
        for i in outcomes.len()..len {
            self.core.abandon(first.offset(i));
        }
        driven?;
        if outcomes.len() < len {
            return Err(self.closed_error());
        }
        Ok(outcomes)
    }

    /// Runs `cmds` in `MULTI`/`EXEC` and returns `EXEC`'s array of replies.
    pub fn transaction(&mut self, cmds: &[Cmd]) -> Result<Frame, Error> {
        self.read_unasked();
        self.check_open()?;
        self.note_sent(cmds);
        let id = self.core.send_transaction(cmds, Instant::now())?;
        self.wait_for(id)
    }

    /// The next message, push or MONITOR line, waiting at most `timeout` (`None`: as
    /// long as it takes). `Ok(None)` when the time ran out; `Err(Error::Closed(..))`
    /// when the connection closed, during the wait or before.
    ///
    /// Events that arrive while other calls wait are kept for this, within the
    /// configuration's [`push_limits`](ConnectionConfig::push_limits): past them the
    /// connection closes with [`CloseReason::UnreadPushes`]. So a connection with
    /// subscriptions or `CLIENT TRACKING` (whose invalidations arrive as pushes) must
    /// take its events regularly, even if it otherwise only sends commands.
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Result<Option<Event>, Error> {
        if let Some(event) = self.events.pop() {
            return Ok(Some(event));
        }
        let deadline = timeout.map(|timeout| deadline::after(Instant::now(), timeout));
        self.drive_until_or(deadline, |conn| !conn.events.is_empty())?;
        match self.events.pop() {
            Some(event) => Ok(Some(event)),
            None => match self.close_reason() {
                Some(reason) => Err(Error::Closed(reason.clone())),
                None => Ok(None),
            },
        }
    }

    /// The next message, push or MONITOR line already received, without reading.
    pub(crate) fn take_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// Commands about to go out: the cache drops the keys of writes at once.
    #[inline]
    fn note_sent(&mut self, cmds: &[Cmd]) {
        if let Some(caching) = self.caching.as_mut() {
            for cmd in cmds {
                caching.cache.handle_send(cmd);
            }
        }
    }

    /// The state machine underneath, for its getters (protocol, subscriptions, ...).
    pub fn core(&self) -> &conn::Connection {
        &self.core
    }

    /// Why the connection closed, once it has.
    pub fn close_reason(&self) -> Option<&CloseReason> {
        self.closed.as_ref()
    }

    /// Reads what the socket has already received, without waiting, and returns why
    /// the connection is closed if it now is. Call it before reusing a connection
    /// that sat idle (a pool does, at checkout): a server that closed it meanwhile
    /// (`CLIENT KILL`, its own idle timeout, a restart) shows up here as end of
    /// stream instead of as the next command's error. Replies that arrive are filed
    /// as usual.
    pub fn probe(&mut self) -> Option<&CloseReason> {
        if self.closed.is_none() {
            self.read_received();
        }
        self.drain_invalidations();
        self.closed.as_ref()
    }

    /// Before a request goes out on an idle connection, reads what the socket has
    /// already received, so that a reply nobody asked for closes the connection
    /// ([`CloseReason::UnexpectedReply`]) instead of being taken for this request's
    /// reply: the rule of [`conn::Connection::is_idle`].
    fn read_unasked(&mut self) {
        if self.core.is_idle() {
            self.read_received();
        }
    }

    /// Reads what the socket has already received, without waiting, and files what
    /// it brings: true when nothing more can be read now (the socket would block, or
    /// the connection closed), false when the bound on reads left some unread.
    fn read_received(&mut self) -> bool {
        // A plain socket reads without waiting in one syscall; TLS's reads go
        // through the session, so its socket is switched to non-blocking and back.
        let toggle = !self.stream.reads_without_waiting();
        if toggle && self.stream.set_nonblocking(true).is_err() {
            return true;
        }
        let mut drained = false;
        // Bounded: an idle connection has little or nothing waiting.
        for _ in 0..PROBE_READS {
            let read = self.stream.read_now(self.core.read_buf());
            let now = Instant::now();
            match read {
                Ok(0) => self.core.handle_eof(now),
                Ok(n) => self.core.handle_read(n, now),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    drained = true;
                    break;
                }
                Err(e) => {
                    let _ = self.io_failure(e);
                }
            }
            self.take_events();
            if self.closed.is_some() {
                drained = true;
                break;
            }
        }
        if toggle && self.stream.set_nonblocking(false).is_err() {
            let _ = self.io_failure(ErrorKind::Unsupported.into());
        }
        drained
    }

    /// Whether [`next_event`](Self::next_event) has something to give now (an event,
    /// or the close), after firing the core's due timers and reading what the socket
    /// has received, without waiting: for [`wait_any`](crate::wait_any).
    pub(crate) fn readiness(&mut self) -> Readiness {
        let has_some = |conn: &Self| !conn.events.is_empty() || conn.closed.is_some();
        if has_some(self) {
            return Readiness::Ready;
        }
        if let Some(due) = self.core.poll_timeout() {
            let now = Instant::now();
            if due <= now {
                self.core.handle_timeout(now);
                self.take_events();
            }
        }
        let drained = has_some(self) || self.read_received();
        match (has_some(self), drained) {
            (true, _) => Readiness::Ready,
            (false, true) => Readiness::Idle,
            (false, false) => Readiness::Unread,
        }
    }

    /// When the core's next deadline (a response timeout) is due.
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        self.core.poll_timeout()
    }

    /// The socket, to watch for readability.
    pub(crate) fn stream(&self) -> &Stream {
        &self.stream
    }

    /// Closes the connection; requests still pending fail with [`CloseReason::Local`].
    pub fn close(mut self) {
        self.core.close(Instant::now());
        self.take_events();
    }

    fn check_open(&self) -> Result<(), Error> {
        match &self.closed {
            Some(reason) => Err(Error::Closed(reason.clone())),
            None => Ok(()),
        }
    }

    fn closed_error(&self) -> Error {
        Error::Closed(self.closed.clone().unwrap_or(CloseReason::Local))
    }

    fn drive_until(&mut self, done: impl Fn(&Self) -> bool) -> Result<(), Error> {
        self.drive_until_or(None, done)
    }

    /// The driving loop: write, take events, stop when `done` or closed or past
    /// `deadline`; otherwise read (bounded by the core's next deadline) and repeat.
    fn drive_until_or(
        &mut self,
        deadline: Option<Instant>,
        done: impl Fn(&Self) -> bool,
    ) -> Result<(), Error> {
        loop {
            self.flush()?;
            self.take_events();
            if done(self) || self.closed.is_some() {
                return Ok(());
            }
            let wake = match (self.core.poll_timeout(), deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            // The clock is read only when there is a deadline to wait for.
            let timeout = match wake {
                None => None,
                Some(wake) => {
                    let now = Instant::now();
                    if wake <= now {
                        if deadline.is_some_and(|d| d <= now) {
                            return Ok(());
                        }
                        self.core.handle_timeout(now);
                        continue;
                    }
                    Some(wake - now)
                }
            };
            self.set_read_timeout(timeout)?;
            let read = self.stream.read(self.core.read_buf());
            let now = Instant::now();
            match read {
                Ok(0) => self.core.handle_eof(now),
                Ok(n) => self.core.handle_read(n, now),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    self.core.handle_timeout(now);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_failure(e)),
            }
        }
    }

    /// Writes what [`send`](Self::send) queued, without waiting for any reply: call it
    /// after queueing on several connections, before waiting on any of them, so that
    /// every server starts on its commands at once (one round trip for all, not one
    /// per connection). Fails as a write does (the connection then counts as closed).
    pub fn flush(&mut self) -> Result<(), Error> {
        while self.core.wants_write() {
            match self.stream.write(self.core.transmit()) {
                Ok(0) => return Err(self.io_failure(ErrorKind::WriteZero.into())),
                Ok(n) => self.core.advance_transmit(n),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_failure(e)),
            }
        }
        Ok(())
    }

    /// The socket (or its TLS session) broke: the server is as good as gone, so
    /// pending requests fail as on EOF, and the caller gets the error itself.
    fn io_failure(&mut self, error: std::io::Error) -> Error {
        self.core.handle_eof(Instant::now());
        self.take_events();
        // A TLS failure carried in the IO error comes out as `Error::Tls`.
        Error::from(error)
    }

    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<(), Error> {
        // A zero timeout means "block forever" to std; round up to the smallest wait.
        let timeout = timeout.map(|t| t.max(Duration::from_millis(1)));
        if timeout != self.read_timeout {
            self.stream.set_read_timeout(timeout)?;
            self.read_timeout = timeout;
        }
        Ok(())
    }

    /// Takes the core's events (its outcomes stay there, by id): the close, and the
    /// rest for `next_event`.
    fn take_events(&mut self) {
        while let Some(event) = self.core.poll_event() {
            // Invalidations go to the cache; a close flushes it.
            if let Some(caching) = self.caching.as_mut() {
                if caching.cache.handle_event(&event) {
                    continue;
                }
            }
            match event {
                Event::Closed(reason) => self.closed = Some(reason),
                Event::Connected { .. } | Event::Reply { .. } => {}
                other => self.events.keep(other, &mut self.core),
            }
        }
    }
}
