//! Random sequences of sends, replies split anywhere, pushes, garbage, timeouts, EOF
//! and closes against a model server, checking the connection's invariants:
//!
//! - every request gets exactly one outcome, and a reply only ever reaches the
//!   request it answers;
//! - `Closed` comes exactly once, after every pending request has failed, and nothing
//!   comes after it;
//! - nothing panics.
//!
//! The coverage-guided version is `fuzz/fuzz_targets/connection.rs`.
// Tests may read the clock (the core may not): for their own time budget.
#![allow(clippy::disallowed_methods)]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::Rng;
use redis_sansio::config::ConnectionConfig;
use redis_sansio::conn::{Connection, Event, RequestId};
use redis_sansio::resp::{Frame, RequestDecoder, encode_frame};
use redis_sansio::{Cmd, RequestError};

/// Answers every request in order: `HELLO` with a map, `ECHO x` with `x`, `MULTI`
/// with `+OK`, queued commands with `+QUEUED`, `EXEC` with the array of echoes.
#[derive(Default)]
struct ModelServer {
    decoder: RequestDecoder,
    input: BytesMut,
    output: Vec<u8>,
    queued: Option<Vec<Frame>>,
    /// Bytes of output already delivered, and where in the whole output frames end.
    delivered: usize,
    produced: usize,
    frame_ends: std::collections::HashSet<usize>,
}

impl ModelServer {
    fn receive(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
        while let Some(args) = self.decoder.decode(&mut self.input).unwrap() {
            let reply = match (args[0].as_ref(), &mut self.queued) {
                (b"MULTI", _) => {
                    self.queued = Some(Vec::new());
                    Frame::simple("OK")
                }
                (b"EXEC", queued) => Frame::Array(queued.take().unwrap_or_default()),
                (_, Some(queued)) => {
                    queued.push(Frame::BulkString(args[1].clone()));
                    Frame::simple("QUEUED")
                }
                (b"HELLO", None) => Frame::Map(vec![(Frame::bulk("proto"), Frame::Integer(3))]),
                (_, None) => Frame::BulkString(args[1].clone()),
            };
            let mut out = BytesMut::new();
            encode_frame(&mut out, &reply);
            self.output.extend_from_slice(&out);
            self.produced += out.len();
            self.frame_ends.insert(self.produced);
        }
    }

    fn deliver(&mut self, n: usize) -> Vec<u8> {
        self.delivered += n;
        self.output.drain(..n).collect()
    }

    /// True when the client has received whole frames only, so a push may come next.
    fn at_frame_boundary(&self) -> bool {
        self.delivered == 0 || self.frame_ends.contains(&self.delivered)
    }
}

struct Checker {
    /// Requests without an outcome yet, and what a correct reply holds.
    open: HashMap<RequestId, Frame>,
    closed: bool,
    /// How many outcomes of each kind were seen: replies, timeouts, closes, messages.
    tally: [usize; 4],
}

impl Checker {
    fn take(&mut self, event: Event, seed: u64) {
        assert!(!self.closed, "seed {seed}: event after Closed: {event:?}");
        match event {
            Event::Reply { id, result } => {
                let expected = self
                    .open
                    .remove(&id)
                    .unwrap_or_else(|| panic!("seed {seed}: second outcome for {id:?}"));
                match result {
                    Ok(frame) => {
                        assert_eq!(
                            frame, expected,
                            "seed {seed}: reply for {id:?} misattributed"
                        );
                        self.tally[0] += 1;
                    }
                    Err(RequestError::Timeout) => self.tally[1] += 1,
                    Err(RequestError::Closed(_)) => self.tally[2] += 1,
                    Err(other) => panic!("seed {seed}: unexpected {other:?}"),
                }
            }
            Event::Closed(_) => {
                assert!(
                    self.open.is_empty(),
                    "seed {seed}: Closed with requests pending: {:?}",
                    self.open
                );
                self.closed = true;
            }
            Event::Message(message) => {
                assert_eq!(&message.payload[..], b"noise", "seed {seed}");
                self.tally[3] += 1;
            }
            Event::Connected { .. } | Event::Push(_) | Event::Monitor(_) => {}
            other => panic!("seed {seed}: {other:?}"),
        }
    }
}

