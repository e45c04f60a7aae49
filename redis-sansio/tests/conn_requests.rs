//! Request/reply matching, transactions, errors, deadlines and closing, scripted.

mod conn_support;

use std::time::Duration;

use conn_support::*;
use redis_sansio::conn::{DEFAULT_BLOCKING_MARGIN, Event, State};
use redis_sansio::deadline::LONGEST_WAIT;
use redis_sansio::resp::Frame;
use redis_sansio::{
    CloseReason, ProtocolError, Redirect, RequestError, SendError, ServerErrorKind,
};

#[test]
fn pipelines_of_any_length_are_matched_in_order() {
    let mut s = Script::ready();
    let ids: Vec<_> = (0..1000)
        .map(|i| s.send(&["INCRBY", "k", &i.to_string()]))
        .collect();
    assert_eq!(s.conn.in_flight(), 1000);
    assert!(s.conn.wants_write());
    assert_eq!(s.sent().len(), 1000);
    let replies: String = (0..1000).map(|i| format!(":{i}\r\n")).collect();
    // Arrives in awkward pieces.
    for piece in replies.as_bytes().chunks(7) {
        s.conn.handle_input(piece, s.now);
    }
    for (i, id) in ids.into_iter().enumerate() {
        assert_eq!(s.reply_to(id), Ok(Frame::Integer(i as i64)));
    }
    assert_eq!(s.conn.in_flight(), 0);
    assert!(!s.conn.wants_read());
}

#[test]
fn server_errors_are_parsed_into_kinds_with_the_raw_message() {
    let mut s = Script::ready();
    let cases = [
        (
            "-MOVED 3999 127.0.0.1:6381\r\n",
            ServerErrorKind::Moved(Redirect {
                slot: 3999,
                addr: "127.0.0.1:6381".into(),
            }),
        ),
        (
            "-ASK 3999 :6381\r\n",
            ServerErrorKind::Ask(Redirect {
                slot: 3999,
                addr: ":6381".into(),
            }),
        ),
        (
            "-TRYAGAIN Multiple keys request during rehashing of slot\r\n",
            ServerErrorKind::TryAgain,
        ),
        (
            "-CLUSTERDOWN The cluster is down\r\n",
            ServerErrorKind::ClusterDown,
        ),
        (
            "-LOADING Redis is loading the dataset in memory\r\n",
            ServerErrorKind::Loading,
        ),
        (
            "-BUSY Redis is busy running a script\r\n",
            ServerErrorKind::Busy,
        ),
        (
            "-NOSCRIPT No matching script. Please use EVAL.\r\n",
            ServerErrorKind::NoScript,
        ),
        (
            "-NOAUTH Authentication required.\r\n",
            ServerErrorKind::NoAuth,
        ),
        (
            "-WRONGPASS invalid username-password pair\r\n",
            ServerErrorKind::WrongPass,
        ),
        (
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ServerErrorKind::WrongType,
        ),
        (
            "-READONLY You can't write against a read only replica.\r\n",
            ServerErrorKind::ReadOnly,
        ),
        ("-ERR syntax error\r\n", ServerErrorKind::Err),
        (
            "!21\r\nSYNTAX invalid syntax\r\n",
            ServerErrorKind::Other("SYNTAX".into()),
        ),
        (
            "-MOVED nonsense\r\n",
            ServerErrorKind::Other("MOVED".into()),
        ),
    ];
    for (wire, kind) in cases {
        let id = s.send(&["GET", "k"]);
        s.sent();
        s.reply(wire);
        match s.reply_to(id) {
            Err(RequestError::Server(error)) => {
                assert_eq!(error.kind(), &kind, "{wire}");
                assert!(wire.contains(&*error.message_lossy()), "{wire}");
            }
            other => panic!("{wire}: {other:?}"),
        }
    }
    assert_eq!(
        s.conn.state(),
        State::Ready,
        "server errors leave the connection open"
    );
}

