//! What the cluster tests of the core share: topology replies of made-up clusters, a
//! router that has applied one, and the router's events.
#![allow(dead_code, unreachable_pub)]

use std::time::Instant;

use redis_sansio::ServerError;
use redis_sansio::cluster::{
    ClusterEvent, ClusterRouter, NodeAddr, NodeId, RouterConfig, TopologyCommand,
};
use redis_sansio::resp::Frame;

pub fn b(s: &str) -> Frame {
    Frame::bulk(s.to_owned())
}

pub fn addr(port: u16) -> NodeAddr {
    NodeAddr::new("127.0.0.1", port)
}

pub fn error(text: &str) -> ServerError {
    ServerError::new(text.to_owned().into())
}

/// `CLUSTER SLOTS`-shaped node: `[host, port, id]`.
pub fn slots_node(port: u16) -> Frame {
    Frame::Array(vec![
        b("127.0.0.1"),
        Frame::Integer(port.into()),
        b(&format!("id{port}")),
    ])
}

/// A `CLUSTER SHARDS` reply (RESP3): for each shard, its ranges, primary port and
/// replica ports.
/// One shard of a test layout: slot ranges, primary port, replica ports.
pub type ShardLayout<'a> = (&'a [(i64, i64)], u16, &'a [u16]);

pub fn shards(layout: &[ShardLayout<'_>]) -> Frame {
    let node = |port: u16, role: &str| {
        Frame::Map(vec![
            (b("id"), b(&format!("id{port}"))),
            (b("port"), Frame::Integer(port.into())),
            (b("ip"), b("127.0.0.1")),
            (b("endpoint"), b("127.0.0.1")),
            (b("role"), b(role)),
            (b("health"), b("online")),
        ])
    };
    Frame::Array(
        layout
            .iter()
            .map(|(ranges, primary, replicas)| {
                let slots = ranges
                    .iter()
                    .flat_map(|&(s, e)| [Frame::Integer(s), Frame::Integer(e)])
                    .collect();
                let mut nodes = vec![node(*primary, "master")];
                nodes.extend(replicas.iter().map(|&p| node(p, "replica")));
                Frame::Map(vec![
                    (b("slots"), Frame::Array(slots)),
                    (b("nodes"), Frame::Array(nodes)),
                ])
            })
            .collect(),
    )
}

pub fn three_shards() -> Frame {
    shards(&[
        (&[(0, 5460)], 7000, &[7003]),
        (&[(5461, 10922)], 7001, &[7004]),
        (&[(10923, 16383)], 7002, &[7005]),
    ])
}

pub fn events(router: &mut ClusterRouter) -> Vec<ClusterEvent> {
    std::iter::from_fn(|| router.poll_event()).collect()
}

pub fn refresh_asked(events: &[ClusterEvent]) -> Option<(NodeId, TopologyCommand)> {
    events.iter().find_map(|e| match e {
        ClusterEvent::Refresh { node, command } => Some((*node, *command)),
        _ => None,
    })
}

/// A router seeded with 7000 that has applied [`three_shards`] at `now`.
pub fn ready(config: RouterConfig, now: Instant) -> ClusterRouter {
    let mut router = ClusterRouter::new(config);
    let seed = router.add_seed(addr(7000));
    router.request_refresh(now);
    let (node, _) = refresh_asked(&events(&mut router)).unwrap();
    assert_eq!(node, seed);
    router.handle_topology(&three_shards(), seed, now).unwrap();
    let _ = events(&mut router);
    router
}

pub fn node(router: &ClusterRouter, port: u16) -> NodeId {
    router.node_by_addr(&addr(port)).unwrap()
}
