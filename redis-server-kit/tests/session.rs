//! The session machine without sockets: bytes in, handler calls, bytes out.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use redis_sansio::resp::{Frame, RequestLimits};
use redis_server_kit::{ClientInfo, Cx, Handler, Outbox, Reply, Request, ServerConfig, Session};

/// `GET` answers `$1 v`; `LATER` defers its reply; `PUSH` pushes a message to itself;
/// `BIG n` answers n bytes.
struct Test {
    password: Option<&'static str>,
}

impl Handler for Test {
    type State = Vec<redis_server_kit::Ticket>;

    fn open(&self, _: &ClientInfo, _: &Outbox) -> Self::State {
        Vec::new()
    }

    fn call(&self, cx: &mut Cx<'_, Self::State>, request: Request) -> Reply {
        if request.is("later") {
            let ticket = cx.defer();
            cx.state().push(ticket);
            Reply::Deferred(ticket)
        } else if request.is("push") {
            cx.outbox()
                .push(Frame::Push(vec![Frame::bulk("message"), Frame::bulk("x")]));
            Reply::None
        } else if request.is("big") {
            let n: usize = std::str::from_utf8(&request.args()[0])
                .unwrap()
                .parse()
                .unwrap();
            Frame::bulk(vec![b'x'; n]).into()
        } else {
            Frame::bulk("v").into()
        }
    }

    fn authenticate(&self, user: &[u8], password: &[u8]) -> Option<bool> {
        let expected = self.password?;
        Some(user == b"default" && password == expected.as_bytes())
    }
}

fn session(handler: &Test, config: &ServerConfig) -> (Session<Test>, Arc<AtomicUsize>) {
    let wakes = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&wakes);
    let session = Session::new(handler, config, 7, "peer".into(), move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    (session, wakes)
}

fn take(session: &mut Session<Test>) -> Vec<u8> {
    let out = session.transmit().to_vec();
    session.advance_transmit(out.len());
    out
}

const PLAIN: Test = Test { password: None };

#[test]
fn pushes_go_out_ahead_of_waiting_replies() {
    let config = ServerConfig::default();
    let (mut s, wakes) = session(&PLAIN, &config);
    s.handle_input(b"GET a\r\nLATER\r\nGET b\r\nPUSH\r\n");
    s.handle_requests(&PLAIN);
    assert_eq!(
        take(&mut s),
        b"$1\r\nv\r\n",
        "only the reply before the deferred one"
    );
    s.handle_deliveries();
    assert_eq!(
        take(&mut s),
        b"*2\r\n$7\r\nmessage\r\n$1\r\nx\r\n",
        "a RESP2 push is an array, ahead of the replies waiting"
    );
    assert_eq!(
        wakes.load(Ordering::SeqCst),
        1,
        "the delivery woke the body"
    );
}

