//! The async exclusive connection: each command returns a named future.

use redis_io_async::{Connection, ExclusiveRequest, Runtime};

use super::ReplyFuture;
use crate::{Executor, FromReply, TypedCmd};

/// `conn.get("k").await?`: the command is queued at once; the future drives the
/// connection until its reply is in.
impl<'a, Rt: Runtime> Executor<'a> for &'a mut Connection<Rt> {
    type Ret<R: FromReply + 'a> = ReplyFuture<ExclusiveRequest<'a, Rt>, R>;

    fn execute<R: FromReply + 'a>(self, cmd: TypedCmd<R>) -> Self::Ret<R> {
        ReplyFuture::new(self.request(cmd.cmd()))
    }
}
