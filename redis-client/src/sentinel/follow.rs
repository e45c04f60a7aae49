//! One call through a sentinel-backed client, written once for the blocking and the
//! async client: the core's [`Follower`] and [`FollowCall`] decide (when to discover
//! again, how long to wait, whether to send again), a [`FollowBody`] carries out. The
//! blocking client's futures are ready at once ([`body_ops::now`](crate::body_ops::now)
//! runs them); the async client's await.

use std::future::Future;
use std::time::Instant;

use redis_sansio::resp::Frame;
use redis_sansio::sentinel::{
    CallAction, FollowAction, FollowCall, FollowError, Follower, SentinelError, Target,
};
use redis_sansio::supervisor::is_permanent;
use redis_sansio::{CloseReason, Cmd, RequestError, SendError, ServerErrorKind};

use super::Discovered;
use super::step::runaway;
use crate::Error;

/// What a sentinel-backed client does for the machines: reach its follower, run a
/// discovery, send on the connection in use, wait.
pub(crate) trait FollowBody: Send {
    /// Runs `f` on the follower (under the async client's lock, never held across an
    /// `.await`).
    fn with_follower<T>(&mut self, f: impl FnOnce(&mut Follower) -> T) -> T;

    /// Carries out [`FollowAction::Discover`]: one discovery, reported to the
    /// follower with [`settle`]. The blocking client runs it before returning; the
    /// async client starts it on its runtime and returns.
    fn discover(&mut self) -> impl Future<Output = ()> + Send;

    /// Sends `cmd` on the connection of `generation` and gives its outcome (a
    /// connection of another generation fails it as not sent).
    fn send(
        &mut self,
        generation: u64,
        cmd: &Cmd,
    ) -> impl Future<Output = Result<Frame, Error>> + Send;

    /// Returns at `until`, or sooner once the follower has changed since the last
    /// [`with_follower`](Self::with_follower) (a discovery was reported).
    fn wait(&mut self, until: Instant) -> impl Future<Output = ()> + Send;

    /// Why the last discovery failed, if it did.
    fn last_failure(&mut self) -> Option<SentinelError>;
}

/// The most turns of one call's loop (sends, waits, discoveries): far more than the
/// backoff lets happen within any deadline; a guard against a loop that never ends.
const MAX_TURNS: usize = 10_000;

/// Runs `cmd` through the follower: sent on the node in use, waiting for a new one
/// (within the call's deadline) while the follower discovers, sent again as
/// [`FollowCall`] rules. `target` is what the client follows (a `READONLY` refusal
/// means a demoted master only when it follows the master).
pub(crate) async fn run<B: FollowBody>(
    body: &mut B,
    cmd: &Cmd,
    target: Target,
    resend_writes: bool,
) -> Result<Frame, Error> {
    let mut call = body.with_follower(|follower| follower.call(cmd, resend_writes, Instant::now()));
    let mut last: Option<Result<Frame, Error>> = None;
    let mut lost = false;
    for _ in 0..MAX_TURNS {
        let now = Instant::now();
        let action = body.with_follower(|follower| match discovery_due(follower, now) {
            true => None,
            false => Some(call.poll_action(follower, now)),
        });
        let Some(action) = action else {
            body.discover().await;
            continue;
        };
        match action {
            Some(CallAction::Send { generation }) => {
                let outcome = body.send(generation, cmd).await;
                lost = body.with_follower(|follower| {
                    file(follower, &mut call, &outcome, target, Instant::now())
                });
                last = Some(outcome);
            }
            Some(CallAction::Wait { until }) => body.wait(until).await,
            Some(CallAction::Deliver) => {
                return match last {
                    // Written, then the connection failed: whatever the socket said,
                    // the caller learns that the outcome is unknown.
                    Some(Err(Error::Io(_) | Error::Tls(_))) if lost => {
                        Err(Error::Request(RequestError::Closed(CloseReason::Eof)))
                    }
                    Some(outcome) => outcome,
                    None => Err(runaway()),
                };
            }
            Some(CallAction::Fail(error)) => return Err(failed(error, body.last_failure())),
            _ => return Err(runaway()),
        }
    }
    Err(runaway())
}

/// Fires the follower's timer if it is due and takes its actions: true when a
/// discovery is to be run now by the caller.
pub(crate) fn discovery_due(follower: &mut Follower, now: Instant) -> bool {
    if follower.poll_timeout().is_some_and(|at| at <= now) {
        follower.handle_timeout(now);
    }
    let mut discover = false;
    while let Some(action) = follower.poll_action() {
        // Giving up needs nothing done: calls read it from the follower.
        discover |= action == FollowAction::Discover;
    }
    discover
}

