//! A small RESP server on the core's server side: [`RequestDecoder`] reads what
//! clients send (RESP arrays, or inline commands as typed into `nc`), and
//! [`encode_frame`] / [`encode_frame_resp2`] write each reply in the protocol the client
//! chose with `HELLO`. It keeps strings in memory and knows a handful of commands:
//! enough for `redis-cli` and for this workspace's clients, handshake included.
//!
//! ```sh
//! cargo run -p redis-sansio --example resp_server -- 127.0.0.1:7777
//! redis-cli -p 7777 set greeting hello
//! printf 'GET greeting\r\n' | nc -q1 127.0.0.1 7777
//! ```
//!
//! One thread per client, std sockets, no runtime. Its tests (run by `cargo test`)
//! start it on a free loopback port and talk to it with this crate's blocking
//! `Connection` (the same core on the client side: handshake, pipelines, RESP2 and
//! RESP3) and with raw bytes.
#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use bytes::{Bytes, BytesMut};
use redis_sansio::resp::{Frame, RequestDecoder, encode_frame, encode_frame_resp2};

/// How much room a read is given.
const READ_CHUNK: usize = 16 * 1024;

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7777".to_owned());
    let listener = TcpListener::bind(&addr)?;
    println!("listening on {}", listener.local_addr()?);
    serve(listener, Arc::default());
    Ok(())
}

/// The keyspace every client shares.
type Store = Mutex<HashMap<Bytes, Bytes>>;

/// Accepts clients until the listener fails, each on a thread of its own.
fn serve(listener: TcpListener, store: Arc<Store>) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { break };
        let store = Arc::clone(&store);
        thread::spawn(move || {
            // A client that goes away mid-reply is no concern of the others.
            let _ = handle_client(stream, &store);
        });
    }
}

/// Serves one client until it quits, closes, or sends bytes that are not RESP.
fn handle_client(mut stream: TcpStream, store: &Store) -> io::Result<()> {
    let mut input = BytesMut::with_capacity(READ_CHUNK);
    let mut output = BytesMut::new();
    let mut decoder = RequestDecoder::new();
    let mut session = Session::default();
    loop {
        // Every request already received is answered in one write.
        loop {
            match decoder.decode(&mut input) {
                Ok(Some(args)) => {
                    let reply = session.execute(store, &args);
                    session.encode(&mut output, &reply);
                }
                Ok(None) => break,
                Err(error) => {
                    // As Redis does: its own error reply (none past the query buffer
                    // limit), then hang up once it is written.
                    if let Some(reply) = error.redis_reply() {
                        output.extend_from_slice(&reply);
                    }
                    session.quit = true;
                    break;
                }
            }
            if session.quit {
                break;
            }
        }
        stream.write_all(&output)?;
        output.clear();
        if session.quit {
            return Ok(());
        }
        let filled = input.len();
        input.resize(filled + READ_CHUNK, 0);
        let n = stream.read(&mut input[filled..])?;
        input.truncate(filled + n);
        if n == 0 {
            return Ok(());
        }
    }
}

/// What the server remembers of one client.
#[derive(Debug)]
struct Session {
    /// 2 or 3, as chosen with `HELLO`.
    protocol: u8,
    name: Option<Bytes>,
    quit: bool,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            protocol: 2,
            name: None,
            quit: false,
        }
    }
}

impl Session {
    /// Appends `reply` in this client's protocol.
    fn encode(&self, out: &mut BytesMut, reply: &Frame) {
        match self.protocol {
            3 => encode_frame(out, reply),
            _ => encode_frame_resp2(out, reply),
        }
    }