#[test]
fn completing_out_of_order_writes_in_order() {
    struct Deferring;
    impl Handler for Deferring {
        type State = ();
        fn open(&self, _: &ClientInfo, _: &Outbox) {}
        fn call(&self, cx: &mut Cx<'_, ()>, request: Request) -> Reply {
            let ticket = cx.defer();
            let outbox = cx.outbox().clone();
            let tag = request.args()[0].clone();
            // Completed from another thread, the second request first.
            std::thread::spawn(move || {
                if &tag[..] == b"1" {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                outbox.complete(ticket, Frame::BulkString(tag));
            });
            Reply::Deferred(ticket)
        }
    }
    let handler = Deferring;
    let (tx, rx) = std::sync::mpsc::channel();
    let mut s = Session::new(
        &handler,
        &ServerConfig::default(),
        1,
        "p".into(),
        move || {
            let _ = tx.send(());
        },
    );
    s.handle_input(b"X 1\r\nX 2\r\n");
    s.handle_requests(&handler);
    let mut out = Vec::new();
    for _ in 0..2 {
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("a wake-up");
        s.handle_deliveries();
        out.extend_from_slice(s.transmit());
        let n = s.transmit().len();
        s.advance_transmit(n);
    }
    assert_eq!(out, b"$1\r\n1\r\n$1\r\n2\r\n");
}

#[test]
fn quit_answers_then_finishes_without_reading_further() {
    let config = ServerConfig::default();
    let (mut s, _) = session(&PLAIN, &config);
    s.handle_input(b"GET a\r\nQUIT\r\nGET b\r\n");
    s.handle_requests(&PLAIN);
    assert!(!s.wants_read());
    assert_eq!(take(&mut s), b"$1\r\nv\r\n+OK\r\n");
    assert!(s.is_finished());
}

#[test]
fn bad_bytes_get_an_error_reply_then_the_connection_ends() {
    let config = ServerConfig::default();
    let (mut s, _) = session(&PLAIN, &config);
    s.handle_input(b"GET a\r\n*1\r\nfoo\r\n");
    s.handle_requests(&PLAIN);
    let out = take(&mut s);
    // Redis's own reply for these bytes, byte for byte.
    assert_eq!(
        out,
        b"$1\r\nv\r\n-ERR Protocol error: expected '$', got 'f'\r\n"
    );
    assert!(s.is_finished());
}

#[test]
fn the_core_request_limits_apply() {
    let config = ServerConfig {
        request_limits: RequestLimits {
            max_inline_len: 16,
            ..RequestLimits::default()
        },
        ..ServerConfig::default()
    };
    let (mut s, _) = session(&PLAIN, &config);
    s.handle_input(&[b'a'; 64]);
    s.handle_requests(&PLAIN);
    let out = take(&mut s);
    assert_eq!(out, b"-ERR Protocol error: too big inline request\r\n");
    assert!(s.is_finished());
}

#[test]
fn backpressure_stops_reading_until_output_is_written() {
    let config = ServerConfig {
        max_output: 50,
        ..ServerConfig::default()
    };
    let (mut s, _) = session(&PLAIN, &config);
    s.handle_input(b"BIG 200\r\nGET a\r\n");
    s.handle_requests(&PLAIN);
    assert!(!s.wants_read(), "208 bytes owed, over the 50-byte limit");
    assert_eq!(
        s.transmit().len(),
        200 + 8,
        "the second request is not answered yet"
    );
    s.advance_transmit(150);
    assert!(!s.wants_read());
    s.advance_transmit(58);
    assert!(s.wants_read());
    s.handle_requests(&PLAIN);
    assert_eq!(take(&mut s), b"$1\r\nv\r\n");
}

#[test]
fn waiting_replies_are_limited_too() {
    let config = ServerConfig {
        max_pending: 2,
        ..ServerConfig::default()
    };
    let (mut s, _) = session(&PLAIN, &config);
    s.handle_input(b"LATER\r\nLATER\r\nGET a\r\n");
    s.handle_requests(&PLAIN);
    assert!(!s.wants_read(), "two replies wait");
    assert!(s.transmit().is_empty());
}

#[test]
fn hello_switches_protocol_and_names_the_client() {
    let config = ServerConfig::default();
    let (mut s, _) = session(&PLAIN, &config);
    s.handle_input(b"HELLO 3 SETNAME app\r\nGET a\r\nCLIENT GETNAME\r\nCLIENT ID\r\nHELLO 4\r\n");
    s.handle_requests(&PLAIN);
    let out = String::from_utf8(take(&mut s)).unwrap();
    assert!(
        out.starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"),
        "{out}"
    );
    assert!(
        out.contains("$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:7\r\n"),
        "{out}"
    );
    assert!(
        out.ends_with("$1\r\nv\r\n$3\r\napp\r\n:7\r\n-NOPROTO unsupported protocol version\r\n"),
        "{out}"
    );
    assert!(s.client().is_resp3());
    assert_eq!(s.client().name.as_deref(), Some(&b"app"[..]));
}

#[test]
fn select_and_bad_names_answer_as_redis() {
    let config = ServerConfig::default();
    let (mut s, _) = session(&PLAIN, &config);
    s.handle_input(b"SELECT 3\r\nSELECT 16\r\nSELECT x\r\nCLIENT SETNAME \"a b\"\r\nAUTH pw\r\n");
    s.handle_requests(&PLAIN);
    assert_eq!(
        String::from_utf8(take(&mut s)).unwrap(),
        "+OK\r\n-ERR DB index is out of range\r\n-ERR value is not an integer or out of range\r\n\
         -ERR Client names cannot contain spaces, newlines or special characters.\r\n\
         -ERR AUTH <password> called without any password configured for the default user. \
         Are you sure your configuration is correct?\r\n"
    );
    assert_eq!(s.client().db, 3);
}

#[test]
fn a_password_gates_commands_until_auth() {
    let handler = Test {
        password: Some("secret"),
    };
    let config = ServerConfig::default();
    let (mut s, _) = session(&handler, &config);
    s.handle_input(b"GET a\r\nAUTH wrong\r\nHELLO 3\r\nAUTH secret\r\nGET a\r\n");
    s.handle_requests(&handler);
    let out = String::from_utf8(take(&mut s)).unwrap();
    assert!(
        out.starts_with("-NOAUTH Authentication required.\r\n-WRONGPASS"),
        "{out}"
    );
    assert!(out.contains("\r\n-NOAUTH HELLO must be called"), "{out}");
    assert!(out.ends_with("+OK\r\n$1\r\nv\r\n"), "{out}");
    let (mut s, _) = session(&handler, &config);
    s.handle_input(b"HELLO 3 AUTH default secret\r\n");
    s.handle_requests(&handler);
    assert!(take(&mut s).starts_with(b"%7\r\n"));
    assert!(s.client().authenticated);
}

#[test]
fn a_close_from_the_outbox_writes_what_is_ready_and_drops_what_is_owed() {
    let config = ServerConfig::default();
    let (mut s, _) = session(&PLAIN, &config);
    s.handle_input(b"GET a\r\nLATER\r\nGET b\r\n");
    s.handle_requests(&PLAIN);
    assert!(s.outbox().close());
    s.handle_deliveries();
    assert_eq!(
        take(&mut s),
        b"$1\r\nv\r\n",
        "the reply ready before the owed one"
    );
    assert!(s.is_finished());
    s.close(&PLAIN);
    assert!(
        !s.outbox().push(Frame::simple("late")),
        "a closed session refuses deliveries"
    );
}

#[test]
fn eof_finishes_once_ready_replies_are_written() {
    let config = ServerConfig::default();
    let (mut s, _) = session(&PLAIN, &config);
    s.handle_input(b"GET a\r\n");
    s.handle_requests(&PLAIN);
    s.handle_eof();
    assert!(!s.is_finished(), "a reply is still to be written");
    take(&mut s);
    assert!(s.is_finished());
}

#[test]
fn zero_copy_reads_feed_requests_split_anywhere() {
    let config = ServerConfig::default();
    let (mut s, _) = session(&PLAIN, &config);
    let wire = b"*2\r\n$3\r\nGET\r\n$1\r\na\r\nGET b\r\n";
    for &byte in wire {
        let room = s.read_buf();
        room[0] = byte;
        s.handle_read(1);
        s.handle_requests(&PLAIN);
    }
    assert_eq!(take(&mut s), b"$1\r\nv\r\n$1\r\nv\r\n");
}

#[test]
fn pushes_past_the_push_output_limit_disconnect_the_client() {
    let config = ServerConfig {
        max_push_output: 100,
        ..ServerConfig::default()
    };
    let (mut s, _) = session(&PLAIN, &config);
    for _ in 0..5 {
        assert!(s.outbox().push(Frame::bulk(vec![b'x'; 30])));
    }
    s.handle_deliveries();
    assert!(
        s.transmit().len() <= 100,
        "what is kept stays under the limit"
    );
    assert!(
        s.is_finished(),
        "a client that does not read its pushes is dropped"
    );

    let (mut s, _) = session(&PLAIN, &ServerConfig::default());
    for _ in 0..5 {
        s.outbox().push(Frame::bulk(vec![b'x'; 30]));
    }
    s.handle_deliveries();
    assert!(!s.is_finished(), "the same pushes under the default limit");
}

#[test]
fn the_defaults_are_the_documented_ones() {
    let config = ServerConfig::default();
    assert_eq!(config.max_output, 1024 * 1024);
    assert_eq!(config.max_pending, 10_000);
    assert_eq!(config.max_push_output, 32 * 1024 * 1024);
    assert_eq!(config.databases, 16);
    assert_eq!(config.shutdown_grace, std::time::Duration::from_secs(5));
    assert_eq!(config.read_chunk, 16 * 1024);
    assert_eq!(config.request_limits, RequestLimits::default());
}

#[test]
fn a_handler_overrides_a_default() {
    /// One database only, and a name prefix of its own.
    struct Strict;
    impl Handler for Strict {
        type State = ();
        fn open(&self, _: &ClientInfo, _: &Outbox) {}
        fn call(&self, _: &mut Cx<'_, ()>, _: Request) -> Reply {
            Reply::ok()
        }
        fn select(&self, _: &mut Cx<'_, ()>, _: Request) -> Reply {
            Reply::error("ERR SELECT is not allowed in cluster mode")
        }
        fn client(&self, cx: &mut Cx<'_, ()>, request: Request) -> Reply {
            if request.is_sub("client", "setname") {
                let name = [&b"app-"[..], &request.args()[1]].concat();
                cx.client_mut().name = Some(name.into());
                return Reply::ok();
            }
            redis_server_kit::defaults::client(self, cx, request)
        }
    }
    let handler = Strict;
    let mut s = Session::new(&handler, &ServerConfig::default(), 1, "p".into(), || {});
    s.handle_input(b"SELECT 0\r\nCLIENT SETNAME x\r\nCLIENT GETNAME\r\n");
    s.handle_requests(&handler);
    let n = s.transmit().len();
    assert_eq!(
        s.transmit(),
        b"-ERR SELECT is not allowed in cluster mode\r\n+OK\r\n$5\r\napp-x\r\n"
    );
    s.advance_transmit(n);
    assert_eq!(s.client().db, 0);
}
