//! A multiplexed client: many tasks share one connection through a driver task.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use redis_sansio::config::ConnectionConfig;
use redis_sansio::conn::{Event, RequestId};
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd, RequestError};

use crate::transport::Io;
use crate::{Connection, Error, Outcome, Runtime};

/// A cloneable client that many tasks share: one connection, driven by a task spawned
/// on the runtime.
///
/// Each call queues its commands for the driver and returns a named future
/// ([`Request`] or [`Pipeline`]) that is `Send` and `'static`. The commands are queued
/// when the method is called, not when the future is first polled, so calls made one
/// after another from one task reach the server in that order. Whatever is queued
/// when the driver wakes goes out in one write: concurrent callers are pipelined
/// automatically.
///
/// - **Exactly one outcome per call**, matched by request id, never by position: a
///   reply cannot reach the wrong caller.
/// - **Cancellation-safe**: dropping a future abandons only its own outcome. If its
///   commands were sent, the driver still reads their replies and discards them; if
///   not yet, they are not sent at all.
/// - **Failure**: when the connection dies, every pending caller gets the close
///   reason ([`Error::Request`] with `RequestError::Closed` for sent requests,
///   [`Error::Closed`] for the rest), and so does every later call. A socket error
///   counts as the server closing ([`CloseReason::Eof`]). There is no reconnect yet.
/// - **Deadlines**: the configured response timeout and blocking-command timeouts
///   are the core's; the driver arms one timer for the earliest of them.
/// - **Shutdown**: the driver closes the connection once every `Client` handle is
///   dropped and the last outstanding request has its outcome, or at once on
///   [`close`](Self::close).
///
/// The connection is shared, so the core refuses, with [`SendError::Shared`]
/// (`Error::Send`), what one caller cannot keep to itself: `SELECT`, `AUTH`,
/// `WATCH`/`MULTI`/`EXEC` sent one by one (use [`transaction`](Self::transaction),
/// which stays contiguous), pub/sub and `MONITOR`. For those, open a
/// [`dedicated`](Self::dedicated) connection. Pushes that arrive anyway (client-side
/// caching invalidations, say) have no receiver and are dropped. A blocking command
/// (`BLPOP`, ...) holds up every caller behind it, as on any multiplexed connection.
///
/// [`SendError::Shared`]: redis_sansio::SendError::Shared
pub struct Client<R: Runtime> {
    shared: Arc<Shared>,
    _runtime: PhantomData<fn() -> R>,
}

impl<R: Runtime> Client<R> {
    /// Connects to the server a URL names, completes the handshake and spawns the
    /// driver.
    pub async fn open(url: &str) -> Result<Self, Error> {
        Self::connect(url.parse()?).await
    }

    /// Connects as `config` says, completes the handshake and spawns the driver. Fails
    /// as [`Connection::connect`] does.
    pub async fn connect(config: ConnectionConfig) -> Result<Self, Error> {
        let conn = Connection::<R>::connect(config).await?;
        Ok(Self::from_connection(conn))
    }

    /// Hands an open connection to a new driver task. Its undelivered messages are
    /// dropped.
    pub fn from_connection(conn: Connection<R>) -> Self {
        let shared = Arc::new(Shared {
            config: conn.core().config().clone(),
            inner: Mutex::new(Inner {
                queue: Vec::new(),
                waker: None,
                closed: None,
                handles: 1,
                close_requested: false,
            }),
        });
        let mut io = conn.into_io();
        io.core.set_shared(true);
        R::spawn(Driver::<R> {
            io,
            shared: shared.clone(),
            waiting: HashMap::new(),
        });
        Client {
            shared,
            _runtime: PhantomData,
        }
    }

    /// Sends `cmd` and resolves to its reply. A server error is
    /// `Err(Error::Request(..))` and leaves the connection usable.
    pub fn request(&self, cmd: &Cmd) -> Request {
        Request(self.enqueue(Op::Commands(vec![cmd.clone()]), 1))
    }

    /// Sends the commands back to back and resolves to each one's outcome, in order.
    /// One command's server error does not affect the others; a refused command
    /// ([`Error::Send`]) fails the whole call.
    pub fn pipeline(&self, cmds: &[Cmd]) -> Pipeline {
        Pipeline(self.enqueue(Op::Commands(cmds.to_vec()), cmds.len()))
    }

    /// Runs `cmds` in `MULTI`/`EXEC` and resolves to `EXEC`'s array of replies. The
    /// transaction goes out contiguously, so other callers' commands cannot land
    /// inside it.
    pub fn transaction(&self, cmds: &[Cmd]) -> Request {
        Request(self.enqueue(Op::Transaction(cmds.to_vec()), 1))
    }

    /// Opens a new exclusive [`Connection`] with this client's settings, for what a
    /// shared connection cannot do: `WATCH`-based transactions, blocking commands
    /// that would hold up every caller, pub/sub.
    pub async fn dedicated(&self) -> Result<Connection<R>, Error> {
        Connection::connect(self.shared.config.clone()).await
    }

