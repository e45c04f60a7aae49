//! Connections that cannot open fail with typed errors.

use std::io::ErrorKind;

use redis_io_async::Error;
use redis_sansio::config::{ConnectionConfig, ProtocolVersion, ServerAddr};

use crate::RedisServer;
use crate::conformance::Body;

/// What a failed `open` must have returned.
type Expected = fn(&Error) -> bool;

/// Each way a connection fails to open has its own error: a port nobody listens on
/// is `Error::Connect` with `ConnectionRefused`; a host that does not resolve is
/// `Error::UnknownHost`; a Unix socket path that does not exist is `Error::Connect`
/// with `NotFound`; an unparsable URL is `Error::Url`. (Wrong credentials and
/// handshake timeouts: the `auth` and `handshake_timeout` checks; TLS failures: the
/// `tls_verification` and `tls_client_certificates` checks.)
pub fn connect_failures<B: Body>() {
    let dead = RedisServer::start();
    let port = dead.port();
    // Killed, not dropped: the harness hands this port to no other server.
    dead.kill();
    let name = B::name();
    for protocol in [ProtocolVersion::Resp3, ProtocolVersion::Resp2] {
        let refused = ConnectionConfig::default()
            .with_addr(ServerAddr::tcp("127.0.0.1", port))
            .with_protocol(protocol);
        match B::connect(refused) {
            Err(Error::Connect { source, .. }) if source.kind() == ErrorKind::ConnectionRefused => {
            }
            other => panic!("{name}: refused: {:?}", other.err()),
        }
        let missing = ConnectionConfig::default()
            .with_addr(ServerAddr::unix(dead.dir().join("missing.sock")))
            .with_protocol(protocol);
        match B::connect(missing) {
            Err(Error::Connect { source, .. }) if source.kind() == ErrorKind::NotFound => {}
            other => panic!("{name}: missing socket: {:?}", other.err()),
        }
    }
    let cases: [(&str, Expected); 4] = [
        (
            "redis://no-such-host.invalid:6379",
            |e| matches!(e, Error::UnknownHost { host, .. } if host == "no-such-host.invalid"),
        ),
        (
            "unix:///nonexistent/dir/redis.sock",
            |e| matches!(e, Error::Connect { source, .. } if source.kind() == ErrorKind::NotFound),
        ),
        ("http://127.0.0.1:6379", |e| matches!(e, Error::Url(_))),
        ("redis://127.0.0.1:notaport", |e| matches!(e, Error::Url(_))),
    ];
    for (url, expected) in cases {
        match B::open(url) {
            Err(error) if expected(&error) => {}
            other => panic!("{name}: open({url:?}): {:?}", other.err()),
        }
    }
}
