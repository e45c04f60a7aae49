//! What people pass, against a real server on every body: one value where a list may
//! repeat (a `String` is one element), `()` for a script without keys, owned string
//! collections, `bool` and `Option` arguments, unsigned numbers and `Duration`s for
//! time arguments in the argument's unit.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use common::on_every_body;
use redis_client::options::SetOptions;
use redis_client::prelude::*;

macro_rules! arguments {
    ($b:expr, $($aw:tt)*) => {{
        // A String is one list element, never its bytes.
        let job = String::from("job:1");
        assert_eq!($b.lpush("queue", job.clone())$($aw)*.unwrap(), 1);
        assert_eq!($b.rpush("queue", &job)$($aw)*.unwrap(), 2);
        let owned: Vec<String> = vec!["job:2".into(), "job:3".into()];
        assert_eq!($b.rpush("queue", &owned)$($aw)*.unwrap(), 4);
        assert_eq!($b.rpush("queue", &owned[..1])$($aw)*.unwrap(), 5);
        let all: Vec<Bytes> = $b.lrange("queue", 0, -1)$($aw)*.unwrap();
        assert_eq!(all, ["job:1", "job:1", "job:2", "job:3", "job:2"]);

        // Text the server makes up is a String (Display works); stored values are Bytes.
        let kind: String = $b.type_("queue")$($aw)*.unwrap();
        assert_eq!(format!("{kind}"), "list");

        // One key where many may be given; a set of one member; a pair of a hash.
        assert_eq!($b.exists("queue")$($aw)*.unwrap(), 1);
        assert_eq!($b.sadd("tags", "rust")$($aw)*.unwrap(), 1);
        assert_eq!($b.hset("user:1", ("name", "Ada"))$($aw)*.unwrap(), 1);
        let fields = BTreeMap::from([("lang", "en"), ("year", "1815")]);
        assert_eq!($b.hset("user:1", &fields)$($aw)*.unwrap(), 2);
        assert_eq!($b.zadd("board", (1.5, "ada"))$($aw)*.unwrap(), 1);
        assert_eq!($b.del(&owned)$($aw)*.unwrap(), 0);
        assert_eq!($b.del("tags")$($aw)*.unwrap(), 1);

        // A script without keys or arguments.
        let one = $b.eval("return 1", (), ())$($aw)*.unwrap();
        assert_eq!(one, redis_client::resp::Frame::Integer(1));

        // bool is 1/0; an Option is its value (None writes no argument at all).
        $b.set("flag", true)$($aw)*.unwrap();
        assert_eq!($b.get("flag")$($aw)*.unwrap(), Some(Bytes::from("1")));
        $b.set("maybe", Some("here"))$($aw)*.unwrap();
        assert_eq!($b.get("maybe")$($aw)*.unwrap(), Some(Bytes::from("here")));
        // Integer arguments of any width: a usize length, a u64 step.
        let len: usize = 2;
        assert_eq!($b.lrange("queue", 0usize, len)$($aw)*.unwrap().len(), 3);
        assert_eq!($b.incrby("n", 5u64)$($aw)*.unwrap(), 5);
        assert_eq!($b.zincrby("board", 1, "ada")$($aw)*.unwrap(), 2.5);

        // Time arguments: unsigned seconds, a Duration in seconds and in milliseconds.
        assert!($b.expire("queue", 100u64)$($aw)*.unwrap());
        assert_eq!($b.ttl("queue")$($aw)*.unwrap(), 100);
        assert!($b.expire("queue", Duration::from_millis(1500))$($aw)*.unwrap());
        assert_eq!($b.ttl("queue")$($aw)*.unwrap(), 2, "rounded up, never down");
        assert!($b.pexpire("queue", Duration::from_secs(30))$($aw)*.unwrap());
        let pttl = $b.pttl("queue")$($aw)*.unwrap();
        assert!(pttl > 20_000 && pttl <= 30_000, "{pttl}");
        $b.set_with("session", "s", SetOptions::new().ex(60u32))$($aw)*.unwrap();
        assert_eq!($b.ttl("session")$($aw)*.unwrap(), 60);
        $b.set_with("session", "s", SetOptions::new().px(Duration::from_secs(9)))$($aw)*.unwrap();
        assert!($b.pttl("session")$($aw)*.unwrap() > 8_000);
        // BRPOP's timeout is seconds with a fraction: a popped element comes at once.
        let popped = $b.brpop("queue", Duration::from_millis(100))$($aw)*.unwrap();
        assert_eq!(popped, Some((Bytes::from("queue"), Bytes::from("job:2"))));
    }};
}
on_every_body!(arguments);
