//! The application cache (`app_cache::Cache` and `HerdCache`) on every body against
//! real servers: every operation, identities, JSON, LZ4 round trips, and foreign or
//! corrupt data under a cache key as typed errors.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod app_cache_support;
mod common;

use std::time::Duration;

use common::on_every_body;
use redis_client::Bytes;
use redis_client::app_cache::{Cache, CacheError, HerdCache, JoinedArgs, Key, Lookup};
use redis_client::prelude::*;

const TTL: Duration = Duration::from_secs(100);

/// The computation `get_or_compute` takes on this body: a closure on blocking
/// bodies (no `.await` tokens), a future on async ones.
macro_rules! lazy {
    (; $e:expr) => {
        || $e
    };
    (.await; $e:expr) => {
        async { $e }
    };
}

macro_rules! operations {
    ($b:expr, $($aw:tt)*) => {{
        let cache = Cache::new("app");
        let key = Key::new("user").arg(7).arg("en");
        let got: Option<String> = cache.get($b, &key)$($aw)*.unwrap();
        assert_eq!(got, None);
        assert!(!cache.exists($b, &key)$($aw)*.unwrap());
        assert_eq!(cache.ttl($b, &key)$($aw)*.unwrap(), None);

        cache.set($b, &key, &"Ada".to_string(), TTL)$($aw)*.unwrap();
        let got: Option<String> = cache.get($b, &key)$($aw)*.unwrap();
        assert_eq!(got.as_deref(), Some("Ada"));
        assert!(cache.exists($b, &key)$($aw)*.unwrap());
        let left = cache.ttl($b, &key)$($aw)*.unwrap().expect("a TTL");
        assert!(left <= TTL && left > Duration::ZERO, "{left:?}");
        // The arguments are part of the identity.
        let other: Option<String> = cache.get($b, Key::new("user").arg(7).arg("fr"))$($aw)*.unwrap();
        assert_eq!(other, None);
        let redis_key = cache.redis_key(&key);
        assert!(redis_key.starts_with(b"app:user:"));
        assert_eq!($b.exists([&redis_key])$($aw)*.unwrap(), 1);

        // A TTL below a millisecond is refused before anything is sent.
        let error = cache.set($b, "k", &"v".to_string(), Duration::from_micros(10))$($aw)*.unwrap_err();
        assert!(matches!(error, CacheError::InvalidTtl), "{error:?}");

        // set_many in one pipeline; delete and delete_many.
        let values = [Bytes::from("1"), Bytes::from("2"), Bytes::from("3")];
        let entries = [("a", &values[0]), ("b", &values[1]), ("c", &values[2])];
        cache.set_many($b, entries, TTL)$($aw)*.unwrap();
        let b: Option<Bytes> = cache.get($b, "b")$($aw)*.unwrap();
        assert_eq!(b.as_deref(), Some(&b"2"[..]));
        assert!(cache.delete($b, "a")$($aw)*.unwrap());
        assert!(!cache.delete($b, "a")$($aw)*.unwrap());
        assert_eq!(cache.delete_many($b, ["a", "b", "c", "nope"])$($aw)*.unwrap(), 2);
        assert_eq!(cache.delete_many($b, Vec::<Key>::new())$($aw)*.unwrap(), 0);
        assert!(!cache.exists($b, "c")$($aw)*.unwrap());

        // get_or_compute: computed once, then read back.
        let mut runs = 0;
        let first: String = cache
            .get_or_compute($b, "report", TTL, lazy!($($aw)*; { runs += 1; Ok::<_, std::io::Error>("built".to_string()) }))
            $($aw)*
            .unwrap();
        assert_eq!(first, "built");
        assert_eq!(runs, 1);
        let second: String = cache
            .get_or_compute($b, "report", TTL, lazy!($($aw)*; Err::<String, _>(std::io::Error::other("not called"))))
            $($aw)*
            .unwrap();
        assert_eq!(second, "built");
        // A failed computation is the call's error, and stores nothing.
        let error = cache
            .get_or_compute($b, "failing", TTL, lazy!($($aw)*; Err::<String, _>(std::io::Error::other("boom"))))
            $($aw)*
            .unwrap_err();
        assert!(matches!(&error, CacheError::Compute(e) if e.to_string() == "boom"), "{error:?}");
        assert!(!cache.exists($b, "failing")$($aw)*.unwrap());

        // A readable identity and no namespace: the key verbatim.
        let plain = Cache::new("").identity(JoinedArgs);
        plain.set($b, Key::new("page").arg(3), &Bytes::from("p3"), TTL)$($aw)*.unwrap();
        assert_eq!($b.exists(["page:3"])$($aw)*.unwrap(), 1);
    }};
}
on_every_body!(operations);

