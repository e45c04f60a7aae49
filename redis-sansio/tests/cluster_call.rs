//! The per-request cluster machine with a simulated clock: failovers waited out,
//! lost connections resent only for what cannot change data, redirects and busy
//! errors paced, the deadline, and the router's periodic refresh.
//!
//! `Instant::now()` only picks where each simulated clock starts; time then moves
//! only by what the tests add to it.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use redis_sansio::Cmd;
use redis_sansio::cluster::{
    CallAction, ClusterCall, ClusterError, ClusterEvent, ClusterRouter, ReadFrom, RouterConfig,
    Routing, key_slot,
};

mod cluster_support;

use cluster_support::{error, events, node, ready, refresh_asked, shards};

const MS: Duration = Duration::from_millis(1);

fn call(args: &[&str], router: &ClusterRouter, now: Instant) -> ClusterCall {
    let routing = Routing::of(&Cmd::from_args(args.iter().copied())).unwrap();
    ClusterCall::new(&routing, router.config(), now)
}

/// The first action, which must be a send; returns the node's port.
fn sent(call: &mut ClusterCall, router: &mut ClusterRouter, now: Instant) -> (u16, bool) {
    match call.poll_action(router, now) {
        Some(CallAction::Send { node, asking }) => (router.node_addr(node).unwrap().port, asking),
        other => panic!("expected a send, got {other:?}"),
    }
}

fn waits(call: &mut ClusterCall, router: &mut ClusterRouter, now: Instant) -> Instant {
    match call.poll_action(router, now) {
        Some(CallAction::Wait { until }) => until,
        other => panic!("expected a wait, got {other:?}"),
    }
}

/// Slot 0 is served by 7000 (replica 7003) in `three_shards`.
const KEY: &str = "{06S}";

#[test]
fn a_write_to_a_dead_primary_waits_for_the_failover_with_backoff() {
    let t0 = Instant::now();
    let mut router = ready(RouterConfig::default(), t0);
    assert_eq!(key_slot(KEY.as_bytes()), 0);
    let mut incr = call(&["INCR", KEY], &router, t0);
    let mut now = t0;
    assert_eq!(sent(&mut incr, &mut router, now), (7000, false));
    // Refused, refused, refused: each wait doubles, nothing is failed.
    let mut waited = Vec::new();
    for _ in 0..3 {
        incr.handle_not_sent(&mut router, now);
        let until = waits(&mut incr, &mut router, now);
        waited.push(until - now);
        now = until;
        let _ = events(&mut router);
        assert_eq!(sent(&mut incr, &mut router, now), (7000, false));
    }
    assert_eq!(waited, [50 * MS, 100 * MS, 200 * MS]);
    // The failover: the router refreshes (the node failure asked for it) and
    // learns that 7003 now serves slot 0.
    incr.handle_not_sent(&mut router, now);
    now = waits(&mut incr, &mut router, now);
    router.handle_timeout(now);
    let (asked, _) = refresh_asked(&events(&mut router)).expect("a refresh");
    let promoted = shards(&[
        (&[(0, 5460)], 7003, &[]),
        (&[(5461, 10922)], 7001, &[7004]),
        (&[(10923, 16383)], 7002, &[7005]),
    ]);
    router.handle_topology(&promoted, asked, now).unwrap();
    assert_eq!(sent(&mut incr, &mut router, now), (7003, false));
    incr.handle_reply();
    assert_eq!(
        incr.poll_action(&mut router, now),
        Some(CallAction::Deliver)
    );
    assert_eq!(incr.poll_action(&mut router, now), None, "over");
    assert_eq!(incr.retries(), 4);
}

#[test]
fn a_failover_longer_than_the_deadline_ends_with_the_last_outcome() {
    let t0 = Instant::now();
    let config = RouterConfig::default().with_retry_timeout(300 * MS);
    let mut router = ready(config, t0);
    let mut get = call(&["GET", KEY], &router, t0);
    assert_eq!(get.deadline(), t0 + 300 * MS);
    let mut now = t0;
    let mut attempts = 0;
    let end = loop {
        match get.poll_action(&mut router, now) {
            Some(CallAction::Send { .. }) => {
                attempts += 1;
                get.handle_not_sent(&mut router, now);
            }
            Some(CallAction::Wait { until }) => {
                assert!(until <= get.deadline());
                now = until;
            }
            Some(end) => break end,
            None => panic!("stalled"),
        }
    };
    // 0, 50, 150 ms; the next (at 350 ms) would be past the deadline.
    assert_eq!(attempts, 3);
    assert_eq!(
        end,
        CallAction::Deliver,
        "the caller gets the connection's error"
    );
}

