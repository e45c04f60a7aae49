//! Time and failure: blocking commands, response and handshake timeouts, the server
//! killed mid-pipeline, `CLIENT KILL`.

use std::thread;
use std::time::{Duration, Instant};

use redis_io_async::Error;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, Cmd, RequestError};

use crate::conformance::Body;
use crate::conformance::env::{Case, shared_server, shared_tls_server, targets, tls_targets};
use crate::{RawConnection, RedisServer, cmd};

/// The response timeout of the timing checks: short, so they are quick.
const SHORT_TIMEOUT: Duration = Duration::from_millis(150);

/// Whether `error` says the connection is gone because the server went away: the
/// close reason `Eof`, or the socket error that revealed it.
pub(crate) fn is_gone(error: &Error) -> bool {
    matches!(error, Error::Io(_)) || error.close_reason() == Some(&CloseReason::Eof)
}

/// Blocking commands get their own timeout, not the response timeout: `BLPOP` on an
/// empty list with a 0.4 s timeout outlasts a 150 ms response timeout and returns
/// null when the server says so; a `BLPOP` that another client satisfies returns the
/// pushed element.
pub fn blocking_commands<B: Body>() {
    let server = shared_server();
    for target in targets(&server) {
        let case = Case::new::<B>("blocking_commands", &target);
        let config = target.config.clone().with_response_timeout(SHORT_TIMEOUT);
        let mut conn = case.connect::<B>(config);
        let list = case.key("list");
        let started = Instant::now();
        let reply = case.ok("BLPOP", conn.request(&cmd(&["BLPOP", &list, "0.4"])));
        assert!(reply.is_null(), "{case}: {reply:?}");
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(380), "{case}: {elapsed:?}");

        let reply = thread::scope(|scope| {
            scope.spawn(|| {
                thread::sleep(Duration::from_millis(100));
                let mut raw = raw_connect(&server);
                assert_eq!(raw.command(&["LPUSH", &list, "pushed"]), ":1");
            });
            conn.request(&cmd(&["BLPOP", &list, "5"]))
        });
        assert_eq!(
            case.ok("BLPOP satisfied", reply),
            Frame::Array(vec![Frame::bulk(list.clone()), Frame::bulk("pushed")]),
            "{case}"
        );
    }
}

/// Timeouts of `Duration::MAX` are as good as none: connecting with that connect
/// timeout (which bounds the TLS handshake too) and response timeout works, over TLS
/// as well, and so do a request, a pipeline and a blocking command that times out on
/// the server's side.
pub fn longest_timeouts<B: Body>() {
    let server = shared_server();
    let tls_server = shared_tls_server();
    for target in targets(&server).iter().chain(&tls_targets(&tls_server)) {
        let case = Case::new::<B>("longest_timeouts", target);
        let config = target
            .config
            .clone()
            .with_connect_timeout(Duration::MAX)
            .with_response_timeout(Duration::MAX);
        let mut conn = case.connect::<B>(config);
        let key = case.key("k");
        let set = conn.request(&cmd(&["SET", &key, "v"]));
        assert_eq!(case.ok("SET", set), Frame::simple("OK"), "{case}");
        let outcomes = case.ok("pipeline", conn.pipeline(&[cmd(&["GET", &key])]));
        assert!(
            matches!(&outcomes[..], [Ok(reply)] if *reply == Frame::bulk("v")),
            "{case}: {outcomes:?}"
        );
        let list = case.key("list");
        let reply = case.ok("BLPOP", conn.request(&cmd(&["BLPOP", &list, "0.05"])));
        assert!(reply.is_null(), "{case}: {reply:?}");
    }
}

