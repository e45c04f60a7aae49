//! The cluster router with a simulated clock: refreshes (fallback, failover to the
//! next node, rate limit, timeout), routing, redirects, retries and their limits.
//!
//! `Instant::now()` only picks where each simulated clock starts; time then moves
//! only by what the tests add to it.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use redis_sansio::cluster::{
    ClusterError, ClusterEvent, ClusterRouter, DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_RETRIES,
    DEFAULT_PERIODIC_REFRESH, DEFAULT_REFRESH_INTERVAL, DEFAULT_REFRESH_TIMEOUT,
    DEFAULT_RETRY_BASE, DEFAULT_RETRY_MAX, DEFAULT_RETRY_TIMEOUT, Decision, NodeAddr, ReadFrom,
    Role, RouterConfig, TopologyCommand, key_slot,
};
use redis_sansio::deadline::LONGEST_WAIT;
use redis_sansio::resp::Frame;

mod cluster_support;

use cluster_support::{
    addr, b, error, events, node, ready, refresh_asked, shards, slots_node, three_shards,
};

const MS: Duration = Duration::from_millis(1);

#[test]
fn seeds_then_topology_connect_every_node_and_route_every_slot() {
    let now = Instant::now();
    let mut router = ClusterRouter::new(RouterConfig::default());
    let seed = router.add_seed(addr(7000));
    assert_eq!(router.add_seed(addr(7000)), seed, "one handle per address");
    assert!(!router.has_topology());
    assert_eq!(router.route(0, ReadFrom::Primary), None);
    router.request_refresh(now);
    let first = events(&mut router);
    assert_eq!(
        first[0],
        ClusterEvent::Connect {
            node: seed,
            addr: addr(7000)
        }
    );
    assert_eq!(refresh_asked(&first), Some((seed, TopologyCommand::Shards)));
    assert!(router.is_refreshing());

    router.handle_topology(&three_shards(), seed, now).unwrap();
    assert!(!router.is_refreshing());
    let connects: Vec<_> = events(&mut router)
        .into_iter()
        .filter_map(|e| match e {
            ClusterEvent::Connect { addr, .. } => Some(addr.port),
            _ => None,
        })
        .collect();
    // The seed is the same node as 7000, so it is not connected twice.
    assert_eq!(connects, [7003, 7001, 7004, 7002, 7005]);
    assert!(router.has_topology());
    assert_eq!(router.route(0, ReadFrom::Primary), Some(seed));
    assert_eq!(
        router.route(5461, ReadFrom::Primary),
        Some(node(&router, 7001))
    );
    assert_eq!(
        router.route(16383, ReadFrom::Primary),
        Some(node(&router, 7002))
    );
    assert_eq!(
        router.route(key_slot(b"foo"), ReadFrom::Primary),
        Some(node(&router, 7002))
    );
    assert_eq!(router.route(16384, ReadFrom::Primary), None);
    assert_eq!(
        router.route(100, ReadFrom::PreferReplica),
        Some(node(&router, 7003))
    );
    assert_eq!(router.route_keyless(), Some(seed));
    assert_eq!(router.primaries().len(), 3);
    assert_eq!(router.shard_nodes().len(), 6);
    assert_eq!(router.node_cluster_id(seed), Some("id7000"));
    assert_eq!(router.node_role(seed), Some(Role::Primary));
    assert_eq!(router.node_role(node(&router, 7003)), Some(Role::Replica));
}

#[test]
fn a_tls_router_connects_to_the_tls_ports_of_a_cluster_serving_both() {
    let now = Instant::now();
    let reply = Frame::Array(vec![Frame::Map(vec![
        (
            b("slots"),
            Frame::Array(vec![Frame::Integer(0), Frame::Integer(16383)]),
        ),
        (
            b("nodes"),
            Frame::Array(vec![Frame::Map(vec![
                (b("id"), b("id7000")),
                (b("port"), Frame::Integer(7000)),
                (b("tls-port"), Frame::Integer(8000)),
                (b("endpoint"), b("127.0.0.1")),
                (b("role"), b("master")),
            ])]),
        ),
    ])]);
    for (tls, port) in [(false, 7000), (true, 8000)] {
        let mut router = ClusterRouter::new(RouterConfig::default().with_tls(tls));
        assert_eq!(router.config().tls, tls);
        let seed = router.add_seed(addr(9000));
        router.request_refresh(now);
        let _ = events(&mut router);
        router.handle_topology(&reply, seed, now).unwrap();
        let primary = router.route(0, ReadFrom::Primary).unwrap();
        assert_eq!(router.node_addr(primary), Some(&addr(port)), "tls: {tls}");
    }
    assert!(!RouterConfig::default().tls);
}

