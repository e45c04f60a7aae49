//! Client-side caching as a sans-IO machine: replies of one-key reads kept in
//! memory and dropped when the server says their key changed.
//!
//! A [`Cache`] owns the replies and the rules that keep them right; the body owns the
//! connections and carries frames and events between them and the cache:
//!
//! 1. **Tracking on.** On each (re)connection, send [`Cache::tracking_cmd`]
//!    (`CLIENT TRACKING on ...`) on the data connection, before any read, then call
//!    [`Cache::handle_tracking_on`]. In RESP3 the invalidations come as pushes on
//!    that connection. In RESP2 open a second connection, `SUBSCRIBE`
//!    [`INVALIDATE_CHANNEL`] on it, and pass its `CLIENT ID` as the redirect.
//!    Until tracking is on, every read bypasses the cache.
//! 2. **Reads.** [`Cache::lookup`] before sending a command: [`Lookup::Hit`] is the
//!    reply, nothing is sent; [`Lookup::Miss`] gives a [`ReadTicket`]: send the
//!    command (after `CLIENT CACHING yes` when [`ReadTicket::optin`] says so), and
//!    hand its outcome to [`Cache::handle_reply`] (or [`Cache::abandon`] the ticket
//!    when there is none); [`Lookup::Bypass`]: send it, the cache has no part.
//! 3. **Invalidations.** Every push or message from the connection that gets them
//!    goes to [`Cache::handle_push`] (it says whether it was one).
//!    [`Cache::handle_event`] takes the connection's events whole. Commands sent
//!    past the cache go to [`Cache::handle_send`]: the client's own writes drop
//!    their keys at once.
//! 4. **Loss.** When the data connection or the redirect connection closes, call
//!    [`Cache::handle_connection_lost`] before serving anything else: the server
//!    forgets the tracking and invalidations sent meanwhile are lost, so the whole
//!    cache is flushed and reads bypass it until tracking is on again.
//!
//! The rules, which the cache enforces whatever the order of calls:
//! - **The in-flight race.** A read's ticket carries the generation of its key when
//!   it was sent; an invalidation of that key (or of everything) before its reply
//!   comes moves the generation on, and the reply is then not cached
//!   ([`CacheStats::raced`]).
//! - **Null invalidations** (`FLUSHDB`, `FLUSHALL`) clear everything.
//! - **Only what the server tracks** is cached: commands the specification says are
//!   [cacheable](crate::commands::is_cacheable) (read-only, one key), error replies
//!   never, and in broadcasting mode only keys under the prefixes.
//!
//! **Bounds and eviction.** At most [`CacheConfig::max_entries`] replies and
//! [`CacheConfig::max_bytes`] bytes (each entry counts its command, key and reply
//! payload bytes plus [`ENTRY_OVERHEAD`]). When a new reply would pass either bound,
//! the least recently used entries (by hit or store) are evicted first; a reply
//! bigger than the byte bound alone is not stored. **TTL**: with
//! [`CacheConfig::ttl`], an entry is served for at most that long after it was
//! stored, a bound on staleness should an invalidation ever be lost; the server's
//! own expiry of a key sends an invalidation like any change.
//!
//! ```
//! use std::time::Instant;
//! use redis_sansio::Cmd;
//! use redis_sansio::cache::{Cache, CacheConfig, Lookup};
//! use redis_sansio::resp::Frame;
//!
//! let now = Instant::now();
//! let mut cache = Cache::new(CacheConfig::default());
//! cache.handle_tracking_on();
//! let get = Cmd::new("GET").arg("k");
//! let Lookup::Miss(ticket) = cache.lookup(&get, now) else { panic!() };
//! // ... send GET k; its reply arrives:
//! cache.handle_reply(ticket, Ok(&Frame::bulk("v")), now);
//! assert!(matches!(cache.lookup(&get, now), Lookup::Hit(Frame::BulkString(ref v)) if v == "v"));
//! // Another client writes k: the server pushes an invalidation.
//! let push = Frame::Push(vec![Frame::bulk("invalidate"), Frame::Array(vec![Frame::bulk("k")])]);
//! assert!(cache.handle_push(&push));
//! assert!(matches!(cache.lookup(&get, now), Lookup::Miss(_)));
//! ```

