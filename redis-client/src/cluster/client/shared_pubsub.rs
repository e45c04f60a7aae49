//! Shard channels on the async cluster client's own connections: a
//! [`Subscription`] on the multiplexed client of the primary that serves the channels'
//! slot, beside that node's ordinary calls.

use redis_io_async::{Runtime, Subscription};
use redis_sansio::Cmd;
use redis_sansio::resp::ToArgs;

use super::ClusterClient;
use crate::Error;
use crate::cluster::batch;

impl<R: Runtime> ClusterClient<R> {
    /// Subscribes to shard `channels` (`SSUBSCRIBE`) on the connection this client
    /// keeps to the primary serving their slot, and resolves to a [`Subscription`]:
    /// a `Stream` of their messages, beside that node's ordinary calls (RESP3; in RESP2
    /// the node's client subscribes on a second connection). The channels must hash
    /// to one slot ([`ClusterError::CrossSlot`](redis_sansio::cluster::ClusterError)
    /// otherwise, nothing sent); subscribe to each slot's channels apart.
    ///
    /// The subscription stays on the node it was made on: when the slot moves (Redis
    /// then unsubscribes the channel by itself) or the node's connection is lost, no
    /// more messages come (in the second case the stream ends with the close reason).
    /// For shard channels that follow slot moves and failovers, use
    /// [`subscriber`](Self::subscriber).
    pub async fn ssubscribe<S>(&self, channels: impl ToArgs<S>) -> Result<Subscription<R>, Error> {
        let mut cmd = Cmd::new("SSUBSCRIBE");
        cmd.push_all(&channels);
        let names: Vec<&[u8]> = cmd.args().skip(1).collect();
        let slot = batch::watch_slot(&names)?;
        let _ = self.drive().await;
        let node = self.route(slot)?;
        let client = self.client(node).await?;
        client.ssubscribe(names).await
    }
}
