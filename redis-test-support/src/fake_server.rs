//! A fake Redis server that misbehaves on cue, for the hostile-server checks.
//!
//! It is not Redis: it answers the handshake as redis-server 7.0 does (`HELLO` with
//! its map in RESP3, or its flat array in RESP2; `CLIENT`, `SELECT`, `AUTH` with
//! `+OK`), `PING` with `+PONG`, `ECHO` with its argument and everything else with
//! `+OK`. The test then makes it misbehave: [`FakeServer::send_unasked`] writes bytes
//! to every connection at once, while the client asked nothing, and
//! [`FakeServer::misbehave_next`] changes how the next request is answered (its reply
//! twice, pushes before it, a bulk string trickled). [`FakeServer::wait_done`] waits
//! until the misbehaviour has been written in full.
//!
//! It listens on a free loopback port only; every connection has a read timeout, and
//! dropping the server shuts every connection down.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use redis_sansio::config::{ConnectionConfig, ProtocolVersion, ServerAddr};
use redis_sansio::resp::{Frame, RequestDecoder, encode_frame};

/// How long a connection waits for a request before it gives up.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest [`FakeServer::wait_done`] waits.
const WAIT_LIMIT: Duration = Duration::from_secs(30);

/// How the next request is answered: see [`FakeServer::misbehave_next`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Misbehaviour {
    /// The reply twice, in one write (one segment).
    DuplicateInOneSegment,
    /// The reply, then the same reply again in a write of its own `after` later.
    DuplicateLater {
        /// The pause between the reply and its copy.
        after: Duration,
    },
    /// `count` RESP3 pushes (pub/sub messages on channel `flood`, each payload
    /// `payload_len` bytes), then the reply. Only for RESP3 clients.
    PushesFirst {
        /// How many pushes.
        count: usize,
        /// Each push's payload, in bytes.
        payload_len: usize,
    },
    /// A bulk string of `len` bytes instead of the reply: its header at once, then
    /// `chunk` bytes every `every`, until all is sent or the client is gone.
    TrickledBulk {
        /// The bulk string's announced length.
        len: usize,
        /// Bytes per write.
        chunk: usize,
        /// The pause between writes.
        every: Duration,
    },
}

/// A fake server on a free loopback port: see the module documentation.
#[derive(Debug)]
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    /// Write halves of the live connections, to write unasked bytes and to shut down.
    conns: Mutex<Vec<TcpStream>>,
    /// The misbehaviour for the next request, and how many have been written in full.
    state: Mutex<State>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct State {
    next: Option<Misbehaviour>,
    done: usize,
    requests: usize,
}

impl FakeServer {
    /// Starts listening on `127.0.0.1:0` and accepting connections on a thread.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("the bound address");
        let shared = Arc::new(Shared::default());
        let accepting = Arc::clone(&shared);
        thread::spawn(move || accept_loop(&listener, &accepting));
        FakeServer { addr, shared }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A configuration reaching it over TCP, speaking `protocol`.
    pub fn config(&self, protocol: ProtocolVersion) -> ConnectionConfig {
        ConnectionConfig::default()
            .with_addr(ServerAddr::tcp("127.0.0.1", self.addr.port()))
            .with_protocol(protocol)
    }

    /// Writes `bytes` to every live connection now, though no one asked, and returns
    /// once they are written (on loopback, in the client's receive buffer a moment
    /// later).
    pub fn send_unasked(&self, bytes: &[u8]) {
        let mut conns = self
            .shared
            .conns
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for conn in conns.iter_mut() {
            let _ = conn.write_all(bytes);
        }
    }

    /// Answers the next request as `misbehaviour` says (once; the rest as usual).
    pub fn misbehave_next(&self, misbehaviour: Misbehaviour) {
        self.shared.lock().next = Some(misbehaviour);
    }

    /// Waits until `n` misbehaviours have been written in full (or stopped by the
    /// client going away).
    ///
    /// # Panics
    ///
    /// After 30 s without that.
    pub fn wait_done(&self, n: usize) {
        let deadline = Instant::now() + WAIT_LIMIT;
        let mut state = self.shared.lock();
        while state.done < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "the fake server did not misbehave in time");
            state = self
                .shared
                .done
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// How many requests (handshake included) it has received so far.
    pub fn requests(&self) -> usize {
        self.shared.lock().requests
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for conn in self
            .shared
            .conns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let _ = conn.shutdown(Shutdown::Both);
        }
        // Wakes the accepting thread, which then sees `stop`.
        let _ = TcpStream::connect(self.addr);
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn finished_one(&self) {
        self.lock().done += 1;
        self.done.notify_all();
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let Ok(writer) = stream.try_clone() else {
            continue;
        };
        shared
            .conns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(writer);
        let shared = Arc::clone(shared);
        thread::spawn(move || {
            let _ = serve(stream, &shared);
        });
    }
}

