//! The client-side cache driven as a body would: a scripted RESP3 (or RESP2)
//! connection carrying reads, replies and invalidation pushes as bytes, with a
//! simulated clock.

mod conn_support;

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use conn_support::{Script, cmd};
use redis_sansio::cache::{
    Cache, CacheConfig, INVALIDATE_CHANNEL, Lookup, ReadTicket, TrackingMode,
};
use redis_sansio::conn::{Event, RequestId};
use redis_sansio::resp::Frame;

/// A body: the connection, the cache, and the tickets of reads on the wire.
struct Body {
    script: Script,
    cache: Cache,
    tickets: HashMap<RequestId, ReadTicket>,
    replies: HashMap<RequestId, Frame>,
}

impl Body {
    fn new(config: CacheConfig) -> Self {
        let mut cache = Cache::new(config);
        let mut script = Script::ready();
        let tracking = cache.tracking_cmd(None);
        script.conn.send(&tracking, script.now).unwrap();
        cache.handle_tracking_on();
        script.sent();
        script.reply("+OK\r\n");
        script.events();
        Body {
            script,
            cache,
            tickets: HashMap::new(),
            replies: HashMap::new(),
        }
    }

    /// A read: the cached reply, or the id of the request sent.
    fn read(&mut self, args: &[&str]) -> Result<Frame, RequestId> {
        let command = cmd(args);
        match self.cache.lookup(&command, self.script.now) {
            Lookup::Hit(reply) => Ok(reply),
            Lookup::Miss(ticket) => {
                if ticket.optin() {
                    let yes = redis_sansio::cache::caching_yes_cmd();
                    let id = self.script.conn.send(&yes, self.script.now).unwrap();
                    self.replies.insert(id, Frame::Null);
                }
                let id = self.script.conn.send(&command, self.script.now).unwrap();
                self.tickets.insert(id, ticket);
                Err(id)
            }
            Lookup::Bypass => Err(self.script.conn.send(&command, self.script.now).unwrap()),
        }
    }

    /// Server bytes in; events routed to the cache.
    fn input(&mut self, bytes: &str) {
        self.script.reply(bytes);
        for event in self.script.events() {
            match &event {
                Event::Push(frame) => {
                    assert!(self.cache.handle_push(frame), "{frame:?}");
                }
                Event::Reply { id, result } => {
                    if let Some(ticket) = self.tickets.remove(id) {
                        self.cache
                            .handle_reply(ticket, result.as_ref(), self.script.now);
                    }
                    if let Ok(frame) = result {
                        self.replies.insert(*id, frame.clone());
                    }
                }
                Event::Closed(_) => self.cache.handle_connection_lost(),
                _ => {}
            }
        }
    }

    fn hit(&mut self, args: &[&str]) -> Option<Frame> {
        match self.cache.lookup(&cmd(args), self.script.now) {
            Lookup::Hit(reply) => Some(reply),
            Lookup::Miss(ticket) => {
                self.cache.abandon(ticket);
                None
            }
            Lookup::Bypass => None,
        }
    }
}

const INVALIDATE_K: &str = ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n";
const INVALIDATE_ALL: &str = ">2\r\n$10\r\ninvalidate\r\n_\r\n";

#[test]
fn a_reply_is_served_until_its_key_is_invalidated() {
    let mut body = Body::new(CacheConfig::default());
    assert!(body.read(&["GET", "k"]).is_err());
    assert_eq!(body.script.sent(), [["GET", "k"]]);
    body.input("$2\r\nv1\r\n");
    assert_eq!(body.hit(&["GET", "k"]), Some(Frame::bulk("v1")));
    assert_eq!(body.read(&["GET", "k"]), Ok(Frame::bulk("v1")));
    assert!(body.script.sent().is_empty(), "a hit sends nothing");
    body.input(INVALIDATE_K);
    assert_eq!(body.hit(&["GET", "k"]), None);
    let stats = body.cache.stats();
    assert_eq!((stats.hits, stats.invalidations, stats.entries), (2, 1, 0));
}

#[test]
fn an_invalidation_that_crosses_a_read_keeps_its_reply_out() {
    let mut body = Body::new(CacheConfig::default());
    // Two reads of k on the wire; the invalidation arrives before their replies.
    let first = body.read(&["GET", "k"]).unwrap_err();
    body.input(INVALIDATE_K);
    // A read sent after the invalidation may be cached: its reply is newer.
    let second = body.read(&["GET", "k"]).unwrap_err();
    body.input("$3\r\nold\r\n");
    assert_eq!(body.replies[&first], Frame::bulk("old"));
    assert_eq!(
        body.hit(&["GET", "k"]),
        None,
        "the crossed reply is not cached"
    );
    body.input("$3\r\nnew\r\n");
    assert_eq!(body.replies[&second], Frame::bulk("new"));
    assert_eq!(body.hit(&["GET", "k"]), Some(Frame::bulk("new")));
    assert_eq!(body.cache.stats().raced, 1);
    assert_eq!(body.cache.keys_in_flight(), 0);
}