/// Reports a discovery's result to the follower: the connection found, to use from
/// now on, with its generation (`None` when the follower has given up or the
/// discovery failed). A failure's reason is kept in `last_failure`.
pub(crate) fn settle<C>(
    follower: &mut Follower,
    config: &mut super::SentinelConfig,
    last_failure: &mut Option<SentinelError>,
    result: Result<Discovered<C>, Error>,
    now: Instant,
) -> Option<(Discovered<C>, u64)> {
    match result {
        Ok(found) => {
            let generation = follower.handle_discovered(found.node.clone(), now)?;
            config.set_sentinels(found.sentinels.clone());
            *last_failure = None;
            Some((found, generation))
        }
        Err(error) => {
            file_failure(follower, last_failure, &error, now);
            None
        }
    }
}

/// Reports a failed discovery to the follower (a permanent refusal ends it), keeping
/// its reason in `last_failure`.
pub(crate) fn file_failure(
    follower: &mut Follower,
    last_failure: &mut Option<SentinelError>,
    error: &Error,
    now: Instant,
) {
    if let Error::Sentinel(failure) = error {
        *last_failure = Some(failure.clone());
    }
    follower.handle_discovery_failed(error.refusal().as_ref(), now);
}

/// Hands an attempt's outcome to the call; returns whether it was lost after it was
/// written.
fn file(
    follower: &mut Follower,
    call: &mut FollowCall,
    outcome: &Result<Frame, Error>,
    target: Target,
    now: Instant,
) -> bool {
    let Err(error) = outcome else {
        call.handle_reply();
        return false;
    };
    if is_demoted(target, error) {
        call.handle_demoted(follower, now);
        return false;
    }
    match error {
        Error::Request(RequestError::NotSent(reason)) | Error::Closed(reason) => {
            call.handle_not_sent(follower, reason, now);
        }
        Error::Send(SendError::Closed) => call.handle_not_sent(follower, &CloseReason::Eof, now),
        Error::Request(RequestError::Closed(reason)) => {
            call.handle_lost(follower, reason, now);
            return true;
        }
        Error::Io(_) | Error::Tls(_) => {
            call.handle_lost(follower, &CloseReason::Eof, now);
            return true;
        }
        _ => call.handle_reply(),
    }
    false
}

/// True when `error` says the node was demoted: a write refused with `READONLY` while
/// the master is wanted. The command did not run, so it can be sent again.
fn is_demoted(target: Target, error: &Error) -> bool {
    target == Target::Master && error.server_kind() == Some(&ServerErrorKind::ReadOnly)
}

/// The error of a call that ended without an outcome of its own: the last
/// discovery's failure when there is one (what the caller can act on), else a
/// timeout; a permanent refusal or a local close as it is.
fn failed(error: FollowError, last_failure: Option<SentinelError>) -> Error {
    match (error, last_failure) {
        (FollowError::Down(reason), _) if is_permanent(&reason) => Error::Closed(reason),
        (_, Some(failure)) => Error::Sentinel(failure),
        (FollowError::Expired, None) => Error::Request(RequestError::Timeout),
        (FollowError::Down(reason), None) => Error::Closed(reason),
        (_, None) => Error::Request(RequestError::Timeout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis_sansio::ServerError;

    #[test]
    fn readonly_is_a_demotion_only_when_the_master_is_followed() {
        let readonly = Error::Request(RequestError::Server(ServerError::new(
            "READONLY You can't write against a read only replica.".into(),
        )));
        assert!(is_demoted(Target::Master, &readonly));
        assert!(!is_demoted(Target::Replica { seed: 0 }, &readonly));
    }

    #[test]
    fn failures_name_the_refusal_the_discovery_or_a_timeout() {
        let wrong = CloseReason::Auth(ServerError::new("WRONGPASS x".into()));
        let failure = SentinelError::NoSentinels;
        assert!(matches!(
            failed(FollowError::Down(wrong.clone()), Some(failure.clone())),
            Error::Closed(CloseReason::Auth(_))
        ));
        assert!(matches!(
            failed(FollowError::Expired, Some(failure)),
            Error::Sentinel(SentinelError::NoSentinels)
        ));
        assert!(failed(FollowError::Expired, None).is_timeout());
        assert!(matches!(
            failed(FollowError::Down(CloseReason::Local), None),
            Error::Closed(CloseReason::Local)
        ));
    }
}