macro_rules! foreign_and_corrupt_data {
    ($b:expr, $($aw:tt)*) => {{
        let cache = Cache::new("");
        let herd = HerdCache::new(Cache::new(""));
        // A plain string some other program wrote.
        $b.set("plain", "hello")$($aw)*.unwrap();
        let error = cache.get::<Bytes, _>($b, "plain")$($aw)*.unwrap_err();
        assert!(matches!(&error, CacheError::Foreign { key, .. } if key == "plain"), "{error:?}");
        let error = herd.get::<Bytes, _>($b, "plain")$($aw)*.unwrap_err();
        assert!(matches!(error, CacheError::Foreign { .. }), "{error:?}");
        // get_or_compute does not overwrite what it cannot read.
        let error = cache
            .get_or_compute($b, "plain", TTL, lazy!($($aw)*; Ok::<_, std::io::Error>(Bytes::new())))
            $($aw)*
            .unwrap_err();
        assert!(matches!(error, CacheError::Foreign { .. }), "{error:?}");
        assert_eq!($b.get("plain")$($aw)*.unwrap().as_deref(), Some(&b"hello"[..]));

        // Another type: WRONGTYPE from the server becomes Foreign.
        $b.rpush("list", ["x"])$($aw)*.unwrap();
        let error = cache.get::<Bytes, _>($b, "list")$($aw)*.unwrap_err();
        assert!(matches!(error, CacheError::Foreign { .. }), "{error:?}");
        let error = herd.lookup::<Bytes, _>($b, "list")$($aw)*.unwrap_err();
        assert!(matches!(error, CacheError::Foreign { .. }), "{error:?}");

        // The header, then bytes that are no entry: unknown flags; compressed but no
        // compressor; not UTF-8 for a String.
        for (bytes, what) in [
            (&b"\xC5\xAC\x80data"[..], "unknown flags"),
            (b"\xC5\xAC\x01\xff\xff\xff\xff", "compressed"),
            (b"\xC5\xAC\x00\xff\xfe", "not UTF-8"),
        ] {
            $b.set("bad", bytes)$($aw)*.unwrap();
            let error = cache.get::<String, _>($b, "bad")$($aw)*.unwrap_err();
            assert!(matches!(error, CacheError::Corrupt { .. }), "{what}: {error:?}");
        }

        // Herd entries that are hashes but not ours.
        $b.hset("hash", [("name", "x")])$($aw)*.unwrap();
        let error = herd.get::<Bytes, _>($b, "hash")$($aw)*.unwrap_err();
        assert!(matches!(error, CacheError::Foreign { .. }), "{error:?}");
        $b.hset("hash2", [("x", "soon"), ("v", "\u{c5}")])$($aw)*.unwrap();
        let error = herd.get::<Bytes, _>($b, "hash2")$($aw)*.unwrap_err();
        assert!(matches!(error, CacheError::Foreign { .. }), "{error:?}");
        $b.hset("hash3", [("x", "99999999999999"), ("v", "no header")])$($aw)*.unwrap();
        let error = herd.get::<Bytes, _>($b, "hash3")$($aw)*.unwrap_err();
        assert!(matches!(error, CacheError::Foreign { .. }), "{error:?}");
        // A herd entry read through the plain cache is another type.
        herd.set($b, "herd", &Bytes::from("v"), TTL)$($aw)*.unwrap();
        let error = cache.get::<Bytes, _>($b, "herd")$($aw)*.unwrap_err();
        assert!(matches!(error, CacheError::Foreign { .. }), "{error:?}");
    }};
}
on_every_body!(foreign_and_corrupt_data);