#[test]
fn a_null_invalidation_clears_everything_and_crossed_reads() {
    let mut body = Body::new(CacheConfig::default());
    body.read(&["GET", "a"]).unwrap_err();
    body.input("$1\r\n1\r\n");
    body.read(&["HGET", "h", "f"]).unwrap_err();
    body.input(":5\r\n");
    assert_eq!(body.cache.len(), 2);
    let crossed = body.read(&["GET", "b"]).unwrap_err();
    body.input(INVALIDATE_ALL);
    assert!(body.cache.is_empty());
    body.input("$1\r\n2\r\n");
    assert!(body.replies.contains_key(&crossed));
    assert!(
        body.cache.is_empty(),
        "a read crossed by FLUSHALL is not cached"
    );
    assert_eq!(body.cache.stats().invalidations, 2);
}

#[test]
fn a_lost_connection_flushes_and_bypasses_until_tracking_is_on_again() {
    let mut body = Body::new(CacheConfig::default());
    body.read(&["GET", "k"]).unwrap_err();
    body.input("$1\r\nv\r\n");
    let on_the_wire = body.read(&["GET", "other"]).unwrap_err();
    let ticket = body.tickets.remove(&on_the_wire).unwrap();
    body.script.conn.handle_eof(body.script.now);
    body.input("");
    assert!(body.cache.is_empty());
    assert!(!body.cache.is_tracking());
    assert!(matches!(
        body.cache.lookup(&cmd(&["GET", "k"]), body.script.now),
        Lookup::Bypass
    ));
    // A reply of the old connection, late: not stored even once tracking is back.
    body.cache.handle_tracking_on();
    assert!(
        !body
            .cache
            .handle_reply(ticket, Ok(&Frame::bulk("late")), body.script.now)
    );
    assert!(body.cache.is_empty());
    assert_eq!(body.cache.stats().flushes, 1);
}

