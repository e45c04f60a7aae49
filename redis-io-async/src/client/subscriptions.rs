//! Pub/sub on the multiplexed client: subscriptions that share the connection with
//! every other caller.
//!
//! Who listens to what is the core's [`SubscriberBook`], kept in [`Inner`] beside the
//! call slots; this file keeps, per listener, the waker of the [`Subscription`] that
//! waits on it, and carries out what the book says: send the `SUBSCRIBE` for names
//! that are new, the `UNSUBSCRIBE` for names whose last subscription was dropped, the
//! book's restore commands on a replacement connection.
//!
//! In RESP3 messages are pushes and the subscriptions live on the shared connection.
//! In RESP2 a subscribed connection takes no other command, so the client opens a
//! second multiplexed client of its own (the same settings and reconnect policy), used
//! only for subscriptions, the first time one is made.

use std::collections::HashMap;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use futures_core::Stream;
use redis_sansio::config::ProtocolVersion;
use redis_sansio::conn::SubscriptionKind;
use redis_sansio::resp::ToArgs;
use redis_sansio::subscribers::{Delivery, ListenerId, SubscriberBook};
use redis_sansio::{CloseReason, Cmd};

use super::driver::Driver;
use super::{Call, Client, Request, Shared};
use crate::{Error, Runtime};

/// The client's listeners: the core's book, and the waker of each listener's
/// [`Subscription`] while it waits. Kept in [`Inner`](super::Inner).
#[derive(Debug, Default)]
pub(super) struct Listeners {
    pub(super) book: SubscriberBook,
    wakers: HashMap<ListenerId, Waker>,
}

impl Listeners {
    /// A message arrived: queued for its listeners, whose wakers go to `wake`.
    pub(super) fn deliver(&mut self, message: redis_sansio::conn::Message, wake: &mut Vec<Waker>) {
        let wakers = &mut self.wakers;
        self.book
            .handle_message(message, |id| wake.extend(wakers.remove(&id)));
    }

    /// The client closed for good: every listener ends once it has taken its queue.
    pub(super) fn close(&mut self, reason: &CloseReason, wake: &mut Vec<Waker>) {
        let wakers = &mut self.wakers;
        self.book
            .handle_closed(reason.clone(), |id| wake.extend(wakers.remove(&id)));
    }
}

impl<R: Runtime> Driver<R> {
    /// A new connection replaced the lost one: subscribes it to every name that has a
    /// listener (the replies are read and dropped), then tells every listener that it
    /// may have missed messages ([`Gap::Reconnected`](redis_sansio::subscribers::Gap)).
    pub(super) fn restore_subscriptions(&mut self, shared: &Shared) {
        {
            let mut inner = shared.lock();
            if inner.listeners.book.is_empty() {
                return;
            }
            let now = Instant::now();
            for cmd in inner.listeners.book.restore_cmds() {
                // No call waits for these: their replies find no one and are dropped.
                // A refusal (the connection closed again) is met by the next loss.
                let _ = self.io.core.send_subscription(&cmd, now);
            }
            let super::Inner { listeners, .. } = &mut *inner;
            let wakers = &mut listeners.wakers;
            listeners
                .book
                .handle_reconnected(|id| self.wake.extend(wakers.remove(&id)));
        }
        self.wake_callers();
    }
}

/// What a client's subscriptions share beside the book: the second client a RESP2
/// client subscribes through (opened on first use), and the lock that keeps the
/// book's changes in the order of their commands.
pub(super) struct PubSubSide<R: Runtime> {
    client: Mutex<Option<Client<R>>>,
    /// Held from a change of the book to the queueing of the command it returned, so
    /// that the commands reach the server in the order the book changed: otherwise a
    /// `SUBSCRIBE x` of a new subscription could overtake the `UNSUBSCRIBE x` of the
    /// last one dropped just before, and the server would end unsubscribed while the
    /// book has a listener.
    order: Mutex<()>,
}

impl<R: Runtime> Default for PubSubSide<R> {
    fn default() -> Self {
        PubSubSide {
            client: Mutex::new(None),
            order: Mutex::new(()),
        }
    }
}

impl<R: Runtime> PubSubSide<R> {
    /// Closes the second client, if there is one: its subscriptions end.
    pub(super) fn close(&self) {
        let side = self
            .client
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(side) = side {
            side.close();
        }
    }
}

