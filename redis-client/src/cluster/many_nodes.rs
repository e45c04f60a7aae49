//! Commands for many nodes, written once for both clients over [`NodeIo`]: pipelines
//! split by node, keyless commands fanned out by the specification's policies,
//! multi-key commands split per slot, and `SCAN` across the primaries. Every node of
//! a pipeline or fan-out is reached at once ([`NodeIo::send_many`]: the mio
//! `Fanout` on the blocking client, queued node clients on the async one).

use std::time::Instant;

use redis_io_async::Outcome;
use redis_sansio::cluster::{ClusterCall, ClusterRouter, NodeId, ReadFrom, Routing};
use redis_sansio::commands;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd, RequestError};

use super::batch;
use super::call::{self, Failure, NodeIo};
use super::fanout::{self, Combine};
use super::scan as cluster_scan;
use super::split::Split;
use crate::Error;

/// The node for `slot` (`None`: a keyless command) as the table says now: where
/// `reads` says for it, or [`NoNodeForSlot`](redis_sansio::cluster::ClusterError::NoNodeForSlot).
pub(crate) fn route(
    router: &ClusterRouter,
    slot: Option<u16>,
    reads: ReadFrom,
) -> Result<NodeId, Error> {
    let node = match slot {
        Some(slot) => router.route(slot, reads),
        None => router.route_keyless(),
    };
    node.ok_or(Error::Cluster(
        redis_sansio::cluster::ClusterError::NoNodeForSlot {
            slot: slot.unwrap_or(0),
        },
    ))
}

/// One command for one node, from its routing to its end (the core's
/// [`ClusterCall`]): what a pipeline's command runs again as.
pub(crate) async fn request<B: NodeIo>(body: &mut B, cmd: &Cmd) -> Result<Frame, Error> {
    let routing = Routing::of(cmd)?;
    let call =
        body.with_router(|router| ClusterCall::new(&routing, router.config(), Instant::now()));
    call::run(body, cmd, call, None).await
}

/// Runs `cmds` (`slots[i]` for `cmds[i]`, each sent where `reads` says for its slot)
/// as one pipeline per node, every node at once, and gives each command's outcome
/// in order. Commands answered with a redirect or busy error, and those a failed
/// connection never sent, run again one by one as single requests; those it lost
/// after writing them run again only when they cannot change data (or
/// [`resend_writes`](redis_sansio::cluster::RouterConfig::resend_writes) is set), and
/// otherwise keep their unknown outcome.
pub(crate) async fn pipeline<B: NodeIo>(
    body: &mut B,
    cmds: &[Cmd],
    slots: &[Option<u16>],
    reads: ReadFrom,
) -> Result<Vec<Outcome>, Error> {
    let _ = call::drive(body).await;
    let groups =
        body.with_router(|router| batch::group_by_node(slots, |slot| route(router, slot, reads)))?;
    let batches = groups
        .iter()
        .map(|(node, indices)| (*node, indices.iter().map(|&i| cmds[i].clone()).collect()))
        .collect();
    let results = body.send_many(batches).await;
    let mut outcomes: Vec<Option<Outcome>> = vec![None; cmds.len()];
    let mut again = Vec::new();
    let resend_writes = body.with_router(|router| router.config().resend_writes);
    let resendable = |index: usize| resend_writes || commands::may_resend(&cmds[index]);
    for ((node, indices), result) in groups.into_iter().zip(results) {
        let mut failed = false;
        match result {
            Ok(results) => {
                for (index, outcome) in indices.into_iter().zip(results) {
                    if let Some(error) = batch::redirected(&outcome) {
                        // A MOVED teaches the router now, so the retry goes there.
                        body.with_router(|router| {
                            router.handle_error(error, node, 0, Instant::now())
                        });
                        again.push(index);
                        continue;
                    }
                    match &outcome {
                        Err(RequestError::NotSent(_)) => {
                            failed = true;
                            again.push(index);
                        }
                        Err(RequestError::Closed(_)) => {
                            failed = true;
                            if resendable(index) {
                                again.push(index);
                            } else {
                                outcomes[index] = Some(outcome);
                            }
                        }
                        _ => outcomes[index] = Some(outcome),
                    }
                }
            }
            Err(error) => match Failure::of(&error) {
                Failure::NotSent => {
                    failed = true;
                    again.extend(indices);
                }
                Failure::Lost => {
                    failed = true;
                    for index in indices {
                        if resendable(index) {
                            again.push(index);
                        } else {
                            let unknown = RequestError::Closed(CloseReason::Eof);
                            outcomes[index] = Some(Err(unknown));
                        }
                    }
                }
                _ => return Err(error),
            },
        }
        if failed {
            node_failed(body, node);
        }
    }
    again.sort_unstable();
    for index in again {
        outcomes[index] = Some(batch::as_outcome(request(body, &cmds[index]).await)?);
    }
    Ok(batch::collect(outcomes))
}

