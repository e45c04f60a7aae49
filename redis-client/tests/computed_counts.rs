//! Counts the generator computes: `numkeys` is never a parameter. Every command whose
//! count comes before the list it counts (the 18 of the 7.2 specification) writes the
//! length of the list it was given; then EVAL, SINTERCARD, LMPOP and ZUNIONSTORE run
//! through the generated methods on every body against a real server.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod common;

use bytes::Bytes;
use common::{args, on_every_body};
use redis_client::cmd;
use redis_client::options::{
    BlmpopWhere, BzmpopWhere, LmpopOptions, LmpopWhere, SintercardOptions, ZmpopWhere,
    ZunionstoreOptions,
};
use redis_client::prelude::*;

#[test]
fn scripts_and_functions_count_their_keys_and_not_their_arguments() {
    assert_eq!(
        args(&cmd::eval("return 1", ["k1", "k2"], ["a1"])),
        ["EVAL", "return 1", "2", "k1", "k2", "a1"]
    );
    assert_eq!(
        args(&cmd::eval_ro("return 1", ["k1"], ["a1", "a2"])),
        ["EVAL_RO", "return 1", "1", "k1", "a1", "a2"]
    );
    assert_eq!(
        args(&cmd::evalsha("abc", ["k1", "k2", "k3"], [""; 0])),
        ["EVALSHA", "abc", "3", "k1", "k2", "k3"]
    );
    assert_eq!(
        args(&cmd::evalsha_ro("abc", [""; 0], ["a1"])),
        ["EVALSHA_RO", "abc", "0", "a1"]
    );
    assert_eq!(
        args(&cmd::fcall("f", ["k1"], [1, 2])),
        ["FCALL", "f", "1", "k1", "1", "2"]
    );
    assert_eq!(
        args(&cmd::fcall_ro("f", [""; 0], [""; 0])),
        ["FCALL_RO", "f", "0"]
    );
}

#[test]
fn set_list_and_sorted_set_commands_count_their_keys() {
    assert_eq!(
        args(&cmd::sintercard(["a", "b"])),
        ["SINTERCARD", "2", "a", "b"]
    );
    assert_eq!(
        args(&cmd::sintercard_with(
            ["a", "b", "c"],
            SintercardOptions::new().limit(5)
        )),
        ["SINTERCARD", "3", "a", "b", "c", "LIMIT", "5"]
    );
    assert_eq!(
        args(&cmd::lmpop(["a", "b"], LmpopWhere::left())),
        ["LMPOP", "2", "a", "b", "LEFT"]
    );
    assert_eq!(
        args(&cmd::lmpop_with(
            ["a"],
            LmpopWhere::right(),
            LmpopOptions::new().count(3)
        )),
        ["LMPOP", "1", "a", "RIGHT", "COUNT", "3"]
    );
    assert_eq!(
        args(&cmd::blmpop(1.5, ["a", "b", "c"], BlmpopWhere::left())),
        ["BLMPOP", "1.5", "3", "a", "b", "c", "LEFT"]
    );
    assert_eq!(
        args(&cmd::zmpop(["a", "b"], ZmpopWhere::min())),
        ["ZMPOP", "2", "a", "b", "MIN"]
    );
    assert_eq!(
        args(&cmd::bzmpop(0.0, ["a"], BzmpopWhere::max())),
        ["BZMPOP", "0.0", "1", "a", "MAX"]
    );
    assert_eq!(
        args(&cmd::zunionstore("dst", ["a", "b"])),
        ["ZUNIONSTORE", "dst", "2", "a", "b"]
    );
    assert_eq!(
        args(&cmd::zunionstore_with(
            "dst",
            ["a", "b", "c"],
            ZunionstoreOptions::new().weights([1, 2, 3]).aggregate_sum()
        )),
        [
            "ZUNIONSTORE",
            "dst",
            "3",
            "a",
            "b",
            "c",
            "WEIGHTS",
            "1",
            "2",
            "3",
            "AGGREGATE",
            "SUM"
        ]
    );
    assert_eq!(
        args(&cmd::zinterstore("dst", ["a", "b"])),
        ["ZINTERSTORE", "dst", "2", "a", "b"]
    );
    assert_eq!(
        args(&cmd::zdiffstore("dst", ["a", "b", "c"])),
        ["ZDIFFSTORE", "dst", "3", "a", "b", "c"]
    );
    assert_eq!(args(&cmd::zunion(["a"])), ["ZUNION", "1", "a"]);
    assert_eq!(args(&cmd::zinter(["a", "b"])), ["ZINTER", "2", "a", "b"]);
    assert_eq!(args(&cmd::zdiff(["a", "b"])), ["ZDIFF", "2", "a", "b"]);
    assert_eq!(
        args(&cmd::zintercard(["a", "b"])),
        ["ZINTERCARD", "2", "a", "b"]
    );
}