    /// The settings the connection was opened with.
    pub fn config(&self) -> &ConnectionConfig {
        &self.shared.config
    }

    /// Closes the connection: outstanding requests fail with [`CloseReason::Local`],
    /// and so do later ones.
    pub fn close(&self) {
        let waker = {
            let mut inner = self.shared.lock();
            inner.close_requested = true;
            inner.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Why the connection closed, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.shared.lock().closed.clone()
    }

    /// True once the connection has closed; every call then fails with
    /// [`Error::Closed`].
    pub fn is_closed(&self) -> bool {
        self.shared.lock().closed.is_some()
    }

    fn enqueue(&self, op: Op, outcomes: usize) -> Waiter {
        let slot = Arc::new(Slot::new(outcomes));
        if outcomes == 0 {
            return Waiter(Some(slot));
        }
        let waker = {
            let mut inner = self.shared.lock();
            match &inner.closed {
                Some(reason) => {
                    slot.fail(Error::Closed(reason.clone()));
                    None
                }
                None => {
                    inner.queue.push(Queued {
                        op,
                        slot: slot.clone(),
                    });
                    inner.waker.take()
                }
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Waiter(Some(slot))
    }
}

impl<R: Runtime> Clone for Client<R> {
    fn clone(&self) -> Self {
        self.shared.lock().handles += 1;
        Client {
            shared: self.shared.clone(),
            _runtime: PhantomData,
        }
    }
}

impl<R: Runtime> Drop for Client<R> {
    fn drop(&mut self) {
        let waker = {
            let mut inner = self.shared.lock();
            inner.handles -= 1;
            if inner.handles == 0 {
                inner.waker.take()
            } else {
                None
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<R: Runtime> fmt::Debug for Client<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.shared.lock();
        f.debug_struct("Client")
            .field("queued", &inner.queue.len())
            .field("closed", &inner.closed)
            .finish_non_exhaustive()
    }
}

/// The future of [`Client::request`] and [`Client::transaction`]: the reply.
///
/// Dropping it abandons the reply, which the driver then discards.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled; the request is sent regardless"]
pub struct Request(Waiter);

impl Future for Request {
    type Output = Result<Frame, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll_outcomes(cx).map(|outcomes| {
            outcomes?
                .pop()
                .ok_or(Error::Closed(CloseReason::Local))?
                .map_err(Error::Request)
        })
    }
}

/// The future of [`Client::pipeline`]: every command's outcome, in order.
///
/// Dropping it abandons the outcomes, which the driver then discards.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled; the commands are sent regardless"]
pub struct Pipeline(Waiter);

impl Future for Pipeline {
    type Output = Result<Vec<Outcome>, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll_outcomes(cx)
    }
}

/// The caller's end of a [`Slot`]; marks it abandoned when dropped.
#[derive(Debug)]
struct Waiter(Option<Arc<Slot>>);

impl Waiter {
    fn poll_outcomes(&mut self, cx: &mut Context<'_>) -> Poll<Result<Vec<Outcome>, Error>> {
        let slot = self.0.as_ref().expect("future polled after completion");
        let result = {
            let mut state = slot.lock();
            if let Some(error) = state.error.take() {
                Err(error)
            } else if state.remaining == 0 {
                Ok(mem::take(&mut state.outcomes)
                    .into_iter()
                    .flatten()
                    .collect())
            } else {
                match &mut state.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    waker => *waker = Some(cx.waker().clone()),
                }
                return Poll::Pending;
            }
        };
        self.0 = None;
        Poll::Ready(result)
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            let mut state = slot.lock();
            state.abandoned = true;
            state.waker = None;
        }
    }
}

/// Where the driver puts one call's outcomes: a oneshot for a list of outcomes.
#[derive(Debug)]
struct Slot(Mutex<SlotState>);

#[derive(Debug)]
struct SlotState {
    outcomes: Vec<Option<Outcome>>,
    /// Outcomes not yet in.
    remaining: usize,
    /// Set when the call failed as a whole; it then completes at once.
    error: Option<Error>,
    waker: Option<Waker>,
    /// The caller dropped its future.
    abandoned: bool,
}

impl Slot {
    fn new(outcomes: usize) -> Self {
        let mut slots = Vec::new();
        slots.resize_with(outcomes, || None);
        Slot(Mutex::new(SlotState {
            outcomes: slots,
            remaining: outcomes,
            error: None,
            waker: None,
            abandoned: false,
        }))
    }

    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_abandoned(&self) -> bool {
        self.lock().abandoned
    }

