//! A command's flags, as a set of bits.

/// The flags the specification gives a command, plus two this crate adds:
/// [`TRANSACTION`](Self::TRANSACTION) (the `@transaction` ACL category) and
/// [`CONTAINER`](Self::CONTAINER) (a command with subcommands, as its own entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CommandFlags(u32);

impl CommandFlags {
    /// No flag.
    pub const NONE: CommandFlags = CommandFlags(0);
    /// `write`: May change data.
    pub const WRITE: CommandFlags = CommandFlags(1 << 0);
    /// `readonly`: Only reads data.
    pub const READONLY: CommandFlags = CommandFlags(1 << 1);
    /// `denyoom`: Refused when the server is out of memory.
    pub const DENYOOM: CommandFlags = CommandFlags(1 << 2);
    /// `admin`: An administrative command.
    pub const ADMIN: CommandFlags = CommandFlags(1 << 3);
    /// `pubsub`: A pub/sub command.
    pub const PUBSUB: CommandFlags = CommandFlags(1 << 4);
    /// `noscript`: Refused inside scripts.
    pub const NOSCRIPT: CommandFlags = CommandFlags(1 << 5);
    /// `blocking`: May block the client on the server.
    pub const BLOCKING: CommandFlags = CommandFlags(1 << 6);
    /// `loading`: Allowed while the server loads its data.
    pub const LOADING: CommandFlags = CommandFlags(1 << 7);
    /// `stale`: Allowed on a replica with stale data.
    pub const STALE: CommandFlags = CommandFlags(1 << 8);
    /// `skip_monitor`: Not shown to `MONITOR`.
    pub const SKIP_MONITOR: CommandFlags = CommandFlags(1 << 9);
    /// `skip_slowlog`: Not logged in the slow log.
    pub const SKIP_SLOWLOG: CommandFlags = CommandFlags(1 << 10);
    /// `asking`: Allowed on an importing slot without `ASKING`.
    pub const ASKING: CommandFlags = CommandFlags(1 << 11);
    /// `fast`: Runs in constant or logarithmic time.
    pub const FAST: CommandFlags = CommandFlags(1 << 12);
    /// `no_auth`: Allowed before authentication.
    pub const NO_AUTH: CommandFlags = CommandFlags(1 << 13);
    /// `may_replicate`: May cause a write (replicated) without being flagged `write`.
    pub const MAY_REPLICATE: CommandFlags = CommandFlags(1 << 14);
    /// `sentinel`: Available on Sentinel.
    pub const SENTINEL: CommandFlags = CommandFlags(1 << 15);
    /// `only_sentinel`: Available only on Sentinel.
    pub const ONLY_SENTINEL: CommandFlags = CommandFlags(1 << 16);
    /// `no_mandatory_keys`: May take no key at all.
    pub const NO_MANDATORY_KEYS: CommandFlags = CommandFlags(1 << 17);
    /// `protected`: Refused unless the server enables it (`enable-debug-command`...).
    pub const PROTECTED: CommandFlags = CommandFlags(1 << 18);
    /// `no_async_loading`: Refused while the server loads its data asynchronously.
    pub const NO_ASYNC_LOADING: CommandFlags = CommandFlags(1 << 19);
    /// `no_multi`: Refused inside `MULTI`.
    pub const NO_MULTI: CommandFlags = CommandFlags(1 << 20);
    /// `allow_busy`: Allowed while a script or function runs too long.
    pub const ALLOW_BUSY: CommandFlags = CommandFlags(1 << 21);
    /// `touches_arbitrary_keys`: May touch keys it was not given.
    pub const TOUCHES_ARBITRARY_KEYS: CommandFlags = CommandFlags(1 << 22);
    /// In the `@transaction` ACL category: `MULTI`, `EXEC`, `DISCARD`, `WATCH`,
    /// `UNWATCH`.
    pub const TRANSACTION: CommandFlags = CommandFlags(1 << 23);
    /// A command with subcommands (`CLIENT`, `CONFIG`), as its own entry: what a
    /// lookup finds for a subcommand the table does not know.
    pub const CONTAINER: CommandFlags = CommandFlags(1 << 24);
    /// Derived, not a flag of the specification: a client-side cache may keep its
    /// reply (a read-only command whose reply depends on one key and nothing else);
    /// see [`CommandInfo::is_cacheable`](super::CommandInfo::is_cacheable).
    pub const CACHEABLE: CommandFlags = CommandFlags(1 << 25);

    /// Both sets of flags.
    pub const fn union(self, other: CommandFlags) -> CommandFlags {
        CommandFlags(self.0 | other.0)
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: CommandFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any flag of `other` is set.
    pub const fn intersects(self, other: CommandFlags) -> bool {
        self.0 & other.0 != 0
    }
}
