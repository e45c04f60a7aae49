//! One request to a cluster, and the router's events, written once for both
//! clients: the core's [`ClusterCall`] decides, a [`NodeIo`] body carries out. The
//! blocking connection's futures are ready at once
//! ([`body_ops::now`](crate::body_ops::now) runs them), the async client's await.

use std::future::Future;
use std::time::Instant;

use redis_io_async::Outcome;
use redis_sansio::cluster::{
    CallAction, ClusterCall, ClusterEvent, ClusterRouter, NodeAddr, NodeId,
};
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd, RequestError, ServerError};

use crate::Error;

/// What a cluster client does for the machine: reach its router, carry out the
/// router's events, send to a node, forget a node's connection, wait.
pub(crate) trait NodeIo: Send {
    /// Runs `f` on the router (under the async client's lock, never held across an
    /// `.await`).
    fn with_router<T>(&mut self, f: impl FnOnce(&mut ClusterRouter) -> T) -> T;

    /// Records where a node the router learnt of listens (`Some`), or forgets a node
    /// that left the topology with its connections (`None`).
    fn set_node_addr(&mut self, node: NodeId, addr: Option<NodeAddr>);

    /// Hands the outcome of the topology request sent to `node` to the router,
    /// keeping a failure for [`refresh_error`](Self::refresh_error) and dropping a
    /// connection that failed.
    fn file_topology(&mut self, node: NodeId, reply: Result<Frame, Error>);

    /// The error of a refresh that asked `tried` nodes and got no topology.
    fn refresh_error(&mut self, tried: usize) -> Error;

    /// Sends `cmd` to `node` (after `ASKING` when `asking`), its connection opened
    /// first when there is none, and gives its outcome.
    fn send(
        &mut self,
        node: NodeId,
        cmd: &Cmd,
        asking: bool,
    ) -> impl Future<Output = Result<Frame, Error>> + Send;

    /// Sends each batch as one pipeline to its node, every node at once, and gives
    /// each batch's outcomes (or why its node could not run it), in the batches'
    /// order.
    fn send_many(
        &mut self,
        batches: Vec<(NodeId, Vec<Cmd>)>,
    ) -> impl Future<Output = Vec<Result<Vec<Outcome>, Error>>> + Send;

    /// Forgets `node`'s connection, so the next use opens another.
    fn drop_node(&mut self, node: NodeId);

    /// Returns at `until`.
    fn sleep_until(&mut self, until: Instant) -> impl Future<Output = ()> + Send;
}

/// What an attempt's error means to the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The server's own error: the machine reads its kind.
    Server,
    /// The request never reached the server: no connection could be opened, or it
    /// was closed before the request was written.
    NotSent,
    /// The connection was lost after the request was written (whatever closed it: the
    /// server, a socket error, a stall): it may have run.
    Lost,
    /// Nothing the cluster can mend (a timeout, a refused password, handshake or
    /// certificate, a misuse): the caller gets it as it is.
    Final,
}

impl Failure {
    /// How `error` reads.
    pub(crate) fn of(error: &Error) -> Failure {
        match error {
            Error::Request(RequestError::Server(_)) => Failure::Server,
            Error::Request(RequestError::NotSent(_))
            | Error::Connect { .. }
            | Error::UnknownHost { .. } => Failure::NotSent,
            Error::Closed(reason) if !refused(reason) => Failure::NotSent,
            Error::Request(RequestError::Closed(_)) | Error::Io(_) => Failure::Lost,
            _ => Failure::Final,
        }
    }
}

/// A close that another connection would meet too: the server refused the
/// credentials or another part of the handshake.
fn refused(reason: &CloseReason) -> bool {
    matches!(reason, CloseReason::Auth(_) | CloseReason::Handshake(_))
}

/// Whether the outcome of an attempt needs the machine (a redirect, a busy error, a
/// failed connection), as opposed to going straight to the caller.
pub(crate) fn needs_machine(outcome: &Result<Frame, Error>) -> bool {
    let Err(error) = outcome else {
        return false;
    };
    match Failure::of(error) {
        Failure::Server => error.server_error().is_some_and(is_cluster_error),
        Failure::NotSent | Failure::Lost => true,
        Failure::Final => false,
    }
}

/// Whether the machine acts on `error`: a redirect or a busy error.
pub(crate) fn is_cluster_error(error: &ServerError) -> bool {
    use redis_sansio::ServerErrorKind::{Ask, ClusterDown, Loading, Moved, TryAgain};
    matches!(
        error.kind(),
        Moved(_) | Ask(_) | TryAgain | ClusterDown | Loading
    )
}

