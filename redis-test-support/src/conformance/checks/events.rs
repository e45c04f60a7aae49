//! Out-of-band data on the body: pub/sub messages (RESP3 pushes, RESP2 subscribed
//! mode) and client-side-caching invalidations, on the shared server.

use std::time::{Duration, Instant};

use bytes::Bytes;
use redis_io_async::Error;
use redis_sansio::conn::{Event, SubscriptionKind};
use redis_sansio::resp::Frame;
use redis_sansio::{Cmd, SendError};

use crate::cmd;
use crate::conformance::Body;
use crate::conformance::env::{Case, every_byte, shared_server, targets};

/// How long a check waits for a message that should come at once.
const MESSAGE_WAIT: Duration = Duration::from_secs(5);
/// How long a check waits to see that nothing comes.
const QUIET_WAIT: Duration = Duration::from_millis(50);

/// Pub/sub on the body: messages to channels and to patterns arrive as events, in
/// publish order, with binary payloads intact, and are never taken for replies;
/// the confirmed subscriptions are tracked; in RESP2 subscribed mode other commands
/// are refused before sending (`SendError::Subscribed`) while `PING` works, in RESP3
/// they work; after unsubscribing from everything the connection is back to normal
/// and no further message arrives.
pub fn pubsub<B: Body>() {
    let server = shared_server();
    for target in targets(&server) {
        let case = Case::new::<B>("pubsub", &target);
        let (first, second) = (case.key("ch1"), case.key("ch2"));
        let pattern = case.key("p.*");
        let matching = case.key("p.x");
        let mut subscriber = case.connect::<B>(target.config.clone());
        let mut publisher = case.connect::<B>(target.config.clone());
        case.ok(
            "SUBSCRIBE",
            subscriber.request(&cmd(&["SUBSCRIBE", &first, &second])),
        );
        case.ok(
            "PSUBSCRIBE",
            subscriber.request(&cmd(&["PSUBSCRIBE", &pattern])),
        );
        let subscriptions = subscriber.subscriptions();
        assert_eq!(subscriptions.channels.len(), 2, "{case}: {subscriptions:?}");
        assert!(
            subscriptions.patterns.contains(pattern.as_bytes()),
            "{case}: {subscriptions:?}"
        );

        let payload = every_byte();
        let publish = publisher.request(&Cmd::new("PUBLISH").arg(&first).arg(&payload[..]));
        assert_eq!(case.ok("PUBLISH", publish), Frame::Integer(1), "{case}");
        let publish = publisher.request(&cmd(&["PUBLISH", &matching, "hi"]));
        assert_eq!(case.ok("PUBLISH", publish), Frame::Integer(1), "{case}");

        match case.ok("first message", subscriber.next_event(MESSAGE_WAIT)) {
            Some(Event::Message(message)) => {
                assert_eq!(message.kind, SubscriptionKind::Channel, "{case}");
                assert_eq!(message.channel, first.as_bytes(), "{case}");
                assert_eq!(message.pattern, None, "{case}");
                assert!(message.payload == payload, "{case}: payload changed");
            }
            other => panic!("{case}: expected the channel message, got {other:?}"),
        }
        match case.ok("second message", subscriber.next_event(MESSAGE_WAIT)) {
            Some(Event::Message(message)) => {
                assert_eq!(message.kind, SubscriptionKind::Pattern, "{case}");
                assert_eq!(message.pattern, Some(Bytes::from(pattern.clone())));
                assert_eq!(message.channel, matching.as_bytes(), "{case}");
                assert_eq!(message.payload, "hi", "{case}");
            }
            other => panic!("{case}: expected the pattern message, got {other:?}"),
        }

        if target.is_resp3() {
            let get = subscriber.request(&cmd(&["GET", &case.key("none")]));
            assert_eq!(case.ok("GET while subscribed", get), Frame::Null, "{case}");
        } else {
            let error = case.err(
                "GET in subscribed mode",
                subscriber.request(&cmd(&["GET", "x"])),
            );
            assert!(
                matches!(error, Error::Send(SendError::Subscribed { .. })),
                "{case}: {error:?}"
            );
            case.ok(
                "PING in subscribed mode",
                subscriber.request(&cmd(&["PING"])),
            );
        }

        case.ok("UNSUBSCRIBE", subscriber.request(&cmd(&["UNSUBSCRIBE"])));
        case.ok("PUNSUBSCRIBE", subscriber.request(&cmd(&["PUNSUBSCRIBE"])));
        assert!(subscriber.subscriptions().is_empty(), "{case}");
        let ping = subscriber.request(&cmd(&["PING"]));
        assert_eq!(case.ok("PING", ping), Frame::simple("PONG"), "{case}");
        let publish = publisher.request(&cmd(&["PUBLISH", &first, "late"]));
        assert_eq!(case.ok("PUBLISH", publish), Frame::Integer(0), "{case}");
        let started = Instant::now();
        let event = case.ok("quiet", subscriber.next_event(QUIET_WAIT));
        assert_eq!(event, None, "{case}");
        assert!(
            started.elapsed() >= QUIET_WAIT,
            "{case}: next_event returned early"
        );
    }
}

