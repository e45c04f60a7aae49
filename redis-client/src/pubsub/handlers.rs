//! The callback form of the blocking [`Subscriber`]: a handler per subscription,
//! routed by the core's [`SubscriberBook`], and a background thread that dispatches.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use redis_sansio::Cmd;
use redis_sansio::resp::ToArgs;
use redis_sansio::subscribers::{Delivery, ListenerId, SubscriberBook};

use super::{Message, Subscriber, SubscriptionKind};
use crate::Error;

/// A handler of deliveries.
type Handler = Box<dyn FnMut(Delivery) + Send>;

/// The handlers of a [`Subscriber`]: who listens to what (the core's book) and each
/// listener's handler.
#[derive(Default)]
pub(super) struct Handlers {
    book: SubscriberBook,
    handlers: HashMap<ListenerId, Handler>,
    /// The subscriber's reconnects the handlers were told of.
    reconnects_seen: u64,
}

impl fmt::Debug for Handlers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handlers")
            .field("book", &self.book)
            .field("reconnects_seen", &self.reconnects_seen)
            .finish_non_exhaustive()
    }
}

impl Handlers {
    /// Hands whatever the book queued for each of `ids` to its handler.
    fn run(&mut self, ids: &[ListenerId]) {
        for id in ids {
            let Some(handler) = self.handlers.get_mut(id) else {
                continue;
            };
            while let Ok(Some(delivery)) = self.book.poll(*id) {
                handler(delivery);
            }
        }
    }
}

/// How long the background listener waits for a message before it looks whether it
/// was stopped.
const LISTENER_POLL: Duration = Duration::from_millis(50);

impl Subscriber {
    /// Subscribes to `channels` (`SUBSCRIBE`) and registers `handler` for their
    /// messages: [`dispatch`](Self::dispatch) or the thread of
    /// [`run_in_thread`](Self::run_in_thread) hands each to it, and a
    /// [`Delivery::Gap`] after the connection was replaced. Many handlers may name one
    /// channel: each gets every message.
    pub fn subscribe_with(
        &mut self,
        channels: impl ToArgs,
        handler: impl FnMut(Delivery) + Send + 'static,
    ) -> Result<(), Error> {
        self.subscribe_to_with(SubscriptionKind::Channel, channels, handler)
    }

    /// [`subscribe_with`](Self::subscribe_with) for names of any `kind`: patterns
    /// (`PSUBSCRIBE`) or shard channels (`SSUBSCRIBE`) too.
    pub fn subscribe_to_with(
        &mut self,
        kind: SubscriptionKind,
        names: impl ToArgs,
        handler: impl FnMut(Delivery) + Send + 'static,
    ) -> Result<(), Error> {
        let mut all = Cmd::new(kind.subscribe_command());
        all.push_all(&names);
        let names = all.args().skip(1).map(bytes::Bytes::copy_from_slice);
        let (id, cmd) = self.handlers.book.add(kind, names)?;
        if let Some(cmd) = cmd {
            if let Err(error) = self.run(cmd) {
                self.handlers.book.remove(id);
                return Err(error);
            }
        }
        self.handlers.handlers.insert(id, Box::new(handler));
        Ok(())
    }

    /// Waits at most `timeout` for the next message and hands it to the handlers of
    /// its channel (or pattern). `Ok(Some(message))` when no handler takes it (it came
    /// for a plain [`subscribe`](Self::subscribe)); `Ok(None)` when handlers took it or
    /// the time ran out. Once the connection was replaced, every handler first gets
    /// [`Delivery::Gap`]. Fails as [`next_message`](Self::next_message) does.
    pub fn dispatch(&mut self, timeout: Option<Duration>) -> Result<Option<Message>, Error> {
        let message = self.next_message(timeout);
        if self.reconnects != self.handlers.reconnects_seen {
            self.handlers.reconnects_seen = self.reconnects;
            let mut ids = Vec::new();
            self.handlers.book.handle_reconnected(|id| ids.push(id));
            self.handlers.run(&ids);
        }
        let Some(message) = message? else {
            return Ok(None);
        };
        let mut ids = Vec::new();
        self.handlers
            .book
            .handle_message(message.clone(), |id| ids.push(id));
        if ids.is_empty() {
            return Ok(Some(message));
        }
        self.handlers.run(&ids);
        Ok(None)
    }

    /// Dispatches on a thread of its own (the background listener) until the returned
    /// [`ListenerThread`] is stopped, which gives the subscriber back, or the
    /// connection is lost for good. Messages no handler takes are dropped.
    pub fn run_in_thread(mut self) -> ListenerThread {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = thread::spawn(move || {
            while !stopped.load(Ordering::Acquire) {
                self.dispatch(Some(LISTENER_POLL))?;
            }
            Ok(self)
        });
        ListenerThread { stop, thread }
    }
}

/// The thread of [`Subscriber::run_in_thread`].
#[derive(Debug)]
pub struct ListenerThread {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<Subscriber, Error>>,
}

impl ListenerThread {
    /// Stops the thread (within its poll interval, 50 ms) and gives the subscriber
    /// back, or the error that ended it earlier.
    pub fn stop(self) -> Result<Subscriber, Error> {
        self.stop.store(true, Ordering::Release);
        match self.thread.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// True once the thread has ended (the connection was lost for good).
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }
}
