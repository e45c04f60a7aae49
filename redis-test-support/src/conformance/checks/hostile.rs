//! A misbehaving server: replies nobody asked for never reach a caller.
//!
//! These checks run against [`FakeServer`], not Redis: a real server cannot be made to
//! answer twice. Each case gets its own fake server, over TCP, in RESP3 and RESP2.

use std::thread;
use std::time::Duration;

use redis_io_async::Error;
use redis_sansio::config::ProtocolVersion;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, RequestError};

use crate::conformance::Body;
use crate::conformance::env::{Case, SAFETY_CONNECT_TIMEOUT, SAFETY_TIMEOUT, Target};
use crate::{FakeServer, Misbehaviour, cmd};

/// How long bytes written on loopback are given to reach the client's socket before
/// the client is used again. Not a timing assertion: only a wait, so that the
/// unasked bytes are there when the next request goes out (if they came after it,
/// no client could tell them from its reply).
const SETTLE: Duration = Duration::from_millis(50);

/// A reply nobody asked for ends the connection with
/// [`CloseReason::UnexpectedReply`], and no caller ever gets it as its reply:
///
/// - while the connection is idle, the server sends `:666`; the next `PING` fails;
/// - the server answers an `ECHO` twice, the copy in a later segment; the `ECHO`
///   gets its own reply, the next request fails;
/// - the same with both copies in one segment: the `ECHO` gets its own reply or the
///   close, the next request fails.
pub fn unexpected_replies<B: Body>() {
    for (protocol, label) in [
        (ProtocolVersion::Resp3, "fake/resp3"),
        (ProtocolVersion::Resp2, "fake/resp2"),
    ] {
        unasked_while_idle::<B>(protocol, label);
        duplicate::<B>(
            protocol,
            label,
            Misbehaviour::DuplicateLater {
                after: Duration::from_millis(20),
            },
        );
        duplicate::<B>(protocol, label, Misbehaviour::DuplicateInOneSegment);
    }
}

fn unasked_while_idle<B: Body>(protocol: ProtocolVersion, label: &'static str) {
    let server = FakeServer::start();
    let (case, mut conn) = connect::<B>(&server, protocol, label);
    let pong = case.ok("PING", conn.request(&cmd(&["PING"])));
    assert_eq!(pong, Frame::simple("PONG"), "{case}");
    server.send_unasked(b":666\r\n");
    thread::sleep(SETTLE);
    let result = conn.request(&cmd(&["PING"]));
    expect_unexpected_reply(&case, "PING after the unasked reply", result, &conn);
}

fn duplicate<B: Body>(protocol: ProtocolVersion, label: &'static str, how: Misbehaviour) {
    let server = FakeServer::start();
    let (case, mut conn) = connect::<B>(&server, protocol, label);
    let in_one_segment = how == Misbehaviour::DuplicateInOneSegment;
    server.misbehave_next(how);
    let first = conn.request(&cmd(&["ECHO", "first"]));
    match first {
        Ok(reply) => assert_eq!(reply, Frame::bulk("first"), "{case}"),
        // Both copies in one read: the copy may close the connection before the
        // caller took its reply.
        Err(error) if in_one_segment => {
            expect_unexpected_reply(&case, "ECHO answered twice", Err(error), &conn)
        }
        Err(error) => panic!("{case}: ECHO answered twice: {error:?}"),
    }
    server.wait_done(1);
    thread::sleep(SETTLE);
    let second = conn.request(&cmd(&["ECHO", "second"]));
    expect_unexpected_reply(&case, "ECHO after a duplicate reply", second, &conn);
}

fn connect<B: Body>(
    server: &FakeServer,
    protocol: ProtocolVersion,
    label: &'static str,
) -> (Case, B) {
    let config = server
        .config(protocol)
        .with_response_timeout(SAFETY_TIMEOUT)
        .with_connect_timeout(SAFETY_CONNECT_TIMEOUT);
    let target = Target { config, label };
    let case = Case::new::<B>("unexpected_replies", &target);
    let conn = case.connect::<B>(target.config.clone());
    (case, conn)
}

/// `result` is an error saying the connection closed on an unexpected reply, and
/// the body's close reason says so too.
fn expect_unexpected_reply<B: Body>(
    case: &Case,
    what: &str,
    result: Result<Frame, Error>,
    conn: &B,
) {
    let error = case.err(what, result);
    let reason = match &error {
        Error::Request(RequestError::NotSent(reason)) => Some(reason),
        other => other.close_reason(),
    };
    assert_eq!(
        reason,
        Some(&CloseReason::UnexpectedReply),
        "{case}: {what}: {error:?}"
    );
    assert_eq!(
        conn.close_reason(),
        Some(CloseReason::UnexpectedReply),
        "{case}: {what}"
    );
}
