//! Requests, pipelines, binary values, SELECT and transactions on the shared server.

use bytes::Bytes;
use redis_io_async::Error;
use redis_sansio::resp::Frame;
use redis_sansio::{Cmd, RequestError, SendError, ServerErrorKind};

use crate::cmd;
use crate::conformance::Body;
use crate::conformance::env::{Case, every_byte, one_mebibyte, shared_server, targets, text};

/// The handshake gives the server the protocol and client name the configuration
/// asks for (seen from the server's side in `CLIENT INFO`, and in the shape of
/// replies: a RESP3 map, a RESP2 array); the URL form of the same configuration
/// (`open`) does too; a server error is returned as a typed error and leaves the
/// connection usable; `HELLO` is refused before it is sent.
pub fn handshake<B: Body>() {
    let server = shared_server();
    for target in targets(&server) {
        let case = Case::new::<B>("handshake", &target);
        let name = case.key("client").replace([' ', ':', '/'], "-");
        let config = target.config.clone().with_client_name(name.clone());
        let resp = if target.is_resp3() {
            "resp=3"
        } else {
            "resp=2"
        };
        for (how, mut conn) in [
            ("connect", case.connect::<B>(config.clone())),
            (
                "open",
                case.ok("open", B::open(&config.to_url_with_password())),
            ),
        ] {
            let info = text(&case.ok("CLIENT INFO", conn.request(&cmd(&["CLIENT", "INFO"]))));
            let fields: Vec<&str> = info.split_whitespace().collect();
            assert!(fields.contains(&resp), "{case} {how}: {info}");
            assert!(
                fields.contains(&format!("name={name}").as_str()),
                "{case} {how}: {info}"
            );
            let hash = case.ok(
                "HGETALL",
                conn.request(&cmd(&["HGETALL", &case.key("none")])),
            );
            let empty = if target.is_resp3() {
                Frame::Map(vec![])
            } else {
                Frame::Array(vec![])
            };
            assert_eq!(hash, empty, "{case} {how}: reply shape");
        }

        let mut conn = case.connect::<B>(target.config.clone());
        let key = case.key("k");
        let set = conn.request(&cmd(&["SET", &key, "v"]));
        assert_eq!(case.ok("SET", set), Frame::simple("OK"), "{case}");
        let get = conn.request(&cmd(&["GET", &key]));
        assert_eq!(case.ok("GET", get), Frame::bulk("v"), "{case}");
        let error = case.err("INCR of a string", conn.request(&cmd(&["INCR", &key])));
        assert_eq!(
            error.server_error().map(|e| e.kind().clone()),
            Some(ServerErrorKind::Err),
            "{case}: {error:?}"
        );
        let error = case.err("HELLO", conn.request(&cmd(&["HELLO", "3"])));
        assert!(
            matches!(error, Error::Send(SendError::ConnectionState { .. })),
            "{case}: {error:?}"
        );
        let ping = conn.request(&cmd(&["PING"]));
        assert_eq!(case.ok("PING after errors", ping), Frame::simple("PONG"));
        assert_eq!(conn.close_reason(), None, "{case}");
    }
}

/// `SELECT` in the handshake: a key written on a connection configured for db 5 is
/// there for another such connection and absent from db 0, and the server reports
/// db 5 for the connection.
pub fn select<B: Body>() {
    let server = shared_server();
    for target in targets(&server) {
        let case = Case::new::<B>("select", &target);
        let key = case.key("k");
        let mut db5 = case.connect::<B>(target.config.clone().with_db(5));
        let set = db5.request(&cmd(&["SET", &key, "in-5"]));
        assert_eq!(case.ok("SET", set), Frame::simple("OK"));
        let info = text(&case.ok("CLIENT INFO", db5.request(&cmd(&["CLIENT", "INFO"]))));
        assert!(
            info.split_whitespace().any(|f| f == "db=5"),
            "{case}: {info}"
        );

        let mut again = case.connect::<B>(target.config.clone().with_db(5));
        let get = again.request(&cmd(&["GET", &key]));
        assert_eq!(case.ok("GET in db 5", get), Frame::bulk("in-5"), "{case}");
        let mut db0 = case.connect::<B>(target.config.clone());
        let get = case.ok("GET in db 0", db0.request(&cmd(&["GET", &key])));
        assert!(get.is_null(), "{case}: {get:?}");
    }
}

