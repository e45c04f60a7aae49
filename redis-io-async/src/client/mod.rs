//! A multiplexed client: many tasks share one connection through a driver task.
//!
//! Who drives the connection is a [`Role`] ([`driving`]): the driver task, or a call
//! that is alone on an idle connection, which writes its commands itself and whose
//! future reads the reply, so that a caller making one call at a time never waits on
//! another task. The driver's state ([`Driver`]) sits in [`Shared`] behind a lock of
//! its own, taken by whoever runs a turn.
//!
//! Everything the callers and the driver share sits behind one mutex ([`Inner`]): the
//! queue of calls for the driver and a slab of [`Slot`](slots::Slot)s, one per call in progress,
//! reused from call to call. A request costs no allocation (its command is cloned
//! into the queue, where the commands of all queued calls sit back to back) and a
//! short lock hold to queue it, then one per poll of its future (typically two). The
//! driver takes the lock once per turn to hand over the outcomes that came in (those
//! of at most 16 callers, so that their next requests go out while the rest are
//! handed over) and to take the whole queue, sends each run of consecutive requests
//! and pipelines to the core in one `send_all`, and wakes callers once the lock is
//! released. Requests on the wire are found by id in a [`Waiting`] ring the driver
//! owns, in send order, without hashing.

mod caching;
mod driver;
mod driving;
mod handlers;
mod reconnect;
mod resend;
mod side;
mod slots;
mod stats;
mod subscriptions;

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use redis_sansio::config::ConnectionConfig;
use redis_sansio::deadline;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd};

use crate::{Connection, Error, Outcome, Runtime};

use driver::{Driver, Waiting};
use driving::{Engine, Next, Relay, Role, Turn};
pub use handlers::Listening;
pub use reconnect::Reconnect;
pub use side::KEEP_IDLE as SIDE_CONNECTIONS_KEPT;
use side::SideConnections;
use slots::{Filled, Slots, Waiter};
pub use stats::ClientStats;
pub use subscriptions::Subscription;
use subscriptions::{Listeners, PubSubSide};

/// A cloneable client that many tasks share: one connection, driven by a task spawned
/// on the runtime (or polled by you: [`ClientDriver`]).
///
/// Each call queues its commands for the driver and returns a named future
/// ([`Request`] or [`Pipeline`]) that is `Send` and `'static`. The commands are queued
/// when the method is called, not when the future is first polled, so calls made one
/// after another from one task reach the server in that order. Whatever is queued
/// when the driver wakes goes out in one write: concurrent callers are pipelined
/// automatically. A call made while nothing else is queued or on the wire is written
/// by the method itself, and its future reads the reply: used one call at a time, the
/// client costs no hop to the driver task.
///
/// - **Exactly one outcome per call**, matched by request id, never by position: a
///   reply cannot reach the wrong caller.
/// - **Cancellation-safe**: dropping a future abandons only its own outcome. If its
///   commands were sent, the driver still reads their replies and discards them; if
///   not yet, they are not sent at all.
/// - **Failure**: when the connection dies, every pending caller gets the close
///   reason ([`Error::Request`] with `RequestError::Closed` for sent requests,
///   [`Error::Closed`] for the rest), and so does every later call. A socket error
///   counts as the server closing ([`CloseReason::Eof`]). With a [`Reconnect`]
///   policy ([`with_reconnect`](Self::with_reconnect)), the sent requests fail the
///   same way but the client opens a new connection for the calls that follow.
/// - **Deadlines**: the configured response timeout and blocking-command timeouts
///   are the core's; the driver arms one timer for the earliest of them.
/// - **Shutdown**: the driver closes the connection once every `Client` handle is
///   dropped and the last outstanding request has its outcome, or at once on
///   [`close`](Self::close).
///
/// The connection is shared, so the core refuses, with [`SendError::Shared`]
/// (`Error::Send`), what one caller cannot keep to itself: `SELECT`, `AUTH`,
/// `WATCH`/`MULTI`/`EXEC` sent one by one (use [`transaction`](Self::transaction),
/// which stays contiguous), and `MONITOR`. For those, open a
/// [`dedicated`](Self::dedicated) connection. Pub/sub sent as a plain request is
/// refused too: subscribe with [`subscribe`](Self::subscribe),
/// [`psubscribe`](Self::psubscribe) or [`ssubscribe`](Self::ssubscribe) instead, which
/// hand out a [`Subscription`] stream and share the connection with every other call
/// (see [`Client::subscribe`]). Other pushes (client-side caching invalidations, say) have
/// no receiver and are dropped. A blocking command
/// (`BLPOP`, ...) sent with [`request`](Self::request) runs on a side connection of its
/// own, so that it holds up no other caller (in a pipeline it stays on the shared
/// connection and holds up every caller behind it).
///
/// [`SendError::Shared`]: redis_sansio::SendError::Shared
pub struct Client<R: Runtime> {
    shared: Arc<Shared>,
    /// Where blocking commands run: see [`side`].
    side: Arc<SideConnections<R>>,
    /// In RESP2, the client subscriptions go to: see [`subscriptions`].
    pubsub: Arc<PubSubSide<R>>,
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

