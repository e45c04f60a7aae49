//! Where a command's keys are: the specification's key specs, and a small
//! interpreter for them.
//!
//! The interpreter follows Redis's own (`getKeysUsingKeySpecs` in `db.c`): a spec's
//! `begin_search` finds the first key (a fixed index, or the argument after a keyword
//! searched from a start index, backwards when it is negative), then `find_keys` finds
//! the rest (a range up to a last index, possibly relative to the end and divided by
//! a limit; or a count read from the arguments). Specs the server marks unknown or
//! incomplete, where Redis runs a command-specific function, are handled here for the
//! commands that have them: `SORT`/`SORT_RO` (the `STORE` destination) and `MIGRATE`
//! (the `KEYS` list).

use crate::Cmd;

use super::CommandInfo;
use super::args::ArgView;

/// Key-spec flags: what a command does to the keys a spec finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct KeyFlags(u16);

impl KeyFlags {
    /// No flag.
    pub const NONE: KeyFlags = KeyFlags(0);
    /// Read-only access.
    pub const RO: KeyFlags = KeyFlags(1);
    /// Read-write access.
    pub const RW: KeyFlags = KeyFlags(1 << 1);
    /// Overwrite: the value is replaced without being read.
    pub const OW: KeyFlags = KeyFlags(1 << 2);
    /// Deletes the key.
    pub const RM: KeyFlags = KeyFlags(1 << 3);
    /// The value is returned, copied or used.
    pub const ACCESS: KeyFlags = KeyFlags(1 << 4);
    /// The value is updated.
    pub const UPDATE: KeyFlags = KeyFlags(1 << 5);
    /// Data is added to the value.
    pub const INSERT: KeyFlags = KeyFlags(1 << 6);
    /// Data is removed from the value.
    pub const DELETE: KeyFlags = KeyFlags(1 << 7);
    /// Not a key, but routed like one (a shard channel).
    pub const NOT_KEY: KeyFlags = KeyFlags(1 << 8);
    /// The spec may miss keys.
    pub const INCOMPLETE: KeyFlags = KeyFlags(1 << 9);
    /// The flags depend on the arguments.
    pub const VARIABLE_FLAGS: KeyFlags = KeyFlags(1 << 10);

    /// Both sets of flags.
    pub const fn union(self, other: KeyFlags) -> KeyFlags {
        KeyFlags(self.0 | other.0)
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: KeyFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Where the search for a spec's first key begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginSearch {
    /// At this argument index (the command name is index 0).
    Index(i64),
    /// Just after `keyword`, searched for from `start_from` (from the end, backwards,
    /// when negative).
    Keyword {
        /// The keyword, in upper case.
        keyword: &'static str,
        /// Where the search starts.
        start_from: i64,
    },
    /// Only a command-specific function knows.
    Unknown,
}

/// How a spec's keys continue after the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindKeys {
    /// Keys up to `last_key` (relative to the first; negative: from the end), every
    /// `step`; with `last_key == -1`, `limit > 1` keeps only `1/limit` of what remains.
    Range {
        /// The last key's index relative to the first, or from the end if negative.
        last_key: i64,
        /// Distance between keys.
        step: i64,
        /// Divisor of the remaining arguments, 0 for none.
        limit: i64,
    },
    /// The argument at `key_num_index` (relative to the begin index) holds the number of
    /// keys, which start at `first_key` (relative too), every `step`.
    KeyNum {
        /// Index of the key count.
        key_num_index: i64,
        /// Index of the first key.
        first_key: i64,
        /// Distance between keys.
        step: i64,
    },
    /// Only a command-specific function knows.
    Unknown,
}

/// One key spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// Where the search begins.
    pub begin_search: BeginSearch,
    /// How the keys are found from there.
    pub find_keys: FindKeys,
    /// What the command does with these keys.
    pub flags: KeyFlags,
}

/// A key's place among a command's arguments (the name is index 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPosition {
    /// Argument index.
    pub index: usize,
    /// The flags of the spec that found it.
    pub flags: KeyFlags,
}

