//! A multiplexed async client that follows the master through failovers.

use std::fmt;
use std::future::{Future, ready};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use redis_io_async::{Client, Connection, Runtime};
use redis_sansio::config::ServerAddr;
use redis_sansio::conn::Event;
use redis_sansio::resp::Frame;
use redis_sansio::sentinel::{Follower, SentinelError, Target};
use redis_sansio::{CloseReason, Cmd, RequestError};

use super::follow::{self, FollowBody};
use super::watch::{REOPEN_INTERVAL, hear, sentinel_to_watch, subscribe_cmd};
use super::{SentinelConfig, discover_client};
use crate::bodies::ReplyFuture;
use crate::{Error, Executor, FromReply, TypedCmd};

/// A cloneable multiplexed [`Client`] to the node the sentinels name, found again
/// when it goes away. Every generated command works on `&SentinelMultiplexed<R>`:
/// `client.set("k", "v").await?`.
///
/// It behaves as the blocking [`SentinelClient`](super::SentinelClient), whose loop
/// it shares (over the core's [`Follower`]): it discovers again when the connection
/// closes, a write is refused with `READONLY` or the sentinels announce a new master;
/// calls made meanwhile wait for the new master (within
/// [`SentinelConfig::with_retry_timeout`], from when each was made) instead of
/// failing; reads lost in flight are sent again, writes only with
/// [`resend_after_close`](Self::resend_after_close) (else they fail as an unknown
/// outcome); a permanent refusal of the node found (a wrong password) fails every
/// call with it.
///
/// Unless [`SentinelConfig::with_failover_watch`] turns it off, a client of the master
/// also runs a task (spawned on `R`) subscribed to `+switch-master` on a sentinel: when
/// the sentinels announce a new master, the next call discovers again (asking the
/// announcing sentinel first) instead of going to the old master until it is demoted.
/// The task ends within a second of the last handle being dropped.
///
/// Clones share the connection and the discoveries: one discovery runs at a time, in
/// a task spawned on `R`, and every waiting call is woken when it is over. Each call
/// is one boxed future keeping a copy of its command (to send it again).
pub struct SentinelMultiplexed<R: Runtime> {
    shared: Arc<Mutex<State<R>>>,
    /// What is followed (the config's, which never changes).
    target: Target,
    resend_after_close: bool,
}

/// What the handles, their calls, the discovery task and the watch share.
struct State<R: Runtime> {
    config: SentinelConfig,
    follower: Follower,
    /// The client to the node the follower last found.
    client: Client<R>,
    last_failure: Option<SentinelError>,
    /// One more each time a discovery is reported: waiting calls look again.
    version: u64,
    waiters: Vec<Waker>,
}

impl<R: Runtime> SentinelMultiplexed<R> {
    /// Discovers the node `config` asks for and opens a multiplexed client to it, its
    /// driver spawned on `R`.
    pub async fn connect(config: SentinelConfig) -> Result<Self, Error> {
        let found = discover_client::<R>(&config).await?;
        let mut config = config;
        let mut follower = Follower::new(
            config.master_name(),
            config.reconnect().clone(),
            config.retry_timeout(),
        );
        let mut last_failure = None;
        let now = Instant::now();
        let (found, _) = follow::settle(
            &mut follower,
            &mut config,
            &mut last_failure,
            Ok(found),
            now,
        )
        .ok_or_else(super::step::runaway)?;
        let (watch, target) = (config.watches_failovers(), config.target());
        let shared = Arc::new(Mutex::new(State {
            config,
            follower,
            client: found.connection,
            last_failure,
            version: 0,
            waiters: Vec::new(),
        }));
        if watch {
            R::spawn(watch_failovers(Arc::downgrade(&shared)));
        }
        Ok(SentinelMultiplexed {
            shared,
            target,
            resend_after_close: false,
        })
    }

    /// Whether this handle's commands that may change data, whose connection closed
    /// before their reply came, are sent again to the node found afresh. Off by
    /// default, as such a command may have run (it then fails as an unknown
    /// outcome); turn it on when every command sent is safe to repeat. Commands that
    /// cannot change data are sent again either way. Clones made after this call
    /// share the setting.
    pub fn resend_after_close(mut self, resend: bool) -> Self {
        self.resend_after_close = resend;
        self
    }