#[test]
fn prefer_replica_skips_failed_replicas() {
    let now = Instant::now();
    let mut router = ready(RouterConfig::default(), now);
    let replica = node(&router, 7003);
    router.handle_node_failure(replica, now);
    assert_eq!(
        router.route(100, ReadFrom::PreferReplica),
        Some(node(&router, 7000))
    );
}

#[test]
fn shards_refused_falls_back_to_slots_on_the_same_node() {
    let now = Instant::now();
    let mut router = ClusterRouter::new(RouterConfig::default());
    let seed = router.add_seed(addr(7000));
    router.request_refresh(now);
    let _ = events(&mut router);
    let refused = Frame::error("ERR unknown subcommand 'SHARDS'. Try CLUSTER HELP.");
    assert!(router.handle_topology(&refused, seed, now).is_err());
    assert_eq!(
        refresh_asked(&events(&mut router)),
        Some((seed, TopologyCommand::Slots))
    );
    let slots = Frame::Array(vec![Frame::Array(vec![
        Frame::Integer(0),
        Frame::Integer(16383),
        slots_node(7000),
        slots_node(7001),
    ])]);
    router.handle_topology(&slots, seed, now).unwrap();
    assert_eq!(router.route(42, ReadFrom::Primary), Some(seed));
    // Later refreshes use CLUSTER SLOTS straight away.
    router.request_refresh(now + Duration::from_secs(1));
    assert_eq!(
        refresh_asked(&events(&mut router)).unwrap().1,
        TopologyCommand::Slots
    );
}

#[test]
fn the_same_fallback_when_the_adapter_reports_the_error() {
    let now = Instant::now();
    let mut router = ClusterRouter::new(RouterConfig::default());
    let seed = router.add_seed(addr(7000));
    router.request_refresh(now);
    let _ = events(&mut router);
    router.handle_refresh_failure(seed, Some(&error("ERR unknown subcommand 'shards'")), now);
    assert_eq!(
        refresh_asked(&events(&mut router)),
        Some((seed, TopologyCommand::Slots))
    );
}

#[test]
fn a_failed_refresh_asks_each_node_once_then_reports() {
    let now = Instant::now();
    let mut router = ClusterRouter::new(RouterConfig::default());
    let dead = router.add_seed(addr(1));
    let other = router.add_seed(addr(2));
    router.request_refresh(now);
    assert_eq!(
        refresh_asked(&events(&mut router)),
        Some((dead, TopologyCommand::Shards))
    );
    router.handle_node_failure(dead, now);
    assert_eq!(
        refresh_asked(&events(&mut router)),
        Some((other, TopologyCommand::Shards))
    );
    // A malformed answer counts as a failure of that node, and keeps the old table.
    assert!(
        router
            .handle_topology(&Frame::Integer(1), other, now)
            .is_err()
    );
    assert_eq!(
        events(&mut router),
        [ClusterEvent::RefreshFailed { tried: 2 }]
    );
    assert!(!router.is_refreshing());
    assert!(!router.has_topology());
}

#[test]
fn failed_nodes_are_asked_last() {
    let now = Instant::now();
    let mut router = ready(RouterConfig::default(), now);
    let failed = node(&router, 7001);
    // After the rate limit's interval, so that the failure starts a refresh at once.
    let now = now + Duration::from_secs(1);
    router.handle_node_failure(failed, now);
    let mut asked = Vec::new();
    for _ in 0..6 {
        let (node, _) = refresh_asked(&events(&mut router)).unwrap();
        asked.push(node);
        router.handle_refresh_failure(node, None, now);
    }
    assert_eq!(asked.last(), Some(&failed));
    assert_eq!(
        events(&mut router),
        [ClusterEvent::RefreshFailed { tried: 6 }]
    );
}

