//! The cluster pub/sub scenarios, shared by the plain-text tests
//! (`cluster_pubsub.rs`) and the TLS ones (`cluster_tls.rs`): each macro runs one on
//! a subscriber `$s`, blocking or async (`$aw`: `.await` or nothing), and opens with
//! `use $crate::cluster_common::pubsub::*` for the helpers below. Messages are
//! published out of band, on the nodes themselves (over their Unix sockets for a
//! TLS-only cluster).

pub(crate) use std::time::Duration;

pub(crate) use redis_client::pubsub::SubscriptionKind;
pub(crate) use redis_sansio::cluster::key_slot;
pub(crate) use redis_test_support::RedisCluster;

pub(crate) use crate::cluster_common as support;

/// How long a message may take to arrive.
pub(crate) const MESSAGE_WAIT: Duration = Duration::from_secs(5);
/// How long the subscriber may take to follow a change of the cluster.
pub(crate) const FOLLOW_LIMIT: Duration = Duration::from_secs(15);
/// One look for a message while waiting for the subscriber to follow.
pub(crate) const LOOK: Duration = Duration::from_millis(100);

/// One shard channel per primary, named after `name`, none in a slot a migration
/// test moves: `(channel, its primary)`.
pub(crate) fn one_per_primary(seed: &str, name: &str) -> Vec<(String, String)> {
    let map = support::slot_map(seed);
    let owner = |slot: u16| {
        map.iter()
            .find(|(start, end, _)| (*start..=*end).contains(&slot))
            .map(|(_, _, owner)| owner.clone())
            .unwrap()
    };
    let mut found: Vec<(String, String)> = Vec::new();
    for i in 0..10_000 {
        let channel = format!("{{{name}-{i}}}:events");
        let slot = key_slot(channel.as_bytes());
        let primary = owner(slot);
        if !support::migrated(slot) && found.iter().all(|(_, p)| *p != primary) {
            found.push((channel, primary));
        }
    }
    assert_eq!(found.len(), support::primaries(seed).len());
    found
}

/// `PUBSUB SHARDNUMSUB channel` on `node`: how many connections there are
/// subscribed to it.
pub(crate) fn shard_subscribers(node: &str, channel: &str) -> i64 {
    shard_subscriber_counts(node, &[channel])[0]
}

/// `PUBSUB SHARDNUMSUB channels...` on `node`: how many connections there are
/// subscribed to each, in order.
pub(crate) fn shard_subscriber_counts(node: &str, channels: &[&str]) -> Vec<i64> {
    use redis_client::resp::Frame;
    let mut args = vec!["PUBSUB", "SHARDNUMSUB"];
    args.extend_from_slice(channels);
    let count = |frame: &Frame| match frame {
        Frame::Integer(n) => *n,
        other => panic!("{other:?}"),
    };
    match support::run(node, &args) {
        Frame::Array(ref items) => items.chunks(2).map(|pair| count(&pair[1])).collect(),
        Frame::Map(ref pairs) => pairs.iter().map(|(_, n)| count(n)).collect(),
        other => panic!("{other:?}"),
    }
}

/// `count` shard channels named after `name`, each in a slot of its own that
/// `primary` serves (as `seed` sees it) and no migration test moves.
pub(crate) fn in_distinct_slots(
    seed: &str,
    name: &str,
    primary: &str,
    count: usize,
) -> Vec<String> {
    let map = support::slot_map(seed);
    let serves = |slot: u16| {
        map.iter()
            .any(|(start, end, owner)| (*start..=*end).contains(&slot) && owner == primary)
    };
    let mut slots = std::collections::BTreeSet::new();
    let found: Vec<String> = (0..200_000)
        .map(|i| format!("{name}:{i}"))
        .filter(|channel| {
            let slot = key_slot(channel.as_bytes());
            serves(slot) && !support::migrated(slot) && slots.insert(slot)
        })
        .take(count)
        .collect();
    assert_eq!(found.len(), count);
    found
}

/// How many reads `node` has made from its clients' sockets
/// (`total_reads_processed`).
pub(crate) fn reads(node: &str) -> u64 {
    support::info_number(node, "stats", "total_reads_processed")
}

/// `SPUBLISH` on the channel's owner (as `seed` sees it): how many received it.
pub(crate) fn spublish(seed: &str, channel: &str, payload: &str) -> i64 {
    let owner = support::owner(seed, key_slot(channel.as_bytes()));
    match support::run(&owner, &["SPUBLISH", channel, payload]) {
        redis_client::resp::Frame::Integer(n) => n,
        other => panic!("{other:?}"),
    }
}

/// `PUBLISH` on `node`: how many on that node received it.
pub(crate) fn publish(node: &str, channel: &str, payload: &str) {
    support::run(node, &["PUBLISH", channel, payload]);
}

