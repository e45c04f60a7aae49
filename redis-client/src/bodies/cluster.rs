//! The cluster bodies: the blocking connection returns the typed reply, the async
//! client a named future of it.

use redis_io_async::Runtime;

use super::ReplyFuture;
#[cfg(feature = "sync")]
use crate::cluster::ClusterConnection;
use crate::cluster::{ClusterClient, ClusterRequest};
use crate::{Executor, FromReply, TypedCmd};

/// `cluster.get("k")?`: routed by the command's keys, redirects followed.
#[cfg(feature = "sync")]
impl<'a> Executor<'a> for &'a mut ClusterConnection {
    type Ret<R: FromReply + 'a> = Result<R, crate::Error>;

    fn execute<R: FromReply + 'a>(self, cmd: TypedCmd<R>) -> Self::Ret<R> {
        self.request(cmd.cmd()).and_then(R::from_reply)
    }
}

/// `cluster.get("k").await?` from any number of tasks.
impl<'a, Rt: Runtime> Executor<'a> for &'a ClusterClient<Rt> {
    type Ret<R: FromReply + 'a> = ReplyFuture<ClusterRequest<Rt>, R>;

    fn execute<R: FromReply + 'a>(self, cmd: TypedCmd<R>) -> Self::Ret<R> {
        ReplyFuture::new(self.request(cmd.cmd()))
    }
}
