//! The one trait every body implements, so the generated commands work on all of them.

use crate::{FromReply, Returning, TypedCmd};

/// Something that runs a command and hands back its typed reply in its own way: the
/// one trait that lets the generated [`Commands`](crate::Commands) serve every body.
///
/// | body | `Ret<R>` |
/// |---|---|
/// | `&mut redis_io_sync::Connection` | `Result<R, Error>` |
/// | `&mut redis_io_async::Connection<Rt>` | a named future of `Result<R, Error>` |
/// | `&redis_io_async::Client<Rt>` | a named, `Send`, `'static` future of `Result<R, Error>` |
/// | `&mut Pipeline`, `&mut Transaction` | a [`Slot<R>`](crate::Slot) to read after the run |
///
/// Implement it for a body of your own (a connection wrapper, a recorder for tests)
/// and every generated command method works on it.
pub trait Executor<'a>: Sized {
    /// What a call returns for a reply read as `R`.
    type Ret<R: FromReply + 'a>;

    /// Runs (or queues) `cmd`.
    fn execute<R: FromReply + 'a>(self, cmd: TypedCmd<R>) -> Self::Ret<R>;

    /// The next command's reply read as `T` instead of its natural type, on every
    /// body alike: the blocking result, the async future, the pipeline slot.
    ///
    /// ```no_run
    /// # fn demo(conn: &mut redis_io_sync::Connection) -> Result<(), redis_client::Error> {
    /// use redis_client::prelude::*;
    ///
    /// let name: String = conn.returning().get("name")?; // not Option<Bytes>
    /// let hits = conn.returning::<u64>().incr("hits")?; // not i64
    /// let jobs: Vec<String> = conn.returning().lrange("jobs", 0, -1)?;
    ///
    /// let mut pipe = redis_client::Pipeline::new();
    /// let slot = pipe.returning::<Vec<String>>().lrange("jobs", 0, -1);
    /// let mut replies = pipe.run(conn)?;
    /// let jobs: Vec<String> = replies.take(slot)?;
    /// # Ok(()) }
    /// ```
    ///
    /// On an async body the future is re-typed the same way:
    /// `let n: u64 = client.returning().incr("hits").await?;`. The type must be one
    /// the reply can be read as ([`FromReply`]); `Option<String>` keeps a missing key
    /// apart, `String` makes it an error.
    fn returning<T: FromReply + 'a>(self) -> Returning<Self, T> {
        Returning::new(self)
    }
}
