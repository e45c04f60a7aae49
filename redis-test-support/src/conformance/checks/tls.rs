//! TLS (`rediss://`) against real TLS servers: requests over TLS, the server's
//! certificate verified (trusted CA, name), client certificates, and each failure as
//! its typed `Error::Tls`, bounded by the connect timeout.
//!
//! The servers listen for TLS on their own port with the certificates of
//! [`TestCerts::shared`]; the targets trust that CA only. Redis serves TLS on TCP only,
//! so these checks run over TCP, in RESP3 and RESP2.

use std::io::ErrorKind;
use std::time::Duration;

use redis_io_async::{Error, TlsErrorKind};
use redis_sansio::CloseReason;
use redis_sansio::config::{ConnectionConfig, ServerAddr};
use redis_sansio::resp::Frame;

use super::faults::{is_gone, kill_client};
use crate::conformance::Body;
use crate::conformance::env::SAFETY_CONNECT_TIMEOUT;
use crate::conformance::env::{
    Case, Target, one_mebibyte, shared_client_auth_server, shared_tls_server, tls_targets,
};
use crate::{FakeServer, RedisServer, TestCerts, cmd};

/// The connect timeout of the checks whose handshake may never finish.
const SHORT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The TLS failure `result` holds, or fails the check.
fn tls_failure<T>(case: &Case, what: &str, result: Result<T, Error>) -> TlsErrorKind {
    match result {
        Ok(_) => panic!("{case}: {what}: expected a TLS error, it connected"),
        Err(Error::Tls(error)) => error.kind(),
        Err(other) => panic!("{case}: {what}: expected Error::Tls, got {other:?}"),
    }
}

/// Requests over TLS: `SET`/`GET`, a 1 MiB value each way (many TLS records, writes
/// the socket takes in parts), a pipeline of 1,000 `SET`s and `GET`s, separate
/// requests in flight; the server name given explicitly (`localhost` while
/// connecting to `127.0.0.1`); `CLIENT KILL` seen as the end of the stream; and
/// `open(url)` of a bare `rediss://` URL, which trusts only the system's roots, so
/// the test CA's certificate is rejected.
pub fn tls_requests<B: Body>() {
    let server = shared_tls_server();
    for target in tls_targets(&server) {
        let case = Case::new::<B>("tls_requests", &target);
        let mut conn = case.connect::<B>(target.config.clone());
        let key = case.key("k");
        assert_eq!(
            case.ok("SET", conn.request(&cmd(&["SET", &key, "v"]))),
            Frame::simple("OK"),
            "{case}"
        );
        assert_eq!(
            case.ok("GET", conn.request(&cmd(&["GET", &key]))),
            Frame::bulk("v"),
            "{case}"
        );
        let big = one_mebibyte();
        let set = conn.request(&cmd(&["SET", &key]).arg(&big[..]));
        assert_eq!(case.ok("SET 1 MiB", set), Frame::simple("OK"), "{case}");
        let got = case.ok("GET 1 MiB", conn.request(&cmd(&["GET", &key])));
        let same = got.as_bytes().is_some_and(|bytes| bytes[..] == big[..]);
        assert!(same, "{case}: 1 MiB came back changed");

        let count = 1_000;
        let mut cmds: Vec<_> = (0..count)
            .map(|i| cmd(&["SET", &case.key(&format!("p{i}")), &i.to_string()]))
            .collect();
        cmds.extend((0..count).map(|i| cmd(&["GET", &case.key(&format!("p{i}"))])));
        let outcomes = case.ok("pipeline", conn.pipeline(&cmds));
        assert_eq!(outcomes.len(), 2 * count, "{case}");
        for (i, outcome) in outcomes[count..].iter().enumerate() {
            assert_eq!(outcome, &Ok(Frame::bulk(i.to_string())), "{case}: GET {i}");
        }
        let replies = case.ok("requests", conn.requests(&cmds[count..count + 10]));
        for (i, reply) in replies.into_iter().enumerate() {
            assert_eq!(
                case.ok("request", reply),
                Frame::bulk(i.to_string()),
                "{case}"
            );
        }

        let named = target.config.clone().with_tls_server_name("localhost");
        let mut by_name = case.connect::<B>(named);
        let ping = by_name.request(&cmd(&["PING"]));
        assert_eq!(
            case.ok("PING (server name localhost)", ping),
            Frame::simple("PONG")
        );

        kill_client(&case, &server, &mut conn);
        let error = case.err("PING after CLIENT KILL", conn.request(&cmd(&["PING"])));
        assert!(is_gone(&error), "{case}: {error:?}");
        assert_eq!(conn.close_reason(), Some(CloseReason::Eof), "{case}");
    }
    let target = &tls_targets(&server)[0];
    let case = Case::new::<B>("tls_requests", target);
    let port = server.tls_port().expect("a TLS server");
    let kind = tls_failure(
        &case,
        "open(rediss://)",
        B::open(&format!("rediss://127.0.0.1:{port}")),
    );
    assert_eq!(
        kind,
        TlsErrorKind::Certificate,
        "{case}: the system does not trust the test CA"
    );
}

