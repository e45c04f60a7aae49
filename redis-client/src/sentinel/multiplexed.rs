//! A multiplexed async client that follows the master through failovers.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use redis_io_async::{Client, Connection, Request, Runtime};
use redis_sansio::Cmd;
use redis_sansio::config::ServerAddr;
use redis_sansio::conn::Event;
use redis_sansio::resp::Frame;

use super::watch::{REOPEN_INTERVAL, announces_switch, sentinel_to_watch, subscribe_cmd};
use super::{SentinelConfig, discover_client, follow};
use crate::bodies::ReplyFuture;
use crate::{Error, Executor, FromReply, TypedCmd};

/// A cloneable multiplexed [`Client`] to the node the sentinels name, found again
/// when it goes away. Every generated command works on `&SentinelMultiplexed<R>`:
/// `client.set("k", "v").await?`.
///
/// It behaves as the blocking [`SentinelClient`](super::SentinelClient):
///
/// - A call made once the connection has closed (the node went away, or a
///   failover's reconfiguration killed it) discovers again first, then runs.
/// - A command the master refuses with `READONLY` (it was demoted) is sent again,
///   once, to the master found afresh.
/// - A command whose connection closed while it was in flight fails with that error
///   (it may have run), unless it cannot change data (`GET`, `HGETALL`, ...: by the
///   specification's flags, `redis_sansio::commands::may_resend`) or
///   [`resend_after_close`](Self::resend_after_close) says to send it again anyway;
///   the next call discovers again.
///
/// Unless [`SentinelConfig::with_failover_watch`] turns it off, a client of the master
/// also runs a task (spawned on `R`) subscribed to `+switch-master` on a sentinel: when
/// the sentinels announce a new master, the next call discovers again (asking the
/// announcing sentinel first) instead of going to the old master until it is demoted.
/// The task ends within a second of the last handle being dropped.
///
/// Clones share the connection and the discoveries. Calls that find the connection
/// broken at the same time may each run a discovery; the first to finish is kept.
/// Each call keeps a copy of its command (to send it again), and a discovery in
/// progress is one boxed future; the call's future is otherwise the client's own.
pub struct SentinelMultiplexed<R: Runtime> {
    shared: Arc<Shared<R>>,
    resend_after_close: bool,
}

struct Shared<R: Runtime> {
    config: Mutex<SentinelConfig>,
    current: Mutex<Current<R>>,
}

/// The connection in use and which discovery made it.
struct Current<R: Runtime> {
    client: Client<R>,
    node: ServerAddr,
    /// 1 for the first discovery, then one more for each.
    generation: u64,
    /// The sentinels announced another master: the next call discovers again.
    switched: bool,
}

impl<R: Runtime> SentinelMultiplexed<R> {
    /// Discovers the node `config` asks for and opens a multiplexed client to it, its
    /// driver spawned on `R`.
    pub async fn connect(config: SentinelConfig) -> Result<Self, Error> {
        let found = discover_client::<R>(&config).await?;
        let mut config = config;
        config.set_sentinels(found.sentinels);
        let watch = config.watches_failovers();
        let shared = Arc::new(Shared {
            config: Mutex::new(config),
            current: Mutex::new(Current {
                client: found.connection,
                node: found.node,
                generation: 1,
                switched: false,
            }),
        });
        if watch {
            R::spawn(watch_failovers(Arc::downgrade(&shared)));
        }
        Ok(SentinelMultiplexed {
            shared,
            resend_after_close: false,
        })
    }

    /// Whether this handle's commands that may change data, whose connection closed
    /// before their reply came, are sent again, once, to the node found afresh. Off by
    /// default, as such a command may have run; turn it on when every command sent is
    /// safe to repeat. Commands that cannot change data are sent again either way.
    /// Clones made after this call share the setting.
    pub fn resend_after_close(mut self, resend: bool) -> Self {
        self.resend_after_close = resend;
        self
    }

    /// The node in use.
    pub fn node(&self) -> ServerAddr {
        lock(&self.shared.current).node.clone()
    }

    /// How many discoveries have succeeded, the first included.
    pub fn discoveries(&self) -> u64 {
        lock(&self.shared.current).generation
    }

    /// The client to the node in use now (it may be closed; a call on this wrapper
    /// discovers again, a call on the returned client does not).
    pub fn client(&self) -> Client<R> {
        lock(&self.shared.current).client.clone()
    }

    /// Sends `cmd` and resolves to its reply, following a failover as the type's
    /// documentation says.
    pub fn request(&self, cmd: &Cmd) -> SentinelRequest<R> {
        let (client, generation, switched) = {
            let current = lock(&self.shared.current);
            (current.client.clone(), current.generation, current.switched)
        };
        let stage = if switched || client.is_closed() {
            Stage::Discovering(rediscover(self.shared.clone(), generation))
        } else {
            Stage::Sending {
                request: client.request(cmd),
                generation,
            }
        };
        SentinelRequest {
            shared: self.shared.clone(),
            cmd: cmd.clone(),
            stage,
            resent: false,
            // A command that cannot change data is sent again after a close whatever
            // the setting: the rule of every client (`commands::may_resend`).
            resend_after_close: self.resend_after_close || redis_sansio::commands::may_resend(cmd),
        }
    }
}

