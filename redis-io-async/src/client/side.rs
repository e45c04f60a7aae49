//! Blocking commands on connections of their own.
//!
//! A `BLPOP`, `BLMOVE`, `BZPOPMIN`, `XREAD ... BLOCK`, `WAIT` and the like holds the
//! connection it runs on until data arrives or its timeout passes: on the shared
//! connection it would hold up every other caller behind it (a 0.4 ms `PING` waiting
//! out a 0.5 s `BRPOP`). So [`Client::request`](super::Client::request) sends such a
//! command on a side connection instead: an idle one kept from an earlier blocking
//! call, or a new one with the client's settings. Up to [`KEEP_IDLE`] are kept for
//! reuse; any number may be in use at once (a cap would make a blocking call wait for
//! another to finish, which may never happen). In a pipeline or a transaction the
//! command stays on the shared connection, with its neighbours.

use std::sync::{Arc, Mutex, PoisonError};

use redis_sansio::Cmd;
use redis_sansio::resp::Frame;

use super::Shared;
use crate::{Connection, Error, Runtime};

/// How many idle side connections are kept for the next blocking calls.
pub const KEEP_IDLE: usize = 4;

/// The idle side connections of a client, shared by its handles.
pub(super) struct SideConnections<R: Runtime> {
    idle: Mutex<Vec<Connection<R>>>,
}

impl<R: Runtime> Default for SideConnections<R> {
    fn default() -> Self {
        SideConnections {
            idle: Mutex::new(Vec::new()),
        }
    }
}

impl<R: Runtime> SideConnections<R> {
    /// Runs `cmd` on a side connection: an idle one that is still open, or a new one.
    /// Fails at once when the client is closed. The connection goes back to the idle
    /// set afterwards if it is still usable and the set has room.
    pub(super) async fn request(
        self: Arc<Self>,
        shared: Arc<Shared>,
        cmd: Cmd,
    ) -> Result<Frame, Error> {
        if let Some(reason) = shared.lock().closed.clone() {
            return Err(Error::Closed(reason));
        }
        let mut conn = match self.checkout() {
            Some(conn) => conn,
            None => Connection::<R>::connect(shared.config.clone()).await?,
        };
        let result = conn.request(&cmd).await;
        let reusable = conn.close_reason().is_none()
            && !matches!(&result, Err(error) if !is_server_error(error));
        if reusable {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < KEEP_IDLE {
                idle.push(conn);
            }
        }
        result
    }

    /// An idle connection still open, if there is one; those found closed are
    /// dropped.
    fn checkout(&self) -> Option<Connection<R>> {
        loop {
            let mut conn = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop()?;
            if conn.probe().is_none() {
                return Some(conn);
            }
        }
    }
}

/// True for a server's error reply, after which the connection is as good as before;
/// a timeout or a close leaves it unusable or with a late reply on its way.
fn is_server_error(error: &Error) -> bool {
    matches!(error, Error::Request(redis_sansio::RequestError::Server(_)))
}