impl<R: Runtime> fmt::Debug for PubSubSide<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let open = self
            .client
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some();
        f.debug_struct("PubSubSide").field("open", &open).finish()
    }
}

impl<R: Runtime> Client<R> {
    /// Subscribes to `channels` (one name, or a collection of them: `"news"`,
    /// `["news", "weather"]`) (`SUBSCRIBE`) and resolves, once the server has
    /// confirmed them, to a [`Subscription`]: a `Stream` of the messages published to
    /// them. Ordinary calls go on meanwhile on the same connection.
    ///
    /// - Many subscriptions may name the same channel: the server is asked once, and
    ///   each subscription gets every message.
    /// - Dropping a subscription unsubscribes from the channels no other subscription
    ///   of this client names.
    /// - With a [`Reconnect`](super::Reconnect) policy, a replacement connection is
    ///   subscribed again, and each subscription receives
    ///   [`Delivery::Gap`] ([`Gap::Reconnected`](redis_sansio::subscribers::Gap)):
    ///   messages published in between are lost. Without one, or when the policy gives
    ///   up, the stream ends with the close reason.
    /// - In RESP2, where a subscribed connection takes no other command, the
    ///   subscriptions live on a second connection the client opens (with the same
    ///   settings and policy) the first time one is made.
    ///
    /// ```no_run
    /// # async fn demo<R: redis_io_async::Runtime>(client: redis_io_async::Client<R>) -> Result<(), redis_io_async::Error> {
    /// use redis_sansio::subscribers::Delivery;
    ///
    /// let mut news = client.subscribe("news").await?;
    /// client.request(&redis_sansio::Cmd::new("PUBLISH").arg("news").arg("hello")).await?;
    /// while let Some(delivery) = news.recv().await {
    ///     match delivery? {
    ///         Delivery::Message(message) => println!("{:?}", message.payload),
    ///         Delivery::Gap(gap) => println!("messages may be missing: {gap:?}"),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn subscribe<S>(&self, channels: impl ToArgs<S>) -> Result<Subscription<R>, Error> {
        self.subscribe_to(SubscriptionKind::Channel, channels).await
    }

    /// [`subscribe`](Self::subscribe) to the channels matching each of `patterns`
    /// (`PSUBSCRIBE`).
    pub async fn psubscribe<S>(&self, patterns: impl ToArgs<S>) -> Result<Subscription<R>, Error> {
        self.subscribe_to(SubscriptionKind::Pattern, patterns).await
    }

    /// [`subscribe`](Self::subscribe) to shard channels (`SSUBSCRIBE`, Redis 7). On a
    /// cluster the shard channels of one subscription must hash to one slot, served
    /// by this client's node.
    pub async fn ssubscribe<S>(&self, channels: impl ToArgs<S>) -> Result<Subscription<R>, Error> {
        self.subscribe_to(SubscriptionKind::Shard, channels).await
    }

    /// Subscribes to `names` of `kind`: [`subscribe`](Self::subscribe),
    /// [`psubscribe`](Self::psubscribe) or [`ssubscribe`](Self::ssubscribe).
    pub async fn subscribe_to<S>(
        &self,
        kind: SubscriptionKind,
        names: impl ToArgs<S>,
    ) -> Result<Subscription<R>, Error> {
        let mut cmd = Cmd::new(kind.subscribe_command());
        cmd.push_all(&names);
        let names: Vec<Bytes> = cmd.args().skip(1).map(Bytes::copy_from_slice).collect();
        {
            let inner = self.shared.lock();
            match &inner.closed {
                Some(reason) => return Err(Error::Closed(reason.clone())),
                None if inner.close_requested => return Err(Error::Closed(CloseReason::Local)),
                None => {}
            }
        }
        match self.shared.protocol {
            ProtocolVersion::Resp3 => self.subscribe_here(kind, names).await,
            _ => self.pubsub_side().await?.subscribe_here(kind, names).await,
        }
    }

    /// The client that holds this one's subscriptions in RESP2, opened now if need be.
    async fn pubsub_side(&self) -> Result<Client<R>, Error> {
        let open = |side: &Option<Client<R>>| side.as_ref().filter(|c| !c.is_closed()).cloned();
        let lock = || {
            self.pubsub
                .client
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if let Some(client) = open(&lock()) {
            return Ok(client);
        }
        let mut client = Client::<R>::connect(self.shared.config.clone()).await?;
        let policy = self.shared.lock().reconnect.clone();
        if let Some(policy) = policy {
            client = client.with_reconnect(policy);
        }
        let mut side = lock();
        // Another call may have opened one meanwhile: the first one stays.
        match open(&side) {
            Some(first) => Ok(first),
            None => Ok(side.insert(client).clone()),
        }
    }

    /// Registers the listener in the book, then sends the `SUBSCRIBE` for the names
    /// that are new and waits for its confirmations.
    async fn subscribe_here(
        &self,
        kind: SubscriptionKind,
        names: Vec<Bytes>,
    ) -> Result<Subscription<R>, Error> {
        let (subscription, confirmed) = {
            let _order = self
                .pubsub
                .order
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let (id, cmd) = {
                let mut inner = self.shared.lock();
                if let Some(reason) = &inner.closed {
                    return Err(Error::Closed(reason.clone()));
                }
                inner.listeners.book.add(kind, names)?
            };
            // From here, dropping it (on an error, say) leaves what it alone named.
            let subscription = Subscription {
                client: self.clone(),
                id,
                ended: false,
            };
            let confirmed = cmd.map(|cmd| self.enqueue(Call::Subscription(&cmd)));
            (subscription, confirmed)
        };
        if let Some(confirmed) = confirmed {
            Request(super::Pending::Shared(confirmed)).await?;
        }
        Ok(subscription)
    }
}