#[test]
fn refreshes_are_rate_limited_and_merged() {
    let t0 = Instant::now();
    let mut router = ready(RouterConfig::default().with_periodic_refresh(None), t0);
    assert_eq!(router.poll_timeout(), None);
    // Within the interval: remembered, not started.
    router.request_refresh(t0 + 100 * MS);
    router.request_refresh(t0 + 200 * MS);
    assert_eq!(events(&mut router), []);
    assert_eq!(router.poll_timeout(), Some(t0 + DEFAULT_REFRESH_INTERVAL));
    router.handle_timeout(t0 + 499 * MS);
    assert_eq!(events(&mut router), []);
    router.handle_timeout(t0 + DEFAULT_REFRESH_INTERVAL);
    let asked = events(&mut router);
    assert_eq!(asked.len(), 1, "two requests, one refresh: {asked:?}");
    let (node, _) = refresh_asked(&asked).unwrap();
    // While it is in flight, more requests start nothing.
    router.request_refresh(t0 + 600 * MS);
    assert_eq!(events(&mut router), []);
    router
        .handle_topology(&three_shards(), node, t0 + 600 * MS)
        .unwrap();
    assert_eq!(router.poll_timeout(), None);
    // Refreshes spread over the nodes.
    router.request_refresh(t0 + 2000 * MS);
    let (next, _) = refresh_asked(&events(&mut router)).unwrap();
    assert_ne!(next, node);
}

#[test]
fn a_silent_node_is_given_up_after_the_refresh_timeout() {
    let t0 = Instant::now();
    let config = RouterConfig::default().with_refresh_timeout(Duration::from_secs(2));
    let mut router = ready(config, t0);
    router.request_refresh(t0 + Duration::from_secs(1));
    let (first, _) = refresh_asked(&events(&mut router)).unwrap();
    assert_eq!(router.poll_timeout(), Some(t0 + Duration::from_secs(3)));
    router.handle_timeout(t0 + Duration::from_secs(3));
    let (second, _) = refresh_asked(&events(&mut router)).unwrap();
    assert_ne!(first, second);
    // A late answer from the first still counts.
    router
        .handle_topology(&three_shards(), first, t0 + Duration::from_secs(3))
        .unwrap();
    assert!(!router.is_refreshing());
}

#[test]
fn moved_updates_the_slot_at_once_and_requests_a_refresh() {
    let t0 = Instant::now();
    let mut router = ready(RouterConfig::default(), t0);
    let slot = key_slot(b"foo");
    let owner = node(&router, 7002);
    assert_eq!(router.route(slot, ReadFrom::Primary), Some(owner));
    let moved = error(&format!("MOVED {slot} 127.0.0.1:7001"));
    let later = t0 + Duration::from_secs(1);
    let decision = router.handle_error(&moved, owner, 0, later);
    let target = node(&router, 7001);
    assert_eq!(decision, Decision::Retry { node: target });
    assert_eq!(router.route(slot, ReadFrom::Primary), Some(target));
    // Only that slot moved.
    assert_eq!(router.route(slot + 1, ReadFrom::Primary), Some(owner));
    assert!(refresh_asked(&events(&mut router)).is_some());
}

#[test]
fn moved_to_an_unknown_node_connects_it_and_an_empty_host_is_the_senders() {
    let t0 = Instant::now();
    let mut router = ready(RouterConfig::default(), t0);
    let from = node(&router, 7000);
    let decision = router.handle_error(&error("MOVED 3 :7010"), from, 0, t0);
    let Decision::Retry { node: target } = decision else {
        panic!("{decision:?}");
    };
    assert_eq!(router.node_addr(target), Some(&addr(7010)));
    assert!(events(&mut router).contains(&ClusterEvent::Connect {
        node: target,
        addr: addr(7010)
    }));
    assert_eq!(router.route(3, ReadFrom::Primary), Some(target));
    // A second MOVED to the same node reuses its shard entry and handle.
    assert_eq!(
        router.handle_error(&error("MOVED 4 127.0.0.1:7010"), from, 0, t0),
        Decision::Retry { node: target }
    );
    // IPv6 in brackets.
    let Decision::Retry { node: v6 } =
        router.handle_error(&error("MOVED 5 [::1]:7011"), from, 0, t0)
    else {
        panic!()
    };
    assert_eq!(router.node_addr(v6), Some(&NodeAddr::new("::1", 7011)));
    assert_eq!(router.node_addr(v6).unwrap().to_string(), "[::1]:7011");
}

#[test]
fn a_new_topology_drops_nodes_it_no_longer_lists_but_keeps_seeds() {
    let t0 = Instant::now();
    let mut router = ready(RouterConfig::default(), t0);
    let gone = node(&router, 7005);
    let seed = node(&router, 7000);
    let smaller = shards(&[(&[(0, 16383)], 7001, &[])]);
    router.handle_topology(&smaller, seed, t0).unwrap();
    let events = events(&mut router);
    assert!(events.contains(&ClusterEvent::Disconnect { node: gone }));
    assert!(!events.contains(&ClusterEvent::Disconnect { node: seed }));
    assert_eq!(router.node_addr(gone), None);
    assert_eq!(router.node_addr(seed), Some(&addr(7000)));
    assert_eq!(
        router.route(0, ReadFrom::Primary),
        Some(node(&router, 7001))
    );
}

