//! A representative command of every group, through the generated methods, on every
//! body: the same calls, no type annotations for the common ones.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod common;

use std::collections::HashMap;

use bytes::Bytes;
use common::on_every_body;
use redis_client::options::{PfaddOptions, SetOptions, XaddIdSelector};
use redis_client::prelude::*;
use redis_client::resp::Frame;

const LIBRARY: &str = "#!lua name=grouptest\n\
    redis.register_function('double', function(keys, args) return args[1] * 2 end)";

macro_rules! groups {
    ($b:expr, $($aw:tt)*) => {{
        // string
        $b.set("s", "hello")$($aw)*.unwrap();
        assert_eq!($b.append("s", " world")$($aw)*.unwrap(), 11);
        assert_eq!(
            $b.mget(["s", "nope"])$($aw)*.unwrap(),
            [Some(Bytes::from("hello world")), None]
        );
        let old = $b.set_with("s", "new", SetOptions::new().get().ex(100))$($aw)*.unwrap();
        assert_eq!(old, Some(Bytes::from("hello world")));
        let absent = $b.set_with("s", "x", SetOptions::new().nx())$($aw)*.unwrap();
        assert_eq!(absent, None, "NX on an existing key sets nothing");

        // list
        assert_eq!($b.rpush("l", ["a", "b", "c"])$($aw)*.unwrap(), 3);
        assert_eq!($b.lpop("l")$($aw)*.unwrap(), Some(Bytes::from("a")));
        assert_eq!($b.llen("l")$($aw)*.unwrap(), 2);

        // set
        assert_eq!($b.sadd("set", ["x", "y", "x"])$($aw)*.unwrap(), 2);
        assert!($b.sismember("set", "y")$($aw)*.unwrap());
        let mut members = $b.smembers("set")$($aw)*.unwrap();
        members.sort();
        assert_eq!(members, ["x", "y"]);

        // sorted set
        $b.zadd("z", [(1.5, "one"), (3.0, "three")])$($aw)*.unwrap();
        assert_eq!($b.zscore("z", "three")$($aw)*.unwrap(), Some(3.0));
        assert_eq!($b.zscore("z", "none")$($aw)*.unwrap(), None);
        assert_eq!($b.zrange("z", 0, -1)$($aw)*.unwrap(), ["one", "three"]);

        // hash
        assert_eq!($b.hset("h", [("f1", "1"), ("f2", "2")])$($aw)*.unwrap(), 2);
        assert_eq!($b.hget("h", "f2")$($aw)*.unwrap(), Some(Bytes::from("2")));
        let all = $b.hgetall("h")$($aw)*.unwrap();
        assert_eq!(
            all,
            HashMap::from([(Bytes::from("f1"), Bytes::from("1")), (Bytes::from("f2"), Bytes::from("2"))])
        );

        // stream
        let id = $b.xadd("st", XaddIdSelector::id("1-1"), [("temp", "21")])$($aw)*.unwrap();
        assert_eq!(id, "1-1");
        $b.xadd("st", XaddIdSelector::auto_id(), [("temp", "22")])$($aw)*.unwrap();
        assert_eq!($b.xlen("st")$($aw)*.unwrap(), 2);
        let entries = $b.xrange("st", "-", "+")$($aw)*.unwrap();
        assert_eq!(entries[0], ("1-1".to_string(), vec![Bytes::from("temp"), Bytes::from("21")]));

        // geo
        let added = $b
            .geoadd("geo", [(13.361389, 38.115556, "Palermo"), (15.087269, 37.502669, "Catania")])
            $($aw)*
            .unwrap();
        assert_eq!(added, 2);
        let metres: f64 = $b.geodist("geo", "Palermo", "Catania")$($aw)*.unwrap().unwrap();
        assert!((metres - 166_274.15).abs() < 1.0, "{metres}");

        // hyperloglog
        assert!($b.pfadd_with("hll", PfaddOptions::new().element(["a", "b", "c"]))$($aw)*.unwrap());
        assert_eq!($b.pfcount(["hll"])$($aw)*.unwrap(), 3);

        // bitmap
        assert!(!$b.setbit("bits", 7, 1)$($aw)*.unwrap(), "the old bit was 0");
        $b.setbit("bits", 9, 1)$($aw)*.unwrap();
        assert_eq!($b.bitcount("bits")$($aw)*.unwrap(), 2);

        // scripting: EVAL and FUNCTION LOAD + FCALL, typed on request
        let echoed = $b.eval("return ARGV[1]", (), "lua")$($aw)*.unwrap();
        assert_eq!(echoed, Frame::bulk("lua"));
        $b.function_flush()$($aw)*.unwrap();
        assert_eq!($b.function_load(LIBRARY)$($aw)*.unwrap(), "grouptest");
        let doubled: i64 = $b.returning().fcall("double", (), 21)$($aw)*.unwrap();
        assert_eq!(doubled, 42);

        // server
        assert_eq!($b.dbsize()$($aw)*.unwrap(), 9, "s l set z h st geo hll bits");
        let info = $b.info()$($aw)*.unwrap();
        assert!(info.contains("redis_version"));

        // connection
        assert_eq!($b.echo("hi")$($aw)*.unwrap(), "hi");
        let pong = $b.ping()$($aw)*.unwrap();
        assert_eq!(pong, "PONG");

        // generic
        assert!($b.expire("s", 100)$($aw)*.unwrap());
        assert!((1..=100).contains(&$b.ttl("s")$($aw)*.unwrap()));
        assert_eq!($b.type_("z")$($aw)*.unwrap(), "zset");
        assert_eq!($b.exists(["s", "l", "missing"])$($aw)*.unwrap(), 2);
        assert_eq!($b.del(["s", "l"])$($aw)*.unwrap(), 2);

        // A wrong type is a typed server error; the connection goes on.
        let error = $b.incr("h")$($aw)*.unwrap_err();
        assert_eq!(error.server_error().unwrap().kind(), &redis_sansio::ServerErrorKind::WrongType);
        // Asking for another type is one call.
        let raw: Frame = $b.execute(redis_client::cmd::get("missing").returning())$($aw)*.unwrap();
        assert!(raw.is_null());
    }};
}
on_every_body!(groups);

/// The multiplexed client refuses what would leak between its callers.
#[test]
fn the_multiplexed_client_refuses_select() {
    let server = common::server();
    common::tokio_runtime().block_on(async {
        let client = redis_io_tokio::Client::connect(common::resp3(&server))
            .await
            .unwrap();
        match client.select(1).await {
            Err(redis_client::Error::Send(redis_sansio::SendError::Shared { command })) => {
                assert_eq!(command, "SELECT")
            }
            other => panic!("expected SELECT to be refused, got {other:?}"),
        }
        assert_eq!(client.echo("still fine").await.unwrap(), "still fine");
        // A dedicated connection may select.
        let mut conn = client.dedicated().await.unwrap();
        conn.select(1).await.unwrap();
    });
}
