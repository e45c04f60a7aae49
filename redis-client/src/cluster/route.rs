//! Where a command goes: the slot of its keys, checked to be one.

use redis_sansio::Cmd;
use redis_sansio::cluster::{ClusterError, key_slot};
use redis_sansio::resp::Frame;

use redis_sansio::cluster::ReadFrom;

use crate::Error;
use crate::keys::{command_info_of, key_positions};

/// The slot every key of `cmd` hashes to, `None` for a command without keys, or
/// [`ClusterError::CrossSlot`] when its keys are in different slots.
///
/// Keys are found with [`crate::keys`], the command specification's key specs; shard
/// channels (`SPUBLISH`, `SSUBSCRIBE`) count as keys here, since they are routed the
/// same way. A command the clients split per slot (`MGET a b`) is `CrossSlot` here
/// too: this is where one command goes, not whether the clients can run it.
pub fn command_slot(cmd: &Cmd) -> Result<Option<u16>, ClusterError> {
    let positions = key_positions(cmd);
    if positions.is_empty() {
        return Ok(None);
    }
    let args: Vec<&[u8]> = cmd.args().collect();
    let mut slot = None;
    for position in positions {
        let Some(key) = args.get(position.index) else {
            continue;
        };
        same_slot(&mut slot, key_slot(key))?;
    }
    Ok(slot)
}

/// Adds `this` to the slot seen so far: the first sets it, a different one is
/// [`ClusterError::CrossSlot`].
pub(crate) fn same_slot(slot: &mut Option<u16>, this: u16) -> Result<(), ClusterError> {
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

/// Where `cmd` may go: `preferred` for a command the specification flags
/// `readonly`, the primary for every other.
pub(crate) fn read_from(cmd: &Cmd, preferred: ReadFrom) -> ReadFrom {
    let read_only = command_info_of(cmd).is_some_and(|info| info.is_readonly());
    if read_only {
        preferred
    } else {
        ReadFrom::Primary
    }
}

/// `READONLY`, sent on each new node connection when reads may go to replicas.
pub(crate) fn readonly() -> Cmd {
    Cmd::new("READONLY")
}

/// `ASKING`, sent right before a command that an `ASK` redirect sent elsewhere.
pub(crate) fn asking() -> Cmd {
    Cmd::new("ASKING")
}

/// Whether the cluster machinery may do something about `error`: a redirect or busy
/// error to hand to the router, or a connection that failed.
pub(crate) fn is_actionable(error: &Error) -> bool {
    use redis_sansio::ServerErrorKind::*;
    match error.server_error() {
        Some(server) => matches!(
            server.kind(),
            Moved(_) | Ask(_) | TryAgain | ClusterDown | Loading
        ),
        None => error.is_connection_failure(),
    }
}

/// The reply to the command sent after `ASKING`: the second outcome.
pub(crate) fn after_asking(outcomes: Vec<redis_io_async::Outcome>) -> Result<Frame, Error> {
    match outcomes.into_iter().nth(1) {
        Some(outcome) => outcome.map_err(Error::Request),
        None => Err(Error::Closed(redis_sansio::CloseReason::UnexpectedReply)),
    }
}
