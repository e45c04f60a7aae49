//! Common commands need no type annotation: their default reply types, from the reply
//! schemas (and the generator's short override table), read real replies.
#![cfg(feature = "sync")]

use bytes::Bytes;
use redis_client::prelude::*;
use redis_client::{cmd, options};
use redis_io_sync::Connection;
use redis_test_support::{RedisServer, tcp_config};

#[test]
fn default_reply_types_read_real_replies() {
    let server = RedisServer::start();
    let mut conn = Connection::connect(tcp_config(&server)).expect("connect");
    let c = &mut conn;

    c.set("k", "v").unwrap();
    assert_eq!(c.get("k").unwrap(), Some(Bytes::from("v")));
    assert_eq!(c.get("missing").unwrap(), None);
    let old = c
        .set_with("k", "w", options::SetOptions::new().get())
        .unwrap();
    assert_eq!(old, Some(Bytes::from("v")));
    assert_eq!(c.incr("n").unwrap(), 1);
    assert_eq!(c.incrbyfloat("f", 1.5).unwrap(), 1.5);
    c.mset([("a", "1"), ("b", "2")]).unwrap();
    assert_eq!(
        c.mget(["a", "nope", "b"]).unwrap(),
        [Some(Bytes::from("1")), None, Some(Bytes::from("2"))]
    );
    assert_eq!(c.exists(["a", "b", "nope"]).unwrap(), 2);
    assert!(c.expire("a", 100).unwrap());
    assert!(c.ttl("a").unwrap() > 0);
    assert_eq!(c.type_("a").unwrap(), "string");
    assert_eq!(c.ping().unwrap(), "PONG");

    assert_eq!(c.hset("h", [("f1", "x"), ("f2", "y")]).unwrap(), 2);
    assert_eq!(c.hget("h", "f1").unwrap(), Some(Bytes::from("x")));
    assert_eq!(c.hgetall("h").unwrap().len(), 2);

    assert_eq!(c.rpush("l", ["x", "y", "z"]).unwrap(), 3);
    assert_eq!(c.lrange("l", 0, -1).unwrap(), ["x", "y", "z"]);
    assert_eq!(c.lpos("l", "y").unwrap(), Some(1));
    assert_eq!(c.lpop("l").unwrap(), Some(Bytes::from("x")));

    assert_eq!(c.sadd("s", ["m"]).unwrap(), 1);
    assert!(c.sismember("s", "m").unwrap());
    assert_eq!(c.smembers("s").unwrap(), ["m"]);

    assert_eq!(c.zadd("z", [(1.0, "a"), (2.0, "b")]).unwrap(), 2);
    assert_eq!(c.zrange("z", "0", "-1").unwrap(), ["a", "b"]);
    assert_eq!(c.zscore("z", "b").unwrap(), Some(2.0));
    assert_eq!(c.zrank("z", "b").unwrap(), Some(1));
    assert_eq!(c.zcard("z").unwrap(), 2);

    let id = c
        .xadd("st", options::XaddIdSelector::auto_id(), [("f", "v")])
        .unwrap();
    assert!(!id.is_empty());
    assert_eq!(c.xlen("st").unwrap(), 1);

    let (cursor, keys) = c
        .scan_with(0, options::ScanOptions::new().count(1000))
        .unwrap();
    assert_eq!(cursor, 0);
    assert!(keys.len() >= 5);

    // Another type is one call on the constructor.
    let n: String = c.execute(cmd::get("n").returning()).unwrap();
    assert_eq!(n, "1");
    assert_eq!(c.del(["k", "n"]).unwrap(), 2);
}
