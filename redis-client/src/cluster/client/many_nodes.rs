//! Commands for many nodes on the async cluster client: fan-out by the
//! specification's policies, multi-key commands split per slot, and `SCAN` across
//! the primaries.

use std::time::Instant;

use redis_io_async::Runtime;
use redis_sansio::Cmd;
use redis_sansio::cluster::{ClusterCall, Routing};
use redis_sansio::resp::Frame;

use super::ClusterClient;
use crate::Error;
use crate::cluster::fanout::{self, Combine};
use crate::cluster::scan as cluster_scan;
use crate::cluster::split::Split;

impl<R: Runtime> ClusterClient<R> {
    /// Sends `cmd` to every primary (or every node, as its request policy says) at
    /// once and combines the replies; without a topology, to the one keyless node.
    pub(super) async fn fan_out(
        self,
        cmd: Cmd,
        routing: Routing,
        how: Combine,
        all_nodes: bool,
    ) -> Result<Frame, Error> {
        let _ = self.drive().await;
        let (nodes, config) = {
            let state = self.lock();
            let nodes = if all_nodes {
                state.router.shard_nodes()
            } else {
                state.router.primaries()
            };
            (nodes, state.router.config().clone())
        };
        if nodes.is_empty() {
            let call = ClusterCall::new(&routing, &config, Instant::now());
            return self.run(cmd, call, None).await;
        }
        let mut sent = Vec::with_capacity(nodes.len());
        for node in nodes {
            sent.push((node, self.client(node).await.map(|c| c.request(&cmd))));
        }
        let mut replies = Vec::with_capacity(sent.len());
        for (node, request) in sent {
            let reply = match request {
                Ok(request) => request.await,
                Err(error) => Err(error),
            };
            if reply.as_ref().is_err_and(Error::is_connection_failure) {
                self.forget(node, Instant::now());
            }
            replies.push(reply);
        }
        fanout::combine(how, replies)
    }

    /// Runs a multi-key command whose keys span slots as its per-slot parts: one
    /// pipeline per node, every node at once
    /// ([`pipeline_routed`](Self::pipeline_routed), so each part follows redirects
    /// and retries), the outcomes merged into the command's reply.
    pub(super) async fn split(self, split: Split) -> Result<Frame, Error> {
        let reads = split.reads(self.lock().router.config().read_from);
        let outcomes = self
            .pipeline_routed(split.parts(), split.slots(), reads)
            .await;
        split.merge(outcomes)
    }

    /// One page of a `SCAN` over every primary, as on the blocking connection.
    pub(super) async fn scan_page(self, cmd: Cmd) -> Result<Frame, Error> {
        let _ = self.drive().await;
        let nodes = {
            let state = self.lock();
            let mut nodes = state.router.primaries();
            nodes.sort_by_key(|node| state.router.node_addr(*node).map(ToString::to_string));
            nodes
        };
        let (index, cursor) = cluster_scan::split_cursor(&cmd, nodes.len())?;
        let node = nodes[index];
        let page = self
            .send_to(node, &cluster_scan::node_cmd(&cmd, &cursor), false)
            .await;
        if page.as_ref().is_err_and(Error::is_connection_failure) {
            self.forget(node, Instant::now());
        }
        cluster_scan::cluster_page(page?, index, nodes.len())
    }
}
