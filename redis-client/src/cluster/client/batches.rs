//! Pipelines, transactions and check-and-set on the async cluster client.

use redis_io_async::{Connection, Outcome, Runtime};
use redis_sansio::Cmd;
use redis_sansio::cluster::{ClusterError, ReadFrom};
use redis_sansio::resp::{Frame, ToArg};

use super::ClusterClient;
use crate::cluster::{batch, many_nodes};
use crate::{Error, Replies, Transaction};

impl<R: Runtime> ClusterClient<R> {
    /// Runs the commands as one pipeline per node, all nodes at once, and resolves to
    /// each one's outcome in the commands' order. Each command's keys must share a
    /// slot (otherwise [`ClusterError::CrossSlot`] and nothing is sent), even for a
    /// command such as `MGET` that [`request`](Self::request) would split per slot.
    ///
    /// Commands answered with `MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN` or `LOADING`,
    /// and the commands of a node whose connection failed, are then run again one by
    /// one as [`request`](Self::request) runs them, so they may execute after
    /// commands that came later in the pipeline. A cluster-level failure of such a
    /// retry fails the whole call.
    pub async fn pipeline(&self, cmds: &[Cmd]) -> Result<Vec<Outcome>, Error> {
        let slots = batch::slots(cmds)?;
        many_nodes::pipeline(&mut self.clone(), cmds, &slots, ReadFrom::Primary).await
    }

    /// Runs `cmds` in `MULTI`/`EXEC` on the node serving their slot and resolves to
    /// `EXEC`'s array, as [`ClusterConnection::transaction`](crate::cluster::ClusterConnection::transaction)
    /// does: one slot for every key (or [`ClusterError::CrossSlot`], nothing sent),
    /// one more run on the slot's new owner when a moved slot explains the failure,
    /// no retry after a connection failure.
    pub async fn transaction(&self, cmds: &[Cmd]) -> Result<Frame, Error> {
        let slot = batch::transaction_slot(cmds)?;
        let _ = self.drive().await;
        let node = self.route(slot)?;
        let result = match self.client(node).await {
            Ok(client) => client.transaction(cmds).await,
            Err(error) => Err(error),
        };
        let probe = match (&result, batch::probe(cmds)) {
            (Err(error), Some(probe)) if batch::maybe_moved(error) => probe,
            _ => return result,
        };
        self.request(&probe).await?;
        let owner = self.route(slot)?;
        if owner == node {
            return result;
        }
        self.client(owner).await?.transaction(cmds).await
    }

    /// Runs a check-and-set transaction ([`watch::exclusive`](crate::watch::exclusive))
    /// on a dedicated connection to the primary serving `keys`' slot, opened for the
    /// call and closed after it: `WATCH` belongs to a connection, which a shared one
    /// cannot keep to one caller.
    ///
    /// The keys must share a slot ([`ClusterError::CrossSlot`] otherwise, nothing
    /// sent), and so must whatever `build` reads and queues. Redirects are not
    /// followed inside it: a slot moving meanwhile fails the call with `MOVED`.
    pub async fn watch_transaction<K: ToArg>(
        &self,
        keys: &[K],
        build: impl AsyncFnMut(&mut Connection<R>, &mut Transaction) -> Result<(), Error>,
    ) -> Result<Replies, Error> {
        let slot = batch::watch_slot(keys)?;
        let _ = self.drive().await;
        let node = self.route(slot)?;
        let addr = self.lock().addrs.get(&node).cloned();
        let addr = addr.ok_or(Error::Cluster(ClusterError::NodeGone { node }))?;
        let mut conn = Connection::<R>::connect(self.shared.seeds.config_for(&addr)).await?;
        let result = crate::watch::exclusive(&mut conn, keys, build).await;
        conn.close();
        result
    }
}