#[test]
fn transactions_absorb_queued_replies_and_deliver_exec() {
    let mut s = Script::ready();
    let id = s
        .conn
        .send_transaction(&[cmd(&["SET", "a", "1"]), cmd(&["INCR", "a"])], s.now)
        .unwrap();
    s.expect_sent(&[&["MULTI"], &["SET", "a", "1"], &["INCR", "a"], &["EXEC"]]);
    s.reply("+OK\r\n+QUEUED\r\n");
    assert_eq!(s.next_event(), None);
    s.reply("+QUEUED\r\n*2\r\n+OK\r\n:2\r\n");
    assert_eq!(
        s.reply_to(id),
        Ok(Frame::Array(vec![Frame::simple("OK"), Frame::Integer(2)]))
    );
}

#[test]
fn execabort_and_watch_conflicts_are_reported_as_such() {
    let mut s = Script::ready();
    let aborted = s
        .conn
        .send_transaction(&[cmd(&["SET", "a"]), cmd(&["GET", "a"])], s.now)
        .unwrap();
    let conflicted = s
        .conn
        .send_transaction(&[cmd(&["GET", "a"])], s.now)
        .unwrap();
    let after = s.send(&["PING"]);
    s.sent();
    s.reply("+OK\r\n-ERR wrong number of arguments for 'set' command\r\n+QUEUED\r\n");
    s.reply("-EXECABORT Transaction discarded because of previous errors.\r\n");
    s.reply("+OK\r\n+QUEUED\r\n*-1\r\n+PONG\r\n");
    match s.reply_to(aborted) {
        Err(RequestError::Server(e)) => assert_eq!(e.kind(), &ServerErrorKind::ExecAbort),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.reply_to(conflicted), Err(RequestError::WatchConflict));
    assert_eq!(s.reply_to(after), Ok(Frame::simple("PONG")));
}

#[test]
fn timed_out_requests_drop_their_late_replies() {
    let mut s = Script::ready_with(config().with_response_timeout(Duration::from_secs(1)));
    let slow = s.send(&["DEBUG", "SLEEP", "5"]);
    s.advance(Duration::from_millis(500));
    let next = s.send(&["GET", "k"]);
    assert_eq!(
        s.conn.poll_timeout(),
        Some(s.now + Duration::from_millis(500))
    );
    s.advance(Duration::from_millis(500));
    assert_eq!(s.reply_to(slow), Err(RequestError::Timeout));
    assert_eq!(s.next_event(), None);
    // The late reply arrives: dropped, never given to `next`.
    s.reply("+OK\r\n");
    assert_eq!(s.next_event(), None);
    assert_eq!(s.conn.in_flight(), 1);
    s.reply("$1\r\nv\r\n");
    assert_eq!(s.reply_to(next), Ok(Frame::bulk("v")));
    assert_eq!(s.conn.in_flight(), 0);
    // Counted: two requests, one of them timed out.
    assert_eq!((s.conn.requests(), s.conn.timeouts()), (2, 1));
}

#[test]
fn with_a_stall_grace_silence_after_a_timeout_closes_the_connection() {
    let mut s = Script::ready_with(config().with_response_timeout(Duration::from_secs(1)));
    s.conn.set_stall_grace(Some(Duration::from_millis(300)));
    let slow = s.send(&["DEBUG", "SLEEP", "5"]);
    s.advance(Duration::from_secs(1));
    assert_eq!(s.reply_to(slow), Err(RequestError::Timeout));
    assert_eq!(
        s.conn.poll_timeout(),
        Some(s.now + Duration::from_millis(300)),
        "the grace runs from the timeout"
    );
    // A late byte within the grace keeps the connection, and ends the grace.
    s.advance(Duration::from_millis(200));
    s.reply("+O");
    assert_eq!(s.conn.poll_timeout(), None);
    s.advance(Duration::from_millis(500));
    assert_eq!(s.conn.state(), State::Ready);
    s.reply("K\r\n");
    assert_eq!(s.conn.in_flight(), 0);

    // Another timeout, then silence through the grace: closed as stalled, and the
    // request sent meanwhile fails with that reason.
    let stuck = s.send(&["DEBUG", "SLEEP", "5"]);
    s.advance(Duration::from_millis(900));
    let behind = s.send(&["GET", "k"]);
    s.advance(Duration::from_millis(100));
    assert_eq!(s.reply_to(stuck), Err(RequestError::Timeout));
    s.advance(Duration::from_millis(299));
    assert_eq!(s.conn.state(), State::Ready);
    s.advance(Duration::from_millis(1));
    assert_eq!(
        s.reply_to(behind),
        Err(RequestError::Closed(CloseReason::Stalled))
    );
    assert_eq!(s.next_event(), Some(Event::Closed(CloseReason::Stalled)));
}