macro_rules! herd_operations {
    ($b:expr, $($aw:tt)*) => {{
        let herd = HerdCache::new(Cache::new("h")).herd_timeout(Duration::from_secs(30));
        let found: Lookup<String> = herd.lookup($b, "k")$($aw)*.unwrap();
        assert_eq!(found, Lookup::Missing);
        let computed: String = herd
            .get_or_compute($b, "k", TTL, lazy!($($aw)*; Ok::<_, std::io::Error>("v1".to_string())))
            $($aw)*
            .unwrap();
        assert_eq!(computed, "v1");
        let found: Lookup<String> = herd.lookup($b, "k")$($aw)*.unwrap();
        assert_eq!(found, Lookup::Fresh("v1".to_string()));
        // The key outlives the logical expiry by the herd timeout.
        let left = herd.cache().ttl($b, "k")$($aw)*.unwrap().expect("a TTL");
        assert!(left > TTL && left <= TTL + Duration::from_secs(30), "{left:?}");
        assert!(herd.delete($b, "k")$($aw)*.unwrap());
        let got: Option<String> = herd.get($b, "k")$($aw)*.unwrap();
        assert_eq!(got, None);
    }};
}
on_every_body!(herd_operations);

/// A blocking connection to a fresh server, for the checks that need one body only.
fn blocking_conn() -> (redis_test_support::RedisServer, redis_io_sync::Connection) {
    let server = common::server();
    let conn = common::blocking(common::resp3(&server));
    (server, conn)
}

#[test]
fn an_elected_reader_recomputes_while_others_get_the_old_value_or_none() {
    let (_server, mut conn) = blocking_conn();
    let herd_timeout = Duration::from_secs(60);
    let herd = HerdCache::new(Cache::new("h")).herd_timeout(herd_timeout);
    let strict = herd.clone().serve_stale(false);
    app_cache_support::expired_entry(&mut conn, &herd, herd_timeout, "k");

    let first: Lookup<Bytes> = herd.lookup(&mut conn, "k").unwrap();
    assert_eq!(first, Lookup::Elected(Bytes::from("old")));
    let second: Lookup<Bytes> = herd.lookup(&mut conn, "k").unwrap();
    assert_eq!(second, Lookup::Stale(Bytes::from("old")));
    let served: Option<Bytes> = herd.get(&mut conn, "k").unwrap();
    assert_eq!(
        served.as_deref(),
        Some(&b"old"[..]),
        "the default serves stale"
    );
    let strict_get: Option<Bytes> = strict.get(&mut conn, "k").unwrap();
    assert_eq!(strict_get, None, "serve_stale(false)");
    // get_or_compute while another recomputes: the old value, no computation.
    let value: Bytes = herd
        .get_or_compute(&mut conn, "k", Duration::from_secs(10), || {
            Err::<Bytes, _>(std::io::Error::other("not elected, not called"))
        })
        .unwrap();
    assert_eq!(value, "old");
    // The elected reader stores: fresh again, and the election is over.
    herd.set(&mut conn, "k", &Bytes::from("new"), Duration::from_secs(10))
        .unwrap();
    let fresh: Lookup<Bytes> = herd.lookup(&mut conn, "k").unwrap();
    assert_eq!(fresh, Lookup::Fresh(Bytes::from("new")));
}