/// A wait for events notices when the server closes the connection: after
/// `CLIENT KILL` of a subscribed connection, `next_event` fails with the close
/// (`Eof`, or the socket error that showed it) instead of answering `Ok(None)`,
/// which means the time ran out; and so does every later call, at once, so that a
/// subscriber loop ends instead of spinning.
pub fn events_see_close<B: Body>() {
    let server = shared_server();
    for target in targets(&server) {
        let case = Case::new::<B>("events_see_close", &target);
        let mut subscriber = case.connect::<B>(target.config.clone());
        let id = match case.ok("CLIENT ID", subscriber.request(&cmd(&["CLIENT", "ID"]))) {
            Frame::Integer(id) => id.to_string(),
            other => panic!("{case}: CLIENT ID gave {other:?}"),
        };
        let channel = case.key("ch");
        case.ok(
            "SUBSCRIBE",
            subscriber.request(&cmd(&["SUBSCRIBE", &channel])),
        );
        let killed = crate::RawConnection::connect(server.addr())
            .and_then(|mut admin| admin.try_command(&["CLIENT", "KILL", "ID", &id]));
        assert_eq!(killed.ok().as_deref(), Some(":1"), "{case}");

        let started = Instant::now();
        let first = subscriber.next_event(MESSAGE_WAIT);
        assert!(
            started.elapsed() < MESSAGE_WAIT,
            "{case}: waited out the timeout"
        );
        let error = case.err("next_event after CLIENT KILL", first);
        assert!(
            matches!(error, Error::Io(_)) || error.close_reason().is_some(),
            "{case}: {error:?}"
        );
        let error = case.err("next_event later", subscriber.next_event(QUIET_WAIT));
        assert!(error.close_reason().is_some(), "{case}: {error:?}");
    }
}

/// Client-side caching invalidations reach the body as RESP3 pushes on the tracking
/// connection itself (`Event::Push` of `invalidate [key]`), mixed with its replies
/// without being taken for one; the connection stays usable.
///
/// RESP3 targets only (TCP and Unix): RESP2 has no push type; `tracking_redirect`
/// covers RESP2.
pub fn tracking_pushes<B: Body>() {
    let server = shared_server();
    for target in targets(&server).into_iter().filter(|t| t.is_resp3()) {
        let case = Case::new::<B>("tracking_pushes", &target);
        let key = case.key("cached");
        let mut writer = case.connect::<B>(target.config.clone());
        let mut tracking = case.connect::<B>(target.config.clone());
        let on = tracking.request(&cmd(&["CLIENT", "TRACKING", "ON"]));
        assert_eq!(case.ok("TRACKING ON", on), Frame::simple("OK"), "{case}");
        let get = case.ok("GET", tracking.request(&cmd(&["GET", &key])));
        assert!(get.is_null(), "{case}: {get:?}");
        case.ok("SET", writer.request(&cmd(&["SET", &key, "v"])));
        // A request made while the push is on its way gets its own reply.
        let echo = tracking.request(&cmd(&["ECHO", "mine"]));
        assert_eq!(case.ok("ECHO", echo), Frame::bulk("mine"), "{case}");

        let expected = Frame::Push(vec![
            Frame::bulk("invalidate"),
            Frame::Array(vec![Frame::bulk(key.clone())]),
        ]);
        match case.ok("invalidation", tracking.next_event(MESSAGE_WAIT)) {
            Some(Event::Push(frame)) => assert_eq!(frame, expected, "{case}"),
            other => panic!(
                "{case}: expected the invalidation, got {other:?} (close reason {:?})",
                tracking.close_reason()
            ),
        }
        let get = tracking.request(&cmd(&["GET", &key]));
        assert_eq!(case.ok("GET after", get), Frame::bulk("v"), "{case}");
    }
}

/// Client-side caching in RESP2: the server sends invalidations as messages on
/// `__redis__:invalidate` to the subscribed connection named with `REDIRECT`, with
/// an array of keys as the payload. They reach that connection as an event (its
/// payload is not a string, so not as a `Message`), are never taken for a reply, and
/// the connection stays open and usable.
///
/// RESP2 targets only (TCP and Unix); `tracking_pushes` covers RESP3.
pub fn tracking_redirect<B: Body>() {
    let server = shared_server();
    for target in targets(&server).into_iter().filter(|t| !t.is_resp3()) {
        let case = Case::new::<B>("tracking_redirect", &target);
        let key = case.key("cached");
        let mut writer = case.connect::<B>(target.config.clone());
        let mut tracking = case.connect::<B>(target.config.clone());
        let mut receiver = case.connect::<B>(target.config.clone());
        let id = match case.ok("CLIENT ID", receiver.request(&cmd(&["CLIENT", "ID"]))) {
            Frame::Integer(id) => id.to_string(),
            other => panic!("{case}: CLIENT ID gave {other:?}"),
        };
        let channel = "__redis__:invalidate";
        case.ok("SUBSCRIBE", receiver.request(&cmd(&["SUBSCRIBE", channel])));
        let on = tracking.request(&cmd(&["CLIENT", "TRACKING", "ON", "REDIRECT", &id]));
        assert_eq!(case.ok("TRACKING REDIRECT", on), Frame::simple("OK"));
        let get = case.ok("GET", tracking.request(&cmd(&["GET", &key])));
        assert!(get.is_null(), "{case}: {get:?}");
        case.ok("SET", writer.request(&cmd(&["SET", &key, "v"])));

        let expected = Frame::Array(vec![
            Frame::bulk("message"),
            Frame::bulk(channel),
            Frame::Array(vec![Frame::bulk(key.clone())]),
        ]);
        match case.ok("invalidation", receiver.next_event(MESSAGE_WAIT)) {
            Some(Event::Push(frame)) => assert_eq!(frame, expected, "{case}"),
            other => panic!(
                "{case}: expected the invalidation, got {other:?} (close reason {:?})",
                receiver.close_reason()
            ),
        }
        assert_eq!(receiver.close_reason(), None, "{case}");
        let ping = case.ok("PING", receiver.request(&cmd(&["PING"])));
        assert!(!ping.is_error(), "{case}: {ping:?}");
    }
}
