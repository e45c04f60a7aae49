//! The generated constructors write exactly the arguments the specification's syntax
//! describes, in its order.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod common;

use common::args;
use redis_client::{TypedCmd, cmd, options};

#[test]
fn get_and_plain_set() {
    assert_eq!(args(&cmd::get("k")), ["GET", "k"]);
    assert_eq!(args(&cmd::set("k", "v")), ["SET", "k", "v"]);
    assert_eq!(args(&cmd::set("k", 42)), ["SET", "k", "42"]);
}

#[test]
fn set_options_come_out_in_spec_order_whatever_the_call_order() {
    let options = options::SetOptions::new().ex(10).get().nx();
    assert_eq!(
        args(&cmd::set_with("k", "v", options)),
        ["SET", "k", "v", "NX", "GET", "EX", "10"]
    );
}

#[test]
fn alternatives_share_a_slot_so_the_last_one_wins() {
    let options = options::SetOptions::new().nx().xx().px(5).keepttl();
    assert_eq!(
        args(&cmd::set_with("k", "v", options)),
        ["SET", "k", "v", "XX", "KEEPTTL"]
    );
    assert_eq!(
        args(&cmd::set_with("k", "v", options::SetOptions::new())),
        ["SET", "k", "v"]
    );
}

#[test]
fn zadd_pairs_and_options() {
    assert_eq!(
        args(&cmd::zadd("z", [(1.5, "a"), (2.0, "b")])),
        ["ZADD", "z", "1.5", "a", "2.0", "b"]
    );
    let options = options::ZaddOptions::new().ch().gt().xx().incr();
    assert_eq!(
        args(&cmd::zadd_with("z", [(1.0, "a")], options)),
        ["ZADD", "z", "XX", "GT", "CH", "INCR", "1.0", "a"]
    );
}

#[test]
fn xadd_with_trim_and_id() {
    assert_eq!(
        args(&cmd::xadd(
            "s",
            options::XaddIdSelector::auto_id(),
            [("f", "v"), ("g", "w")]
        )),
        ["XADD", "s", "*", "f", "v", "g", "w"]
    );
    let trim = options::XaddTrim::maxlen(1000).approximately().limit(10);
    let options = options::XaddOptions::new().trim(trim).nomkstream();
    assert_eq!(
        args(&cmd::xadd_with(
            "s",
            options::XaddIdSelector::id("1-1"),
            [("f", "v")],
            options
        )),
        [
            "XADD",
            "s",
            "NOMKSTREAM",
            "MAXLEN",
            "~",
            "1000",
            "LIMIT",
            "10",
            "1-1",
            "f",
            "v"
        ]
    );
    assert_eq!(
        args(&cmd::xtrim("s", options::XtrimTrim::minid("0-1").equal())),
        ["XTRIM", "s", "MINID", "=", "0-1"]
    );
}

#[test]
fn client_kill_both_formats() {
    assert_eq!(
        args(&cmd::client_kill(options::ClientKillFilter::old_format(
            "127.0.0.1:6379"
        ))),
        ["CLIENT", "KILL", "127.0.0.1:6379"]
    );
    let filters = [
        options::ClientKillNewFormat::id(7),
        options::ClientKillNewFormat::type_pubsub(),
        options::ClientKillNewFormat::skipme_no(),
    ];
    assert_eq!(
        args(&cmd::client_kill(options::ClientKillFilter::new_format(
            filters
        ))),
        [
            "CLIENT", "KILL", "ID", "7", "TYPE", "pubsub", "SKIPME", "NO"
        ]
    );
}

#[test]
fn georadius_with_count_order_and_store() {
    let options = options::GeoradiusOptions::new()
        .store("dst")
        .desc()
        .count(options::GeoradiusCount::new(5).any())
        .withdist();
    assert_eq!(
        args(&cmd::georadius_with(
            "g",
            15.0,
            37.5,
            200.0,
            options::GeoradiusUnit::km(),
            options
        )),
        [
            "GEORADIUS",
            "g",
            "15.0",
            "37.5",
            "200.0",
            "km",
            "WITHDIST",
            "COUNT",
            "5",
            "ANY",
            "DESC",
            "STORE",
            "dst"
        ]
    );
}

