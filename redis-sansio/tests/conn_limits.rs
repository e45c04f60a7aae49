//! The decoder limits a connection takes from its settings (`ConnectionConfig::
//! decode_limits`, and the URL options that set them), with each documented default
//! backed here, and the bound on what a timed-out request's reply may still announce
//! (`MAX_DRAIN_AFTER_TIMEOUT`), on a simulated clock.

mod conn_support;

use std::time::Duration;

use conn_support::*;
use redis_sansio::config::{ConnectionConfig, PushLimits, UrlError};
use redis_sansio::conn::{Connection, Event, MAX_DRAIN_AFTER_TIMEOUT};
use redis_sansio::resp::{DecodeLimits, Frame};
use redis_sansio::{CloseReason, ProtocolError, RequestError};

/// `depth` arrays nested in each other around `:1`.
fn nested(depth: usize) -> String {
    let mut reply = "*1\r\n".repeat(depth);
    reply.push_str(":1\r\n");
    reply
}

/// Sends a `GET`, feeds `reply` and returns the request's outcome.
fn outcome(config: ConnectionConfig, reply: &str) -> Result<Frame, RequestError> {
    let mut script = Script::ready_with(config);
    let id = script.send(&["GET", "k"]);
    script.sent();
    script.reply(reply);
    script.reply_to(id)
}