/// A subscription on a multiplexed [`Client`], from [`Client::subscribe`],
/// [`psubscribe`](Client::psubscribe) or [`ssubscribe`](Client::ssubscribe): a
/// `Stream` of [`Delivery`]s, the messages published to its channels in order, and a
/// [`Delivery::Gap`] where some may be missing (the connection was replaced, or the
/// subscription fell more than
/// [`DEFAULT_MAX_QUEUED`](redis_sansio::subscribers::DEFAULT_MAX_QUEUED) messages
/// behind).
///
/// The stream ends, after yielding `Err(Error::Closed(reason))`, when the client closes
/// for good. Dropping it unsubscribes from the names no other subscription of the
/// client holds. It keeps the client open as a handle of its own would.
pub struct Subscription<R: Runtime> {
    client: Client<R>,
    id: ListenerId,
    /// The close was yielded; the stream is over.
    ended: bool,
}

impl<R: Runtime> Subscription<R> {
    /// The next delivery, waiting as long as it takes: `None` once the stream is over.
    pub async fn recv(&mut self) -> Option<Result<Delivery, Error>> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The next delivery, if one is waiting, without waiting: `Ok(None)` when none is.
    pub fn try_recv(&mut self) -> Result<Option<Delivery>, Error> {
        if self.ended {
            return Ok(None);
        }
        let polled = self.client.shared.lock().listeners.book.poll(self.id);
        polled.map_err(|reason| {
            self.ended = true;
            Error::Closed(reason)
        })
    }

    /// [`recv`](Self::recv), polled.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Delivery, Error>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let mut stale = None;
        let polled = {
            let mut inner = self.client.shared.lock();
            let polled = inner.listeners.book.poll(self.id);
            if let Ok(None) = polled {
                let wakers = &mut inner.listeners.wakers;
                if !wakers
                    .get(&self.id)
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    stale = wakers.insert(self.id, cx.waker().clone());
                }
            }
            polled
        };
        drop(stale);
        match polled {
            Ok(Some(delivery)) => Poll::Ready(Some(Ok(delivery))),
            Ok(None) => Poll::Pending,
            Err(reason) => {
                self.ended = true;
                Poll::Ready(Some(Err(Error::Closed(reason))))
            }
        }
    }
}

impl<R: Runtime> Stream for Subscription<R> {
    type Item = Result<Delivery, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx)
    }
}

impl<R: Runtime> Drop for Subscription<R> {
    fn drop(&mut self) {
        let pubsub = self.client.pubsub.clone();
        let _order = pubsub.order.lock().unwrap_or_else(PoisonError::into_inner);
        let (leave, stale) = {
            let mut inner = self.client.shared.lock();
            let stale = inner.listeners.wakers.remove(&self.id);
            (inner.listeners.book.remove(self.id), stale)
        };
        drop(stale);
        if let Some(cmd) = leave {
            // Nobody waits for the confirmation: the driver reads and drops it.
            drop(self.client.enqueue(Call::Subscription(&cmd)));
        }
    }
}

impl<R: Runtime> fmt::Debug for Subscription<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}
