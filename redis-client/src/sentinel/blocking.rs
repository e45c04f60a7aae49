//! Discovery over blocking connections.

use redis_io_sync::Connection;
use redis_sansio::Cmd;
use redis_sansio::config::ServerAddr;
use redis_sansio::resp::Frame;
use redis_sansio::sentinel::Action;

use super::SentinelConfig;
use super::step::{Discovered, MAX_STEPS, hand_over, runaway};
use crate::Error;

/// Finds the node `config` asks for and returns a connection to it, its role checked.
///
/// Asks each sentinel in turn (the connect and response timeouts of each being the
/// config's sentinel timeout), connects to the node it names with
/// [`SentinelConfig::node`]'s settings and checks `ROLE`; a dead sentinel, an unknown
/// name or a stale answer moves on to the next sentinel. Fails with
/// [`Error::Sentinel`] when none leads to the node.
///
/// ```no_run
/// use redis_client::prelude::*;
/// use redis_client::sentinel::{self, SentinelConfig};
///
/// let config = SentinelConfig::new("mymaster", ["redis://127.0.0.1:26379"])?;
/// let mut conn = sentinel::discover_blocking(&config)?.connection;
/// conn.set("k", "v")?;
/// # Ok::<(), redis_client::Error>(())
/// ```
pub fn discover_blocking(config: &SentinelConfig) -> Result<Discovered<Connection>, Error> {
    let mut discovery = config.discovery();
    // The last sentinel asked, kept open for its next question.
    let mut sentinel: Option<(ServerAddr, Connection)> = None;
    // The node whose role is being checked.
    let mut node: Option<Connection> = None;
    for _ in 0..MAX_STEPS {
        match discovery.poll_action() {
            Some(Action::AskSentinel {
                step,
                sentinel: addr,
                cmd,
            }) => {
                let result = ask(config, &mut sentinel, addr, &cmd);
                hand_over(&mut discovery, step, result);
            }
            Some(Action::CheckRole {
                step,
                node: addr,
                cmd,
            }) => {
                sentinel = None;
                let result =
                    Connection::connect(config.node_connection(addr)).and_then(|mut conn| {
                        let reply = conn.request(&cmd)?;
                        node = Some(conn);
                        Ok(reply)
                    });
                hand_over(&mut discovery, step, result);
            }
            Some(Action::Done {
                node: addr,
                sentinel,
            }) => {
                let connection = node.take().ok_or_else(runaway)?;
                return Ok(Discovered {
                    connection,
                    node: addr,
                    sentinel,
                    sentinels: discovery.sentinels().to_vec(),
                });
            }
            Some(Action::Failed(error)) => return Err(Error::Sentinel(error)),
            Some(_) | None => return Err(runaway()),
        }
    }
    Err(runaway())
}

/// Sends `cmd` to the sentinel at `addr`, on the open connection if it is that
/// sentinel's, else on a new one (which then stays open). A failed connection is
/// dropped.
fn ask(
    config: &SentinelConfig,
    open: &mut Option<(ServerAddr, Connection)>,
    addr: ServerAddr,
    cmd: &Cmd,
) -> Result<Frame, Error> {
    let reuse = matches!(open, Some((at, conn)) if *at == addr && conn.close_reason().is_none());
    if !reuse {
        *open = None;
        let conn = Connection::connect(config.sentinel_connection(addr.clone()))?;
        *open = Some((addr, conn));
    }
    let Some((_, conn)) = open.as_mut() else {
        return Err(runaway());
    };
    let result = conn.request(cmd);
    if conn.close_reason().is_some() {
        *open = None;
    }
    result
}