/// The protocol error a reply closed the connection with.
fn protocol_error(result: Result<Frame, RequestError>) -> ProtocolError {
    match result {
        Err(RequestError::Closed(CloseReason::Protocol(error))) => error,
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

#[test]
fn the_defaults_are_the_documented_ones() {
    let config = ConnectionConfig::default();
    assert_eq!(config.decode_limits, DecodeLimits::default());
    assert_eq!(config.decode_limits.max_depth, 10_000);
    assert_eq!(config.decode_limits.max_values, usize::MAX);
    assert_eq!(config.decode_limits.max_bulk_len, 512 * 1024 * 1024);
    assert_eq!(config.decode_limits.max_aggregate_len, (1 << 31) - 1);
    assert_eq!(config.decode_limits.max_frame_size, 1024 * 1024 * 1024);
    assert_eq!(config.push_limits, PushLimits::default());
    assert_eq!(config.push_limits.max_count, 100_000);
    assert_eq!(config.push_limits.max_bytes, 32 * 1024 * 1024);
}

#[test]
fn a_connection_takes_10_000_levels_by_default_and_what_it_is_told() {
    // Redis's own replies nest this deep (a recursive Lua table).
    let deep = outcome(config(), &nested(10_000)).expect("10,000 levels");
    assert!(matches!(deep, Frame::Array(_)));
    let error = protocol_error(outcome(config(), &nested(10_001)));
    assert_eq!(error, ProtocolError::TooDeep { limit: 10_000 });

    // Lowered, or raised, when told.
    let limits = DecodeLimits {
        max_depth: 300,
        ..DecodeLimits::default()
    };
    let shallow = config().with_decode_limits(limits);
    assert!(outcome(shallow.clone(), &nested(300)).is_ok());
    let error = protocol_error(outcome(shallow, &nested(301)));
    assert_eq!(error, ProtocolError::TooDeep { limit: 300 });
    let limits = DecodeLimits {
        max_depth: 20_000,
        ..DecodeLimits::default()
    };
    let deeper = config().with_decode_limits(limits);
    assert!(outcome(deeper, &nested(15_000)).is_ok());
}

#[test]
fn a_connection_enforces_lowered_size_limits() {
    let limits = DecodeLimits {
        max_bulk_len: 10,
        ..DecodeLimits::default()
    };
    let bulk = protocol_error(outcome(config().with_decode_limits(limits), "$11\r\n"));
    assert_eq!(bulk, ProtocolError::BulkTooLong { len: 11, limit: 10 });
    let fits = outcome(config().with_decode_limits(limits), "$10\r\n0123456789\r\n");
    assert_eq!(fits, Ok(Frame::bulk("0123456789")));

    let limits = DecodeLimits {
        max_aggregate_len: 3,
        ..DecodeLimits::default()
    };
    let array = protocol_error(outcome(config().with_decode_limits(limits), "*4\r\n"));
    assert_eq!(array, ProtocolError::AggregateTooLong { len: 4, limit: 3 });

    let limits = DecodeLimits {
        max_frame_size: 100,
        ..DecodeLimits::default()
    };
    let big = format!("*10\r\n{}", "$10\r\n0123456789\r\n".repeat(10));
    let frame = protocol_error(outcome(config().with_decode_limits(limits), &big));
    assert_eq!(frame, ProtocolError::FrameTooLarge { limit: 100 });
}

#[test]
fn a_lowered_limit_closes_the_connection_after_failing_the_request() {
    let limits = DecodeLimits {
        max_bulk_len: 8,
        ..DecodeLimits::default()
    };
    let mut script = Script::ready_with(config().with_decode_limits(limits));
    let id = script.send(&["GET", "k"]);
    script.reply("$9\r\n");
    assert!(matches!(
        script.events().as_slice(),
        [Event::Reply { id: got, result: Err(_) }, Event::Closed(CloseReason::Protocol(_))] if *got == id
    ));
    let fresh = Connection::new(ConnectionConfig::default(), script.now);
    assert_eq!(fresh.config().decode_limits, DecodeLimits::default());
}

#[test]
fn urls_set_the_limits_and_give_them_back() {
    let url = "redis://h:6379?max_depth=1000&max_bulk_len=1048576&max_aggregate_len=5000&max_frame_size=67108864&max_pushes=10&max_push_bytes=4096";
    let config = ConnectionConfig::from_url(url).expect("a URL with limits");
    assert_eq!(config.decode_limits.max_depth, 1000);
    assert_eq!(config.decode_limits.max_bulk_len, 1 << 20);
    assert_eq!(config.decode_limits.max_aggregate_len, 5000);
    assert_eq!(config.decode_limits.max_frame_size, 64 << 20);
    assert_eq!(config.push_limits.max_count, 10);
    assert_eq!(config.push_limits.max_bytes, 4096);
    assert_eq!(config.to_url_with_password(), url);
    assert_eq!(ConnectionConfig::from_url(&config.to_string()), Ok(config));

    // Limits at their defaults are left out.
    let plain = ConnectionConfig::from_url("redis://h:6379?max_depth=10000").expect("URL");
    assert_eq!(plain.to_url_with_password(), "redis://h:6379");
    let unix = ConnectionConfig::from_url("unix:///tmp/r.sock?max_pushes=5").expect("URL");
    assert_eq!(
        unix.to_url_with_password(),
        "unix:///tmp/r.sock?max_pushes=5"
    );
}

#[test]
fn urls_with_bad_limits_are_refused() {
    for value in ["0", "-1", "+5", "ten", "", "1e6", "99999999999999999999999"] {
        let url = format!("redis://h?max_bulk_len={value}");
        assert_eq!(
            ConnectionConfig::from_url(&url),
            Err(UrlError::InvalidOptionValue {
                option: "max_bulk_len".into(),
                value: value.into(),
            }),
            "{url}"
        );
    }
    assert_eq!(
        ConnectionConfig::from_url("redis://h?max_depth=3&max_depth=4"),
        Err(UrlError::DuplicateOption("max_depth".into()))
    );
}

/// A `GET` with a 1 s response timeout, on a ready connection.
fn timed_get() -> (Script, redis_sansio::conn::RequestId) {
    let mut script = Script::ready_with(config().with_response_timeout(Duration::from_secs(1)));
    let id = script.send(&["GET", "big"]);
    script.sent();
    (script, id)
}

#[test]
fn a_large_reply_arriving_for_a_timed_out_request_closes_the_connection() {
    let (mut script, get) = timed_get();
    script.reply("$536870912\r\nsome bytes of it");
    assert_eq!(script.events(), []);
    script.advance(Duration::from_millis(900));
    let next = script.send(&["PING"]);
    script.advance(Duration::from_millis(200));
    let remaining = 536_870_914 - "some bytes of it".len() as u64;
    let reason = CloseReason::TimedOutReplyTooLarge { remaining };
    assert_eq!(
        script.events(),
        [
            Event::Reply {
                id: get,
                result: Err(RequestError::Timeout)
            },
            Event::Reply {
                id: next,
                result: Err(RequestError::Closed(reason.clone()))
            },
            Event::Closed(reason),
        ]
    );
}

#[test]
fn a_large_reply_announced_after_the_timeout_closes_the_connection() {
    let (mut script, get) = timed_get();
    script.advance(Duration::from_secs(2));
    assert_eq!(script.reply_to(get), Err(RequestError::Timeout));
    script.reply("*100000000\r\n");
    assert_eq!(
        script.events(),
        [Event::Closed(CloseReason::TimedOutReplyTooLarge {
            remaining: 300_000_000
        })]
    );
}

#[test]
fn up_to_the_documented_bound_a_timed_out_reply_is_read_and_dropped() {
    assert_eq!(MAX_DRAIN_AFTER_TIMEOUT, 1024 * 1024);
    // Announcing exactly the bound (payload and CRLF) is read to its end.
    let len = MAX_DRAIN_AFTER_TIMEOUT - 2;
    let (mut script, get) = timed_get();
    script.advance(Duration::from_secs(2));
    assert_eq!(script.reply_to(get), Err(RequestError::Timeout));
    script.reply(&format!("${len}\r\n"));
    assert_eq!(script.events(), []);
    script.reply(&format!("{}\r\n", "x".repeat(len as usize)));
    let ping = script.send(&["PING"]);
    script.reply("+PONG\r\n");
    assert_eq!(script.reply_to(ping), Ok(Frame::simple("PONG")));

    // One byte more closes it.
    let (mut script, _) = timed_get();
    script.advance(Duration::from_secs(2));
    script.events();
    script.reply(&format!("${}\r\n", len + 1));
    assert_eq!(
        script.events(),
        [Event::Closed(CloseReason::TimedOutReplyTooLarge {
            remaining: MAX_DRAIN_AFTER_TIMEOUT + 1
        })]
    );
}

#[test]
fn a_large_reply_to_a_request_still_waiting_is_read() {
    let (mut script, get) = timed_get();
    let len = 4 * MAX_DRAIN_AFTER_TIMEOUT as usize;
    script.reply(&format!("${len}\r\n"));
    script.reply(&format!("{}\r\n", "y".repeat(len)));
    let reply = script.reply_to(get).expect("the large reply");
    assert_eq!(reply.as_bytes().map(|b| b.len()), Some(len));
}
