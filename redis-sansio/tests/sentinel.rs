//! Sentinel discovery, scripted: each sentinel and node is a canned answer (RESP bytes,
//! decoded here, in RESP2 and RESP3 shapes) or a failure, and the test reads the
//! actions the machine asks for.

use std::collections::HashMap;

use redis_sansio::config::ServerAddr;
use redis_sansio::resp::{Frame, decode_one};
use redis_sansio::sentinel::{Action, Discovery, Failure, Role, SentinelError, Target};

/// What one address does when asked.
#[derive(Clone)]
enum Behaviour {
    /// Connecting is refused.
    Down,
    /// Answers each command (by its first two words, upper-cased) with these bytes.
    Answers(Vec<(&'static str, &'static str)>),
}

/// The fake topology, and a record of what discovery asked.
struct World {
    places: HashMap<ServerAddr, Behaviour>,
    /// `"ask 127.0.0.1:1 SENTINEL GET-MASTER-ADDR-BY-NAME"`, `"role 10.0.0.1:6379"`.
    log: Vec<String>,
}

fn addr(port: u16) -> ServerAddr {
    ServerAddr::tcp("127.0.0.1", port)
}

fn frame(bytes: &str) -> Frame {
    match decode_one(bytes.as_bytes()) {
        Ok(Some((frame, used))) if used == bytes.len() => frame,
        other => panic!("bad test bytes {bytes:?}: {other:?}"),
    }
}

impl World {
    fn new() -> Self {
        World {
            places: HashMap::new(),
            log: Vec::new(),
        }
    }

    fn down(mut self, port: u16) -> Self {
        self.places.insert(addr(port), Behaviour::Down);
        self
    }

    fn answers(mut self, port: u16, answers: &[(&'static str, &'static str)]) -> Self {
        self.places
            .insert(addr(port), Behaviour::Answers(answers.to_vec()));
        self
    }

    /// Runs the discovery to its end; at most 100 steps.
    fn run(&mut self, mut discovery: Discovery) -> (Discovery, Result<ServerAddr, SentinelError>) {
        for _ in 0..100 {
            let action = discovery
                .poll_action()
                .expect("one action after each input");
            assert!(
                discovery.poll_action().is_none(),
                "only one action at a time"
            );
            let (step, place, cmd, verb) = match action {
                Action::AskSentinel {
                    step,
                    sentinel,
                    cmd,
                } => (step, sentinel, cmd, "ask"),
                Action::CheckRole { step, node, cmd } => (step, node, cmd, "role"),
                Action::Done { node, .. } => {
                    assert!(discovery.is_finished());
                    assert!(discovery.poll_action().is_none());
                    return (discovery, Ok(node));
                }
                Action::Failed(error) => {
                    assert!(discovery.is_finished());
                    return (discovery, Err(error));
                }
                other => panic!("unexpected action {other:?}"),
            };
            let words: Vec<String> = cmd
                .args()
                .take(2)
                .map(|arg| String::from_utf8_lossy(arg).to_ascii_uppercase())
                .collect();
            let key = if words[0] == "SENTINEL" {
                words.join(" ")
            } else {
                words[0].clone()
            };
            if verb == "ask" {
                self.log.push(format!("ask {place} {key}"));
            } else {
                self.log.push(format!("role {place}"));
            }
            match self.places.get(&place).cloned().unwrap_or(Behaviour::Down) {
                Behaviour::Down => {
                    let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
                    discovery.handle_failure(step, refused);
                }
                Behaviour::Answers(answers) => {
                    let reply = answers
                        .iter()
                        .find(|(command, _)| *command == key)
                        .map_or_else(|| Frame::error("ERR unknown command"), |(_, b)| frame(b));
                    discovery.handle_reply(step, reply);
                }
            }
        }
        panic!("discovery did not end in 100 steps: {:?}", self.log);
    }
}

const GET_MASTER: &str = "SENTINEL GET-MASTER-ADDR-BY-NAME";
const REPLICAS: &str = "SENTINEL REPLICAS";
const SENTINELS: &str = "SENTINEL SENTINELS";
const ROLE_MASTER: &str = "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n";
const ROLE_SLAVE: &str =
    "*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:7000\r\n$9\r\nconnected\r\n:10\r\n";
