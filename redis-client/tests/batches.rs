//! Pipelines and transactions with mixed reply types, on every body.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod common;

use bytes::Bytes;
use common::on_every_body;
use redis_client::prelude::*;
use redis_client::{Cmd, Error, Pipeline, Transaction, TypedCmd};
use redis_sansio::{RequestError, ServerErrorKind};

fn server_error_kind(error: &Error) -> &ServerErrorKind {
    error
        .server_error()
        .unwrap_or_else(|| panic!("expected a server error, got {error:?}"))
        .kind()
}

/// Typed slots of different types in one pipeline; one command's error leaves the
/// others intact; 10,000 commands come back in order.
macro_rules! pipelines {
    ($b:expr, $($aw:tt)*) => {{
        let mut pipe = Pipeline::new();
        pipe.set("n", 41);
        let n = pipe.incr("n");
        let text = pipe.get("n");
        let missing = pipe.get("missing");
        pipe.rpush("list", ["a", "b"]);
        let wrong = pipe.incr("list");
        let range = pipe.lrange("list", 0, -1);
        let mut replies = pipe.run($b)$($aw)*.unwrap();
        assert_eq!(replies.len(), 7);
        assert_eq!(replies.take(n).unwrap(), 42);
        assert_eq!(replies.take(text).unwrap(), Some(Bytes::from("42")));
        assert_eq!(replies.take(missing).unwrap(), None);
        assert_eq!(
            server_error_kind(&replies.take(wrong).unwrap_err()),
            &ServerErrorKind::WrongType
        );
        assert_eq!(replies.take(range).unwrap(), ["a", "b"]);

        let mut pipe = Pipeline::new();
        for i in 0..10_000 {
            pipe.set(format!("key:{i}"), i);
        }
        let gets: Vec<_> = (0..10_000)
            .map(|i| pipe.add(redis_client::cmd::get(format!("key:{i}")).returning::<i64>()))
            .collect();
        let mut replies = pipe.run($b)$($aw)*.unwrap();
        for (i, get) in gets.into_iter().enumerate() {
            assert_eq!(replies.take(get).unwrap(), i as i64);
        }
    }};
}
on_every_body!(pipelines);

/// MULTI/EXEC with mixed types; a command failing at EXEC time is an error in its
/// slot only; one refused while queueing aborts the whole transaction.
macro_rules! transactions {
    ($b:expr, $($aw:tt)*) => {{
        let mut tx = Transaction::new();
        tx.set("t", "v");
        let len = tx.strlen("t");
        let wrong = tx.incr("t");
        let value = tx.get("t");
        let mut replies = tx.run($b)$($aw)*.unwrap();
        assert_eq!(replies.take(len).unwrap(), 1);
        assert_eq!(server_error_kind(&replies.take(wrong).unwrap_err()), &ServerErrorKind::Err);
        assert_eq!(replies.take(value).unwrap(), Some(Bytes::from("v")));

        let mut aborted = Transaction::new();
        aborted.set("never", 1);
        aborted.add(TypedCmd::<()>::new(Cmd::new("SET").arg("only-a-key")));
        let error = aborted.run($b)$($aw)*.unwrap_err();
        assert_eq!(server_error_kind(&error), &ServerErrorKind::ExecAbort);
        assert_eq!($b.exists(["never"])$($aw)*.unwrap(), 0);
    }};
}
on_every_body!(transactions);

/// A watched key changed by another client makes EXEC fail with WatchConflict.
#[test]
fn a_changed_watched_key_is_a_watch_conflict() {
    let server = common::server();
    let mut conn = common::blocking(common::resp3(&server));
    let mut other = common::blocking(common::resp3(&server));
    conn.watch(["w"]).unwrap();
    other.set("w", "changed").unwrap();
    let mut tx = Transaction::new();
    tx.set("w", "mine");
    match tx.run(&mut conn) {
        Err(Error::Request(RequestError::WatchConflict)) => {}
        other => panic!("expected a watch conflict, got {other:?}"),
    }
    assert_eq!(conn.get("w").unwrap(), Some(Bytes::from("changed")));
}