/// The next message of subscriber `$s` within [`MESSAGE_WAIT`] (`$aw`: `.await` or
/// nothing).
macro_rules! message {
    ($s:expr, $($aw:tt)*) => {
        $s.next_message(Some($crate::cluster_common::pubsub::MESSAGE_WAIT))$($aw)*
            .unwrap()
            .expect("a message in time")
    };
}

/// Looks for messages (there must be none) until `$done` holds, within
/// [`FOLLOW_LIMIT`].
macro_rules! until {
    ($s:expr, $done:expr, $what:expr, $($aw:tt)*) => {{
        use $crate::cluster_common::pubsub::*;
        let started = std::time::Instant::now();
        while !$done {
            assert!(started.elapsed() < FOLLOW_LIMIT, "{} in time", $what);
            let message = $s.next_message(Some(LOOK))$($aw)*.unwrap();
            assert!(message.is_none(), "no message expected: {message:?}");
        }
    }};
}

/// Shard channels on every primary, ordinary channels and patterns: each gets its
/// message, with its kind (and pattern).
macro_rules! every_kind {
    ($cluster:expr, $name:expr, $s:expr, $($aw:tt)*) => {{
        use $crate::cluster_common::pubsub::*;
        let name: &str = $name;
        let cluster: &RedisCluster = $cluster;
        let seed = cluster.addrs()[0].to_string();
        let shard = one_per_primary(&seed, name);
        let channels: Vec<&str> = shard.iter().map(|(c, _)| c.as_str()).collect();
        $s.ssubscribe(&channels)$($aw)*.unwrap();
        for (channel, primary) in &shard {
            let on = $s.node_of(SubscriptionKind::Shard, channel.as_str()).unwrap();
            assert_eq!(on.to_string(), *primary, "{channel} on its slot's primary");
            assert_eq!(shard_subscribers(primary, channel), 1);
        }
        for (i, (channel, _)) in shard.iter().enumerate() {
            assert_eq!(spublish(&seed, channel, &i.to_string()), 1);
            let message = message!($s, $($aw)*);
            assert_eq!(message.kind, SubscriptionKind::Shard);
            assert_eq!(message.channel, channel.as_bytes());
            assert_eq!(message.payload, i.to_string().as_bytes());
            assert_eq!(message.pattern, None);
        }

        let news = format!("news-{name}");
        let pattern = format!("alerts-{name}.*");
        $s.subscribe([news.as_str()])$($aw)*.unwrap();
        $s.psubscribe([pattern.as_str()])$($aw)*.unwrap();
        let on = $s.node_of(SubscriptionKind::Channel, news.as_str()).unwrap();
        assert_eq!(
            $s.node_of(SubscriptionKind::Pattern, pattern.as_str()),
            Some(on.clone()),
            "channels and patterns on one node"
        );
        // PUBLISH reaches every node's subscribers, wherever it is sent.
        for node in cluster.addrs() {
            publish(&node.to_string(), &news, "n");
            let message = message!($s, $($aw)*);
            assert_eq!(message.kind, SubscriptionKind::Channel);
            assert_eq!(message.channel, news.as_bytes());
        }
        let alert = format!("alerts-{name}.fire");
        publish(&seed, &alert, "hot");
        let message = message!($s, $($aw)*);
        assert_eq!(message.kind, SubscriptionKind::Pattern);
        assert_eq!(message.pattern.as_deref(), Some(pattern.as_bytes()));
        assert_eq!(message.channel, alert.as_bytes());
        assert_eq!(message.payload, "hot".as_bytes());

        // Messages from several nodes at once all come out.
        for (channel, _) in &shard {
            spublish(&seed, channel, "again");
        }
        publish(&seed, &news, "again");
        let mut seen = Vec::new();
        for _ in 0..=shard.len() {
            seen.push(message!($s, $($aw)*).channel);
        }
        seen.sort();
        let mut expected: Vec<_> = channels.iter().map(|c| c.as_bytes().to_vec()).collect();
        expected.push(news.as_bytes().to_vec());
        expected.sort();
        assert_eq!(seen, expected);
        assert_eq!($s.resubscriptions(), 0);
        let subscriptions = $s.subscriptions();
        assert_eq!(subscriptions.shard_channels.len(), shard.len());
        assert_eq!(subscriptions.channels.len(), 1);
        assert_eq!(subscriptions.patterns.len(), 1);
    }};
}