/// `DEBUG SLEEP` past the response timeout: the request and one queued behind it
/// both fail with `RequestError::Timeout` at the deadline, not when the server
/// wakes; the connection stays open, and once the server has answered late, the
/// late replies are dropped and the next request gets its own reply.
///
/// Own server: `DEBUG SLEEP` stops every client of it.
pub fn response_timeout<B: Body>() {
    let server = RedisServer::start();
    for target in targets(&server) {
        let case = Case::new::<B>("response_timeout", &target);
        let config = target.config.clone().with_response_timeout(SHORT_TIMEOUT);
        let mut conn = case.connect::<B>(config);
        let started = Instant::now();
        let outcomes = conn.requests(&[cmd(&["DEBUG", "SLEEP", "0.5"]), cmd(&["ECHO", "behind"])]);
        let elapsed = started.elapsed();
        for (i, outcome) in case.ok("requests", outcomes).into_iter().enumerate() {
            assert!(
                matches!(outcome, Err(Error::Request(RequestError::Timeout))),
                "{case}: request {i}: {outcome:?}"
            );
        }
        assert!(
            elapsed >= SHORT_TIMEOUT && elapsed < Duration::from_millis(450),
            "{case}: timed out after {elapsed:?}"
        );
        // Answered once the server wakes, after the late replies went out.
        let mut raw = raw_connect(&server);
        assert_eq!(raw.command(&["PING"]), "+PONG");
        assert_eq!(conn.close_reason(), None, "{case}");
        let echo = conn.request(&cmd(&["ECHO", "after"]));
        assert_eq!(case.ok("ECHO after", echo), Frame::bulk("after"), "{case}");
    }
}

/// The server is killed (`SIGKILL`) while a pipeline is on the wire (`DEBUG SLEEP`
/// holds it, 100 `SET`s behind): every request in flight fails because the server
/// went away (`CloseReason::Eof`, or at most once the socket error that showed it),
/// none hangs or succeeds; the body then reports `Eof` as its close reason and
/// refuses further requests with `Error::Closed(Eof)`.
///
/// A fresh server per target, each killed.
pub fn server_killed_mid_pipeline<B: Body>() {
    for index in 0..4 {
        let server = RedisServer::start();
        let target = targets(&server).swap_remove(index);
        let case = Case::new::<B>("server_killed_mid_pipeline", &target);
        let mut conn = case.connect::<B>(target.config.clone());
        let mut cmds = vec![cmd(&["DEBUG", "SLEEP", "5"])];
        cmds.extend((0..100).map(|i| Cmd::new("SET").arg(case.key(&i.to_string())).arg(i)));
        let started = Instant::now();
        let outcomes = thread::scope(|scope| {
            scope.spawn(|| {
                thread::sleep(Duration::from_millis(100));
                server.kill();
            });
            conn.requests(&cmds)
        });
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{case}: waited for the sleep"
        );
        match outcomes {
            Err(error) => assert!(is_gone(&error), "{case}: {error:?}"),
            Ok(outcomes) => {
                assert_eq!(outcomes.len(), cmds.len(), "{case}");
                let mut io_errors = 0;
                for (i, outcome) in outcomes.into_iter().enumerate() {
                    let error = case.err(&format!("request {i}"), outcome);
                    assert!(is_gone(&error), "{case}: request {i}: {error:?}");
                    io_errors += usize::from(matches!(error, Error::Io(_)));
                }
                assert!(
                    io_errors <= 1,
                    "{case}: {io_errors} requests saw the IO error"
                );
            }
        }
        assert_eq!(conn.close_reason(), Some(CloseReason::Eof), "{case}");
        let error = case.err("PING after", conn.request(&cmd(&["PING"])));
        assert!(
            matches!(error, Error::Closed(CloseReason::Eof)),
            "{case}: {error:?}"
        );
    }
}

