//! The codec against a real redis-server, over raw sockets.
//!
//! - Requests: random and edge-case request streams go to redis-server and through
//!   the core's `RequestDecoder`. Every request in them is `ECHO` or `PING`, so the
//!   replies show which commands Redis read; the decoder's requests must give the
//!   same reply bytes, the same protocol error reply (`ProtocolError::redis_reply`)
//!   and the same close.
//! - Replies: every reply type Redis produces (RESP2 and RESP3, Lua conversions
//!   included) is captured raw from the socket, decoded and encoded again: the bytes
//!   must come back unchanged.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use redis_sansio::resp::{
    DecodeLimits, Decoder, Frame, RawDecoder, RdbDecoder, RdbPiece, Request, RequestDecoder,
    encode_frame,
};
use redis_test_support::RedisServer;

/// What ends a stream that should leave the connection open: its reply marks the end.
const MARKER: &[u8] = b"*2\r\n$4\r\nECHO\r\n$7\r\n__end__\r\n";
const MARKER_REPLY: &[u8] = b"$7\r\n__end__\r\n";

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn bytes(&mut self, most: usize) -> Vec<u8> {
        (0..self.below(most + 1))
            .map(|_| self.next() as u8)
            .collect()
    }
}

/// What redis-server answered to `stream`, and whether it closed the connection.
///
/// A stream Redis stops reading part way (past a limit) is written whole: Redis
/// closes with unread bytes by a reset, which may drop its reply before it is read.
fn redis_answer(server: &RedisServer, stream: &[u8], rng: &mut Rng) -> (Vec<u8>, bool) {
    let pieces = stream.len() < 16 * 1024;
    let mut socket = TcpStream::connect(server.addr()).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    // In a few writes, so Redis reads the stream in more than one piece.
    let mut rest = stream;
    while !rest.is_empty() {
        let n = if pieces {
            1 + rng.below(rest.len())
        } else {
            rest.len()
        };
        socket.write_all(&rest[..n]).expect("write");
        rest = &rest[n..];
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match socket.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                if got.ends_with(MARKER_REPLY) {
                    return (got, false);
                }
            }
            Err(error) if error.kind() == ErrorKind::ConnectionReset => return (got, true),
            Err(error) => panic!("reading redis-server's answer: {error}"),
        }
    }
}