/// A slot moved by hand: the shard channel the caller still wants is subscribed on
/// the new owner and gets a message published after the move; the one the caller
/// left is not subscribed again.
macro_rules! moved_slot {
    ($cluster:expr, $tag:expr, $s:expr, $($aw:tt)*) => {{
        use $crate::cluster_common::pubsub::*;
        let tag: &str = $tag;
        let cluster: &RedisCluster = $cluster;
        let seed = cluster.addrs()[0].to_string();
        let kept = format!("{tag}:kept");
        let left = format!("{tag}:left");
        $s.ssubscribe([kept.as_str(), left.as_str()])$($aw)*.unwrap();
        $s.sunsubscribe([left.as_str()])$($aw)*.unwrap();
        let old = support::owner(&seed, key_slot(kept.as_bytes()));
        assert_eq!(shard_subscribers(&old, &kept), 1);
        assert_eq!(shard_subscribers(&old, &left), 0);

        let new = support::move_slot_of(&seed, &kept);
        assert_ne!(new, old);
        until!(
            $s,
            $s.node_of(SubscriptionKind::Shard, kept.as_str()).map(|a| a.to_string())
                == Some(new.clone()),
            "the channel followed its slot",
            $($aw)*
        );
        assert_eq!($s.resubscriptions(), 1);
        assert_eq!(shard_subscribers(&new, &kept), 1);
        assert_eq!(spublish(&seed, &kept, "after the move"), 1);
        let message = message!($s, $($aw)*);
        assert_eq!(message.channel, kept.as_bytes());
        assert_eq!(message.payload, "after the move".as_bytes());
        // What the caller left stays left.
        assert_eq!(shard_subscribers(&new, &left), 0);
        assert_eq!(spublish(&seed, &left, "nobody"), 0);
        let wanted = $s.subscriptions().shard_channels;
        assert_eq!(wanted.len(), 1);
        assert!(wanted.contains(kept.as_bytes()));
    }};
}

/// A slot mid-migration (`MIGRATING` on its owner, `IMPORTING` on another primary),
/// where an ordinary command for a key the owner lacks gets `-ASK`: Redis (7.0 here)
/// answers `SSUBSCRIBE` on the owner itself, never with `-ASK`, serving the slot's
/// shard channels there until the migration ends. So the channel is confirmed on the
/// owner at the first try and gets what is published there; when the migration ends
/// (`SETSLOT NODE`), Redis unsubscribes it and the subscriber follows it to the new
/// owner.
macro_rules! migrating_slot {
    ($cluster:expr, $tag:expr, $s:expr, $($aw:tt)*) => {{
        use $crate::cluster_common::pubsub::*;
        let tag: &str = $tag;
        let cluster: &RedisCluster = $cluster;
        let seed = cluster.addrs()[0].to_string();
        let channel = format!("{tag}:events");
        let slot = key_slot(channel.as_bytes());
        let (from, to) = support::owner_and_another(&seed, slot);
        let all = support::primaries(&seed);
        support::begin_migration(slot, &from, &to);
        let get = redis_sansio::Cmd::new("GET").arg(format!("{tag}:absent"));
        let asked = support::direct(&from).request(&get).unwrap_err();
        assert!(asked.to_string().contains("ASK"), "{asked}");

        $s.ssubscribe([channel.as_str()])$($aw)*.unwrap();
        let on = $s.node_of(SubscriptionKind::Shard, channel.as_str()).map(|a| a.to_string());
        assert_eq!(on.as_deref(), Some(from.as_str()), "served by the migrating owner");
        assert_eq!(shard_subscribers(&from, &channel), 1);
        assert_eq!(shard_subscribers(&to, &channel), 0);
        assert_eq!(spublish(&seed, &channel, "mid-migration"), 1);
        assert_eq!(message!($s, $($aw)*).payload, "mid-migration".as_bytes());

        support::finish_migration(slot, &from, &to, &all);
        until!(
            $s,
            $s.node_of(SubscriptionKind::Shard, channel.as_str()).map(|a| a.to_string())
                == Some(to.clone()),
            "the channel followed its slot",
            $($aw)*
        );
        assert_eq!($s.resubscriptions(), 1);
        assert_eq!(spublish(&seed, &channel, "after"), 1);
        assert_eq!(message!($s, $($aw)*).payload, "after".as_bytes());
    }};
}