/// `127.0.0.1:7000`.
const MASTER_AT_7000: &str = "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n7000\r\n";
/// `127.0.0.1:7001`.
const MASTER_AT_7001: &str = "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n7001\r\n";

fn master_discovery(ports: &[u16]) -> Discovery {
    Discovery::new("mymaster", ports.iter().map(|&p| addr(p)), Target::Master)
}

#[test]
fn the_first_sentinel_names_the_master_and_role_confirms_it() {
    let mut world = World::new()
        .answers(26379, &[(GET_MASTER, MASTER_AT_7000)])
        .answers(7000, &[("ROLE", ROLE_MASTER)]);
    let (discovery, found) = world.run(master_discovery(&[26379, 26380]));
    assert_eq!(found.unwrap(), addr(7000));
    assert_eq!(
        world.log,
        [
            "ask 127.0.0.1:26379 SENTINEL GET-MASTER-ADDR-BY-NAME",
            "role 127.0.0.1:7000"
        ]
    );
    assert!(discovery.attempts().is_empty());
}

#[test]
fn the_command_names_the_master() {
    let mut discovery = master_discovery(&[26379]);
    let Some(Action::AskSentinel { cmd, .. }) = discovery.poll_action() else {
        panic!("expected a question to a sentinel");
    };
    let args: Vec<&[u8]> = cmd.args().collect();
    assert_eq!(
        args,
        [&b"SENTINEL"[..], b"GET-MASTER-ADDR-BY-NAME", b"mymaster"]
    );
}

