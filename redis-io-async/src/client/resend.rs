//! Requests sent again after a lost connection, by what they may do.
//!
//! With a reconnect policy, the driver keeps a copy of each request on the wire that
//! may be sent again: one that cannot change data
//! ([`commands::may_resend`](redis_sansio::commands::may_resend)), or any request
//! when the policy [`resends writes`](redis_sansio::retry::Reconnect::resend_writes).
//! When the connection is lost before its reply, its call does not fail: the request
//! goes out again, first, on the new connection, with the deadline it was made with.
//! A request that may change data fails with the loss's reason instead
//! (`RequestError::Closed`, an unknown outcome), as does everything in a transaction.

use std::collections::VecDeque;
use std::time::Instant;

use redis_sansio::conn::RequestId;
use redis_sansio::{CloseReason, Cmd, RequestError};

use super::slots::Target;
use crate::Outcome;

/// The copies of the requests on the wire that may be sent again, and those to send
/// again once a new connection is up.
#[derive(Debug, Default)]
pub(super) struct Resend {
    /// Keep copies at all: the client has a reconnect policy.
    on: bool,
    /// Keep a copy of every request, writes included.
    writes: bool,
    /// By id, in send order: the request and when its call was made.
    kept: VecDeque<(RequestId, Cmd, Instant)>,
    /// Lost with their connection, to go out on the next one.
    due: Vec<(Target, Cmd, Instant)>,
}

impl Resend {
    /// From now on, copies are kept (of writes too, when `writes`).
    pub(super) fn enable(&mut self, writes: bool) {
        self.on = true;
        self.writes = writes;
    }

    /// Request `id` (`cmd`, made at `made`) went out: keeps a copy if it may be
    /// sent again.
    #[inline]
    pub(super) fn sent(&mut self, id: RequestId, cmd: &Cmd, made: Instant) {
        if self.on && (self.writes || redis_sansio::commands::may_resend(cmd)) {
            self.kept.push_back((id, cmd.clone(), made));
        }
    }

    /// The outcome of request `id` (for `target`) came: true when it is a loss of the
    /// connection, the request is `wanted` (its caller still waits) and may go out
    /// again (its call waits on), false when the outcome is the call's. Either way the
    /// copy is dropped from `kept`.
    #[inline]
    pub(super) fn settle(
        &mut self,
        id: RequestId,
        outcome: &Outcome,
        target: Target,
        wanted: bool,
    ) -> bool {
        if self.kept.is_empty() {
            return false;
        }
        let position = match self.kept.front() {
            Some((front, ..)) if *front == id => 0,
            _ => match self.kept.iter().position(|(kept, ..)| *kept == id) {
                Some(position) => position,
                None => return false,
            },
        };
        let Some((_, cmd, made)) = self.kept.remove(position) else {
            return false;
        };
        let lost = wanted
            && matches!(outcome, Err(RequestError::Closed(reason)) if *reason != CloseReason::Local);
        if lost {
            self.due.push((target, cmd, made));
        }
        lost
    }

    /// The connection is gone: the copies kept by its request ids go (its requests
    /// have all had their outcome; the next connection numbers its own from 0).
    pub(super) fn forget_kept(&mut self) {
        self.kept.clear();
    }

    /// The requests to send again, in the order they were first sent.
    pub(super) fn take_due(&mut self) -> Vec<(Target, Cmd, Instant)> {
        std::mem::take(&mut self.due)
    }
}