    /// Fills in outcome `index`; wakes the caller when it was the last.
    fn complete(&self, index: usize, outcome: Outcome) {
        let waker = {
            let mut state = self.lock();
            match state.outcomes.get_mut(index) {
                Some(slot @ None) => *slot = Some(outcome),
                _ => return,
            }
            state.remaining -= 1;
            if state.remaining > 0 || state.error.is_some() {
                return;
            }
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Fails the whole call, unless it already completed.
    fn fail(&self, error: Error) {
        let waker = {
            let mut state = self.lock();
            if state.remaining == 0 || state.error.is_some() {
                return;
            }
            state.error = Some(error);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// What the client handles and the driver share.
#[derive(Debug)]
struct Shared {
    inner: Mutex<Inner>,
    /// The settings the connection was opened with, for [`Client::dedicated`].
    config: ConnectionConfig,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Debug)]
struct Inner {
    /// Calls waiting for the driver to send them.
    queue: Vec<Queued>,
    /// Wakes the driver.
    waker: Option<Waker>,
    /// Set by the driver when the connection has closed; no call is queued after.
    closed: Option<CloseReason>,
    /// Live `Client` handles.
    handles: usize,
    close_requested: bool,
}

#[derive(Debug)]
struct Queued {
    op: Op,
    slot: Arc<Slot>,
}

#[derive(Debug)]
enum Op {
    /// Commands sent one by one; one outcome each.
    Commands(Vec<Cmd>),
    /// `MULTI`, the commands, `EXEC`; one outcome.
    Transaction(Vec<Cmd>),
}

/// The task that owns the socket: sends queued calls, routes outcomes by request id.
struct Driver<R: Runtime> {
    io: Io<R>,
    shared: Arc<Shared>,
    /// Requests on the wire: whose slot gets their outcome, and at which index.
    waiting: HashMap<RequestId, (Arc<Slot>, usize)>,
}

impl<R: Runtime> Future for Driver<R> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            if let Some(reason) = this.deliver() {
                this.finish(reason);
                return Poll::Ready(());
            }
            let (queue, stop, close) = {
                let mut inner = this.shared.lock();
                match &mut inner.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    waker => *waker = Some(cx.waker().clone()),
                }
                (
                    mem::take(&mut inner.queue),
                    inner.handles == 0,
                    inner.close_requested,
                )
            };
            let now = Instant::now();
            for queued in queue {
                this.submit(queued, now);
            }
            if close || (stop && this.waiting.is_empty()) {
                this.io.core.close(now);
                let reason = this.deliver().unwrap_or(CloseReason::Local);
                this.finish(reason);
                return Poll::Ready(());
            }
            match this.io.poll_io(cx, None) {
                Poll::Ready(Ok(_)) => {}
                // The socket broke: pending requests fail as on EOF.
                Poll::Ready(Err(_)) => this.io.core.handle_eof(Instant::now()),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<R: Runtime> Driver<R> {
    /// Hands one queued call to the core, or drops it if its caller is gone.
    fn submit(&mut self, queued: Queued, now: Instant) {
        let Queued { op, slot } = queued;
        if slot.is_abandoned() {
            return;
        }
        let core = &mut self.io.core;
        match op {
            Op::Commands(cmds) => {
                for (index, cmd) in cmds.iter().enumerate() {
                    match core.send(cmd, now) {
                        Ok(id) => {
                            self.waiting.insert(id, (slot.clone(), index));
                        }
                        Err(error) => {
                            slot.fail(Error::Send(error));
                            break;
                        }
                    }
                }
            }
            Op::Transaction(cmds) => match core.send_transaction(&cmds, now) {
                Ok(id) => {
                    self.waiting.insert(id, (slot, 0));
                }
                Err(error) => slot.fail(Error::Send(error)),
            },
        }
    }

    /// Routes the core's events; returns the close reason once it has closed.
    fn deliver(&mut self) -> Option<CloseReason> {
        while let Some(event) = self.io.core.poll_event() {
            match event {
                Event::Reply { id, result } => {
                    if let Err(RequestError::Closed(reason)) = &result {
                        // Record the close before waking the caller, so that it
                        // sees `is_closed()` and `close_reason()` already set.
                        self.shared
                            .lock()
                            .closed
                            .get_or_insert_with(|| reason.clone());
                    }
                    if let Some((slot, index)) = self.waiting.remove(&id) {
                        slot.complete(index, result);
                    }
                }
                Event::Closed(reason) => return Some(reason),
                _ => {}
            }
        }
        None
    }

    /// The connection is closed: fail whatever is left and refuse later calls.
    fn finish(&mut self, reason: CloseReason) {
        let queue = {
            let mut inner = self.shared.lock();
            inner.closed.get_or_insert(reason.clone());
            inner.waker = None;
            mem::take(&mut inner.queue)
        };
        for queued in queue {
            queued.slot.fail(Error::Closed(reason.clone()));
        }
        for (_, (slot, _)) in self.waiting.drain() {
            slot.fail(Error::Closed(reason.clone()));
        }
    }
}

impl<R: Runtime> Drop for Driver<R> {
    /// Also when the runtime drops the task unfinished (it shut down): no caller is
    /// left waiting forever.
    fn drop(&mut self) {
        self.io.core.close(Instant::now());
        let reason = self.deliver().unwrap_or(CloseReason::Local);
        self.finish(reason);
    }
}
