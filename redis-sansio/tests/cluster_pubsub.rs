//! A cluster subscriber's books with a simulated clock and a router that knows a
//! made-up three-shard cluster: where each name goes, batching by slot, what is
//! subscribed again after a slot moved or a node failed (and what is not: the user's
//! unsubscribes), the pacing of failed rounds and giving up.
//!
//! `Instant::now()` only picks where each simulated clock starts; time then moves
//! only by what the tests add to it.
#![allow(clippy::disallowed_methods)]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use bytes::Bytes;
use redis_sansio::Cmd;
use redis_sansio::cluster::{
    BatchOutcome, ClusterError, ClusterEvent, ClusterRouter, ClusterSubscriptions, DropReason,
    NodeId, PubSubBatch, RouterConfig, key_slot,
};
use redis_sansio::conn::{SubscriptionKind, Subscriptions};
use redis_sansio::deadline::LONGEST_WAIT;
use redis_sansio::retry::Reconnect;

mod cluster_support;

use cluster_support::{error, events, node, ready, shards};

use SubscriptionKind::{Channel, Pattern, Shard};

const MS: Duration = Duration::from_millis(1);

/// A name whose slot is in `slots`, from the names `{prefix}0`, `{prefix}1`, ...
fn name_in(prefix: &str, slots: std::ops::RangeInclusive<u16>) -> Bytes {
    (0..10_000)
        .map(|i| format!("{prefix}{i}"))
        .find(|name| slots.contains(&key_slot(name.as_bytes())))
        .map(Bytes::from)
        .expect("a name in the range")
}