#[test]
fn a_lost_write_is_not_resent_but_a_read_is() {
    let t0 = Instant::now();
    let mut router = ready(RouterConfig::default(), t0);
    let mut incr = call(&["INCR", KEY], &router, t0);
    assert_eq!(sent(&mut incr, &mut router, t0), (7000, false));
    incr.handle_lost(&mut router, t0);
    assert_eq!(incr.poll_action(&mut router, t0), Some(CallAction::Deliver));
    assert_eq!(incr.retries(), 0, "an INCR never runs twice");
    // The node was reported: a refresh is on its way (rate-limited).
    assert!(router.poll_timeout().is_some());

    for read in [
        &["GET", KEY][..],
        &["PING"],
        &["XREAD", "STREAMS", KEY, "0"],
    ] {
        let mut router = ready(RouterConfig::default(), t0);
        let mut get = call(read, &router, t0);
        sent(&mut get, &mut router, t0);
        get.handle_lost(&mut router, t0);
        let until = waits(&mut get, &mut router, t0);
        assert_eq!(until, t0 + 50 * MS, "{read:?}");
        sent(&mut get, &mut router, until);
    }

    // Asked for, per call: the write is resent.
    let mut router = ready(RouterConfig::default(), t0);
    let mut incr = call(&["INCR", KEY], &router, t0).resend_anyway(true);
    sent(&mut incr, &mut router, t0);
    incr.handle_lost(&mut router, t0);
    let until = waits(&mut incr, &mut router, t0);
    assert_eq!(sent(&mut incr, &mut router, until), (7000, false));

    // Asked for, per client: the write is resent too.
    let config = RouterConfig::default().with_resend_writes(true);
    let mut router = ready(config, t0);
    let mut incr = call(&["INCR", KEY], &router, t0);
    sent(&mut incr, &mut router, t0);
    incr.handle_lost(&mut router, t0);
    let until = waits(&mut incr, &mut router, t0);
    assert_eq!(sent(&mut incr, &mut router, until), (7000, false));
}

#[test]
fn moved_back_and_forth_backs_off_instead_of_spending_every_redirect_at_once() {
    let t0 = Instant::now();
    let mut router = ready(RouterConfig::default(), t0);
    let mut get = call(&["GET", KEY], &router, t0);
    let mut now = t0;
    assert_eq!(sent(&mut get, &mut router, now), (7000, false));
    // The first MOVED is followed at once.
    get.handle_server_error(&error("MOVED 0 127.0.0.1:7001"), &mut router, now);
    assert_eq!(sent(&mut get, &mut router, now), (7001, false));
    // Then the slot bounces: each later MOVED waits longer.
    let mut waited = Vec::new();
    for (i, to) in ["7000", "7001", "7000", "7001"].iter().enumerate() {
        get.handle_server_error(&error(&format!("MOVED 0 127.0.0.1:{to}")), &mut router, now);
        let until = waits(&mut get, &mut router, now);
        waited.push(until - now);
        now = until;
        let expected: u16 = to.parse().unwrap();
        assert_eq!(sent(&mut get, &mut router, now), (expected, false), "{i}");
    }
    assert_eq!(waited, [50 * MS, 100 * MS, 200 * MS, 400 * MS]);
    // Past the limit (five): failed.
    get.handle_server_error(&error("MOVED 0 127.0.0.1:7000"), &mut router, now);
    assert_eq!(
        get.poll_action(&mut router, now),
        Some(CallAction::Fail(ClusterError::TooManyRedirects {
            limit: 5
        }))
    );
    assert_eq!(get.redirects(), 6);
    // The router counts every redirect it followed, for every call.
    assert_eq!(router.redirects(), 6);
}

#[test]
fn ask_is_followed_at_once_with_asking_and_keeps_the_table() {
    let t0 = Instant::now();
    let mut router = ready(RouterConfig::default(), t0);
    let mut get = call(&["GET", KEY], &router, t0);
    sent(&mut get, &mut router, t0);
    get.handle_server_error(&error("ASK 0 127.0.0.1:7002"), &mut router, t0);
    assert_eq!(sent(&mut get, &mut router, t0), (7002, true));
    assert_eq!(
        router.route(0, ReadFrom::Primary),
        Some(node(&router, 7000))
    );
}

