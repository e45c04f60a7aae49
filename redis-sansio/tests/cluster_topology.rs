//! Topology parsing: `CLUSTER SHARDS` and `CLUSTER SLOTS` in RESP2 and RESP3, real
//! server bytes and hand-built replies, and malformed replies as typed errors.

use std::time::Instant;

use proptest::prelude::*;
use redis_sansio::cluster::{
    ClusterRouter, Health, NodeAddr, ReadFrom, Role, RouterConfig, SLOT_COUNT, SlotRange, Topology,
    TopologyError,
};
use redis_sansio::resp::{Frame, decode_one};

/// `CLUSTER SHARDS` from a one-node Redis 7.0.15 cluster, RESP2: its `ip` and
/// `endpoint` are empty (a node that never met a peer does not know its own IP).
const SHARDS_RESP2: &[u8] = b"*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n*14\r\n$2\r\nid\r\n$40\r\nb2b1dcb12b366ea17eb3aba3ed69815a643a8751\r\n$4\r\nport\r\n:27123\r\n$2\r\nip\r\n$0\r\n\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n";
/// The same in RESP3.
const SHARDS_RESP3: &[u8] = b"*1\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n%7\r\n$2\r\nid\r\n$40\r\nb2b1dcb12b366ea17eb3aba3ed69815a643a8751\r\n$4\r\nport\r\n:27123\r\n$2\r\nip\r\n$0\r\n\r\n$8\r\nendpoint\r\n$0\r\n\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n";
/// `CLUSTER SLOTS` from the same node, RESP2 (RESP3 differs only in the empty map).
const SLOTS_RESP2: &[u8] = b"*1\r\n*3\r\n:0\r\n:16383\r\n*4\r\n$0\r\n\r\n:27123\r\n$40\r\nb2b1dcb12b366ea17eb3aba3ed69815a643a8751\r\n*0\r\n";
const SLOTS_RESP3: &[u8] = b"*1\r\n*3\r\n:0\r\n:16383\r\n*4\r\n$0\r\n\r\n:27123\r\n$40\r\nb2b1dcb12b366ea17eb3aba3ed69815a643a8751\r\n%0\r\n";

const ID: &str = "b2b1dcb12b366ea17eb3aba3ed69815a643a8751";

fn decode(bytes: &[u8]) -> Frame {
    let (frame, used) = decode_one(bytes).unwrap().unwrap();
    assert_eq!(used, bytes.len());
    frame
}

fn b(s: &str) -> Frame {
    Frame::bulk(s.to_owned())
}

fn int(n: i64) -> Frame {
    Frame::Integer(n)
}

/// A node of `CLUSTER SHARDS` as RESP3 map entries.
fn node(id: &str, endpoint: &str, port: i64, role: &str, health: &str) -> Vec<(Frame, Frame)> {
    vec![
        (b("id"), b(id)),
        (b("port"), int(port)),
        (b("ip"), b(endpoint)),
        (b("endpoint"), b(endpoint)),
        (b("role"), b(role)),
        (b("replication-offset"), int(42)),
        (b("health"), b(health)),
    ]
}

fn flat(pairs: Vec<(Frame, Frame)>) -> Frame {
    Frame::Array(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect())
}

fn shard(slots: &[i64], nodes: Vec<Vec<(Frame, Frame)>>, resp3: bool) -> Frame {
    let wrap = |pairs: Vec<(Frame, Frame)>| {
        if resp3 {
            Frame::Map(pairs)
        } else {
            flat(pairs)
        }
    };
    wrap(vec![
        (
            b("slots"),
            Frame::Array(slots.iter().map(|&s| int(s)).collect()),
        ),
        (
            b("nodes"),
            Frame::Array(nodes.into_iter().map(wrap).collect()),
        ),
    ])
}