fn names(names: &[&'static str]) -> Vec<Bytes> {
    names
        .iter()
        .map(|n| Bytes::from_static(n.as_bytes()))
        .collect()
}

/// What a connection that confirmed the names of `batches` would hold.
fn confirmed(batches: &[&PubSubBatch]) -> Subscriptions {
    let mut subscriptions = Subscriptions::default();
    for batch in batches {
        let set = match batch.kind() {
            Channel => &mut subscriptions.channels,
            Pattern => &mut subscriptions.patterns,
            Shard => &mut subscriptions.shard_channels,
        };
        set.extend(batch.names().iter().cloned());
    }
    subscriptions
}

/// Confirms every batch.
fn confirm_all(
    books: &mut ClusterSubscriptions,
    batches: &[PubSubBatch],
    router: &mut ClusterRouter,
    now: Instant,
) {
    for batch in batches {
        books.handle_batch(batch, BatchOutcome::Confirmed, router, now);
    }
}

fn books() -> ClusterSubscriptions {
    ClusterSubscriptions::new(Reconnect::default())
}

/// The start of most tests: the time, a router that knows the three shards, empty
/// books.
fn start() -> (Instant, ClusterRouter, ClusterSubscriptions) {
    let now = Instant::now();
    (now, ready(RouterConfig::default(), now), books())
}

/// A shard channel served by 7000.
fn low() -> Bytes {
    name_in("low", 0..=5460)
}

/// A shard channel served by 7002.
fn high() -> Bytes {
    name_in("high", 10923..=16383)
}

/// Takes the next round and confirms every batch of it.
fn settle(
    books: &mut ClusterSubscriptions,
    router: &mut ClusterRouter,
    now: Instant,
) -> Vec<PubSubBatch> {
    let batches = books.poll_batches(router, now);
    confirm_all(books, &batches, router, now);
    batches
}

#[test]
fn shard_channels_go_to_their_slots_primary_one_batch_per_slot_the_rest_to_one_node() {
    let (now, mut router, mut books) = start();
    let low = low();
    let high = high();
    books.subscribe(Shard, [low.clone(), high.clone()]);
    books.subscribe(Shard, names(&["{tag}:a", "{tag}:b"]));
    books.subscribe(Channel, names(&["news", "weather"]));
    books.subscribe(Pattern, names(&["alerts.*"]));
    assert!(!books.is_settled());
    assert!(books.wants_round(now));

    let batches = books.poll_batches(&mut router, now);
    let tag_node = router
        .route(key_slot(b"{tag}"), redis_sansio::cluster::ReadFrom::Primary)
        .unwrap();
    let find = |kind, first: &[u8]| {
        batches
            .iter()
            .find(|b| b.kind() == kind && b.names()[0] == first)
            .unwrap_or_else(|| panic!("no batch for {first:?} in {batches:?}"))
    };
    assert_eq!(batches.len(), 5, "{batches:?}");
    assert_eq!(find(Shard, &low).node(), node(&router, 7000));
    assert_eq!(find(Shard, &high).node(), node(&router, 7002));
    let tagged = find(Shard, b"{tag}:a");
    assert_eq!(tagged.node(), tag_node);
    assert_eq!(
        tagged.cmd(),
        Cmd::new("SSUBSCRIBE").arg("{tag}:a").arg("{tag}:b")
    );
    // Ordinary channels and patterns: the node serving slot 0.
    let channels = find(Channel, b"news");
    assert_eq!(channels.node(), node(&router, 7000));
    assert_eq!(
        channels.cmd(),
        Cmd::new("SUBSCRIBE").arg("news").arg("weather")
    );
    assert!(channels.is_subscribe());
    assert_eq!(find(Pattern, b"alerts.*").node(), node(&router, 7000));
    assert_eq!(
        find(Pattern, b"alerts.*").cmd(),
        Cmd::new("PSUBSCRIBE").arg("alerts.*")
    );

    // Nothing more while the round is out.
    assert!(!books.wants_round(now));
    assert!(books.poll_batches(&mut router, now).is_empty());
    confirm_all(&mut books, &batches, &mut router, now);
    assert!(books.is_settled());
    assert_eq!(books.node_of(Shard, &high), Some(node(&router, 7002)));
    assert_eq!(books.node_of(Channel, b"news"), Some(node(&router, 7000)));
    let expected: BTreeSet<NodeId> = [node(&router, 7000), node(&router, 7002), tag_node].into();
    assert_eq!(books.nodes(), expected);
    assert!(books.poll_batches(&mut router, now).is_empty());
    assert_eq!(books.poll_timeout(), None);
    assert_eq!(books.poll_dropped(), None);
    assert_eq!(books.resubscribed(), 0);
    let wanted = books.wanted();
    assert_eq!(wanted.shard_channels.len(), 4);
    assert_eq!(wanted.channels.len(), 2);
    assert_eq!(wanted.patterns.len(), 1);

    // Subscribing again to what is there sends nothing; new ordinary names join the
    // node the others are on.
    books.subscribe(Channel, names(&["news"]));
    assert!(books.poll_batches(&mut router, now).is_empty());
}

#[test]
fn a_shard_channel_the_server_dropped_is_subscribed_on_the_new_owner_after_a_refresh() {
    let (mut now, mut router, mut books) = start();
    let moving = name_in("moving", 10923..=16383);
    let staying = name_in("staying", 10923..=16383);
    assert_ne!(key_slot(&moving), key_slot(&staying));
    books.subscribe(Shard, [moving.clone(), staying.clone()]);
    let batches = books.poll_batches(&mut router, now);
    assert_eq!(batches.len(), 2, "one batch per slot");
    confirm_all(&mut books, &batches, &mut router, now);
    let old = node(&router, 7002);

    // The slot of `moving` goes to 7001; 7002 says `sunsubscribe` on its own. The
    // connection's subscriptions lack the channel now.
    now += Duration::from_secs(1);
    let mut held = confirmed(&batches.iter().collect::<Vec<_>>());
    held.shard_channels.remove(&moving);
    let _ = events(&mut router);
    assert!(books.handle_subscriptions(old, &held, &mut router, now));
    assert_eq!(books.node_of(Shard, &moving), None);
    assert_eq!(books.node_of(Shard, &staying), Some(old));
    assert!(!books.is_settled());
    // A refresh was asked for.
    let asked = events(&mut router)
        .into_iter()
        .find_map(|event| match event {
            ClusterEvent::Refresh { node, .. } => Some(node),
            _ => None,
        })
        .expect("a refresh");
    let slot = i64::from(key_slot(&moving));
    let moved = shards(&[
        (&[(0, 5460)], 7000, &[7003]),
        (&[(5461, 10922), (slot, slot)], 7001, &[7004]),
        (&[(10923, slot - 1), (slot + 1, 16383)], 7002, &[7005]),
    ]);
    router.handle_topology(&moved, asked, now).unwrap();

    let again = books.poll_batches(&mut router, now);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].names(), std::slice::from_ref(&moving));
    assert_eq!(again[0].node(), node(&router, 7001));
    confirm_all(&mut books, &again, &mut router, now);
    assert_eq!(books.node_of(Shard, &moving), Some(node(&router, 7001)));
    assert!(books.is_settled());
    assert_eq!(books.resubscribed(), 1);

    // Unchanged confirmations lose nothing.
    assert!(!books.handle_subscriptions(old, &held, &mut router, now));
}