#[test]
fn a_dead_first_sentinel_is_skipped_and_the_one_that_answered_moves_first() {
    let mut world = World::new()
        .down(26379)
        .answers(26380, &[(GET_MASTER, MASTER_AT_7000)])
        .answers(7000, &[("ROLE", ROLE_MASTER)]);
    let (discovery, found) = world.run(master_discovery(&[26379, 26380, 26381]));
    assert_eq!(found.unwrap(), addr(7000));
    assert_eq!(
        discovery.sentinels(),
        [addr(26380), addr(26379), addr(26381)]
    );
    let [attempt] = discovery.attempts() else {
        panic!("one failure expected: {:?}", discovery.attempts());
    };
    assert_eq!(attempt.sentinel, addr(26379));
    let Failure::Unreachable(error) = &attempt.failure else {
        panic!("expected unreachable: {attempt}");
    };
    let io = error
        .downcast_ref::<std::io::Error>()
        .expect("the adapter's error is kept");
    assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn an_unknown_master_name_is_a_typed_error_once_every_sentinel_is_asked() {
    let mut world = World::new()
        .answers(26379, &[(GET_MASTER, "*-1\r\n")])
        .answers(26380, &[(GET_MASTER, "_\r\n")])
        .down(26381);
    let (_, found) = world.run(master_discovery(&[26379, 26380, 26381]));
    let error = found.unwrap_err();
    let SentinelError::UnknownMaster { name, attempts } = &error else {
        panic!("expected UnknownMaster: {error}");
    };
    assert_eq!(name, "mymaster");
    assert_eq!(attempts.len(), 3);
    assert!(matches!(attempts[0].failure, Failure::UnknownMaster));
    assert!(matches!(attempts[1].failure, Failure::UnknownMaster));
    assert!(matches!(attempts[2].failure, Failure::Unreachable(_)));
    let message = error.to_string();
    assert!(
        message.contains("no sentinel knows a master named \"mymaster\""),
        "{message}"
    );
    assert_eq!(world.log.len(), 3, "no node is contacted: {:?}", world.log);
}

#[test]
fn when_every_sentinel_is_dead_the_error_lists_each() {
    let mut world = World::new().down(26379).down(26380);
    let (_, found) = world.run(master_discovery(&[26379, 26380]));
    let error = found.unwrap_err();
    let SentinelError::Exhausted { role, attempts, .. } = &error else {
        panic!("expected Exhausted: {error}");
    };
    assert_eq!(*role, Role::Master);
    let sentinels: Vec<_> = attempts.iter().map(|a| a.sentinel.clone()).collect();
    assert_eq!(sentinels, [addr(26379), addr(26380)]);
    let message = error.to_string();
    assert!(
        message.contains("sentinel 127.0.0.1:26379: unreachable"),
        "{message}"
    );
    assert!(
        message.contains("sentinel 127.0.0.1:26380: unreachable"),
        "{message}"
    );
}

#[test]
fn no_sentinel_at_all_fails_at_once() {
    let mut discovery = Discovery::new("mymaster", [], Target::Master);
    assert!(matches!(
        discovery.poll_action(),
        Some(Action::Failed(SentinelError::NoSentinels))
    ));
    assert!(discovery.poll_action().is_none());
}

#[test]
fn duplicate_sentinels_are_asked_once() {
    let mut world = World::new().down(26379);
    let (discovery, _) = world.run(master_discovery(&[26379, 26379]));
    assert_eq!(discovery.sentinels(), [addr(26379)]);
    assert_eq!(world.log.len(), 1);
}

#[test]
fn a_stale_sentinel_naming_a_demoted_master_is_passed_over() {
    let mut world = World::new()
        .answers(26379, &[(GET_MASTER, MASTER_AT_7000)])
        .answers(26380, &[(GET_MASTER, MASTER_AT_7001)])
        .answers(7000, &[("ROLE", ROLE_SLAVE)])
        .answers(7001, &[("ROLE", ROLE_MASTER)]);
    let (discovery, found) = world.run(master_discovery(&[26379, 26380]));
    assert_eq!(found.unwrap(), addr(7001));
    assert_eq!(
        world.log,
        [
            "ask 127.0.0.1:26379 SENTINEL GET-MASTER-ADDR-BY-NAME",
            "role 127.0.0.1:7000",
            "ask 127.0.0.1:26380 SENTINEL GET-MASTER-ADDR-BY-NAME",
            "role 127.0.0.1:7001",
        ]
    );
    let [attempt] = discovery.attempts() else {
        panic!("one failure expected");
    };
    let Failure::RoleMismatch {
        node,
        expected,
        found,
    } = &attempt.failure
    else {
        panic!("expected a role mismatch: {attempt}");
    };
    assert_eq!(
        (node, *expected, found.as_str()),
        (&addr(7000), Role::Master, "slave")
    );
    assert_eq!(discovery.sentinels()[0], addr(26380));
}

#[test]
fn a_role_mismatch_everywhere_is_exhaustion_with_each_mismatch() {
    let mut world = World::new()
        .answers(26379, &[(GET_MASTER, MASTER_AT_7000)])
        .answers(7000, &[("ROLE", ROLE_SLAVE)]);
    let (_, found) = world.run(master_discovery(&[26379]));
    let error = found.unwrap_err();
    assert!(matches!(
        error.attempts(),
        [attempt] if matches!(attempt.failure, Failure::RoleMismatch { .. })
    ));
    assert!(error.to_string().contains("is not a master"), "{error}");
}

#[test]
fn an_unreachable_node_moves_on_to_the_next_sentinel() {
    let mut world = World::new()
        .answers(26379, &[(GET_MASTER, MASTER_AT_7000)])
        .answers(26380, &[(GET_MASTER, MASTER_AT_7001)])
        .down(7000)
        .answers(7001, &[("ROLE", ROLE_MASTER)]);
    let (discovery, found) = world.run(master_discovery(&[26379, 26380]));
    assert_eq!(found.unwrap(), addr(7001));
    assert!(matches!(
        &discovery.attempts()[0].failure,
        Failure::NodeUnreachable { node, .. } if *node == addr(7000)
    ));
}

#[test]
fn an_error_reply_from_a_node_is_kept_as_its_error() {
    let mut world = World::new()
        .answers(26379, &[(GET_MASTER, MASTER_AT_7000)])
        .answers(7000, &[("ROLE", "-NOAUTH Authentication required.\r\n")]);
    let (_, found) = world.run(master_discovery(&[26379]));
    let error = found.unwrap_err();
    let Failure::NodeUnreachable { error: cause, .. } = &error.attempts()[0].failure else {
        panic!("expected the node's failure: {error}");
    };
    let server = cause
        .downcast_ref::<redis_sansio::ServerError>()
        .expect("a server error");
    assert_eq!(server.kind(), &redis_sansio::ServerErrorKind::NoAuth);
}

#[test]
fn malformed_replies_are_typed_failures_and_the_next_sentinel_is_asked() {
    let bad_answers = [
        ":42\r\n",
        "*1\r\n$9\r\n127.0.0.1\r\n",
        "*2\r\n$9\r\n127.0.0.1\r\n$5\r\nhello\r\n",
        "*2\r\n$9\r\n127.0.0.1\r\n$5\r\n99999\r\n",
        "*2\r\n$0\r\n\r\n$4\r\n7000\r\n",
        "*2\r\n*0\r\n$4\r\n7000\r\n",
        "%1\r\n+a\r\n+b\r\n",
        "$9\r\n127.0.0.1\r\n",
    ];
    for bad in bad_answers {
        let mut world = World::new()
            .answers(26379, &[(GET_MASTER, bad)])
            .answers(26380, &[(GET_MASTER, MASTER_AT_7000)])
            .answers(7000, &[("ROLE", ROLE_MASTER)]);
        let (discovery, found) = world.run(master_discovery(&[26379, 26380]));
        assert_eq!(found.unwrap(), addr(7000), "after {bad:?}");
        assert!(
            matches!(&discovery.attempts()[0].failure, Failure::Malformed(_)),
            "{bad:?}: {:?}",
            discovery.attempts()
        );
    }
}

#[test]
fn a_malformed_role_reply_is_a_typed_failure() {
    for bad in ["+OK\r\n", "*0\r\n", "*1\r\n:1\r\n", "_\r\n"] {
        let mut world = World::new()
            .answers(26379, &[(GET_MASTER, MASTER_AT_7000)])
            .answers(7000, &[("ROLE", bad)]);
        let (_, found) = world.run(master_discovery(&[26379]));
        let error = found.unwrap_err();
        assert!(
            matches!(&error.attempts()[0].failure, Failure::Malformed(m) if m.command == "ROLE"),
            "{bad:?}: {error}"
        );
    }
}

#[test]
fn a_sentinel_error_reply_is_a_server_failure() {
    let mut world = World::new().answers(
        26379,
        &[(GET_MASTER, "-NOAUTH Authentication required.\r\n")],
    );
    let (_, found) = world.run(master_discovery(&[26379]));
    let error = found.unwrap_err();
    assert!(
        matches!(&error.attempts()[0].failure, Failure::Server(_)),
        "{error}"
    );
}

#[test]
fn outcomes_of_other_steps_are_ignored() {
    let mut discovery = master_discovery(&[26379, 26380]);
    let Some(Action::AskSentinel { step, .. }) = discovery.poll_action() else {
        panic!("expected a question");
    };
    discovery.handle_reply(step, frame(MASTER_AT_7000));
    let Some(Action::CheckRole {
        step: role_step, ..
    }) = discovery.poll_action()
    else {
        panic!("expected a role check");
    };
    // The first step again, late: nothing happens.
    discovery.handle_reply(step, frame("*-1\r\n"));
    let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    discovery.handle_failure(step, refused);
    assert!(discovery.poll_action().is_none());
    discovery.handle_reply(role_step, frame(ROLE_MASTER));
    assert!(matches!(discovery.poll_action(), Some(Action::Done { .. })));
    // Finished: more input changes nothing.
    discovery.handle_reply(role_step, frame(ROLE_MASTER));
    assert!(discovery.poll_action().is_none());
}

// ---- replicas -------------------------------------------------------------------

/// RESP2: three replicas as flat arrays; 7001 is down, 7002 disconnected.
const REPLICAS_RESP2: &str = concat!(
    "*3\r\n",
    "*6\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n$4\r\n7001\r\n$5\r\nflags\r\n$12\r\nslave,s_down\r\n",
    "*6\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n$4\r\n7002\r\n$5\r\nflags\r\n$18\r\nslave,disconnected\r\n",
    "*6\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n$4\r\n7003\r\n$5\r\nflags\r\n$5\r\nslave\r\n",
);

/// RESP3: two healthy replicas as maps (port 7004 and 7005), one `o_down`.
const REPLICAS_RESP3: &str = concat!(
    "*3\r\n",
    "%3\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n$4\r\n7004\r\n$5\r\nflags\r\n$5\r\nslave\r\n",
    "%3\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n$4\r\n7006\r\n$5\r\nflags\r\n$12\r\nslave,o_down\r\n",
    "%3\r\n$4\r\nport\r\n$4\r\n7005\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$5\r\nflags\r\n$5\r\nslave\r\n",
);

fn replica_discovery(ports: &[u16], seed: u64) -> Discovery {
    Discovery::new(
        "mymaster",
        ports.iter().map(|&p| addr(p)),
        Target::Replica { seed },
    )
}

#[test]
fn a_replica_is_chosen_among_the_healthy_ones_of_a_resp2_reply() {
    let mut world = World::new()
        .answers(26379, &[(REPLICAS, REPLICAS_RESP2)])
        .answers(7003, &[("ROLE", ROLE_SLAVE)]);
    let (_, found) = world.run(replica_discovery(&[26379], 5));
    assert_eq!(found.unwrap(), addr(7003));
    assert_eq!(
        world.log,
        [
            "ask 127.0.0.1:26379 SENTINEL REPLICAS",
            "role 127.0.0.1:7003"
        ]
    );
}

#[test]
fn the_seed_picks_among_the_healthy_replicas_of_a_resp3_reply() {
    for (seed, port) in [(0, 7004), (1, 7005), (2, 7004), (u64::MAX, 7005)] {
        let mut world = World::new()
            .answers(26379, &[(REPLICAS, REPLICAS_RESP3)])
            .answers(7004, &[("ROLE", ROLE_SLAVE)])
            .answers(7005, &[("ROLE", ROLE_SLAVE)]);
        let (_, found) = world.run(replica_discovery(&[26379], seed));
        assert_eq!(found.unwrap(), addr(port), "seed {seed}");
    }
}

#[test]
fn a_replica_that_fails_its_check_gives_way_to_the_next() {
    let mut world = World::new()
        .answers(26379, &[(REPLICAS, REPLICAS_RESP3)])
        .answers(7004, &[("ROLE", ROLE_MASTER)])
        .answers(7005, &[("ROLE", ROLE_SLAVE)]);
    let (discovery, found) = world.run(replica_discovery(&[26379], 0));
    assert_eq!(found.unwrap(), addr(7005));
    assert!(matches!(
        &discovery.attempts()[0].failure,
        Failure::RoleMismatch { expected: Role::Replica, found, .. } if found == "master"
    ));
}

#[test]
fn no_healthy_replica_moves_on_to_the_next_sentinel() {
    let all_down = "*1\r\n%2\r\n$2\r\nip\r\n$1\r\nh\r\n$4\r\nport\r\n:7001\r\n";
    let flagged = concat!(
        "*1\r\n*6\r\n$2\r\nip\r\n$1\r\nh\r\n$4\r\nport\r\n$4\r\n7001\r\n",
        "$5\r\nflags\r\n$19\r\nslave,s_down,o_down\r\n"
    );
    let mut world = World::new()
        .answers(26379, &[(REPLICAS, "*0\r\n")])
        .answers(26380, &[(REPLICAS, flagged)])
        .answers(26381, &[(REPLICAS, all_down)])
        .down(7001);
    let (discovery, found) = world.run(replica_discovery(&[26379, 26380, 26381], 0));
    let error = found.unwrap_err();
    let failures: Vec<_> = discovery.attempts().iter().map(|a| &a.failure).collect();
    assert!(matches!(failures[0], Failure::NoHealthyReplica), "{error}");
    assert!(matches!(failures[1], Failure::NoHealthyReplica), "{error}");
    // An integer port and no flags at all are accepted; the node itself is down.
    assert!(
        matches!(failures[2], Failure::NodeUnreachable { .. }),
        "{error}"
    );
    assert!(matches!(
        error,
        SentinelError::Exhausted {
            role: Role::Replica,
            ..
        }
    ));
}

#[test]
fn an_unknown_master_name_for_replicas_is_the_same_typed_error() {
    let mut world = World::new().answers(
        26379,
        &[(REPLICAS, "-ERR No such master with that name\r\n")],
    );
    let (_, found) = world.run(replica_discovery(&[26379], 0));
    assert!(matches!(
        found.unwrap_err(),
        SentinelError::UnknownMaster { .. }
    ));
}

#[test]
fn malformed_replica_lists_are_typed_failures() {
    for bad in [
        "+OK\r\n",
        "*1\r\n:1\r\n",
        "*1\r\n*3\r\n$2\r\nip\r\n$1\r\nh\r\n$4\r\nport\r\n",
        "*1\r\n*2\r\n$2\r\nip\r\n$1\r\nh\r\n",
        "*1\r\n%1\r\n$4\r\nport\r\n$2\r\n-1\r\n",
    ] {
        let mut world = World::new().answers(26379, &[(REPLICAS, bad)]);
        let (_, found) = world.run(replica_discovery(&[26379], 0));
        let error = found.unwrap_err();
        assert!(
            matches!(&error.attempts()[0].failure, Failure::Malformed(m) if m.command == "SENTINEL REPLICAS"),
            "{bad:?}: {error}"
        );
    }
}

// ---- learning sentinels ---------------------------------------------------------

/// Two other sentinels (26380 again, and 26390), RESP3 maps and a RESP2 array.
const OTHER_SENTINELS: &str = concat!(
    "*2\r\n",
    "%2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n$5\r\n26380\r\n",
    "*4\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n$5\r\n26390\r\n",
);

#[test]
fn learned_sentinels_are_added_once_and_asked_when_needed() {
    let mut world = World::new()
        .answers(
            26379,
            &[(GET_MASTER, MASTER_AT_7000), (SENTINELS, OTHER_SENTINELS)],
        )
        .down(26380)
        .answers(7000, &[("ROLE", ROLE_SLAVE)])
        .answers(26390, &[(GET_MASTER, MASTER_AT_7001)])
        .answers(7001, &[("ROLE", ROLE_MASTER)]);
    let discovery = master_discovery(&[26379, 26380]).learn_sentinels(true);
    let (discovery, found) = world.run(discovery);
    assert_eq!(found.unwrap(), addr(7001));
    assert_eq!(
        world.log,
        [
            "ask 127.0.0.1:26379 SENTINEL GET-MASTER-ADDR-BY-NAME",
            "ask 127.0.0.1:26379 SENTINEL SENTINELS",
            "role 127.0.0.1:7000",
            "ask 127.0.0.1:26380 SENTINEL GET-MASTER-ADDR-BY-NAME",
            "ask 127.0.0.1:26390 SENTINEL GET-MASTER-ADDR-BY-NAME",
            "role 127.0.0.1:7001",
        ]
    );
    assert_eq!(
        discovery.sentinels(),
        [addr(26390), addr(26379), addr(26380)]
    );
}

#[test]
fn a_failed_or_malformed_sentinel_list_is_ignored() {
    for answer in [
        None,
        Some("-ERR nope\r\n"),
        Some(":3\r\n"),
        Some("*1\r\n:3\r\n"),
    ] {
        let mut answers = vec![(GET_MASTER, MASTER_AT_7000)];
        if let Some(answer) = answer {
            answers.push((SENTINELS, answer));
        }
        let mut world = World::new()
            .answers(26379, &answers)
            .answers(7000, &[("ROLE", ROLE_MASTER)]);
        let discovery = master_discovery(&[26379]).learn_sentinels(true);
        let (discovery, found) = world.run(discovery);
        assert_eq!(found.unwrap(), addr(7000), "{answer:?}");
        assert_eq!(discovery.sentinels(), [addr(26379)]);
        assert!(discovery.attempts().is_empty());
    }
}

#[test]
fn a_dropped_sentinel_list_step_is_ignored() {
    let mut discovery = master_discovery(&[26379]).learn_sentinels(true);
    let Some(Action::AskSentinel { step, .. }) = discovery.poll_action() else {
        panic!("expected a question");
    };
    discovery.handle_reply(step, frame(MASTER_AT_7000));
    let Some(Action::AskSentinel { step, cmd, .. }) = discovery.poll_action() else {
        panic!("expected the sentinel list question");
    };
    assert_eq!(cmd.args().nth(1), Some(&b"SENTINELS"[..]));
    discovery.handle_failure(step, std::io::Error::from(std::io::ErrorKind::TimedOut));
    assert!(matches!(
        discovery.poll_action(),
        Some(Action::CheckRole { .. })
    ));
}
