//! Scripts by SHA1: loaded on NOSCRIPT and retried, alone, in pipelines and in
//! transactions, after `SCRIPT FLUSH`, on every body.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod common;

use common::on_every_body;
use redis_client::prelude::*;
use redis_client::{Pipeline, Script, Transaction};

const INCRBY: &str = "return redis.call('INCRBY', KEYS[1], ARGV[1])";

#[test]
fn the_sha1_is_computed_locally_as_redis_does() {
    // SHA1("return 1"); the `scripts` checks compare with the server's SCRIPT LOAD.
    assert_eq!(
        Script::new("return 1").sha1(),
        "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"
    );
}

macro_rules! scripts {
    ($b:expr, $($aw:tt)*) => {{
        let script = Script::new(INCRBY);
        // A fresh server lacks it: NOSCRIPT, SCRIPT LOAD, retry.
        let total: i64 = script.key("s").arg(2).invoke($b)$($aw)*.unwrap();
        assert_eq!(total, 2);
        let loaded = $b.script_exists([script.sha1()])$($aw)*.unwrap();
        assert_eq!(loaded, [true]);
        // The server's digest is the one computed locally.
        assert_eq!($b.script_load(INCRBY)$($aw)*.unwrap(), script.sha1());

        $b.script_flush()$($aw)*.unwrap();
        let total: i64 = script.key("s").arg(3).invoke($b)$($aw)*.unwrap();
        assert_eq!(total, 5);

        // In a pipeline after a flush: both calls fail with NOSCRIPT, are retried
        // after one load, and land in their own slots.
        $b.script_flush()$($aw)*.unwrap();
        let mut pipe = Pipeline::new();
        let first = script.key("s").arg(1).invoke::<i64, _>(&mut pipe);
        let plain = pipe.incr("other");
        let second = script.key("s").arg(10).invoke::<i64, _>(&mut pipe);
        let mut replies = pipe.run($b)$($aw)*.unwrap();
        assert_eq!(replies.take(plain).unwrap(), 1);
        assert_eq!(replies.take(first).unwrap(), 6);
        assert_eq!(replies.take(second).unwrap(), 16);

        // In a transaction after a flush: loaded before MULTI.
        $b.script_flush()$($aw)*.unwrap();
        let mut tx = Transaction::new();
        let inside = script.key("s").arg(4).invoke::<i64, _>(&mut tx);
        let mut replies = tx.run($b)$($aw)*.unwrap();
        assert_eq!(replies.take(inside).unwrap(), 20);

        // A script error is the call's error, not a retry loop.
        let broken = Script::new("return redis.call('INCR')");
        let error = broken.call().invoke::<i64, _>($b)$($aw)*.unwrap_err();
        assert!(error.server_error().is_some(), "{error:?}");
    }};
}
on_every_body!(scripts);
