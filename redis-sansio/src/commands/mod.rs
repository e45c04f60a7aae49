//! What each command of the Redis specification may do, and where its keys are: the
//! facts the core routes and retries by, generated from the specification into
//! [`COMMANDS`] (`cargo run -p xtask -- generate`).
//!
//! - [`lookup`] / [`info_of`]: a command's [`CommandInfo`] by name (any case), a
//!   subcommand's for a container (`CLIENT KILL`), by binary search among the
//!   entries of the name's first letter, allocating nothing.
//! - [`CommandInfo`]'s flags: [`is_write`](CommandInfo::is_write),
//!   [`is_readonly`](CommandInfo::is_readonly),
//!   [`is_blocking`](CommandInfo::is_blocking),
//!   [`may_replicate`](CommandInfo::may_replicate), and
//!   [`may_resend`](CommandInfo::may_resend): whether sending it again after a lost
//!   connection cannot change data.
//! - The cluster tips: [`RequestPolicy`] (which nodes a command goes to) and
//!   [`ResponsePolicy`] (how their replies make one).
//! - The key specs and their interpreter: [`for_each_key`], [`key_positions`], [`keys`].
//!
//! ```
//! use redis_sansio::Cmd;
//! use redis_sansio::commands::{self, RequestPolicy, ResponsePolicy};
//!
//! let incr = commands::info_of(&Cmd::new("incr").arg("counter")).unwrap();
//! assert!(incr.is_write() && !incr.may_resend());
//! let get = commands::lookup(b"GET", None).unwrap();
//! assert!(get.is_readonly() && get.may_resend());
//! let kill = commands::lookup(b"client", Some(b"kill")).unwrap();
//! assert_eq!((kill.name, kill.subcommand), ("CLIENT", "KILL"));
//! let dbsize = commands::lookup(b"DBSIZE", None).unwrap();
//! assert_eq!(dbsize.request_policy, RequestPolicy::AllShards);
//! assert_eq!(dbsize.response_policy, ResponsePolicy::AggSum);
//! let mset = Cmd::new("MSET").arg("a").arg("1").arg("b").arg("2");
//! assert_eq!(commands::keys(&mset), [&b"a"[..], &b"b"[..]]);
//! ```

use std::sync::OnceLock;

mod args;
mod flags;
mod keys;
mod table;

pub use flags::CommandFlags;
pub use keys::{
    BeginSearch, FindKeys, KeyFlags, KeyPosition, KeySpec, for_each_key, key_positions, keys,
};
pub use table::COMMANDS;

use crate::Cmd;

/// A command's entry in [`COMMANDS`]: what the specification says it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandInfo {
    /// The command, or the container of a subcommand, in upper case.
    pub name: &'static str,
    /// The subcommand in upper case, or `""`.
    pub subcommand: &'static str,
    /// The specification's arity: the exact argument count (name included), or its
    /// negated minimum.
    pub arity: i64,
    /// The command flags (`write`, `readonly`, `blocking`, ...).
    pub flags: CommandFlags,
    /// Which nodes of a cluster it goes to (its `request_policy` tip).
    pub request_policy: RequestPolicy,
    /// How the replies of many nodes make its one reply (its `response_policy` tip).
    pub response_policy: ResponsePolicy,
    /// The key specs.
    pub key_specs: &'static [KeySpec],
}

/// Which nodes of a cluster a command goes to: the specification's `request_policy`
/// tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestPolicy {
    /// No tip: the node serving its keys' slot, or any node for a keyless command.
    Default,
    /// Every primary that serves slots (`DBSIZE`, `FLUSHALL`, `KEYS`).
    AllShards,
    /// Every primary and replica (`SCRIPT LOAD`, `CONFIG SET`).
    AllNodes,
    /// Its keys may be split per slot, one command per slot (`MGET`, `MSET`, `DEL`).
    MultiShard,
    /// Only command-specific code knows.
    Special,
}