#[test]
fn without_a_stall_grace_a_silent_connection_stays_open() {
    let mut s = Script::ready_with(config().with_response_timeout(Duration::from_secs(1)));
    let slow = s.send(&["DEBUG", "SLEEP", "5"]);
    s.advance(Duration::from_secs(1));
    assert_eq!(s.reply_to(slow), Err(RequestError::Timeout));
    assert_eq!(s.conn.poll_timeout(), None);
    s.advance(Duration::from_secs(3600));
    assert_eq!(s.conn.state(), State::Ready);
}

#[test]
fn blocking_commands_get_deadlines_from_their_own_timeout() {
    let mut s = Script::ready_with(config().with_response_timeout(Duration::from_millis(100)));
    let forever = s.send(&["BLPOP", "q", "0"]);
    assert_eq!(
        s.conn.poll_timeout(),
        None,
        "timeout 0 blocks without a deadline"
    );
    let _ = forever;
    let mut s = Script::ready_with(config().with_response_timeout(Duration::from_millis(100)));
    let pop = s.send(&["BLPOP", "q", "2"]);
    assert_eq!(
        s.conn.poll_timeout(),
        Some(s.now + Duration::from_millis(2100))
    );
    s.advance(Duration::from_millis(2000));
    assert_eq!(
        s.next_event(),
        None,
        "not timed out at the command's own timeout"
    );
    s.reply("*-1\r\n");
    assert_eq!(s.reply_to(pop), Ok(Frame::NullArray));
    // XREAD BLOCK in milliseconds, WAIT too.
    let xread = s.send(&["XREAD", "BLOCK", "300", "STREAMS", "s", "$"]);
    assert_eq!(
        s.conn.poll_timeout(),
        Some(s.now + Duration::from_millis(400))
    );
    s.advance(Duration::from_millis(400));
    assert_eq!(s.reply_to(xread), Err(RequestError::Timeout));
}

#[test]
fn without_a_response_timeout_a_blocking_command_gets_a_two_second_margin() {
    assert_eq!(DEFAULT_BLOCKING_MARGIN, Duration::from_secs(2));
    let mut s = Script::ready();
    let pop = s.send(&["BLPOP", "q", "1.5"]);
    let xread = s.send(&["XREAD", "BLOCK", "100", "STREAMS", "s", "$"]);
    let get = s.send(&["GET", "k"]);
    assert_eq!(
        s.conn.poll_timeout(),
        Some(s.now + Duration::from_millis(2100)),
        "the XREAD's 100 ms and the margin; the GET has no deadline"
    );
    s.advance(Duration::from_millis(2099));
    assert_eq!(s.next_event(), None);
    s.advance(Duration::from_millis(1));
    assert_eq!(s.reply_to(xread), Err(RequestError::Timeout));
    assert_eq!(
        s.conn.poll_timeout(),
        Some(s.now + Duration::from_millis(1400))
    );
    s.advance(Duration::from_millis(1400));
    assert_eq!(s.reply_to(pop), Err(RequestError::Timeout));
    assert_eq!(s.conn.poll_timeout(), None);
    let _ = get;
}

#[test]
fn a_blocking_timeout_beyond_any_duration_is_sent_without_a_deadline_of_its_own() {
    // Redis refuses these timeouts itself; the connection passes them on untouched.
    let mut s = Script::ready();
    for huge in ["1e300", "inf"] {
        let pop = s.send(&["BLPOP", "q", huge]);
        assert_eq!(s.conn.poll_timeout(), None, "BLPOP q {huge}");
        s.reply("-ERR timeout is out of range\r\n");
        assert!(
            matches!(s.reply_to(pop), Err(RequestError::Server(error)) if error.message_lossy().contains("out of range")),
            "BLPOP q {huge}"
        );
    }
}