/// Answers one connection's requests until it closes (or is shut down).
fn serve(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_read_timeout(Some(IDLE_TIMEOUT))?;
    stream.set_nodelay(true)?;
    let mut decoder = RequestDecoder::new();
    let mut input = BytesMut::new();
    let mut resp3 = false;
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 || shared.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        input.extend_from_slice(&buf[..n]);
        while let Some(args) = decoder
            .decode(&mut input)
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?
        {
            let reply = answer(&args, &mut resp3);
            let misbehaviour = {
                let mut state = shared.lock();
                state.requests += 1;
                match is_handshake(&args) {
                    true => None,
                    false => state.next.take(),
                }
            };
            match misbehaviour {
                None => stream.write_all(&encode(&reply))?,
                Some(misbehaviour) => {
                    let written = misbehave(&mut stream, &reply, misbehaviour, shared);
                    shared.finished_one();
                    written?;
                }
            }
        }
    }
}

fn is_handshake(args: &[Bytes]) -> bool {
    let name = args.first().map(|name| name.to_ascii_uppercase());
    matches!(
        name.as_deref(),
        Some(b"HELLO" | b"CLIENT" | b"SELECT" | b"AUTH")
    )
}

/// The reply a well-behaved server would give; `HELLO 3` switches to RESP3.
fn answer(args: &[Bytes], resp3: &mut bool) -> Frame {
    let name = args.first().map(|name| name.to_ascii_uppercase());
    match name.as_deref() {
        Some(b"HELLO") => {
            *resp3 = args.get(1).is_some_and(|version| &version[..] == b"3");
            hello(*resp3)
        }
        Some(b"PING") => Frame::simple("PONG"),
        Some(b"ECHO") => Frame::BulkString(args.get(1).cloned().unwrap_or_default()),
        _ => Frame::simple("OK"),
    }
}

/// `HELLO`'s reply as redis-server 7.0 gives it: a map in RESP3, its pairs flat in
/// RESP2.
fn hello(resp3: bool) -> Frame {
    let pairs = vec![
        (Frame::bulk("server"), Frame::bulk("redis")),
        (Frame::bulk("version"), Frame::bulk("7.0.15")),
        (
            Frame::bulk("proto"),
            Frame::Integer(if resp3 { 3 } else { 2 }),
        ),
        (Frame::bulk("id"), Frame::Integer(7)),
        (Frame::bulk("mode"), Frame::bulk("standalone")),
        (Frame::bulk("role"), Frame::bulk("master")),
        (Frame::bulk("modules"), Frame::Array(Vec::new())),
    ];
    match resp3 {
        true => Frame::Map(pairs),
        false => Frame::Array(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()),
    }
}

fn encode(frame: &Frame) -> BytesMut {
    let mut out = BytesMut::new();
    encode_frame(&mut out, frame);
    out
}

/// Answers a request whose proper reply is `reply` as `misbehaviour` says.
fn misbehave(
    stream: &mut TcpStream,
    reply: &Frame,
    misbehaviour: Misbehaviour,
    shared: &Shared,
) -> io::Result<()> {
    match misbehaviour {
        Misbehaviour::DuplicateInOneSegment => {
            let mut twice = encode(reply);
            twice.extend_from_slice(&encode(reply));
            stream.write_all(&twice)
        }
        Misbehaviour::DuplicateLater { after } => {
            stream.write_all(&encode(reply))?;
            thread::sleep(after);
            stream.write_all(&encode(reply))
        }
        Misbehaviour::PushesFirst { count, payload_len } => {
            let push = encode(&Frame::Push(vec![
                Frame::bulk("message"),
                Frame::bulk("flood"),
                Frame::BulkString(Bytes::from(vec![b'x'; payload_len])),
            ]));
            let mut batch = BytesMut::new();
            for _ in 0..count {
                batch.extend_from_slice(&push);
                if batch.len() >= 64 * 1024 {
                    stream.write_all(&batch)?;
                    batch.clear();
                }
            }
            batch.extend_from_slice(&encode(reply));
            stream.write_all(&batch)
        }
        Misbehaviour::TrickledBulk { len, chunk, every } => {
            stream.write_all(format!("${len}\r\n").as_bytes())?;
            let piece = vec![b'x'; chunk.max(1)];
            let mut left = len;
            while left > 0 && !shared.stop.load(Ordering::SeqCst) {
                let n = left.min(piece.len());
                stream.write_all(&piece[..n])?;
                left -= n;
                thread::sleep(every);
            }
            stream.write_all(b"\r\n")
        }
    }
}