/// A pipeline of 10,000 `SET`s then one of 10,000 `GET`s: every reply arrives, in
/// order, each matched to its own command (each value differs); a server error in
/// the middle of a pipeline fails only its command; an empty pipeline is empty.
pub fn pipeline<B: Body>() {
    const N: usize = 10_000;
    let server = shared_server();
    for target in targets(&server) {
        let case = Case::new::<B>("pipeline", &target);
        let mut conn = case.connect::<B>(target.config.clone());
        let key = |i: usize| case.key(&format!("key:{i}"));
        let sets: Vec<Cmd> = (0..N).map(|i| Cmd::new("SET").arg(key(i)).arg(i)).collect();
        let replies = case.ok("10,000 SETs", conn.pipeline(&sets));
        assert_eq!(replies.len(), N, "{case}");
        for (i, reply) in replies.iter().enumerate() {
            assert_eq!(reply, &Ok(Frame::simple("OK")), "{case}: SET {i}");
        }
        let gets: Vec<Cmd> = (0..N).map(|i| Cmd::new("GET").arg(key(i))).collect();
        let replies = case.ok("10,000 GETs", conn.pipeline(&gets));
        assert_eq!(replies.len(), N, "{case}");
        for (i, reply) in replies.into_iter().enumerate() {
            assert_eq!(reply, Ok(Frame::bulk(i.to_string())), "{case}: GET {i}");
        }

        let s = case.key("s");
        let mixed = conn.pipeline(&[
            cmd(&["SET", &s, "x"]),
            cmd(&["INCR", &s]),
            cmd(&["GET", &s]),
        ]);
        let mixed = case.ok("mixed pipeline", mixed);
        assert_eq!(mixed[0], Ok(Frame::simple("OK")), "{case}");
        assert!(
            matches!(&mixed[1], Err(RequestError::Server(e)) if e.kind() == &ServerErrorKind::Err),
            "{case}: {:?}",
            mixed[1]
        );
        assert_eq!(mixed[2], Ok(Frame::bulk("x")), "{case}");
        assert_eq!(case.ok("empty pipeline", conn.pipeline(&[])), vec![]);
    }
}

/// Values and keys are binary-safe: all 256 byte values, the empty value, 1 MiB,
/// and bytes that look like RESP framing come back exactly as sent.
pub fn binary_values<B: Body>() {
    let server = shared_server();
    let every_byte = every_byte();
    let large = one_mebibyte();
    let values: [&[u8]; 4] = [&every_byte, b"", &large, b"\r\n$-1\r\n*1\r\n"];
    for target in targets(&server) {
        let case = Case::new::<B>("binary_values", &target);
        let mut conn = case.connect::<B>(target.config.clone());
        let mut key = case.key("").into_bytes();
        key.extend_from_slice(&every_byte);
        for value in values {
            let set = conn.request(&Cmd::new("SET").arg(&key[..]).arg(value));
            assert_eq!(case.ok("SET", set), Frame::simple("OK"), "{case}");
            let get = case.ok("GET", conn.request(&Cmd::new("GET").arg(&key[..])));
            assert!(
                get == Frame::BulkString(Bytes::copy_from_slice(value)),
                "{case}: a value of {} bytes came back changed",
                value.len()
            );
        }
        let strlen = conn.request(&Cmd::new("STRLEN").arg(&key[..]));
        assert_eq!(case.ok("STRLEN", strlen), Frame::Integer(11), "{case}");
    }
}

/// `MULTI`/`EXEC` as one call: the commands' replies as one array; a command the
/// server refuses while queueing makes the whole call `EXECABORT`; an empty
/// transaction is refused before sending.
pub fn transactions<B: Body>() {
    let server = shared_server();
    for target in targets(&server) {
        let case = Case::new::<B>("transactions", &target);
        let mut conn = case.connect::<B>(target.config.clone());
        let t = case.key("t");
        let reply = conn.transaction(&[
            cmd(&["SET", &t, "1"]),
            cmd(&["INCR", &t]),
            cmd(&["GET", &t]),
        ]);
        assert_eq!(
            case.ok("MULTI/EXEC", reply),
            Frame::Array(vec![
                Frame::simple("OK"),
                Frame::Integer(2),
                Frame::bulk("2")
            ]),
            "{case}"
        );
        let error = case.err("EXECABORT", conn.transaction(&[cmd(&["SET", &t])]));
        assert_eq!(
            error.server_error().map(|e| e.kind().clone()),
            Some(ServerErrorKind::ExecAbort),
            "{case}: {error:?}"
        );
        let error = case.err("empty transaction", conn.transaction(&[]));
        assert!(
            matches!(error, Error::Send(SendError::Empty)),
            "{case}: {error:?}"
        );
        let get = conn.request(&cmd(&["GET", &t]));
        assert_eq!(case.ok("GET", get), Frame::bulk("2"), "{case}");
    }
}

/// `WATCH`, then a change by another client: the transaction fails with
/// `RequestError::WatchConflict` and nothing in it runs; without a change, a
/// watched transaction runs.
pub fn watch<B: Body>() {
    let server = shared_server();
    for target in targets(&server) {
        let case = Case::new::<B>("watch", &target);
        let mut conn = case.connect::<B>(target.config.clone());
        let mut other = case.connect::<B>(target.config.clone());
        let t = case.key("t");
        let watch = conn.request(&cmd(&["WATCH", &t]));
        assert_eq!(case.ok("WATCH", watch), Frame::simple("OK"));
        let reply = conn.transaction(&[cmd(&["SET", &t, "first"])]);
        assert_eq!(
            case.ok("unchanged", reply),
            Frame::Array(vec![Frame::simple("OK")]),
            "{case}"
        );

        let watch = conn.request(&cmd(&["WATCH", &t]));
        assert_eq!(case.ok("WATCH", watch), Frame::simple("OK"));
        case.ok(
            "SET by another client",
            other.request(&cmd(&["SET", &t, "theirs"])),
        );
        let error = case.err(
            "EXEC after a watched change",
            conn.transaction(&[cmd(&["SET", &t, "mine"])]),
        );
        assert!(
            matches!(error, Error::Request(RequestError::WatchConflict)),
            "{case}: {error:?}"
        );
        let get = conn.request(&cmd(&["GET", &t]));
        assert_eq!(case.ok("GET", get), Frame::bulk("theirs"), "{case}");
    }
}
