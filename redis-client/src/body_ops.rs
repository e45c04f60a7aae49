//! The three operations that pipelines, transactions, scripts and the watch helper
//! need from a body, so each of those is written once for every body.

use std::future::Future;
#[cfg(feature = "sync")]
use std::future::ready;
#[cfg(feature = "sync")]
use std::pin::pin;
#[cfg(feature = "sync")]
use std::task::{Context, Poll, Waker};

use redis_io_async::{Client, Connection, Outcome, Runtime};
use redis_sansio::Cmd;
use redis_sansio::resp::Frame;

use crate::Error;

/// A connection or client, seen as "send these, give me the outcomes". The blocking
/// connection's futures are ready at once (see [`now`]).
pub(crate) trait AsyncBody: Send {
    /// One command's reply.
    fn request(&mut self, cmd: &Cmd) -> impl Future<Output = Result<Frame, Error>> + Send;

    /// Every command's outcome, sent in one write.
    fn pipeline(
        &mut self,
        cmds: &[Cmd],
    ) -> impl Future<Output = Result<Vec<Outcome>, Error>> + Send;

    /// `EXEC`'s array for `cmds` in `MULTI`/`EXEC`.
    fn transaction(&mut self, cmds: &[Cmd]) -> impl Future<Output = Result<Frame, Error>> + Send;
}

/// A body borrowed again: shared logic that makes several calls on one body passes
/// `&mut body` down.
impl<B: AsyncBody> AsyncBody for &mut B {
    fn request(&mut self, cmd: &Cmd) -> impl Future<Output = Result<Frame, Error>> + Send {
        (**self).request(cmd)
    }

    fn pipeline(
        &mut self,
        cmds: &[Cmd],
    ) -> impl Future<Output = Result<Vec<Outcome>, Error>> + Send {
        (**self).pipeline(cmds)
    }

    fn transaction(&mut self, cmds: &[Cmd]) -> impl Future<Output = Result<Frame, Error>> + Send {
        (**self).transaction(cmds)
    }
}

impl<Rt: Runtime> AsyncBody for &mut Connection<Rt> {
    fn request(&mut self, cmd: &Cmd) -> impl Future<Output = Result<Frame, Error>> + Send {
        Connection::request(self, cmd)
    }

    fn pipeline(
        &mut self,
        cmds: &[Cmd],
    ) -> impl Future<Output = Result<Vec<Outcome>, Error>> + Send {
        Connection::pipeline(self, cmds)
    }

    fn transaction(&mut self, cmds: &[Cmd]) -> impl Future<Output = Result<Frame, Error>> + Send {
        Connection::transaction(self, cmds)
    }
}

impl<Rt: Runtime> AsyncBody for &Client<Rt> {
    fn request(&mut self, cmd: &Cmd) -> impl Future<Output = Result<Frame, Error>> + Send {
        Client::request(self, cmd)
    }

    fn pipeline(
        &mut self,
        cmds: &[Cmd],
    ) -> impl Future<Output = Result<Vec<Outcome>, Error>> + Send {
        Client::pipeline(self, cmds)
    }

    fn transaction(&mut self, cmds: &[Cmd]) -> impl Future<Output = Result<Frame, Error>> + Send {
        Client::transaction(self, cmds)
    }
}

impl<Rt: Runtime> AsyncBody for &crate::cluster::ClusterClient<Rt> {
    fn request(&mut self, cmd: &Cmd) -> impl Future<Output = Result<Frame, Error>> + Send {
        crate::cluster::ClusterClient::request(self, cmd)
    }

    fn pipeline(
        &mut self,
        cmds: &[Cmd],
    ) -> impl Future<Output = Result<Vec<Outcome>, Error>> + Send {
        crate::cluster::ClusterClient::pipeline(self, cmds)
    }

    fn transaction(&mut self, cmds: &[Cmd]) -> impl Future<Output = Result<Frame, Error>> + Send {
        crate::cluster::ClusterClient::transaction(self, cmds)
    }
}

#[cfg(feature = "sync")]
impl AsyncBody for &mut crate::cluster::ClusterConnection {
    fn request(&mut self, cmd: &Cmd) -> impl Future<Output = Result<Frame, Error>> + Send {
        ready(crate::cluster::ClusterConnection::request(self, cmd))
    }

    fn pipeline(
        &mut self,
        cmds: &[Cmd],
    ) -> impl Future<Output = Result<Vec<Outcome>, Error>> + Send {
        ready(crate::cluster::ClusterConnection::pipeline(self, cmds))
    }

    fn transaction(&mut self, cmds: &[Cmd]) -> impl Future<Output = Result<Frame, Error>> + Send {
        ready(crate::cluster::ClusterConnection::transaction(self, cmds))
    }
}

#[cfg(feature = "sync")]
impl AsyncBody for &mut redis_io_sync::Connection {
    fn request(&mut self, cmd: &Cmd) -> impl Future<Output = Result<Frame, Error>> + Send {
        ready(redis_io_sync::Connection::request(self, cmd))
    }

    fn pipeline(
        &mut self,
        cmds: &[Cmd],
    ) -> impl Future<Output = Result<Vec<Outcome>, Error>> + Send {
        ready(redis_io_sync::Connection::pipeline(self, cmds))
    }

    fn transaction(&mut self, cmds: &[Cmd]) -> impl Future<Output = Result<Frame, Error>> + Send {
        ready(redis_io_sync::Connection::transaction(self, cmds))
    }
}

/// Runs a future built only from the blocking body's ready futures: it completes on
/// its first poll, so the shared async logic serves the blocking connection too.
#[cfg(feature = "sync")]
pub(crate) fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("a blocking body's futures are always ready"),
    }
}