    /// Runs one command (`args[0]` is its name) and returns the reply.
    fn execute(&mut self, store: &Store, args: &[Bytes]) -> Frame {
        let name = String::from_utf8_lossy(&args[0]).to_ascii_uppercase();
        let args = &args[1..];
        let keyspace = || store.lock().unwrap_or_else(PoisonError::into_inner);
        match (name.as_str(), args) {
            ("PING", []) => Frame::simple("PONG"),
            ("PING" | "ECHO", [message]) => Frame::BulkString(message.clone()),
            ("HELLO", _) => self.hello(args),
            ("CLIENT", [sub, rest @ ..]) => self.client(sub, rest),
            ("SELECT", [db]) if &db[..] == b"0" => Frame::simple("OK"),
            ("SELECT", [_]) => Frame::error("ERR DB index is out of range"),
            ("GET", [key]) => keyspace()
                .get(key)
                .cloned()
                .map_or(Frame::Null, Frame::BulkString),
            ("SET", [key, value]) => {
                keyspace().insert(key.clone(), value.clone());
                Frame::simple("OK")
            }
            ("DEL", keys) if !keys.is_empty() => {
                let mut keyspace = keyspace();
                let removed = keys.iter().filter(|key| keyspace.remove(*key).is_some());
                Frame::Integer(removed.count() as i64)
            }
            ("DBSIZE", []) => Frame::Integer(keyspace().len() as i64),
            // redis-cli asks for the command docs at start; there are none to give.
            ("COMMAND", _) => Frame::Array(Vec::new()),
            ("QUIT", []) => {
                self.quit = true;
                Frame::simple("OK")
            }
            (
                "PING" | "ECHO" | "SELECT" | "GET" | "SET" | "DEL" | "DBSIZE" | "QUIT" | "CLIENT",
                _,
            ) => Frame::error(format!(
                "ERR wrong number of arguments for '{}' command",
                name.to_ascii_lowercase()
            )),
            _ => Frame::error(format!("ERR unknown command '{name}'")),
        }
    }

    /// `HELLO [protover [SETNAME name]]`: switches the protocol and describes the
    /// server, in the map Redis sends. No users here, so `AUTH` is refused.
    fn hello(&mut self, args: &[Bytes]) -> Frame {
        let protocol = match args.first().map(|v| &v[..]) {
            None => self.protocol,
            Some(b"2") => 2,
            Some(b"3") => 3,
            Some(_) => return Frame::error("NOPROTO unsupported protocol version"),
        };
        match args.get(1..).unwrap_or_default() {
            [] => {}
            [option, name] if option.eq_ignore_ascii_case(b"SETNAME") => {
                self.name = Some(name.clone());
            }
            [option, ..] if option.eq_ignore_ascii_case(b"AUTH") => {
                return Frame::error("ERR this server has no users: AUTH is not supported");
            }
            _ => return Frame::error("ERR syntax error in HELLO"),
        }
        self.protocol = protocol;
        let field = |name: &'static str, value: Frame| (Frame::bulk(name), value);
        Frame::Map(vec![
            field("server", Frame::bulk("resp_server")),
            field("version", Frame::bulk("7.2.0")),
            field("proto", Frame::Integer(i64::from(protocol))),
            field("id", Frame::Integer(1)),
            field("mode", Frame::bulk("standalone")),
            field("role", Frame::bulk("master")),
            field("modules", Frame::Array(Vec::new())),
        ])
    }

    /// `CLIENT SETNAME`, `GETNAME` and `SETINFO` (accepted and forgotten).
    fn client(&mut self, sub: &Bytes, args: &[Bytes]) -> Frame {
        let sub = String::from_utf8_lossy(sub).to_ascii_uppercase();
        match (sub.as_str(), args) {
            ("SETNAME", [name]) => {
                self.name = Some(name.clone());
                Frame::simple("OK")
            }
            ("GETNAME", []) => self.name.clone().map_or(Frame::Null, Frame::BulkString),
            ("SETINFO", [_, _]) => Frame::simple("OK"),
            _ => Frame::error(format!("ERR unknown subcommand 'client|{sub}'")),
        }
    }
}

