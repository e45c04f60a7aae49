//! The demo behind `scripts/demo`: starts a throw-away `redis-server` on a free
//! loopback port, talks to it through the sans-IO codec over a plain blocking socket,
//! and stops the server on exit.
//!
//! While the connection state machine and the typed client are being built (see the
//! README's status table), this demo drives the codec directly: [`Cmd`] encodes,
//! [`Decoder`] decodes, and the loop below is the whole "adapter".
#![allow(clippy::print_stdout)]

use std::io::{Read, Write};
use std::net::TcpStream;

use bytes::BytesMut;
use redis_sansio::Cmd;
use redis_sansio::resp::{Decoder, Frame};
use redis_test_support::RedisServer;

/// A socket plus the codec: write commands, read until each reply is complete.
struct Session {
    socket: TcpStream,
    decoder: Decoder,
    read_buf: BytesMut,
    write_buf: BytesMut,
}

impl Session {
    fn pipeline(&mut self, cmds: &[Cmd]) -> std::io::Result<Vec<Frame>> {
        for cmd in cmds {
            cmd.encode(&mut self.write_buf);
        }
        self.socket.write_all(&self.write_buf)?;
        self.write_buf.clear();
        let mut replies = Vec::with_capacity(cmds.len());
        while replies.len() < cmds.len() {
            match self.decoder.decode(&mut self.read_buf) {
                Ok(Some(frame)) => replies.push(frame),
                Ok(None) => {
                    self.read_buf.reserve(16 * 1024);
                    let mut chunk = [0u8; 16 * 1024];
                    let n = self.socket.read(&mut chunk)?;
                    if n == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                    self.read_buf.extend_from_slice(&chunk[..n]);
                }
                Err(error) => return Err(std::io::Error::other(error)),
            }
        }
        Ok(replies)
    }

    fn call(&mut self, cmd: Cmd) -> std::io::Result<Frame> {
        Ok(self.pipeline(&[cmd])?.remove(0))
    }
}

fn show(frame: &Frame) -> String {
    match frame {
        Frame::SimpleString(b) | Frame::BulkString(b) => {
            format!("{:?}", String::from_utf8_lossy(b))
        }
        Frame::SimpleError(b) | Frame::BulkError(b) => {
            format!("(error) {}", String::from_utf8_lossy(b))
        }
        Frame::Integer(i) => format!("(integer) {i}"),
        Frame::Double(d) => format!("(double) {d}"),
        Frame::Boolean(b) => format!("(boolean) {b}"),
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            format!(
                "[{}]",
                items.iter().map(show).collect::<Vec<_>>().join(", ")
            )
        }
        Frame::Map(pairs) => format!(
            "{{{}}}",
            pairs
                .iter()
                .map(|(k, v)| format!("{}: {}", show(k), show(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other if other.is_null() => "(nil)".to_string(),
        other => format!("{other:?}"),
    }
}

fn main() -> std::io::Result<()> {
    let server = RedisServer::start();
    let (major, minor, patch) = server.version();
    println!(
        "started a throw-away redis-server {major}.{minor}.{patch} on {}",
        server.addr()
    );

    let socket = TcpStream::connect(server.addr())?;
    socket.set_nodelay(true)?;
    let mut session = Session {
        socket,
        decoder: Decoder::new(),
        read_buf: BytesMut::with_capacity(16 * 1024),
        write_buf: BytesMut::new(),
    };

    let hello = session.call(Cmd::new("HELLO").arg(3))?;
    if let Frame::Map(fields) = &hello {
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k.as_bytes().map(|b| &b[..]) == Some(name.as_bytes()))
                .map(|(_, v)| show(v))
                .unwrap_or_default()
        };
        println!(
            "HELLO 3     -> RESP3 map: server {} version {} proto {}",
            field("server"),
            field("version"),
            field("proto")
        );
    }
    println!(
        "SET greeting -> {}",
        show(&session.call(Cmd::new("SET").arg("greeting").arg("hello, sans-IO"))?)
    );
    println!(
        "GET greeting -> {}",
        show(&session.call(Cmd::new("GET").arg("greeting"))?)
    );
    println!(
        "INCRBYFLOAT  -> {}",
        show(&session.call(Cmd::new("INCRBYFLOAT").arg("balance").arg(2.5))?)
    );
    session.call(
        Cmd::new("HSET")
            .arg("user:1")
            .arg("name")
            .arg("Ada")
            .arg("lang")
            .arg("Rust"),
    )?;
    println!(
        "HGETALL      -> {}",
        show(&session.call(Cmd::new("HGETALL").arg("user:1"))?)
    );
    println!(
        "SISMEMBER    -> {}",
        show(&session.call(Cmd::new("SISMEMBER").arg("nope").arg("x"))?)
    );
    println!(
        "bad command  -> {}",
        show(&session.call(Cmd::new("NOSUCHCOMMAND"))?)
    );

    let cmds: Vec<Cmd> = (0..10_000)
        .map(|i| Cmd::new("SET").arg(format!("key:{i}")).arg(i))
        .collect();
    let replies = session.pipeline(&cmds)?;
    let ok = replies
        .iter()
        .filter(|r| r.as_bytes().map(|b| &b[..]) == Some(b"OK"))
        .count();
    println!("pipelined 10,000 SETs -> {ok} OK replies");
    println!(
        "DBSIZE       -> {}",
        show(&session.call(Cmd::new("DBSIZE"))?)
    );

    drop(server);
    println!("stopped the server; bye");
    Ok(())
}
