//! Where a command goes: the slot of its keys (the core's [`command_slot`]), and
//! the small commands and checks both cluster clients share.

use redis_sansio::Cmd;
use redis_sansio::resp::Frame;

use redis_sansio::cluster::ReadFrom;

use crate::Error;
use crate::keys::command_info_of;

pub use redis_sansio::cluster::command_slot;
pub(crate) use redis_sansio::cluster::same_slot;

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

/// The reply to the command sent after `ASKING`: the second outcome.
pub(crate) fn after_asking(outcomes: Vec<redis_io_async::Outcome>) -> Result<Frame, Error> {
    match outcomes.into_iter().nth(1) {
        Some(outcome) => outcome.map_err(Error::Request),
        None => Err(Error::Closed(redis_sansio::CloseReason::UnexpectedReply)),
    }
}