/// Three shards on 127.0.0.1:7000..7002 with replicas on 7003..7005; the first
/// shard owns two ranges.
fn three_shards(resp3: bool) -> Frame {
    Frame::Array(vec![
        shard(
            &[0, 5460, 16000, 16383],
            vec![
                node("a", "127.0.0.1", 7000, "master", "online"),
                node("d", "127.0.0.1", 7003, "replica", "online"),
            ],
            resp3,
        ),
        shard(
            &[5461, 10922],
            vec![
                node("e", "127.0.0.1", 7004, "replica", "loading"),
                node("b", "127.0.0.1", 7001, "master", "online"),
            ],
            resp3,
        ),
        shard(
            &[10923, 15999],
            vec![
                node("c", "127.0.0.1", 7002, "master", "online"),
                node("f", "127.0.0.1", 7005, "replica", "failed"),
            ],
            resp3,
        ),
    ])
}

#[test]
fn real_shards_reply_in_both_protocols() {
    for bytes in [SHARDS_RESP2, SHARDS_RESP3] {
        let topology = Topology::from_shards(&decode(bytes), "10.0.0.9").unwrap();
        assert_eq!(topology.shards.len(), 1);
        let shard = &topology.shards[0];
        assert_eq!(
            shard.slots,
            [SlotRange {
                start: 0,
                end: 16383
            }]
        );
        assert_eq!(shard.primary.id.as_deref(), Some(ID));
        // An empty endpoint is the host of the node that answered.
        assert_eq!(shard.primary.addr, NodeAddr::new("10.0.0.9", 27123));
        assert_eq!(shard.primary.role, Role::Primary);
        assert_eq!(shard.primary.health, Health::Online);
        assert!(shard.replicas.is_empty());
        assert_eq!(topology.covered_slots(), 16384);
    }
}

/// A node of a cluster with `tls-cluster yes`, as RESP3 map entries: its `port` (left
/// out when `None`, as Redis 7.0 does for a TLS-only node; 0 is kept) and `tls-port`.
fn tls_node(id: &str, port: Option<i64>, tls_port: i64, role: &str) -> Vec<(Frame, Frame)> {
    let mut fields = vec![(b("id"), b(id))];
    if let Some(port) = port {
        fields.push((b("port"), int(port)));
    }
    fields.extend([
        (b("tls-port"), int(tls_port)),
        (b("ip"), b("127.0.0.1")),
        (b("endpoint"), b("127.0.0.1")),
        (b("role"), b(role)),
        (b("health"), b("online")),
    ]);
    fields
}

/// The ports of the primary and the replica of a one-shard topology.
fn ports(topology: &Topology) -> (u16, u16) {
    let shard = &topology.shards[0];
    (shard.primary.addr.port, shard.replicas[0].addr.port)
}

#[test]
fn tls_ports_are_taken_by_the_kind_of_connection() {
    for resp3 in [true, false] {
        let reply = |primary_port: Option<i64>, replica_port: Option<i64>| {
            Frame::Array(vec![shard(
                &[0, 16383],
                vec![
                    tls_node("a", primary_port, 8000, "master"),
                    tls_node("b", replica_port, 8001, "replica"),
                ],
                resp3,
            )])
        };
        // A cluster serving both: a plain-text client takes `port`, a TLS one `tls-port`.
        let both = reply(Some(7000), Some(7001));
        let plain = Topology::from_shards(&both, "10.0.0.9").unwrap();
        assert_eq!(ports(&plain), (7000, 7001), "resp3: {resp3}");
        let tls = Topology::from_shards_tls(&both, "10.0.0.9").unwrap();
        assert_eq!(ports(&tls), (8000, 8001), "resp3: {resp3}");
        // TLS only: no `port` (Redis 7.0), or `port` 0; either way the TLS port.
        for only in [reply(None, None), reply(Some(0), Some(0))] {
            for topology in [
                Topology::from_shards(&only, "h").unwrap(),
                Topology::from_shards_tls(&only, "h").unwrap(),
            ] {
                assert_eq!(ports(&topology), (8000, 8001), "resp3: {resp3}");
            }
        }
    }
    // Plain text only: a TLS client still gets the only port there is.
    let topology = Topology::from_shards_tls(&three_shards(true), "h").unwrap();
    assert_eq!(topology.shards[0].primary.addr.port, 7000);
}

