//! What both cluster clients do with the outcome of a topology request.

use std::time::Instant;

use redis_sansio::cluster::{ClusterRouter, NodeId};
use redis_sansio::resp::Frame;

use crate::Error;

/// Hands the outcome of the topology request sent to `node` to the router, keeping
/// the last failure's text for the error a failed refresh gives. Returns true when
/// the node's connection failed: the caller drops it, and the router has been told.
pub(crate) fn file_topology_reply(
    router: &mut ClusterRouter,
    last_error: &mut Option<String>,
    node: NodeId,
    reply: Result<Frame, Error>,
    now: Instant,
) -> bool {
    match reply {
        Ok(frame) => {
            if let Err(error) = router.handle_topology(&frame, node, now) {
                *last_error = Some(error.to_string());
            }
            false
        }
        Err(error) => {
            *last_error = Some(error.to_string());
            if error.is_connection_failure() {
                router.handle_node_failure(node, now);
                true
            } else {
                router.handle_refresh_failure(node, error.server_error(), now);
                false
            }
        }
    }
}
