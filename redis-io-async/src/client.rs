//! A multiplexed client: many tasks share one connection through a driver task.
//!
//! Everything the callers and the driver share sits behind one mutex ([`Inner`]): the
//! queue of calls for the driver and a slab of [`Slot`]s, one per call in progress,
//! reused from call to call. A request costs no allocation (its command is cloned
//! into the queue, where the commands of all queued calls sit back to back) and a
//! short lock hold to queue it, then one per poll of its future (typically two). The
//! driver takes the lock once per wake to hand over every outcome that came in and to
//! take the whole queue, sends each run of consecutive requests and pipelines to the
//! core in one `send_all`, and wakes callers once the lock is released. Requests on
//! the wire are found by id in a [`Waiting`] ring the driver owns, in send order,
//! without hashing.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use redis_sansio::config::ConnectionConfig;
use redis_sansio::conn::{self, Event, RequestId};
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd, RequestError, SendError};

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
                queue: Queue::default(),
                slots: Slots::default(),
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
            waiting: Waiting::default(),
            batch: Queue::default(),
            wake: Vec::new(),
        });
        Client {
            shared,
            _runtime: PhantomData,
        }
    }

    /// Sends `cmd` and resolves to its reply. A server error is
    /// `Err(Error::Request(..))` and leaves the connection usable.
    pub fn request(&self, cmd: &Cmd) -> Request {
        Request(self.enqueue(Call::One(cmd)))
    }

    /// Sends the commands back to back and resolves to each one's outcome, in order.
    /// One command's server error does not affect the others; a refused command
    /// ([`Error::Send`]) fails the whole call.
    pub fn pipeline(&self, cmds: &[Cmd]) -> Pipeline {
        Pipeline(self.enqueue(Call::Pipeline(cmds.to_vec())))
    }

    /// Runs `cmds` in `MULTI`/`EXEC` and resolves to `EXEC`'s array of replies. The
    /// transaction goes out contiguously, so other callers' commands cannot land
    /// inside it.
    pub fn transaction(&self, cmds: &[Cmd]) -> Request {
        Request(self.enqueue(Call::Transaction(cmds.to_vec())))
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

    /// Takes a slot for the call and queues its commands for the driver, waking it
    /// if it is idle. A call made after the close fails at once; a pipeline with no
    /// commands completes at once.
    fn enqueue(&self, call: Call<'_>) -> Waiter {
        let (one, kind, count, mut owned, many) = match call {
            Call::One(cmd) => (Some(cmd), Kind::Commands, 1, Vec::new(), None),
            Call::Transaction(cmds) => (None, Kind::Transaction, 1, cmds, None),
            Call::Pipeline(cmds) => {
                let mut outcomes = Vec::new();
                outcomes.resize_with(cmds.len(), || None);
                (None, Kind::Commands, cmds.len(), cmds, Some(outcomes))
            }
        };
        let shared = self.shared.clone();
        let (slot, driver) = {
            let mut guard = shared.lock();
            let inner = &mut *guard;
            let slot = inner.slots.insert();
            if let Some(outcomes) = many {
                inner.slots.entries[slot].filled = Filled::Many(outcomes);
            }
            let driver = match &inner.closed {
                _ if count == 0 => None,
                Some(reason) => {
                    inner.slots.entries[slot].filled =
                        Filled::Failed(Error::Closed(reason.clone()));
                    None
                }
                None => {
                    inner.slots.entries[slot].pending = count;
                    let len = match one {
                        Some(cmd) => {
                            inner.queue.cmds.push(cmd.clone());
                            1
                        }
                        None => {
                            let len = owned.len();
                            inner.queue.cmds.append(&mut owned);
                            len
                        }
                    };
                    inner.queue.calls.push(Queued {
                        slot,
                        kind,
                        len,
                        skip: false,
                    });
                    // Taken by the first call since the driver last looked: later ones
                    // find it gone and do not wake it again.
                    inner.waker.take()
                }
            };
            (slot, driver)
        };
        // Its buffer (or its commands, if the call was not queued) is freed outside
        // the lock.
        drop(owned);
        if let Some(waker) = driver {
            waker.wake();
        }
        Waiter {
            shared: Some(shared),
            slot,
        }
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
            .field("queued", &inner.queue.calls.len())
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

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll_filled(cx).map(|filled| match filled {
            Filled::One(outcome) => outcome.map_err(Error::Request),
            Filled::Failed(error) => Err(error),
            Filled::Empty | Filled::Many(_) => Err(Error::Closed(CloseReason::Local)),
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
        self.0.poll_filled(cx).map(|filled| match filled {
            Filled::Many(outcomes) => Ok(outcomes.into_iter().flatten().collect()),
            Filled::One(outcome) => Ok(vec![outcome]),
            Filled::Failed(error) => Err(error),
            Filled::Empty => Ok(Vec::new()),
        })
    }
}

/// The caller's end of a call: its slot, which it frees (or leaves to the driver to
/// free) once it has its result or is dropped.
#[derive(Debug)]
struct Waiter {
    /// `None` once the result was taken.
    shared: Option<Arc<Shared>>,
    slot: usize,
}

impl Waiter {
    /// What the call has once it is complete: every outcome in, or failed.
    #[inline]
    fn poll_filled(&mut self, cx: &mut Context<'_>) -> Poll<Filled> {
        let shared = self
            .shared
            .as_ref()
            .expect("future polled after completion");
        let (filled, stale) = {
            let mut guard = shared.lock();
            let slots = &mut guard.slots;
            let slot = &mut slots.entries[self.slot];
            if slot.pending > 0 && !matches!(slot.filled, Filled::Failed(_)) {
                let stale = match &slot.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => None,
                    _ => slot.waker.replace(cx.waker().clone()),
                };
                drop(guard);
                // Wakers are dropped outside the lock: dropping one may drop a task,
                // and with it another call's future, which takes the lock.
                drop(stale);
                return Poll::Pending;
            }
            let filled = mem::take(&mut slot.filled);
            slot.caller_gone = true;
            let stale = slot.waker.take();
            if slot.pending == 0 {
                slots.release(self.slot);
            }
            (filled, stale)
        };
        drop(stale);
        self.shared = None;
        Poll::Ready(filled)
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let Some(shared) = self.shared.take() else {
            return;
        };
        let stale = {
            let mut guard = shared.lock();
            let slots = &mut guard.slots;
            let slot = &mut slots.entries[self.slot];
            slot.caller_gone = true;
            let stale = slot.waker.take();
            if slot.pending == 0 {
                slots.release(self.slot);
            }
            stale
        };
        drop(stale);
    }
}

/// One call in progress, in [`Slots`]: where the driver puts its outcomes.
///
/// It is in use from [`Client::enqueue`] until both ends are done with it: the caller
/// (`caller_gone`: it took the result or dropped its future) and the driver
/// (`pending == 0`: no command of the call is queued or on the wire any more).
#[derive(Debug, Default)]
struct Slot {
    /// Outcomes the driver still owes: commands queued or on the wire. The call is
    /// complete when it reaches 0, or when it failed.
    pending: usize,
    filled: Filled,
    /// The caller's, while it waits.
    waker: Option<Waker>,
    /// The caller took the result or dropped its future: outcomes are discarded, and
    /// commands not yet sent are not sent.
    caller_gone: bool,
}

/// What a call has so far.
#[derive(Debug, Default)]
enum Filled {
    /// Nothing yet, or taken by the caller.
    #[default]
    Empty,
    /// A request's or a transaction's outcome.
    One(Outcome),
    /// A pipeline's outcomes, by index.
    Many(Vec<Option<Outcome>>),
    /// The call failed as a whole; it is complete, and outcomes still on their way
    /// are discarded.
    Failed(Error),
}

/// The slots of the calls in progress, reused: a call takes a free one.
#[derive(Debug, Default)]
struct Slots {
    entries: Vec<Slot>,
    /// Indices of free entries, which are in their default state.
    free: Vec<usize>,
}

impl Slots {
    /// Above this many slots, the slab is given back to the allocator once every
    /// slot is free again (after a burst of concurrent calls).
    const KEEP: usize = 1024;

    /// A free slot, in its default state.
    fn insert(&mut self) -> usize {
        match self.free.pop() {
            Some(index) => index,
            None => {
                self.entries.push(Slot::default());
                self.entries.len() - 1
            }
        }
    }

    /// Frees a slot neither end uses any more. Its waker has been taken out (wakers
    /// are not dropped under the lock).
    fn release(&mut self, index: usize) {
        let slot = &mut self.entries[index];
        debug_assert!(slot.pending == 0 && slot.waker.is_none());
        // Mostly empty already (the caller took its result): skip the drop glue.
        if !matches!(slot.filled, Filled::Empty) {
            slot.filled = Filled::Empty;
        }
        slot.caller_gone = false;
        self.free.push(index);
        if self.free.len() == self.entries.len() && self.entries.len() > Self::KEEP {
            self.entries = Vec::new();
            self.free = Vec::new();
        }
    }

    /// Gives the call the outcome `target` was waiting for; collects the caller's
    /// waker once the call is complete.
    fn complete(&mut self, target: Target, outcome: Outcome, wake: &mut Vec<Waker>) {
        let slot = &mut self.entries[target.slot];
        slot.pending -= 1;
        if slot.caller_gone {
            if slot.pending == 0 {
                self.release(target.slot);
            }
            return;
        }
        match &mut slot.filled {
            Filled::Failed(_) => return,
            Filled::Many(outcomes) => {
                if let Some(at) = outcomes.get_mut(target.index) {
                    *at = Some(outcome);
                }
            }
            // Forgetting `Empty` (which owns nothing) skips the drop glue.
            filled @ Filled::Empty => mem::forget(mem::replace(filled, Filled::One(outcome))),
            // A second outcome for a call that expects one: cannot happen.
            Filled::One(_) => {}
        }
        if slot.pending == 0 {
            wake.extend(slot.waker.take());
        }
    }

    /// `unsent` of the call's outcomes will not come, and the call fails with `error`
    /// unless it already has.
    fn fail(&mut self, index: usize, unsent: usize, error: Error, wake: &mut Vec<Waker>) {
        let slot = &mut self.entries[index];
        slot.pending -= unsent;
        if slot.caller_gone {
            if slot.pending == 0 {
                self.release(index);
            }
        } else if !matches!(slot.filled, Filled::Failed(_)) {
            slot.filled = Filled::Failed(error);
            wake.extend(slot.waker.take());
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
    #[inline]
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Debug)]
struct Inner {
    /// Calls waiting for the driver to send them.
    queue: Queue,
    /// Every call in progress.
    slots: Slots,
    /// Wakes the driver; taken by the call that wakes it.
    waker: Option<Waker>,
    /// Set by the driver when the connection has closed; no call is queued after.
    closed: Option<CloseReason>,
    /// Live `Client` handles.
    handles: usize,
    close_requested: bool,
}

/// What a call hands to [`Client::enqueue`].
enum Call<'a> {
    /// A request: one command, cloned into the queue.
    One(&'a Cmd),
    /// Commands sent one by one; one outcome each.
    Pipeline(Vec<Cmd>),
    /// `MULTI`, the commands, `EXEC`; one outcome.
    Transaction(Vec<Cmd>),
}

/// Calls waiting for the driver to send them, in call order.
#[derive(Debug, Default)]
struct Queue {
    calls: Vec<Queued>,
    /// The calls' commands, back to back in call order, so that the commands of
    /// consecutive requests and pipelines go to the core in one `send_all`.
    cmds: Vec<Cmd>,
}

#[derive(Debug)]
struct Queued {
    slot: usize,
    kind: Kind,
    /// How many of [`Queue::cmds`] are this call's.
    len: usize,
    /// The caller left before the driver took the call: it is not sent.
    skip: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Commands sent one by one (a request, a pipeline); one outcome each.
    Commands,
    /// `MULTI`, the commands, `EXEC`; one outcome.
    Transaction,
}

/// Where a request's outcome goes: its call's slot, and its index in the call.
#[derive(Debug, Clone, Copy)]
struct Target {
    slot: usize,
    index: usize,
}

/// Requests on the wire, in send order, with their targets.
///
/// Replies come back in send order, so the one asked for is nearly always the front,
/// and ids go up by one per request, so otherwise its position is its id minus the
/// front's. Only a request that times out leaves early; it leaves a hole, popped once
/// it reaches the front. The front is never a hole.
#[derive(Debug, Default)]
struct Waiting(VecDeque<(RequestId, Option<Target>)>);

impl Waiting {
    fn push(&mut self, id: RequestId, target: Target) {
        self.0.push_back((id, Some(target)));
    }

    fn remove(&mut self, id: RequestId) -> Option<Target> {
        let (front, _) = self.0.front()?;
        let target = if *front == id {
            self.0.pop_front()?.1
        } else {
            let offset = usize::try_from(id.get().wrapping_sub(front.get())).unwrap_or(usize::MAX);
            let position = match self.0.get(offset) {
                Some((at, _)) if *at == id => offset,
                _ => self.0.iter().position(|(at, _)| *at == id)?,
            };
            self.0[position].1.take()
        };
        while let Some((_, None)) = self.0.front() {
            self.0.pop_front();
        }
        target
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn drain(&mut self) -> impl Iterator<Item = Target> + '_ {
        self.0.drain(..).filter_map(|(_, target)| target)
    }
}

/// The task that owns the socket: sends queued calls, routes outcomes by request id.
struct Driver<R: Runtime> {
    io: Io<R>,
    shared: Arc<Shared>,
    waiting: Waiting,
    /// The queue taken from [`Inner`] (swapped, so both keep their capacity).
    batch: Queue,
    /// Callers to wake once the lock is released.
    wake: Vec<Waker>,
}

impl<R: Runtime> Future for Driver<R> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            // One lock hold: hand over the outcomes, take the queue.
            let mut stale = None;
            let (closed, stop, close) = {
                let mut guard = this.shared.lock();
                let inner = &mut *guard;
                match &inner.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    _ => stale = inner.waker.replace(cx.waker().clone()),
                }
                let closed = deliver(&mut this.io.core, inner, &mut this.waiting, &mut this.wake);
                if closed.is_none() {
                    mem::swap(&mut inner.queue, &mut this.batch);
                    // Calls dropped before they were sent are not sent at all. Their
                    // slots are freed now; the entries stay, marked, and are passed
                    // over (removing them would shift the commands).
                    for queued in &mut this.batch.calls {
                        let slot = &mut inner.slots.entries[queued.slot];
                        if slot.caller_gone {
                            slot.pending = 0;
                            inner.slots.release(queued.slot);
                            queued.skip = true;
                        }
                    }
                }
                (closed, inner.handles == 0, inner.close_requested)
            };
            drop(stale);
            this.wake_callers();
            if let Some(reason) = closed {
                this.finish(reason);
                return Poll::Ready(());
            }
            if !this.batch.calls.is_empty() {
                this.submit();
            }
            if close || (stop && this.waiting.is_empty()) {
                this.io.core.close(Instant::now());
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

/// Routes the core's events to the slots, collecting wakers; returns the close
/// reason once it has closed. Called with the lock held.
fn deliver(
    core: &mut conn::Connection,
    inner: &mut Inner,
    waiting: &mut Waiting,
    wake: &mut Vec<Waker>,
) -> Option<CloseReason> {
    loop {
        // Replies first, without building events; then whatever comes next.
        while let Some((id, outcome)) = core.poll_reply() {
            file_outcome(inner, waiting, wake, id, outcome);
        }
        match core.poll_event()? {
            Event::Reply { id, result } => file_outcome(inner, waiting, wake, id, result),
            Event::Closed(reason) => return Some(reason),
            _ => {}
        }
    }
}

/// Gives a request's outcome to its call, if the call is still there.
#[inline]
fn file_outcome(
    inner: &mut Inner,
    waiting: &mut Waiting,
    wake: &mut Vec<Waker>,
    id: RequestId,
    outcome: Outcome,
) {
    if let Err(RequestError::Closed(reason)) = &outcome {
        // Recorded before the caller is woken (after the lock is released), so that
        // it sees `is_closed()` already set.
        inner.closed.get_or_insert_with(|| reason.clone());
    }
    if let Some(target) = waiting.remove(id) {
        inner.slots.complete(target, outcome, wake);
    }
}

/// Sends `cmds`, the commands of `calls` (requests and pipelines, none skipped), back
/// to back with `send_all`. When one is refused, its call fails and the rest of that
/// call is not sent; the calls after it are.
fn send_run(
    core: &mut conn::Connection,
    waiting: &mut Waiting,
    calls: &[Queued],
    cmds: &[Cmd],
    now: Instant,
    refused: &mut Vec<(usize, usize, SendError)>,
) {
    // The call the next command belongs to, and the command's index in it.
    let (mut call, mut index) = (0, 0);
    let mut at = 0;
    while at < cmds.len() {
        let first = core.next_id();
        let result = core.send_all(&cmds[at..], now);
        // Accepted before a refusal: ids run from `first` to the next one.
        let sent = usize::try_from(core.next_id().get() - first.get()).unwrap_or(usize::MAX);
        for n in 0..sent {
            while index == calls[call].len {
                (call, index) = (call + 1, 0);
            }
            let slot = calls[call].slot;
            waiting.push(first.offset(n), Target { slot, index });
            index += 1;
        }
        let Err(error) = result else {
            return;
        };
        while index == calls[call].len {
            (call, index) = (call + 1, 0);
        }
        let unsent = calls[call].len - index;
        refused.push((calls[call].slot, unsent, error));
        at += sent + unsent;
        (call, index) = (call + 1, 0);
    }
}

impl<R: Runtime> Driver<R> {
    /// Hands the calls taken from the queue to the core, in order: each run of
    /// consecutive requests and pipelines in one `send_all`, each transaction on its
    /// own. A refused command fails its call (the rest of a pipeline is not sent).
    fn submit(&mut self) {
        let now = Instant::now();
        let core = &mut self.io.core;
        let Queue { calls, cmds } = &mut self.batch;
        let mut refused = Vec::new();
        let (mut call, mut at) = (0, 0);
        while let Some(queued) = calls.get(call) {
            let len = queued.len;
            if queued.skip {
                (call, at) = (call + 1, at + len);
            } else if queued.kind == Kind::Transaction {
                let slot = queued.slot;
                match core.send_transaction(&cmds[at..at + len], now) {
                    Ok(id) => self.waiting.push(id, Target { slot, index: 0 }),
                    Err(error) => refused.push((slot, 1, error)),
                }
                (call, at) = (call + 1, at + len);
            } else {
                let (first_call, first_cmd) = (call, at);
                while calls
                    .get(call)
                    .is_some_and(|queued| !queued.skip && queued.kind == Kind::Commands)
                {
                    (call, at) = (call + 1, at + calls[call].len);
                }
                send_run(
                    core,
                    &mut self.waiting,
                    &calls[first_call..call],
                    &cmds[first_cmd..at],
                    now,
                    &mut refused,
                );
            }
        }
        calls.clear();
        cmds.clear();
        if !refused.is_empty() {
            self.refuse(refused);
        }
    }

    /// Fails the calls the core refused.
    fn refuse(&mut self, refused: Vec<(usize, usize, SendError)>) {
        {
            let mut guard = self.shared.lock();
            for (slot, unsent, error) in refused {
                guard
                    .slots
                    .fail(slot, unsent, Error::Send(error), &mut self.wake);
            }
        }
        self.wake_callers();
    }

    /// Routes the core's events under the lock, then wakes their callers.
    fn deliver(&mut self) -> Option<CloseReason> {
        let closed = {
            let mut guard = self.shared.lock();
            deliver(
                &mut self.io.core,
                &mut guard,
                &mut self.waiting,
                &mut self.wake,
            )
        };
        self.wake_callers();
        closed
    }

    fn wake_callers(&mut self) {
        for waker in self.wake.drain(..) {
            waker.wake();
        }
    }

    /// The connection is closed: fail whatever is left and refuse later calls.
    fn finish(&mut self, reason: CloseReason) {
        let stale = {
            let mut guard = self.shared.lock();
            let Inner {
                queue,
                slots,
                waker,
                closed,
                ..
            } = &mut *guard;
            closed.get_or_insert(reason.clone());
            for queued in queue.calls.drain(..).chain(self.batch.calls.drain(..)) {
                if !queued.skip {
                    let unsent = slots.entries[queued.slot].pending;
                    let error = Error::Closed(reason.clone());
                    slots.fail(queued.slot, unsent, error, &mut self.wake);
                }
            }
            queue.cmds.clear();
            self.batch.cmds.clear();
            for Target { slot, .. } in self.waiting.drain() {
                slots.fail(slot, 1, Error::Closed(reason.clone()), &mut self.wake);
            }
            waker.take()
        };
        drop(stale);
        self.wake_callers();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> RequestId {
        // Ids are only made by the core: send `n + 1` requests to get the `n`th.
        let mut core = conn::Connection::new(ConnectionConfig::default(), Instant::now());
        let mut last = None;
        for _ in 0..=n {
            last = Some(core.send(&Cmd::new("PING"), Instant::now()).unwrap());
        }
        last.unwrap()
    }

    fn target(slot: usize) -> Target {
        Target { slot, index: 0 }
    }

    #[test]
    fn waiting_finds_requests_in_and_out_of_order() {
        let ids: Vec<RequestId> = (0..5).map(id).collect();
        let mut waiting = Waiting::default();
        for (slot, id) in ids.iter().enumerate() {
            waiting.push(*id, target(slot));
        }
        // In order: the front.
        assert_eq!(waiting.remove(ids[0]).map(|t| t.slot), Some(0));
        // Out of order (a timeout): a hole, found by position.
        assert_eq!(waiting.remove(ids[3]).map(|t| t.slot), Some(3));
        assert_eq!(waiting.remove(ids[3]).map(|t| t.slot), None);
        assert_eq!(waiting.0.len(), 4);
        assert_eq!(waiting.remove(ids[1]).map(|t| t.slot), Some(1));
        assert_eq!(waiting.remove(ids[2]).map(|t| t.slot), Some(2));
        // The hole at the front is popped: only 4 is left.
        assert_eq!(waiting.0.len(), 1);
        assert_eq!(waiting.remove(ids[0]).map(|t| t.slot), None);
        assert_eq!(waiting.remove(ids[4]).map(|t| t.slot), Some(4));
        assert!(waiting.is_empty());
        assert_eq!(waiting.remove(ids[4]).map(|t| t.slot), None);
    }

    #[test]
    fn a_refused_command_fails_its_call_alone() {
        let now = Instant::now();
        let mut core = conn::Connection::new(ConnectionConfig::default(), now);
        core.set_shared(true);
        let get = |key: &str| Cmd::new("GET").arg(key);
        let select = || Cmd::new("SELECT").arg(1);
        // A request, a pipeline refused in its middle, a request, a refused request,
        // a request: one run.
        let cmds = [
            get("a"),
            get("b"),
            select(),
            get("c"),
            get("d"),
            select(),
            get("e"),
        ];
        let calls: Vec<Queued> = [(10, 1), (11, 3), (12, 1), (13, 1), (14, 1)]
            .into_iter()
            .map(|(slot, len)| Queued {
                slot,
                kind: Kind::Commands,
                len,
                skip: false,
            })
            .collect();
        let mut waiting = Waiting::default();
        let mut refused = Vec::new();
        let first = core.next_id();
        send_run(&mut core, &mut waiting, &calls, &cmds, now, &mut refused);
        let targets: Vec<(u64, usize, usize)> = waiting
            .0
            .iter()
            .map(|(id, target)| {
                let target = target.unwrap();
                (id.get() - first.get(), target.slot, target.index)
            })
            .collect();
        assert_eq!(targets, [(0, 10, 0), (1, 11, 0), (2, 12, 0), (3, 14, 0)]);
        let refused: Vec<(usize, usize)> = refused
            .into_iter()
            .map(|(slot, unsent, error)| {
                assert!(matches!(error, SendError::Shared { .. }), "{error:?}");
                (slot, unsent)
            })
            .collect();
        // The pipeline's SELECT and the GET after it; the request's SELECT.
        assert_eq!(refused, [(11, 2), (13, 1)]);
    }

    #[test]
    fn a_slot_is_freed_once_both_ends_are_done() {
        let mut slots = Slots::default();
        let mut wake = Vec::new();
        let a = slots.insert();
        slots.entries[a].pending = 1;
        // The caller leaves first: the slot stays until the outcome is in.
        slots.entries[a].caller_gone = true;
        let b = slots.insert();
        assert_ne!(a, b);
        slots.complete(target(a), Ok(Frame::Null), &mut wake);
        assert!(slots.free.contains(&a));
        assert!(matches!(slots.entries[a].filled, Filled::Empty));
        assert!(!slots.entries[a].caller_gone);
        // The outcome comes first: the caller takes it, then frees the slot.
        slots.entries[b].pending = 2;
        slots.complete(target(b), Ok(Frame::Integer(1)), &mut wake);
        assert!(!slots.free.contains(&b));
        // A refused command fails the call and settles what will not come.
        slots.fail(b, 1, Error::Closed(CloseReason::Local), &mut wake);
        assert_eq!(slots.entries[b].pending, 0);
        assert!(matches!(slots.entries[b].filled, Filled::Failed(_)));
        // Reuse, last freed first.
        assert_eq!(slots.insert(), a);
    }
}
