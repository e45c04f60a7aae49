//! A blocking connection that follows the master through failovers.

use std::future::{Future, ready};
use std::time::Instant;

use redis_io_sync::Connection;
use redis_sansio::config::ServerAddr;
use redis_sansio::resp::Frame;
use redis_sansio::sentinel::{Follower, SentinelError};
use redis_sansio::{CloseReason, Cmd, RequestError};

use super::follow::{self, FollowBody};
use super::watch::BlockingWatch;
use super::{SentinelConfig, discover_blocking};
use crate::body_ops::now;
use crate::{Error, Executor, FromReply, TypedCmd};

/// A blocking connection to the node the sentinels name, found again when it goes
/// away. Every generated command works on it: `client.set("k", "v")?`.
///
/// Its policy is the core's ([`redis_sansio::sentinel::Follower`], shared with
/// [`SentinelMultiplexed`](super::SentinelMultiplexed)):
///
/// - It discovers when created, and again when the connection closes (the server
///   went away, or a failover's reconfiguration killed it) or the master refuses a
///   write with `READONLY` (it was demoted). Discoveries that fail are spaced by
///   [`SentinelConfig::with_reconnect`]'s backoff.
/// - A command made while there is no master waits for one (the client discovers
///   meanwhile), at most [`SentinelConfig::with_retry_timeout`] from when it was
///   made; past it, it fails with the last discovery's [`Error::Sentinel`] (or a
///   timeout). A permanent refusal of the node found (a wrong password) fails it at
///   once with that refusal (`Error::Closed(CloseReason::Auth(..))`), and every
///   command after it.
/// - A command refused with `READONLY` did not run: it goes to the master found
///   afresh. One whose connection closed before it was written goes too.
/// - A command whose connection closed while it was in flight is sent again to the
///   new master if it cannot change data (`GET`, ...: by the specification's flags,
///   `redis_sansio::commands::may_resend`), or if
///   [`resend_after_close`](Self::resend_after_close) says so; otherwise it fails
///   with `RequestError::Closed`: its outcome is unknown
///   ([`Error::is_unknown_outcome`]).
/// - Each discovery starts from the sentinel list the previous one ended with: the
///   sentinel that answered first, learned sentinels added.
/// - Unless [`SentinelConfig::with_failover_watch`] turns it off, a client of the
///   master also subscribes to `+switch-master` on a sentinel and looks at it before
///   commands (a non-blocking read, at most every 100 ms): when the sentinels announce
///   a new master, the next command discovers again (asking the announcing sentinel
///   first) instead of going to the old master until it is demoted.
///
/// ```no_run
/// use redis_client::prelude::*;
/// use redis_client::sentinel::{SentinelClient, SentinelConfig};
///
/// let config = SentinelConfig::new("mymaster", ["redis://127.0.0.1:26379"])?;
/// let mut client = SentinelClient::connect(config)?;
/// client.set("k", "v")?;
/// let value = client.get("k")?;
/// # Ok::<(), redis_client::Error>(())
/// ```
#[derive(Debug)]
pub struct SentinelClient {
    config: SentinelConfig,
    follower: Follower,
    connection: Option<Connection>,
    resend_after_close: bool,
    last_failure: Option<SentinelError>,
    /// The `+switch-master` watch, for a client of the master that keeps it.
    watch: Option<BlockingWatch>,
}

impl SentinelClient {
    /// Discovers the node `config` asks for and connects to it.
    pub fn connect(config: SentinelConfig) -> Result<Self, Error> {
        let follower = Follower::new(
            config.master_name(),
            config.reconnect().clone(),
            config.retry_timeout(),
        );
        let mut client = SentinelClient {
            config,
            follower,
            connection: None,
            resend_after_close: false,
            last_failure: None,
            watch: None,
        };
        if client.config.watches_failovers() {
            // Subscribed now, so that a failover from here on is seen.
            let watch = client.watch.insert(BlockingWatch::default());
            watch.switched(&client.config, &mut client.follower);
        }
        let found = discover_blocking(&client.config)?;
        let settled = follow::settle(
            &mut client.follower,
            &mut client.config,
            &mut client.last_failure,
            Ok(found),
            Instant::now(),
        );
        client.connection = settled.map(|(found, _)| found.connection);
        Ok(client)
    }

    /// Whether a command that may change data, whose connection closed before its
    /// reply came, is sent again to the node found afresh. Off by default, as the
    /// command may have run (it then fails as an unknown outcome); turn it on when
    /// every command sent is safe to repeat. A command that cannot change data
    /// (`GET`, `HGETALL`, ...: by the specification's flags,
    /// `redis_sansio::commands::may_resend`) is sent again either way.
    pub fn resend_after_close(mut self, resend: bool) -> Self {
        self.resend_after_close = resend;
        self
    }

