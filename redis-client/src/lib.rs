//! One typed Redis command API over every redis-sansio adapter.
//!
//! Every command of the Redis 7.2 specification is a method of [`Commands`],
//! generated from a facts-only copy of the specification (`spec/commands.json`), and
//! works on every body that implements [`Executor`]: the blocking connection, the async
//! exclusive connection and multiplexed client on any runtime, pipelines and
//! transactions.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod executor;
mod generated;
mod reply;
mod typed;

pub use executor::Executor;
pub use generated::{Commands, cmd, options};
pub use redis_io_async::{ConversionError, Error};
pub use redis_sansio::resp;
pub use redis_sansio::resp::ToArg;
pub use redis_sansio::Cmd;
pub use reply::FromReply;
pub use typed::TypedCmd;
