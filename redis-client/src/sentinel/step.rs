//! What both discovery drivers share: handing a step's outcome to the core machine,
//! and what a finished discovery gives back.

use redis_sansio::RequestError;
use redis_sansio::config::ServerAddr;
use redis_sansio::resp::Frame;
use redis_sansio::sentinel::{Discovery, StepId};

use crate::Error;

/// The most steps a discovery driver takes before giving up, far more than any real
/// discovery needs (a few per sentinel): a guard against a loop that never ends.
pub(crate) const MAX_STEPS: usize = 1000;

/// A discovered node, connected and checked.
#[derive(Debug)]
#[non_exhaustive]
pub struct Discovered<C> {
    /// The connection to the node, the one its `ROLE` was checked on.
    pub connection: C,
    /// The node's address.
    pub node: ServerAddr,
    /// The sentinel that named it.
    pub sentinel: ServerAddr,
    /// Every sentinel known after this discovery, the one that named the node first,
    /// and those learned from `SENTINEL SENTINELS` included.
    pub sentinels: Vec<ServerAddr>,
}

/// Hands step `step`'s outcome to the machine: a reply as it is, an error reply as the
/// error frame it was, anything else as the step's failure.
pub(crate) fn hand_over(discovery: &mut Discovery, step: StepId, result: Result<Frame, Error>) {
    match result {
        Ok(reply) => discovery.handle_reply(step, reply),
        Err(Error::Request(RequestError::Server(error))) => {
            discovery.handle_reply(step, Frame::SimpleError(error.message().clone()));
        }
        Err(error) => discovery.handle_failure(step, error),
    }
}

/// The error for a machine that ended without saying how, which it never does.
pub(crate) fn runaway() -> Error {
    Error::Io(std::io::Error::other(
        "sentinel discovery did not finish (a bug: please report it)",
    ))
}
