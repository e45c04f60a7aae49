//! Pushes the application does not read are bounded: past the connection's
//! `push_limits` it closes with `CloseReason::UnreadPushes`.

use std::time::Duration;

use redis_io_async::Error;
use redis_sansio::config::{ProtocolVersion, PushLimits};
use redis_sansio::conn::Event;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, RequestError};

use crate::conformance::Body;
use crate::conformance::checks::hostile::connect_fake;
use crate::conformance::env::{Case, SAFETY_TIMEOUT, shared_server, targets};
use crate::{FakeServer, Misbehaviour, RawConnection, cmd};

/// The push limit of these checks: small, so they are quick.
const MAX_PUSHES: usize = 200;
/// How many keys the writer sets in the tracking case; each set sends one
/// invalidation to the tracking connection.
const WRITES: usize = 600;
/// How many requests the tracking connection makes at most while the writer writes.
const TRACKING_REQUESTS: usize = 100;

/// Unread pushes are bounded:
///
/// - a fake server sends 1,000 RESP3 pushes before answering `PING`: with the
///   default limits the `PING` gets `PONG` and the 1,000 pushes are all readable;
///   with a limit of 200 pushes (and again with a limit in bytes) the `PING` fails
///   with [`CloseReason::UnreadPushes`], and the 200 pushes kept stay readable before
///   the close;
/// - a real server, `CLIENT TRACKING on BCAST`: while another connection sets 600
///   keys, a connection that only sends commands closes with `UnreadPushes` before
///   its 100th request; one that drains its events as it goes stays open.
pub fn unread_pushes<B: Body>() {
    flooded_by_a_fake_server::<B>();
    tracking_without_draining::<B>();
}

fn flooded_by_a_fake_server<B: Body>() {
    const FLOOD: usize = 1_000;
    let byte_limit = PushLimits {
        max_bytes: 64 * 1024,
        ..PushLimits::default()
    };
    let count_limit = PushLimits {
        max_count: MAX_PUSHES,
        ..PushLimits::default()
    };
    for (limits, label) in [
        (PushLimits::default(), "fake/default"),
        (count_limit, "fake/count"),
        (byte_limit, "fake/bytes"),
    ] {
        let server = FakeServer::start();
        let config = server
            .config(ProtocolVersion::Resp3)
            .with_push_limits(limits)
            .with_response_timeout(SAFETY_TIMEOUT);
        let (case, mut conn) = connect_fake::<B>("unread_pushes", config, label);
        server.misbehave_next(Misbehaviour::PushesFirst {
            count: FLOOD,
            payload_len: 16,
        });
        let ping = conn.request(&cmd(&["PING"]));
        let kept = if limits == PushLimits::default() {
            assert_eq!(case.ok("PING", ping), Frame::simple("PONG"), "{case}");
            FLOOD
        } else {
            let error = case.err("PING after the flood", ping);
            let kept = match unread_pushes_reason(&error) {
                Some(CloseReason::UnreadPushes { count, .. }) => *count,
                _ => panic!("{case}: {error:?}"),
            };
            if limits == count_limit {
                assert_eq!(kept, MAX_PUSHES, "{case}");
            }
            assert!(kept > 0 && kept < FLOOD, "{case}: kept {kept}");
            kept
        };
        for n in 0..kept {
            match case.ok("a kept push", conn.next_event(Duration::ZERO)) {
                Some(Event::Message(_) | Event::Push(_)) => {}
                other => panic!("{case}: push {n}: {other:?}"),
            }
        }
        match conn.next_event(Duration::ZERO) {
            Ok(None) if limits == PushLimits::default() => {}
            Err(Error::Closed(CloseReason::UnreadPushes { .. })) => {}
            other => panic!("{case}: after the kept pushes: {other:?}"),
        }
    }
}

/// The close reason of an error that says pushes were left unread.
fn unread_pushes_reason(error: &Error) -> Option<&CloseReason> {
    let reason = match error {
        Error::Request(RequestError::NotSent(reason)) => Some(reason),
        other => other.close_reason(),
    };
    reason.filter(|reason| matches!(reason, CloseReason::UnreadPushes { .. }))
}

fn tracking_without_draining<B: Body>() {
    let server = shared_server();
    for target in targets(&server).into_iter().filter(|t| t.is_resp3()) {
        for drain in [false, true] {
            let case = Case::new::<B>("unread_pushes", &target);
            let prefix = case.key(if drain { "drained:" } else { "ignored:" });
            let limits = PushLimits {
                max_count: MAX_PUSHES,
                ..PushLimits::default()
            };
            let config = target.config.clone().with_push_limits(limits);
            let mut tracking = case.connect::<B>(config);
            let on = tracking.request(&cmd(&[
                "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", &prefix,
            ]));
            assert_eq!(
                case.ok("TRACKING on BCAST", on),
                Frame::simple("OK"),
                "{case}"
            );
            let mut writer = RawConnection::connect(server.addr()).expect("a raw connection");
            let mut closed = None;
            let mut written = 0;
            for _ in 0..TRACKING_REQUESTS {
                for _ in 0..WRITES / TRACKING_REQUESTS {
                    let key = format!("{prefix}{written}");
                    assert_eq!(writer.command(&["SET", &key, "v"]), "+OK", "{case}");
                    written += 1;
                }
                if drain {
                    while let Some(event) = case.ok("drain", tracking.next_event(Duration::ZERO)) {
                        assert!(matches!(event, Event::Push(_)), "{case}: {event:?}");
                    }
                }
                if let Err(error) = tracking.request(&cmd(&["PING"])) {
                    closed = Some(error);
                    break;
                }
            }
            match (drain, closed) {
                (true, None) => assert_eq!(tracking.close_reason(), None, "{case}"),
                (false, Some(error)) => {
                    assert!(unread_pushes_reason(&error).is_some(), "{case}: {error:?}");
                }
                (drain, closed) => panic!("{case}: drained {drain}, closed by {closed:?}"),
            }
        }
    }
}
