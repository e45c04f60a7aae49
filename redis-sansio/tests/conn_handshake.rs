//! The handshake, byte by byte against a scripted server with a simulated clock.

mod conn_support;

use std::time::Duration;

use conn_support::*;
use redis_sansio::config::{ConnectionConfig, ProtocolVersion};
use redis_sansio::conn::{DEFAULT_HANDSHAKE_TIMEOUT, Event, State};
use redis_sansio::deadline::LONGEST_WAIT;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, RequestError, ServerErrorKind};

#[test]
fn resp3_handshake_is_one_pipelined_round_trip() {
    let config = ConnectionConfig::default()
        .with_username("ada")
        .with_password("s3cret")
        .with_client_name("worker-1")
        .with_db(3)
        .with_lib_name(Some("redis-sansio".into()))
        .with_lib_ver(Some("0.1.0".into()));
    let mut s = Script::new(config);
    assert_eq!(s.conn.state(), State::Handshaking);
    s.expect_sent(&[
        &["HELLO", "3", "AUTH", "ada", "s3cret", "SETNAME", "worker-1"],
        &["CLIENT", "SETINFO", "LIB-NAME", "redis-sansio"],
        &["CLIENT", "SETINFO", "LIB-VER", "0.1.0"],
        &["SELECT", "3"],
    ]);
    s.reply(HELLO_REPLY);
    s.reply("+OK\r\n");
    // Servers before 7.2 do not know CLIENT SETINFO: ignored.
    s.reply("-ERR unknown subcommand 'SETINFO'\r\n");
    assert_eq!(s.conn.state(), State::Handshaking);
    s.reply("+OK\r\n");
    assert_eq!(s.conn.state(), State::Ready);
    match s.next_event() {
        Some(Event::Connected {
            protocol,
            hello: Some(Frame::Map(ref fields)),
        }) => {
            assert_eq!(protocol, ProtocolVersion::Resp3);
            assert_eq!(fields.len(), 3);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.conn.protocol(), ProtocolVersion::Resp3);
    assert_eq!(s.conn.poll_timeout(), None, "no deadline once connected");
}

#[test]
fn password_alone_authenticates_the_default_user() {
    let mut s = Script::new(config().with_password("pw"));
    s.expect_sent(&[&["HELLO", "3", "AUTH", "default", "pw"]]);
}

#[test]
fn requests_sent_during_the_handshake_are_held_then_answered_in_order() {
    let mut s = Script::new(config().with_db(1));
    let a = s.send(&["SET", "k", "1"]);
    let b = s.send(&["GET", "k"]);
    s.expect_sent(&[&["HELLO", "3"], &["SELECT", "1"]]);
    s.reply(HELLO_REPLY);
    s.expect_sent(&[]);
    s.reply("+OK\r\n");
    assert!(matches!(s.next_event(), Some(Event::Connected { .. })));
    s.expect_sent(&[&["SET", "k", "1"], &["GET", "k"]]);
    s.reply("+OK\r\n$1\r\n1\r\n");
    assert_eq!(s.reply_to(a), Ok(Frame::simple("OK")));
    assert_eq!(s.reply_to(b), Ok(Frame::bulk("1")));
}

#[test]
fn falls_back_to_resp2_when_hello_is_unknown() {
    let mut s = Script::new(
        config()
            .with_password("pw")
            .with_client_name("n")
            .with_db(2),
    );
    let held = s.send(&["PING"]);
    s.expect_sent(&[
        &["HELLO", "3", "AUTH", "default", "pw", "SETNAME", "n"],
        &["SELECT", "2"],
    ]);
    s.reply("-ERR unknown command 'HELLO', with args beginning with: '3'\r\n");
    // The fallback goes out at once, before the first pipeline's last reply.
    s.expect_sent(&[
        &["AUTH", "pw"],
        &["CLIENT", "SETNAME", "n"],
        &["SELECT", "2"],
    ]);
    s.reply("-NOAUTH Authentication required.\r\n"); // the first SELECT, before AUTH
    s.reply("+OK\r\n+OK\r\n+OK\r\n");
    assert_eq!(
        s.next_event(),
        Some(Event::Connected {
            protocol: ProtocolVersion::Resp2,
            hello: None
        })
    );
    assert_eq!(s.conn.protocol(), ProtocolVersion::Resp2);
    s.expect_sent(&[&["PING"]]);
    s.reply("+PONG\r\n");
    assert_eq!(s.reply_to(held), Ok(Frame::simple("PONG")));
}

#[test]
fn falls_back_to_resp2_on_noproto() {
    let mut s = Script::new(config());
    s.expect_sent(&[&["HELLO", "3"]]);
    s.reply("-NOPROTO sorry, this protocol version is not supported\r\n");
    assert_eq!(
        s.next_event(),
        Some(Event::Connected {
            protocol: ProtocolVersion::Resp2,
            hello: None
        })
    );
}

#[test]
fn configured_resp2_never_sends_hello() {
    let mut s = Script::new(
        resp2()
            .with_username("u")
            .with_password("p")
            .with_client_name("n"),
    );
    s.expect_sent(&[&["AUTH", "u", "p"], &["CLIENT", "SETNAME", "n"]]);
    s.reply("+OK\r\n+OK\r\n");
    assert_eq!(
        s.next_event(),
        Some(Event::Connected {
            protocol: ProtocolVersion::Resp2,
            hello: None
        })
    );
    // Nothing to say at all: ready at once.
    let s = Script::new(resp2());
    assert_eq!(s.conn.state(), State::Ready);
}

#[test]
fn wrong_password_is_a_typed_auth_failure_and_held_requests_fail_with_it() {
    let mut s = Script::new(config().with_password("wrong"));
    let held = s.send(&["GET", "k"]);
    s.sent();
    s.reply("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    let reason = match s.reply_to(held) {
        Err(RequestError::Closed(reason @ CloseReason::Auth(_))) => reason,
        other => panic!("{other:?}"),
    };
    let CloseReason::Auth(error) = &reason else {
        unreachable!()
    };
    assert_eq!(error.kind(), &ServerErrorKind::WrongPass);
    assert_eq!(s.next_event(), Some(Event::Closed(reason)));
    assert_eq!(s.next_event(), None);
    assert_eq!(s.conn.state(), State::Closed);
    assert!(s.conn.send(&cmd(&["PING"]), s.now).is_err());
}

#[test]
fn missing_credentials_are_an_auth_failure() {
    let mut s = Script::new(config());
    s.sent();
    s.reply("-NOAUTH HELLO must be called with the client already authenticated\r\n");
    assert!(matches!(
        s.next_event(),
        Some(Event::Closed(CloseReason::Auth(e))) if e.kind() == &ServerErrorKind::NoAuth
    ));
}

#[test]
fn a_client_name_the_server_refuses_is_a_handshake_failure_not_an_auth_one() {
    let mut s = Script::new(config().with_client_name("a b"));
    s.expect_sent(&[&["HELLO", "3", "SETNAME", "a b"]]);
    s.reply("-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
    assert!(matches!(
        s.next_event(),
        Some(Event::Closed(CloseReason::Handshake(e))) if e.message_lossy().contains("Client names")
    ));
    // In RESP2 the name goes with CLIENT SETNAME, refused the same way.
    let mut s = Script::new(resp2().with_client_name("a b"));
    s.expect_sent(&[&["CLIENT", "SETNAME", "a b"]]);
    s.reply("-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
    assert!(matches!(
        s.next_event(),
        Some(Event::Closed(CloseReason::Handshake(_)))
    ));
}

#[test]
fn resp2_auth_failure_after_fallback() {
    let mut s = Script::new(config().with_password("bad"));
    s.sent();
    s.reply("-ERR unknown command 'HELLO'\r\n");
    s.expect_sent(&[&["AUTH", "bad"]]);
    s.reply("-ERR invalid password\r\n");
    assert!(matches!(
        s.next_event(),
        Some(Event::Closed(CloseReason::Auth(_)))
    ));
}

#[test]
fn select_failure_ends_the_handshake() {
    let mut s = Script::new(config().with_db(99));
    s.sent();
    s.reply(HELLO_REPLY);
    s.reply("-ERR DB index is out of range\r\n");
    assert!(matches!(
        s.next_event(),
        Some(Event::Closed(CloseReason::Handshake(_)))
    ));
}

#[test]
fn handshake_timeout() {
    let config = config().with_connect_timeout(Duration::from_millis(500));
    let mut s = Script::new(config);
    let held = s.send(&["PING"]);
    assert_eq!(
        s.conn.poll_timeout(),
        Some(s.now + Duration::from_millis(500))
    );
    s.advance(Duration::from_millis(499));
    assert_eq!(s.conn.state(), State::Handshaking);
    s.advance(Duration::from_millis(1));
    assert_eq!(
        s.reply_to(held),
        Err(RequestError::Closed(CloseReason::HandshakeTimeout))
    );
    assert_eq!(
        s.next_event(),
        Some(Event::Closed(CloseReason::HandshakeTimeout))
    );
}

#[test]
fn without_a_connect_timeout_the_handshake_has_ten_seconds() {
    assert_eq!(DEFAULT_HANDSHAKE_TIMEOUT, Duration::from_secs(10));
    let mut s = Script::new(config());
    assert_eq!(
        s.conn.poll_timeout(),
        Some(s.now + DEFAULT_HANDSHAKE_TIMEOUT)
    );
    s.advance(DEFAULT_HANDSHAKE_TIMEOUT - Duration::from_millis(1));
    assert_eq!(s.conn.state(), State::Handshaking);
    s.advance(Duration::from_millis(1));
    assert_eq!(
        s.next_event(),
        Some(Event::Closed(CloseReason::HandshakeTimeout))
    );
}

#[test]
fn a_connect_timeout_of_duration_max_is_a_distant_deadline() {
    let mut s = Script::new(config().with_connect_timeout(Duration::MAX));
    assert_eq!(s.conn.poll_timeout(), Some(s.now + LONGEST_WAIT));
    s.expect_sent(&[&["HELLO", "3"]]);
    s.reply(HELLO_REPLY);
    assert!(matches!(s.next_event(), Some(Event::Connected { .. })));
    assert_eq!(s.conn.poll_timeout(), None);
}

#[test]
fn pushes_during_the_handshake_are_not_taken_for_its_replies() {
    let mut s = Script::new(config());
    s.sent();
    s.reply(">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n");
    assert_eq!(s.conn.state(), State::Handshaking);
    s.reply(HELLO_REPLY);
    let events = s.events();
    assert!(
        matches!(&events[0], Event::Push(Frame::Push(items)) if items[0] == Frame::simple("invalidate"))
    );
    assert!(matches!(&events[1], Event::Connected { .. }));
}