    /// Hands an open connection to a new driver task, spawned with
    /// [`Runtime::spawn`]. Its undelivered messages are dropped.
    pub fn from_connection(conn: Connection<R>) -> Self {
        let (client, driver) = Self::from_connection_unspawned(conn);
        R::spawn(driver);
        client
    }

    /// [`open`](Self::open), but the driver is returned instead of spawned: poll it
    /// yourself, see [`ClientDriver`].
    pub async fn open_unspawned(url: &str) -> Result<(Self, ClientDriver<R>), Error> {
        Self::connect_unspawned(url.parse()?).await
    }

    /// [`connect`](Self::connect), but the driver is returned instead of spawned: poll
    /// it yourself, see [`ClientDriver`].
    pub async fn connect_unspawned(
        config: ConnectionConfig,
    ) -> Result<(Self, ClientDriver<R>), Error> {
        let conn = Connection::<R>::connect(config).await?;
        Ok(Self::from_connection_unspawned(conn))
    }

    /// [`from_connection`](Self::from_connection), but the driver is returned instead
    /// of spawned: the client's calls make progress only while the [`ClientDriver`] is
    /// polled, on whichever executor and thread you choose.
    pub fn from_connection_unspawned(conn: Connection<R>) -> (Self, ClientDriver<R>) {
        let config = conn.core().config().clone();
        let protocol = conn.core().protocol();
        let mut io = conn.into_io();
        io.core.set_shared(true);
        let driver: Box<dyn Engine> = Box::new(Driver::<R> {
            io,
            waiting: Waiting::default(),
            batch: Queue::default(),
            wake: Vec::new(),
            reconnecting: None,
            supervisor: None,
            resumed: false,
        });
        let shared = Arc::new_cyclic(|shared| Shared {
            config,
            protocol,
            caching: AtomicBool::new(false),
            inner: Mutex::new(Inner::new()),
            engine: Mutex::new(Some(driver)),
            relay: Waker::from(Arc::new(Relay(shared.clone()))),
        });
        let driver = ClientDriver {
            shared: Some(shared.clone()),
            _runtime: PhantomData,
        };
        let client = Client {
            shared,
            side: Arc::default(),
            pubsub: Arc::default(),
            _runtime: PhantomData,
        };
        (client, driver)
    }

    /// Sends `cmd` and resolves to its reply. A server error is
    /// `Err(Error::Request(..))` and leaves the connection usable.
    ///
    /// The command is queued now, before the future is first polled. A blocking
    /// command (`BLPOP`, `XREAD ... BLOCK`, `WAIT`, ...: see
    /// [`conn::is_blocking`](redis_sansio::conn::is_blocking)) is the exception: it
    /// runs on a side connection of its own once the future is polled, so that it
    /// holds up no other caller (see [`SIDE_CONNECTIONS_KEPT`]).
    pub fn request(&self, cmd: &Cmd) -> Request {
        if redis_sansio::conn::is_blocking(cmd) {
            let side = self.side.clone().request(self.shared.clone(), cmd.clone());
            return Request(Pending::Side(Mutex::new(Box::pin(side))));
        }
        if caching::caches(&self.shared) {
            return self.cached_request(cmd);
        }
        Request(Pending::Shared(self.enqueue(Call::One(cmd))))
    }

    /// Sends the commands back to back and resolves to each one's outcome, in order.
    /// One command's server error does not affect the others; a refused command
    /// ([`Error::Send`]) fails the whole call.
    pub fn pipeline(&self, cmds: &[Cmd]) -> Pipeline {
        caching::note_sent(&self.shared, cmds);
        Pipeline(self.enqueue(Call::Pipeline(cmds)))
    }