#[test]
fn the_users_unsubscribes_leave_their_nodes_and_are_never_subscribed_again() {
    let (now, mut router, mut books) = start();
    let low = low();
    let high = high();
    books.subscribe(Shard, [low.clone(), high.clone()]);
    books.subscribe(Shard, names(&["{t}:a", "{t}:b"]));
    books.subscribe(Channel, names(&["news", "sport"]));
    let batches = settle(&mut books, &mut router, now);

    // Named: one batch per node and slot, for names a node has.
    let leave = books.unsubscribe(
        Shard,
        [high.clone(), Bytes::from("{t}:a"), Bytes::from("never")],
    );
    assert_eq!(leave.len(), 2, "{leave:?}");
    let high_leave = leave.iter().find(|b| b.names() == [high.clone()]).unwrap();
    assert_eq!(high_leave.node(), node(&router, 7002));
    assert!(!high_leave.is_subscribe());
    assert_eq!(high_leave.cmd(), Cmd::new("SUNSUBSCRIBE").arg(high.clone()));
    for batch in &leave {
        // A MOVED for a channel the node already dropped changes nothing.
        books.handle_batch(
            batch,
            BatchOutcome::Refused(&error("MOVED 1 127.0.0.1:7001")),
            &mut router,
            now,
        );
    }
    assert!(books.is_settled());

    // The server's confirmations lack them now: nothing is lost, nothing resent.
    let mut held = confirmed(&batches.iter().collect::<Vec<_>>());
    held.shard_channels.remove(&high);
    held.shard_channels.remove(&b"{t}:a"[..]);
    for port in [7000, 7001, 7002] {
        assert!(!books.handle_subscriptions(node(&router, port), &held, &mut router, now));
    }
    assert!(books.poll_batches(&mut router, now).is_empty());

    // Empty: every name of the kind. The ordinary channels go together.
    let leave = books.unsubscribe(Channel, Vec::new());
    assert_eq!(leave.len(), 1);
    assert_eq!(
        leave[0].cmd(),
        Cmd::new("UNSUBSCRIBE").arg("news").arg("sport")
    );
    let wanted = books.wanted();
    assert!(wanted.channels.is_empty());
    assert_eq!(
        wanted.shard_channels,
        [low.clone(), Bytes::from("{t}:b")].into_iter().collect()
    );

    // A failed node brings back only what is still wanted.
    let t_node = books.node_of(Shard, b"{t}:b").unwrap();
    books.handle_node_failure(t_node, &mut router, now);
    let again = books.poll_batches(&mut router, now);
    let resent: Vec<&Bytes> = again.iter().flat_map(|b| b.names()).collect();
    assert_eq!(resent, [&Bytes::from("{t}:b")]);
}