#[test]
fn any_iterator_is_counted_by_what_it_yields() {
    // Neither `filter` nor `chain` knows its length in advance.
    let keys = ["a", "b", "c", "d"].into_iter().filter(|k| *k != "b");
    assert_eq!(
        args(&cmd::sintercard(Each(keys))),
        ["SINTERCARD", "3", "a", "c", "d"]
    );
    let keys = ["a"].into_iter().chain(["b"]);
    assert_eq!(
        args(&cmd::zunionstore("dst", Each(keys))),
        ["ZUNIONSTORE", "dst", "2", "a", "b"]
    );
    // Owned keys and a list longer than the command's inline buffer.
    let keys: Vec<String> = (0..100).map(|i| format!("key:{i}")).collect();
    let built = args(&cmd::eval("return 1", &keys, ["x"]));
    assert_eq!(built[..3], ["EVAL", "return 1", "100"]);
    assert_eq!(built[3..103], keys[..]);
    assert_eq!(built[103..], ["x"]);
}

macro_rules! counted {
    ($b:expr, $($aw:tt)*) => {{
        // EVAL, 2 keys and 1 argument: the server splits KEYS from ARGV where the
        // computed count says.
        let (keys, argv, k1, k2, a1): (i64, i64, Bytes, Bytes, Bytes) = $b
            .execute(
                cmd::eval(
                    "return {#KEYS, #ARGV, KEYS[1], KEYS[2], ARGV[1]}",
                    ["k1", "k2"],
                    ["a1"],
                )
                .returning(),
            )
            $($aw)*
            .unwrap();
        assert_eq!((keys, argv), (2, 1));
        assert_eq!((k1, k2, a1), ("k1".into(), "k2".into(), "a1".into()));
        let none: i64 = $b
            .execute(cmd::eval("return #KEYS + #ARGV", [""; 0], [""; 0]).returning())
            $($aw)*
            .unwrap();
        assert_eq!(none, 0);

        // SINTERCARD
        $b.sadd("s1", ["a", "b", "c"])$($aw)*.unwrap();
        $b.sadd("s2", ["b", "c", "d"])$($aw)*.unwrap();
        $b.sadd("s3", ["c", "d"])$($aw)*.unwrap();
        assert_eq!($b.sintercard(["s1", "s2"])$($aw)*.unwrap(), 2);
        assert_eq!($b.sintercard(["s1", "s2", "s3"])$($aw)*.unwrap(), 1);
        assert_eq!(
            $b.sintercard_with(["s1", "s2"], SintercardOptions::new().limit(1))$($aw)*.unwrap(),
            1
        );

        // LMPOP: the first non-empty list of the keys given.
        $b.rpush("l2", ["x", "y", "z"])$($aw)*.unwrap();
        assert_eq!(
            $b.lmpop(["l1", "l2"], LmpopWhere::left())$($aw)*.unwrap(),
            Some((Bytes::from("l2"), vec![Bytes::from("x")]))
        );
        assert_eq!(
            $b.lmpop_with(["l1", "l2"], LmpopWhere::right(), LmpopOptions::new().count(2))
                $($aw)*
                .unwrap(),
            Some((Bytes::from("l2"), vec![Bytes::from("z"), Bytes::from("y")]))
        );
        assert_eq!($b.lmpop(["l1", "l2"], LmpopWhere::left())$($aw)*.unwrap(), None);

        // ZUNIONSTORE, plain and with weights (as many as keys) and an aggregate.
        $b.zadd("za", [(1.0, "a"), (2.0, "b")])$($aw)*.unwrap();
        $b.zadd("zb", [(10.0, "b"), (20.0, "c")])$($aw)*.unwrap();
        assert_eq!($b.zunionstore("zu", ["za", "zb"])$($aw)*.unwrap(), 3);
        assert_eq!($b.zscore("zu", "b")$($aw)*.unwrap(), Some(12.0));
        let options = ZunionstoreOptions::new().weights([3, 1]).aggregate_max();
        assert_eq!($b.zunionstore_with("zw", ["za", "zb"], options)$($aw)*.unwrap(), 3);
        assert_eq!($b.zscore("zw", "a")$($aw)*.unwrap(), Some(3.0));
        assert_eq!($b.zscore("zw", "b")$($aw)*.unwrap(), Some(10.0));
    }};
}
on_every_body!(counted);