    /// Runs `cmds` in `MULTI`/`EXEC` and resolves to `EXEC`'s array of replies. The
    /// transaction goes out contiguously, so other callers' commands cannot land
    /// inside it.
    pub fn transaction(&self, cmds: &[Cmd]) -> Request {
        caching::note_sent(&self.shared, cmds);
        Request(Pending::Shared(self.enqueue(Call::Transaction(cmds))))
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
    /// and so do later ones; subscriptions end (in RESP2 their connection closes too).
    pub fn close(&self) {
        self.pubsub.close();
        let mut stale = None;
        let task = {
            let mut inner = self.shared.lock();
            inner.close_requested = true;
            inner.hand_to_task(&mut stale)
        };
        drop(stale);
        if let Some(task) = task {
            task.wake();
        }
    }

    /// Makes the client reconnect when its connection is lost, as `policy` says, instead
    /// of closing for good. Applies to every handle of this client; call it right after
    /// opening.
    ///
    /// Requests that were sent when the connection was lost fail with its close reason
    /// (they may or may not have run, so they are not sent again). Calls made or queued
    /// while the client reconnects wait and go out on the new connection, with the same
    /// settings (password, database, protocol). When the policy gives up, they fail
    /// and the client closes as it would have without a policy.
    /// [`close`](Self::close) and dropping every handle stop the attempts.
    ///
    /// ```no_run
    /// # async fn demo<R: redis_io_async::Runtime>() -> Result<(), redis_io_async::Error> {
    /// use redis_io_async::{Client, Reconnect};
    ///
    /// let client = Client::<R>::open("redis://127.0.0.1:6379").await?.with_reconnect(Reconnect::default());
    /// # Ok(()) }
    /// ```
    pub fn with_reconnect(self, policy: Reconnect) -> Self {
        // The engine's lock first, as everywhere (see `Shared::engine`).
        let mut engine = self
            .shared
            .engine
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(engine) = engine.as_mut() {
            engine.set_reconnect(&policy);
        }
        self.shared.lock().reconnect = Some(policy);
        drop(engine);
        self
    }

    /// The client's counters since it was made: requests, timeouts and reconnects
    /// summed over every connection it used, and the requests in flight now (as of
    /// the driver's last turn). Blocking commands' side connections are not counted.
    pub fn stats(&self) -> ClientStats {
        self.shared.lock().stats.snapshot()
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

    /// Takes a slot for the call and queues its commands, waking whoever drives (see
    /// [`Role`]: a call alone on an idle connection drives itself once polled). A call
    /// made after the close fails at once; a pipeline with no commands completes at
    /// once.
    fn enqueue(&self, call: Call<'_>) -> Waiter {
        let (cmds, kind, count) = match call {
            Call::One(cmd) => (std::slice::from_ref(cmd), Kind::Commands, 1),
            Call::Transaction(cmds) => (cmds, Kind::Transaction, 1),
            Call::Pipeline(cmds) => (cmds, Kind::Commands, cmds.len()),
            Call::Subscription(cmd) => (std::slice::from_ref(cmd), Kind::Subscription, 1),
        };
        // Allocated before the lock is taken.
        let many = matches!(call, Call::Pipeline(_)).then(|| Filled::many(count));
        // With a response timeout, a call's deadline counts from now, sent or not.
        let made = self.shared.config.response_timeout.map(|_| Instant::now());
        let shared = self.shared.clone();
        let mut stale = None;
        let (slot, next) = {
            let mut guard = shared.lock();
            let inner = &mut *guard;
            let slot = inner.slots.insert();
            if let Some(many) = many {
                inner.slots.entries[slot].filled = many;
            }
            let next = match &inner.closed {
                _ if count == 0 => Next::Wake(None),
                Some(reason) => {
                    inner.slots.entries[slot].filled =
                        Filled::Failed(Error::Closed(reason.clone()));
                    Next::Wake(None)
                }
                None => {
                    inner.slots.entries[slot].pending = count;
                    // Cloned straight into the queue: one copy of each command.
                    inner.queue.cmds.extend_from_slice(cmds);
                    inner.queue.calls.push(Queued {
                        slot,
                        kind,
                        len: cmds.len(),
                        skip: false,
                        made,
                    });
                    // The waker is taken by the first call since the driver last
                    // looked: later ones find it gone and do not wake it again.
                    inner.call_queued(slot, &mut stale)
                }
            };
            (slot, next)
        };
        drop(stale);
        match next {
            Next::Wake(Some(waker)) => waker.wake(),
            Next::Wake(None) => {}
            Next::SendAlone => shared.send_alone(slot),
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
            side: self.side.clone(),
            pubsub: self.pubsub.clone(),
            _runtime: PhantomData,
        }
    }
}

impl<R: Runtime> Drop for Client<R> {
    fn drop(&mut self) {
        let mut stale = None;
        let task = {
            let mut inner = self.shared.lock();
            inner.handles -= 1;
            if inner.handles == 0 {
                inner.hand_to_task(&mut stale)
            } else {
                None
            }
        };
        drop(stale);
        if let Some(task) = task {
            task.wake();
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

/// The task that drives a [`Client`]'s connection, when you run it yourself: from
/// [`Client::from_connection_unspawned`], [`Client::connect_unspawned`] or
/// [`Client::open_unspawned`].
///
/// [`Client::connect`] spawns this future with [`Runtime::spawn`]. A call made while
/// the connection is idle (no other call queued or on the wire) does not need the
/// driver: it writes its commands itself and its future reads the reply. Calls that
/// overlap are the driver's, and on an executor whose `spawn` may put it on another
/// thread (smol's and async-std's global executors) they then pay a wake across
/// threads. Polling the driver on the callers' own thread avoids that: spawn it on a
/// `smol::LocalExecutor` or a tokio `LocalSet` next to the tasks that use the client,
/// or `join`/`race` it with your own work inside one `block_on`. It is `Send` and
/// `'static`, so any executor will do.
///
/// - **Never polled**: a call alone on the idle connection still goes out and is
///   answered (see above); calls made while another is in progress queue up and
///   wait, and go out once the driver is polled. A connection the server closes
///   while no call is in progress goes unnoticed until the next call.
/// - **Completes** (resolves to `()`) when the connection closes: every `Client`
///   handle was dropped and the last outstanding call has its outcome,
///   [`Client::close`] was called, or the server went away.
/// - **Dropped before it completes**, polled or not: the connection is closed then and
///   there. Every pending call fails with [`CloseReason::Local`] ([`Error::Closed`],
///   or [`Error::Request`] with `RequestError::Closed` for requests already sent),
///   and so does every later call, as after [`Client::close`]. No call is left
///   waiting.
#[must_use = "the client's calls make no progress unless its driver is polled"]
pub struct ClientDriver<R: Runtime> {
    /// `None` once the connection has closed.
    shared: Option<Arc<Shared>>,
    _runtime: PhantomData<fn() -> R>,
}

impl<R: Runtime> Future for ClientDriver<R> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(shared) = &self.shared else {
            return Poll::Ready(());
        };
        match shared.drive(Role::Task, Some(cx.waker())) {
            Turn::Finished => {
                self.shared = None;
                Poll::Ready(())
            }
            Turn::Waits | Turn::Unsent | Turn::NotHere => Poll::Pending,
        }
    }
}

impl<R: Runtime> Drop for ClientDriver<R> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            shared.shut_down();
        }
    }
}

