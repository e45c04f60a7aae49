//! The book of a shared connection's subscriptions, and subscribing on a shared
//! connection: byte-level scripts, no sockets.
// A starting instant for the connection under test: the core itself reads no clock.
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

use bytes::Bytes;
use redis_sansio::config::{ConnectionConfig, ProtocolVersion};
use redis_sansio::conn::{Connection, Event, Message, SubscriptionKind};
use redis_sansio::subscribers::{DEFAULT_MAX_QUEUED, Delivery, Gap, SubscriberBook};
use redis_sansio::{CloseReason, Cmd, SendError};

fn names(names: &[&'static str]) -> Vec<Bytes> {
    names
        .iter()
        .map(|name| Bytes::from_static(name.as_bytes()))
        .collect()
}

fn message(
    kind: SubscriptionKind,
    channel: &'static str,
    pattern: Option<&'static str>,
) -> Message {
    Message {
        kind,
        channel: Bytes::from_static(channel.as_bytes()),
        pattern: pattern.map(|p| Bytes::from_static(p.as_bytes())),
        payload: Bytes::from_static(b"payload"),
    }
}

#[test]
fn names_are_subscribed_once_and_left_with_their_last_listener() {
    use SubscriptionKind::*;
    let mut book = SubscriberBook::new();
    let (a, cmd) = book.add(Channel, names(&["x", "y", "x"])).unwrap();
    assert_eq!(cmd, Some(Cmd::new("SUBSCRIBE").arg("x").arg("y")));
    let (b, cmd) = book.add(Channel, names(&["y", "z"])).unwrap();
    assert_eq!(cmd, Some(Cmd::new("SUBSCRIBE").arg("z")));
    let (p, cmd) = book.add(Pattern, names(&["x*"])).unwrap();
    assert_eq!(cmd, Some(Cmd::new("PSUBSCRIBE").arg("x*")));
    assert_eq!(book.add(Shard, Vec::new()), Err(SendError::Empty));
    assert_eq!(book.len(), 3);
    assert_eq!(
        book.restore_cmds(),
        [
            Cmd::new("SUBSCRIBE").arg("x").arg("y").arg("z"),
            Cmd::new("PSUBSCRIBE").arg("x*"),
        ]
    );
    // "y" is still b's.
    assert_eq!(book.remove(a), Some(Cmd::new("UNSUBSCRIBE").arg("x")));
    assert_eq!(book.remove(a), None);
    assert_eq!(
        book.remove(b),
        Some(Cmd::new("UNSUBSCRIBE").arg("y").arg("z"))
    );
    assert_eq!(book.remove(p), Some(Cmd::new("PUNSUBSCRIBE").arg("x*")));
    assert!(book.is_empty());
    assert!(book.restore_cmds().is_empty());
}

#[test]
fn messages_reach_the_listeners_of_their_channel_or_pattern() {
    use SubscriptionKind::*;
    let mut book = SubscriberBook::new();
    let (a, _) = book.add(Channel, names(&["news"])).unwrap();
    let (b, _) = book.add(Pattern, names(&["n*"])).unwrap();
    let (c, _) = book.add(Shard, names(&["news"])).unwrap();
    let mut woken = Vec::new();
    book.handle_message(message(Channel, "news", None), |id| woken.push(id));
    book.handle_message(message(Pattern, "news", Some("n*")), |id| woken.push(id));
    book.handle_message(message(Shard, "news", None), |id| woken.push(id));
    // Nobody listens to "other" or to pattern "o*".
    book.handle_message(message(Channel, "other", None), |id| woken.push(id));
    book.handle_message(message(Pattern, "other", Some("o*")), |id| woken.push(id));
    assert_eq!(woken, [a, b, c]);
    for (id, kind) in [(a, Channel), (b, Pattern), (c, Shard)] {
        match book.poll(id) {
            Ok(Some(Delivery::Message(m))) => assert_eq!(m.kind, kind),
            other => panic!("{other:?}"),
        }
        assert_eq!(book.poll(id), Ok(None));
    }
}

#[test]
fn a_reconnect_is_a_gap_and_a_close_ends_every_listener_after_its_queue() {
    let mut book = SubscriberBook::new();
    let (a, _) = book
        .add(SubscriptionKind::Channel, names(&["news"]))
        .unwrap();
    book.handle_message(message(SubscriptionKind::Channel, "news", None), |_| {});
    let mut woken = Vec::new();
    book.handle_reconnected(|id| woken.push(id));
    assert_eq!(woken, [a]);
    book.handle_closed(CloseReason::Eof, |_| {});
    assert!(matches!(book.poll(a), Ok(Some(Delivery::Message(_)))));
    assert_eq!(book.poll(a), Ok(Some(Delivery::Gap(Gap::Reconnected))));
    assert_eq!(book.poll(a), Err(CloseReason::Eof));
    // Closed: nothing to leave on the wire, nothing new to add.
    assert_eq!(book.remove(a), None);
    assert_eq!(
        book.add(SubscriptionKind::Channel, names(&["x"])),
        Err(SendError::Closed)
    );
}

#[test]
fn a_slow_listener_loses_messages_and_is_told_how_many() {
    assert_eq!(SubscriberBook::new().max_queued(), DEFAULT_MAX_QUEUED);
    let mut book = SubscriberBook::new();
    book.set_max_queued(2);
    let (slow, _) = book
        .add(SubscriptionKind::Channel, names(&["news"]))
        .unwrap();
    for _ in 0..5 {
        book.handle_message(message(SubscriptionKind::Channel, "news", None), |_| {});
    }
    assert!(matches!(book.poll(slow), Ok(Some(Delivery::Message(_)))));
    // Room again: the next message comes after word of the three dropped.
    book.handle_message(message(SubscriptionKind::Channel, "news", None), |_| {});
    assert!(matches!(book.poll(slow), Ok(Some(Delivery::Message(_)))));
    assert_eq!(
        book.poll(slow),
        Ok(Some(Delivery::Gap(Gap::Lagged { dropped: 3 })))
    );
    assert!(matches!(book.poll(slow), Ok(Some(Delivery::Message(_)))));
    assert_eq!(book.poll(slow), Ok(None));
    // Dropped with nothing after: told when the queue is empty.
    for _ in 0..3 {
        book.handle_message(message(SubscriptionKind::Channel, "news", None), |_| {});
    }
    book.poll(slow).unwrap();
    book.poll(slow).unwrap();
    assert_eq!(
        book.poll(slow),
        Ok(Some(Delivery::Gap(Gap::Lagged { dropped: 1 })))
    );
}

fn shared_resp3(now: Instant) -> Connection {
    let mut config = ConnectionConfig::default();
    (config.lib_name, config.lib_ver) = (None, None);
    let mut conn = Connection::new(config, now);
    conn.set_shared(true);
    let hello = b"%1\r\n$5\r\nproto\r\n:3\r\n";
    conn.handle_input(hello, now);
    let sent = conn.transmit().len();
    conn.advance_transmit(sent);
    while conn.poll_event().is_some() {}
    conn
}

#[test]
fn a_shared_connection_subscribes_only_through_send_subscription() {
    let now = Instant::now();
    let mut conn = shared_resp3(now);
    assert_eq!(conn.protocol(), ProtocolVersion::Resp3);
    let subscribe = Cmd::new("SUBSCRIBE").arg("news");
    assert!(matches!(
        conn.send(&subscribe, now),
        Err(SendError::Shared { .. })
    ));
    for refused in [Cmd::new("GET").arg("k"), Cmd::new("UNSUBSCRIBE")] {
        assert!(matches!(
            conn.send_subscription(&refused, now),
            Err(SendError::NotSubscription { .. })
        ));
    }
    let id = conn.send_subscription(&subscribe, now).unwrap();
    let get = conn.send(&Cmd::new("GET").arg("k"), now).unwrap();
    // The confirmation, a message, then GET's reply.
    conn.handle_input(
        b">3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n\
          >3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n\
          $1\r\nv\r\n",
        now,
    );
    let mut events = Vec::new();
    while let Some(event) = conn.poll_event() {
        events.push(event);
    }
    assert!(matches!(&events[0], Event::Reply { id: got, result: Ok(_) } if *got == id));
    assert!(matches!(&events[1], Event::Message(m) if m.payload == "hi"));
    assert!(matches!(&events[2], Event::Reply { id: got, result: Ok(_) } if *got == get));
    // Still shared: SELECT is refused.
    assert!(matches!(
        conn.send(&Cmd::new("SELECT").arg(1), now),
        Err(SendError::Shared { .. })
    ));
}