#[test]
fn busy_errors_back_off_and_clusterdown_asks_for_a_refresh() {
    let t0 = Instant::now();
    let config = RouterConfig::default().with_max_retries(2);
    let mut router = ready(config, t0 - Duration::from_secs(1));
    let mut get = call(&["GET", KEY], &router, t0);
    let mut now = t0;
    sent(&mut get, &mut router, now);
    get.handle_server_error(&error("CLUSTERDOWN The cluster is down"), &mut router, now);
    assert!(refresh_asked(&events(&mut router)).is_some(), "a refresh");
    now = waits(&mut get, &mut router, now);
    assert_eq!(now, t0 + 50 * MS);
    sent(&mut get, &mut router, now);
    get.handle_server_error(&error("TRYAGAIN multi-key"), &mut router, now);
    now = waits(&mut get, &mut router, now);
    assert_eq!(now, t0 + 150 * MS);
    sent(&mut get, &mut router, now);
    let loading = error("LOADING Redis is loading the dataset in memory");
    get.handle_server_error(&loading, &mut router, now);
    assert_eq!(
        get.poll_action(&mut router, now),
        Some(CallAction::Fail(ClusterError::TooManyRetries {
            limit: 2,
            last: loading
        }))
    );
}

#[test]
fn other_errors_and_replies_go_to_the_caller() {
    let t0 = Instant::now();
    let mut router = ready(RouterConfig::default(), t0);
    let mut get = call(&["GET", KEY], &router, t0);
    sent(&mut get, &mut router, t0);
    get.handle_server_error(&error("WRONGTYPE no"), &mut router, t0);
    assert_eq!(get.poll_action(&mut router, t0), Some(CallAction::Deliver));
    let mut get = call(&["GET", KEY], &router, t0);
    sent(&mut get, &mut router, t0);
    get.handle_server_error(&error("MOVED 0 nonsense"), &mut router, t0);
    assert!(matches!(
        get.poll_action(&mut router, t0),
        Some(CallAction::Fail(ClusterError::BadRedirect { .. }))
    ));
}

#[test]
fn no_node_for_the_slot_asks_for_a_topology_until_the_deadline() {
    let t0 = Instant::now();
    let config = RouterConfig::default().with_retry_timeout(100 * MS);
    let mut router = ClusterRouter::new(config);
    router.add_seed(cluster_support::addr(7000));
    let _ = events(&mut router);
    let mut get = call(&["GET", "k"], &router, t0);
    let until = waits(&mut get, &mut router, t0);
    assert!(refresh_asked(&events(&mut router)).is_some());
    let end = get.poll_action(&mut router, until);
    // Still nothing at 50 ms, and 150 ms is past the deadline.
    assert_eq!(
        end,
        Some(CallAction::Fail(ClusterError::NoNodeForSlot {
            slot: key_slot(b"k")
        }))
    );
}

#[test]
fn reads_go_to_replicas_when_allowed_and_writes_never_do() {
    let t0 = Instant::now();
    let config = RouterConfig::default().with_read_from(ReadFrom::PreferReplica);
    let mut router = ready(config, t0);
    let mut get = call(&["GET", KEY], &router, t0);
    assert_eq!(sent(&mut get, &mut router, t0), (7003, false));
    let mut set = call(&["SET", KEY, "v"], &router, t0);
    assert_eq!(sent(&mut set, &mut router, t0), (7000, false));
    let mut ping = call(&["PING"], &router, t0);
    assert_eq!(sent(&mut ping, &mut router, t0), (7000, false), "keyless");
}

#[test]
fn the_topology_is_read_again_periodically() {
    let t0 = Instant::now();
    let config = RouterConfig::default().with_periodic_refresh(Some(Duration::from_secs(30)));
    let mut router = ready(config, t0);
    assert_eq!(router.poll_timeout(), Some(t0 + Duration::from_secs(30)));
    router.handle_timeout(t0 + Duration::from_secs(29));
    assert_eq!(events(&mut router), []);
    let due = t0 + Duration::from_secs(30);
    router.handle_timeout(due);
    let asked = events(&mut router);
    let (node, _) = refresh_asked(&asked).expect("a periodic refresh");
    router
        .handle_topology(&cluster_support::three_shards(), node, due)
        .unwrap();
    assert_eq!(router.poll_timeout(), Some(due + Duration::from_secs(30)));
    assert!(
        !asked
            .iter()
            .any(|e| matches!(e, ClusterEvent::RefreshFailed { .. }))
    );
    // Off: no timer at all once idle.
    let router = ready(RouterConfig::default().with_periodic_refresh(None), t0);
    assert_eq!(router.poll_timeout(), None);
}
