//! The discovery driver, written once for blocking and async connections: the loop
//! around the core machine, handing each step's outcome to it, and what a finished
//! discovery gives back.

use std::future::Future;

use redis_sansio::config::{ConnectionConfig, ServerAddr};
use redis_sansio::resp::Frame;
use redis_sansio::sentinel::{Action, Discovery, StepId};
use redis_sansio::supervisor::is_permanent;
use redis_sansio::{Cmd, RequestError};

use super::SentinelConfig;
use crate::Error;

/// How the driver opens and uses connections: blocking ones, whose futures are ready
/// at once (run with [`crate::body_ops::now`]), or async ones on a runtime.
pub(crate) trait Connector {
    /// The connection a discovery hands back.
    type Conn;

    /// Opens a connection as `config` says.
    fn connect(config: ConnectionConfig) -> impl Future<Output = Result<Self::Conn, Error>>;

    /// Sends `cmd` and waits for its reply.
    fn request(conn: &mut Self::Conn, cmd: &Cmd) -> impl Future<Output = Result<Frame, Error>>;

    /// True while the connection has not closed.
    fn is_open(conn: &Self::Conn) -> bool;
}

/// Finds the node `config` asks for and returns a connection to it, its role checked:
/// the driving loop of every discovery, over `C`'s connections.
pub(crate) async fn discover<C: Connector>(
    config: &SentinelConfig,
) -> Result<Discovered<C::Conn>, Error> {
    let mut discovery = config.discovery();
    // The last sentinel asked, kept open for its next question.
    let mut sentinel: Option<(ServerAddr, C::Conn)> = None;
    // The node whose role is being checked.
    let mut node: Option<C::Conn> = None;
    for _ in 0..MAX_STEPS {
        match discovery.poll_action() {
            Some(Action::AskSentinel {
                step,
                sentinel: addr,
                cmd,
            }) => {
                let result = ask::<C>(config, &mut sentinel, addr, &cmd).await;
                hand_over(&mut discovery, step, result);
            }
            Some(Action::CheckRole {
                step,
                node: addr,
                cmd,
            }) => {
                sentinel = None;
                let result = match C::connect(config.node_connection(addr)).await {
                    Ok(mut conn) => {
                        let reply = C::request(&mut conn, &cmd).await;
                        node = Some(conn);
                        reply
                    }
                    Err(error) => Err(error),
                };
                // The node refused the data connection's settings for good (a wrong
                // password): no other sentinel's answer can mend that.
                match result {
                    Err(error) if error.refusal().is_some_and(|reason| is_permanent(&reason)) => {
                        return Err(error);
                    }
                    result => hand_over(&mut discovery, step, result),
                }
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
/// sentinel's, else on a new one (which then stays open). A closed connection is
/// dropped.
async fn ask<C: Connector>(
    config: &SentinelConfig,
    open: &mut Option<(ServerAddr, C::Conn)>,
    addr: ServerAddr,
    cmd: &Cmd,
) -> Result<Frame, Error> {
    let reuse = matches!(open, Some((at, conn)) if *at == addr && C::is_open(conn));
    if !reuse {
        *open = None;
        let conn = C::connect(config.sentinel_connection(addr.clone())).await?;
        *open = Some((addr, conn));
    }
    let Some((_, conn)) = open.as_mut() else {
        return Err(runaway());
    };
    let result = C::request(conn, cmd).await;
    if !C::is_open(conn) {
        *open = None;
    }
    result
}

/// The most steps a discovery driver takes before giving up, far more than any real
/// discovery needs (a few per sentinel): a guard against a loop that never ends.
const MAX_STEPS: usize = 1000;

/// A discovered node, connected and checked.
#[derive(Debug)]
#[non_exhaustive]
pub struct Discovered<C> {
    /// The connection to the node, the one its `ROLE` was checked on.
    pub connection: C,
    /// The node's address.
    pub node: ServerAddr,
    /// The sentinel that named it.
    pub sentinel: ServerAddr,
    /// Every sentinel known after this discovery, the one that named the node first,
    /// and those learned from `SENTINEL SENTINELS` included.
    pub sentinels: Vec<ServerAddr>,
}

/// Hands step `step`'s outcome to the machine: a reply as it is, an error reply as the
/// error frame it was, anything else as the step's failure.
fn hand_over(discovery: &mut Discovery, step: StepId, result: Result<Frame, Error>) {
    match result {
        Ok(reply) => discovery.handle_reply(step, reply),
        Err(Error::Request(RequestError::Server(error))) => {
            discovery.handle_reply(step, Frame::SimpleError(error.message().clone()));
        }
        Err(error) => discovery.handle_failure(step, error),
    }
}

/// The error for a machine that ended without saying how, which it never does.
pub(crate) fn runaway() -> Error {
    Error::Io(std::io::Error::other(
        "sentinel discovery did not finish (a bug: please report it)",
    ))
}
