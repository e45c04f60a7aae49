//! Running pipelines and transactions on each body.

use std::future::Future;
use std::pin::Pin;

use redis_io_async::{Client, Connection, Runtime};

use super::{Pipeline, Replies, Transaction};
use crate::Error;
use crate::body_ops::AsyncBody;
#[cfg(feature = "sync")]
use crate::body_ops::now;
use crate::cluster::ClusterClient;

/// A body that runs pipelines and transactions: every connection and client.
///
/// `pipe.run(body)` and `tx.run(body)` call this; the output is
/// `Result<Replies, Error>` on the blocking connection and a [`BatchFuture`] of it on
/// the async ones.
pub trait Batches<'a> {
    /// What a run returns.
    type Output;

    /// Sends the pipeline's commands in one write and collects every outcome.
    fn run_pipeline(self, pipeline: &'a Pipeline) -> Self::Output;

    /// Runs the transaction in `MULTI`/`EXEC`.
    fn run_transaction(self, transaction: &'a Transaction) -> Self::Output;
}

/// The future of a pipeline or transaction run on an async body. Boxed (once per
/// run, not per command) because a run may take a second round trip.
pub type BatchFuture<'a> = Pin<Box<dyn Future<Output = Result<Replies, Error>> + Send + 'a>>;

/// Runs a pipeline: one round trip, and a second for script calls that found their
/// script missing.
pub(crate) async fn run_pipeline<B: AsyncBody>(
    mut body: B,
    pipeline: &Pipeline,
) -> Result<Replies, Error> {
    let mut replies = Replies::from_outcomes(body.pipeline(pipeline.cmds()).await?);
    if let Some(retry) = pipeline.script_retry(&replies) {
        let outcomes = body.pipeline(&retry.cmds).await?;
        retry.apply(&mut replies, outcomes);
    }
    Ok(replies)
}

/// Runs a transaction, loading the scripts it calls first.
pub(crate) async fn run_transaction<B: AsyncBody>(
    mut body: B,
    transaction: &Transaction,
) -> Result<Replies, Error> {
    let loads = transaction.script_loads();
    if !loads.is_empty() {
        for outcome in body.pipeline(&loads).await? {
            outcome?;
        }
    }
    Replies::from_exec(body.transaction(transaction.cmds()).await?)
}

#[cfg(feature = "sync")]
impl<'a> Batches<'a> for &'a mut redis_io_sync::Connection {
    type Output = Result<Replies, Error>;

    fn run_pipeline(self, p: &'a Pipeline) -> Self::Output {
        now(run_pipeline(self, p))
    }

    fn run_transaction(self, t: &'a Transaction) -> Self::Output {
        now(run_transaction(self, t))
    }
}

impl<'a, Rt: Runtime> Batches<'a> for &'a mut Connection<Rt> {
    type Output = BatchFuture<'a>;

    fn run_pipeline(self, p: &'a Pipeline) -> Self::Output {
        Box::pin(run_pipeline(self, p))
    }

    fn run_transaction(self, t: &'a Transaction) -> Self::Output {
        Box::pin(run_transaction(self, t))
    }
}

impl<'a, Rt: Runtime> Batches<'a> for &'a Client<Rt> {
    type Output = BatchFuture<'a>;

    fn run_pipeline(self, p: &'a Pipeline) -> Self::Output {
        Box::pin(run_pipeline(self, p))
    }

    fn run_transaction(self, t: &'a Transaction) -> Self::Output {
        Box::pin(run_transaction(self, t))
    }
}

/// A pipeline's commands go to their nodes, one pipeline per node; a transaction's
/// keys must share one slot.
#[cfg(feature = "sync")]
impl<'a> Batches<'a> for &'a mut crate::cluster::ClusterConnection {
    type Output = Result<Replies, Error>;

    fn run_pipeline(self, p: &'a Pipeline) -> Self::Output {
        now(run_pipeline(self, p))
    }

    fn run_transaction(self, t: &'a Transaction) -> Self::Output {
        now(run_transaction(self, t))
    }
}

/// As on the blocking cluster connection, with every node's pipeline at once.
impl<'a, Rt: Runtime> Batches<'a> for &'a ClusterClient<Rt> {
    type Output = BatchFuture<'a>;

    fn run_pipeline(self, p: &'a Pipeline) -> Self::Output {
        Box::pin(run_pipeline(self, p))
    }

    fn run_transaction(self, t: &'a Transaction) -> Self::Output {
        Box::pin(run_transaction(self, t))
    }
}