/// How the replies of the nodes a command went to make its one reply: the
/// specification's `response_policy` tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponsePolicy {
    /// No tip: the caller's default (concatenated arrays for a fan-out, the keys'
    /// order for a split multi-key command).
    Default,
    /// The first error if any node failed, otherwise the first reply.
    AllSucceeded,
    /// The first success if any node succeeded, otherwise the first error.
    OneSucceeded,
    /// The sum of the integer replies.
    AggSum,
    /// The least integer reply.
    AggMin,
    /// The greatest integer reply.
    AggMax,
    /// Element by element logical AND of integer (or arrays of integer) replies.
    AggLogicalAnd,
    /// Element by element logical OR.
    AggLogicalOr,
    /// Only command-specific code can merge the replies.
    Special,
}

impl CommandInfo {
    /// Flagged `write`: it may change data.
    pub const fn is_write(&self) -> bool {
        self.flags.contains(CommandFlags::WRITE)
    }

    /// Flagged `readonly`: it only reads data (a replica may serve it).
    pub const fn is_readonly(&self) -> bool {
        self.flags.contains(CommandFlags::READONLY)
    }

    /// Flagged `blocking`: it may wait on the server (`BLPOP`, `BZPOPMIN`, `XREAD`,
    /// `XREADGROUP`...). The specification does not flag `WAIT` and `WAITAOF`, which
    /// also wait.
    pub const fn is_blocking(&self) -> bool {
        self.flags.contains(CommandFlags::BLOCKING)
    }

    /// Flagged `may_replicate`: it may cause a write without being flagged `write`
    /// (`EVAL`, `FCALL`, `PUBLISH`).
    pub const fn may_replicate(&self) -> bool {
        self.flags.contains(CommandFlags::MAY_REPLICATE)
    }

    /// Whether it may be sent again after the connection was lost before its reply
    /// came, because running it twice cannot change data.
    ///
    /// True for commands flagged `readonly` (`PFCOUNT` too, though it may store a
    /// cached count: its value cannot change), and for the others flagged none of
    /// `write`, `may_replicate`, `admin`, `pubsub`, `blocking`, `allow_busy`,
    /// `no_multi` or `protected`, outside the `@transaction` category, and not a
    /// container looked up without a known subcommand: `PING`, `ECHO`, `INFO`,
    /// `CLUSTER SHARDS`, `CLIENT ID`, `SCRIPT LOAD`... False for writes (`SET`,
    /// `INCR`), scripts (`EVAL`), `PUBLISH`, `EXEC`, `SHUTDOWN`, `CLIENT KILL`,
    /// `SCRIPT KILL`. A command missing from the table (a module's) is not in it, so
    /// see [`may_resend`] for a whole command.
    pub const fn may_resend(&self) -> bool {
        if self.is_readonly() {
            return true;
        }
        !self.flags.intersects(
            CommandFlags::WRITE
                .union(CommandFlags::MAY_REPLICATE)
                .union(CommandFlags::ADMIN)
                .union(CommandFlags::PUBSUB)
                .union(CommandFlags::BLOCKING)
                .union(CommandFlags::ALLOW_BUSY)
                .union(CommandFlags::NO_MULTI)
                .union(CommandFlags::PROTECTED)
                .union(CommandFlags::TRANSACTION)
                .union(CommandFlags::CONTAINER),
        )
    }
}

impl CommandInfo {
    /// Whether a client-side cache may keep its reply: a read-only command whose
    /// reply depends on one key and on nothing else (`GET`, `HGET`, `LRANGE`,
    /// `ZSCORE`, `STRLEN`...), so that the server's invalidation of that key is
    /// enough to keep the cached reply right. Derived from the specification by the
    /// generator: flagged `readonly`, not `blocking`, `pubsub`, `admin`, `noscript` or
    /// `touches_arbitrary_keys`, without the `nondeterministic_output` tip (`TTL`,
    /// `SRANDMEMBER`, `HRANDFIELD` change with no write), with exactly one key spec
    /// naming one key at a fixed position, read-only and complete. Multi-key reads
    /// (`MGET`, `SINTER`) are not cacheable.
    pub const fn is_cacheable(&self) -> bool {
        self.flags.contains(CommandFlags::CACHEABLE)
    }
}