impl<R: Runtime> fmt::Debug for ClientDriver<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientDriver")
            .field("finished", &self.shared.is_none())
            .finish_non_exhaustive()
    }
}

/// The future of [`Client::request`] and [`Client::transaction`]: the reply.
///
/// Dropping it abandons the reply, which the driver then discards.
#[must_use = "futures do nothing unless polled; the request is queued regardless"]
pub struct Request(Pending);

/// A blocking command's call on a side connection.
type SideCall = Pin<Box<dyn Future<Output = Result<Frame, Error>> + Send>>;

/// Where a [`Request`]'s reply comes from.
enum Pending {
    /// The shared connection's driver.
    Shared(Waiter),
    /// A blocking command on a side connection. In a mutex only to make the request
    /// `Sync` as the shared kind is; only `poll` takes it, through `&mut`.
    Side(Mutex<SideCall>),
    /// A client-side cache hit (see [`caching`]).
    Hit(Option<Frame>),
    /// A cacheable read sent to the server (see [`caching`]).
    Cached(Box<caching::CachedCall>),
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Pending::Shared(waiter) => f.debug_tuple("Request").field(waiter).finish(),
            Pending::Side(_) => f.write_str("Request(on a side connection)"),
            Pending::Hit(_) => f.write_str("Request(a cache hit)"),
            Pending::Cached(call) => f.debug_tuple("Request").field(&call.waiter).finish(),
        }
    }
}

impl Future for Request {
    type Output = Result<Frame, Error>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.0 {
            Pending::Shared(waiter) => waiter.poll_filled(cx).map(|filled| match filled {
                Filled::One(outcome) => outcome.map_err(Error::Request),
                Filled::Failed(error) => Err(error),
                Filled::Empty | Filled::Many(_) => Err(Error::Closed(CloseReason::Local)),
            }),
            Pending::Side(call) => call
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner)
                .as_mut()
                .poll(cx),
            Pending::Hit(reply) => {
                Poll::Ready(reply.take().ok_or(Error::Closed(CloseReason::Local)))
            }
            Pending::Cached(call) => call.poll(cx),
        }
    }
}