/// `CLIENT KILL ID` of the body's connection from another client: the next request
/// fails because the server closed the connection, later requests are refused with
/// `Error::Closed(Eof)`, and the body reports `Eof` as its close reason.
pub fn client_kill<B: Body>() {
    let server = shared_server();
    for target in targets(&server) {
        let case = Case::new::<B>("client_kill", &target);
        let mut conn = case.connect::<B>(target.config.clone());
        kill_client(&case, &server, &mut conn);
        let error = case.err("PING after CLIENT KILL", conn.request(&cmd(&["PING"])));
        assert!(is_gone(&error), "{case}: {error:?}");
        let error = case.err("PING later", conn.request(&cmd(&["PING"])));
        assert!(
            matches!(error, Error::Closed(CloseReason::Eof)),
            "{case}: {error:?}"
        );
        assert_eq!(conn.close_reason(), Some(CloseReason::Eof), "{case}");
    }
}

/// A body whose request has just failed because the server closed the connection
/// already reports the close: `close_reason()` is `Some(Eof)` as soon as the failed
/// call returns, not some time later. 25 `CLIENT KILL`s per target, as the opposite
/// would be a race.
pub fn close_reason_with_failure<B: Body>() {
    const ROUNDS: usize = 25;
    let server = shared_server();
    for target in targets(&server) {
        let case = Case::new::<B>("close_reason_with_failure", &target);
        for round in 0..ROUNDS {
            let mut conn = case.connect::<B>(target.config.clone());
            kill_client(&case, &server, &mut conn);
            let error = case.err("PING after CLIENT KILL", conn.request(&cmd(&["PING"])));
            assert!(is_gone(&error), "{case}: {error:?}");
            assert_eq!(
                conn.close_reason(),
                Some(CloseReason::Eof),
                "{case}: round {round}: the request failed with {error:?}, yet the body reports no close"
            );
        }
    }
}

/// Kills the body's connection with `CLIENT KILL ID` from a raw connection.
pub(crate) fn kill_client<B: Body>(case: &Case, server: &RedisServer, conn: &mut B) {
    let id = match case.ok("CLIENT ID", conn.request(&cmd(&["CLIENT", "ID"]))) {
        Frame::Integer(id) => id.to_string(),
        other => panic!("{case}: CLIENT ID gave {other:?}"),
    };
    let mut admin = raw_connect(server);
    let killed = admin.command(&["CLIENT", "KILL", "ID", &id]);
    assert_eq!(killed, ":1", "{case}");
}

/// A server that accepts the socket but does not answer the handshake (it is in
/// `DEBUG SLEEP`): `connect` fails with `CloseReason::HandshakeTimeout` once the
/// connect timeout has passed, not before and not when the server wakes.
///
/// Own server: one `DEBUG SLEEP` covers the four targets in turn; the server is
/// killed, still asleep, at the end.
pub fn handshake_timeout<B: Body>() {
    const CONNECT_TIMEOUT: Duration = Duration::from_millis(150);
    let server = RedisServer::start();
    let mut sleeper = raw_connect(&server);
    // Not joined: it ends with an error when the server is killed.
    thread::spawn(move || sleeper.try_command(&["DEBUG", "SLEEP", "10"]));
    // Let the server start sleeping.
    thread::sleep(Duration::from_millis(50));
    for target in targets(&server) {
        let case = Case::new::<B>("handshake_timeout", &target);
        let config = target.config.clone().with_connect_timeout(CONNECT_TIMEOUT);
        let started = Instant::now();
        let result = B::connect(config);
        let elapsed = started.elapsed();
        match result {
            Err(Error::Closed(CloseReason::HandshakeTimeout)) => {}
            Err(other) => panic!("{case}: {other:?}"),
            Ok(_) => panic!("{case}: the handshake succeeded"),
        }
        assert!(
            elapsed >= CONNECT_TIMEOUT && elapsed < Duration::from_secs(2),
            "{case}: gave up after {elapsed:?}"
        );
    }
}

fn raw_connect(server: &RedisServer) -> RawConnection {
    RawConnection::connect(server.addr())
        .unwrap_or_else(|error| panic!("raw connection to {}: {error}", server.addr()))
}
