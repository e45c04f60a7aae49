//! A named future that reads an adapter's reply as a Rust type.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use redis_sansio::resp::Frame;

use crate::{Error, FromReply};

/// The future an async body returns for a command: the adapter's own named future for
/// the reply ([`ExclusiveRequest`](redis_io_async::ExclusiveRequest) or
/// [`Request`](redis_io_async::Request)), read as `T` when it resolves.
///
/// It is `Send` when the adapter's future is, and dropping it is as safe as dropping
/// that future: the reply is discarded, never given to another caller.
///
/// **When the command is sent depends on the body.** On a multiplexed client
/// (`&Client`, the cluster client) the command is queued the moment the method is
/// called and goes out without the future being polled (on an idle connection the
/// call writes it itself): a future that is kept but never awaited still runs its
/// command. Dropping the future cancels a command not yet written; one already
/// written runs, and its reply is discarded. So `let a = client.incr("n"); let b =
/// client.incr("n");` adds 2 even if neither is awaited. On an exclusive connection
/// (and a pool's guard) the future drives the connection itself: nothing is written
/// before it is polled.
///
/// ```no_run
/// # async fn demo(client: &redis_io_tokio::Client) -> Result<(), redis_client::Error> {
/// use redis_client::prelude::*;
///
/// let first = client.incr("n"); // queued (and sent) now
/// let second = client.incr("n");
/// assert_eq!(client.returning::<i64>().get("n").await?, 2);
/// # drop((first, second));
/// # Ok(()) }
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct ReplyFuture<F, T> {
    inner: F,
    reply: PhantomData<fn() -> T>,
}

impl<F, T> ReplyFuture<F, T> {
    pub(crate) fn new(inner: F) -> Self {
        ReplyFuture {
            inner,
            reply: PhantomData,
        }
    }

    /// The adapter's future underneath.
    pub fn into_inner(self) -> F {
        self.inner
    }
}

impl<F, T> Future for ReplyFuture<F, T>
where
    F: Future<Output = Result<Frame, Error>> + Unpin,
    T: FromReply,
{
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let frame = ready!(Pin::new(&mut self.get_mut().inner).poll(cx));
        Poll::Ready(frame.and_then(T::from_reply))
    }
}

impl<F, T> fmt::Debug for ReplyFuture<F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyFuture")
            .field("reply", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}
