//! Pooled connections: the guards run commands as the connection they hold does.

use redis_io_async::{ExclusiveRequest, Runtime};

use super::ReplyFuture;
use crate::pool::exclusive;
use crate::{Executor, FromReply, TypedCmd};

/// `pooled.get("k")?` on a blocking pool's guard.
#[cfg(feature = "sync")]
impl<'a> Executor<'a> for &'a mut crate::pool::blocking::PooledConnection {
    type Ret<R: FromReply + 'a> = Result<R, crate::Error>;

    fn execute<R: FromReply + 'a>(self, cmd: TypedCmd<R>) -> Self::Ret<R> {
        (&mut **self).execute(cmd)
    }
}

/// `pooled.get("k").await?` on an async pool's guard.
impl<'a, Rt: Runtime> Executor<'a> for &'a mut exclusive::PooledConnection<Rt> {
    type Ret<R: FromReply + 'a> = ReplyFuture<ExclusiveRequest<'a, Rt>, R>;

    fn execute<R: FromReply + 'a>(self, cmd: TypedCmd<R>) -> Self::Ret<R> {
        (&mut **self).execute(cmd)
    }
}