/// The subscriber's connection to a node killed (`CLIENT KILL`): its names are
/// subscribed again (the ordinary ones on a node of the refreshed topology) and get
/// messages; what the caller left stays left.
macro_rules! killed_connection {
    ($cluster:expr, $name:expr, $s:expr, $($aw:tt)*) => {{
        use $crate::cluster_common::pubsub::*;
        let name: &str = $name;
        let cluster: &RedisCluster = $cluster;
        let seed = cluster.addrs()[0].to_string();
        let news = format!("news-{name}");
        let left = format!("left-{name}");
        $s.subscribe([news.as_str(), left.as_str()])$($aw)*.unwrap();
        $s.unsubscribe([left.as_str()])$($aw)*.unwrap();
        let node = $s.node_of(SubscriptionKind::Channel, news.as_str()).unwrap().to_string();
        // A shard channel on the same node, to be subscribed again too.
        let shard = one_per_primary(&seed, name)
            .into_iter()
            .find(|(_, primary)| *primary == node)
            .map(|(channel, _)| channel)
            .unwrap();
        $s.ssubscribe([shard.as_str()])$($aw)*.unwrap();

        assert!(support::kill_named(&node, name) >= 1);
        until!(
            $s,
            $s.resubscriptions() == 2
                && $s.node_of(SubscriptionKind::Channel, news.as_str()).is_some()
                && $s.node_of(SubscriptionKind::Shard, shard.as_str()).is_some(),
            "the names were subscribed again",
            $($aw)*
        );
        publish(&seed, &news, "back");
        let message = message!($s, $($aw)*);
        assert_eq!(message.channel, news.as_bytes());
        assert_eq!(spublish(&seed, &shard, "back"), 1);
        let message = message!($s, $($aw)*);
        assert_eq!(message.channel, shard.as_bytes());
        // The channel the caller left has no subscriber anywhere.
        publish(&seed, &left, "nobody");
        let none = $s.next_message(Some(Duration::from_millis(300)))$($aw)*.unwrap();
        assert!(none.is_none(), "{none:?}");
        assert_eq!($s.subscriptions().channels.len(), 1);
    }};
}

/// How many slots of one primary the round-trip scenario subscribes.
pub(crate) const MANY_SLOTS: usize = 300;

/// Shard channels in [`MANY_SLOTS`] slots of one primary, subscribed with one call,
/// then subscribed again after the subscriber's connections to that primary were
/// killed: every one is confirmed (by the books and by `PUBSUB SHARDNUMSUB`), and
/// each time the primary read the [`MANY_SLOTS`] `SSUBSCRIBE`s in one round trip,
/// not one each.
///
/// How round trips are counted: the primary's `total_reads_processed` (`INFO
/// stats`) counts the reads it made from any client's socket. A subscriber that
/// waits for each slot's confirmation before it sends the next makes the primary
/// read at least once per slot; one that sends every slot's command before waiting
/// puts them on the wire together, and the primary takes them in a few reads (16 KiB
/// each). The bound, half of [`MANY_SLOTS`], leaves room for the reads of the
/// scenario's own probes, the subscriber's handshake and refresh, the replica's acks
/// and the light traffic of the other pub/sub tests sharing the cluster; a cluster
/// busy with other tests' traffic (the TLS tests' hundreds of keys) would blur the
/// count, so the scenario runs on the pub/sub tests' cluster only.
macro_rules! many_slots {
    ($cluster:expr, $name:expr, $s:expr, $($aw:tt)*) => {{
        use $crate::cluster_common::pubsub::*;
        let name: &str = $name;
        let cluster: &RedisCluster = $cluster;
        let seed = cluster.addrs()[0].to_string();
        let primary = support::primaries(&seed).remove(0);
        let channels = in_distinct_slots(&seed, name, &primary, MANY_SLOTS);
        let channels: Vec<&str> = channels.iter().map(String::as_str).collect();
        let bound = MANY_SLOTS as u64 / 2;
        let confirmed = |s: &dyn Fn(&str) -> Option<String>| {
            channels.iter().all(|channel| s(channel).as_deref() == Some(primary.as_str()))
        };

        let before = reads(&primary);
        $s.ssubscribe(&channels)$($aw)*.unwrap();
        let used = reads(&primary) - before;
        assert!(used < bound, "{used} reads for {MANY_SLOTS} slots: a round trip each?");
        assert!(confirmed(&|c| $s.node_of(SubscriptionKind::Shard, c).map(|a| a.to_string())));
        assert_eq!(shard_subscriber_counts(&primary, &channels), vec![1; MANY_SLOTS]);
        let last = channels[MANY_SLOTS - 1];
        assert_eq!(spublish(&seed, last, "last"), 1);
        assert_eq!(message!($s, $($aw)*).channel, last.as_bytes());

        let before = reads(&primary);
        assert!(support::kill_named(&primary, name) >= 1);
        until!(
            $s,
            $s.resubscriptions() == MANY_SLOTS as u64,
            "every slot subscribed again",
            $($aw)*
        );
        let used = reads(&primary) - before;
        assert!(used < bound, "{used} reads to subscribe {MANY_SLOTS} slots again");
        assert!(confirmed(&|c| $s.node_of(SubscriptionKind::Shard, c).map(|a| a.to_string())));
        assert_eq!(shard_subscriber_counts(&primary, &channels), vec![1; MANY_SLOTS]);
    }};
}

pub(crate) use every_kind;
pub(crate) use killed_connection;
pub(crate) use many_slots;
pub(crate) use message;
pub(crate) use migrating_slot;
pub(crate) use moved_slot;
pub(crate) use until;
