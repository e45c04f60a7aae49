//! Cursor iteration: `SCAN`, `SSCAN`, `HSCAN` and `ZSCAN` as an `Iterator` on the
//! blocking connection and a `Stream` on async ones.

use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use redis_io_async::{Client, Connection, ExclusiveRequest, Request, Runtime};
use redis_sansio::Cmd;
use redis_sansio::resp::{Frame, ToArg};

use crate::{Error, FromReply};

/// A cursor scan to run: which command, its `MATCH`, `COUNT` and `TYPE`, and what
/// each element is read as (`T`).
///
/// Each element comes once per scan for elements present from start to end
/// (Redis's guarantee); elements added or removed meanwhile may or may not appear,
/// and a `SCAN` over a rehashing keyspace may repeat one.
///
/// ```no_run
/// # fn demo(conn: &mut redis_io_sync::Connection) -> Result<(), redis_client::Error> {
/// use redis_client::Scan;
///
/// for key in Scan::keys().pattern("user:*").count(500).iter(conn) {
///     let key = key?; // Bytes
/// }
/// let fields: Vec<(String, String)> = Scan::hash("user:1")
///     .returning()
///     .iter(conn)
///     .collect::<Result<_, _>>()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Scan<T> {
    /// The command and its key, before the cursor.
    head: Cmd,
    /// `MATCH`, `COUNT` and `TYPE`, after the cursor.
    options: Cmd,
    item: PhantomData<fn() -> T>,
}

impl Scan<Bytes> {
    /// `SCAN`: the keys of the selected database.
    pub fn keys() -> Self {
        Scan::with_head(Cmd::new("SCAN"))
    }

    /// `SSCAN key`: the members of a set.
    pub fn set(key: impl ToArg) -> Self {
        Scan::with_head(Cmd::new("SSCAN").arg(key))
    }
}

impl Scan<(Bytes, Bytes)> {
    /// `HSCAN key`: the (field, value) pairs of a hash.
    pub fn hash(key: impl ToArg) -> Self {
        Scan::with_head(Cmd::new("HSCAN").arg(key))
    }
}

impl Scan<(Bytes, f64)> {
    /// `ZSCAN key`: the (member, score) pairs of a sorted set.
    pub fn sorted_set(key: impl ToArg) -> Self {
        Scan::with_head(Cmd::new("ZSCAN").arg(key))
    }
}

impl<T> Scan<T> {
    fn with_head(head: Cmd) -> Self {
        Scan {
            head,
            options: Cmd::default(),
            item: PhantomData,
        }
    }

    /// `MATCH pattern`: only elements matching the glob-style pattern (filtered by
    /// the server after fetching, so pages may come back empty).
    pub fn pattern(mut self, pattern: impl ToArg) -> Self {
        self.options.push_arg("MATCH");
        self.options.push_arg(pattern);
        self
    }

    /// `COUNT n`: how much work the server does per page (a hint, default 10).
    pub fn count(mut self, count: impl crate::args::Integer) -> Self {
        self.options.push_arg("COUNT");
        self.options.push_arg(count);
        self
    }

    /// `TYPE type`: only keys of this type (`string`, `list`, `hash`, ...); `SCAN` only.
    pub fn type_(mut self, type_: impl ToArg) -> Self {
        self.options.push_arg("TYPE");
        self.options.push_arg(type_);
        self
    }

    /// The same scan, each element read as `U` instead.
    pub fn returning<U: FromReply>(self) -> Scan<U> {
        Scan {
            head: self.head,
            options: self.options,
            item: PhantomData,
        }
    }
}

impl<T: FromReply> Scan<T> {
    /// An `Iterator` over the elements, fetching pages from the blocking connection
    /// as it goes. A failed fetch is yielded as an `Err`, after which it ends.
    #[cfg(feature = "sync")]
    pub fn iter(self, conn: &mut redis_io_sync::Connection) -> ScanIter<'_, T> {
        ScanIter {
            conn,
            state: ScanState::new(self),
        }
    }

    /// A `Stream` over the elements, fetching pages from an async exclusive
    /// connection or multiplexed client.
    pub fn stream<'a, B: ScanBody<'a>>(self, body: B) -> ScanStream<'a, B, T> {
        ScanStream {
            body: Fetching::Idle(body),
            state: ScanState::new(self),
        }
    }
}

/// Where a scan is: the cursor, the page being handed out, whether it is over.
#[derive(Debug)]
pub(crate) struct ScanState<T> {
    scan: Scan<T>,
    cursor: u64,
    pub(crate) items: VecDeque<T>,
    finished: bool,
}

impl<T: FromReply> ScanState<T> {
    pub(crate) fn new(scan: Scan<T>) -> Self {
        ScanState {
            scan,
            cursor: 0,
            items: VecDeque::new(),
            finished: false,
        }
    }

    /// The cursor of the next page.
    pub(crate) fn cursor(&self) -> u64 {
        self.cursor
    }

    /// Whether the scan is over.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    /// The command for the next page, unless the scan is over.
    pub(crate) fn next_cmd(&self) -> Option<Cmd> {
        if self.finished {
            return None;
        }
        let mut cmd = self.scan.head.clone();
        cmd.push_arg(self.cursor);
        cmd.extend_from(&self.scan.options);
        Some(cmd)
    }

