//! Pooled connections: the guards run commands as the connection they hold does.

use crate::pool::{Poolable, PooledConnection};
use crate::{Executor, FromReply, TypedCmd};

/// `pooled.get("k")?` on a blocking pool's guard, `pooled.get("k").await?` on an
/// async pool's: whatever the held connection returns.
impl<'a, C> Executor<'a> for &'a mut PooledConnection<C>
where
    C: Poolable,
    &'a mut C: Executor<'a>,
{
    type Ret<R: FromReply + 'a> = <&'a mut C as Executor<'a>>::Ret<R>;

    fn execute<R: FromReply + 'a>(self, cmd: TypedCmd<R>) -> Self::Ret<R> {
        (&mut **self).execute(cmd)
    }
}
