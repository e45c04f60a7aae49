//! Pub/sub: a connection given over to subscriptions, and the messages it receives.
//!
//! A subscribed connection cannot run ordinary commands in RESP2, and its messages
//! belong to whoever subscribed, so a subscriber owns an exclusive connection:
//! [`Subscriber`] a blocking one, [`AsyncSubscriber`] an async one on any runtime
//! (opened on its own, or [`from_client`](AsyncSubscriber::from_client) with a
//! multiplexed client's settings). Subscribing waits for the server's confirmation of
//! every channel; messages then come one at a time, in the order they were
//! published, from `next_message`, as an `Iterator` ([`Subscriber::messages`]) or as a
//! `Stream` (an `AsyncSubscriber` is one).
//!
//! The connection tracks what is subscribed ([`Subscriptions`]), in RESP3 and RESP2
//! alike. With a [`Reconnect`] policy (`with_reconnect`), a subscriber whose
//! connection is lost opens a new one and subscribes it to the same channels, patterns
//! and shard channels, then goes on delivering messages; those published while it was
//! disconnected are lost (pub/sub delivers at most once), and `reconnects()` counts
//! the times it happened. Without one, or when the policy gives up, the loss is an
//! error. Other out-of-band data (client-side caching invalidations, a shard channel
//! the server unsubscribed after its slot moved) is not a message and is skipped.
//!
//! On a Redis Cluster, use the cluster client's subscribers instead
//! ([`ClusterSubscriber`](crate::cluster::ClusterSubscriber),
//! [`AsyncClusterSubscriber`](crate::cluster::AsyncClusterSubscriber)): they put each
//! shard channel on its slot's primary and follow it when the slot moves.

#[cfg(feature = "sync")]
mod blocking;
mod exclusive;
#[cfg(feature = "sync")]
mod handlers;

use std::time::{Duration, Instant};

use redis_sansio::conn::Event;
use redis_sansio::resp::ToArgs;
use redis_sansio::supervisor::{Action, Supervisor};
use redis_sansio::{CloseReason, Cmd};

use crate::Error;

#[cfg(feature = "sync")]
pub use blocking::{Messages, Subscriber};
pub use exclusive::AsyncSubscriber;
#[cfg(feature = "sync")]
pub use handlers::ListenerThread;
pub use redis_io_async::{Listening, Subscription};
pub use redis_sansio::conn::{Message, SubscriptionKind, Subscriptions};
pub use redis_sansio::retry::Reconnect;
pub use redis_sansio::subscribers::{Delivery, Gap};

/// `name` with each of `names` as an argument: a subscribe or unsubscribe command.
fn subscription_cmd(name: &'static str, names: impl ToArgs) -> Cmd {
    let mut cmd = Cmd::new(name);
    cmd.push_all(&names);
    cmd
}

/// Tells a subscriber's supervisor that its connection closed for `closed`: true when
/// it is to be replaced, false when the loss is final (no policy, the connection is
/// not closed, the close was asked for, or the reason is a permanent one).
fn lost(supervisor: Option<&mut Supervisor>, closed: Option<&CloseReason>) -> bool {
    let (Some(supervisor), Some(reason)) = (supervisor, closed) else {
        return false;
    };
    supervisor.handle_lost(reason, Instant::now());
    supervisor.down_reason().is_none()
}

/// What a subscriber replacing its lost connection does next, as its supervisor says:
/// both subscribers run this one loop, each waiting and connecting its own way.
enum Next {
    /// Open a connection and subscribe it again, then report with [`attempted`].
    Connect,
    /// Wait until then, then report with [`waited`].
    Wait(Instant),
    /// Stop: the loss is final, for this reason.
    GiveUp(CloseReason),
}

fn next(supervisor: &mut Supervisor) -> Next {
    match supervisor.poll_action() {
        Some(Action::Connect) => Next::Connect,
        Some(Action::GiveUp(reason)) => Next::GiveUp(reason),
        _ => match (supervisor.poll_timeout(), supervisor.down_reason()) {
            (Some(at), _) => Next::Wait(at),
            (None, reason) => Next::GiveUp(reason.cloned().unwrap_or(CloseReason::Eof)),
        },
    }
}

/// The wait of [`Next::Wait`] until `at` is over.
fn waited(supervisor: &mut Supervisor, at: Instant) {
    supervisor.handle_timeout(Instant::now().max(at));
}

/// The attempt of [`Next::Connect`] ended: `Ok` with the new connection subscribed
/// again, or the error that stopped it, whose refusal ([`Error::refusal`]: the
/// handshake's, or a subscription refused for want of permission) the supervisor
/// judges.
fn attempted<C>(supervisor: &mut Supervisor, result: &Result<C, Error>) {
    let now = Instant::now();
    match result {
        Ok(_) => supervisor.handle_connected(now),
        Err(error) => supervisor.handle_connect_failed(error.refusal().as_ref(), now),
    }
}