/// The reply Redis gives each request a generated stream holds.
fn reply_to(request: &Request) -> Vec<u8> {
    let args: Vec<&[u8]> = request.args().collect();
    let bulk = |data: &[u8]| {
        let mut out = format!("${}\r\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
        out
    };
    match &args[..] {
        [name, arg] if name.eq_ignore_ascii_case(b"ECHO") || name.eq_ignore_ascii_case(b"PING") => {
            bulk(arg)
        }
        [name] if name.eq_ignore_ascii_case(b"PING") => b"+PONG\r\n".to_vec(),
        _ => panic!("the decoder read a request the stream does not hold: {request:?}"),
    }
}

/// What the decoder makes of `stream` (fed in random pieces): the replies Redis
/// would give the requests it reads, then Redis's error reply, and whether the
/// connection closes.
fn decoder_answer(stream: &[u8], rng: &mut Rng) -> (Vec<u8>, bool) {
    let mut decoder = RequestDecoder::new();
    let mut buf = BytesMut::new();
    let mut answer = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let n = 1 + rng.below(rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        loop {
            match decoder.decode_request(&mut buf) {
                Ok(Some(request)) => answer.extend_from_slice(&reply_to(&request)),
                Ok(None) => break,
                Err(error) => {
                    answer.extend_from_slice(&error.redis_reply().unwrap_or_default());
                    return (answer, true);
                }
            }
        }
    }
    (answer, false)
}

/// One `ECHO` or `PING` request in one of the forms Redis reads, or bytes Redis
/// skips.
fn push_request(rng: &mut Rng, out: &mut Vec<u8>) {
    let arg = rng.bytes(24);
    match rng.below(8) {
        // Canonical.
        0 | 1 => {
            out.extend_from_slice(b"*2\r\n$4\r\nECHO\r\n");
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(&arg);
            out.extend_from_slice(b"\r\n");
        }
        // Any byte after each header's CR, any two bytes after each payload.
        2 => {
            let any = |rng: &mut Rng| rng.next() as u8;
            out.extend_from_slice(b"*2\r");
            out.push(any(rng));
            out.extend_from_slice(b"$4\r");
            out.push(any(rng));
            out.extend_from_slice(b"eChO");
            out.extend_from_slice(&[any(rng), any(rng)]);
            out.extend_from_slice(format!("${}\r", arg.len()).as_bytes());
            out.push(any(rng));
            out.extend_from_slice(&arg);
            out.extend_from_slice(&[any(rng), any(rng)]);
        }
        // Inline, with Redis's quoting.
        3 | 4 => {
            let blank = [&b""[..], b" ", b"\t", b"  \t "];
            out.extend_from_slice(blank[rng.below(blank.len())]);
            out.extend_from_slice(if rng.below(2) == 0 { b"ECHO" } else { b"echo" });
            out.extend_from_slice(&b" \t"[..1 + rng.below(2)]);
            push_inline_arg(rng, &arg, out);
            out.extend_from_slice(blank[rng.below(blank.len())]);
            out.extend_from_slice(if rng.below(2) == 0 { b"\r\n" } else { b"\n" });
        }
        // Skipped: counts of zero or less, blank lines.
        5 => {
            let skipped = [
                &b"*0\r\n"[..],
                b"*-1\r\n",
                b"*-10\r\n",
                b"\r\n",
                b"\n",
                b"   \t\r\n",
            ];
            out.extend_from_slice(skipped[rng.below(skipped.len())]);
        }
        6 => out.extend_from_slice(b"PING\r\n"),
        _ => out.extend_from_slice(b"*1\r\n$4\r\nping\r\n"),
    }
}

/// An inline argument standing for `arg`: a plain word, or a quoted string with
/// escapes.
fn push_inline_arg(rng: &mut Rng, arg: &[u8], out: &mut Vec<u8>) {
    let plain = !arg.is_empty()
        && arg
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(b));
    if plain && rng.below(2) == 0 {
        out.extend_from_slice(arg);
        return;
    }
    if rng.below(3) == 0 && arg.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        // Single quotes understand only `\'`.
        out.push(b'\'');
        for &byte in arg {
            match byte {
                b'\'' => out.extend_from_slice(b"\\'"),
                // A backslash before anything but a quote stands for itself; before
                // a closing quote it would escape it, so never end on one.
                b'\\' => out.extend_from_slice(b"\\x"),
                _ => out.push(byte),
            }
        }
        out.push(b'\'');
        return;
    }
    out.push(b'"');
    for &byte in arg {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b' '..=b'~' => out.push(byte),
            _ => out.extend_from_slice(format!("\\x{byte:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

/// Ends that make Redis reply with a protocol error and close.
const ERROR_TAILS: &[&[u8]] = &[
    b"*1\r\n$x\r\n",
    b"*1\r\n$-1\r\n",
    b"*1\r\n$?\r\n",
    b"*1\r\n+PING\r\n",
    b"*2\r\n$4\r\nECHO\r\nfoo\r\n",
    b"*1\r\n\r\n",
    b"*1\r\n\nx\r\n",
    b"*1\r\n\xffx\r\n",
    b"*x\r\n",
    b"*-0\r\n",
    b"*01\r\n",
    b"*3000000000\r\n",
    b"*1\r\n$536870913\r\n",
    b"ECHO \"abc\r\n",
    b"ECHO 'a'b\r\n",
    b"ECHO \"a\"b\r\n",
];

fn assert_same_answer(server: &RedisServer, stream: &[u8], rng: &mut Rng) {
    let (ours, we_close) = decoder_answer(stream, rng);
    let (theirs, they_close) = redis_answer(server, stream, rng);
    assert_eq!(
        (String::from_utf8_lossy(&ours), we_close),
        (String::from_utf8_lossy(&theirs), they_close),
        "stream {:?}",
        String::from_utf8_lossy(stream)
    );
}

#[test]
fn request_streams_are_read_as_redis_reads_them() {
    let server = RedisServer::start();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..300 {
        let mut stream = Vec::new();
        for _ in 0..1 + rng.below(12) {
            push_request(&mut rng, &mut stream);
        }
        if case % 3 == 0 {
            stream.extend_from_slice(ERROR_TAILS[rng.below(ERROR_TAILS.len())]);
        } else {
            stream.extend_from_slice(MARKER);
        }
        assert_same_answer(&server, &stream, &mut rng);
    }
    // Every error tail, alone and after a request.
    for tail in ERROR_TAILS {
        assert_same_answer(&server, tail, &mut rng);
        let mut stream = b"PING\r\n".to_vec();
        stream.extend_from_slice(tail);
        assert_same_answer(&server, &stream, &mut rng);
    }
}

#[test]
fn lines_past_the_inline_limit_fail_as_in_redis() {
    let server = RedisServer::start();
    let mut rng = Rng(7);
    // No line end in more than 64 KiB: an inline line, a count line, a length line.
    for prefix in [&b""[..], b"*", b"*1\r\n$"] {
        let mut stream = prefix.to_vec();
        stream.resize(prefix.len() + 70_000, b'1');
        assert_same_answer(&server, &stream, &mut rng);
    }
}

/// Redis looks for line ends with `strchr`, which stops at NUL: a line with a NUL
/// before its end never ends, and the connection hangs until the inline limit.
#[test]
fn a_nul_in_a_line_holds_the_connection_as_in_redis() {
    let server = RedisServer::start();
    for stream in [
        &b"ECHO a\0b\r\nPING\r\n"[..],
        b"*2\0\r\n$4\r\nECHO\r\n$1\r\na\r\n",
        b"*2\r\n$4\0\r\nECHO\r\n$1\r\na\r\n",
    ] {
        // The decoder waits...
        let mut decoder = RequestDecoder::new();
        let mut buf = BytesMut::from(stream);
        assert_eq!(decoder.decode_request(&mut buf), Ok(None));
        // ... and so does Redis: no reply while nothing more comes.
        let mut socket = TcpStream::connect(server.addr()).expect("connect");
        socket.write_all(stream).expect("write");
        socket
            .set_read_timeout(Some(Duration::from_millis(300)))
            .expect("timeout");
        let mut byte = [0u8; 1];
        match socket.read(&mut byte) {
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            other => panic!("redis-server answered {other:?} to {stream:?}"),
        }
        // Past the inline limit both fail, with the same reply.
        let filler = vec![b'x'; 70_000];
        buf.extend_from_slice(&filler);
        let error = decoder.decode_request(&mut buf).unwrap_err();
        socket.write_all(&filler).expect("write");
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut reply = Vec::new();
        let _ = socket.read_to_end(&mut reply);
        assert_eq!(
            String::from_utf8_lossy(&reply),
            String::from_utf8_lossy(&error.redis_reply().unwrap()),
            "{stream:?}"
        );
    }
}

#[test]
fn unauthenticated_limits_are_redis_own() {
    let server = RedisServer::builder().requirepass("secret").start();
    let mut rng = Rng(11);
    for stream in [&b"*11\r\n"[..], b"*1\r\n$16385\r\n", b"*10\r\n$16384\r\n"] {
        let mut decoder = RequestDecoder::new();
        decoder.set_authenticated(false);
        let mut buf = BytesMut::from(stream);
        let ours = match decoder.decode_request(&mut buf) {
            Err(error) => (error.redis_reply().unwrap().to_vec(), true),
            Ok(_) => (Vec::new(), false),
        };
        if !ours.1 {
            continue; // within the limits: nothing to compare without more bytes
        }
        let theirs = redis_answer(&server, stream, &mut rng);
        assert_eq!(
            (String::from_utf8_lossy(&ours.0), ours.1),
            (String::from_utf8_lossy(&theirs.0), theirs.1)
        );
    }
}

/// Sends one command and returns the exact bytes of its reply, found by the decoder.
fn raw_reply(socket: &mut TcpStream, pending: &mut BytesMut, args: &[&[u8]]) -> Bytes {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    socket.write_all(&out).expect("write");
    next_raw_reply(socket, pending)
}

/// The exact bytes of the next reply on `socket`.
fn next_raw_reply(socket: &mut TcpStream, pending: &mut BytesMut) -> Bytes {
    let mut buf = [0u8; 65_536];
    loop {
        // A fresh decoder over a copy: the frame's length is what it consumed.
        let mut copy = pending.clone();
        if Decoder::new()
            .with_limits(deep())
            .decode(&mut copy)
            .expect("decodes")
            .is_some()
        {
            let len = pending.len() - copy.len();
            return pending.split_to(len).freeze();
        }
        let n = socket.read(&mut buf).expect("read");
        assert!(n > 0, "redis-server closed the connection");
        pending.extend_from_slice(&buf[..n]);
    }
}

/// Limits that take the deepest reply a test provokes, whatever the default.
fn deep() -> DecodeLimits {
    DecodeLimits {
        max_depth: usize::MAX,
        ..DecodeLimits::default()
    }
}

/// Decodes `raw` (one whole frame) and encodes it again.
fn round_trip(raw: &[u8]) -> (Frame, Vec<u8>) {
    let mut buf = BytesMut::from(raw);
    let frame = Decoder::new()
        .with_limits(deep())
        .decode(&mut buf)
        .expect("decodes")
        .expect("one whole frame");
    assert!(buf.is_empty());
    let mut out = BytesMut::new();
    encode_frame(&mut out, &frame);
    (frame, out.to_vec())
}

/// Commands whose replies cover every type Redis produces, Lua conversions included.
fn reply_commands() -> Vec<Vec<&'static [u8]>> {
    let script = |body: &'static [u8]| vec![&b"EVAL"[..], body, b"1", b"k:hash"];
    let mut commands: Vec<Vec<&'static [u8]>> = vec![
        vec![b"PING"],
        vec![b"SET", b"k:str", b"value"],
        vec![b"GET", b"k:str"],
        vec![b"GET", b"k:missing"],
        vec![b"INCR", b"k:counter"],
        vec![b"INCRBYFLOAT", b"k:float", b"3.14"],
        vec![b"RPUSH", b"k:list", b"a", b"", b"c"],
        vec![b"LRANGE", b"k:list", b"0", b"-1"],
        vec![b"LRANGE", b"k:missing", b"0", b"-1"],
        vec![b"BLPOP", b"k:missing", b"0.01"],
        vec![b"HSET", b"k:hash", b"f1", b"v1", b"f2", b"v2"],
        vec![b"HGETALL", b"k:hash"],
        vec![b"SADD", b"k:set", b"x", b"y"],
        vec![b"SMEMBERS", b"k:set"],
        vec![
            b"ZADD", b"k:zset", b"1", b"one", b"3.14", b"pi", b"inf", b"top",
        ],
        vec![b"ZSCORE", b"k:zset", b"one"],
        vec![b"ZSCORE", b"k:zset", b"pi"],
        vec![b"ZSCORE", b"k:zset", b"top"],
        vec![b"ZRANGE", b"k:zset", b"0", b"-1", b"WITHSCORES"],
        vec![b"ZINCRBY", b"k:zset", b"0.1", b"pi"],
        vec![b"XADD", b"k:stream", b"1-1", b"f", b"v"],
        vec![b"XRANGE", b"k:stream", b"-", b"+"],
        vec![b"LPUSH", b"k:str", b"x"],
        vec![b"NOSUCHCOMMAND"],
        vec![b"CLIENT", b"INFO"],
        vec![b"INFO", b"server"],
        vec![b"MEMORY", b"DOCTOR"],
        vec![b"LOLWUT"],
        vec![b"CONFIG", b"GET", b"maxmemory*"],
        vec![b"COMMAND", b"INFO", b"GET", b"SET"],
        vec![b"OBJECT", b"HELP"],
        vec![b"MULTI"],
        vec![b"INCR", b"k:counter"],
        vec![b"GET", b"k:missing"],
        vec![b"EXEC"],
    ];
    for body in [
        &b"return 1"[..],
        b"return 3.99",
        b"return 'text'",
        b"return true",
        b"return false",
        b"return nil",
        b"return {1, 'a', {2, {3, false}}, true}",
        b"return redis.error_reply('MY error')",
        b"return redis.status_reply('FINE')",
        b"return {err='bad thing'}",
        b"return {ok='good thing'}",
        b"return {double=3.14}",
        b"return {double=1}",
        b"return {double=-0.5e-300}",
        b"return {double=1/0}",
        b"return {double=-1/0}",
        b"return {double=0/0}",
        b"return {big_number='123456789012345678901234567890'}",
        b"return {big_number='123  123'}",
        b"return {map={a=1, b={2, 3}}}",
        b"return {set={a=true, b=true}}",
        b"return {verbatim_string={format='txt', string='hello\\nworld'}}",
        b"return redis.call('HGETALL', KEYS[1])",
        b"redis.setresp(3); return redis.call('HGETALL', KEYS[1])",
        b"redis.setresp(3); return redis.call('ZSCORE', 'k:zset', 'pi')",
        b"redis.setresp(3); return redis.call('SMEMBERS', 'k:set')",
        b"local t = {}; t[1] = t; return t",
        b"local t = {map={}}; t.map.a = t; return t",
    ] {
        commands.push(script(body));
    }
    for kind in [
        &b"string"[..],
        b"integer",
        b"double",
        b"bignum",
        b"null",
        b"array",
        b"set",
        b"map",
        b"attrib",
        b"push",
        b"verbatim",
        b"true",
        b"false",
    ] {
        commands.push(vec![b"DEBUG", b"PROTOCOL", kind]);
    }
    commands
}

/// The name of a frame's variant.
fn kind(frame: &Frame) -> &'static str {
    match frame {
        Frame::SimpleString(_) => "SimpleString",
        Frame::SimpleError(_) => "SimpleError",
        Frame::Integer(_) => "Integer",
        Frame::BulkString(_) => "BulkString",
        Frame::BulkError(_) => "BulkError",
        Frame::Verbatim { .. } => "Verbatim",
        Frame::Null => "Null",
        Frame::NullBulk => "NullBulk",
        Frame::NullArray => "NullArray",
        Frame::Double(_) => "Double",
        Frame::Boolean(_) => "Boolean",
        Frame::BigNumber(_) => "BigNumber",
        Frame::Array(_) => "Array",
        Frame::Map(_) => "Map",
        Frame::Set(_) => "Set",
        Frame::Push(_) => "Push",
        Frame::Attributed { .. } => "Attributed",
        _ => "other",
    }
}

