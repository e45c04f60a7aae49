use super::*;

fn info(name: &str, sub: Option<&str>) -> &'static CommandInfo {
    lookup(name.as_bytes(), sub.map(str::as_bytes))
        .unwrap_or_else(|| panic!("{name} {sub:?} is in the table"))
}

#[test]
fn every_entry_is_found_by_its_own_name_in_any_case() {
    assert_eq!(COMMANDS.len(), 392);
    for pair in COMMANDS.windows(2) {
        let key = |c: &CommandInfo| (c.name, c.subcommand);
        assert!(key(&pair[0]) < key(&pair[1]), "sorted: {:?}", key(&pair[1]));
    }
    for entry in COMMANDS {
        let sub = (!entry.subcommand.is_empty()).then_some(entry.subcommand);
        let lower = entry.name.to_ascii_lowercase();
        let sub_lower = sub.map(str::to_ascii_lowercase);
        let found = lookup(lower.as_bytes(), sub_lower.as_deref().map(str::as_bytes));
        assert_eq!(found, Some(entry), "{} {:?}", entry.name, sub);
    }
}

#[test]
fn containers_answer_for_unknown_subcommands_and_plain_commands_ignore_them() {
    let kill = info("client", Some("kill"));
    assert_eq!((kill.name, kill.subcommand), ("CLIENT", "KILL"));
    let container = info("CLIENT", Some("no-such"));
    assert_eq!((container.name, container.subcommand), ("CLIENT", ""));
    assert!(container.flags.contains(CommandFlags::CONTAINER));
    assert!(!container.may_resend(), "an unknown subcommand may write");
    assert_eq!(info("CLIENT", None).subcommand, "");
    assert_eq!(info("get", Some("k")).name, "GET");
    assert!(lookup(b"NOSUCHCOMMAND", None).is_none());
    assert!(lookup(b"", None).is_none());
    assert!(info_of(&Cmd::default()).is_none());
    assert!(
        !may_resend(&Cmd::new("NOSUCHCOMMAND")),
        "unknown: not resent"
    );
}

#[test]
fn flags_say_what_a_command_may_do() {
    assert!(info("SET", None).is_write());
    assert!(info("GET", None).is_readonly());
    assert!(info("BLPOP", None).is_blocking());
    assert!(info("XREAD", None).is_blocking() && info("XREAD", None).is_readonly());
    assert!(info("EVAL", None).may_replicate());
    assert!(info("PUBLISH", None).may_replicate());
    assert!(!info("GET", None).is_write());
}

#[test]
fn only_what_cannot_change_data_may_be_resent() {
    let resend = [
        ("GET", None),
        ("MGET", None),
        ("XREAD", None),
        ("DBSIZE", None),
        ("KEYS", None),
        ("PING", None),
        ("ECHO", None),
        ("INFO", None),
        ("TIME", None),
        ("CLUSTER", Some("SHARDS")),
        ("CLUSTER", Some("SLOTS")),
        ("CLIENT", Some("ID")),
        ("SCRIPT", Some("LOAD")),
        ("SCRIPT", Some("EXISTS")),
        ("EVAL_RO", None),
        ("FCALL_RO", None),
    ];
    for (name, sub) in resend {
        assert!(info(name, sub).may_resend(), "{name} {sub:?}");
    }
    let never = [
        ("SET", None),
        ("INCR", None),
        ("DEL", None),
        ("LPUSH", None),
        ("BLPOP", None),
        ("XREADGROUP", None),
        ("EVAL", None),
        ("EVALSHA", None),
        ("FCALL", None),
        ("PUBLISH", None),
        ("SPUBLISH", None),
        ("MULTI", None),
        ("EXEC", None),
        ("DISCARD", None),
        ("WATCH", None),
        ("SHUTDOWN", None),
        ("FLUSHALL", None),
        ("CLIENT", Some("KILL")),
        ("CLIENT", Some("PAUSE")),
        ("CONFIG", Some("SET")),
        ("SCRIPT", Some("KILL")),
        ("FUNCTION", Some("KILL")),
        ("FUNCTION", Some("LOAD")),
        ("SUBSCRIBE", None),
        ("CLUSTER", Some("FAILOVER")),
        ("DEBUG", None),
    ];
    for (name, sub) in never {
        assert!(!info(name, sub).may_resend(), "{name} {sub:?}");
    }
    // Every write, and every command that may replicate without only reading (all
    // but PFCOUNT, which may only cache a count), is in the second group.
    assert!(info("PFCOUNT", None).may_replicate() && info("PFCOUNT", None).may_resend());
    for entry in COMMANDS {
        if entry.is_write() || (entry.may_replicate() && !entry.is_readonly()) {
            assert!(!entry.may_resend(), "{} {}", entry.name, entry.subcommand);
        }
    }
}