#[test]
fn timeouts_up_to_duration_max_make_distant_deadlines_not_a_panic() {
    let far = |s: &Script| Some(s.now + LONGEST_WAIT);
    let mut s = Script::ready_with(config().with_response_timeout(Duration::MAX));
    let get = s.send(&["GET", "k"]);
    assert_eq!(s.conn.poll_timeout(), far(&s));
    let pop = s.send(&["BLPOP", "q", "1"]);
    let transaction = s.conn.send_transaction(&[cmd(&["INCR", "n"])], s.now);
    let pipeline = s.conn.send_all(&[cmd(&["GET", "k"])], s.now);
    assert_eq!(s.conn.poll_timeout(), far(&s));
    s.reply("$1\r\nv\r\n*-1\r\n+OK\r\n+QUEUED\r\n*1\r\n:1\r\n$-1\r\n");
    assert_eq!(s.reply_to(get), Ok(Frame::bulk("v")));
    assert_eq!(s.reply_to(pop), Ok(Frame::NullArray));
    assert_eq!(
        s.reply_to(transaction.unwrap()),
        Ok(Frame::Array(vec![Frame::Integer(1)]))
    );
    assert_eq!(s.reply_to(pipeline.unwrap()), Ok(Frame::NullBulk));
    // A blocking command's own timeout, far past what the clock holds.
    let mut s = Script::ready();
    let pop = s.send(&["BLPOP", "q", "1e19"]);
    assert_eq!(s.conn.poll_timeout(), far(&s));
    s.reply("*-1\r\n");
    assert_eq!(s.reply_to(pop), Ok(Frame::NullArray));
}

#[test]
fn eof_mid_pipeline_fails_every_pending_request_then_closes_once() {
    let mut s = Script::ready();
    let ids: Vec<_> = (0..5).map(|_| s.send(&["PING"])).collect();
    s.sent();
    s.reply("+PONG\r\n+PONG\r\n+PO");
    s.conn.handle_eof(s.now);
    assert_eq!(s.reply_to(ids[0]), Ok(Frame::simple("PONG")));
    assert_eq!(s.reply_to(ids[1]), Ok(Frame::simple("PONG")));
    for &id in &ids[2..] {
        assert_eq!(s.reply_to(id), Err(RequestError::Closed(CloseReason::Eof)));
    }
    assert_eq!(s.next_event(), Some(Event::Closed(CloseReason::Eof)));
    assert_eq!(s.next_event(), None);
    s.conn.handle_eof(s.now);
    s.conn.close(s.now);
    assert_eq!(s.next_event(), None, "Closed is emitted exactly once");
    assert_eq!(s.conn.send(&cmd(&["PING"]), s.now), Err(SendError::Closed));
    assert!(!s.conn.wants_write());
    assert_eq!(s.conn.poll_timeout(), None);
}

#[test]
fn protocol_errors_close_with_the_error() {
    let mut s = Script::ready();
    let a = s.send(&["GET", "a"]);
    let b = s.send(&["GET", "b"]);
    s.sent();
    s.reply("$1\r\nx\r\n:01\r\n");
    assert_eq!(s.reply_to(a), Ok(Frame::bulk("x")));
    let reason = CloseReason::Protocol(ProtocolError::InvalidInteger);
    assert_eq!(s.reply_to(b), Err(RequestError::Closed(reason.clone())));
    assert_eq!(s.next_event(), Some(Event::Closed(reason)));
}

#[test]
fn a_reply_nobody_asked_for_closes_the_connection() {
    let mut s = Script::ready();
    s.reply("+OK\r\n");
    assert_eq!(
        s.next_event(),
        Some(Event::Closed(CloseReason::UnexpectedReply))
    );
}

#[test]
fn local_close_fails_pending_requests() {
    let mut s = Script::ready();
    let id = s.send(&["GET", "k"]);
    s.conn.close(s.now);
    assert_eq!(
        s.reply_to(id),
        Err(RequestError::Closed(CloseReason::Local))
    );
    assert_eq!(s.next_event(), Some(Event::Closed(CloseReason::Local)));
}