/// Calls `found` with the position of each of `cmd`'s keys, with the flags of the
/// spec that found it, in spec order; shard channels (`SPUBLISH`, `SSUBSCRIBE`)
/// included, flagged [`KeyFlags::NOT_KEY`]. Unknown commands and malformed argument
/// lists give what could be found. Allocates nothing for a command of up to 16
/// arguments.
pub fn for_each_key<'a>(cmd: &'a Cmd, found: impl FnMut(KeyPosition, &'a [u8])) {
    if let Some(info) = super::info_of(cmd) {
        info.for_each_key(cmd, found);
    }
}

impl CommandInfo {
    /// [`for_each_key`] for a command already looked up: `cmd` must be this entry's
    /// command (a caller that needs the entry anyway looks it up once).
    pub fn for_each_key<'a>(&self, cmd: &'a Cmd, mut found: impl FnMut(KeyPosition, &'a [u8])) {
        // Most commands (GET, SET, INCR, HSET...) have one key at a fixed index: read
        // it alone, without indexing every argument.
        if let Some(index) = self.single_key_index() {
            if let Some(key) = cmd.args().nth(index) {
                let flags = self.key_specs[0].flags;
                found(KeyPosition { index, flags }, key);
            }
            return;
        }
        visit(self, &ArgView::of(cmd), found);
    }

    /// The index of the one key of a command whose only key spec is "the argument at
    /// this index" (`Index(i)`, then a range of one key), as most commands have.
    fn single_key_index(&self) -> Option<usize> {
        match self.key_specs {
            [
                KeySpec {
                    begin_search: BeginSearch::Index(index),
                    find_keys:
                        FindKeys::Range {
                            last_key: 0, step, ..
                        },
                    ..
                },
            ] if *step >= 1 && !matches!(self.name, "SORT" | "SORT_RO" | "MIGRATE") => {
                usize::try_from(*index).ok()
            }
            _ => None,
        }
    }
}

/// The positions of `cmd`'s keys, as [`for_each_key`] finds them.
pub fn key_positions(cmd: &Cmd) -> Vec<KeyPosition> {
    let mut out = Vec::new();
    for_each_key(cmd, |position, _| out.push(position));
    out
}

/// `cmd`'s keys (shard channels excluded), as `COMMAND GETKEYS` would list them.
pub fn keys(cmd: &Cmd) -> Vec<&[u8]> {
    let mut out = Vec::new();
    for_each_key(cmd, |position, key| {
        if !position.flags.contains(KeyFlags::NOT_KEY) {
            out.push(key);
        }
    });
    out
}

/// The keys of `info`'s command among `args`.
fn visit<'a>(info: &CommandInfo, args: &ArgView<'a>, mut found: impl FnMut(KeyPosition, &'a [u8])) {
    let mut emit = |position: KeyPosition| {
        if let Some(arg) = args.get(position.index) {
            found(position, arg);
        }
    };
    match info.name {
        "SORT" | "SORT_RO" => sort_keys(info, args, &mut emit),
        "MIGRATE" => migrate_keys(info, args, &mut emit),
        _ => {
            for spec in info.key_specs {
                apply_spec(spec, args, &mut emit);
            }
        }
    }
}

fn apply_spec(spec: &KeySpec, args: &ArgView<'_>, out: &mut impl FnMut(KeyPosition)) {
    let argc = args.len() as i64;
    let first = match spec.begin_search {
        BeginSearch::Index(pos) => pos,
        BeginSearch::Keyword {
            keyword,
            start_from,
        } => {
            let (start, end) = if start_from > 0 {
                (start_from, argc - 1)
            } else {
                (argc + start_from, 0)
            };
            let mut found = None;
            let mut i = start;
            while i != end {
                if i >= argc || i < 1 {
                    break;
                }
                if args
                    .get(i as usize)
                    .is_some_and(|arg| arg.eq_ignore_ascii_case(keyword.as_bytes()))
                {
                    found = Some(i + 1);
                    break;
                }
                i += if start <= end { 1 } else { -1 };
            }
            match found {
                Some(first) => first,
                None => return,
            }
        }
        BeginSearch::Unknown => return,
    };
    let (first, last, step) = match spec.find_keys {
        FindKeys::Range {
            last_key,
            step,
            limit,
        } => {
            let last = if last_key >= 0 {
                first + last_key
            } else if limit == 0 {
                argc + last_key
            } else {
                first + ((argc - first) / limit + last_key)
            };
            (first, last, step)
        }
        FindKeys::KeyNum {
            key_num_index,
            first_key,
            step,
        } => {
            let Some(count) = usize::try_from(first + key_num_index)
                .ok()
                .and_then(|index| args.get(index))
                .and_then(|n| std::str::from_utf8(n).ok())
                .and_then(|n| n.parse::<i64>().ok())
                .filter(|n| *n >= 0)
            else {
                return;
            };
            let first = first + first_key;
            (first, first.saturating_add(count) - 1, step)
        }
        FindKeys::Unknown => return,
    };
    if last >= argc || last < first || first >= argc || first < 0 || step < 1 {
        return;
    }
    let mut i = first;
    while i <= last {
        out(KeyPosition {
            index: i as usize,
            flags: spec.flags,
        });
        i += step;
    }
}