/// Carries the router's events out until none is left: records and drops nodes,
/// answers topology refreshes by asking the nodes the router names (a deferred or
/// periodic refresh whose time has come starts first). Fails when a refresh round
/// found no topology (the router keeps its last table).
pub(crate) async fn drive<B: NodeIo>(body: &mut B) -> Result<(), Error> {
    let mut result = Ok(());
    loop {
        let now = Instant::now();
        let event = body.with_router(|router| {
            if router.poll_timeout().is_some_and(|t| t <= now) {
                router.handle_timeout(now);
            }
            router.poll_event()
        });
        match event {
            None => return result,
            Some(ClusterEvent::Connect { node, addr }) => body.set_node_addr(node, Some(addr)),
            Some(ClusterEvent::Disconnect { node }) => body.set_node_addr(node, None),
            Some(ClusterEvent::Refresh { node, command }) => {
                let reply = body.send(node, &command.cmd(), false).await;
                body.file_topology(node, reply);
            }
            Some(ClusterEvent::RefreshFailed { tried }) => result = Err(body.refresh_error(tried)),
            Some(_) => {}
        }
    }
}

/// Runs `call` for `cmd` to its end. `first` is the outcome of an attempt the body
/// already made (the async client's fast path: `call` was made
/// [`sent_to`](ClusterCall::sent_to) its node).
pub(crate) async fn run<B: NodeIo>(
    body: &mut B,
    cmd: &Cmd,
    mut call: ClusterCall,
    first: Option<Result<Frame, Error>>,
) -> Result<Frame, Error> {
    let mut last = first;
    let mut lost = false;
    if let Some(outcome) = &last {
        lost = file(body, &mut call, outcome);
    }
    loop {
        // A failed background refresh leaves the old table, which may still work.
        let _ = drive(body).await;
        let action = body.with_router(|router| call.poll_action(router, Instant::now()));
        match action {
            Some(CallAction::Send { node, asking }) => {
                let outcome = body.send(node, cmd, asking).await;
                lost = file(body, &mut call, &outcome);
                last = Some(outcome);
            }
            Some(CallAction::Wait { until }) => body.sleep_until(until).await,
            Some(CallAction::Fail(error)) => return Err(Error::Cluster(error)),
            _ => {
                return match last {
                    // Written, then the connection failed: whatever the socket said,
                    // the caller learns that the outcome is unknown.
                    Some(Err(Error::Io(_))) if lost => {
                        Err(Error::Request(RequestError::Closed(CloseReason::Eof)))
                    }
                    Some(outcome) => outcome,
                    None => Err(Error::Closed(CloseReason::Local)),
                };
            }
        }
    }
}

/// Hands an attempt's outcome to the machine; a failed connection is dropped.
/// Returns whether the request was lost after it was written.
fn file<B: NodeIo>(body: &mut B, call: &mut ClusterCall, outcome: &Result<Frame, Error>) -> bool {
    let now = Instant::now();
    let error = match outcome {
        Ok(_) => {
            call.handle_reply();
            return false;
        }
        Err(error) => error,
    };
    match Failure::of(error) {
        Failure::Server => match error.server_error() {
            Some(server) => {
                body.with_router(|router| call.handle_server_error(server, router, now))
            }
            None => call.handle_reply(),
        },
        Failure::NotSent => {
            if let Some(node) = call.node() {
                body.drop_node(node);
            }
            body.with_router(|router| call.handle_not_sent(router, now));
        }
        Failure::Lost => {
            if let Some(node) = call.node() {
                body.drop_node(node);
            }
            body.with_router(|router| call.handle_lost(router, now));
            return true;
        }
        Failure::Final => call.handle_reply(),
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(text: &str) -> Result<Frame, Error> {
        Err(Error::Request(RequestError::Server(ServerError::new(
            text.to_owned().into(),
        ))))
    }

    #[test]
    fn errors_read_as_sent_or_not() {
        let refused = Error::Connect {
            addr: "h:1".into(),
            source: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        };
        assert_eq!(Failure::of(&refused), Failure::NotSent);
        let not_sent = Error::Request(RequestError::NotSent(CloseReason::Eof));
        assert_eq!(Failure::of(&not_sent), Failure::NotSent);
        assert_eq!(
            Failure::of(&Error::Closed(CloseReason::Eof)),
            Failure::NotSent
        );
        let lost = Error::Request(RequestError::Closed(CloseReason::Eof));
        assert_eq!(Failure::of(&lost), Failure::Lost);
        let io = Error::Io(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(Failure::of(&io), Failure::Lost);
        let auth = Error::Closed(CloseReason::Auth(ServerError::new("WRONGPASS x".into())));
        assert_eq!(Failure::of(&auth), Failure::Final);
        assert_eq!(
            Failure::of(&Error::Request(RequestError::Timeout)),
            Failure::Final
        );
    }

    #[test]
    fn only_cluster_errors_and_failed_connections_need_the_machine() {
        assert!(needs_machine(&server("MOVED 1 h:1")));
        assert!(!needs_machine(&server("WRONGTYPE x")));
        assert!(!needs_machine(&Ok(Frame::Null)));
        assert!(needs_machine(&Err(Error::Request(RequestError::Closed(
            CloseReason::Eof
        )))));
        assert!(!needs_machine(&Err(Error::Request(RequestError::Timeout))));
    }
}
