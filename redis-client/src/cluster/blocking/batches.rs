//! Pipelines, transactions and check-and-set on the blocking cluster connection.

use redis_io_async::Outcome;
use redis_io_sync::Connection;
use redis_sansio::Cmd;
use redis_sansio::cluster::ReadFrom;
use redis_sansio::resp::{Frame, ToArg};

use super::ClusterConnection;
use crate::body_ops::now;
use crate::cluster::{batch, many_nodes};
use crate::{Error, Replies, Transaction};

impl ClusterConnection {
    /// Runs the commands as one pipeline per node and returns each one's outcome, in
    /// the commands' order. Each command's keys must share a slot (otherwise
    /// [`ClusterError::CrossSlot`](redis_sansio::cluster::ClusterError::CrossSlot) and nothing is sent), even for a command such
    /// as `MGET` that [`request`](Self::request) would split per slot; different
    /// commands may go to different nodes, all reached at once (one mio `Fanout`
    /// loop over second connections to the nodes).
    ///
    /// Commands answered with `MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN` or `LOADING`,
    /// and the commands of a node whose connection failed, are then run again one by
    /// one as [`request`](Self::request) runs them, so they may execute after
    /// commands that came later in the pipeline. A cluster-level failure of such a
    /// retry fails the whole call.
    pub fn pipeline(&mut self, cmds: &[Cmd]) -> Result<Vec<Outcome>, Error> {
        let slots = batch::slots(cmds)?;
        now(many_nodes::pipeline(self, cmds, &slots, ReadFrom::Primary))
    }

    /// Runs `cmds` in `MULTI`/`EXEC` on the node serving their slot and returns
    /// `EXEC`'s array. Every key of every command must be in one slot (hash tags), or
    /// the call fails with [`ClusterError::CrossSlot`](redis_sansio::cluster::ClusterError::CrossSlot) before anything is sent; a
    /// transaction without keys goes to the primary serving slot 0.
    ///
    /// When it fails in a way a moved slot explains (`EXECABORT`, `MOVED`), a read of
    /// its first key finds the slot's owner; if that is another node, the
    /// transaction runs once more there. A transaction is never retried after a
    /// connection failure, since it may have run.
    pub fn transaction(&mut self, cmds: &[Cmd]) -> Result<Frame, Error> {
        let slot = batch::transaction_slot(cmds)?;
        let _ = self.drive();
        let node = self.route(slot)?;
        let result = self.conn(node).and_then(|conn| conn.transaction(cmds));
        match (&result, batch::probe(cmds)) {
            (Err(error), Some(probe)) if batch::maybe_moved(error) => {
                self.request(&probe)?;
                let owner = self.route(slot)?;
                if owner == node {
                    return result;
                }
                self.conn(owner).and_then(|conn| conn.transaction(cmds))
            }
            _ => result,
        }
    }

    /// Runs a check-and-set transaction ([`watch::blocking`](crate::watch::blocking))
    /// on the connection to the primary serving `keys`' slot: `WATCH`, `build` (which
    /// reads through that node's connection and queues on the transaction), `EXEC`,
    /// again while a watched key changed meanwhile.
    ///
    /// The keys must share a slot ([`ClusterError::CrossSlot`](redis_sansio::cluster::ClusterError::CrossSlot) otherwise, nothing
    /// sent), and so must whatever `build` reads and queues. Redirects are not
    /// followed inside it: a slot moving meanwhile fails the call with `MOVED`.
    pub fn watch_transaction<K: ToArg>(
        &mut self,
        keys: &[K],
        build: impl FnMut(&mut Connection, &mut Transaction) -> Result<(), Error>,
    ) -> Result<Replies, Error> {
        let slot = batch::watch_slot(keys)?;
        let _ = self.drive();
        let node = self.route(slot)?;
        crate::watch::blocking(self.conn(node)?, keys, build)
    }
}