#[test]
fn a_failed_node_sends_its_names_to_the_new_owners_the_ordinary_ones_to_another_node() {
    let (mut now, mut router, mut books) = start();
    let low = low();
    let high = high();
    books.subscribe(Shard, [low.clone(), high.clone()]);
    books.subscribe(Channel, names(&["news"]));
    books.subscribe(Pattern, names(&["alerts.*"]));
    settle(&mut books, &mut router, now);
    let dead = node(&router, 7000);
    let _ = events(&mut router);

    // Past the refresh interval: the refresh the failure asks for starts at once.
    now += Duration::from_secs(1);
    books.handle_node_failure(dead, &mut router, now);
    assert_eq!(books.node_of(Channel, b"news"), None);
    assert_eq!(books.node_of(Shard, &low), None);
    assert_eq!(books.node_of(Shard, &high), Some(node(&router, 7002)));
    assert!(!books.nodes().contains(&dead));
    // The router was told: a refresh is on its way.
    let asked = events(&mut router)
        .into_iter()
        .find_map(|event| match event {
            ClusterEvent::Refresh { node, .. } => Some(node),
            _ => None,
        })
        .expect("a refresh");
    assert_ne!(asked, dead, "the failed node is asked last");
    // 7003 took over 7000's slots.
    let failed_over = shards(&[
        (&[(0, 5460)], 7003, &[]),
        (&[(5461, 10922)], 7001, &[7004]),
        (&[(10923, 16383)], 7002, &[7005]),
    ]);
    router.handle_topology(&failed_over, asked, now).unwrap();
    let _ = events(&mut router);
    books.handle_topology(&router);

    let again = books.poll_batches(&mut router, now);
    assert_eq!(again.len(), 3, "{again:?}");
    assert!(again.iter().all(|b| b.node() == node(&router, 7003)));
    confirm_all(&mut books, &again, &mut router, now);
    assert!(books.is_settled());
    assert_eq!(books.resubscribed(), 3);
}

#[test]
fn names_on_a_node_that_left_the_topology_wait_for_the_next_round() {
    let (now, mut router, mut books) = start();
    let high = high();
    books.subscribe(Shard, [high.clone()]);
    settle(&mut books, &mut router, now);
    router.request_refresh(now + Duration::from_secs(1));
    let asked = events(&mut router)
        .into_iter()
        .find_map(|event| match event {
            ClusterEvent::Refresh { node, .. } => Some(node),
            _ => None,
        })
        .unwrap();
    let without_7002 = shards(&[
        (&[(0, 5460)], 7000, &[7003]),
        (&[(5461, 16383)], 7001, &[7004]),
    ]);
    router
        .handle_topology(&without_7002, asked, now + Duration::from_secs(1))
        .unwrap();
    books.handle_topology(&router);
    assert_eq!(books.node_of(Shard, &high), None);
    let again = books.poll_batches(&mut router, now);
    assert_eq!(again[0].node(), node(&router, 7001));
}

#[test]
fn moved_updates_the_table_and_the_next_round_goes_at_once_to_the_named_node() {
    let (now, mut router, mut books) = start();
    let high = high();
    books.subscribe(Shard, [high.clone()]);
    let batches = books.poll_batches(&mut router, now);
    let moved = error(&format!("MOVED {} 127.0.0.1:7001", key_slot(&high)));
    books.handle_batch(&batches[0], BatchOutcome::Refused(&moved), &mut router, now);
    assert_eq!(
        books.poll_timeout(),
        Some(now),
        "the first retry is at once"
    );
    let again = books.poll_batches(&mut router, now);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].node(), node(&router, 7001));
    confirm_all(&mut books, &again, &mut router, now);
    assert!(books.is_settled());
    // Not a resubscription: no node had it before.
    assert_eq!(books.resubscribed(), 0);
}

