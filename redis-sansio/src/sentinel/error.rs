//! Why a sentinel, or the node it pointed at, did not do, and why discovery failed.

use std::fmt;
use std::sync::Arc;

use crate::ServerError;
use crate::config::ServerAddr;

/// An adapter's error, shared: why a connection could not be opened or a request on it
/// failed (refused, timed out, closed, an error reply as the adapter reports it).
///
/// The core never builds one; an adapter hands its own error to
/// [`Discovery::handle_failure`](super::Discovery::handle_failure), and can get it back
/// with `downcast_ref` on the error it finds in an [`Attempt`].
pub type SharedError = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// The role a Redis node has, as `ROLE` reports it, or as wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The primary: `ROLE` says `master`.
    Master,
    /// A replica: `ROLE` says `slave`.
    Replica,
}

impl Role {
    /// The word `ROLE` answers with for this role.
    pub fn word(self) -> &'static str {
        match self {
            Role::Master => "master",
            Role::Replica => "slave",
        }
    }
}

/// A reply that does not have the shape its command promises: what was expected, and a
/// short description of what came instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed reply to {command}: expected {expected}, got {found}")]
pub struct MalformedReply {
    /// The command answered, such as `SENTINEL GET-MASTER-ADDR-BY-NAME`.
    pub command: &'static str,
    /// What the reply should have been.
    pub expected: &'static str,
    /// What it was, briefly.
    pub found: String,
}

/// Why one step of discovery went nowhere. Each is kept in an [`Attempt`], and
/// discovery moves on to the next candidate or the next sentinel.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The sentinel could not be reached, or did not answer: the adapter's error
    /// (connection refused, connect or response timeout, connection closed).
    #[error("unreachable: {0}")]
    Unreachable(SharedError),
    /// The sentinel answered with an error reply (`NOAUTH`, for one).
    #[error("{0}")]
    Server(ServerError),
    /// The sentinel does not monitor a master of that name (a null reply, or
    /// `No such master with that name`).
    #[error("does not know this master name")]
    UnknownMaster,
    /// The sentinel's reply is not what its command promises.
    #[error("{0}")]
    Malformed(MalformedReply),
    /// The sentinel knows no replica that is up (every one is flagged `s_down`,
    /// `o_down` or `disconnected`, or there are none).
    #[error("knows no healthy replica")]
    NoHealthyReplica,
    /// The node the sentinel pointed at could not be reached, or its `ROLE` failed.
    #[error("its node {node} is unreachable: {error}")]
    NodeUnreachable {
        /// The node's address.
        node: ServerAddr,
        /// The adapter's error, or the node's error reply.
        error: SharedError,
    },
    /// The node the sentinel pointed at has another role: a stale sentinel still
    /// naming a demoted master, or a replica promoted since.
    #[error("its node {node} is not a {} (ROLE says {found:?})", expected.word())]
    RoleMismatch {
        /// The node's address.
        node: ServerAddr,
        /// The role wanted.
        expected: Role,
        /// What `ROLE` said instead (its first element, as text).
        found: String,
    },
}

/// One sentinel's failure, kept for the final error.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The sentinel asked.
    pub sentinel: ServerAddr,
    /// What went wrong, with it or with the node it named.
    pub failure: Failure,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sentinel {}: {}", self.sentinel, self.failure)
    }
}

/// Why discovery found no node to use.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SentinelError {
    /// There was no sentinel address to ask.
    #[error("no sentinel address given")]
    NoSentinels,
    /// Every sentinel that answered said it monitors no master of this name; the
    /// others were unreachable.
    #[error("no sentinel knows a master named {name:?} ({})", List(attempts))]
    UnknownMaster {
        /// The master name asked for.
        name: String,
        /// Each sentinel's answer or error, in the order they were tried.
        attempts: Vec<Attempt>,
    },
    /// Every sentinel was tried, and none led to a node of the wanted role.
    #[error("no sentinel led to the {} of {name:?}: {}", role_name(*role), List(attempts))]
    Exhausted {
        /// The master name asked for.
        name: String,
        /// The role wanted.
        role: Role,
        /// Each failure, in the order they happened (one per sentinel, and one per
        /// node tried when a sentinel pointed at a node that failed).
        attempts: Vec<Attempt>,
    },
}

impl SentinelError {
    /// Every failure that led here, in order (empty for
    /// [`SentinelError::NoSentinels`]).
    pub fn attempts(&self) -> &[Attempt] {
        match self {
            SentinelError::NoSentinels => &[],
            SentinelError::UnknownMaster { attempts, .. }
            | SentinelError::Exhausted { attempts, .. } => attempts,
        }
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Master => "master",
        Role::Replica => "replica",
    }
}

/// The attempts, `; `-separated, for error messages.
struct List<'a>(&'a [Attempt]);

impl fmt::Display for List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, attempt) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{attempt}")?;
        }
        Ok(())
    }
}
