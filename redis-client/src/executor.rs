//! The one trait every body implements, so the generated commands work on all of them.

use crate::{FromReply, TypedCmd};

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
}