#[test]
fn failed_rounds_back_off_as_the_policy_says_then_the_names_are_given_up() {
    let mut now = Instant::now();
    let mut router = ready(RouterConfig::default(), now);
    let policy = Reconnect::default()
        .max_attempts(3)
        .delays(100 * MS, Duration::from_secs(1));
    let mut books = ClusterSubscriptions::new(policy);
    let high = high();
    books.subscribe(Shard, [high.clone()]);
    books.subscribe(Channel, names(&["news"]));
    let mut delays = Vec::new();
    let dropped = loop {
        assert!(delays.len() < 10, "gave up in time");
        let batches = books.poll_batches(&mut router, now);
        assert!(!batches.is_empty());
        for batch in &batches {
            let outcome = BatchOutcome::ConnectionFailed {
                error: "connection refused",
            };
            books.handle_batch(batch, outcome, &mut router, now);
        }
        if let Some(dropped) = books.poll_dropped() {
            break dropped;
        }
        let due = books.poll_timeout().expect("a next round");
        assert!(books.wants_round(due) && (due == now || !books.wants_round(due - MS)));
        assert!(
            books.poll_batches(&mut router, due - MS).is_empty(),
            "not before it is due"
        );
        delays.push(due - now);
        now = due;
    };
    assert_eq!(delays, [Duration::ZERO, 100 * MS, 200 * MS]);
    assert_eq!(dropped.names.len(), 2);
    assert_eq!(
        dropped.reason,
        DropReason::GaveUp(ClusterError::SubscribeFailed {
            channels: 2,
            attempts: 3,
            last_error: Some("connection refused".into()),
        })
    );
    assert!(books.wanted().is_empty(), "given up: no longer wanted");
    assert!(books.is_settled());
    assert_eq!(books.poll_timeout(), None);

    // A good round ends the outage: the next failure starts the count afresh.
    books.subscribe(Channel, names(&["news"]));
    let batches = books.poll_batches(&mut router, now);
    let outcome = BatchOutcome::ConnectionFailed { error: "refused" };
    books.handle_batch(&batches[0], outcome, &mut router, now);
    settle(&mut books, &mut router, now);
    assert!(books.is_settled());
    let node = books.node_of(Channel, b"news").unwrap();
    books.handle_node_failure(node, &mut router, now);
    let batches = books.poll_batches(&mut router, now);
    books.handle_batch(&batches[0], outcome, &mut router, now);
    assert_eq!(books.poll_timeout(), Some(now), "at once again");
}

#[test]
fn a_policy_with_delays_of_duration_max_makes_a_distant_round_not_a_panic() {
    let (now, mut router, _) = start();
    let policy = Reconnect::default().delays(Duration::MAX, Duration::MAX);
    let mut books = ClusterSubscriptions::new(policy);
    books.subscribe(Channel, names(&["news"]));
    let outcome = BatchOutcome::ConnectionFailed { error: "refused" };
    // The first retry goes at once, the next after the longest wait.
    for due in [now, now + LONGEST_WAIT] {
        let batches = books.poll_batches(&mut router, now);
        assert_eq!(batches.len(), 1);
        books.handle_batch(&batches[0], outcome, &mut router, now);
        assert_eq!(books.poll_timeout(), Some(due));
    }
    assert!(books.poll_batches(&mut router, now).is_empty());
}

#[test]
fn a_busy_cluster_waits_for_the_routers_backoff() {
    let (now, mut router, mut books) = start();
    books.subscribe(Channel, names(&["news"]));
    let batches = books.poll_batches(&mut router, now);
    books.handle_batch(
        &batches[0],
        BatchOutcome::Refused(&error("TRYAGAIN later")),
        &mut router,
        now,
    );
    let due = books.poll_timeout().unwrap();
    assert_eq!(due, now + router.config().retry_delay(0));
    assert!(books.poll_batches(&mut router, now).is_empty());
    assert_eq!(books.poll_batches(&mut router, due).len(), 1);
}

