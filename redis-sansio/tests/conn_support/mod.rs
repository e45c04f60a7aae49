//! A scripted peer for connection tests: what the connection sent, decoded as the
//! server would; replies fed as raw bytes; a simulated clock.
#![allow(dead_code, unreachable_pub)]
// Tests may read the clock (the core may not): it starts the simulated one.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use bytes::BytesMut;
use redis_sansio::config::{ConnectionConfig, ProtocolVersion};
use redis_sansio::conn::{Connection, Event, RequestId};
use redis_sansio::resp::{Frame, RequestDecoder};
use redis_sansio::{Cmd, RequestError};

pub struct Script {
    pub conn: Connection,
    pub now: Instant,
    requests: RequestDecoder,
    sent: BytesMut,
}

/// The configuration tests start from: no client library info, so handshakes stay
/// small unless a test asks for more.
pub fn config() -> ConnectionConfig {
    ConnectionConfig::default()
        .with_lib_name(None)
        .with_lib_ver(None)
}

pub fn resp2() -> ConnectionConfig {
    config().with_protocol(ProtocolVersion::Resp2)
}

pub const HELLO_REPLY: &str =
    "%3\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.2.0\r\n$5\r\nproto\r\n:3\r\n";

pub fn cmd(args: &[&str]) -> Cmd {
    Cmd::from_args(args)
}

impl Script {
    pub fn new(config: ConnectionConfig) -> Self {
        let now = Instant::now();
        Script {
            conn: Connection::new(config, now),
            now,
            requests: RequestDecoder::new(),
            sent: BytesMut::new(),
        }
    }

    /// A RESP3 connection whose handshake (a bare `HELLO 3`) is done.
    pub fn ready() -> Self {
        Script::ready_with(config())
    }

    /// A RESP3 connection with `config` (which must not ask for more than a bare
    /// `HELLO 3`: no credentials, client name or database) whose handshake is done.
    pub fn ready_with(config: ConnectionConfig) -> Self {
        let mut script = Script::new(config);
        script.expect_sent(&[&["HELLO", "3"]]);
        script.reply(HELLO_REPLY);
        assert!(matches!(script.next_event(), Some(Event::Connected { .. })));
        script
    }

    /// A RESP2 connection with nothing to hand-shake.
    pub fn ready_resp2() -> Self {
        let mut script = Script::new(resp2());
        assert!(matches!(script.next_event(), Some(Event::Connected { .. })));
        script
    }

    /// Takes everything the connection wants to write, as the server would parse it.
    pub fn sent(&mut self) -> Vec<Vec<String>> {
        let out = self.conn.transmit().to_vec();
        self.conn.advance_transmit(out.len());
        self.sent.extend_from_slice(&out);
        let mut requests = Vec::new();
        while let Some(args) = self.requests.decode(&mut self.sent).unwrap() {
            requests.push(
                args.iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect(),
            );
        }
        requests
    }

    pub fn expect_sent(&mut self, expected: &[&[&str]]) {
        let sent = self.sent();
        let expected: Vec<Vec<String>> = expected
            .iter()
            .map(|args| args.iter().map(|a| a.to_string()).collect())
            .collect();
        assert_eq!(sent, expected);
    }

    pub fn reply(&mut self, bytes: &str) {
        self.conn.handle_input(bytes.as_bytes(), self.now);
    }

    pub fn send(&mut self, args: &[&str]) -> RequestId {
        self.conn.send(&cmd(args), self.now).expect("send refused")
    }

    pub fn advance(&mut self, by: Duration) {
        self.now += by;
        if self
            .conn
            .poll_timeout()
            .is_some_and(|deadline| deadline <= self.now)
        {
            self.conn.handle_timeout(self.now);
        }
    }

    pub fn next_event(&mut self) -> Option<Event> {
        self.conn.poll_event()
    }

    pub fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.conn.poll_event()).collect()
    }

    /// The next event, which must be the reply to `id`.
    pub fn reply_to(&mut self, id: RequestId) -> Result<Frame, RequestError> {
        match self.next_event() {
            Some(Event::Reply { id: got, result }) if got == id => result,
            other => panic!("expected the reply to {id:?}, got {other:?}"),
        }
    }
}