#[test]
fn only_cacheable_commands_and_no_errors_are_kept() {
    let mut body = Body::new(CacheConfig::default());
    for args in [&["MGET", "a", "b"][..], &["TTL", "k"], &["SET", "k", "v"]] {
        assert!(matches!(
            body.cache.lookup(&cmd(args), body.script.now),
            Lookup::Bypass
        ));
    }
    body.read(&["GET", "k"]).unwrap_err();
    body.input("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    assert!(body.cache.is_empty());
    assert_eq!(body.cache.keys_in_flight(), 0);
}

#[test]
fn replies_expire_after_the_ttl() {
    let mut body = Body::new(CacheConfig::default().ttl(Duration::from_secs(5)));
    body.read(&["GET", "k"]).unwrap_err();
    body.input("$1\r\nv\r\n");
    body.script.advance(Duration::from_secs(4));
    assert_eq!(body.hit(&["GET", "k"]), Some(Frame::bulk("v")));
    body.script.advance(Duration::from_secs(1));
    assert_eq!(body.hit(&["GET", "k"]), None);
    assert_eq!(body.cache.stats().expirations, 1);
}

#[test]
fn bounds_evict_the_least_recently_used() {
    let mut body = Body::new(CacheConfig::default().max_entries(2));
    for key in ["a", "b"] {
        body.read(&["GET", key]).unwrap_err();
        body.input("$1\r\nv\r\n");
    }
    assert!(body.hit(&["GET", "a"]).is_some());
    body.read(&["GET", "c"]).unwrap_err();
    body.input("$1\r\nv\r\n");
    assert!(
        body.hit(&["GET", "b"]).is_none(),
        "b was the least recently used"
    );
    assert!(body.hit(&["GET", "a"]).is_some());
    assert!(body.hit(&["GET", "c"]).is_some());
    assert_eq!(body.cache.stats().evictions, 1);

    let mut small = Body::new(CacheConfig::default().max_bytes(2 * 1024));
    small.read(&["GET", "big"]).unwrap_err();
    let big = "x".repeat(4096);
    small.input(&format!("${}\r\n{big}\r\n", big.len()));
    assert!(small.cache.is_empty(), "bigger than the byte bound alone");
    for i in 0..40 {
        let key = format!("k{i}");
        small.read(&["GET", &key]).unwrap_err();
        small.input("$1\r\nv\r\n");
        assert!(small.cache.stats().bytes <= 2 * 1024);
    }
    assert!(small.cache.stats().evictions > 0);
}

#[test]
fn optin_asks_for_caching_before_each_read_it_keeps() {
    let mut body = Body::new(CacheConfig::default().mode(TrackingMode::OptIn));
    body.read(&["GET", "k"]).unwrap_err();
    assert_eq!(
        body.script.sent(),
        [vec!["CLIENT", "CACHING", "yes"], vec!["GET", "k"]]
    );
    body.input("+OK\r\n$1\r\nv\r\n");
    assert_eq!(body.hit(&["GET", "k"]), Some(Frame::bulk("v")));
    // Bypassed commands get no CLIENT CACHING.
    body.read(&["TTL", "k"]).unwrap_err();
    assert_eq!(body.script.sent(), [["TTL", "k"]]);
}

#[test]
fn broadcast_keeps_only_keys_under_its_prefixes() {
    let mode = TrackingMode::Broadcast {
        prefixes: vec![Bytes::from_static(b"user:")],
    };
    let mut body = Body::new(CacheConfig::default().mode(mode));
    body.read(&["GET", "user:1"]).unwrap_err();
    body.input("$1\r\nv\r\n");
    assert!(body.hit(&["GET", "user:1"]).is_some());
    assert!(matches!(
        body.cache.lookup(&cmd(&["GET", "other"]), body.script.now),
        Lookup::Bypass
    ));
}

#[test]
fn resp2_invalidations_arrive_as_messages_on_the_redirect_connection() {
    let mut cache = Cache::new(CacheConfig::default());
    let mut redirect = Script::ready_resp2();
    redirect
        .conn
        .send(&cmd(&["SUBSCRIBE", INVALIDATE_CHANNEL]), redirect.now)
        .unwrap();
    redirect.reply("*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n");
    redirect.events();
    assert_eq!(
        cache.tracking_cmd(Some(42)).args().collect::<Vec<_>>(),
        [&b"CLIENT"[..], b"TRACKING", b"on", b"REDIRECT", b"42"]
    );
    cache.handle_tracking_on();
    let Lookup::Miss(ticket) = cache.lookup(&cmd(&["GET", "k"]), redirect.now) else {
        panic!("a miss");
    };
    assert!(cache.handle_reply(ticket, Ok(&Frame::bulk("v")), redirect.now));
    redirect.reply("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n");
    let events = redirect.events();
    assert_eq!(events.len(), 1);
    let Event::Push(frame) = &events[0] else {
        panic!("{events:?}");
    };
    assert!(cache.handle_push(frame));
    assert!(cache.is_empty());
    // FLUSHALL: a null payload.
    let Lookup::Miss(ticket) = cache.lookup(&cmd(&["GET", "k"]), redirect.now) else {
        panic!("a miss");
    };
    assert!(cache.handle_reply(ticket, Ok(&Frame::bulk("v")), redirect.now));
    redirect.reply("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*-1\r\n");
    for event in redirect.events() {
        if let Event::Push(frame) = &event {
            assert!(cache.handle_push(frame));
        }
    }
    assert!(cache.is_empty());
}

#[test]
fn own_writes_drop_their_keys_at_once() {
    let mut body = Body::new(CacheConfig::default());
    for key in ["a", "b"] {
        body.read(&["GET", key]).unwrap_err();
        body.input("$1\r\nv\r\n");
    }
    body.cache.handle_send(&cmd(&["GET", "a"]));
    body.cache.handle_send(&cmd(&["SET", "a", "w"]));
    assert!(body.hit(&["GET", "a"]).is_none());
    assert!(body.hit(&["GET", "b"]).is_some());
    // A read on the wire when the write goes out is not cached either.
    let read = body.read(&["GET", "b"]);
    assert!(read.is_ok(), "b is cached");
    body.cache.handle_send(&cmd(&["DEL", "b"]));
    let crossed = body.read(&["GET", "b"]).unwrap_err();
    body.cache.handle_send(&cmd(&["APPEND", "b", "x"]));
    body.input("$1\r\nx\r\n");
    assert!(body.replies.contains_key(&crossed));
    assert!(body.hit(&["GET", "b"]).is_none());
    // FLUSHALL names no key: everything goes.
    body.read(&["GET", "c"]).unwrap_err();
    body.input("$1\r\nv\r\n");
    body.cache.handle_send(&cmd(&["FLUSHALL"]));
    assert!(body.cache.is_empty());
}

#[test]
fn events_are_taken_whole() {
    let mut cache = Cache::new(CacheConfig::default());
    cache.handle_tracking_on();
    let push = Event::Push(Frame::Push(vec![Frame::bulk("invalidate"), Frame::Null]));
    assert!(cache.handle_event(&push));
    let other = Event::Push(Frame::Push(vec![Frame::bulk("other"), Frame::Null]));
    assert!(!cache.handle_event(&other));
    assert!(!cache.handle_event(&Event::Closed(redis_sansio::CloseReason::Eof)));
    assert!(!cache.is_tracking());
    assert_eq!(cache.stats().flushes, 1);
}

#[test]
fn entry_overhead_is_what_the_docs_say() {
    // docs/caching.md states the per-entry overhead; keep it honest.
    let overhead = redis_sansio::cache::ENTRY_OVERHEAD;
    if cfg!(target_pointer_width = "64") {
        assert_eq!(overhead, 248);
    }
}