#[test]
fn an_error_no_retry_mends_drops_the_names_at_once() {
    let (now, mut router, mut books) = start();
    books.subscribe(Channel, names(&["secret", "public"]));
    books.subscribe(Pattern, names(&["p.*"]));
    let batches = books.poll_batches(&mut router, now);
    let refused = error("NOPERM this user has no permissions to access one of the channels");
    for batch in &batches {
        let outcome = match batch.kind() {
            Channel => BatchOutcome::Refused(&refused),
            _ => BatchOutcome::Confirmed,
        };
        books.handle_batch(batch, outcome, &mut router, now);
    }
    let dropped = books.poll_dropped().unwrap();
    assert_eq!(dropped.reason, DropReason::Refused(refused.clone()));
    assert_eq!(
        dropped.names,
        [
            (Channel, Bytes::from("public")),
            (Channel, Bytes::from("secret"))
        ]
    );
    assert!(books.is_settled());
    assert!(books.wanted().channels.is_empty());
    assert_eq!(books.wanted().patterns.len(), 1);
    assert_eq!(books.poll_timeout(), None);
}

#[test]
fn without_a_topology_nothing_is_sent_a_refresh_is_asked_and_the_round_counts_as_failed() {
    let now = Instant::now();
    let mut router = ClusterRouter::new(RouterConfig::default());
    let mut books = books();
    books.subscribe(Shard, names(&["s"]));
    assert!(books.poll_batches(&mut router, now).is_empty());
    assert_eq!(books.poll_timeout(), Some(now), "the first retry at once");
    assert!(!books.is_settled());
    // With a topology, the retry goes out.
    let mut router = ready(RouterConfig::default(), now);
    assert_eq!(books.poll_batches(&mut router, now).len(), 1);
}

#[test]
fn a_connection_failure_on_an_unsubscribe_batch_fails_the_node() {
    let (now, mut router, mut books) = start();
    books.subscribe(Channel, names(&["a", "b"]));
    settle(&mut books, &mut router, now);
    let leave = books.unsubscribe(Channel, names(&["a"]));
    let outcome = BatchOutcome::ConnectionFailed { error: "reset" };
    books.handle_batch(&leave[0], outcome, &mut router, now);
    assert_eq!(books.node_of(Channel, b"b"), None);
    let again = books.poll_batches(&mut router, now);
    assert_eq!(again[0].names(), names(&["b"]));
    assert_eq!(
        books.poll_timeout(),
        None,
        "no failed round: nothing to wait for"
    );
}

/// Shard channels in `count` different slots of `slots`, named after `prefix`.
fn in_distinct_slots(
    prefix: &str,
    slots: std::ops::RangeInclusive<u16>,
    count: usize,
) -> Vec<Bytes> {
    let mut seen = BTreeSet::new();
    (0..100_000)
        .map(|i| Bytes::from(format!("{prefix}{i}")))
        .filter(|name| {
            let slot = key_slot(name);
            slots.contains(&slot) && seen.insert(slot)
        })
        .take(count)
        .collect()
}