#[test]
fn cluster_policies_come_from_the_tips() {
    assert_eq!(
        info("DBSIZE", None).request_policy,
        RequestPolicy::AllShards
    );
    assert_eq!(info("DBSIZE", None).response_policy, ResponsePolicy::AggSum);
    assert_eq!(
        info("FLUSHALL", None).response_policy,
        ResponsePolicy::AllSucceeded
    );
    assert_eq!(info("KEYS", None).response_policy, ResponsePolicy::Default);
    assert_eq!(
        info("SCRIPT", Some("LOAD")).request_policy,
        RequestPolicy::AllNodes
    );
    assert_eq!(
        info("SCRIPT", Some("EXISTS")).response_policy,
        ResponsePolicy::AggLogicalAnd
    );
    assert_eq!(info("MGET", None).request_policy, RequestPolicy::MultiShard);
    assert_eq!(info("INFO", None).response_policy, ResponsePolicy::Special);
    assert_eq!(info("GET", None).request_policy, RequestPolicy::Default);
}

#[test]
fn keys_are_found_by_the_specs() {
    let args = |cmd: &Cmd| -> Vec<Vec<u8>> { keys(cmd).into_iter().map(<[u8]>::to_vec).collect() };
    assert_eq!(args(&Cmd::from_args(["GET", "k"])), [b"k".to_vec()]);
    assert_eq!(
        args(&Cmd::from_args(["MSET", "a", "1", "b", "2"])),
        [b"a".to_vec(), b"b".to_vec()]
    );
    assert_eq!(
        args(&Cmd::from_args(["EVAL", "s", "2", "k1", "k2", "a"])),
        [b"k1".to_vec(), b"k2".to_vec()]
    );
    assert_eq!(
        args(&Cmd::from_args([
            "XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"
        ])),
        [b"s1".to_vec(), b"s2".to_vec()]
    );
    assert_eq!(
        args(&Cmd::from_args([
            "SORT", "k", "LIMIT", "0", "1", "STORE", "d"
        ])),
        [b"k".to_vec(), b"d".to_vec()]
    );
    assert_eq!(
        args(&Cmd::from_args([
            "MIGRATE", "h", "1", "", "0", "5", "KEYS", "a", "b"
        ])),
        [b"a".to_vec(), b"b".to_vec()]
    );
    // A command longer than the on-stack index reads the same.
    let mut long = Cmd::new("DEL");
    for i in 0..40 {
        long.push_arg(format!("k{i}"));
    }
    assert_eq!(keys(&long).len(), 40);
    // A shard channel is a position, not a key.
    let spublish = Cmd::from_args(["SPUBLISH", "chan", "msg"]);
    assert!(keys(&spublish).is_empty());
    let positions = key_positions(&spublish);
    assert_eq!(positions.len(), 1);
    assert!(positions[0].flags.contains(KeyFlags::NOT_KEY));
}

#[test]
fn bad_argument_lists_give_what_can_be_found_and_never_panic() {
    for bad in [
        vec!["EVAL", "s", "-1", "k"],
        vec!["EVAL", "s", "99999999999999999999", "k"],
        vec!["EVAL", "s", "9223372036854775807", "k"],
        vec!["EVAL", "s"],
        vec!["XREAD", "STREAMS"],
        vec!["ZUNIONSTORE", "d", "3", "a"],
        vec!["MIGRATE"],
        vec!["SORT"],
        vec!["NOSUCH", "k"],
    ] {
        let cmd = Cmd::from_args(bad.iter().copied());
        for position in key_positions(&cmd) {
            assert!(position.index < cmd.len(), "{bad:?}");
        }
    }
}