#[test]
fn scan_options_and_keyword_names() {
    assert_eq!(args(&cmd::scan(0)), ["SCAN", "0"]);
    let options = options::ScanOptions::new()
        .type_("hash")
        .count(100)
        .pattern("user:*");
    assert_eq!(
        args(&cmd::scan_with(0, options)),
        [
            "SCAN", "0", "MATCH", "user:*", "COUNT", "100", "TYPE", "hash"
        ]
    );
    assert_eq!(args(&cmd::type_("k")), ["TYPE", "k"]);
}

#[test]
fn repeated_tokens_and_tokens_written_once() {
    // SORT's GET repeats its token per pattern; LIMIT takes both numbers.
    let options = options::SortOptions::new()
        .get(["#", "w_*"])
        .limit(0, 10)
        .by("w_*")
        .alpha()
        .store("out");
    assert_eq!(
        args(&cmd::sort_with("k", options)),
        [
            "SORT", "k", "BY", "w_*", "LIMIT", "0", "10", "GET", "#", "GET", "w_*", "ALPHA",
            "STORE", "out"
        ]
    );
    // ZUNIONSTORE's WEIGHTS is written once before its numbers.
    let options = options::ZunionstoreOptions::new()
        .weights([2, 3])
        .aggregate_max();
    assert_eq!(
        args(&cmd::zunionstore_with("dst", ["a", "b"], options)),
        [
            "ZUNIONSTORE",
            "dst",
            "2",
            "a",
            "b",
            "WEIGHTS",
            "2",
            "3",
            "AGGREGATE",
            "MAX"
        ]
    );
}

#[test]
fn xread_streams_block_and_subcommands() {
    let options = options::XreadOptions::new().block(0).count(10);
    assert_eq!(
        args(&cmd::xread_with(["s1", "s2"], ["0", "$"], options)),
        [
            "XREAD", "COUNT", "10", "BLOCK", "0", "STREAMS", "s1", "s2", "0", "$"
        ]
    );
    assert_eq!(
        args(&cmd::config_get(["maxmemory", "save"])),
        ["CONFIG", "GET", "maxmemory", "save"]
    );
    assert_eq!(
        args(&cmd::xinfo_stream_with(
            "s",
            options::XinfoStreamOptions::new().full(options::XinfoStreamFull::full().count(5))
        )),
        ["XINFO", "STREAM", "s", "FULL", "COUNT", "5"]
    );
    assert_eq!(
        args(&cmd::object_encoding("k")),
        ["OBJECT", "ENCODING", "k"]
    );
    assert_eq!(args(&cmd::client("HELP")), ["CLIENT", "HELP"]);
}

#[test]
fn bitfield_operations() {
    let options = options::BitfieldOptions::new().operation([
        options::BitfieldOperation::get("u8", 0),
        options::BitfieldOperation::write(
            options::BitfieldWrite::incrby("i5", 100, 1).overflow_sat(),
        ),
    ]);
    assert_eq!(
        args(&cmd::bitfield_with("b", options)),
        [
            "BITFIELD", "b", "GET", "u8", "0", "OVERFLOW", "SAT", "INCRBY", "i5", "100", "1"
        ]
    );
}

#[test]
fn migrate_and_hello_blocks() {
    let options = options::MigrateOptions::new()
        .keys(["a", "b"])
        .auth2("user", "pw")
        .replace();
    assert_eq!(
        args(&cmd::migrate_with(
            "127.0.0.1",
            6380,
            options::MigrateKeySelector::empty_string(),
            0,
            5000,
            options
        )),
        [
            "MIGRATE",
            "127.0.0.1",
            "6380",
            "",
            "0",
            "5000",
            "REPLACE",
            "AUTH2",
            "user",
            "pw",
            "KEYS",
            "a",
            "b"
        ]
    );
    let hello = options::HelloArguments::new(3).setname("me").auth("u", "p");
    assert_eq!(
        args(&cmd::hello_with(
            options::HelloOptions::new().arguments(hello)
        )),
        ["HELLO", "3", "AUTH", "u", "p", "SETNAME", "me"]
    );
}

#[test]
fn another_reply_type_is_one_call() {
    let typed: TypedCmd<Option<String>> = cmd::get("k").returning();
    assert_eq!(args(&typed), ["GET", "k"]);
    let _: TypedCmd<i64> = cmd::incr("k");
    let _: TypedCmd<Vec<Option<redis_client::resp::Frame>>> = cmd::mget(["a"]).returning();
}
