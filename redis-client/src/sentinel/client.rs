//! A blocking connection that follows the master through failovers.

use redis_io_sync::Connection;
use redis_sansio::Cmd;
use redis_sansio::config::ServerAddr;
use redis_sansio::resp::Frame;

use super::watch::BlockingWatch;
use super::{Discovered, SentinelConfig, discover_blocking, follow};
use crate::{Error, Executor, FromReply, TypedCmd};

/// A blocking connection to the node the sentinels name, found again when it goes
/// away. Every generated command works on it: `client.set("k", "v")?`.
///
/// - It discovers when created, and again before the next command once the connection
///   has closed (the server went away, or a failover's reconfiguration killed it).
/// - A command the master refuses with `READONLY` (the node was demoted to a replica:
///   a failover happened) is sent again, once, to the master found afresh: it was
///   refused, so it did not run.
/// - A command whose connection closed while it was in flight fails with that error:
///   it may have run, so it is not sent again unless
///   [`resend_after_close`](Self::resend_after_close) says so. The next command goes
///   to the node found afresh.
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
    connection: Option<Connection>,
    node: Option<ServerAddr>,
    resend_after_close: bool,
    discoveries: u64,
    /// The `+switch-master` watch, for a client of the master that keeps it.
    watch: Option<BlockingWatch>,
}

impl SentinelClient {
    /// Discovers the node `config` asks for and connects to it.
    pub fn connect(config: SentinelConfig) -> Result<Self, Error> {
        let mut client = SentinelClient {
            config,
            connection: None,
            node: None,
            resend_after_close: false,
            discoveries: 0,
            watch: None,
        };
        if client.config.watches_failovers() {
            // Subscribed now, so that a failover from here on is seen.
            let watch = client.watch.insert(BlockingWatch::default());
            watch.switched(&client.config, client.node.as_ref());
        }
        client.rediscover()?;
        Ok(client)
    }

    /// Whether a command that may change data, whose connection closed before its
    /// reply came, is sent again, once, to the node found afresh. Off by default, as
    /// the command may have run; turn it on when every command sent is safe to repeat.
    /// A command that cannot change data (`GET`, `HGETALL`, ...: by the specification's
    /// flags, `redis_sansio::commands::may_resend`) is sent again either way.
    pub fn resend_after_close(mut self, resend: bool) -> Self {
        self.resend_after_close = resend;
        self
    }

    /// The node in use, if connected.
    pub fn node(&self) -> Option<&ServerAddr> {
        self.node.as_ref()
    }

    /// The settings, with the sentinel list as the last discovery left it.
    pub fn config(&self) -> &SentinelConfig {
        &self.config
    }

    /// How many discoveries have succeeded, the first included.
    pub fn discoveries(&self) -> u64 {
        self.discoveries
    }

    /// Drops the current connection and discovers again now.
    pub fn rediscover(&mut self) -> Result<(), Error> {
        self.connection = None;
        self.node = None;
        let Discovered {
            connection,
            node,
            sentinels,
            ..
        } = discover_blocking(&self.config)?;
        self.config.set_sentinels(sentinels);
        self.connection = Some(connection);
        self.node = Some(node);
        self.discoveries += 1;
        Ok(())
    }

    /// The connection to the node, discovering first if there is none or it has
    /// closed. For what the wrapper does not offer (pipelines, pub/sub); what is done
    /// on it is not retried.
    pub fn connection(&mut self) -> Result<&mut Connection, Error> {
        if let Some(watch) = &mut self.watch {
            if let Some(sentinel) = watch.switched(&self.config, self.node.as_ref()) {
                self.config.prefer_sentinel(&sentinel);
                self.connection = None;
            }
        }
        let usable = self
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
        let result = self.connection()?.request(cmd);
        let Err(error) = result else {
            return result;
        };
        if follow::is_demoted(self.config.target(), &error) {
            self.rediscover()?;
            return self.connection()?.request(cmd);
        }
        if self.is_broken(&error) {
            self.connection = None;
            self.node = None;
            // A command that cannot change data goes out again whatever the setting:
            // the rule of every client (`commands::may_resend`).
            if self.resend_after_close || redis_sansio::commands::may_resend(cmd) {
                return self.connection()?.request(cmd);
            }
        }
        Err(error)
    }

    /// True when `error` left the connection unusable.
    fn is_broken(&self, error: &Error) -> bool {
        let closed = self
            .connection
            .as_ref()
            .is_none_or(|conn| conn.close_reason().is_some());
        closed || follow::is_broken(error)
    }
}

/// `client.get("k")?`: the command on the current node, following a failover.
impl<'a> Executor<'a> for &'a mut SentinelClient {
    type Ret<R: FromReply + 'a> = Result<R, Error>;

    fn execute<R: FromReply + 'a>(self, cmd: TypedCmd<R>) -> Result<R, Error> {
        self.request(cmd.cmd()).and_then(R::from_reply)
    }
}