/// Starts the server on a free loopback port, on a thread of its own.
#[cfg(test)]
fn start() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let addr = listener.local_addr().expect("its address");
    thread::spawn(move || serve(listener, Arc::default()));
    addr
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use redis_io_sync::{Connection, Outcome};
    use redis_sansio::Cmd;
    use redis_sansio::config::{ConnectionConfig, ProtocolVersion, ServerAddr};

    use super::*;

    /// This crate's blocking connection to the server at `addr`.
    fn connect(addr: SocketAddr, protocol: ProtocolVersion) -> Connection {
        let config = ConnectionConfig::new(ServerAddr::tcp("127.0.0.1", addr.port()))
            .with_protocol(protocol)
            .with_client_name("tester")
            .with_response_timeout(Duration::from_secs(5));
        Connection::connect(config).expect("the handshake")
    }

    #[test]
    fn a_resp3_client_shakes_hands_and_keeps_strings() {
        let mut conn = connect(start(), ProtocolVersion::Resp3);
        assert_eq!(conn.core().protocol(), ProtocolVersion::Resp3);
        // Named in the handshake's `HELLO ... SETNAME`.
        let request = |conn: &mut Connection, cmd: Cmd| conn.request(&cmd).expect("a reply");
        assert_eq!(
            request(&mut conn, Cmd::new("CLIENT").arg("GETNAME")),
            Frame::bulk("tester")
        );
        assert_eq!(
            request(&mut conn, Cmd::new("SET").arg("k").arg("v")),
            Frame::simple("OK")
        );
        assert_eq!(
            request(&mut conn, Cmd::new("GET").arg("k")),
            Frame::bulk("v")
        );
        // RESP3's null, as sent.
        assert_eq!(
            request(&mut conn, Cmd::new("GET").arg("missing")),
            Frame::Null
        );
        assert_eq!(
            request(&mut conn, Cmd::new("DEL").arg("k").arg("missing")),
            Frame::Integer(1)
        );
    }

    #[test]
    fn a_resp2_client_gets_resp2_and_an_error_reply_leaves_the_rest_alone() {
        let mut conn = connect(start(), ProtocolVersion::Resp2);
        assert_eq!(conn.core().protocol(), ProtocolVersion::Resp2);
        let outcomes = conn
            .pipeline(&[
                Cmd::new("SET").arg("k").arg("v"),
                Cmd::new("NOSUCH").arg("x"),
                Cmd::new("GET").arg("k"),
                // The null bulk of RESP2, lowered from the RESP3 null.
                Cmd::new("GET").arg("missing"),
            ])
            .expect("the pipeline");
        let [set, nosuch, get, missing] = <[Outcome; 4]>::try_from(outcomes).expect("4 outcomes");
        assert_eq!(set.expect("SET"), Frame::simple("OK"));
        let error = nosuch.expect_err("an unknown command").to_string();
        assert!(error.contains("unknown command 'NOSUCH'"), "{error}");
        assert_eq!(get.expect("GET"), Frame::bulk("v"));
        assert_eq!(missing.expect("GET"), Frame::NullBulk);
    }

    #[test]
    fn inline_commands_and_arrays_are_answered_in_order_and_bad_input_hangs_up() {
        let mut stream = TcpStream::connect(start()).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("read timeout");
        // An inline command, then a RESP array, in one write: two replies, in order.
        stream
            .write_all(b"SET \"a b\" 1\r\n*2\r\n$3\r\nGET\r\n$3\r\na b\r\n")
            .expect("write");
        assert_eq!(read_until_closed_or(&mut stream, 12), b"+OK\r\n$1\r\n1\r\n");
        // Not RESP: one error reply, then the server hangs up.
        stream.write_all(b"*1\r\n$x\r\n").expect("write");
        let rest = read_until_closed_or(&mut stream, usize::MAX);
        assert_eq!(
            String::from_utf8_lossy(&rest),
            "-ERR Protocol error: invalid bulk length\r\n"
        );
    }

    /// Reads until `len` bytes have come or the server closes the connection.
    fn read_until_closed_or(stream: &mut TcpStream, len: usize) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = [0; 256];
        for _ in 0..100 {
            if got.len() >= len {
                break;
            }
            match stream.read(&mut buf).expect("read") {
                0 => break,
                n => got.extend_from_slice(&buf[..n]),
            }
        }
        got
    }
}