    /// The node in use (or last used, while the client looks for a new one).
    pub fn node(&self) -> Option<&ServerAddr> {
        self.follower.node()
    }

    /// The settings, with the sentinel list as the last discovery left it.
    pub fn config(&self) -> &SentinelConfig {
        &self.config
    }

    /// How many discoveries have succeeded, the first included.
    pub fn discoveries(&self) -> u64 {
        self.follower.generation()
    }

    /// Drops the current connection and discovers again now (once: a failure is
    /// returned, and the next command goes on trying under the backoff).
    pub fn rediscover(&mut self) -> Result<(), Error> {
        let now = Instant::now();
        self.follower.rediscover(now);
        // The discovery is run here whether or not the follower asked for one now.
        let _ = follow::discovery_due(&mut self.follower, now);
        self.connection = None;
        match discover_blocking(&self.config) {
            Err(error) => {
                let now = Instant::now();
                follow::file_failure(&mut self.follower, &mut self.last_failure, &error, now);
                Err(error)
            }
            found => {
                self.install(found);
                match self.follower.down_reason() {
                    Some(reason) => Err(Error::Closed(reason.clone())),
                    None => Ok(()),
                }
            }
        }
    }

    /// The connection to the node, discovering first if there is none or it has
    /// closed. For what the wrapper does not offer (pipelines, pub/sub); what is done
    /// on it is not retried.
    pub fn connection(&mut self) -> Result<&mut Connection, Error> {
        self.look_at_watch();
        let usable = self.follower.is_up()
            && self
                .connection
                .as_ref()
                .is_some_and(|conn| conn.close_reason().is_none());
        if !usable {
            self.rediscover()?;
        }
        self.connection.as_mut().ok_or_else(super::step::runaway)
    }

    /// Sends `cmd` and waits for its reply, following a failover as the type's
    /// documentation says.
    pub fn request(&mut self, cmd: &Cmd) -> Result<Frame, Error> {
        self.look_at_watch();
        let (target, resend) = (self.config.target(), self.resend_after_close);
        now(follow::run(self, cmd, target, resend))
    }

    /// Hands what the watched sentinel announced to the follower.
    fn look_at_watch(&mut self) {
        if let Some(watch) = &mut self.watch {
            if let Some(sentinel) = watch.switched(&self.config, &mut self.follower) {
                self.config.prefer_sentinel(&sentinel);
            }
        }
    }

    /// Reports a discovery's result and keeps the connection it found.
    fn install(&mut self, result: Result<super::Discovered<Connection>, Error>) {
        let settled = follow::settle(
            &mut self.follower,
            &mut self.config,
            &mut self.last_failure,
            result,
            Instant::now(),
        );
        if let Some((found, _)) = settled {
            self.connection = Some(found.connection);
        }
    }
}

/// The blocking body: each future is ready at once.
impl FollowBody for SentinelClient {
    fn with_follower<T>(&mut self, f: impl FnOnce(&mut Follower) -> T) -> T {
        f(&mut self.follower)
    }

    fn discover(&mut self) -> impl Future<Output = ()> + Send {
        self.connection = None;
        let result = discover_blocking(&self.config);
        self.install(result);
        ready(())
    }

    fn send(
        &mut self,
        generation: u64,
        cmd: &Cmd,
    ) -> impl Future<Output = Result<Frame, Error>> + Send {
        let current = generation == self.follower.generation();
        ready(match self.connection.as_mut() {
            Some(conn) if current => conn.request(cmd),
            _ => Err(Error::Request(RequestError::NotSent(CloseReason::Eof))),
        })
    }

    fn wait(&mut self, until: Instant) -> impl Future<Output = ()> + Send {
        // Nothing else changes a blocking client: only time passes.
        std::thread::sleep(until.saturating_duration_since(Instant::now()));
        ready(())
    }

    fn last_failure(&mut self) -> Option<SentinelError> {
        self.last_failure.clone()
    }
}

/// `client.get("k")?`: the command on the current node, following a failover.
impl<'a> Executor<'a> for &'a mut SentinelClient {
    type Ret<R: FromReply + 'a> = Result<R, Error>;

    fn execute<R: FromReply + 'a>(self, cmd: TypedCmd<R>) -> Result<R, Error> {
        self.request(cmd.cmd()).and_then(R::from_reply)
    }
}
