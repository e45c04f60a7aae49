//! Optimistic transactions: `WATCH` keys, read, queue, `EXEC`, and retry when a
//! watched key changed in between.

use redis_io_async::{Client, Connection, Runtime};
use redis_sansio::resp::ToArg;
use redis_sansio::{Cmd, RequestError};

use crate::body_ops::AsyncBody;
use crate::{Error, Replies, Transaction};

/// Runs a check-and-set transaction on the blocking connection: `WATCH keys`, then
/// `build` reads what it needs through the connection and queues commands on the
/// transaction, then `EXEC`. When another client changed a watched key meanwhile,
/// `EXEC` is aborted and the whole round (`WATCH`, `build`, `EXEC`) runs again, until
/// it commits or fails another way.
///
/// `build` returning an error, or queueing nothing, ends it without `EXEC` (and
/// with `UNWATCH`).
///
/// ```no_run
/// # fn demo(conn: &mut redis_io_sync::Connection) -> Result<(), redis_client::Error> {
/// use redis_client::prelude::*;
/// use redis_client::{cmd, watch};
///
/// watch::blocking(conn, &["balance"], |conn, tx| {
///     let balance: Option<i64> = conn.execute(cmd::get("balance").returning())?;
///     tx.set("balance", balance.unwrap_or(0) + 10);
///     Ok(())
/// })?;
/// # Ok(()) }
/// ```
#[cfg(feature = "sync")]
pub fn blocking<K: ToArg>(
    conn: &mut redis_io_sync::Connection,
    keys: &[K],
    mut build: impl FnMut(&mut redis_io_sync::Connection, &mut Transaction) -> Result<(), Error>,
) -> Result<Replies, Error> {
    loop {
        conn.request(&watch_cmd(keys))?;
        let mut transaction = Transaction::new();
        let built = build(conn, &mut transaction);
        if let Some(done) = crate::body_ops::now(finish(&mut *conn, built, &transaction)) {
            return done;
        }
    }
}

/// [`blocking`] on an async exclusive connection; `build` is an async closure.
pub async fn exclusive<Rt: Runtime, K: ToArg>(
    conn: &mut Connection<Rt>,
    keys: &[K],
    mut build: impl AsyncFnMut(&mut Connection<Rt>, &mut Transaction) -> Result<(), Error>,
) -> Result<Replies, Error> {
    loop {
        conn.request(&watch_cmd(keys)).await?;
        let mut transaction = Transaction::new();
        let built = build(conn, &mut transaction).await;
        if let Some(done) = finish(&mut *conn, built, &transaction).await {
            return done;
        }
    }
}

/// [`exclusive`] on a dedicated connection opened with the multiplexed client's
/// settings: `WATCH` belongs to a connection, and on a shared one any other caller's
/// command would interleave with it.
pub async fn multiplexed<Rt: Runtime, K: ToArg>(
    client: &Client<Rt>,
    keys: &[K],
    build: impl AsyncFnMut(&mut Connection<Rt>, &mut Transaction) -> Result<(), Error>,
) -> Result<Replies, Error> {
    let mut conn = client.dedicated().await?;
    let result = exclusive(&mut conn, keys, build).await;
    conn.close();
    result
}

fn watch_cmd<K: ToArg>(keys: &[K]) -> Cmd {
    let mut cmd = Cmd::new("WATCH");
    for key in keys {
        cmd.push_arg(key);
    }
    cmd
}

/// After `build`: `EXEC` what it queued. `None` means a watched key changed: go
/// round again.
async fn finish<B: AsyncBody>(
    mut body: B,
    built: Result<(), Error>,
    transaction: &Transaction,
) -> Option<Result<Replies, Error>> {
    if let Err(error) = built {
        // The caller's error matters more than a failed UNWATCH.
        let _ = body.request(&Cmd::new("UNWATCH")).await;
        return Some(Err(error));
    }
    if transaction.is_empty() {
        return Some(
            body.request(&Cmd::new("UNWATCH"))
                .await
                .map(|_| Replies::default()),
        );
    }
    match crate::batch::run_transaction(body, transaction).await {
        Err(Error::Request(RequestError::WatchConflict)) => None,
        done => Some(done),
    }
}