/// Whether a client-side cache may keep `cmd`'s reply: [`CommandInfo::is_cacheable`]
/// for a command of the table, false for any other (a module's command).
pub fn is_cacheable(cmd: &Cmd) -> bool {
    info_of(cmd).is_some_and(CommandInfo::is_cacheable)
}

/// The entry for a command `name` (any case) and, for a container, its
/// `subcommand`; a container's own entry when the subcommand is missing or unknown.
/// `None` for a command the specification does not have. Allocates nothing.
///
/// Called for every command a cluster client routes, so it is kept short: the name
/// upper-cased once on the stack, a binary search among the entries of its first
/// letter only (a dozen on average) by plain byte comparison, and a search among a
/// container's subcommands only for an entry flagged
/// [`CONTAINER`](CommandFlags::CONTAINER).
pub fn lookup(name: &[u8], subcommand: Option<&[u8]>) -> Option<&'static CommandInfo> {
    // Upper-cased once onto the stack, so every comparison is a plain byte compare.
    let mut upper = [0u8; MAX_NAME];
    let name = to_upper(name, &mut upper)?;
    let bucket = letter_bucket(*name.first()?)?;
    let at = bucket.partition_point(|c| c.name.as_bytes() < name);
    let container = bucket.get(at).filter(|c| c.name.as_bytes() == name)?;
    let Some(sub) = subcommand.filter(|_| container.flags.contains(CommandFlags::CONTAINER)) else {
        return Some(container);
    };
    let mut upper_sub = [0u8; MAX_NAME];
    let Some(sub) = to_upper(sub, &mut upper_sub) else {
        return Some(container);
    };
    let rest = &bucket[at + 1..];
    let subs = &rest[..rest.iter().take_while(|c| c.name == container.name).count()];
    let at = subs.partition_point(|c| c.subcommand.as_bytes() < sub);
    match subs.get(at) {
        Some(entry) if entry.subcommand.as_bytes() == sub => Some(entry),
        _ => Some(container),
    }
}

/// Longer than any command or subcommand name of the specification (the longest
/// have 21 bytes).
const MAX_NAME: usize = 32;

/// `arg` in upper case, in `buf`; `None` when it is too long to be a name.
fn to_upper<'b>(arg: &[u8], buf: &'b mut [u8; MAX_NAME]) -> Option<&'b [u8]> {
    let out = buf.get_mut(..arg.len())?;
    for (to, from) in out.iter_mut().zip(arg) {
        *to = from.to_ascii_uppercase();
    }
    Some(out)
}

/// The entries whose name starts with `first` (any case): a slice of the sorted
/// table, found through an index of where each letter starts, built on first use.
fn letter_bucket(first: u8) -> Option<&'static [CommandInfo]> {
    static STARTS: OnceLock<[u16; 27]> = OnceLock::new();
    let letter = first.to_ascii_uppercase().checked_sub(b'A')?;
    if letter >= 26 {
        return None;
    }
    let starts = STARTS.get_or_init(|| {
        let mut starts = [0u16; 27];
        for (i, start) in starts.iter_mut().enumerate() {
            let bound = b'A' + i as u8;
            let at = COMMANDS.partition_point(|c| c.name.as_bytes()[0] < bound);
            *start = u16::try_from(at).unwrap_or(u16::MAX);
        }
        starts
    });
    let letter = usize::from(letter);
    COMMANDS.get(usize::from(starts[letter])..usize::from(starts[letter + 1]))
}

/// The entry for `cmd`'s command (its subcommand's for a container).
pub fn info_of(cmd: &Cmd) -> Option<&'static CommandInfo> {
    let mut args = cmd.args();
    let name = args.next()?;
    lookup(name, args.next())
}

/// Whether `cmd` may be sent again after a lost connection:
/// [`CommandInfo::may_resend`] for a command of the table, false for any other.
pub fn may_resend(cmd: &Cmd) -> bool {
    info_of(cmd).is_some_and(CommandInfo::may_resend)
}

#[cfg(test)]
mod tests;