    /// The node in use (or last used, while the client looks for a new one).
    pub fn node(&self) -> ServerAddr {
        let state = lock(&self.shared);
        match state.follower.node() {
            Some(node) => node.clone(),
            None => state.client.config().addr.clone(),
        }
    }

    /// How many discoveries have succeeded, the first included.
    pub fn discoveries(&self) -> u64 {
        lock(&self.shared).follower.generation()
    }

    /// The client to the node in use now (it may be closed; a call on this wrapper
    /// discovers again, a call on the returned client does not).
    pub fn client(&self) -> Client<R> {
        lock(&self.shared).client.clone()
    }

    /// Sends `cmd` and resolves to its reply, following a failover as the type's
    /// documentation says.
    pub fn request(&self, cmd: &Cmd) -> SentinelRequest<R> {
        let mut body = Body::<R> {
            shared: self.shared.clone(),
            seen: 0,
        };
        let (cmd, target, resend) = (cmd.clone(), self.target, self.resend_after_close);
        SentinelRequest {
            future: Box::pin(async move { follow::run(&mut body, &cmd, target, resend).await }),
            runtime: PhantomData,
        }
    }
}

impl<R: Runtime> Clone for SentinelMultiplexed<R> {
    fn clone(&self) -> Self {
        SentinelMultiplexed {
            shared: self.shared.clone(),
            target: self.target,
            resend_after_close: self.resend_after_close,
        }
    }
}

impl<R: Runtime> fmt::Debug for SentinelMultiplexed<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.shared);
        f.debug_struct("SentinelMultiplexed")
            .field("node", &state.follower.node())
            .field("generation", &state.follower.generation())
            .finish_non_exhaustive()
    }
}

/// `client.get("k").await?`: the command on the current node, following a failover.
impl<'a, Rt: Runtime> Executor<'a> for &'a SentinelMultiplexed<Rt> {
    type Ret<R: FromReply + 'a> = ReplyFuture<SentinelRequest<Rt>, R>;

    fn execute<R: FromReply + 'a>(self, cmd: TypedCmd<R>) -> Self::Ret<R> {
        ReplyFuture::new(self.request(cmd.cmd()))
    }
}

/// The future of [`SentinelMultiplexed::request`]: the reply.
///
/// Dropping it abandons the reply (the client discards it); a discovery it started
/// runs on, for the next calls.
#[must_use = "futures do nothing unless polled"]
pub struct SentinelRequest<R: Runtime> {
    future: Pin<Box<dyn Future<Output = Result<Frame, Error>> + Send>>,
    runtime: PhantomData<fn() -> R>,
}

impl<R: Runtime> Future for SentinelRequest<R> {
    type Output = Result<Frame, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.future.as_mut().poll(cx)
    }
}

impl<R: Runtime> fmt::Debug for SentinelRequest<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentinelRequest").finish_non_exhaustive()
    }
}

/// One call's view of the shared state: the async body of the one follow loop.
struct Body<R: Runtime> {
    shared: Arc<Mutex<State<R>>>,
    /// The version seen at the last look at the follower.
    seen: u64,
}

impl<R: Runtime> FollowBody for Body<R> {
    fn with_follower<T>(&mut self, f: impl FnOnce(&mut Follower) -> T) -> T {
        let mut state = lock(&self.shared);
        self.seen = state.version;
        f(&mut state.follower)
    }

    fn discover(&mut self) -> impl Future<Output = ()> + Send {
        R::spawn(discovery(self.shared.clone()));
        ready(())
    }

    fn send(
        &mut self,
        generation: u64,
        cmd: &Cmd,
    ) -> impl Future<Output = Result<Frame, Error>> + Send {
        let request = {
            let state = lock(&self.shared);
            (state.follower.generation() == generation).then(|| state.client.request(cmd))
        };
        async move {
            match request {
                Some(request) => request.await,
                None => Err(Error::Request(RequestError::NotSent(CloseReason::Eof))),
            }
        }
    }

    fn wait(&mut self, until: Instant) -> impl Future<Output = ()> + Send {
        Changed::<R> {
            shared: self.shared.clone(),
            seen: self.seen,
            sleep: Box::pin(R::sleep_until(until)),
        }
    }

