//! An exclusive async connection: the core's driving loop, run inline inside each
//! call's future.

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::task::Poll;
use std::time::{Duration, Instant};

use redis_sansio::config::ConnectionConfig;
use redis_sansio::conn::{self, Event, RequestId, State};
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd};

use crate::transport::{self, Io, Progress};
use crate::{Error, Outcome, Runtime};

/// An exclusive async connection to one Redis server, over TCP or a Unix socket.
///
/// Each call (`&mut self`) sends its commands, then drives the connection inside its
/// own future, with no background task: it writes what the core has to send, reads
/// into the core's buffer and arms a timer from the core's deadlines, until its
/// outcomes have arrived. Every protocol decision is
/// [`redis_sansio::conn::Connection`]'s.
///
/// **Cancellation**: dropping a call's future before it completes is safe. Its
/// commands still reach the server (or already have), and their replies are read and
/// discarded by a later call; they are never taken for another call's replies.
///
/// For many tasks sharing one socket, use [`Client`](crate::Client).
pub struct Connection<R: Runtime> {
    io: Io<R>,
    /// The id of the first request of the call in progress (or the last one).
    first: u64,
    /// That call's outcomes, by `id - first`.
    outcomes: Vec<Option<Outcome>>,
    /// How many of `outcomes` have not arrived.
    waiting: usize,
    /// Messages, pushes and MONITOR lines, for [`Connection::next_event`].
    events: VecDeque<Event>,
    closed: Option<CloseReason>,
}

