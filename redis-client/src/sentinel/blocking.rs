//! Discovery over blocking connections.

use std::future::{Future, ready};

use redis_io_sync::Connection;
use redis_sansio::Cmd;
use redis_sansio::config::ConnectionConfig;
use redis_sansio::resp::Frame;

use super::SentinelConfig;
use super::step::{Connector, Discovered, discover};
use crate::Error;
use crate::body_ops::now;

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
    now(discover::<Blocking>(config))
}

/// Blocking connections, for the one discovery driver: each future is ready at once.
struct Blocking;

impl Connector for Blocking {
    type Conn = Connection;

    fn connect(config: ConnectionConfig) -> impl Future<Output = Result<Connection, Error>> {
        ready(Connection::connect(config))
    }

    fn request(conn: &mut Connection, cmd: &Cmd) -> impl Future<Output = Result<Frame, Error>> {
        ready(conn.request(cmd))
    }

    fn is_open(conn: &Connection) -> bool {
        conn.close_reason().is_none()
    }
}
