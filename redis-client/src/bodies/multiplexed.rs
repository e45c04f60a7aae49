//! The multiplexed client: each command returns a named, `Send`, `'static` future.

use redis_io_async::{Client, Request, Runtime};

use super::ReplyFuture;
use crate::{Executor, FromReply, TypedCmd};

/// `client.get("k").await?` from any number of tasks: the command is queued at once
/// and goes out with whatever else is queued, **whether or not the future is ever
/// awaited**. Dropping the future cancels the command if it is not written yet;
/// see [`ReplyFuture`].
impl<'a, Rt: Runtime> Executor<'a> for &'a Client<Rt> {
    type Ret<R: FromReply + 'a> = ReplyFuture<Request, R>;

    fn execute<R: FromReply + 'a>(self, cmd: TypedCmd<R>) -> Self::Ret<R> {
        ReplyFuture::new(self.request(cmd.cmd()))
    }
}