#[test]
fn local_close_fails_the_rest_in_order_but_not_a_timed_out_request_again() {
    let mut s = Script::ready_with(config().with_response_timeout(Duration::from_secs(1)));
    let slow = s.send(&["DEBUG", "SLEEP", "5"]);
    s.advance(Duration::from_millis(500));
    let tx = s
        .conn
        .send_transaction(&[cmd(&["INCR", "n"])], s.now)
        .expect("send refused");
    let plain = s.send(&["GET", "k"]);
    s.advance(Duration::from_millis(500));
    assert_eq!(s.reply_to(slow), Err(RequestError::Timeout));
    s.conn.close(s.now);
    let closed = Err(RequestError::Closed(CloseReason::Local));
    assert_eq!(s.reply_to(tx), closed);
    assert_eq!(s.reply_to(plain), closed);
    assert_eq!(s.next_event(), Some(Event::Closed(CloseReason::Local)));
    assert_eq!(
        s.next_event(),
        None,
        "the timed-out request has had its outcome"
    );
}

#[test]
fn short_writes_resume_where_they_stopped() {
    let mut s = Script::ready();
    let id = s.send(&["SET", "key", "value"]);
    let whole = s.conn.transmit().to_vec();
    let mut written = Vec::new();
    while s.conn.wants_write() {
        let n = s.conn.transmit().len().min(3);
        written.extend_from_slice(&s.conn.transmit()[..n]);
        s.conn.advance_transmit(n);
    }
    assert_eq!(written, whole);
    s.reply("+OK\r\n");
    assert_eq!(s.reply_to(id), Ok(Frame::simple("OK")));
}

#[test]
fn handshake_commands_are_refused_by_send() {
    let mut s = Script::ready();
    for name in ["HELLO", "hello", "RESET"] {
        assert!(matches!(
            s.conn.send(&cmd(&[name, "2"]), s.now),
            Err(SendError::ConnectionState { .. })
        ));
    }
    assert_eq!(
        s.conn.send(&redis_sansio::Cmd::default(), s.now),
        Err(SendError::Empty)
    );
    assert_eq!(s.conn.send_transaction(&[], s.now), Err(SendError::Empty));
    assert_eq!(s.conn.in_flight(), 0, "refused sends leave no trace");
    assert!(!s.conn.wants_write());
}

#[test]
fn a_shared_connection_refuses_connection_scoped_commands() {
    let mut s = Script::ready();
    s.conn.set_shared(true);
    for args in [
        &["SELECT", "1"][..],
        &["auth", "user", "pw"],
        &["WATCH", "k"],
        &["UNWATCH"],
        &["MULTI"],
        &["EXEC"],
        &["DISCARD"],
        &["SUBSCRIBE", "ch"],
        &["psubscribe", "p*"],
        &["SSUBSCRIBE", "s"],
        &["UNSUBSCRIBE"],
        &["MONITOR"],
        &["CLIENT", "TRACKING", "on"],
        &["client", "caching", "yes"],
        &["CLIENT", "REPLY", "OFF"],
    ] {
        assert_eq!(
            s.conn.send(&cmd(args), s.now),
            Err(SendError::Shared {
                command: args[0].to_string()
            }),
            "{args:?}"
        );
    }
    // Inside a transaction too: a SELECT there would outlive the EXEC.
    assert!(matches!(
        s.conn.send_transaction(&[cmd(&["SELECT", "2"])], s.now),
        Err(SendError::Shared { .. })
    ));
    assert_eq!(s.conn.in_flight(), 0, "refused sends leave no trace");
    // Everything else goes out, transactions included.
    let id = s.send(&["GET", "k"]);
    let tx = s
        .conn
        .send_transaction(&[cmd(&["INCR", "n"])], s.now)
        .unwrap();
    s.expect_sent(&[&["GET", "k"], &["MULTI"], &["INCR", "n"], &["EXEC"]]);
    s.reply("$-1\r\n+OK\r\n+QUEUED\r\n*1\r\n:1\r\n");
    assert_eq!(s.reply_to(id), Ok(Frame::NullBulk));
    assert_eq!(s.reply_to(tx), Ok(Frame::Array(vec![Frame::Integer(1)])));
}

#[test]
fn an_exclusive_connection_allows_them() {
    let mut s = Script::ready();
    let id = s.send(&["SELECT", "1"]);
    s.expect_sent(&[&["SELECT", "1"]]);
    s.reply("+OK\r\n");
    assert_eq!(s.reply_to(id), Ok(Frame::simple("OK")));
}