fn run(seed: u64) -> [usize; 4] {
    let mut rng = Rng(seed | 1);
    let mut now = Instant::now();
    let config = ConnectionConfig::default()
        .with_lib_name(None)
        .with_lib_ver(None)
        .with_response_timeout(Duration::from_millis(50 + rng.below(200) as u64));
    let mut conn = Connection::new(config, now);
    let mut server = ModelServer::default();
    let mut checker = Checker {
        open: HashMap::new(),
        closed: false,
        tally: [0; 4],
    };
    let mut token = 0u64;
    for _ in 0..200 {
        match rng.below(10) {
            0 | 1 => {
                token += 1;
                let text = format!("t{token}");
                if let Ok(id) = conn.send(&Cmd::new("ECHO").arg(&text), now) {
                    checker.open.insert(id, Frame::bulk(text));
                }
            }
            2 => {
                // A pipeline: consecutive ids from the first.
                token += 1;
                let texts: Vec<String> = (0..1 + rng.below(4))
                    .map(|i| format!("p{token}.{i}"))
                    .collect();
                let cmds: Vec<Cmd> = texts.iter().map(|t| Cmd::new("ECHO").arg(t)).collect();
                if let Ok(first) = conn.send_all(&cmds, now) {
                    assert_eq!(conn.next_id().get(), first.get() + cmds.len() as u64);
                    for (i, text) in texts.into_iter().enumerate() {
                        checker.open.insert(first.offset(i), Frame::bulk(text));
                    }
                }
            }
            3 => {
                let texts: Vec<String> = (0..1 + rng.below(3))
                    .map(|i| format!("x{token}.{i}"))
                    .collect();
                token += 1;
                let cmds: Vec<Cmd> = texts.iter().map(|t| Cmd::new("ECHO").arg(t)).collect();
                if let Ok(id) = conn.send_transaction(&cmds, now) {
                    checker.open.insert(
                        id,
                        Frame::Array(texts.into_iter().map(Frame::bulk).collect()),
                    );
                }
            }
            4 | 5 => {
                // The socket takes part of what is waiting.
                let n = rng.below(conn.transmit().len() + 1);
                server.receive(&conn.transmit()[..n]);
                conn.advance_transmit(n);
            }
            6 | 7 => {
                // The server's bytes arrive, possibly in part.
                let n = rng.below(server.output.len() + 1);
                let bytes = server.deliver(n);
                let buf = conn.read_buf();
                let fit = bytes.len().min(buf.len());
                buf[..fit].copy_from_slice(&bytes[..fit]);
                conn.handle_read(fit, now);
                conn.handle_input(&bytes[fit..], now);
            }
            8 => {
                now += Duration::from_millis(rng.below(120) as u64);
                if conn.poll_timeout().is_some_and(|t| t <= now) {
                    conn.handle_timeout(now);
                }
            }
            _ => match rng.below(20) {
                // A push between replies (only at a frame boundary).
                0..=11 if server.at_frame_boundary() => {
                    conn.handle_input(b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$5\r\nnoise\r\n", now)
                }
                12 => conn.handle_eof(now),
                13 => conn.close(now),
                // Bytes that can never start a frame (a valid frame, or bytes inside
                // a payload, would be taken as data: no client can tell them apart).
                14 if server.at_frame_boundary() => conn.handle_input(b"@\r\n", now),
                _ => {}
            },
        }
        let mode = rng.below(3);
        if mode == 0 {
            while let Some(event) = conn.poll_event() {
                checker.take(event, seed);
            }
        } else if mode == 1 {
            // As a pipeline would: the replies from the oldest open request on.
            if let Some(&first) = checker.open.keys().min() {
                let mut out = Vec::new();
                let moved = conn.take_replies(first, &mut out);
                assert_eq!(moved, out.len(), "seed {seed}");
                for (i, result) in out.into_iter().enumerate() {
                    checker.take(
                        Event::Reply {
                            id: first.offset(i),
                            result,
                        },
                        seed,
                    );
                }
            }
            while let Some(event) = conn.poll_event() {
                checker.take(event, seed);
            }
        } else {
            // Replies first, as adapters take them, then whatever comes next.
            loop {
                while let Some((id, result)) = conn.poll_reply() {
                    checker.take(Event::Reply { id, result }, seed);
                }
                match conn.poll_event() {
                    Some(event) => checker.take(event, seed),
                    None => break,
                }
            }
        }
    }
    // Drain: deliver everything, then close.
    server.receive(conn.transmit());
    let n = conn.transmit().len();
    conn.advance_transmit(n);
    let rest = server.deliver(server.output.len());
    conn.handle_input(&rest, now);
    conn.handle_eof(now);
    while let Some(event) = conn.poll_event() {
        checker.take(event, seed);
    }
    assert!(checker.closed, "seed {seed}: never closed");
    assert!(
        checker.open.is_empty(),
        "seed {seed}: requests without outcome"
    );
    checker.tally
}

#[test]
fn random_operation_sequences_keep_the_invariants() {
    let started = Instant::now();
    let mut seeds = 0;
    let mut tally = [0; 4];
    for seed in 0..3_000u64 {
        if started.elapsed() > Duration::from_secs(20) {
            break;
        }
        let counts = run(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for (total, count) in tally.iter_mut().zip(counts) {
            *total += count;
        }
        seeds += 1;
    }
    assert!(seeds >= 100, "only {seeds} seeds ran");
    // Every path was exercised: replies, timeouts, closes and messages.
    assert!(tally.iter().all(|&n| n > 100), "outcomes seen: {tally:?}");
}