/// The server's certificate is verified, and every way that fails is its own typed
/// error, returned within the connect timeout: a CA that did not sign it
/// (`Certificate`), a server name it is not for (`Certificate`), TLS to a plain-text
/// port (`PlainText`, whether that server answers the hello with `-ERR` or waits for
/// a line that never ends until the connect timeout), a CA PEM that holds no certificate (`Config`, before connecting), a Unix
/// socket with no server name (`ServerName`), and a refused port (`Error::Connect`,
/// as without TLS).
pub fn tls_verification<B: Body>() {
    let server = shared_tls_server();
    let other_ca = TestCerts::generate();
    for target in tls_targets(&server) {
        let case = Case::new::<B>("tls_verification", &target);
        let wrong_ca = other_ca.trusted_by(plain_config(&target));
        let kind = tls_failure(&case, "another CA", B::connect(wrong_ca));
        assert_eq!(kind, TlsErrorKind::Certificate, "{case}: another CA");

        let wrong_name = target.config.clone().with_tls_server_name("redis.invalid");
        let kind = tls_failure(&case, "another name", B::connect(wrong_name));
        assert_eq!(kind, TlsErrorKind::Certificate, "{case}: another name");

        let plain_port = target
            .config
            .clone()
            .with_addr(ServerAddr::tcp("127.0.0.1", server.port()))
            .with_connect_timeout(SHORT_CONNECT_TIMEOUT);
        let kind = tls_failure(&case, "TLS to the plain-text port", B::connect(plain_port));
        assert_eq!(
            kind,
            TlsErrorKind::PlainText,
            "{case}: TLS to the plain-text port"
        );

        let garbage = plain_config(&target)
            .with_tls_system_roots(false)
            .with_tls_ca_pem("not a certificate");
        let kind = tls_failure(&case, "a CA PEM without a certificate", B::connect(garbage));
        assert_eq!(kind, TlsErrorKind::Config, "{case}");

        let socket = server.unix_path().expect("a Unix socket");
        let unix = target.config.clone().with_addr(ServerAddr::unix(socket));
        let kind = tls_failure(&case, "TLS over a Unix socket", B::connect(unix));
        assert_eq!(kind, TlsErrorKind::ServerName, "{case}");

        let dead = RedisServer::start();
        let refused_port = dead.port();
        dead.kill();
        let refused = target
            .config
            .clone()
            .with_addr(ServerAddr::tcp("127.0.0.1", refused_port));
        match B::connect(refused) {
            Err(Error::Connect { source, .. }) if source.kind() == ErrorKind::ConnectionRefused => {
            }
            other => panic!("{case}: refused over TLS: {:?}", other.err()),
        }
    }
}

/// A server that requires client certificates (`tls-auth-clients yes`): a connection
/// presenting the test CA's client certificate works; one presenting none, or one
/// from another CA, fails with `Error::Tls` of kind `Alert` (the server's refusal,
/// which a TLS 1.3 server sends after the handshake: it arrives on the first read,
/// during the Redis handshake, so `connect` still returns it).
pub fn tls_client_certificates<B: Body>() {
    let server = shared_client_auth_server();
    let other_ca = TestCerts::generate();
    for target in tls_targets(&server) {
        let case = Case::new::<B>("tls_client_certificates", &target);
        let identity = TestCerts::shared().client_identity();
        let with_cert = target.config.clone().with_tls_client_identity(identity);
        let mut conn = case.connect::<B>(with_cert);
        let key = case.key("k");
        let set = conn.request(&cmd(&["SET", &key, "v"]));
        assert_eq!(
            case.ok("SET with a client certificate", set),
            Frame::simple("OK")
        );
        assert_eq!(
            case.ok("GET", conn.request(&cmd(&["GET", &key]))),
            Frame::bulk("v"),
            "{case}"
        );

        let kind = tls_failure(
            &case,
            "no client certificate",
            B::connect(target.config.clone()),
        );
        assert_eq!(kind, TlsErrorKind::Alert, "{case}: no client certificate");
        let stranger = target
            .config
            .clone()
            .with_tls_client_identity(other_ca.client_identity());
        let kind = tls_failure(
            &case,
            "a client certificate of another CA",
            B::connect(stranger),
        );
        assert_eq!(
            kind,
            TlsErrorKind::Alert,
            "{case}: a client certificate of another CA"
        );
    }
}

/// `target`'s settings (protocol, timeouts) without its TLS options.
fn plain_config(target: &Target) -> ConnectionConfig {
    let mut config = target.config.clone().with_tls(false);
    config.tls_options = Default::default();
    config
}

/// `rediss://` to a plain-text port that answers the TLS hello at once (a fake
/// server answering `-ERR unknown command`), with a 30 s connect timeout, fails with
/// [`TlsErrorKind::PlainText`] showing the answer: it was recognised when it came,
/// not after a timeout (rustls alone would call it a protocol error). A real
/// redis-server's plain-text port, which answers only when the hello happens to hold
/// a newline, is in `tls_verification`.
pub fn tls_plain_text_port<B: Body>() {
    let fake = FakeServer::start_answering(b"-ERR unknown command\r\n");
    let plain =
        ConnectionConfig::default().with_addr(ServerAddr::tcp("127.0.0.1", fake.addr().port()));
    let config = TestCerts::shared()
        .trusted_by(plain)
        .with_connect_timeout(SAFETY_CONNECT_TIMEOUT);
    let case = Case::new::<B>(
        "tls_plain_text_port",
        &Target {
            config: config.clone(),
            label: "tls/answers-err",
        },
    );
    match B::connect(config) {
        Err(Error::Tls(error)) => {
            assert_eq!(error.kind(), TlsErrorKind::PlainText, "{case}: {error}");
            let shown = error.to_string();
            assert!(
                shown.contains("-ERR unknown command") && shown.contains("redis://"),
                "{case}: {shown}"
            );
        }
        Err(other) => panic!("{case}: expected Error::Tls, got {other:?}"),
        Ok(_) => panic!("{case}: it connected"),
    }
}
