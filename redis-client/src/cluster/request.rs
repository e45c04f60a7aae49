//! The named future of a cluster client's request.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use redis_io_async::{Request, Runtime};
use redis_sansio::cluster::ClusterCall;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd};

use super::call::needs_machine;
use super::client::ClusterClient;
use crate::Error;

/// The boxed rest of a request that has to be retried.
type Retrying = Pin<Box<dyn Future<Output = Result<Frame, Error>> + Send>>;

/// The future of [`ClusterClient::request`]: the reply, after any redirects and
/// retries. `Send` and `'static`.
///
/// While the first attempt is on the wire it is the node client's own
/// [`Request`], unboxed, next to a copy of the command (inline while it is short) and
/// the core's [`ClusterCall`] in case it must be sent again; only when that attempt
/// must be followed
/// up (a redirect, a busy error, a failed connection) or could not be sent at once
/// (no open connection to the node yet, a topology refresh due, a command meant for
/// every node, a multi-key command split per slot) does the rest run in a boxed future, because it awaits connects,
/// sleeps, refreshes and several nodes.
///
/// Dropping it abandons the request like dropping a [`Request`] does.
#[must_use = "futures do nothing unless polled"]
pub struct ClusterRequest<R: Runtime> {
    state: State<R>,
}

enum State<R: Runtime> {
    Failed(Option<Error>),
    Sent {
        request: Request,
        cmd: Cmd,
        /// The machine, marked sent to the request's node.
        call: ClusterCall,
        client: ClusterClient<R>,
    },
    Retrying(Retrying),
}

impl<R: Runtime> ClusterRequest<R> {
    pub(super) fn failed(error: Error) -> Self {
        ClusterRequest {
            state: State::Failed(Some(error)),
        }
    }

    pub(super) fn sent(
        request: Request,
        cmd: Cmd,
        call: ClusterCall,
        client: ClusterClient<R>,
    ) -> Self {
        ClusterRequest {
            state: State::Sent {
                request,
                cmd,
                call,
                client,
            },
        }
    }

    pub(super) fn retrying(rest: Retrying) -> Self {
        ClusterRequest {
            state: State::Retrying(rest),
        }
    }
}

impl<R: Runtime> Future for ClusterRequest<R> {
    type Output = Result<Frame, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Failed(error) => {
                    return Poll::Ready(Err(error
                        .take()
                        .unwrap_or(Error::Closed(CloseReason::Local))));
                }
                State::Retrying(rest) => return rest.as_mut().poll(cx),
                State::Sent { request, .. } => {
                    let outcome = ready!(Pin::new(request).poll(cx));
                    if !needs_machine(&outcome) {
                        return Poll::Ready(outcome);
                    }
                    let State::Sent {
                        cmd, call, client, ..
                    } = std::mem::replace(&mut this.state, State::Failed(None))
                    else {
                        continue;
                    };
                    this.state = State::Retrying(Box::pin(client.run(cmd, call, Some(outcome))));
                }
            }
        }
    }
}

impl<R: Runtime> fmt::Debug for ClusterRequest<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Failed(_) => "failed",
            State::Sent { .. } => "sent",
            State::Retrying(_) => "retrying",
        };
        f.debug_struct("ClusterRequest")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