impl<R: Runtime> fmt::Debug for Connection<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("core", &self.io.core)
            .field("events", &self.events.len())
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Connection<R> {
    /// Connects to the server a URL names and completes the handshake.
    pub async fn open(url: &str) -> Result<Self, Error> {
        Self::connect(url.parse()?).await
    }

    /// Connects as `config` says and completes the handshake.
    ///
    /// Fails with [`Error::UnknownHost`] or [`Error::Connect`] (refused, timed out,
    /// missing Unix socket) when no socket opens, with [`Error::TlsUnsupported`] for
    /// `rediss://`, and with [`Error::Closed`] when the handshake fails
    /// ([`CloseReason::Auth`] for wrong credentials) or times out.
    pub async fn connect(config: ConnectionConfig) -> Result<Self, Error> {
        let stream = transport::connect::<R>(&config).await?;
        let mut conn = Connection {
            io: Io::new(stream, conn::Connection::new(config, Instant::now())),
            first: 0,
            outcomes: Vec::new(),
            waiting: 0,
            events: VecDeque::new(),
            closed: None,
        };
        conn.drive(None, |conn| conn.io.core.state() != State::Handshaking)
            .await?;
        match &conn.closed {
            Some(reason) => Err(Error::Closed(reason.clone())),
            None => Ok(conn),
        }
    }

    /// Sends `cmd` and waits for its reply. A server error is `Err(Error::Request(..))`
    /// and leaves the connection usable.
    pub async fn request(&mut self, cmd: &Cmd) -> Result<Frame, Error> {
        self.check_open()?;
        let id = self.io.core.send(cmd, Instant::now())?;
        self.expect(id, 1);
        self.wait()
            .await?
            .pop()
            .ok_or_else(|| self.closed_error())?
            .map_err(Error::Request)
    }

    /// Sends every command in one write and returns each one's outcome, in order.
    /// One command's server error does not affect the others.
    pub async fn pipeline(&mut self, cmds: &[Cmd]) -> Result<Vec<Outcome>, Error> {
        self.check_open()?;
        let now = Instant::now();
        let mut first = None;
        for cmd in cmds {
            let id = self.io.core.send(cmd, now)?;
            first.get_or_insert(id);
        }
        match first {
            Some(first) => {
                self.expect(first, cmds.len());
                self.wait().await
            }
            None => Ok(Vec::new()),
        }
    }

    /// Runs `cmds` in `MULTI`/`EXEC` and returns `EXEC`'s array of replies.
    pub async fn transaction(&mut self, cmds: &[Cmd]) -> Result<Frame, Error> {
        self.check_open()?;
        let id = self.io.core.send_transaction(cmds, Instant::now())?;
        self.expect(id, 1);
        self.wait()
            .await?
            .pop()
            .ok_or_else(|| self.closed_error())?
            .map_err(Error::Request)
    }

    /// The next message, push or MONITOR line, waiting at most `timeout` (`None`: as
    /// long as it takes). `Ok(None)` when the time ran out.
    pub async fn next_event(&mut self, timeout: Option<Duration>) -> Result<Option<Event>, Error> {
        if let Some(event) = self.events.pop_front() {
            return Ok(Some(event));
        }
        self.check_open()?;
        let deadline = timeout.map(|timeout| Instant::now() + timeout);
        self.drive(deadline, |conn| !conn.events.is_empty()).await?;
        Ok(self.events.pop_front())
    }

    /// The state machine underneath, for its getters (protocol, subscriptions, ...).
    pub fn core(&self) -> &conn::Connection {
        &self.io.core
    }

    /// Why the connection closed, once it has.
    pub fn close_reason(&self) -> Option<&CloseReason> {
        self.closed.as_ref()
    }

    /// Closes the connection and its socket.
    pub fn close(mut self) {
        self.io.core.close(Instant::now());
        self.take_events();
    }

    /// The socket and core, for a [`Client`](crate::Client)'s driver.
    pub(crate) fn into_io(self) -> Io<R> {
        self.io
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

    /// The call in progress waits for `n` outcomes from `first` on; outcomes of
    /// earlier, abandoned calls are dropped from now on.
    fn expect(&mut self, first: RequestId, n: usize) {
        self.first = first.get();
        self.outcomes.clear();
        self.outcomes.resize_with(n, || None);
        self.waiting = n;
    }

    /// Drives until every expected outcome is in, and takes them.
    async fn wait(&mut self) -> Result<Vec<Outcome>, Error> {
        self.drive(None, |conn| conn.waiting == 0).await?;
        if self.waiting > 0 {
            return Err(self.closed_error());
        }
        Ok(self.outcomes.drain(..).flatten().collect())
    }

    /// The driving loop: take events, stop when `done`, closed or past `deadline`;
    /// otherwise let the socket and the timer make progress, and repeat.
    async fn drive(
        &mut self,
        deadline: Option<Instant>,
        done: impl Fn(&Self) -> bool,
    ) -> Result<(), Error> {
        poll_fn(|cx| {
            loop {
                self.take_events();
                if done(self) || self.closed.is_some() {
                    return Poll::Ready(Ok(()));
                }
                match self.io.poll_io(cx, deadline) {
                    Poll::Ready(Ok(Progress::Made)) => {}
                    Poll::Ready(Ok(Progress::Deadline)) => return Poll::Ready(Ok(())),
                    Poll::Ready(Err(error)) => {
                        // The socket broke: pending requests fail as on EOF, and the
                        // caller gets the IO error itself.
                        self.io.core.handle_eof(Instant::now());
                        self.take_events();
                        return Poll::Ready(Err(Error::Io(error)));
                    }
                    Poll::Pending => return Poll::Pending,
                }
            }
        })
        .await
    }

    /// Files the core's events: outcomes of the call in progress by id (others are
    /// from abandoned calls and dropped), the rest for `next_event`.
    fn take_events(&mut self) {
        while let Some(event) = self.io.core.poll_event() {
            match event {
                Event::Reply { id, result } => {
                    let slot = id
                        .get()
                        .checked_sub(self.first)
                        .and_then(|index| self.outcomes.get_mut(index as usize));
                    if let Some(slot @ None) = slot {
                        *slot = Some(result);
                        self.waiting -= 1;
                    }
                }
                Event::Closed(reason) => self.closed = Some(reason),
                Event::Connected { .. } => {}
                other => self.events.push_back(other),
            }
        }
    }
}