#[test]
fn a_failed_recomputation_keeps_the_old_entry() {
    let (_server, mut conn) = blocking_conn();
    let herd_timeout = Duration::from_secs(60);
    let herd = HerdCache::new(Cache::new("h")).herd_timeout(herd_timeout);
    app_cache_support::expired_entry(&mut conn, &herd, herd_timeout, "k");
    let error = herd
        .get_or_compute(&mut conn, "k", TTL, || {
            Err::<Bytes, _>(std::io::Error::other("backend down"))
        })
        .unwrap_err();
    assert!(matches!(error, CacheError::Compute(_)), "{error:?}");
    let stale: Lookup<Bytes> = herd.lookup(&mut conn, "k").unwrap();
    assert_eq!(stale, Lookup::Stale(Bytes::from("old")));
}

#[cfg(feature = "serde")]
#[test]
fn json_values_round_trip_and_bad_json_is_corrupt() {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct User {
        name: String,
        age: u32,
    }
    let (_server, mut conn) = blocking_conn();
    let cache = Cache::json("users");
    let ada = User {
        name: "Ada".into(),
        age: 36,
    };
    cache
        .set(&mut conn, Key::new("u").arg(1), &ada, TTL)
        .unwrap();
    let back: Option<User> = cache.get(&mut conn, Key::new("u").arg(1)).unwrap();
    assert_eq!(back, Some(ada));
    // An entry of another shape under the key: the header is ours, the JSON is not.
    let raw = Cache::new("users");
    raw.set(&mut conn, "u2", &Bytes::from("[1, 2]"), TTL)
        .unwrap();
    let error = cache.get::<User, _>(&mut conn, "u2").unwrap_err();
    assert!(matches!(error, CacheError::Corrupt { .. }), "{error:?}");
}

#[cfg(feature = "lz4")]
#[test]
fn lz4_compressed_entries_round_trip() {
    use redis_client::Cmd;
    use redis_client::app_cache::Lz4;
    let (_server, mut conn) = blocking_conn();
    let packed = Cache::new("z").compressor(Lz4).compress_min_len(64);
    let big = Bytes::from("all work and no play ".repeat(500));
    packed.set(&mut conn, "big", &big, TTL).unwrap();
    let stored: i64 = conn.strlen(packed.redis_key("big")).unwrap();
    assert!((stored as usize) < big.len() / 5, "stored {stored} bytes");
    let back: Option<Bytes> = packed.get(&mut conn, "big").unwrap();
    assert_eq!(back, Some(big.clone()));
    // Small values are stored as they are, and read by a cache without compressor.
    packed
        .set(&mut conn, "small", &Bytes::from("tiny"), TTL)
        .unwrap();
    let plain = Cache::new("z");
    let small: Option<Bytes> = plain.get(&mut conn, "small").unwrap();
    assert_eq!(small.as_deref(), Some(&b"tiny"[..]));
    // A compressed entry needs the compressor.
    let error = plain.get::<Bytes, _>(&mut conn, "big").unwrap_err();
    assert!(matches!(error, CacheError::Corrupt { .. }), "{error:?}");
    // Through the herd cache, and in set_many.
    let herd = HerdCache::new(packed.clone());
    herd.set(&mut conn, "hbig", &big, TTL).unwrap();
    let back: Option<Bytes> = herd.get(&mut conn, "hbig").unwrap();
    assert_eq!(back, Some(big.clone()));
    packed
        .set_many(&mut conn, [("m1", &big), ("m2", &big)], TTL)
        .unwrap();
    let m2: Option<Bytes> = packed.get(&mut conn, "m2").unwrap();
    assert_eq!(m2, Some(big));
    // A truncated compressed entry is corrupt, not a panic.
    let whole: Bytes = conn.get(packed.redis_key("m1")).unwrap().unwrap();
    conn.request(
        &Cmd::new("SET")
            .arg(packed.redis_key("m1"))
            .arg(&whole[..whole.len() / 2]),
    )
    .unwrap();
    let error = packed.get::<Bytes, _>(&mut conn, "m1").unwrap_err();
    assert!(matches!(error, CacheError::Corrupt { .. }), "{error:?}");
}
