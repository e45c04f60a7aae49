//! Authentication in the handshake, against the shared server with `requirepass`
//! and an ACL user.

use redis_io_async::Error;
use redis_sansio::resp::Frame;
use redis_sansio::{CloseReason, ServerErrorKind};

use crate::cmd;
use crate::conformance::Body;
use crate::conformance::env::{ACL_USER, Case, PASSWORD, shared_auth_server, targets};

/// The handshake authenticates with a password alone (the `default` user) and with an
/// ACL user and password, then selects the configured db; wrong credentials fail
/// `connect` with `CloseReason::Auth(WRONGPASS)`; no credentials fail it with
/// `Auth(NOAUTH)` in RESP3 (HELLO is refused), while in RESP2 the connection opens
/// and its first command gets the server's `NOAUTH` error.
pub fn auth<B: Body>() {
    let server = shared_auth_server();
    for target in targets(&server) {
        let case = Case::new::<B>("auth", &target);
        let base = target.config.clone();
        let key = case.key("k");

        let mut default = case.connect::<B>(base.clone().with_password(PASSWORD).with_db(3));
        let whoami = default.request(&cmd(&["ACL", "WHOAMI"]));
        assert_eq!(case.ok("WHOAMI", whoami), Frame::bulk("default"), "{case}");
        let set = default.request(&cmd(&["SET", &key, "1"]));
        assert_eq!(case.ok("SET", set), Frame::simple("OK"));

        let user = base
            .clone()
            .with_username(ACL_USER.0)
            .with_password(ACL_USER.1)
            .with_db(3);
        let mut ada = case.connect::<B>(user);
        let whoami = ada.request(&cmd(&["ACL", "WHOAMI"]));
        assert_eq!(case.ok("WHOAMI", whoami), Frame::bulk(ACL_USER.0), "{case}");
        let get = ada.request(&cmd(&["GET", &key]));
        assert_eq!(case.ok("GET in db 3", get), Frame::bulk("1"), "{case}");

        for wrong in [
            base.clone().with_password("nope"),
            base.clone().with_username(ACL_USER.0).with_password("x"),
            base.clone().with_username("nobody").with_password(PASSWORD),
        ] {
            match B::connect(wrong) {
                Err(Error::Closed(CloseReason::Auth(error))) => {
                    assert_eq!(error.kind(), &ServerErrorKind::WrongPass, "{case}");
                }
                Err(other) => panic!("{case}: wrong credentials: {other:?}"),
                Ok(_) => panic!("{case}: wrong credentials were accepted"),
            }
        }

        match B::connect(base.clone()) {
            Err(Error::Closed(CloseReason::Auth(error))) => {
                assert!(target.is_resp3(), "{case}: RESP2 sends no HELLO to refuse");
                assert_eq!(error.kind(), &ServerErrorKind::NoAuth, "{case}");
            }
            Ok(mut conn) => {
                assert!(!target.is_resp3(), "{case}: HELLO without AUTH succeeded");
                let error = case.err("GET without AUTH", conn.request(&cmd(&["GET", &key])));
                assert_eq!(
                    error.server_error().map(|e| e.kind().clone()),
                    Some(ServerErrorKind::NoAuth),
                    "{case}: {error:?}"
                );
            }
            Err(other) => panic!("{case}: no credentials: {other:?}"),
        }
    }
}