#[test]
fn every_reply_redis_sends_re_encodes_byte_for_byte() {
    let server = RedisServer::builder()
        .arg("enable-debug-command yes")
        .start();
    let mut kinds: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for protocol in [&b"2"[..], b"3"] {
        let mut socket = TcpStream::connect(server.addr()).expect("connect");
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut pending = BytesMut::new();
        let mut check = |raw: Bytes, what: &str| {
            // Raw mode hands out the same bytes, checked.
            let mut copy = BytesMut::from(&raw[..]);
            let forwarded = RawDecoder::new()
                .with_limits(deep())
                .decode(&mut copy)
                .expect("checks")
                .expect("one whole frame");
            assert_eq!(forwarded, raw, "{what}");
            let (frame, encoded) = round_trip(&raw);
            assert_eq!(
                String::from_utf8_lossy(&encoded),
                String::from_utf8_lossy(&raw),
                "{what}"
            );
            // Every kind seen, walking by reference (a derived `Clone` or `Debug`
            // of the 8,000-level Lua reply would recurse that deep).
            let mut todo = vec![&frame];
            while let Some(frame) = todo.pop() {
                kinds.insert(kind(frame));
                match frame {
                    Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
                        todo.extend(items.iter().take(64))
                    }
                    Frame::Map(pairs) => {
                        for (key, value) in pairs.iter().take(64) {
                            todo.push(key);
                            todo.push(value);
                        }
                    }
                    Frame::Attributed { attributes, value } => {
                        for (key, value) in attributes {
                            todo.push(key);
                            todo.push(value);
                        }
                        todo.push(value);
                    }
                    _ => {}
                }
            }
        };
        let hello = raw_reply(&mut socket, &mut pending, &[b"HELLO", protocol]);
        check(hello, "HELLO");
        for command in reply_commands() {
            let what = String::from_utf8_lossy(&command.concat()).into_owned();
            let raw = raw_reply(&mut socket, &mut pending, &command);
            check(raw, &what);
        }
        // Pub/sub: the confirmation, and a message published from elsewhere.
        let raw = raw_reply(&mut socket, &mut pending, &[b"SUBSCRIBE", b"chan"]);
        check(raw, "SUBSCRIBE");
        server.command(&["PUBLISH", "chan", "hello"]);
        let raw = next_raw_reply(&mut socket, &mut pending);
        check(raw, "message");
    }
    for kind in [
        "SimpleString",
        "SimpleError",
        "Integer",
        "BulkString",
        "NullBulk",
        "NullArray",
        "Array",
        "Null",
        "Double",
        "Boolean",
        "BigNumber",
        "Map",
        "Set",
        "Push",
        "Verbatim",
        "Attributed",
    ] {
        assert!(kinds.contains(kind), "no {kind} reply seen: {kinds:?}");
    }
}

