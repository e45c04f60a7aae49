//! The blocking cluster connection's second connections to its nodes, on one mio
//! [`Fanout`]: what its pipelines and fan-outs use to reach every node at once from
//! the caller's thread (one round trip for all of them, not one per node).

use std::collections::HashMap;
use std::io;

use redis_io_async::Outcome;
use redis_io_sync::{ConnId, Fanout};
use redis_sansio::cluster::NodeId;
use redis_sansio::config::ConnectionConfig;
use redis_sansio::conn::RequestId;
use redis_sansio::{CloseReason, Cmd, RequestError};

use crate::Error;

/// The fan-out and which of its connections serves which node. Connections open
/// when a node is first used; a closed one is replaced by a new one at the next use.
#[derive(Debug, Default)]
pub(super) struct FanoutNodes {
    fanout: Option<Fanout>,
    conns: HashMap<NodeId, ConnId>,
    /// `READONLY`s sent on new connections, whose outcomes are taken (and dropped)
    /// after the run: a refusal shows in the replies that follow.
    readonly: Vec<(ConnId, RequestId)>,
}

impl FanoutNodes {
    /// Forgets `node`'s connection (it failed, or the node left the topology).
    pub(super) fn forget(&mut self, node: NodeId) {
        self.conns.remove(&node);
    }

    /// Sends each batch on its node's connection (opened with the matching entry of
    /// `configs` when needed, sending `READONLY` first when `readonly`), drives every
    /// connection at once until each request has its outcome, and gives each
    /// batch's outcomes in order; a node that cannot be reached gives its error.
    pub(super) fn run(
        &mut self,
        batches: Vec<(NodeId, Vec<Cmd>)>,
        configs: Vec<Result<ConnectionConfig, Error>>,
        readonly: bool,
    ) -> Vec<Result<Vec<Outcome>, Error>> {
        if self.fanout.is_none() {
            match Fanout::new() {
                Ok(fanout) => self.fanout = Some(fanout),
                Err(error) => return batches.iter().map(|_| Err(copy(&error))).collect(),
            }
        }
        let mut sent: Vec<Result<(ConnId, Vec<RequestId>), Error>> = Vec::new();
        for ((node, cmds), config) in batches.into_iter().zip(configs) {
            let queued = config
                .and_then(|config| self.conn(node, config, readonly))
                .and_then(|conn| {
                    let fanout = self
                        .fanout
                        .as_mut()
                        .ok_or(Error::Closed(CloseReason::Local))?;
                    let ids = cmds
                        .iter()
                        .map(|cmd| fanout.send(conn, cmd))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((conn, ids))
                });
            sent.push(queued);
        }
        let Some(fanout) = self.fanout.as_mut() else {
            return Vec::new();
        };
        let ran = fanout.run(None).map_err(|error| error.to_string());
        for (conn, id) in self.readonly.drain(..) {
            let _ = fanout.take(conn, id);
        }
        sent.into_iter()
            .map(|queued| {
                let (conn, ids) = queued?;
                if let Err(error) = &ran {
                    return Err(Error::Io(io::Error::other(error.clone())));
                }
                let closed = fanout.close_reason(conn).cloned();
                Ok(ids
                    .into_iter()
                    .map(|id| {
                        fanout.take(conn, id).unwrap_or_else(|| {
                            Err(RequestError::Closed(
                                closed.clone().unwrap_or(CloseReason::Local),
                            ))
                        })
                    })
                    .collect())
            })
            .collect()
    }

    /// `node`'s open connection, or a new one.
    fn conn(
        &mut self,
        node: NodeId,
        config: ConnectionConfig,
        readonly: bool,
    ) -> Result<ConnId, Error> {
        let fanout = self
            .fanout
            .as_mut()
            .ok_or(Error::Closed(CloseReason::Local))?;
        if let Some(&conn) = self.conns.get(&node) {
            if fanout.close_reason(conn).is_none() {
                return Ok(conn);
            }
        }
        let conn = fanout.add(config)?;
        if readonly {
            let id = fanout.send(conn, &Cmd::new("READONLY"))?;
            self.readonly.push((conn, id));
        }
        self.conns.insert(node, conn);
        Ok(conn)
    }
}

/// An IO error for each batch when the fan-out itself could not be made.
fn copy(error: &io::Error) -> Error {
    Error::Io(io::Error::new(error.kind(), error.to_string()))
}
