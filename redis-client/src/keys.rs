//! Where a command's keys are, and what it may do: the core's command table
//! ([`redis_sansio::commands`]), generated from the specification, re-exported here
//! under the names this crate has always used.
//!
//! ```
//! use redis_client::{cmd, keys};
//!
//! let mset = cmd::mset([("a", "1"), ("b", "2")]);
//! assert_eq!(keys::keys(mset.cmd()), [&b"a"[..], &b"b"[..]]);
//! assert!(keys::command_info_of(mset.cmd()).is_some_and(|info| info.is_write()));
//! ```

pub use redis_sansio::commands::{
    BeginSearch, COMMANDS, CommandFlags, CommandInfo, FindKeys, KeyFlags, KeyPosition, KeySpec,
    RequestPolicy, ResponsePolicy, for_each_key, key_positions, keys,
};

use redis_sansio::Cmd;

/// The entry for a command name (any case) and, for a container, its subcommand:
/// [`redis_sansio::commands::lookup`].
pub fn command_info(name: &[u8], subcommand: Option<&[u8]>) -> Option<&'static CommandInfo> {
    redis_sansio::commands::lookup(name, subcommand)
}

/// The entry for `cmd`'s command (its subcommand for a container):
/// [`redis_sansio::commands::info_of`].
pub fn command_info_of(cmd: &Cmd) -> Option<&'static CommandInfo> {
    redis_sansio::commands::info_of(cmd)
}