/// `SYNC`: redis-server sends the RDB as `$<len>` and the payload with no CRLF after
/// it, then the replication stream; `RdbDecoder` reads the one and `RequestDecoder`
/// the other.
#[test]
fn a_sync_transfer_and_the_replication_stream_after_it_decode() {
    let server = RedisServer::start();
    server.command(&["SET", "before", "1"]);
    let mut socket = TcpStream::connect(server.addr()).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    socket.write_all(b"SYNC\r\n").expect("write");
    let mut rdb = RdbDecoder::new();
    let mut buf = BytesMut::new();
    let mut payload = Vec::new();
    let mut announced = None;
    let mut chunk = [0u8; 65_536];
    for _ in 0..1000 {
        while let Some(piece) = rdb.decode(&mut buf).expect("an RDB transfer") {
            match piece {
                RdbPiece::Start { len } => announced = len,
                RdbPiece::Data(data) => payload.extend_from_slice(&data),
                RdbPiece::End => {}
            }
        }
        if rdb.is_done() {
            break;
        }
        let n = socket.read(&mut chunk).expect("read");
        assert!(n > 0, "redis-server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
    }
    assert!(rdb.is_done());
    assert_eq!(Some(payload.len() as u64), announced);
    assert!(payload.starts_with(b"REDIS"), "{:?}", &payload[..9]);
    // The replication stream: the write made now comes as a request.
    server.command(&["SET", "after", "2"]);
    let mut requests = RequestDecoder::new();
    for _ in 0..1000 {
        while let Some(request) = requests.decode(&mut buf).expect("a command stream") {
            if request == [&b"SET"[..], b"after", b"2"] {
                return;
            }
        }
        let n = socket.read(&mut chunk).expect("read");
        assert!(n > 0, "redis-server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
    }
    panic!("the replication stream never carried the SET");
}
