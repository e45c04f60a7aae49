//! An exclusive async connection: the core's driving loop, run inline inside each
//! call's future.

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};
use std::time::{Duration, Instant};

use redis_sansio::config::ConnectionConfig;
use redis_sansio::conn::{self, Event, RequestId, State};
use redis_sansio::deadline;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd, SendError};

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
    /// The outcomes of the call in progress (or the last one).
    call: CallOutcomes,
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
    /// With [`ConnectionConfig::tls`] on (`rediss://`), the TLS handshake runs after
    /// the socket opens, bounded by the connect timeout (see [`crate::tls`]).
    ///
    /// Fails with [`Error::UnknownHost`] or [`Error::Connect`] (refused, timed out,
    /// missing Unix socket) when no socket opens, with [`Error::Tls`] when TLS fails
    /// (or [`Error::TlsUnsupported`] in a build without the `tls` feature), and with
    /// [`Error::Closed`] when the handshake fails ([`CloseReason::Auth`] for wrong
    /// credentials) or times out.
    pub async fn connect(config: ConnectionConfig) -> Result<Self, Error> {
        let stream = transport::connect::<R>(&config).await?;
        let mut conn = Connection {
            io: Io::new(stream, conn::Connection::new(config, Instant::now())),
            call: CallOutcomes::default(),
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

    /// Sends `cmd` and resolves to its reply. A server error is
    /// `Err(Error::Request(..))` and leaves the connection usable.
    ///
    /// The command is queued when this is called; the returned future drives the
    /// connection until the reply is in.
    pub fn request(&mut self, cmd: &Cmd) -> ExclusiveRequest<'_, R> {
        let queued = self.queue(1, |io, now| io.core.send(cmd, now));
        ExclusiveRequest(Call::new(self, queued))
    }

    /// Sends the commands back to back and resolves to each one's outcome, in order.
    /// One command's server error does not affect the others.
    ///
    /// Every command is queued when this is called. A long pipeline is written as it
    /// is encoded, a write's worth at a time
    /// ([`send_some`](redis_sansio::conn::Connection::send_some)), as far as the
    /// socket takes it without waiting, so the server starts on it early.
    pub fn pipeline(&mut self, cmds: &[Cmd]) -> ExclusivePipeline<'_, R> {
        let queued = self.queue(cmds.len(), |io, now| io.send_streaming(cmds, now));
        ExclusivePipeline(Call::new(self, queued))
    }

    /// Runs `cmds` in `MULTI`/`EXEC` and resolves to `EXEC`'s array of replies.
    pub fn transaction(&mut self, cmds: &[Cmd]) -> ExclusiveRequest<'_, R> {
        let queued = self.queue(1, |io, now| io.core.send_transaction(cmds, now));
        ExclusiveRequest(Call::new(self, queued))
    }

    /// The next message, push or MONITOR line, waiting at most `timeout` (`None`: as
    /// long as it takes). `Ok(None)` when the time ran out; `Err(Error::Closed(..))`
    /// when the connection closed, during the wait or before.
    pub async fn next_event(&mut self, timeout: Option<Duration>) -> Result<Option<Event>, Error> {
        if let Some(event) = self.events.pop_front() {
            return Ok(Some(event));
        }
        self.check_open()?;
        let deadline = timeout.map(|timeout| deadline::after(Instant::now(), timeout));
        self.drive(deadline, |conn| !conn.events.is_empty()).await?;
        match self.events.pop_front() {
            Some(event) => Ok(Some(event)),
            None => self.check_open().map(|()| None),
        }
    }

    /// [`next_event`](Self::next_event) without a timeout, as a poll method: for a
    /// `Stream` of events or messages. `Ready(Err(Error::Closed(..)))` once the
    /// connection has closed and every event before the close was taken.
    pub fn poll_next_event(&mut self, cx: &mut Context<'_>) -> Poll<Result<Event, Error>> {
        if let Some(event) = self.events.pop_front() {
            return Poll::Ready(Ok(event));
        }
        self.check_open()?;
        ready!(self.poll_drive(cx, None, &|conn: &Self| !conn.events.is_empty()))?;
        Poll::Ready(self.events.pop_front().ok_or_else(|| self.closed_error()))
    }

    /// The state machine underneath, for its getters (protocol, subscriptions, ...).
    pub fn core(&self) -> &conn::Connection {
        &self.io.core
    }

    /// Why the connection closed, once it has.
    pub fn close_reason(&self) -> Option<&CloseReason> {
        self.closed.as_ref()
    }

    /// Reads what the socket has already received, without waiting, and returns why
    /// the connection is closed if it now is. Call it before reusing a connection
    /// that sat idle (a pool does, at checkout): a server that closed it meanwhile
    /// (`CLIENT KILL`, its own idle timeout, a restart) shows up here as end of
    /// stream instead of as the next command's error. Replies of abandoned calls
    /// that arrive are dropped as usual. Where sockets learn readiness from the
    /// runtime's reactor (tokio), a close that arrived since the reactor last ran is
    /// seen only after it runs again, on the task's next wait.
    pub fn probe(&mut self) -> Option<&CloseReason> {
        if self.closed.is_none() {
            // One pass of the driving loop that never waits: whatever is not ready
            // now is left for the next call, which registers its own waker.
            let mut cx = Context::from_waker(Waker::noop());
            let _ = self.poll_drive(&mut cx, None, &|_: &Self| false);
        }
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

    /// Sends with `send` (which returns the first request's id) and makes the call
    /// wait for `n` outcomes from that id on; outcomes of earlier, abandoned calls are
    /// dropped from now on. On an idle connection, what the socket has received is
    /// read first ([`Io::read_unasked`]): a reply nobody asked for closes it.
    fn queue(
        &mut self,
        n: usize,
        send: impl FnOnce(&mut Io<R>, Instant) -> Result<RequestId, SendError>,
    ) -> Result<(), Error> {
        if self.closed.is_none() {
            // Whatever is not there yet is read by the call's future, which arms its
            // own waker.
            let mut cx = Context::from_waker(Waker::noop());
            if let Err(error) = self.io.read_unasked(&mut cx) {
                self.io.core.handle_eof(Instant::now());
                self.take_events();
                return Err(Error::from(error));
            }
            self.take_events();
        }
        self.check_open()?;
        let first = if n == 0 {
            None
        } else {
            Some(send(&mut self.io, Instant::now())?)
        };
        self.call.start(first, n);
        Ok(())
    }

    /// Drives the connection as `done` asks, in a future.
    async fn drive(
        &mut self,
        deadline: Option<Instant>,
        done: impl Fn(&Self) -> bool,
    ) -> Result<(), Error> {
        poll_fn(|cx| self.poll_drive(cx, deadline, &done)).await
    }

    /// Drives until every expected outcome is in, and takes them.
    fn poll_outcomes(&mut self, cx: &mut Context<'_>) -> Poll<Result<Vec<Outcome>, Error>> {
        let done = |conn: &Self| conn.call.is_complete();
        if let Err(error) = ready!(self.poll_drive(cx, None, &done)) {
            return Poll::Ready(Err(error));
        }
        if !self.call.is_complete() {
            return Poll::Ready(Err(self.closed_error()));
        }
        Poll::Ready(Ok(self.call.take()))
    }

    /// The driving loop: take events, stop when `done`, closed or past `deadline`;
    /// otherwise let the socket and the timer make progress, and repeat.
    fn poll_drive(
        &mut self,
        cx: &mut Context<'_>,
        deadline: Option<Instant>,
        done: &impl Fn(&Self) -> bool,
    ) -> Poll<Result<(), Error>> {
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
                    return Poll::Ready(Err(Error::from(error)));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Files the core's events: outcomes of the call in progress by id (others are
    /// from abandoned calls and dropped), the rest for `next_event`.
    fn take_events(&mut self) {
        self.call.take_in_order(&mut self.io.core);
        loop {
            while let Some((id, outcome)) = self.io.core.poll_reply() {
                self.call.file(id, outcome);
            }
            match self.io.core.poll_event() {
                None => return,
                Some(Event::Reply { id, result }) => self.call.file(id, result),
                Some(Event::Closed(reason)) => self.closed = Some(reason),
                Some(Event::Connected { .. }) => {}
                Some(other) => self.events.push_back(other),
            }
        }
    }
}

/// The outcomes one call waits for: `len` requests with consecutive ids from
/// `first`. They normally arrive in order and go straight into `in_order`; one that
/// overtakes another (a timeout) waits in `ahead` until those before it are in.
#[derive(Debug, Default)]
struct CallOutcomes {
    first: Option<RequestId>,
    len: usize,
    /// The outcomes of `first.offset(0..in_order.len())`.
    in_order: Vec<Outcome>,
    /// Outcomes that arrived before an earlier one, by index; empty, or `len` long.
    ahead: Vec<Option<Outcome>>,
}

impl CallOutcomes {
    /// Starts waiting for `len` outcomes from `first` on (none when `first` is None);
    /// those of any earlier call are dropped from now on.
    fn start(&mut self, first: Option<RequestId>, len: usize) {
        self.first = first;
        self.len = if first.is_some() { len } else { 0 };
        self.in_order.clear();
        // The vector the call returns; sized now, it may also serve the core to
        // gather the replies in (see `Connection::take_replies`).
        self.in_order.reserve(self.len);
        self.ahead.clear();
    }

    fn is_complete(&self) -> bool {
        self.in_order.len() == self.len
    }

    /// Takes the outcomes, once complete.
    fn take(&mut self) -> Vec<Outcome> {
        std::mem::take(&mut self.in_order)
    }

    /// Takes the replies that come next in order straight from the core, all at once.
    fn take_in_order(&mut self, core: &mut conn::Connection) {
        if let Some(first) = self.first {
            if self.in_order.len() < self.len && core.take_replies(first, &mut self.in_order) > 0 {
                self.absorb();
            }
        }
    }

    /// Files one outcome; one of another call is dropped.
    fn file(&mut self, id: RequestId, outcome: Outcome) {
        let Some(index) = self
            .first
            .and_then(|first| id.get().checked_sub(first.get()))
            .and_then(|index| usize::try_from(index).ok())
            .filter(|&index| index < self.len)
        else {
            return;
        };
        if index == self.in_order.len() {
            self.in_order.push(outcome);
            self.absorb();
        } else if index > self.in_order.len() {
            if self.ahead.is_empty() {
                self.ahead.resize_with(self.len, || None);
            }
            self.ahead[index].get_or_insert(outcome);
        }
    }

    /// Moves outcomes that arrived ahead into `in_order` once their turn has come.
    fn absorb(&mut self) {
        while let Some(outcome) = self
            .ahead
            .get_mut(self.in_order.len())
            .and_then(Option::take)
        {
            self.in_order.push(outcome);
        }
    }
}

/// The state shared by the exclusive connection's named futures: the connection, and
/// the error if queueing the call already failed.
struct Call<'a, R: Runtime> {
    conn: &'a mut Connection<R>,
    queued: Option<Error>,
}

