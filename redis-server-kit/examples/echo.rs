//! An echo server on `redis-server-kit`: `PING [message]`, `ECHO message`, and any
//! other command answered with its own words as an array. `HELLO`, `AUTH`, `SELECT`,
//! `CLIENT SETNAME` and `QUIT` come from the toolkit's defaults, so redis-cli and
//! this workspace's clients connect as to Redis.
//!
//! ```sh
//! cargo run -p redis-server-kit --example echo -- 127.0.0.1:7777
//! redis-cli -p 7777 echo hello        # "hello"
//! redis-cli -p 7777 anything at all   # 1) "anything" 2) "at" 3) "all"
//! ```
//!
//! Its tests (run by `cargo test -p redis-server-kit --example echo`) serve it on the
//! blocking body and on tokio, and talk to it with this workspace's blocking client
//! and with raw bytes.
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use redis_sansio::resp::Frame;
use redis_server_kit::blocking::Server;
use redis_server_kit::{ClientInfo, Cx, Handler, ListenAddr, Outbox, Reply, Request, ServerConfig};

/// Answers every command with its words.
struct Echo;

impl Handler for Echo {
    type State = ();

    fn open(&self, _: &ClientInfo, _: &Outbox) {}

    fn call(&self, _: &mut Cx<'_, ()>, request: Request) -> Reply {
        match request.args() {
            [] if request.is("ping") => Frame::simple("PONG").into(),
            [message] if request.is("ping") || request.is("echo") => {
                Frame::BulkString(message.clone()).into()
            }
            _ if request.is("ping") => Reply::wrong_arity("ping"),
            _ if request.is("echo") => Reply::wrong_arity("echo"),
            _ => Frame::Array(
                request
                    .into_parts()
                    .into_iter()
                    .map(Frame::BulkString)
                    .collect(),
            )
            .into(),
        }
    }
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7777".to_owned());
    let server = Server::bind(
        Arc::new(Echo),
        ServerConfig::default(),
        &[ListenAddr::Tcp(addr)],
    )?;
    println!("listening on {:?}", server.local_addrs());
    server.run()
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::Arc;

    use redis_io_sync::Connection;
    use redis_sansio::Cmd;
    use redis_sansio::config::{ConnectionConfig, ProtocolVersion, ServerAddr};
    use redis_sansio::resp::Frame;
    use redis_server_kit::blocking::Server;
    use redis_server_kit::{BoundAddr, ListenAddr, ServerConfig};

    use super::Echo;

    fn tcp_port(addrs: &[BoundAddr]) -> u16 {
        match addrs.first() {
            Some(BoundAddr::Tcp(addr)) => addr.port(),
            other => panic!("expected a TCP address, got {other:?}"),
        }
    }

    fn check_client(port: u16, protocol: ProtocolVersion) {
        let config = ConnectionConfig::new(ServerAddr::tcp("127.0.0.1", port))
            .with_protocol(protocol)
            .with_client_name("echo-test");
        let mut conn = Connection::connect(config).expect("the handshake");
        assert_eq!(
            conn.request(&Cmd::new("ECHO").arg("hello")).expect("ECHO"),
            Frame::bulk("hello")
        );
        assert_eq!(
            conn.request(&Cmd::new("CLIENT").arg("GETNAME"))
                .expect("GETNAME"),
            Frame::bulk("echo-test")
        );
        let outcomes = conn
            .pipeline(&[
                Cmd::new("PING"),
                Cmd::new("SOME").arg("words").arg(&b"\x00\xff"[..]),
                Cmd::new("ECHO"),
            ])
            .expect("a pipeline");
        let frames = outcomes;
        assert_eq!(frames[0].as_ref().ok(), Some(&Frame::simple("PONG")));
        assert_eq!(
            frames[1].as_ref().ok(),
            Some(&Frame::Array(vec![
                Frame::bulk("SOME"),
                Frame::bulk("words"),
                Frame::bulk(&b"\x00\xff"[..])
            ]))
        );
        assert!(
            frames[2].is_err(),
            "ECHO without a message is an error reply"
        );
    }

    #[test]
    fn blocking_body_serves_both_protocols_and_raw_inline_requests() {
        let server = Server::bind(
            Arc::new(Echo),
            ServerConfig::default(),
            &[ListenAddr::Tcp("127.0.0.1:0".into())],
        )
        .expect("bind");
        let port = tcp_port(&server.local_addrs());
        let shutdown = server.shutdown_handle();
        let thread = server.spawn().expect("spawn");
        check_client(port, ProtocolVersion::Resp3);
        check_client(port, ProtocolVersion::Resp2);

        let mut raw = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        raw.write_all(b"ECHO \"a b\"\r\nsay hi\r\nQUIT\r\nPING\r\n")
            .expect("write");
        let mut reply = Vec::new();
        raw.read_to_end(&mut reply).expect("read until closed");
        assert_eq!(
            reply, b"$3\r\na b\r\n*2\r\n$3\r\nsay\r\n$2\r\nhi\r\n+OK\r\n",
            "answers in order, closes after QUIT, never reads the PING"
        );

        shutdown.shutdown();
        thread
            .join()
            .expect("the loop thread")
            .expect("a clean run");
        assert!(
            TcpStream::connect(("127.0.0.1", port)).is_err(),
            "nothing listens after shutdown"
        );
    }

    #[test]
    fn tokio_body_serves_tcp_and_unix_and_shuts_down_gracefully() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let socket = dir.path().join("echo.sock");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let server = runtime
            .block_on(redis_server_kit::tokio::Server::bind(
                Arc::new(Echo),
                ServerConfig::default(),
                &[
                    ListenAddr::Tcp("127.0.0.1:0".into()),
                    ListenAddr::Unix(socket.clone()),
                ],
            ))
            .expect("bind");
        let port = tcp_port(&server.local_addrs());
        let shutdown = server.shutdown_handle();
        let running = runtime.spawn(server.run());
        check_client(port, ProtocolVersion::Resp3);
        check_client(port, ProtocolVersion::Resp2);

        let config = ConnectionConfig::new(ServerAddr::unix(&socket));
        let mut over_unix = Connection::connect(config).expect("a Unix connection");
        assert_eq!(
            over_unix.request(&Cmd::new("PING")).expect("PING"),
            Frame::simple("PONG")
        );

        shutdown.shutdown();
        runtime
            .block_on(running)
            .expect("the server task")
            .expect("a clean run");
        assert!(
            over_unix.request(&Cmd::new("PING")).is_err(),
            "the connection is closed by the shutdown"
        );
        assert!(!socket.exists(), "the socket file is removed");
    }
}
