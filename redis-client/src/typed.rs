//! A command together with the type its reply converts to.

use std::fmt;
use std::marker::PhantomData;

use redis_sansio::Cmd;
use redis_sansio::resp::ToArg;

use crate::FromReply;

/// A command and the Rust type its reply is read as.
///
/// The generated constructors in [`cmd`](crate::cmd) return one with the command's
/// natural reply type (`cmd::get(k)` is a `TypedCmd<Option<Bytes>>`);
/// [`returning`](Self::returning) asks for another. Any executor runs it:
///
/// ```
/// use redis_client::{cmd, TypedCmd};
///
/// let get: TypedCmd<Option<String>> = cmd::get("greeting").returning();
/// assert_eq!(get.cmd().args().count(), 2);
/// ```
pub struct TypedCmd<R> {
    cmd: Cmd,
    reply: PhantomData<fn() -> R>,
}

impl<R> TypedCmd<R> {
    /// Wraps a command whose reply is read as `R`.
    pub fn new(cmd: Cmd) -> Self {
        TypedCmd {
            cmd,
            reply: PhantomData,
        }
    }

    /// The same command, its reply read as `T` instead.
    pub fn returning<T: FromReply>(self) -> TypedCmd<T> {
        TypedCmd::new(self.cmd)
    }

    /// Adds an argument at the end, for arguments the generated signature does not
    /// model (a newer server's option, say).
    pub fn arg(mut self, arg: impl ToArg) -> Self {
        self.cmd.push_arg(arg);
        self
    }

    /// The command as it will be sent.
    pub fn cmd(&self) -> &Cmd {
        &self.cmd
    }

    /// The command, without its reply type.
    pub fn into_cmd(self) -> Cmd {
        self.cmd
    }
}

impl<R> Clone for TypedCmd<R> {
    fn clone(&self) -> Self {
        TypedCmd::new(self.cmd.clone())
    }
}

impl<R> fmt::Debug for TypedCmd<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TypedCmd")
            .field(&self.cmd)
            .field(&std::any::type_name::<R>())
            .finish()
    }
}

impl<R> From<TypedCmd<R>> for Cmd {
    fn from(typed: TypedCmd<R>) -> Cmd {
        typed.cmd
    }
}