    fn last_failure(&mut self) -> Option<SentinelError> {
        lock(&self.shared).last_failure.clone()
    }
}

/// Ready at the sleep's end, or once a discovery was reported after version `seen`.
struct Changed<R: Runtime> {
    shared: Arc<Mutex<State<R>>>,
    seen: u64,
    sleep: Pin<Box<R::Sleep>>,
}

impl<R: Runtime> Future for Changed<R> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        {
            let mut state = lock(&this.shared);
            if state.version != this.seen {
                return Poll::Ready(());
            }
            if !state.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                state.waiters.push(cx.waker().clone());
            }
        }
        this.sleep.as_mut().poll(cx)
    }
}

/// The one discovery the follower asked for, reported to it; every waiting call is
/// woken. The client found replaces the old one, whose calls in flight end as they
/// will (it closes once they are over and its last handle is gone).
async fn discovery<R: Runtime>(shared: Arc<Mutex<State<R>>>) {
    let config = lock(&shared).config.clone();
    let result = discover_client::<R>(&config).await;
    let waiters = {
        let mut guard = lock(&shared);
        let state = &mut *guard;
        let now = Instant::now();
        let settled = follow::settle(
            &mut state.follower,
            &mut state.config,
            &mut state.last_failure,
            result,
            now,
        );
        if let Some((found, _)) = settled {
            state.client = found.connection;
        }
        state.version += 1;
        std::mem::take(&mut state.waiters)
    };
    for waker in waiters {
        waker.wake();
    }
}

/// How long the watch waits for an announcement before it checks that the client
/// still has handles.
const WATCH_WAIT: Duration = Duration::from_secs(1);

/// The `+switch-master` watch of a multiplexed client, on the sentinels in turn: an
/// announcement is handed to the follower, which starts a discovery when it names
/// another master. Ends once the client is gone: within [`WATCH_WAIT`] while it
/// waits for an announcement or to try the next sentinel, or once an opening in
/// progress is over (bounded by the sentinel timeout).
async fn watch_failovers<R: Runtime>(shared: Weak<Mutex<State<R>>>) {
    let mut opened = 0;
    loop {
        let Some((config, sentinel)) = shared.upgrade().and_then(|shared| {
            let config = lock(&shared).config.clone();
            let sentinel = sentinel_to_watch(&config, opened)?;
            Some((config, sentinel))
        }) else {
            return;
        };
        opened += 1;
        let Some(mut conn) = open_watch::<R>(&config, &sentinel).await else {
            // Waits before the next sentinel, looking every WATCH_WAIT whether the
            // client is gone (a bounded loop: REOPEN_INTERVAL / WATCH_WAIT turns).
            let reopen = Instant::now() + REOPEN_INTERVAL;
            while Instant::now() < reopen {
                if shared.strong_count() == 0 {
                    return;
                }
                R::sleep_until(reopen.min(Instant::now() + WATCH_WAIT)).await;
            }
            continue;
        };
        loop {
            match conn.next_event(Some(WATCH_WAIT)).await {
                Ok(Some(Event::Message(message))) => {
                    let Some(shared) = shared.upgrade() else {
                        return;
                    };
                    let discover = {
                        let mut guard = lock(&shared);
                        let state = &mut *guard;
                        let now = Instant::now();
                        if hear(&mut state.follower, &message, now) {
                            state.config.prefer_sentinel(&sentinel);
                        }
                        follow::discovery_due(&mut state.follower, now)
                    };
                    if discover {
                        R::spawn(discovery(shared));
                    }
                }
                Ok(_) if shared.strong_count() == 0 => return,
                Ok(_) => {}
                // The sentinel went away: the next one is watched.
                Err(_) => break,
            }
        }
    }
}

/// A connection to `sentinel`, subscribed to `+switch-master`.
async fn open_watch<R: Runtime>(
    config: &SentinelConfig,
    sentinel: &ServerAddr,
) -> Option<Connection<R>> {
    let mut conn = Connection::<R>::connect(config.sentinel_connection(sentinel.clone()))
        .await
        .ok()?;
    conn.request(&subscribe_cmd()).await.ok()?;
    Some(conn)
}

/// Locks `mutex`, taking the data even if a holder panicked: every update here is a
/// whole replacement, so the data is never half-written.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