mod inflight;
mod store;
mod tracking;

use std::time::{Duration, Instant};

use bytes::Bytes;

pub use store::ENTRY_OVERHEAD;
pub use tracking::{INVALIDATE_CHANNEL, Invalidation, TrackingMode, caching_yes_cmd};

use crate::conn::Event;
use crate::resp::Frame;
use crate::{Cmd, RequestError, commands, deadline};
use inflight::InFlight;
use store::{Expired, Store};

/// The default [`CacheConfig::max_entries`].
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;
/// The default [`CacheConfig::max_bytes`]: 64 MiB.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

/// How a [`Cache`] is bounded and which tracking it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheConfig {
    /// The most replies kept ([`DEFAULT_MAX_ENTRIES`]).
    pub max_entries: usize,
    /// The most bytes kept, as entries count them ([`DEFAULT_MAX_BYTES`]).
    pub max_bytes: usize,
    /// How long a reply is served at most after it was stored; `None` (the default):
    /// until the server invalidates it or it is evicted.
    pub ttl: Option<Duration>,
    /// The tracking mode ([`TrackingMode::Default`]).
    pub mode: TrackingMode,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            max_entries: DEFAULT_MAX_ENTRIES,
            max_bytes: DEFAULT_MAX_BYTES,
            ttl: None,
            mode: TrackingMode::Default,
        }
    }
}

impl CacheConfig {
    /// Bounds the number of replies kept.
    pub fn max_entries(mut self, max_entries: usize) -> Self {
        self.max_entries = max_entries;
        self
    }

    /// Bounds the bytes kept.
    pub fn max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Serves a reply for at most `ttl` after it was stored.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Asks for `mode`'s tracking.
    pub fn mode(mut self, mode: TrackingMode) -> Self {
        self.mode = mode;
        self
    }
}

/// What the cache has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups of cacheable commands that were not (a ticket was handed out).
    pub misses: u64,
    /// Entries removed to stay within the bounds.
    pub evictions: u64,
    /// Entries removed because the server invalidated their key (a null
    /// invalidation counts every entry it cleared).
    pub invalidations: u64,
    /// Entries removed because their TTL passed.
    pub expirations: u64,
    /// Replies not stored because their key was invalidated while they were on the
    /// wire (the in-flight race), or the cache was flushed meanwhile.
    pub raced: u64,
    /// Whole-cache flushes for a lost connection.
    pub flushes: u64,
    /// Entries held now.
    pub entries: u64,
    /// Bytes held now, as entries count them.
    pub bytes: u64,
}

/// The answer to [`Cache::lookup`].
#[derive(Debug)]
pub enum Lookup {
    /// The cached reply: send nothing.
    Hit(Frame),
    /// Not cached: send the command, then give its outcome and this ticket to
    /// [`Cache::handle_reply`].
    Miss(ReadTicket),
    /// Not a command the cache keeps (or tracking is off): send it as usual.
    Bypass,
}

/// A read on its way to the server whose reply the cache may keep. Hand it back once,
/// to [`Cache::handle_reply`] or [`Cache::abandon`]; a ticket dropped instead leaves
/// its key counted as in flight until the next flush, which costs only memory.
#[derive(Debug)]
#[must_use = "hand the ticket back with handle_reply or abandon"]
pub struct ReadTicket {
    cmd: Bytes,
    key: Bytes,
    generation: u64,
    epoch: u64,
    optin: bool,
}

impl ReadTicket {
    /// True when [`caching_yes_cmd`] (`CLIENT CACHING yes`) must go right before the
    /// read, on the same connection ([`TrackingMode::OptIn`]).
    pub fn optin(&self) -> bool {
        self.optin
    }

    /// The key whose invalidation the reply waits on.
    pub fn key(&self) -> &[u8] {
        &self.key
    }
}

/// A client-side cache: see the [module](self) for how a body drives it.
#[derive(Debug)]
pub struct Cache {
    config: CacheConfig,
    store: Store,
    in_flight: InFlight,
    /// Moves on at every flush: tickets of an older epoch are refused.
    epoch: u64,
    /// True from `handle_tracking_on` until the connection is lost.
    tracking: bool,
    stats: CacheStats,
}