    /// Files a page (`[next cursor, [elements...]]`); cursor `0` ends the scan.
    pub(crate) fn handle_page(&mut self, page: Result<Frame, Error>) -> Result<(), Error> {
        let items = self.take_page(page)?;
        self.items.extend(items);
        Ok(())
    }

    /// Reads a page and moves the cursor on; an error ends the scan.
    pub(crate) fn take_page(&mut self, page: Result<Frame, Error>) -> Result<Vec<T>, Error> {
        let (cursor, items) = page
            .and_then(<(u64, Vec<T>)>::from_reply)
            .inspect_err(|_| {
                self.finished = true;
            })?;
        self.finished = cursor == 0;
        self.cursor = cursor;
        Ok(items)
    }
}

/// The blocking [`Scan`] iterator, from [`Scan::iter`].
#[cfg(feature = "sync")]
#[derive(Debug)]
pub struct ScanIter<'a, T> {
    conn: &'a mut redis_io_sync::Connection,
    state: ScanState<T>,
}

#[cfg(feature = "sync")]
impl<T: FromReply> Iterator for ScanIter<'_, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.state.items.pop_front() {
                return Some(Ok(item));
            }
            let cmd = self.state.next_cmd()?;
            let page = self.conn.request(&cmd);
            if let Err(error) = self.state.handle_page(page) {
                return Some(Err(error));
            }
        }
    }
}

/// An async body a [`ScanStream`] fetches pages from: `&mut Connection` or `&Client`.
pub trait ScanBody<'a>: Sized {
    /// The future of one page.
    type Fetch: Future<Output = Result<Frame, Error>> + Unpin;

    /// Sends `cmd`, giving up the body until the page is in.
    fn fetch(self, cmd: &Cmd) -> Self::Fetch;

    /// The body back from a finished (or abandoned) fetch.
    fn reclaim(fetch: Self::Fetch) -> Self;
}

impl<'a, Rt: Runtime> ScanBody<'a> for &'a mut Connection<Rt> {
    type Fetch = ExclusiveRequest<'a, Rt>;

    fn fetch(self, cmd: &Cmd) -> Self::Fetch {
        self.request(cmd)
    }

    fn reclaim(fetch: Self::Fetch) -> Self {
        fetch.into_connection()
    }
}

impl<'a, Rt: Runtime> ScanBody<'a> for &'a Client<Rt> {
    type Fetch = ClientFetch<'a, Rt>;

    fn fetch(self, cmd: &Cmd) -> Self::Fetch {
        ClientFetch {
            client: self,
            request: self.request(cmd),
        }
    }

    fn reclaim(fetch: Self::Fetch) -> Self {
        fetch.client
    }
}

/// A page being fetched through a multiplexed client, keeping the client at hand.
#[derive(Debug)]
pub struct ClientFetch<'a, Rt: Runtime> {
    client: &'a Client<Rt>,
    request: Request,
}

impl<Rt: Runtime> Future for ClientFetch<'_, Rt> {
    type Output = Result<Frame, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().request).poll(cx)
    }
}

enum Fetching<'a, B: ScanBody<'a>> {
    Idle(B),
    Waiting(B::Fetch),
    /// Only while switching between the two.
    Moving,
}

/// The async [`Scan`] stream, from [`Scan::stream`]. Dropping it mid-page is safe:
/// the page's reply is discarded by the connection.
pub struct ScanStream<'a, B: ScanBody<'a>, T> {
    body: Fetching<'a, B>,
    state: ScanState<T>,
}

/// Nothing in a scan stream is pinned in place: the page future is `Unpin`.
impl<'a, B: ScanBody<'a>, T> Unpin for ScanStream<'a, B, T> {}

impl<'a, B: ScanBody<'a>, T: FromReply> Stream for ScanStream<'a, B, T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.state.items.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match std::mem::replace(&mut this.body, Fetching::Moving) {
                Fetching::Idle(body) => match this.state.next_cmd() {
                    Some(cmd) => this.body = Fetching::Waiting(body.fetch(&cmd)),
                    None => {
                        this.body = Fetching::Idle(body);
                        return Poll::Ready(None);
                    }
                },
                Fetching::Waiting(mut fetch) => match Pin::new(&mut fetch).poll(cx) {
                    Poll::Pending => {
                        this.body = Fetching::Waiting(fetch);
                        return Poll::Pending;
                    }
                    Poll::Ready(page) => {
                        this.body = Fetching::Idle(B::reclaim(fetch));
                        if let Err(error) = this.state.handle_page(page) {
                            return Poll::Ready(Some(Err(error)));
                        }
                    }
                },
                Fetching::Moving => return Poll::Ready(None),
            }
        }
    }
}

impl<'a, B: ScanBody<'a>, T> std::fmt::Debug for ScanStream<'a, B, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanStream")
            .field("cursor", &self.state.cursor)
            .field("buffered", &self.state.items.len())
            .field("finished", &self.state.finished)
            .finish_non_exhaustive()
    }
}