impl<'a, R: Runtime> Call<'a, R> {
    fn new(conn: &'a mut Connection<R>, queued: Result<(), Error>) -> Self {
        Call {
            conn,
            queued: queued.err(),
        }
    }

    fn poll_outcomes(&mut self, cx: &mut Context<'_>) -> Poll<Result<Vec<Outcome>, Error>> {
        match self.queued.take() {
            Some(error) => Poll::Ready(Err(error)),
            None => self.conn.poll_outcomes(cx),
        }
    }
}

/// The future of [`Connection::request`] and [`Connection::transaction`]: one reply.
///
/// A named type, so wrappers can store it and name it; dropping it is safe (see
/// [`Connection`]). [`into_connection`](Self::into_connection) gives the borrow back.
#[must_use = "futures do nothing unless awaited; the command is sent regardless"]
pub struct ExclusiveRequest<'a, R: Runtime>(Call<'a, R>);

impl<'a, R: Runtime> ExclusiveRequest<'a, R> {
    /// The connection this call borrows, for a wrapper that goes on using it after
    /// the reply (or abandons the reply).
    pub fn into_connection(self) -> &'a mut Connection<R> {
        self.0.conn
    }
}

impl<R: Runtime> Future for ExclusiveRequest<'_, R> {
    type Output = Result<Frame, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let call = &mut self.get_mut().0;
        let outcomes = ready!(call.poll_outcomes(cx));
        Poll::Ready(outcomes.and_then(|mut outcomes| match outcomes.pop() {
            Some(outcome) => outcome.map_err(Error::Request),
            None => Err(call.conn.closed_error()),
        }))
    }
}

