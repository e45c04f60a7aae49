//! Discovery over async connections, on any [`Runtime`].

use std::future::Future;
use std::marker::PhantomData;

use redis_io_async::{Client, Connection, Runtime};
use redis_sansio::Cmd;
use redis_sansio::config::ConnectionConfig;
use redis_sansio::resp::Frame;

use super::SentinelConfig;
use super::step::{Connector, Discovered, discover};
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
    discover::<OnRuntime<R>>(config).await
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

/// Exclusive async connections on runtime `R`, for the one discovery driver.
struct OnRuntime<R>(PhantomData<R>);

impl<R: Runtime> Connector for OnRuntime<R> {
    type Conn = Connection<R>;

    fn connect(config: ConnectionConfig) -> impl Future<Output = Result<Connection<R>, Error>> {
        Connection::<R>::connect(config)
    }

    async fn request(conn: &mut Connection<R>, cmd: &Cmd) -> Result<Frame, Error> {
        conn.request(cmd).await
    }

    fn is_open(conn: &Connection<R>) -> bool {
        conn.close_reason().is_none()
    }
}