impl<R: Runtime> Clone for SentinelMultiplexed<R> {
    fn clone(&self) -> Self {
        SentinelMultiplexed {
            shared: self.shared.clone(),
            resend_after_close: self.resend_after_close,
        }
    }
}

impl<R: Runtime> fmt::Debug for SentinelMultiplexed<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = lock(&self.shared.current);
        f.debug_struct("SentinelMultiplexed")
            .field("node", &current.node)
            .field("generation", &current.generation)
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

/// A discovery in progress: the new connection's client and generation.
type Discovering<R> = Pin<Box<dyn Future<Output = Result<(Client<R>, u64), Error>> + Send>>;

/// The future of [`SentinelMultiplexed::request`]: the reply.
///
/// Dropping it abandons the reply (the client discards it) and any discovery it runs.
#[must_use = "futures do nothing unless polled"]
pub struct SentinelRequest<R: Runtime> {
    shared: Arc<Shared<R>>,
    cmd: Cmd,
    stage: Stage<R>,
    /// Whether the command was sent again after a discovery: it is, at most once.
    resent: bool,
    resend_after_close: bool,
}

enum Stage<R: Runtime> {
    Sending { request: Request, generation: u64 },
    Discovering(Discovering<R>),
    Finished,
}

impl<R: Runtime> Future for SentinelRequest<R> {
    type Output = Result<Frame, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match &mut this.stage {
                Stage::Sending {
                    request,
                    generation,
                } => {
                    let result = ready!(Pin::new(request).poll(cx));
                    let generation = *generation;
                    let Err(error) = result else {
                        this.stage = Stage::Finished;
                        return Poll::Ready(result);
                    };
                    let target = lock(&this.shared.config).target();
                    let again = follow::is_demoted(target, &error)
                        || (this.resend_after_close && follow::is_broken(&error));
                    if again && !this.resent {
                        this.stage =
                            Stage::Discovering(rediscover(this.shared.clone(), generation));
                        continue;
                    }
                    // Otherwise a broken connection is noticed by the next call, which
                    // finds the client closed; this command may have run, so it fails.
                    this.stage = Stage::Finished;
                    return Poll::Ready(Err(error));
                }
                Stage::Discovering(discovering) => {
                    let result = ready!(discovering.as_mut().poll(cx));
                    match result {
                        Ok((client, generation)) => {
                            this.resent = true;
                            this.stage = Stage::Sending {
                                request: client.request(&this.cmd),
                                generation,
                            };
                        }
                        Err(error) => {
                            this.stage = Stage::Finished;
                            return Poll::Ready(Err(error));
                        }
                    }
                }
                Stage::Finished => {
                    return Poll::Ready(Err(Error::Closed(redis_sansio::CloseReason::Local)));
                }
            }
        }
    }
}

impl<R: Runtime> fmt::Debug for SentinelRequest<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::Sending { .. } => "sending",
            Stage::Discovering(_) => "discovering",
            Stage::Finished => "finished",
        };
        f.debug_struct("SentinelRequest")
            .field("cmd", &self.cmd)
            .field("stage", &stage)
            .finish_non_exhaustive()
    }
}

/// Replaces the connection of generation `seen`, unless another call has already
/// done so with one still open, and gives the connection to use.
fn rediscover<R: Runtime>(shared: Arc<Shared<R>>, seen: u64) -> Discovering<R> {
    Box::pin(async move {
        if let Some(newer) = newer_than(&shared, seen) {
            return Ok(newer);
        }
        let config = lock(&shared.config).clone();
        let found = discover_client::<R>(&config).await?;
        if let Some(newer) = newer_than(&shared, seen) {
            // Another call finished first: keep its connection.
            found.connection.close();
            return Ok(newer);
        }
        lock(&shared.config).set_sentinels(found.sentinels);
        let mut current = lock(&shared.current);
        current.client.close();
        current.client = found.connection;
        current.node = found.node;
        current.generation += 1;
        current.switched = false;
        Ok((current.client.clone(), current.generation))
    })
}

/// How long the watch waits for an announcement before it checks that the client
/// still has handles.
const WATCH_WAIT: Duration = Duration::from_secs(1);

/// The `+switch-master` watch of a multiplexed client, on the sentinels in turn: an
/// announcement of another master marks the connection in use as switched, so that
/// the next call discovers again. Ends once the client is gone: within [`WATCH_WAIT`]
/// while it waits for an announcement or to try the next sentinel, or once an opening
/// in progress is over (bounded by the sentinel timeout).
async fn watch_failovers<R: Runtime>(shared: Weak<Shared<R>>) {
    let mut opened = 0;
    loop {
        let Some((config, sentinel)) = shared.upgrade().and_then(|shared| {
            let config = lock(&shared.config).clone();
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
                    let mut current = lock(&shared.current);
                    if announces_switch(&config, &message, Some(&current.node)) {
                        current.switched = true;
                        drop(current);
                        lock(&shared.config).prefer_sentinel(&sentinel);
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

/// The connection in use, if a discovery after generation `seen` made it and it is
/// still open.
fn newer_than<R: Runtime>(shared: &Shared<R>, seen: u64) -> Option<(Client<R>, u64)> {
    let current = lock(&shared.current);
    (current.generation > seen && !current.client.is_closed())
        .then(|| (current.client.clone(), current.generation))
}

/// Locks `mutex`, taking the data even if a holder panicked: every update here is a
/// whole replacement, so the data is never half-written.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