/// When a wait of `timeout` (`None`: unbounded) that starts now ends.
fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.map(from_now)
}

/// When a wait of `wait` that starts now ends (a wait too long for the clock is cut
/// to [`LONGEST_WAIT`](redis_sansio::deadline::LONGEST_WAIT)).
pub(crate) fn from_now(wait: Duration) -> Instant {
    redis_sansio::deadline::after(Instant::now(), wait)
}

/// What is left until `deadline`: the timeout for the next wait, so that events that
/// are not messages do not extend a `next_message` past its timeout.
fn remaining(deadline: Option<Instant>) -> Option<Duration> {
    deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()))
}

/// The next item of a blocking subscriber's messages iterator, which ends after its
/// first error: `next` waits for the next message.
#[cfg(feature = "sync")]
pub(crate) fn next_item(
    failed: &mut bool,
    next: impl FnOnce() -> Result<Option<Message>, crate::Error>,
) -> Option<Result<Message, crate::Error>> {
    if *failed {
        return None;
    }
    match next() {
        Ok(message) => message.map(Ok),
        Err(error) => {
            *failed = true;
            Some(Err(error))
        }
    }
}

/// The message an event carries, if it is one.
fn message_of(event: Event) -> Option<Message> {
    match event {
        Event::Message(message) => Some(message),
        _ => None,
    }
}

/// The subscription methods, the same on both subscribers: `$($await)*` is `.await`
/// on the async one and nothing on the blocking one.
macro_rules! subscription_methods {
    ($($async:ident)?, $($await:tt)*) => {
        /// Subscribes to `channels` (`SUBSCRIBE`) and waits until the server has
        /// confirmed each.
        pub $($async)? fn subscribe(&mut self, channels: impl crate::ToArgs) -> Result<(), Error> {
            self.run(subscription_cmd("SUBSCRIBE", channels)) $($await)*
        }

        /// Subscribes to the channels matching each of `patterns` (`PSUBSCRIBE`).
        pub $($async)? fn psubscribe(&mut self, patterns: impl crate::ToArgs) -> Result<(), Error> {
            self.run(subscription_cmd("PSUBSCRIBE", patterns)) $($await)*
        }

        /// Subscribes to shard channels (`SSUBSCRIBE`, Redis 7).
        pub $($async)? fn ssubscribe(&mut self, channels: impl crate::ToArgs) -> Result<(), Error> {
            self.run(subscription_cmd("SSUBSCRIBE", channels)) $($await)*
        }

        /// Leaves `channels`, or every channel when `channels` is empty (`()`)
        /// (`UNSUBSCRIBE`).
        pub $($async)? fn unsubscribe(&mut self, channels: impl crate::ToArgs) -> Result<(), Error> {
            self.run(subscription_cmd("UNSUBSCRIBE", channels)) $($await)*
        }

        /// Leaves `patterns`, or every pattern when it is empty (`PUNSUBSCRIBE`).
        pub $($async)? fn punsubscribe(&mut self, patterns: impl crate::ToArgs) -> Result<(), Error> {
            self.run(subscription_cmd("PUNSUBSCRIBE", patterns)) $($await)*
        }

        /// Leaves shard `channels`, or every shard channel when it is empty
        /// (`SUNSUBSCRIBE`).
        pub $($async)? fn sunsubscribe(&mut self, channels: impl crate::ToArgs) -> Result<(), Error> {
            self.run(subscription_cmd("SUNSUBSCRIBE", channels)) $($await)*
        }

        /// `PING`, allowed while subscribed: checks that the connection is alive.
        pub $($async)? fn ping(&mut self) -> Result<(), Error> {
            self.run(Cmd::new("PING")) $($await)*
        }

        /// Replaces the connection when it is lost, as `policy` says, subscribed to
        /// what the old one was (see [the module docs](super)); without this, a loss
        /// is an error (and ends the iterator or stream). The wait between attempts
        /// counts against `next_message`'s timeout; an attempt in progress is bounded
        /// by the connect timeout. What to do and when is the core's
        /// [`Supervisor`](redis_sansio::supervisor::Supervisor)'s: a refusal no attempt
        /// can change (a wrong password, a subscription the user may not make) ends
        /// the attempts at once with that error; a full or loading server is retried.
        pub fn with_reconnect(mut self, policy: Reconnect) -> Self {
            self.supervisor = Some(redis_sansio::supervisor::Supervisor::new(policy));
            self
        }

        /// How many times the connection was lost and replaced.
        pub fn reconnects(&self) -> u64 {
            self.reconnects
        }

        /// What the connection is subscribed to, as the server confirmed it.
        pub fn subscriptions(&self) -> &Subscriptions {
            self.conn.core().subscriptions()
        }
    };
}

use subscription_methods;
