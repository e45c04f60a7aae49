//! The pushes an exclusive connection keeps unread (`conn::UnreadEvents`): their
//! order, the bytes they count, and the close past the count or byte limit.
// Tests take a starting instant from the clock; the core never reads it.
#![allow(clippy::disallowed_methods)]

use bytes::Bytes;
use redis_sansio::CloseReason;
use redis_sansio::config::{ConnectionConfig, PushLimits};
use redis_sansio::conn::{Connection, Event, Message, SubscriptionKind, UnreadEvents};
use redis_sansio::resp::Frame;

fn message(payload: &'static str) -> Event {
    Event::Message(Message {
        kind: SubscriptionKind::Channel,
        channel: Bytes::from_static(b"ch"),
        pattern: None,
        payload: Bytes::from_static(payload.as_bytes()),
    })
}

fn new_core() -> Connection {
    Connection::new(ConnectionConfig::default(), std::time::Instant::now())
}

#[test]
fn events_come_back_in_order_and_their_bytes_are_given_back() {
    let mut core = new_core();
    let mut unread = UnreadEvents::new(PushLimits::default());
    unread.keep(message("a"), &mut core);
    unread.keep(Event::Monitor(Bytes::from_static(b"line")), &mut core);
    assert_eq!(unread.len(), 2);
    assert_eq!(unread.bytes(), 2 * size_of::<Event>() + 3 + 4);
    assert_eq!(unread.pop(), Some(message("a")));
    assert_eq!(
        unread.pop(),
        Some(Event::Monitor(Bytes::from_static(b"line")))
    );
    assert_eq!((unread.pop(), unread.bytes()), (None, 0));
}

#[test]
fn one_past_the_count_closes_the_connection() {
    let mut core = new_core();
    let limits = PushLimits {
        max_count: 2,
        ..PushLimits::default()
    };
    let mut unread = UnreadEvents::new(limits);
    for payload in ["1", "2", "3"] {
        unread.keep(message(payload), &mut core);
    }
    assert_eq!(unread.len(), 2);
    let closed: Vec<Event> = std::iter::from_fn(|| core.poll_event()).collect();
    let bytes = 2 * (size_of::<Event>() + 3);
    assert_eq!(
        closed,
        [Event::Closed(CloseReason::UnreadPushes { count: 2, bytes })]
    );
    assert_eq!(
        unread.pop(),
        Some(message("1")),
        "kept events stay readable"
    );
}

#[test]
fn bytes_count_nested_values_and_their_strings() {
    let push = Frame::Push(vec![
        Frame::bulk("invalidate"),
        Frame::Array(vec![Frame::bulk("k1"), Frame::bulk("k2")]),
    ]);
    let expected = 4 * size_of::<Frame>() + 10 + 2 + 2;
    let mut measured = UnreadEvents::new(PushLimits::default());
    measured.keep(Event::Push(push.clone()), &mut new_core());
    assert_eq!(measured.bytes(), size_of::<Event>() + expected);
    let limits = PushLimits {
        max_bytes: size_of::<Event>() + expected,
        ..PushLimits::default()
    };
    let mut core = new_core();
    let mut unread = UnreadEvents::new(limits);
    unread.keep(Event::Push(push.clone()), &mut core);
    assert_eq!(core.poll_event(), None, "exactly at the limit fits");
    unread.keep(Event::Push(push), &mut core);
    assert!(matches!(
        core.poll_event(),
        Some(Event::Closed(CloseReason::UnreadPushes { count: 1, .. }))
    ));
}
