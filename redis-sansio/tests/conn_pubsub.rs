//! Pub/sub in RESP3 (pushes) and RESP2 (subscribed mode), and MONITOR, scripted.

mod conn_support;

use bytes::Bytes;
use conn_support::*;
use redis_sansio::SendError;
use redis_sansio::conn::{Event, Message, SubscriptionKind};
use redis_sansio::resp::Frame;

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn message(channel: &str, payload: &str) -> Event {
    Event::Message(Message {
        kind: SubscriptionKind::Channel,
        channel: b(channel),
        pattern: None,
        payload: b(payload),
    })
}

#[test]
fn resp3_pushes_interleave_with_replies_and_are_never_taken_for_them() {
    let mut s = Script::ready();
    let sub = s.send(&["SUBSCRIBE", "a", "b"]);
    let get = s.send(&["GET", "k"]);
    s.expect_sent(&[&["SUBSCRIBE", "a", "b"], &["GET", "k"]]);
    s.reply(">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
    assert_eq!(s.next_event(), None, "one confirmation of two");
    s.reply(">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n");
    s.reply(">3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n");
    s.reply(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
    s.reply("$1\r\nv\r\n");
    let events = s.events();
    assert_eq!(events[0], message("a", "hi"));
    assert!(
        matches!(&events[1], Event::Reply { id, result: Ok(Frame::Array(confirmations)) } if *id == sub && confirmations.len() == 2)
    );
    assert!(
        matches!(&events[2], Event::Push(Frame::Push(items)) if items[0] == Frame::bulk("invalidate"))
    );
    assert_eq!(
        events[3],
        Event::Reply {
            id: get,
            result: Ok(Frame::bulk("v"))
        }
    );
    assert_eq!(
        s.conn
            .subscriptions()
            .channels
            .iter()
            .cloned()
            .collect::<Vec<_>>(),
        [b("a"), b("b")]
    );
    assert!(s.conn.wants_read(), "subscribed connections keep reading");
}

#[test]
fn resp3_pattern_and_shard_messages() {
    let mut s = Script::ready();
    let p = s.send(&["PSUBSCRIBE", "news.*"]);
    let sh = s.send(&["SSUBSCRIBE", "orders"]);
    s.sent();
    s.reply(">3\r\n$10\r\npsubscribe\r\n$6\r\nnews.*\r\n:1\r\n>3\r\n$10\r\nssubscribe\r\n$6\r\norders\r\n:1\r\n");
    assert!(s.reply_to(p).is_ok());
    assert!(s.reply_to(sh).is_ok());
    s.reply(">4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$8\r\nnews.art\r\n$1\r\nx\r\n");
    s.reply(">3\r\n$8\r\nsmessage\r\n$6\r\norders\r\n$1\r\ny\r\n");
    assert_eq!(
        s.events(),
        [
            Event::Message(Message {
                kind: SubscriptionKind::Pattern,
                channel: b("news.art"),
                pattern: Some(b("news.*")),
                payload: b("x")
            }),
            Event::Message(Message {
                kind: SubscriptionKind::Shard,
                channel: b("orders"),
                pattern: None,
                payload: b("y")
            }),
        ]
    );
    assert_eq!(s.conn.subscriptions().patterns.len(), 1);
    assert_eq!(s.conn.subscriptions().shard_channels.len(), 1);
    // A shard channel the server drops on its own (its slot moved) is reported.
    s.reply(">3\r\n$12\r\nsunsubscribe\r\n$6\r\norders\r\n:0\r\n");
    assert!(matches!(s.next_event(), Some(Event::Push(_))));
    assert!(s.conn.subscriptions().shard_channels.is_empty());
}

#[test]
fn unsubscribe_from_all_completes_when_none_is_left() {
    let mut s = Script::ready();
    s.send(&["SUBSCRIBE", "a", "b"]);
    s.sent();
    s.reply(">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n>3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n");
    s.events();
    let unsub = s.send(&["UNSUBSCRIBE"]);
    s.sent();
    s.reply(">3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:1\r\n");
    assert_eq!(s.next_event(), None);
    s.reply(">3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n");
    assert!(matches!(s.reply_to(unsub), Ok(Frame::Array(ref c)) if c.len() == 2));
    assert!(s.conn.subscriptions().is_empty());
    // With nothing subscribed, the server confirms once with a null channel.
    let again = s.send(&["UNSUBSCRIBE"]);
    s.sent();
    s.reply(">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
    assert!(matches!(s.reply_to(again), Ok(Frame::Array(ref c)) if c.len() == 1));
}

#[test]
fn resp2_subscribed_mode() {
    let mut s = Script::ready_resp2();
    let sub = s.send(&["SUBSCRIBE", "a"]);
    // Subscribed mode starts as soon as SUBSCRIBE is on its way.
    assert!(
        matches!(s.conn.send(&cmd(&["GET", "k"]), s.now), Err(SendError::Subscribed { command }) if command == "GET")
    );
    s.sent();
    s.reply("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
    assert!(matches!(s.reply_to(sub), Ok(Frame::Array(ref c)) if c.len() == 1));
    s.reply("*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n");
    assert_eq!(s.next_event(), Some(message("a", "hello")));
    s.reply("*4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$2\r\nab\r\n$1\r\nz\r\n");
    assert!(matches!(
        s.next_event(),
        Some(Event::Message(Message {
            kind: SubscriptionKind::Pattern,
            ..
        }))
    ));
    // PING is allowed and its RESP2 subscribed-mode reply is an array, not a message.
    let ping = s.send(&["PING"]);
    s.sent();
    s.reply("*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(
        s.reply_to(ping),
        Ok(Frame::Array(vec![Frame::bulk("pong"), Frame::bulk("")]))
    );
    assert!(s.conn.send(&cmd(&["SET", "k", "v"]), s.now).is_err());
    // Leaving every subscription returns to normal mode.
    let unsub = s.send(&["UNSUBSCRIBE", "a"]);
    s.sent();
    s.reply("*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n");
    assert!(s.reply_to(unsub).is_ok());
    let get = s.send(&["GET", "k"]);
    s.sent();
    s.reply("*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nx\r\n");
    assert_eq!(
        s.reply_to(get),
        Ok(Frame::Array(vec![
            Frame::bulk("message"),
            Frame::bulk("a"),
            Frame::bulk("x")
        ])),
        "out of subscribed mode, an array is just a reply"
    );
}

/// Client-tracking REDIRECT sends invalidations as messages whose payload is an array
/// of keys (or null for a flush): pushes, never taken for a pending reply.
#[test]
fn resp2_messages_with_array_payloads_are_pushes() {
    let mut s = Script::ready_resp2();
    let sub = s.send(&["SUBSCRIBE", "__redis__:invalidate"]);
    s.sent();
    s.reply("*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n");
    assert!(s.reply_to(sub).is_ok());
    let ping = s.send(&["PING"]);
    s.sent();
    let invalidation = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n";
    s.reply(invalidation);
    s.reply("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*-1\r\n");
    s.reply("*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    let events = s.events();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(
        matches!(&events[0], Event::Push(Frame::Array(items)) if items[2] == Frame::Array(vec![Frame::bulk("k")])),
        "{events:?}"
    );
    assert!(
        matches!(&events[1], Event::Push(Frame::Array(items)) if items[2] == Frame::NullArray),
        "{events:?}"
    );
    assert_eq!(
        events[2],
        Event::Reply {
            id: ping,
            result: Ok(Frame::Array(vec![Frame::bulk("pong"), Frame::bulk("")]))
        }
    );
}

#[test]
fn monitor_streams_lines_and_refuses_other_commands() {
    let mut s = Script::ready();
    let monitor = s.send(&["MONITOR"]);
    assert_eq!(
        s.conn.send(&cmd(&["GET", "k"]), s.now),
        Err(SendError::Monitoring)
    );
    s.sent();
    s.reply("+OK\r\n");
    assert_eq!(s.reply_to(monitor), Ok(Frame::simple("OK")));
    assert!(s.conn.is_monitoring());
    s.reply("+1339518083.107412 [0 127.0.0.1:60866] \"keys\" \"*\"\r\n");
    assert_eq!(
        s.next_event(),
        Some(Event::Monitor(b(
            "1339518083.107412 [0 127.0.0.1:60866] \"keys\" \"*\""
        )))
    );
    assert_eq!(
        s.conn.send(&cmd(&["PING"]), s.now),
        Err(SendError::Monitoring)
    );
    assert!(s.conn.wants_read());
}
