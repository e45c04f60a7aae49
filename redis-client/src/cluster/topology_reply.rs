//! What both cluster clients do with the outcome of a topology request, and the
//! error a refresh that found no answer gives.

use std::time::Instant;

use redis_sansio::cluster::{ClusterError, ClusterRouter, NodeId};
use redis_sansio::resp::Frame;

use crate::Error;

/// What went wrong while asking nodes for the topology, for the error a failed
/// refresh gives.
#[derive(Debug, Default)]
pub(crate) struct RefreshFailures {
    /// The last failure's text.
    last: Option<String>,
    /// The last TLS failure (an untrusted or misnamed certificate, a refused client
    /// certificate...) since a topology last came in. A refresh that fails returns it
    /// as it is, typed: no retry mends a certificate, and the caller should be able to
    /// tell with [`Error::tls_error`].
    tls: Option<Error>,
}

impl RefreshFailures {
    /// Hands the outcome of the topology request sent to `node` to the router,
    /// keeping the failure for [`error`](Self::error). Returns true when the node's
    /// connection failed: the caller drops it, and the router has been told.
    pub(crate) fn file(
        &mut self,
        router: &mut ClusterRouter,
        node: NodeId,
        reply: Result<Frame, Error>,
        now: Instant,
    ) -> bool {
        match reply {
            Ok(frame) => {
                match router.handle_topology(&frame, node, now) {
                    Ok(()) => self.tls = None,
                    Err(error) => self.last = Some(error.to_string()),
                }
                false
            }
            Err(error) => {
                self.last = Some(error.to_string());
                if error.is_connection_failure() {
                    router.handle_node_failure(node, now);
                    if error.tls_error().is_some() {
                        self.tls = Some(error);
                    }
                    true
                } else {
                    router.handle_refresh_failure(node, error.server_error(), now);
                    false
                }
            }
        }
    }

    /// The error of a refresh that asked `tried` nodes and got no topology: the last
    /// TLS failure when there was one, else
    /// [`ClusterError::TopologyRefreshFailed`] with the last failure's text.
    pub(crate) fn error(&mut self, tried: usize) -> Error {
        match self.tls.take() {
            Some(tls) => tls,
            None => Error::Cluster(ClusterError::TopologyRefreshFailed {
                tried,
                last_error: self.last.clone(),
            }),
        }
    }
}
