//! The key-spec interpreter (`redis_client::keys`) against the server's own
//! `COMMAND GETKEYS`: a representative hand-picked set, then every generated example
//! the server can extract keys from.
#![cfg(feature = "sync")]

mod generated_examples;

use generated_examples::examples;
use redis_client::keys::{self, KeyFlags};
use redis_client::resp::Frame;
use redis_client::{Cmd, cmd, options};
use redis_io_sync::Connection;
use redis_test_support::{RedisServer, tcp_config};

/// `COMMAND GETKEYS <cmd>`: `Ok(keys)`, or `Err(message)` when the server finds none.
fn server_keys(conn: &mut Connection, command: &Cmd) -> Result<Vec<Vec<u8>>, String> {
    let mut getkeys = Cmd::new("COMMAND").arg("GETKEYS");
    getkeys.extend_from(&Cmd::from_args(command.args()));
    match conn.request(&getkeys) {
        Ok(Frame::Array(ref items)) => Ok(items
            .iter()
            .map(|item| match item {
                Frame::BulkString(b) | Frame::SimpleString(b) => b.to_vec(),
                other => panic!("GETKEYS item {other:?}"),
            })
            .collect()),
        Ok(other) => Err(format!("{other:?}")),
        Err(e) => Err(e.to_string()),
    }
}

fn ours(command: &Cmd) -> Vec<Vec<u8>> {
    keys::keys(command)
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect()
}

fn show(keys: &[Vec<u8>]) -> Vec<String> {
    keys.iter()
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect()
}

fn representative() -> Vec<Cmd> {
    vec![
        cmd::get("k").into_cmd(),
        cmd::set("k", "v").into_cmd(),
        cmd::set_with("k", "v", options::SetOptions::new().get().ex(10)).into_cmd(),
        cmd::mset([("a", "1"), ("b", "2"), ("c", "3")]).into_cmd(),
        cmd::mget(["a", "b", "c"]).into_cmd(),
        cmd::del(["a", "b"]).into_cmd(),
        cmd::eval("return 1", ["k1", "k2"], ["a1", "a2"]).into_cmd(),
        cmd::eval("return 1", [""; 0], [""; 0]).into_cmd(),
        cmd::fcall("f", ["k1"], ["a1"]).into_cmd(),
        cmd::xread_with(
            ["s1", "s2", "s3"],
            ["0", "0", "0"],
            options::XreadOptions::new().count(2),
        )
        .into_cmd(),
        cmd::xread(["STREAMS"], ["0"]).into_cmd(),
        cmd::xreadgroup_with(
            "g",
            "c",
            ["s1", "s2"],
            [">", ">"],
            options::XreadgroupOptions::new().count(1).noack(),
        )
        .into_cmd(),
        cmd::zunionstore_with(
            "dst",
            ["a", "b"],
            options::ZunionstoreOptions::new().weights([1, 2]),
        )
        .into_cmd(),
        cmd::zinterstore("dst", ["a", "b", "c"]).into_cmd(),
        cmd::zdiff(["a", "b"]).into_cmd(),
        cmd::lmpop_with(
            ["a", "b"],
            options::LmpopWhere::left(),
            options::LmpopOptions::new().count(3),
        )
        .into_cmd(),
        cmd::blmpop(0.5, ["a"], options::BlmpopWhere::right()).into_cmd(),
        cmd::sintercard(["a", "b"]).into_cmd(),
        cmd::sort("k").into_cmd(),
        cmd::sort_with(
            "k",
            options::SortOptions::new()
                .by("w_*")
                .limit(0, 5)
                .get(["#", "STORE"])
                .store("dst"),
        )
        .into_cmd(),
        cmd::sort_ro_with("k", options::SortRoOptions::new().by("w_*")).into_cmd(),
        cmd::migrate(
            "127.0.0.1",
            6380,
            options::MigrateKeySelector::key("k"),
            0,
            100,
        )
        .into_cmd(),
        cmd::migrate_with(
            "127.0.0.1",
            6380,
            options::MigrateKeySelector::empty_string(),
            0,
            100,
            options::MigrateOptions::new()
                .auth2("KEYS", "pw")
                .keys(["a", "b"]),
        )
        .into_cmd(),
        cmd::object_encoding("k").into_cmd(),
        cmd::memory_usage("k").into_cmd(),
        cmd::xinfo_stream("s").into_cmd(),
        cmd::xgroup_create("s", "g", options::XgroupCreateIdSelector::new_id()).into_cmd(),
        cmd::bitop(options::BitopOperation::and(), "dst", ["a", "b", "c"]).into_cmd(),
        cmd::georadius_with(
            "g",
            1.0,
            2.0,
            3.0,
            options::GeoradiusUnit::m(),
            options::GeoradiusOptions::new().store("dst"),
        )
        .into_cmd(),
        cmd::georadiusbymember_with(
            "g",
            "m",
            3.0,
            options::GeoradiusbymemberUnit::km(),
            options::GeoradiusbymemberOptions::new().storedist("dst"),
        )
        .into_cmd(),
        cmd::geosearchstore(
            "dst",
            "src",
            options::GeosearchstoreFrom::frommember("m"),
            options::GeosearchstoreBy::byradius(1.0, options::GeosearchstoreUnit::m()),
        )
        .into_cmd(),
        cmd::lmove(
            "src",
            "dst",
            options::LmoveWherefrom::left(),
            options::LmoveWhereto::right(),
        )
        .into_cmd(),
        cmd::rename("a", "b").into_cmd(),
        cmd::copy("a", "b").into_cmd(),
        cmd::exists(["a", "b", "a"]).into_cmd(),
        cmd::hset("h", [("f", "v")]).into_cmd(),
        cmd::xadd("s", options::XaddIdSelector::auto_id(), [("f", "v")]).into_cmd(),
        cmd::pfmerge_with("dst", options::PfmergeOptions::new().sourcekey(["a", "b"])).into_cmd(),
        cmd::watch(["a", "b"]).into_cmd(),
        cmd::blpop(["a", "b"], 1.0).into_cmd(),
        Cmd::from_args(["get", "lower-case-name"]),
        Cmd::from_args(["Object", "Freq", "k"]),
    ]
}

