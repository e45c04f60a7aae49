//! Where a command goes in a cluster, computed once from the command table: the slot
//! of its keys, the nodes a keyless command is meant for, whether its keys must be
//! split per slot, whether a replica may serve it and whether it may be sent again
//! after a lost connection.

use crate::Cmd;
use crate::commands::{self, CommandInfo, RequestPolicy, ResponsePolicy};

use super::error::ClusterError;
use super::slot::key_slot;

/// Which node or nodes a command goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// The node serving this slot: every key of the command hashes to it.
    Slot(u16),
    /// One node, any: a keyless command (the router's
    /// [`route_keyless`](super::ClusterRouter::route_keyless), the primary serving
    /// slot 0).
    AnyNode,
    /// Every primary serving slots (`request_policy:all_shards`), the replies made
    /// one as the policy says.
    AllPrimaries(ResponsePolicy),
    /// Every primary and replica (`request_policy:all_nodes`).
    AllNodes(ResponsePolicy),
    /// Keys in several slots of a command marked `request_policy:multi_shard`
    /// (`MGET`, `MSET`, `DEL`): one command per slot, their replies merged. The
    /// body splits it; a shape it cannot split is
    /// [`ClusterError::CrossSlot`] after all.
    SplitBySlot {
        /// The first key's slot.
        first: u16,
        /// The first slot that differs.
        second: u16,
    },
}

/// A command's routing: computed once per command by [`Routing::of`], then handed
/// to the [`ClusterCall`](super::ClusterCall) that carries it out. Plain data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Routing {
    /// Where it goes.
    pub target: Target,
    /// Flagged `readonly`: a replica may serve it when the client reads from
    /// replicas.
    pub read_only: bool,
    /// Running it twice cannot change data
    /// ([`CommandInfo::may_resend`]): it may be sent again after its connection was
    /// lost before the reply came.
    pub may_resend: bool,
}

impl Routing {
    /// The routing of `cmd`: [`Target::Slot`] when its keys (shard channels
    /// included) share a slot, [`Target::SplitBySlot`] when they do not and the
    /// command is `multi_shard`, the policy's nodes for a keyless command whose
    /// response policy the clients can apply (not `special`), and
    /// [`Target::AnyNode`] for other keyless commands. A command whose keys span
    /// slots otherwise fails with [`ClusterError::CrossSlot`]. Looks the table up
    /// once (for the keys and the flags alike); allocates nothing for a command of
    /// up to 16 arguments.
    pub fn of(cmd: &Cmd) -> Result<Routing, ClusterError> {
        let info = commands::info_of(cmd);
        let slot = match info {
            Some(info) => slot_of(info, cmd),
            None => Ok(None),
        };
        let target = match slot {
            Ok(Some(slot)) => Target::Slot(slot),
            Ok(None) => keyless(info),
            Err(ClusterError::CrossSlot { first, second })
                if info.is_some_and(|i| i.request_policy == RequestPolicy::MultiShard) =>
            {
                Target::SplitBySlot { first, second }
            }
            Err(error) => return Err(error),
        };
        Ok(Routing {
            target,
            read_only: info.is_some_and(CommandInfo::is_readonly),
            may_resend: info.is_some_and(CommandInfo::may_resend),
        })
    }

    /// The slot it goes to, for [`Target::Slot`].
    pub fn slot(&self) -> Option<u16> {
        match self.target {
            Target::Slot(slot) => Some(slot),
            _ => None,
        }
    }
}

/// Where a keyless command goes.
fn keyless(info: Option<&CommandInfo>) -> Target {
    let Some(info) = info else {
        return Target::AnyNode;
    };
    if info.response_policy == ResponsePolicy::Special {
        return Target::AnyNode;
    }
    match info.request_policy {
        RequestPolicy::AllShards => Target::AllPrimaries(info.response_policy),
        RequestPolicy::AllNodes => Target::AllNodes(info.response_policy),
        _ => Target::AnyNode,
    }
}

/// The slot every key of `cmd` hashes to, `None` for a command without keys, or
/// [`ClusterError::CrossSlot`] when its keys are in different slots.
///
/// Keys are found with the specification's key specs
/// ([`commands::for_each_key`]); shard channels (`SPUBLISH`, `SSUBSCRIBE`) count as
/// keys here, since they are routed the same way. A command the clients split per
/// slot (`MGET a b`) is `CrossSlot` here too: this is where one command goes, not
/// whether the clients can run it.
pub fn command_slot(cmd: &Cmd) -> Result<Option<u16>, ClusterError> {
    match commands::info_of(cmd) {
        Some(info) => slot_of(info, cmd),
        None => Ok(None),
    }
}

/// [`command_slot`] for a command already looked up.
fn slot_of(info: &CommandInfo, cmd: &Cmd) -> Result<Option<u16>, ClusterError> {
    let mut slot = None;
    let mut crossed = None;
    info.for_each_key(cmd, |_, key| {
        if crossed.is_none() {
            if let Err(error) = same_slot(&mut slot, key_slot(key)) {
                crossed = Some(error);
            }
        }
    });
    match crossed {
        Some(error) => Err(error),
        None => Ok(slot),
    }
}

/// Adds `this` to the slot seen so far: the first sets it, a different one is
/// [`ClusterError::CrossSlot`].
pub fn same_slot(slot: &mut Option<u16>, this: u16) -> Result<(), ClusterError> {
    match *slot {
        None => *slot = Some(this),
        Some(first) if first != this => {
            return Err(ClusterError::CrossSlot {
                first,
                second: this,
            });
        }
        Some(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(args: &[&str]) -> Result<Target, ClusterError> {
        Routing::of(&Cmd::from_args(args.iter().copied())).map(|r| r.target)
    }

    #[test]
    fn each_kind_of_command_is_routed_once_from_the_table() {
        let slot = key_slot(b"k");
        assert_eq!(target(&["GET", "k"]), Ok(Target::Slot(slot)));
        assert_eq!(target(&["SPUBLISH", "k", "m"]), Ok(Target::Slot(slot)));
        assert_eq!(
            target(&["MGET", "{a}1", "{a}2"]),
            Ok(Target::Slot(key_slot(b"a")))
        );
        assert_eq!(
            target(&["MGET", "a", "b"]),
            Ok(Target::SplitBySlot {
                first: key_slot(b"a"),
                second: key_slot(b"b")
            })
        );
        assert!(matches!(
            target(&["SUNION", "a", "b"]),
            Err(ClusterError::CrossSlot { .. })
        ));
        assert_eq!(
            target(&["DBSIZE"]),
            Ok(Target::AllPrimaries(ResponsePolicy::AggSum))
        );
        assert_eq!(
            target(&["SCRIPT", "LOAD", "return 1"]),
            Ok(Target::AllNodes(ResponsePolicy::AllSucceeded))
        );
        assert_eq!(target(&["INFO"]), Ok(Target::AnyNode), "special");
        assert_eq!(target(&["ECHO", "x"]), Ok(Target::AnyNode));
        assert_eq!(target(&["NOSUCH", "x"]), Ok(Target::AnyNode));
    }

    #[test]
    fn reads_and_resends_come_from_the_flags() {
        let get = Routing::of(&Cmd::from_args(["GET", "k"])).unwrap();
        assert!(get.read_only && get.may_resend);
        let incr = Routing::of(&Cmd::from_args(["INCR", "k"])).unwrap();
        assert!(!incr.read_only && !incr.may_resend);
        let unknown = Routing::of(&Cmd::from_args(["NOSUCH", "k"])).unwrap();
        assert!(!unknown.read_only && !unknown.may_resend);
    }
}
