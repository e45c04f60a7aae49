//! A cursor scan one page at a time, the body handed back between pages.

use std::future::Future;

use redis_sansio::resp::Frame;

use crate::scan::ScanState;
use crate::{Error, Executor, FromReply, Scan, TypedCmd};

/// A [`Scan`] fetched a page at a time: between two pages the caller has the body
/// back, to pipeline work on the page's elements (`TYPE` and `TTL` of each key, say)
/// before asking for the next. From [`Scan::pages`].
///
/// ```no_run
/// # fn demo(conn: &mut redis_io_sync::Connection) -> Result<(), redis_client::Error> {
/// use redis_client::prelude::*;
/// use redis_client::{Bytes, Pipeline, Scan};
///
/// let mut pages = Scan::keys().pattern("user:*").count(100).pages();
/// while let Some(keys) = pages.next_page(&mut *conn)? {
///     let mut pipe = Pipeline::new();
///     let kinds: Vec<_> = keys.iter().map(|key| pipe.type_(key)).collect();
///     let mut replies = pipe.run(&mut *conn)?;
///     for (key, kind) in keys.iter().zip(kinds) {
///         let _kind: String = replies.take(kind)?;
///         let _key: &Bytes = key;
///     }
/// }
/// # Ok(()) }
/// ```
///
/// A page may be empty (`MATCH` and `TYPE` filter after the server has fetched);
/// only `None` says the scan is over. After an error the scan is over too.
#[derive(Debug)]
#[must_use = "fetch pages with next_page or next_page_async"]
pub struct ScanPages<T> {
    state: ScanState<T>,
}

impl<T: FromReply> Scan<T> {
    /// This scan a page at a time, with the body given back between pages (see
    /// [`ScanPages`]).
    pub fn pages(self) -> ScanPages<T> {
        ScanPages {
            state: ScanState::new(self),
        }
    }
}

impl<T: FromReply> ScanPages<T> {
    /// Fetches the next page through a blocking body (a connection, a pool's guard, a
    /// cluster or sentinel connection): its elements, or `None` once the scan is over.
    pub fn next_page<'a, B>(&mut self, body: B) -> Result<Option<Vec<T>>, Error>
    where
        B: Executor<'a, Ret<Frame> = Result<Frame, Error>>,
    {
        let Some(cmd) = self.state.next_cmd() else {
            return Ok(None);
        };
        let page = body.execute(TypedCmd::<Frame>::new(cmd));
        self.state.take_page(page).map(Some)
    }

    /// Fetches the next page through an async body (an exclusive connection, a
    /// multiplexed client, a pool's guard, a cluster client): its elements, or `None`
    /// once the scan is over.
    pub async fn next_page_async<'a, B>(&mut self, body: B) -> Result<Option<Vec<T>>, Error>
    where
        B: Executor<'a>,
        B::Ret<Frame>: Future<Output = Result<Frame, Error>>,
    {
        let Some(cmd) = self.state.next_cmd() else {
            return Ok(None);
        };
        let page = body.execute(TypedCmd::<Frame>::new(cmd)).await;
        self.state.take_page(page).map(Some)
    }

    /// The cursor the next page is asked with (`0` before the first page).
    pub fn cursor(&self) -> u64 {
        self.state.cursor()
    }

    /// Whether the scan is over: the server said cursor `0`, or a fetch failed.
    pub fn is_finished(&self) -> bool {
        self.state.is_finished()
    }
}
