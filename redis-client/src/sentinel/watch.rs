//! Watching a sentinel's `+switch-master` announcements, so that a client follows a
//! failover as soon as the sentinels agree on it rather than when the old master is
//! demoted (which closes its clients' connections, seconds later).
//!
//! The watch is a subscribed connection to one sentinel. The blocking client looks
//! at it between commands ([`BlockingWatch`]); the multiplexed client runs a task on
//! it. Either way the watch is best effort: it never fails a command, and a sentinel
//! that cannot be reached is tried again later (the next one in the list).

use std::time::{Duration, Instant};

use redis_sansio::Cmd;
use redis_sansio::config::ServerAddr;
use redis_sansio::conn::Message;
use redis_sansio::sentinel::{Follower, SWITCH_MASTER_CHANNEL, SwitchMaster};

use super::SentinelConfig;

/// How long a watch that could not be opened waits before the next sentinel is tried.
pub(crate) const REOPEN_INTERVAL: Duration = Duration::from_secs(2);

/// The subscription a watch makes.
pub(crate) fn subscribe_cmd() -> Cmd {
    Cmd::new("SUBSCRIBE").arg(SWITCH_MASTER_CHANNEL)
}

/// The sentinel a watch's `attempt`th opening tries: each in turn.
pub(crate) fn sentinel_to_watch(config: &SentinelConfig, attempt: usize) -> Option<ServerAddr> {
    let sentinels = config.sentinels();
    (!sentinels.is_empty()).then(|| sentinels[attempt % sentinels.len()].clone())
}

/// Hands `message` to the follower if it is a `+switch-master` announcement; true
/// when the follower acts on it (another master than the one in use: the sentinel
/// that announced it is the one to ask first).
pub(crate) fn hear(follower: &mut Follower, message: &Message, now: Instant) -> bool {
    message.channel == SWITCH_MASTER_CHANNEL.as_bytes()
        && SwitchMaster::parse(&message.payload)
            .is_some_and(|switch| follower.handle_announcement(&switch, now))
}

#[cfg(feature = "sync")]
pub(crate) use blocking::BlockingWatch;

#[cfg(feature = "sync")]
mod blocking {
    use std::time::{Duration, Instant};

    use redis_io_sync::Connection;
    use redis_sansio::config::ServerAddr;
    use redis_sansio::conn::Event;
    use redis_sansio::sentinel::Follower;

    use super::{REOPEN_INTERVAL, hear, sentinel_to_watch, subscribe_cmd};
    use crate::sentinel::SentinelConfig;

    /// How often, at most, the blocking client looks at its watch: a look is a
    /// non-blocking read, cheap but not free.
    const CHECK_INTERVAL: Duration = Duration::from_millis(100);

    /// The most announcements taken in one look.
    const EVENTS_PER_CHECK: usize = 64;

    /// The blocking client's watch, looked at between commands.
    #[derive(Debug, Default)]
    pub(crate) struct BlockingWatch {
        /// The subscribed connection and the sentinel it is to.
        watching: Option<(Connection, ServerAddr)>,
        next_check: Option<Instant>,
        next_open: Option<Instant>,
        opened: usize,
    }

    impl BlockingWatch {
        /// Before a command: takes what the watched sentinel announced since the last
        /// look (looking at most every [`CHECK_INTERVAL`], and opening the watch first
        /// if it is not open), hands it to `follower`, and returns the sentinel that
        /// announced a new master the follower acted on, if one did. Never fails.
        pub(crate) fn switched(
            &mut self,
            config: &SentinelConfig,
            follower: &mut Follower,
        ) -> Option<ServerAddr> {
            let now = Instant::now();
            if self.next_check.is_some_and(|next| now < next) {
                return None;
            }
            self.next_check = Some(now + CHECK_INTERVAL);
            if self
                .watching
                .as_ref()
                .is_none_or(|(conn, _)| conn.close_reason().is_some())
            {
                self.watching = None;
                if self.next_open.is_some_and(|next| now < next) {
                    return None;
                }
                self.next_open = Some(now + REOPEN_INTERVAL);
                self.watching = self.open(config);
            }
            let (conn, sentinel) = self.watching.as_mut()?;
            conn.probe();
            let mut switched = false;
            for _ in 0..EVENTS_PER_CHECK {
                match conn.next_event(Some(Duration::ZERO)) {
                    Ok(Some(Event::Message(message))) => {
                        switched |= hear(follower, &message, now);
                    }
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                }
            }
            switched.then(|| sentinel.clone())
        }

        /// Subscribes on the next sentinel in turn.
        fn open(&mut self, config: &SentinelConfig) -> Option<(Connection, ServerAddr)> {
            let sentinel = sentinel_to_watch(config, self.opened)?;
            self.opened += 1;
            let mut conn =
                Connection::connect(config.sentinel_connection(sentinel.clone())).ok()?;
            conn.request(&subscribe_cmd()).ok()?;
            Some((conn, sentinel))
        }
    }
}