/// What lets an adapter subscribe N slots in one round trip: a round is handed out
/// whole (one batch per slot, for every node, in one `poll_batches`), no second round
/// starts while any of it is out, and its outcomes may come in any order across
/// nodes: the round ends with the last one, whichever it is. The next round (after a
/// `MOVED`, after a node failed) is handed out whole too.
#[test]
fn a_round_is_handed_out_whole_and_its_outcomes_may_come_in_any_order() {
    let (mut now, mut router, mut books) = start();
    let per_node = 30;
    let low = in_distinct_slots("low", 0..=5460, per_node);
    let mid = in_distinct_slots("mid", 5461..=10922, per_node);
    let high = in_distinct_slots("high", 10923..=16383, per_node);
    for names in [&low, &mid, &high] {
        books.subscribe(Shard, names.iter().cloned());
    }
    books.subscribe(Channel, names(&["news"]));

    let batches = books.poll_batches(&mut router, now);
    assert_eq!(
        batches.len(),
        3 * per_node + 1,
        "one batch per slot, all at once"
    );
    let sent: BTreeSet<&Bytes> = batches.iter().flat_map(|b| b.names()).collect();
    assert_eq!(sent.len(), 3 * per_node + 1, "every name in this round");
    for port in [7000, 7001, 7002] {
        let to_node = batches.iter().filter(|b| b.node() == node(&router, port));
        assert!(
            to_node.count() >= per_node,
            "{port} gets its slots' batches"
        );
    }
    assert!(
        books.poll_batches(&mut router, now).is_empty(),
        "no second round while this one is out"
    );

    // Outcomes interleaved across the nodes (7002's first), as the replies of three
    // servers come; one is a `MOVED`.
    let moved_name = high[0].clone();
    let moved = error(&format!("MOVED {} 127.0.0.1:7001", key_slot(&moved_name)));
    let mut rank: BTreeMap<NodeId, usize> = BTreeMap::new();
    let mut order: Vec<(usize, Reverse<NodeId>, &PubSubBatch)> = batches
        .iter()
        .map(|batch| {
            let n = rank.entry(batch.node()).or_default();
            *n += 1;
            (*n, Reverse(batch.node()), batch)
        })
        .collect();
    order.sort_by_key(|(n, node, _)| (*n, *node));
    let order: Vec<&PubSubBatch> = order.into_iter().map(|(_, _, batch)| batch).collect();
    let (last, rest) = order.split_last().unwrap();
    for batch in rest {
        let outcome = match batch.names()[0] == moved_name {
            true => BatchOutcome::Refused(&moved),
            false => BatchOutcome::Confirmed,
        };
        books.handle_batch(batch, outcome, &mut router, now);
        assert!(
            books.poll_batches(&mut router, now).is_empty(),
            "the round is not over before its last outcome"
        );
    }
    assert_eq!(books.poll_timeout(), None, "no retry planned mid-round");
    books.handle_batch(last, BatchOutcome::Confirmed, &mut router, now);
    assert_eq!(books.poll_timeout(), Some(now), "the retry is due at once");
    let again = books.poll_batches(&mut router, now);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].names(), std::slice::from_ref(&moved_name));
    assert_eq!(again[0].node(), node(&router, 7001));
    confirm_all(&mut books, &again, &mut router, now);
    assert!(books.is_settled());

    // A failed node: all its slots come back in the next round, at once.
    now += Duration::from_secs(1);
    let dead = node(&router, 7000);
    books.handle_node_failure(dead, &mut router, now);
    let again = books.poll_batches(&mut router, now);
    let resent: BTreeSet<&Bytes> = again.iter().flat_map(|b| b.names()).collect();
    let expected: BTreeSet<&Bytes> = low.iter().collect();
    let news = Bytes::from("news");
    assert_eq!(again.len(), per_node + 1, "{again:?}");
    assert!(resent.is_superset(&expected) && resent.contains(&news));
    confirm_all(&mut books, &again, &mut router, now);
    assert!(books.is_settled());
    assert_eq!(books.resubscribed(), per_node as u64 + 1);
}

/// Redis (7.0) never answers `SSUBSCRIBE` with `-ASK`: it serves a migrating slot's
/// shard channels on the source until the migration ends (the integration tests
/// show it). Should a server do so, the books do not follow it with `ASKING`: the
/// names wait for the next round, which goes to the slot's owner again (an `ASK`
/// leaves the slot table as it is), paced like any failed round.
#[test]
fn an_ask_is_retried_at_the_slots_owner_not_followed() {
    let (now, mut router, mut books) = start();
    let high = high();
    books.subscribe(Shard, [high.clone()]);
    let batches = books.poll_batches(&mut router, now);
    let ask = error(&format!("ASK {} 127.0.0.1:7001", key_slot(&high)));
    books.handle_batch(&batches[0], BatchOutcome::Refused(&ask), &mut router, now);
    assert_eq!(books.node_of(Shard, &high), None);
    assert_eq!(books.poll_timeout(), Some(now), "the first retry at once");
    let again = books.poll_batches(&mut router, now);
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].node(),
        node(&router, 7002),
        "the owner again, not the ASK's target"
    );
}
