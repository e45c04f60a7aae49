//! The blocking connection: each command returns its typed reply.

use redis_io_sync::Connection;

use crate::{Error, Executor, FromReply, TypedCmd};

/// `conn.get("k")?`: sends the command, waits, and reads the reply.
impl<'a> Executor<'a> for &'a mut Connection {
    type Ret<R: FromReply + 'a> = Result<R, Error>;

    fn execute<R: FromReply + 'a>(self, cmd: TypedCmd<R>) -> Result<R, Error> {
        self.request(cmd.cmd()).and_then(R::from_reply)
    }
}
