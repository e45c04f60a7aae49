//! What a caller asks of an error: the server's error kind and its text in `Debug`,
//! a response timeout (sent, outcome unknown), a dropped connection, a request never
//! sent; against a real server.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod common;

use std::time::Duration;

use redis_client::prelude::*;
use redis_client::{Cmd, Error, RequestError, ServerErrorKind};

#[test]
fn a_server_error_has_a_kind_and_reads_as_text() {
    let server = common::server();
    let mut conn = common::blocking(common::resp3(&server));
    conn.rpush("list", "x").unwrap();
    let error = conn.get("list").unwrap_err();
    assert_eq!(error.server_kind(), Some(&ServerErrorKind::WrongType));
    let debug = format!("{error:?}");
    assert!(
        debug.contains("\"WRONGTYPE Operation against a key"),
        "the message is text: {debug}"
    );
    assert!(!debug.contains("b\""), "not a byte string: {debug}");
    assert!(!error.is_timeout() && !error.is_connection_dropped() && !error.is_unknown_outcome());
    // The connection is fine after a server error.
    assert_eq!(conn.incr("n").unwrap(), 1);
}

#[test]
fn a_response_timeout_is_a_timeout_with_an_unknown_outcome() {
    let server = common::server();
    let mut conn =
        common::blocking(common::resp3(&server).with_response_timeout(Duration::from_millis(100)));
    let error = conn
        .request(&Cmd::new("DEBUG").arg("SLEEP").arg(0.5))
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.is_unknown_outcome(), "it was sent: {error:?}");
    assert!(error.server_kind().is_none());
}

#[test]
fn a_killed_connection_is_dropped() {
    let server = common::server();
    let mut conn = common::blocking(common::resp3(&server));
    let id = conn.client_id().unwrap();
    let mut admin = common::blocking(common::resp3(&server));
    admin
        .request(&Cmd::new("CLIENT").arg("KILL").arg("ID").arg(id))
        .unwrap();
    // The first call after the kill finds the connection gone (sent or not, as the
    // kill's EOF races the write); either way it is a dropped connection.
    let error = conn.get("k").unwrap_err();
    assert!(error.is_connection_dropped(), "{error:?}");
    assert!(!error.is_timeout(), "{error:?}");
    if let Error::Request(RequestError::NotSent(_)) = error {
        assert!(!error.is_unknown_outcome(), "never sent: it did not run");
    }
}