/// `SORT key ... [STORE destination]`: the key, then the last `STORE`'s argument,
/// skipping `LIMIT`'s two and `GET`'s and `BY`'s one argument (Redis's `sortGetKeys`).
fn sort_keys(info: &CommandInfo, args: &ArgView<'_>, out: &mut impl FnMut(KeyPosition)) {
    let flags = |i: usize| info.key_specs.get(i).map_or(KeyFlags::NONE, |s| s.flags);
    if args.len() < 2 {
        return;
    }
    out(KeyPosition {
        index: 1,
        flags: flags(0),
    });
    if info.name != "SORT" {
        return;
    }
    let mut store = None;
    let mut i = 2;
    while let Some(arg) = args.get(i) {
        let skip = if arg.eq_ignore_ascii_case(b"LIMIT") {
            2
        } else if arg.eq_ignore_ascii_case(b"GET") || arg.eq_ignore_ascii_case(b"BY") {
            1
        } else if arg.eq_ignore_ascii_case(b"STORE") {
            if i + 1 < args.len() {
                store = Some(i + 1);
            }
            1
        } else {
            0
        };
        i += 1 + skip;
    }
    if let Some(index) = store {
        out(KeyPosition {
            index,
            flags: flags(1),
        });
    }
}

/// `MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw]
/// [KEYS key ...]`: the keys after `KEYS`, else the single key (Redis's
/// `migrateGetKeys`).
fn migrate_keys(info: &CommandInfo, args: &ArgView<'_>, out: &mut impl FnMut(KeyPosition)) {
    let flags = info.key_specs.first().map_or(KeyFlags::NONE, |s| s.flags);
    let mut first = 3;
    let mut count = 1;
    let mut i = 6;
    while let Some(arg) = args.get(i) {
        if arg.eq_ignore_ascii_case(b"KEYS") {
            first = i + 1;
            count = args.len() - first;
            break;
        } else if arg.eq_ignore_ascii_case(b"AUTH") {
            i += 1;
        } else if arg.eq_ignore_ascii_case(b"AUTH2") {
            i += 2;
        }
        i += 1;
    }
    for index in first..(first + count).min(args.len()) {
        out(KeyPosition { index, flags });
    }
}

#[cfg(test)]
mod single_key_tests {
    use super::*;
    use crate::commands::COMMANDS;

    /// Every command of the table, with 0 to 7 arguments after its name (and its
    /// subcommand): the single-key path finds what the general interpreter finds.
    #[test]
    fn the_single_key_path_finds_what_the_interpreter_finds() {
        for info in COMMANDS {
            for extra in 0..8 {
                let mut cmd = Cmd::new(info.name);
                if !info.subcommand.is_empty() {
                    cmd = cmd.arg(info.subcommand);
                }
                for i in 0..extra {
                    cmd = cmd.arg(format!("a{i}"));
                }
                let mut fast = Vec::new();
                info.for_each_key(&cmd, |position, key| fast.push((position, key.to_vec())));
                let mut general = Vec::new();
                visit(info, &ArgView::of(&cmd), |position, key| {
                    general.push((position, key.to_vec()));
                });
                assert_eq!(
                    fast, general,
                    "{} {} with {extra}",
                    info.name, info.subcommand
                );
            }
        }
    }
}