#[test]
fn representative_commands_match_command_getkeys() {
    let server = RedisServer::start();
    let mut conn = Connection::connect(tcp_config(&server)).expect("connect");
    let mut failures = Vec::new();
    let commands = representative();
    for command in &commands {
        let expected = server_keys(&mut conn, command)
            .unwrap_or_else(|e| panic!("GETKEYS {command:?} failed: {e}"));
        let found = ours(command);
        if found != expected {
            failures.push(format!(
                "{command:?}: server {:?}, ours {:?}",
                show(&expected),
                show(&found)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!(
        "{} representative commands match COMMAND GETKEYS",
        commands.len()
    );
}

#[test]
fn every_example_with_keys_matches_command_getkeys() {
    let server = RedisServer::start();
    let version = server.version();
    let mut conn = Connection::connect(tcp_config(&server)).expect("connect");
    let mut compared = 0;
    let mut refused = 0;
    let mut failures = Vec::new();
    for example in examples() {
        let since = {
            let mut p = example
                .since
                .split('.')
                .map(|p| p.parse::<u32>().unwrap_or(0));
            (
                p.next().unwrap_or(0),
                p.next().unwrap_or(0),
                p.next().unwrap_or(0),
            )
        };
        if since > version {
            continue;
        }
        for command in [&example.min, &example.max] {
            match server_keys(&mut conn, command) {
                Ok(expected) => {
                    compared += 1;
                    let found = ours(command);
                    if found != expected {
                        failures.push(format!(
                            "{command:?}: server {:?}, ours {:?}",
                            show(&expected),
                            show(&found)
                        ));
                    }
                }
                // No keys, or arguments the server's extraction refuses (GETKEYS also
                // checks arity): nothing to compare, but we must not invent keys for
                // a command without key specs.
                Err(_) => {
                    refused += 1;
                    let info = keys::command_info_of(command)
                        .unwrap_or_else(|| panic!("{command:?} is not in the table"));
                    if info.key_specs.is_empty() {
                        assert!(
                            ours(command).is_empty(),
                            "{command:?}: keys without key specs"
                        );
                    }
                }
            }
        }
    }
    eprintln!(
        "{compared} example invocations compared with COMMAND GETKEYS; {refused} have no keys or were refused by the server"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared >= 300, "only {compared} compared");
}

#[test]
fn shard_channels_are_positions_but_not_keys() {
    let spublish = cmd::spublish("chan", "msg").into_cmd();
    assert!(keys::keys(&spublish).is_empty());
    let positions = keys::key_positions(&spublish);
    assert_eq!(positions.len(), 1);
    assert_eq!(positions[0].index, 1);
    assert!(positions[0].flags.contains(KeyFlags::NOT_KEY));
}

#[test]
fn lookups_are_case_insensitive_and_know_containers() {
    let info = keys::command_info(b"client", Some(b"kill")).expect("CLIENT KILL");
    assert_eq!((info.name, info.subcommand), ("CLIENT", "KILL"));
    let info = keys::command_info(b"CLIENT", Some(b"no-such")).expect("the container");
    assert_eq!((info.name, info.subcommand), ("CLIENT", ""));
    assert!(keys::command_info(b"NOSUCHCOMMAND", None).is_none());
    let set = keys::command_info(b"set", None).expect("SET");
    assert!(set.is_write());
    assert!(keys::COMMANDS.len() == 392);
    assert!(keys::key_positions(&Cmd::from_args(["NOSUCHCOMMAND", "k"])).is_empty());
}