#[test]
fn attributes_on_replies_are_kept() {
    let mut s = Script::ready();
    let id = s.send(&["GET", "k"]);
    s.sent();
    s.reply("|1\r\n+ttl\r\n:10\r\n$1\r\nv\r\n");
    match s.reply_to(id) {
        Ok(Frame::Attributed {
            ref attributes,
            ref value,
        }) => {
            assert_eq!(
                *attributes,
                vec![(Frame::simple("ttl"), Frame::Integer(10))]
            );
            assert_eq!(**value, Frame::bulk("v"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn read_buf_is_reused_and_zero_copy() {
    let mut s = Script::ready();
    let id = s.send(&["GET", "k"]);
    s.sent();
    let wire = b"$5\r\nhello\r\n";
    let buf = s.conn.read_buf();
    assert!(buf.len() >= 4 * 1024);
    let start = buf.as_ptr() as usize;
    buf[..wire.len()].copy_from_slice(wire);
    s.conn.handle_read(wire.len(), s.now);
    match s.reply_to(id) {
        Ok(Frame::BulkString(ref data)) => {
            let at = data.as_ptr() as usize;
            assert!(
                at >= start && at < start + 16 * 1024,
                "the payload was copied"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn send_all_is_one_send_per_command() {
    let mut s = Script::ready();
    let before = s.send(&["GET", "a"]);
    let cmds = [
        cmd(&["SET", "k", "v"]),
        cmd(&["INCRBY", "n", "2"]),
        cmd(&["BLPOP", "l", "0"]),
        cmd(&["GET", "k"]),
    ];
    let first = s.conn.send_all(&cmds, s.now).unwrap();
    assert_eq!(first, before.offset(1));
    assert_eq!(s.conn.next_id(), first.offset(4));
    assert_eq!(s.conn.in_flight(), 5);
    s.expect_sent(&[
        &["GET", "a"],
        &["SET", "k", "v"],
        &["INCRBY", "n", "2"],
        &["BLPOP", "l", "0"],
        &["GET", "k"],
    ]);
    s.reply("$-1\r\n+OK\r\n:2\r\n*-1\r\n$1\r\nv\r\n");
    assert_eq!(s.reply_to(before), Ok(Frame::NullBulk));
    assert_eq!(s.reply_to(first), Ok(Frame::simple("OK")));
    assert_eq!(s.reply_to(first.offset(1)), Ok(Frame::Integer(2)));
    assert_eq!(s.reply_to(first.offset(2)), Ok(Frame::NullArray));
    assert_eq!(s.reply_to(first.offset(3)), Ok(Frame::bulk("v")));
}

#[test]
fn send_some_queues_a_write_at_a_time_with_the_same_ids_and_bytes() {
    // 300 commands of about 1 KiB: a long pipeline, queued in pieces.
    let value = "v".repeat(1000);
    let cmds: Vec<_> = (0..300)
        .map(|i| cmd(&["SET", &format!("key:{i}"), &value]))
        .collect();
    let mut whole = Script::ready();
    let first = whole.conn.send_all(&cmds, whole.now).unwrap();
    let expected = whole.conn.transmit().to_vec();

    let mut s = Script::ready();
    assert_eq!(s.conn.next_id(), first);
    let mut queued = 0;
    let mut pieces = Vec::new();
    let mut sent = Vec::new();
    while queued < cmds.len() {
        let n = s.conn.send_some(&cmds[queued..], s.now).unwrap();
        assert!(n > 0);
        queued += n;
        assert_eq!(s.conn.next_id(), first.offset(queued));
        pieces.push(s.conn.transmit().len());
        sent.extend_from_slice(s.conn.transmit());
        let len = s.conn.transmit().len();
        s.conn.advance_transmit(len);
    }
    // The same bytes as one send_all, in pieces of at least 16 KiB (the last may
    // be shorter) and at most one command past it.
    assert_eq!(sent, expected);
    let (last, full) = pieces.split_last().unwrap();
    assert!(
        full.iter()
            .all(|&len| (16 * 1024..16 * 1024 + 1100).contains(&len)),
        "{pieces:?}"
    );
    assert!(*last > 0 && *last < 16 * 1024 + 1100);
    // Replies map to the commands as with send_all.
    s.reply(&"+OK\r\n".repeat(300));
    for i in 0..300 {
        assert_eq!(s.reply_to(first.offset(i)), Ok(Frame::simple("OK")));
    }

    // A command larger than a write goes alone; refusals are send_all's.
    let mut s = Script::ready();
    let big = cmd(&["SET", "k", &"x".repeat(40_000)]);
    assert_eq!(s.conn.send_some(&[big.clone(), big], s.now), Ok(1));
    let refused = s
        .conn
        .send_some(&[cmd(&["GET", "k"]), cmd(&["HELLO", "3"])], s.now);
    assert!(matches!(refused, Err(SendError::ConnectionState { .. })));
    assert_eq!(s.conn.send_some(&[], s.now), Err(SendError::Empty));
}

#[test]
fn send_all_stops_at_the_first_refusal_keeping_what_came_before() {
    let mut s = Script::ready();
    let start = s.conn.next_id();
    let refused = s.conn.send_all(
        &[
            cmd(&["INCR", "n"]),
            cmd(&["HELLO", "3"]),
            cmd(&["GET", "n"]),
        ],
        s.now,
    );
    assert!(matches!(refused, Err(SendError::ConnectionState { .. })));
    assert_eq!(s.conn.next_id(), start.offset(1));
    s.expect_sent(&[&["INCR", "n"]]);
    assert_eq!(s.conn.send_all(&[], s.now), Err(SendError::Empty));
    let empty = s
        .conn
        .send_all(&[cmd(&["GET", "n"]), redis_sansio::Cmd::default()], s.now);
    assert_eq!(empty, Err(SendError::Empty));
    assert_eq!(s.conn.next_id(), start.offset(2));

    // What a command does to the connection applies to the commands after it.
    let mut s = Script::ready();
    let refused = s
        .conn
        .send_all(&[cmd(&["MONITOR"]), cmd(&["GET", "k"])], s.now);
    assert_eq!(refused, Err(SendError::Monitoring));
    assert_eq!(s.conn.in_flight(), 1);
    let mut s = Script::ready_resp2();
    let refused = s.conn.send_all(
        &[
            cmd(&["SUBSCRIBE", "ch"]),
            cmd(&["PING"]),
            cmd(&["GET", "k"]),
        ],
        s.now,
    );
    assert!(matches!(refused, Err(SendError::Subscribed { .. })));
    assert_eq!(s.conn.in_flight(), 2);
}

#[test]
fn the_read_room_grows_while_reads_fill_it() {
    let mut s = Script::ready();
    let cmds: Vec<_> = (0..20_000).map(|_| cmd(&["INCR", "n"])).collect();
    let first = s.conn.send_all(&cmds, s.now).unwrap();
    let replies = ":1\r\n".repeat(cmds.len()); // 80 KB
    let mut input = replies.as_bytes();
    let mut offered = Vec::new();
    while !input.is_empty() {
        let room = s.conn.read_buf();
        offered.push(room.len());
        let n = room.len().min(input.len());
        room[..n].copy_from_slice(&input[..n]);
        input = &input[n..];
        s.conn.handle_read(n, s.now);
    }
    assert!(offered[0] <= 16 * 1024, "{offered:?}");
    assert!(offered.iter().any(|&room| room >= 64 * 1024), "{offered:?}");
    assert!(offered.iter().all(|&room| room >= 4 * 1024), "{offered:?}");
    let mut outcomes = Vec::new();
    assert_eq!(s.conn.take_replies(first, &mut outcomes), cmds.len());
    assert!(
        outcomes
            .iter()
            .all(|outcome| *outcome == Ok(Frame::Integer(1)))
    );
}

#[test]
fn the_read_room_is_at_least_4_kib_however_little_each_read_brings() {
    let mut s = Script::ready();
    let get = s.send(&["GET", "k"]);
    let reply = format!("${}\r\n{}\r\n", 40_000, "v".repeat(40_000));
    for (i, chunk) in reply.as_bytes().chunks(7).enumerate() {
        let room = s.conn.read_buf();
        assert!(
            room.len() >= 4 * 1024,
            "read {i}: {} bytes of room",
            room.len()
        );
        room[..chunk.len()].copy_from_slice(chunk);
        s.conn.handle_read(chunk.len(), s.now);
    }
    assert_eq!(s.reply_to(get), Ok(Frame::bulk("v".repeat(40_000))));
}
