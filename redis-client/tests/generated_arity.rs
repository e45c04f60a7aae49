//! The generated argument shapes checked against the server itself: every command's
//! minimal invocation (required arguments only) and maximal one (every option set),
//! built with the generated constructors, must have an argument count that the
//! running server's `COMMAND INFO` arity accepts.
//!
//! Skipped, and counted: commands newer than the server (by the spec's `since`), and
//! invocations using an argument newer than the server (ZRANK's `WITHSCORE`, 7.2).
//! The `sentinel` group is checked against a Sentinel, the only server that knows it.
//! The invocations in [`EXCEPTIONS`] are checked to fail, with the reason listed.
//! Nothing else is skipped: a command the server should know but does not is a failure.
#![cfg(feature = "sync")]

mod generated_examples;

use generated_examples::{Example, examples};
use redis_client::resp::Frame;
use redis_client::{Cmd, Error};
use redis_io_sync::Connection;
use redis_test_support::{RedisSentinel, RedisServer, tcp_config};

fn version(text: &str) -> Version {
    let mut parts = text.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

fn full_name(example: &Example) -> String {
    match example.container {
        Some(container) => format!("{container}|{}", example.name).to_lowercase(),
        None => example.name.to_lowercase(),
    }
}

/// The arity `COMMAND INFO name` reports, `None` if the server does not know it.
fn arity(conn: &mut Connection, name: &str) -> Option<i64> {
    let reply = conn
        .request(&Cmd::new("COMMAND").arg("INFO").arg(name))
        .expect("COMMAND INFO");
    let Frame::Array(ref entries) = reply else {
        panic!("COMMAND INFO {name}: unexpected reply {reply:?}");
    };
    match entries.first()? {
        Frame::Array(info) => match info.get(1) {
            Some(Frame::Integer(arity)) => Some(*arity),
            other => panic!("COMMAND INFO {name}: no arity in {other:?}"),
        },
        _ => None,
    }
}

fn accepts(arity: i64, argc: usize) -> bool {
    let argc = argc as i64;
    if arity >= 0 {
        argc == arity
    } else {
        argc >= -arity
    }
}

/// Invocations the spec allows but the server's arity refuses: (command, invocation,
/// up to which server version, reason).
type Version = (u32, u32, u32);

const EXCEPTIONS: &[(&str, &str, Version, &str)] = &[
    (
        "command|getkeys",
        "minimal",
        (7, 1, 99),
        "Redis 7.0 requires an argument after the command name (arity -4); 7.2 made it optional (-3)",
    ),
    (
        "command|getkeysandflags",
        "minimal",
        (7, 1, 99),
        "as COMMAND GETKEYS",
    ),
    (
        "zrank",
        "maximal",
        (7, 1, 99),
        "WITHSCORE is new in 7.2; the spec records that only in its history, not as `since`",
    ),
    ("zrevrank", "maximal", (7, 1, 99), "as ZRANK"),
    (
        "sentinel|simulate-failure",
        "minimal",
        (99, 0, 0),
        "the spec marks the mode list optional, the arity (-3) requires one mode",
    ),
];

#[derive(Default)]
struct Tally {
    checked: usize,
    /// Invocations using an argument newer than the server.
    newer_arguments: Vec<String>,
    /// Listed exceptions, confirmed to be refused by the arity.
    exceptions: Vec<String>,
    failures: Vec<String>,
}

fn check(conn: &mut Connection, server: Version, example: &Example, tally: &mut Tally) {
    let name = full_name(example);
    let Some(arity) = arity(conn, &name) else {
        tally.failures.push(format!(
            "{name} (since {}) is unknown to the server",
            example.since
        ));
        return;
    };
    let invocations = [
        ("minimal", &example.min, example.min_since),
        ("maximal", &example.max, example.max_since),
    ];
    for (which, cmd, since) in invocations {
        if version(since) > server {
            tally
                .newer_arguments
                .push(format!("{name} ({which}, {since})"));
            continue;
        }
        let exception = EXCEPTIONS
            .iter()
            .find(|(n, w, upto, _)| *n == name && *w == which && server <= *upto);
        if let Some((_, _, _, reason)) = exception {
            if accepts(arity, cmd.len()) {
                tally.failures.push(format!(
                    "{name} {which} is listed as an exception ({reason}) but the arity {arity} accepts it"
                ));
            }
            tally.exceptions.push(format!("{name} ({which})"));
            continue;
        }
        tally.checked += 1;
        if !accepts(arity, cmd.len()) {
            tally.failures.push(format!(
                "{name}: {which} invocation has {} arguments, arity is {arity}: {cmd:?}",
                cmd.len()
            ));
        }
    }
}

fn connect(server: &RedisServer) -> Connection {
    Connection::connect(tcp_config(server)).unwrap_or_else(|e: Error| panic!("connect: {e}"))
}

#[test]
fn every_generated_command_matches_the_servers_arity() {
    let examples = examples();
    assert_eq!(
        examples.len(),
        392,
        "one example per command of the 7.2.6 spec"
    );

    let server = RedisServer::start();
    let server_version = server.version();
    let mut conn = connect(&server);

    let mut tally = Tally::default();
    let mut too_new = Vec::new();
    let mut sentinel = Vec::new();
    for example in &examples {
        if version(example.since) > server_version {
            too_new.push(full_name(example));
        } else if example.group == "sentinel" {
            sentinel.push(example);
        } else {
            check(&mut conn, server_version, example, &mut tally);
        }
    }
    let data_checked = tally.checked;

    // The sentinel group: only a Sentinel knows these commands.
    let topology = RedisSentinel::start();
    let mut sentinel_conn = connect(&topology.sentinels()[0]);
    for example in &sentinel {
        check(&mut sentinel_conn, server_version, example, &mut tally);
    }

    eprintln!(
        "server {server_version:?}: {} examples checked ({} on a data node, {} on a sentinel) \
         for {} commands; {} commands skipped as newer than the server: {}; \
         {} invocations skipped for arguments newer than the server: {}; \
         {} listed exceptions confirmed: {}",
        tally.checked,
        data_checked,
        tally.checked - data_checked,
        examples.len() - too_new.len(),
        too_new.len(),
        too_new.join(", "),
        tally.newer_arguments.len(),
        tally.newer_arguments.join(", "),
        tally.exceptions.len(),
        tally.exceptions.join(", "),
    );
    assert!(
        tally.failures.is_empty(),
        "{} failures:\n{}",
        tally.failures.len(),
        tally.failures.join("\n")
    );
    assert_eq!(
        tally.checked + tally.newer_arguments.len() + tally.exceptions.len(),
        2 * (examples.len() - too_new.len()),
        "every invocation of a command the server has is checked or listed"
    );
    assert!(
        tally.checked >= 2 * 350,
        "expected most of the spec to be checked, got {}",
        tally.checked
    );
}
