//! Placeholder until the generator writes this module.

/// Command constructors.
pub mod cmd {
    use bytes::Bytes;
    use redis_sansio::Cmd;
    use redis_sansio::resp::ToArg;

    use crate::TypedCmd;

    /// [`GET`](https://redis.io/commands/get/)
    pub fn get(key: impl ToArg) -> TypedCmd<Option<Bytes>> {
        let mut cmd = Cmd::new("GET");
        cmd.push_arg(key);
        TypedCmd::new(cmd)
    }
}

/// Option types.
pub mod options {}

/// Every command as a method.
pub trait Commands<'a>: crate::Executor<'a> {
    /// [`GET`](https://redis.io/commands/get/)
    fn get(self, key: impl redis_sansio::resp::ToArg) -> Self::Ret<Option<bytes::Bytes>> {
        self.execute(cmd::get(key))
    }
}

impl<'a, E: crate::Executor<'a>> Commands<'a> for E {}