/// The future of [`Connection::pipeline`]: every command's outcome, in order.
#[must_use = "futures do nothing unless awaited; the commands are sent regardless"]
pub struct ExclusivePipeline<'a, R: Runtime>(Call<'a, R>);

impl<'a, R: Runtime> ExclusivePipeline<'a, R> {
    /// The connection this call borrows.
    pub fn into_connection(self) -> &'a mut Connection<R> {
        self.0.conn
    }
}

impl<R: Runtime> Future for ExclusivePipeline<'_, R> {
    type Output = Result<Vec<Outcome>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().0.poll_outcomes(cx)
    }
}

#[cfg(test)]
mod tests {
    use redis_sansio::RequestError;
    use redis_sansio::config::ConnectionConfig;

    use super::*;

    fn int(n: i64) -> Outcome {
        Ok(Frame::Integer(n))
    }

    #[test]
    fn outcomes_arriving_out_of_order_wait_their_turn() {
        // Only the ids matter: those of a core that was never connected.
        let core = conn::Connection::new(ConnectionConfig::default(), Instant::now());
        let first = core.next_id().offset(5);
        let mut call = CallOutcomes::default();
        call.start(Some(first), 3);
        call.file(first.offset(2), Err(RequestError::Timeout));
        call.file(first.offset(3), int(99)); // another call's
        assert!(!call.is_complete());
        call.file(first, int(0));
        call.file(first.offset(2), int(2)); // already filed
        assert!(!call.is_complete());
        call.file(first.offset(1), int(1));
        assert!(call.is_complete());
        assert_eq!(call.take(), [int(0), int(1), Err(RequestError::Timeout)]);
        // The next call drops what is left of this one.
        call.start(Some(first.offset(3)), 1);
        call.file(first, int(0));
        assert!(!call.is_complete());
        call.file(first.offset(3), int(3));
        assert_eq!(call.take(), [int(3)]);
    }
}
