//! Reading the next command's reply as another type, on any body.

use std::fmt;
use std::marker::PhantomData;

use crate::{Executor, FromReply, TypedCmd};

/// A body whose next command's reply is read as `T` instead of the command's natural
/// type: what [`Executor::returning`] gives. It runs the command exactly as the body
/// does (a result, a future or a slot), only the reply type changes.
#[must_use = "call a command method on it"]
pub struct Returning<E, T> {
    body: E,
    reply: PhantomData<fn() -> T>,
}

impl<E, T> Returning<E, T> {
    pub(crate) fn new(body: E) -> Self {
        Returning {
            body,
            reply: PhantomData,
        }
    }
}

impl<'a, E: Executor<'a>, T: FromReply + 'a> Executor<'a> for Returning<E, T> {
    type Ret<R: FromReply + 'a> = E::Ret<T>;

    fn execute<R: FromReply + 'a>(self, cmd: TypedCmd<R>) -> E::Ret<T> {
        self.body.execute(cmd.returning())
    }
}

impl<E, T> fmt::Debug for Returning<E, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Returning")
            .field("reply", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}