#[test]
fn ask_retries_with_asking_and_leaves_the_table_alone() {
    let t0 = Instant::now();
    let mut router = ready(RouterConfig::default(), t0);
    let owner = node(&router, 7000);
    let decision = router.handle_error(&error("ASK 100 127.0.0.1:7001"), owner, 0, t0);
    assert_eq!(
        decision,
        Decision::RetryAsking {
            node: node(&router, 7001)
        }
    );
    assert_eq!(router.route(100, ReadFrom::Primary), Some(owner));
    assert_eq!(events(&mut router), [], "ASK requests no refresh");
}

#[test]
fn busy_errors_back_off_exponentially_up_to_the_cap_then_fail() {
    let t0 = Instant::now();
    let config = RouterConfig::default()
        .with_retry_delays(10 * MS, 50 * MS)
        .with_max_retries(5);
    let mut router = ready(config, t0);
    let from = node(&router, 7000);
    for (text, kind) in [
        ("TRYAGAIN Multiple keys request during rehashing of slot", 0),
        ("LOADING Redis is loading the dataset in memory", 1),
    ] {
        let e = error(text);
        let delays: Vec<Duration> = (0..5)
            .map(|attempt| match router.handle_error(&e, from, attempt, t0) {
                Decision::RetryAfter { deadline } => deadline - t0,
                other => panic!("{kind}: {other:?}"),
            })
            .collect();
        assert_eq!(delays, [10 * MS, 20 * MS, 40 * MS, 50 * MS, 50 * MS]);
        match router.handle_error(&e, from, 5, t0) {
            Decision::Fail(ClusterError::TooManyRetries { limit: 5, last }) => assert_eq!(last, e),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn delays_and_intervals_of_duration_max_make_distant_deadlines_not_a_panic() {
    let t0 = Instant::now();
    let config = RouterConfig::default()
        .with_retry_delays(Duration::MAX, Duration::MAX)
        .with_refresh_interval(Duration::MAX)
        .with_refresh_timeout(Duration::MAX);
    let mut router = ready(config.clone(), t0);
    let busy = error("TRYAGAIN Multiple keys request during rehashing of slot");
    assert_eq!(
        router.handle_error(&busy, node(&router, 7000), 3, t0),
        Decision::RetryAfter {
            deadline: t0 + LONGEST_WAIT
        }
    );
    // The refresh after the first waits out the interval.
    router.request_refresh(t0 + MS);
    assert_eq!(events(&mut router), []);
    assert_eq!(router.poll_timeout(), Some(t0 + LONGEST_WAIT));
    // A node asked for the topology has as long to answer.
    let mut router = ClusterRouter::new(config);
    router.add_seed(addr(7000));
    router.request_refresh(t0);
    assert!(refresh_asked(&events(&mut router)).is_some());
    assert_eq!(router.poll_timeout(), Some(t0 + LONGEST_WAIT));
}

#[test]
fn clusterdown_backs_off_and_requests_a_refresh() {
    let t0 = Instant::now();
    let mut router = ready(RouterConfig::default(), t0);
    let later = t0 + Duration::from_secs(1);
    let decision = router.handle_error(
        &error("CLUSTERDOWN The cluster is down"),
        node(&router, 7000),
        0,
        later,
    );
    assert_eq!(
        decision,
        Decision::RetryAfter {
            deadline: later + 50 * MS
        }
    );
    assert!(refresh_asked(&events(&mut router)).is_some());
}

#[test]
fn the_redirect_limit_defaults_to_five_and_is_configurable() {
    let t0 = Instant::now();
    assert_eq!(DEFAULT_MAX_REDIRECTS, 5);
    let mut router = ready(RouterConfig::default(), t0);
    let from = node(&router, 7000);
    let moved = error("MOVED 1 127.0.0.1:7001");
    for attempt in 0..5 {
        assert!(matches!(
            router.handle_error(&moved, from, attempt, t0),
            Decision::Retry { .. }
        ));
    }
    let past_limit = error("MOVED 2 127.0.0.1:7002");
    assert_eq!(
        router.handle_error(&past_limit, from, 5, t0),
        Decision::Fail(ClusterError::TooManyRedirects { limit: 5 })
    );
    // The slot table learnt the move all the same.
    assert_eq!(
        router.route(2, ReadFrom::Primary),
        Some(node(&router, 7002))
    );
    let mut strict = ready(RouterConfig::default().with_max_redirects(1), t0);
    let ask = error("ASK 1 127.0.0.1:7001");
    assert!(matches!(
        strict.handle_error(&ask, from, 0, t0),
        Decision::RetryAsking { .. }
    ));
    assert_eq!(
        strict.handle_error(&ask, from, 1, t0),
        Decision::Fail(ClusterError::TooManyRedirects { limit: 1 })
    );
}

#[test]
fn other_errors_are_delivered_and_bad_redirects_fail() {
    let t0 = Instant::now();
    let mut router = ready(RouterConfig::default(), t0);
    let from = node(&router, 7000);
    for text in [
        "WRONGTYPE Operation against a key holding the wrong kind of value",
        "ERR syntax error",
        "NOSCRIPT x",
    ] {
        assert_eq!(
            router.handle_error(&error(text), from, 0, t0),
            Decision::Deliver
        );
    }
    assert_eq!(
        router.handle_error(&error("MOVED 1 nowhere"), from, 0, t0),
        Decision::Fail(ClusterError::BadRedirect {
            addr: "nowhere".into()
        })
    );
    assert_eq!(
        router.handle_error(&error("MOVED 1 host:0"), from, 0, t0),
        Decision::Fail(ClusterError::BadRedirect {
            addr: "host:0".into()
        })
    );
}

#[test]
fn errors_read_clearly() {
    let text = ClusterError::CrossSlot {
        first: 1,
        second: 2,
    }
    .to_string();
    assert!(text.contains("different slots"), "{text}");
    let text = ClusterError::TopologyRefreshFailed {
        tried: 2,
        last_error: Some("refused".into()),
    }
    .to_string();
    assert_eq!(
        text,
        "no cluster node answered a topology request (tried 2); last error: refused"
    );
}

#[test]
fn the_documented_defaults() {
    let config = RouterConfig::default();
    assert_eq!(config.max_redirects, DEFAULT_MAX_REDIRECTS);
    assert_eq!(config.max_retries, DEFAULT_MAX_RETRIES);
    assert_eq!(DEFAULT_MAX_RETRIES, 16);
    assert_eq!(config.retry_timeout, DEFAULT_RETRY_TIMEOUT);
    assert_eq!(DEFAULT_RETRY_TIMEOUT, Duration::from_secs(10));
    assert_eq!(config.periodic_refresh, Some(DEFAULT_PERIODIC_REFRESH));
    assert_eq!(DEFAULT_PERIODIC_REFRESH, Duration::from_secs(30));
    assert!(!config.resend_writes, "writes are not resent unless asked");
    assert_eq!(config.refresh_interval, Duration::from_millis(500));
    assert_eq!(config.refresh_timeout, DEFAULT_REFRESH_TIMEOUT);
    assert_eq!(config.read_from, ReadFrom::Primary);
    assert!(!config.tls, "node connections in plain text unless told");
    assert_eq!(DEFAULT_REFRESH_TIMEOUT, Duration::from_secs(5));
    assert_eq!(
        (DEFAULT_RETRY_BASE, DEFAULT_RETRY_MAX),
        (50 * MS, Duration::from_secs(2))
    );
    let delays: Vec<Duration> = (0..8).map(|n| config.retry_delay(n)).collect();
    assert_eq!(
        delays,
        [50, 100, 200, 400, 800, 1600, 2000, 2000].map(|ms| ms * MS)
    );
    // No overflow for absurd attempt numbers.
    assert_eq!(config.retry_delay(u32::MAX), DEFAULT_RETRY_MAX);
}

#[test]
fn the_default_refresh_timeout_moves_on_to_the_next_node() {
    let t0 = Instant::now();
    let mut router = ClusterRouter::new(RouterConfig::default());
    let first = router.add_seed(addr(7000));
    let second = router.add_seed(addr(7001));
    router.request_refresh(t0);
    assert_eq!(
        refresh_asked(&events(&mut router)),
        Some((first, TopologyCommand::Shards))
    );
    router.handle_timeout(t0 + DEFAULT_REFRESH_TIMEOUT - MS);
    assert_eq!(events(&mut router), []);
    router.handle_timeout(t0 + DEFAULT_REFRESH_TIMEOUT);
    assert_eq!(
        refresh_asked(&events(&mut router)),
        Some((second, TopologyCommand::Shards))
    );
}