/// A keyless command meant for every primary or every node (`routing`'s target):
/// sent to all of them at once, the replies combined as `policy` says; to the one
/// keyless node while no topology names any.
pub(crate) async fn fan_out_or_one<B: NodeIo>(
    body: &mut B,
    cmd: &Cmd,
    routing: Routing,
    policy: redis_sansio::commands::ResponsePolicy,
) -> Result<Frame, Error> {
    let _ = call::drive(body).await;
    let nodes = body.with_router(|router| match routing.target {
        redis_sansio::cluster::Target::AllNodes(_) => router.shard_nodes(),
        _ => router.primaries(),
    });
    if nodes.is_empty() {
        let call =
            body.with_router(|router| ClusterCall::new(&routing, router.config(), Instant::now()));
        return call::run(body, cmd, call, None).await;
    }
    fan_out(body, cmd, nodes, fanout::how(policy)).await
}

/// Sends `cmd` to each of `nodes` at once and combines the replies. A node whose
/// connection fails is reported (and its error is its reply); no redirects are
/// followed, since the command has no keys.
async fn fan_out<B: NodeIo>(
    body: &mut B,
    cmd: &Cmd,
    nodes: Vec<NodeId>,
    how: Combine,
) -> Result<Frame, Error> {
    let batches = nodes
        .iter()
        .map(|node| (*node, vec![cmd.clone()]))
        .collect();
    let results = body.send_many(batches).await;
    let mut replies = Vec::with_capacity(nodes.len());
    for (node, result) in nodes.into_iter().zip(results) {
        let reply = result.and_then(|outcomes| match outcomes.into_iter().next() {
            Some(outcome) => outcome.map_err(Error::Request),
            None => Err(fanout::no_reply()),
        });
        if reply.as_ref().is_err_and(Error::is_connection_failure) {
            node_failed(body, node);
        }
        replies.push(reply);
    }
    fanout::combine(how, replies)
}

/// Runs a multi-key command whose keys span slots as its per-slot parts (one
/// pipeline per node, every node at once, each part following redirects and
/// retries), the outcomes merged into the command's reply.
pub(crate) async fn split<B: NodeIo>(body: &mut B, split: &Split) -> Result<Frame, Error> {
    let reads = split.reads(body.with_router(|router| router.config().read_from));
    let outcomes = pipeline(body, split.parts(), split.slots(), reads).await;
    split.merge(outcomes)
}

/// One page of a `SCAN` over every primary (see
/// [`Scan::iter_cluster`](crate::Scan::iter_cluster) for the cursor).
pub(crate) async fn scan_page<B: NodeIo>(body: &mut B, cmd: &Cmd) -> Result<Frame, Error> {
    let _ = call::drive(body).await;
    let nodes = body.with_router(|router| {
        let mut nodes = router.primaries();
        nodes.sort_by_key(|node| router.node_addr(*node).map(ToString::to_string));
        nodes
    });
    let (index, cursor) = cluster_scan::split_cursor(cmd, nodes.len())?;
    let node = nodes[index];
    let page = body
        .send(node, &cluster_scan::node_cmd(cmd, &cursor), false)
        .await;
    if page.as_ref().is_err_and(Error::is_connection_failure) {
        node_failed(body, node);
    }
    cluster_scan::cluster_page(page?, index, nodes.len())
}

/// Forgets `node`'s connection and tells the router it failed.
fn node_failed<B: NodeIo>(body: &mut B, node: NodeId) {
    body.drop_node(node);
    body.with_router(|router| router.handle_node_failure(node, Instant::now()));
}