#[test]
fn cacheable_commands_are_one_key_reads_with_a_stable_reply() {
    for yes in [
        vec!["GET", "k"],
        vec!["hget", "k", "f"],
        vec!["LRANGE", "k", "0", "-1"],
        vec!["ZSCORE", "k", "m"],
        vec!["STRLEN", "k"],
        vec!["SMEMBERS", "k"],
        vec!["HGETALL", "k"],
    ] {
        assert!(
            is_cacheable(&Cmd::from_args(yes.iter().copied())),
            "{yes:?}"
        );
    }
    for no in [
        vec!["SET", "k", "v"],
        vec!["MGET", "a", "b"],
        vec!["EXISTS", "k"],
        vec!["TTL", "k"],
        vec!["PTTL", "k"],
        vec!["SRANDMEMBER", "k"],
        vec!["BLPOP", "k", "0"],
        vec!["SINTER", "a", "b"],
        vec!["SORT_RO", "k"],
        vec!["EVAL_RO", "s", "1", "k"],
        vec!["RANDOMKEY"],
        vec!["SCAN", "0"],
        vec!["NOSUCH", "k"],
        vec!["CLIENT", "INFO"],
    ] {
        assert!(!is_cacheable(&Cmd::from_args(no.iter().copied())), "{no:?}");
    }
}

/// Compares a table name (upper case) with an argument in any case.
fn cmp_upper(entry: &str, arg: &[u8]) -> std::cmp::Ordering {
    entry
        .bytes()
        .cmp(arg.iter().map(|b| b.to_ascii_uppercase()))
}

/// The whole-table binary search `lookup` replaced, as the reference.
fn lookup_by_whole_table(name: &[u8], sub: Option<&[u8]>) -> Option<&'static CommandInfo> {
    let start = COMMANDS.partition_point(|c| cmp_upper(c.name, name).is_lt());
    let len = COMMANDS[start..]
        .iter()
        .take_while(|c| cmp_upper(c.name, name).is_eq())
        .count();
    let same = &COMMANDS[start..start + len];
    let container = same.first()?;
    let Some(sub) = sub.filter(|_| same.len() > 1) else {
        return Some(container);
    };
    let subs = &same[1..];
    let at = subs.partition_point(|c| cmp_upper(c.subcommand, sub).is_lt());
    match subs.get(at) {
        Some(entry) if cmp_upper(entry.subcommand, sub).is_eq() => Some(entry),
        _ => Some(container),
    }
}

#[test]
fn the_letter_index_finds_what_a_search_of_the_whole_table_finds() {
    let mut names: Vec<Vec<u8>> = Vec::new();
    for entry in COMMANDS {
        for name in [entry.name.to_owned(), entry.name.to_ascii_lowercase()] {
            names.push(name.clone().into_bytes());
            // Near misses: a prefix, one letter more, a letter changed.
            names.push(name.as_bytes()[..name.len() - 1].to_vec());
            names.push(format!("{name}X").into_bytes());
            names.push(format!("{}~", &name[..name.len() - 1]).into_bytes());
        }
    }
    names.extend([&b""[..], b"1GET", b"~", b"{", b"@", b"zzzz"].map(<[u8]>::to_vec));
    // Longer than any name: never found, whatever follows.
    names.push(b"CLIENT".repeat(7));
    names.push(b"G".repeat(33));
    let subs: Vec<Option<Vec<u8>>> = COMMANDS
        .iter()
        .map(|c| Some(c.subcommand.as_bytes().to_vec()))
        .chain([
            None,
            Some(b"kill".to_vec()),
            Some(b"nosuch".to_vec()),
            Some(Vec::new()),
        ])
        .collect();
    for name in &names {
        for sub in &subs {
            let sub = sub.as_deref();
            assert_eq!(
                lookup(name, sub),
                lookup_by_whole_table(name, sub),
                "{:?} {:?}",
                String::from_utf8_lossy(name),
                sub.map(String::from_utf8_lossy)
            );
        }
    }
}
