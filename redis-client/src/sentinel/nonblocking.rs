//! Discovery over async connections, on any [`Runtime`].

use redis_io_async::{Client, Connection, Runtime};
use redis_sansio::Cmd;
use redis_sansio::config::ServerAddr;
use redis_sansio::resp::Frame;
use redis_sansio::sentinel::Action;

use super::SentinelConfig;
use super::step::{Discovered, MAX_STEPS, hand_over, runaway};
use crate::Error;

/// Finds the node `config` asks for and returns an exclusive async connection to it,
/// its role checked: [`discover_blocking`](super::discover_blocking)'s steps, on
/// runtime `R`.
///
/// ```no_run
/// # async fn run() -> Result<(), redis_client::Error> {
/// use redis_client::prelude::*;
/// use redis_client::sentinel::{self, SentinelConfig};
/// use redis_io_tokio::Tokio;
///
/// let config = SentinelConfig::new("mymaster", ["redis://127.0.0.1:26379"])?;
/// let mut conn = sentinel::discover_exclusive::<Tokio>(&config).await?.connection;
/// conn.set("k", "v").await?;
/// # Ok(())
/// # }
/// ```
pub async fn discover_exclusive<R: Runtime>(
    config: &SentinelConfig,
) -> Result<Discovered<Connection<R>>, Error> {
    let mut discovery = config.discovery();
    let mut sentinel: Option<(ServerAddr, Connection<R>)> = None;
    let mut node: Option<Connection<R>> = None;
    for _ in 0..MAX_STEPS {
        match discovery.poll_action() {
            Some(Action::AskSentinel {
                step,
                sentinel: addr,
                cmd,
            }) => {
                let result = ask(config, &mut sentinel, addr, &cmd).await;
                hand_over(&mut discovery, step, result);
            }
            Some(Action::CheckRole {
                step,
                node: addr,
                cmd,
            }) => {
                sentinel = None;
                let result = match Connection::<R>::connect(config.node_connection(addr)).await {
                    Ok(mut conn) => {
                        let reply = conn.request(&cmd).await;
                        node = Some(conn);
                        reply
                    }
                    Err(error) => Err(error),
                };
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

/// As [`discover_exclusive`], then turns the connection into a multiplexed
/// [`Client`], its driver spawned on `R`.
pub async fn discover_client<R: Runtime>(
    config: &SentinelConfig,
) -> Result<Discovered<Client<R>>, Error> {
    let found = discover_exclusive::<R>(config).await?;
    Ok(Discovered {
        connection: Client::from_connection(found.connection),
        node: found.node,
        sentinel: found.sentinel,
        sentinels: found.sentinels,
    })
}

/// Sends `cmd` to the sentinel at `addr`, reusing the open connection if it is that
/// sentinel's.
async fn ask<R: Runtime>(
    config: &SentinelConfig,
    open: &mut Option<(ServerAddr, Connection<R>)>,
    addr: ServerAddr,
    cmd: &Cmd,
) -> Result<Frame, Error> {
    let reuse = matches!(open, Some((at, conn)) if *at == addr && conn.close_reason().is_none());
    if !reuse {
        *open = None;
        let conn = Connection::<R>::connect(config.sentinel_connection(addr.clone())).await?;
        *open = Some((addr, conn));
    }
    let Some((_, conn)) = open.as_mut() else {
        return Err(runaway());
    };
    let result = conn.request(cmd).await;
    if conn.close_reason().is_some() {
        *open = None;
    }
    result
}