#[test]
fn real_slots_reply_in_both_protocols() {
    for bytes in [SLOTS_RESP2, SLOTS_RESP3] {
        let topology = Topology::from_slots(&decode(bytes), "10.0.0.9").unwrap();
        assert_eq!(topology.shards.len(), 1);
        let shard = &topology.shards[0];
        assert_eq!(
            shard.slots,
            [SlotRange {
                start: 0,
                end: 16383
            }]
        );
        assert_eq!(shard.primary.addr, NodeAddr::new("10.0.0.9", 27123));
        assert_eq!(shard.primary.id.as_deref(), Some(ID));
        assert_eq!(shard.primary.health, Health::Unknown);
    }
}

#[test]
fn three_shards_resp2_and_resp3_parse_the_same() {
    let resp2 = Topology::from_shards(&three_shards(false), "x").unwrap();
    let resp3 = Topology::from_shards(&three_shards(true), "x").unwrap();
    assert_eq!(resp2, resp3);
    assert_eq!(resp3.shards.len(), 3);
    assert_eq!(resp3.covered_slots(), 16384);
    let first = &resp3.shards[0];
    assert_eq!(
        first.slots,
        [
            SlotRange {
                start: 0,
                end: 5460
            },
            SlotRange {
                start: 16000,
                end: 16383
            }
        ]
    );
    // The primary is found whatever its place in the list.
    let second = &resp3.shards[1];
    assert_eq!(second.primary.addr, NodeAddr::new("127.0.0.1", 7001));
    assert_eq!(second.replicas[0].addr, NodeAddr::new("127.0.0.1", 7004));
    assert_eq!(second.replicas[0].health, Health::Loading);
    assert_eq!(resp3.shards[2].replicas[0].health, Health::Failed);
}

#[test]
fn question_mark_endpoint_is_the_answering_host() {
    let reply = Frame::Array(vec![shard(
        &[0, 16383],
        vec![node("a", "?", 7000, "master", "online")],
        true,
    )]);
    let topology = Topology::from_shards(&reply, "node-a.example").unwrap();
    assert_eq!(
        topology.shards[0].primary.addr,
        NodeAddr::new("node-a.example", 7000)
    );
}

#[test]
fn slots_reply_groups_ranges_by_primary() {
    let node = |host: &str, port: i64, id: &str| Frame::Array(vec![b(host), int(port), b(id)]);
    let reply = Frame::Array(vec![
        Frame::Array(vec![
            int(0),
            int(100),
            node("127.0.0.1", 7000, "a"),
            node("127.0.0.1", 7003, "d"),
        ]),
        Frame::Array(vec![int(101), int(16000), node("127.0.0.1", 7001, "b")]),
        Frame::Array(vec![
            int(16001),
            int(16383),
            node("127.0.0.1", 7000, "a"),
            node("127.0.0.1", 7003, "d"),
        ]),
    ]);
    let topology = Topology::from_slots(&reply, "x").unwrap();
    assert_eq!(topology.shards.len(), 2);
    assert_eq!(topology.shards[0].slots.len(), 2);
    assert_eq!(topology.shards[0].replicas.len(), 1);
    assert_eq!(topology.shards[0].replicas[0].role, Role::Replica);
    assert_eq!(topology.covered_slots(), 16384);
}

#[test]
fn an_empty_primary_is_kept_and_a_shard_without_primary_or_slots_dropped() {
    let reply = Frame::Array(vec![
        shard(
            &[0, 16383],
            vec![node("a", "h", 7000, "master", "online")],
            true,
        ),
        shard(&[], vec![node("b", "h", 7001, "master", "online")], true),
        shard(&[], vec![node("c", "h", 7002, "replica", "online")], true),
    ]);
    let topology = Topology::from_shards(&reply, "x").unwrap();
    assert_eq!(topology.shards.len(), 2);
    assert!(topology.shards[1].slots.is_empty());
}

/// What a malformed reply's error must look like.
type Expect = fn(&TopologyError) -> bool;