impl Cache {
    /// An empty cache, tracking off until [`handle_tracking_on`](Self::handle_tracking_on).
    pub fn new(config: CacheConfig) -> Self {
        Cache {
            config,
            store: Store::new(),
            in_flight: InFlight::default(),
            epoch: 0,
            tracking: false,
            stats: CacheStats::default(),
        }
    }

    // ---- getters ----------------------------------------------------------------

    /// The configuration.
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// The counters, with the entries and bytes held now.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            entries: self.store.len() as u64,
            bytes: self.store.bytes() as u64,
            ..self.stats
        }
    }

    /// How many replies are held.
    pub fn len(&self) -> usize {
        self.store.len()
    }

    /// True when no reply is held.
    pub fn is_empty(&self) -> bool {
        self.store.len() == 0
    }

    /// True between [`handle_tracking_on`](Self::handle_tracking_on) and the next
    /// loss: only then are replies served and stored.
    pub fn is_tracking(&self) -> bool {
        self.tracking
    }

    /// Whether `now` matters to [`lookup`](Self::lookup) and
    /// [`handle_reply`](Self::handle_reply): only with a [`CacheConfig::ttl`]. Without
    /// one, a body may pass any instant (an old one it kept) and spare a read of the
    /// clock per hit.
    pub fn needs_clock(&self) -> bool {
        self.config.ttl.is_some()
    }

    /// How many keys have reads on the wire.
    pub fn keys_in_flight(&self) -> usize {
        self.in_flight.keys()
    }

    /// The `CLIENT TRACKING on` command to send on the data connection after each
    /// (re)connection, with `REDIRECT id` for a RESP2 invalidation connection.
    pub fn tracking_cmd(&self, redirect: Option<i64>) -> Cmd {
        self.config.mode.tracking_cmd(redirect)
    }

    // ---- application calls --------------------------------------------------------

    /// Looks `cmd` up before it is sent: the cached reply, a ticket for a read to
    /// send, or `Bypass` for a command the cache does not keep. A hit allocates
    /// nothing for a string reply (the payload is shared).
    pub fn lookup(&mut self, cmd: &Cmd, now: Instant) -> Lookup {
        if !self.tracking {
            return Lookup::Bypass;
        }
        let bytes = cmd.arg_buf().as_bytes();
        match self.store.get(bytes, now) {
            Ok(Some(reply)) => {
                self.stats.hits += 1;
                return Lookup::Hit(reply.clone());
            }
            Ok(None) => {}
            Err(Expired) => self.stats.expirations += 1,
        }
        self.begin_read(cmd)
    }

    /// A ticket for a read of `cmd`, without looking the cache up (a caller that
    /// wants a fresh reply, and the cache to keep it); `Bypass` as in
    /// [`lookup`](Self::lookup).
    pub fn begin_read(&mut self, cmd: &Cmd) -> Lookup {
        if !self.tracking || !commands::is_cacheable(cmd) {
            return Lookup::Bypass;
        }
        let mut key: Option<&[u8]> = None;
        commands::for_each_key(cmd, |_, found| {
            key.get_or_insert(found);
        });
        let Some(key) = key.filter(|key| self.config.mode.tracks(key)) else {
            return Lookup::Bypass;
        };
        let key = Bytes::copy_from_slice(key);
        self.stats.misses += 1;
        Lookup::Miss(ReadTicket {
            cmd: Bytes::copy_from_slice(cmd.arg_buf().as_bytes()),
            generation: self.in_flight.begin(&key),
            key,
            epoch: self.epoch,
            optin: self.config.mode == TrackingMode::OptIn,
        })
    }

    // ---- inputs -------------------------------------------------------------------

    /// The outcome of a read the cache handed a ticket for. Stores a reply that is
    /// not an error, unless its key (or everything) was invalidated since the read
    /// was sent. Returns whether it was stored.
    pub fn handle_reply(
        &mut self,
        ticket: ReadTicket,
        outcome: Result<&Frame, &RequestError>,
        now: Instant,
    ) -> bool {
        if ticket.epoch != self.epoch {
            self.stats.raced += 1;
            return false;
        }
        let unchanged = self.in_flight.finish(&ticket.key, ticket.generation);
        let reply = match outcome {
            Ok(reply) if !is_error(reply) => reply,
            _ => return false,
        };
        if !unchanged || !self.tracking {
            self.stats.raced += 1;
            return false;
        }
        let size = store::entry_size(&ticket.cmd, &ticket.key, reply);
        let expires = self.config.ttl.map(|ttl| deadline::after(now, ttl));
        self.stats.evictions += self.store.insert(
            ticket.cmd,
            ticket.key,
            reply.clone(),
            size,
            expires,
            self.config.max_entries,
            self.config.max_bytes,
        );
        true
    }

    /// A read whose outcome will not come (it was never sent, or its waiter is gone
    /// and its reply will be dropped).
    pub fn abandon(&mut self, ticket: ReadTicket) {
        if ticket.epoch == self.epoch {
            self.in_flight.finish(&ticket.key, ticket.generation);
        }
    }

    /// A push or message from the connection that gets the invalidations: applied
    /// when it is one (returns true), ignored otherwise.
    pub fn handle_push(&mut self, frame: &Frame) -> bool {
        match Invalidation::from_frame(frame) {
            Some(invalidation) => {
                self.handle_invalidation(&invalidation);
                true
            }
            None => false,
        }
    }

    /// An event of the data connection (or of the RESP2 redirect connection): an
    /// invalidation push is applied and consumed (true); [`Event::Closed`] flushes
    /// as [`handle_connection_lost`](Self::handle_connection_lost) does and is left
    /// for the body too (false), as is everything else.
    pub fn handle_event(&mut self, event: &Event) -> bool {
        match event {
            Event::Push(frame) => self.handle_push(frame),
            Event::Closed(_) => {
                self.handle_connection_lost();
                false
            }
            _ => false,
        }
    }

    /// A command is being sent on the data connection: a write drops the entries of
    /// the keys it names at once (and keeps replies of reads already on the wire for
    /// them out of the cache), without waiting for the server's invalidation, which
    /// for the client's own writes comes after the write's reply. A write that names
    /// no key or may touch any (`FLUSHALL`, `SWAPDB`) flushes everything. Reads and
    /// other commands change nothing.
    pub fn handle_send(&mut self, cmd: &Cmd) {
        let Some(info) = commands::info_of(cmd) else {
            return;
        };
        let writes = info.is_write() || info.may_replicate();
        if !writes || self.store.len() + self.in_flight.keys() == 0 {
            return;
        }
        let mut keys = 0;
        if !info
            .flags
            .contains(commands::CommandFlags::TOUCHES_ARBITRARY_KEYS)
        {
            info.for_each_key(cmd, |_, key| {
                keys += 1;
                self.stats.invalidations += self.store.remove_key(key);
                self.in_flight.invalidate(key);
            });
        }
        if keys == 0 {
            self.stats.invalidations += self.store.clear();
            self.new_epoch();
        }
    }

    /// Applies what the server says changed.
    pub fn handle_invalidation(&mut self, invalidation: &Invalidation) {
        match invalidation {
            Invalidation::Keys(keys) => {
                for key in keys {
                    self.stats.invalidations += self.store.remove_key(key);
                    self.in_flight.invalidate(key);
                }
            }
            Invalidation::All => {
                self.stats.invalidations += self.store.clear();
                self.new_epoch();
            }
        }
    }

    /// Tracking was (re)enabled on the data connection (its `CLIENT TRACKING on` is
    /// sent, ahead of any read): replies may be served and stored again.
    pub fn handle_tracking_on(&mut self) {
        self.tracking = true;
    }

    /// The data connection or the redirect connection was lost (or tracking was
    /// refused): flushes everything and bypasses the cache until
    /// [`handle_tracking_on`](Self::handle_tracking_on). Replies of reads sent before
    /// are not stored.
    pub fn handle_connection_lost(&mut self) {
        self.tracking = false;
        self.flush();
        self.stats.flushes += 1;
    }

    /// Drops every reply (tracking stays as it is); reads on the wire are not stored.
    pub fn flush(&mut self) {
        self.store.clear();
        self.new_epoch();
    }

    fn new_epoch(&mut self) {
        self.epoch += 1;
        self.in_flight.clear();
    }
}

fn is_error(frame: &Frame) -> bool {
    matches!(
        frame.without_attributes(),
        Frame::SimpleError(_) | Frame::BulkError(_)
    )
}
