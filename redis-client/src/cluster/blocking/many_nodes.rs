//! Commands for many nodes on the blocking cluster connection: fan-out by the
//! specification's policies, multi-key commands split per slot, and `SCAN` across
//! the primaries.

use std::time::Instant;

use redis_sansio::Cmd;
use redis_sansio::cluster::NodeId;
use redis_sansio::resp::Frame;

use super::ClusterConnection;
use crate::Error;
use crate::cluster::fanout::{self, Combine};
use crate::cluster::scan as cluster_scan;
use crate::cluster::split::Split;

impl ClusterConnection {
    /// Sends `cmd` to each of `nodes` in turn and combines the replies. A node whose
    /// connection fails is reported (and its error is its reply); no redirects are
    /// followed, since the command has no keys.
    pub(super) fn fan_out(
        &mut self,
        cmd: &Cmd,
        nodes: Vec<NodeId>,
        how: Combine,
    ) -> Result<Frame, Error> {
        let mut replies = Vec::with_capacity(nodes.len());
        for node in nodes {
            let reply = self.send_to(node, cmd, false);
            if reply.as_ref().is_err_and(Error::is_connection_failure) {
                self.conns.remove(&node);
                self.router.handle_node_failure(node, Instant::now());
            }
            replies.push(reply);
        }
        fanout::combine(how, replies)
    }

    /// Runs a multi-key command whose keys span slots as its per-slot parts: one
    /// pipeline per node ([`pipeline_routed`](Self::pipeline_routed), so each part
    /// follows redirects and retries), the outcomes merged into the command's reply.
    pub(super) fn split(&mut self, split: &Split) -> Result<Frame, Error> {
        let reads = split.reads(self.router.config().read_from);
        split.merge(self.pipeline_routed(split.parts(), split.slots(), reads))
    }

    /// One page of a `SCAN` over every primary (see [`Scan::iter_cluster`](crate::Scan::iter_cluster)
    /// for the cursor).
    pub(super) fn scan_page(&mut self, cmd: &Cmd) -> Result<Frame, Error> {
        let _ = self.drive();
        let mut nodes = self.router.primaries();
        nodes.sort_by_key(|node| self.router.node_addr(*node).map(ToString::to_string));
        let (index, cursor) = cluster_scan::split_cursor(cmd, nodes.len())?;
        let node = nodes[index];
        let page = self.send_to(node, &cluster_scan::node_cmd(cmd, &cursor), false);
        if page.as_ref().is_err_and(Error::is_connection_failure) {
            self.conns.remove(&node);
            self.router.handle_node_failure(node, Instant::now());
        }
        cluster_scan::cluster_page(page?, index, nodes.len())
    }
}