#[test]
fn malformed_shards_replies_are_typed_errors() {
    let cases: Vec<(Frame, Expect)> = vec![
        (
            Frame::error("ERR This instance has cluster support disabled"),
            |e| matches!(e, TopologyError::ErrorReply(m) if m.contains("cluster support disabled")),
        ),
        (Frame::Integer(3), |e| {
            matches!(e, TopologyError::Unexpected { .. })
        }),
        (Frame::Array(vec![]), |e| *e == TopologyError::NoSlots),
        (Frame::Array(vec![Frame::Integer(1)]), |e| {
            matches!(e, TopologyError::Unexpected { .. })
        }),
        // An odd flat array is no map.
        (Frame::Array(vec![Frame::Array(vec![b("slots")])]), |e| {
            matches!(e, TopologyError::Unexpected { .. })
        }),
        (
            Frame::Array(vec![Frame::Map(vec![(b("slots"), Frame::Array(vec![]))])]),
            |e| *e == TopologyError::MissingField { field: "nodes" },
        ),
        (
            Frame::Array(vec![shard(
                &[0, 16384],
                vec![node("a", "h", 1, "master", "online")],
                true,
            )]),
            |e| {
                *e == TopologyError::InvalidSlotRange {
                    start: 0,
                    end: 16384,
                }
            },
        ),
        (
            Frame::Array(vec![
                shard(&[0, 100], vec![node("a", "h", 1, "master", "online")], true),
                shard(
                    &[100, 200],
                    vec![node("b", "h", 2, "master", "online")],
                    true,
                ),
            ]),
            |e| *e == TopologyError::OverlappingSlots { slot: 100 },
        ),
        (
            Frame::Array(vec![shard(
                &[10, 5],
                vec![node("a", "h", 1, "master", "online")],
                true,
            )]),
            |e| *e == TopologyError::InvalidSlotRange { start: 10, end: 5 },
        ),
        (
            Frame::Array(vec![shard(
                &[0, 1, 2],
                vec![node("a", "h", 1, "master", "online")],
                true,
            )]),
            |e| *e == TopologyError::InvalidField { field: "slots" },
        ),
        (
            Frame::Array(vec![shard(
                &[0, 16383],
                vec![node("a", "h", 70000, "master", "online")],
                true,
            )]),
            |e| *e == TopologyError::InvalidPort(70000),
        ),
        (
            Frame::Array(vec![shard(
                &[0, 16383],
                vec![node("a", "h", 1, "boss", "online")],
                true,
            )]),
            |e| *e == TopologyError::InvalidField { field: "role" },
        ),
        (
            Frame::Array(vec![shard(
                &[0, 16383],
                vec![node("a", "h", 1, "replica", "online")],
                true,
            )]),
            |e| *e == TopologyError::NoPrimary,
        ),
        (
            Frame::Array(vec![shard(
                &[0, 16383],
                vec![vec![(b("id"), b("a")), (b("role"), b("master"))]],
                true,
            )]),
            |e| *e == TopologyError::MissingField { field: "port" },
        ),
        (
            Frame::Array(vec![shard(
                &[0, 16383],
                vec![vec![
                    (b("port"), b("not a number")),
                    (b("role"), b("master")),
                ]],
                true,
            )]),
            |e| *e == TopologyError::InvalidField { field: "port" },
        ),
        (
            Frame::Array(vec![shard(
                &[0, 16383],
                vec![vec![(Frame::Integer(1), b("x"))]],
                true,
            )]),
            |e| matches!(e, TopologyError::Unexpected { .. }),
        ),
    ];
    for (reply, expected) in cases {
        let error = Topology::from_shards(&reply, "h").unwrap_err();
        assert!(expected(&error), "{reply:?} gave {error:?}");
        // Every error has a message.
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn malformed_slots_replies_are_typed_errors() {
    let node = Frame::Array(vec![b("h"), int(7000)]);
    let cases: Vec<(Frame, TopologyError)> = vec![
        (
            Frame::Array(vec![Frame::Array(vec![int(0), int(1)])]),
            TopologyError::MissingField {
                field: "slot range and primary",
            },
        ),
        (
            Frame::Array(vec![Frame::Array(vec![
                int(0),
                int(1),
                Frame::Array(vec![b("h")]),
            ])]),
            TopologyError::MissingField {
                field: "node host and port",
            },
        ),
        (
            Frame::Array(vec![Frame::Array(vec![int(-1), int(1), node.clone()])]),
            TopologyError::InvalidSlotRange { start: -1, end: 1 },
        ),
        (
            Frame::Array(vec![Frame::Array(vec![
                int(0),
                int(1),
                Frame::Array(vec![b("h"), int(0)]),
            ])]),
            TopologyError::InvalidPort(0),
        ),
        (Frame::Array(vec![]), TopologyError::NoSlots),
    ];
    for (reply, expected) in cases {
        assert_eq!(
            Topology::from_slots(&reply, "h").unwrap_err(),
            expected,
            "{reply:?}"
        );
    }
    // A null host is the answering node's.
    let reply = Frame::Array(vec![Frame::Array(vec![
        int(0),
        int(16383),
        Frame::Array(vec![Frame::Null, int(7000)]),
    ])]);
    assert_eq!(
        Topology::from_slots(&reply, "me").unwrap().shards[0]
            .primary
            .addr,
        NodeAddr::new("me", 7000)
    );
}

#[test]
fn mutated_real_replies_give_errors_not_panics() {
    // Drop each element of each aggregate in turn, and replace each leaf with
    // other kinds: the parsers must answer, never panic.
    fn mutations(frame: &Frame) -> Vec<Frame> {
        let mut out = vec![
            Frame::Null,
            Frame::Integer(-1),
            Frame::bulk("?"),
            Frame::Array(vec![]),
        ];
        if let Frame::Array(items) = frame {
            for i in 0..items.len() {
                let mut fewer = items.clone();
                fewer.remove(i);
                out.push(Frame::Array(fewer));
                for m in mutations(&items[i]) {
                    let mut changed = items.clone();
                    changed[i] = m;
                    out.push(Frame::Array(changed));
                }
            }
        }
        out
    }
    for bytes in [SHARDS_RESP2, SLOTS_RESP2] {
        for reply in mutations(&decode(bytes)) {
            let _ = Topology::from_shards(&reply, "h");
            let _ = Topology::from_slots(&reply, "h");
        }
    }
}

/// Values shaped like topology replies: the field names and words they use, slot-ish
/// and port-ish integers, nulls and errors, nested in arrays and maps.
fn topology_like() -> impl Strategy<Value = Frame> {
    let words = prop::sample::select(vec![
        "slots",
        "nodes",
        "id",
        "port",
        "tls-port",
        "ip",
        "endpoint",
        "role",
        "master",
        "replica",
        "health",
        "online",
        "failed",
        "loading",
        "",
        "?",
        "127.0.0.1",
    ]);
    let leaf = prop_oneof![
        words.prop_map(|w| Frame::bulk(w.to_owned())),
        (-2i64..20_000).prop_map(Frame::Integer),
        Just(Frame::Null),
        Just(Frame::error("ERR nope")),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Frame::Array),
            prop::collection::vec((inner.clone(), inner), 0..6).prop_map(Frame::Map),
        ]
    })
}

/// Where the router's simulated clock starts; it never reads the clock itself.
#[allow(clippy::disallowed_methods)]
fn clock_start() -> Instant {
    Instant::now()
}

proptest! {
    /// Whatever the reply, parsing answers without panicking, and a router fed it
    /// routes every slot to a node it knows (or to none).
    #[test]
    fn random_replies_never_panic(reply in topology_like()) {
        let shards = Topology::from_shards(&reply, "h");
        let slots = Topology::from_slots(&reply, "h");
        let now = clock_start();
        let mut router = ClusterRouter::new(RouterConfig::default());
        let seed = router.add_seed(NodeAddr::new("h", 1));
        router.request_refresh(now);
        let applied = router.handle_topology(&reply, seed, now);
        prop_assert_eq!(applied.is_ok(), shards.is_ok());
        for slot in 0..SLOT_COUNT {
            if let Some(node) = router.route(slot, ReadFrom::PreferReplica) {
                prop_assert!(router.node_addr(node).is_some());
            }
        }
        let _ = slots;
    }
}
