//! The callback form of a [`Subscription`]: a handler run for each delivery by a task
//! of the runtime (a background listener), until it is stopped.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};

use redis_sansio::conn::SubscriptionKind;
use redis_sansio::resp::ToArgs;
use redis_sansio::subscribers::Delivery;

use super::{Client, Subscription};
use crate::{Error, Runtime};

/// What a [`Listening`] handle and its task share.
#[derive(Debug, Default)]
struct Flags {
    stopped: AtomicBool,
    finished: AtomicBool,
    /// The task's waker, to wake it when it is stopped.
    waker: Mutex<Option<Waker>>,
}

/// A handler running for a subscription in the background, from
/// [`Subscription::spawn_handler`] or [`Client::subscribe_with`]. Dropping it (or
/// [`stop`](Self::stop)) stops the task, which drops the subscription: its names are
/// left unless another subscription holds them.
#[derive(Debug)]
#[must_use = "dropping it stops the handler at once"]
pub struct Listening {
    flags: Arc<Flags>,
}

impl Listening {
    /// Stops the handler: no delivery is handed to it after the task sees this.
    pub fn stop(self) {}

    /// True once the task has ended: stopped, or the subscription ended (the client
    /// closed for good).
    pub fn is_finished(&self) -> bool {
        self.flags.finished.load(Ordering::Acquire)
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.flags.stopped.store(true, Ordering::Release);
        let waker = self
            .flags
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<R: Runtime> Subscription<R> {
    /// Hands each delivery (messages, and [`Delivery::Gap`] where some may be missing)
    /// to `handler`, on a task spawned with [`Runtime::spawn`], until the returned
    /// [`Listening`] is stopped or dropped, or the subscription ends (the client closed
    /// for good). The subscription is dropped then, which unsubscribes.
    pub fn spawn_handler(
        mut self,
        mut handler: impl FnMut(Delivery) + Send + 'static,
    ) -> Listening {
        let flags = Arc::new(Flags::default());
        let task = flags.clone();
        R::spawn(async move {
            poll_fn(|cx| {
                loop {
                    // The waker first, then the flag: a stop in between still wakes.
                    *task.waker.lock().unwrap_or_else(PoisonError::into_inner) =
                        Some(cx.waker().clone());
                    if task.stopped.load(Ordering::Acquire) {
                        return Poll::Ready(());
                    }
                    match self.poll_recv(cx) {
                        Poll::Ready(Some(Ok(delivery))) => handler(delivery),
                        Poll::Ready(Some(Err(_)) | None) => return Poll::Ready(()),
                        Poll::Pending => return Poll::Pending,
                    }
                }
            })
            .await;
            drop(self);
            task.finished.store(true, Ordering::Release);
        });
        Listening { flags }
    }
}

impl<R: Runtime> Client<R> {
    /// Subscribes to `channels` as [`subscribe`](Self::subscribe) does, and runs
    /// `handler` for each delivery in the background
    /// ([`Subscription::spawn_handler`]): the callback form, beside the stream.
    ///
    /// ```no_run
    /// # async fn demo<R: redis_io_async::Runtime>(client: redis_io_async::Client<R>) -> Result<(), redis_io_async::Error> {
    /// use redis_sansio::subscribers::Delivery;
    ///
    /// let listening = client
    ///     .subscribe_with("news", |delivery| {
    ///         if let Delivery::Message(message) = delivery {
    ///             println!("{:?}", message.payload);
    ///         }
    ///     })
    ///     .await?;
    /// // ... later: stop it, which unsubscribes.
    /// listening.stop();
    /// # Ok(()) }
    /// ```
    pub async fn subscribe_with<S>(
        &self,
        channels: impl ToArgs<S>,
        handler: impl FnMut(Delivery) + Send + 'static,
    ) -> Result<Listening, Error> {
        self.subscribe_to_with(SubscriptionKind::Channel, channels, handler)
            .await
    }

    /// [`subscribe_with`](Self::subscribe_with) for names of any `kind`: patterns
    /// (`PSUBSCRIBE`) or shard channels (`SSUBSCRIBE`) too.
    pub async fn subscribe_to_with<S>(
        &self,
        kind: SubscriptionKind,
        names: impl ToArgs<S>,
        handler: impl FnMut(Delivery) + Send + 'static,
    ) -> Result<Listening, Error> {
        let subscription = self.subscribe_to(kind, names).await?;
        Ok(subscription.spawn_handler(handler))
    }
}