/// The future of [`Client::pipeline`]: every command's outcome, in order.
///
/// Dropping it abandons the outcomes, which the driver then discards.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled; the commands are queued regardless"]
pub struct Pipeline(Waiter);

impl Future for Pipeline {
    type Output = Result<Vec<Outcome>, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll_filled(cx).map(|filled| match filled {
            Filled::Many(outcomes) => Ok(outcomes),
            Filled::One(outcome) => Ok(vec![outcome]),
            Filled::Failed(error) => Err(error),
            Filled::Empty => Ok(Vec::new()),
        })
    }
}

/// What the client handles, their calls and the driver task share.
struct Shared {
    inner: Mutex<Inner>,
    /// The driver's state, run by whoever has the [`Role`] (see [`driving`]); `None`
    /// once the connection has closed. Locked before `inner`, never after.
    engine: Mutex<Option<Box<dyn Engine>>>,
    /// The waker the socket and the timer are armed with: a [`Relay`].
    relay: Waker,
    /// The settings the connection was opened with, for [`Client::dedicated`].
    config: ConnectionConfig,
    /// The protocol the first connection spoke: where subscriptions go.
    protocol: redis_sansio::config::ProtocolVersion,
    /// Set once [`Inner::cache`] is: requests look it up (see [`caching`]).
    caching: AtomicBool,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
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
    /// Who drives the connection now.
    role: Role,
    /// Wakes whoever has the role; taken by whoever wakes it.
    waker: Option<Waker>,
    /// The driver task's own waker, for handing the role back to it.
    task_waker: Option<Waker>,
    /// Nothing queued, nothing on the wire, no reconnection under way, as of the end
    /// of the last turn (cleared by every call): a new call may drive itself.
    idle: bool,
    /// Set by the driver when the connection has closed; no call is queued after.
    closed: Option<CloseReason>,
    /// Live `Client` handles.
    handles: usize,
    close_requested: bool,
    /// What to do when the connection is lost: reconnect, or (`None`) close.
    reconnect: Option<Reconnect>,
    /// The subscriptions' listeners: see [`subscriptions`].
    listeners: Listeners,
    /// The client-side cache, for a client opened with caching (see [`caching`]).
    cache: Option<Box<redis_sansio::cache::Cache>>,
    /// The counters behind [`Client::stats`].
    stats: stats::Counted,
}

impl Inner {
    fn new() -> Self {
        Inner {
            queue: Queue::default(),
            slots: Slots::default(),
            role: Role::Task,
            waker: None,
            task_waker: None,
            idle: true,
            closed: None,
            handles: 1,
            close_requested: false,
            reconnect: None,
            listeners: Listeners::default(),
            cache: None,
            stats: stats::Counted::default(),
        }
    }
}

/// What a call hands to [`Client::enqueue`].
enum Call<'a> {
    /// A request: one command, cloned into the queue.
    One(&'a Cmd),
    /// Commands sent one by one; one outcome each.
    Pipeline(&'a [Cmd]),
    /// `MULTI`, the commands, `EXEC`; one outcome.
    Transaction(&'a [Cmd]),
    /// A subscribe or unsubscribe the client's listeners asked for; one outcome.
    Subscription(&'a Cmd),
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
    /// The caller left before the driver took the call, or the call failed while it
    /// waited: it is not sent.
    skip: bool,
    /// When the call was made, with a response timeout configured: its deadline counts
    /// from then, sent or not.
    made: Option<Instant>,
}

impl Queue {
    /// Fails the calls whose deadline (made + `timeout`) has passed at `now` with
    /// `error()`, marking them skipped; returns the earliest deadline left. Calls are
    /// queued in the order they were made, so the first one still waiting has it.
    fn expire(
        &mut self,
        now: Instant,
        timeout: Duration,
        wake: &mut Vec<Waker>,
        slots: &mut Slots,
        error: impl Fn() -> Error,
    ) -> Option<Instant> {
        for queued in self.calls.iter_mut().filter(|queued| !queued.skip) {
            let Some(made) = queued.made else {
                continue;
            };
            let deadline = deadline::after(made, timeout);
            if deadline > now {
                return Some(deadline);
            }
            let unsent = slots.entries[queued.slot].pending;
            slots.fail(queued.slot, unsent, error(), wake);
            queued.skip = true;
        }
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Commands sent one by one (a request, a pipeline); one outcome each.
    Commands,
    /// `MULTI`, the commands, `EXEC`; one outcome.
    Transaction,
    /// A subscribe or unsubscribe: see [`subscriptions`].
    Subscription,
}
