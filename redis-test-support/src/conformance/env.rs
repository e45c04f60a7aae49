//! Where the checks run: servers (shared or their own), the four targets, names.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use redis_io_async::Error;
use redis_sansio::config::{ConnectionConfig, ProtocolVersion, ServerAddr};
use redis_sansio::resp::Frame;

use super::Body;
use crate::{RedisServer, tcp_config, tls_config, unix_config};

/// The response timeout every configuration of the suite carries unless a check sets
/// its own: a lost reply fails the check after this long instead of hanging it.
pub const SAFETY_TIMEOUT: Duration = Duration::from_secs(30);
/// The connect (and handshake) timeout every configuration of the suite carries.
pub const SAFETY_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The password of the `default` user on the authentication server.
pub(crate) const PASSWORD: &str = "topsecret";
/// The ACL user on the authentication server, and its password.
pub(crate) const ACL_USER: (&str, &str) = ("ada", "lovelace");

/// A server checks share while any of them runs: started by the first, stopped
/// (killed and reaped) when the last one using it drops its handle. A static
/// `RedisServer` would never be dropped, so its process would outlive the tests.
struct Shared {
    server: Mutex<Weak<RedisServer>>,
    start: fn() -> RedisServer,
}

impl Shared {
    fn get(&self) -> Arc<RedisServer> {
        let mut slot = self.server.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(server) = slot.upgrade() {
            return server;
        }
        let server = Arc::new((self.start)());
        *slot = Arc::downgrade(&server);
        server
    }
}

static PLAIN: Shared = Shared {
    server: Mutex::new(Weak::new()),
    start: RedisServer::start,
};

static AUTH: Shared = Shared {
    server: Mutex::new(Weak::new()),
    start: || {
        RedisServer::builder()
            .requirepass(PASSWORD)
            .acl_user(ACL_USER.0, ACL_USER.1)
            .start()
    },
};

static TLS: Shared = Shared {
    server: Mutex::new(Weak::new()),
    start: || RedisServer::builder().tls().start(),
};

static TLS_CLIENT_AUTH: Shared = Shared {
    server: Mutex::new(Weak::new()),
    start: || RedisServer::builder().tls_client_auth().start(),
};

/// The shared server with a TLS port (and its plain-text port and Unix socket).
pub(crate) fn shared_tls_server() -> Arc<RedisServer> {
    TLS.get()
}

/// The shared server whose TLS port requires a client certificate.
pub(crate) fn shared_client_auth_server() -> Arc<RedisServer> {
    TLS_CLIENT_AUTH.get()
}

/// The shared server without a password, for checks that leave it usable.
pub(crate) fn shared_server() -> Arc<RedisServer> {
    PLAIN.get()
}

/// The shared server with `requirepass` and an ACL user.
pub(crate) fn shared_auth_server() -> Arc<RedisServer> {
    AUTH.get()
}

/// One way to reach a server: TCP or Unix, RESP3 or RESP2.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) config: ConnectionConfig,
    pub(crate) label: &'static str,
}

impl Target {
    pub(crate) fn protocol(&self) -> ProtocolVersion {
        self.config.protocol
    }

    pub(crate) fn is_resp3(&self) -> bool {
        self.protocol() == ProtocolVersion::Resp3
    }
}

/// TCP and Unix, each in RESP3 and RESP2, with the safety timeouts.
///
/// Through the [`Front`](super::Front) of the body under test, if it has one.
pub(crate) fn targets(server: &RedisServer) -> Vec<Target> {
    let mut targets = Vec::with_capacity(4);
    let (tcp, unix) = match super::front::current() {
        None => (tcp_config(server), unix_config(server)),
        Some(front) => {
            let addrs = front(server);
            let tcp = ConnectionConfig::default().with_addr(ServerAddr::tcp(
                addrs.tcp.ip().to_string(),
                addrs.tcp.port(),
            ));
            let unix = addrs.unix.map_or_else(
                || unix_config(server),
                |path| ConnectionConfig::default().with_addr(ServerAddr::unix(path)),
            );
            (tcp, unix)
        }
    };
    for (transport, base) in [("tcp", tcp), ("unix", unix)] {
        for protocol in [ProtocolVersion::Resp3, ProtocolVersion::Resp2] {
            let label = match (transport, protocol) {
                ("tcp", ProtocolVersion::Resp3) => "tcp/resp3",
                ("tcp", _) => "tcp/resp2",
                (_, ProtocolVersion::Resp3) => "unix/resp3",
                _ => "unix/resp2",
            };
            let config = with_safety(base.clone().with_protocol(protocol));
            targets.push(Target { config, label });
        }
    }
    targets
}

/// The server's TLS port in RESP3 and RESP2, trusting the test CA only, with the
/// safety timeouts. (Redis serves TLS on TCP only.)
pub(crate) fn tls_targets(server: &RedisServer) -> Vec<Target> {
    [
        (ProtocolVersion::Resp3, "tls/resp3"),
        (ProtocolVersion::Resp2, "tls/resp2"),
    ]
    .into_iter()
    .map(|(protocol, label)| Target {
        config: with_safety(tls_config(server).with_protocol(protocol)),
        label,
    })
    .collect()
}

/// `config` with the suite's safety timeouts.
fn with_safety(config: ConnectionConfig) -> ConnectionConfig {
    config
        .with_response_timeout(SAFETY_TIMEOUT)
        .with_connect_timeout(SAFETY_CONNECT_TIMEOUT)
}

/// One check on one body and target: names its keys and its failure messages.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    body: String,
    check: &'static str,
    label: &'static str,
}

impl Case {
    pub(crate) fn new<B: Body>(check: &'static str, target: &Target) -> Self {
        Case {
            body: B::name(),
            check,
            label: target.label,
        }
    }

    /// A key (or channel, or client name) no other test uses.
    pub(crate) fn key(&self, name: &str) -> String {
        let body = self.body.replace(' ', "-");
        format!("{body}:{}:{}:{name}", self.check, self.label)
    }

    /// Connects, or fails the check saying which case could not.
    pub(crate) fn connect<B: Body>(&self, config: ConnectionConfig) -> B {
        B::connect(config).unwrap_or_else(|error| panic!("{self}: connect: {error:?}"))
    }

    /// The value of `result`, or fails the check with `what` and the error.
    pub(crate) fn ok<T>(&self, what: &str, result: Result<T, Error>) -> T {
        result.unwrap_or_else(|error| panic!("{self}: {what}: {error:?}"))
    }

    /// The error of `result`, or fails the check with `what` and the value.
    pub(crate) fn err<T: fmt::Debug>(&self, what: &str, result: Result<T, Error>) -> Error {
        match result {
            Ok(value) => panic!("{self}: {what}: expected an error, got {value:?}"),
            Err(error) => error,
        }
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{} / {} / {}]", self.body, self.check, self.label)
    }
}

/// The text of a string-like reply (simple, bulk, verbatim), lossily.
pub(crate) fn text(frame: &Frame) -> String {
    match frame.as_bytes() {
        Some(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        None => panic!("expected a string reply, got {frame:?}"),
    }
}

/// Every byte value once, in order.
pub(crate) fn every_byte() -> Vec<u8> {
    (0..=255).collect()
}

/// 1 MiB of bytes that are not a repeating power-of-two pattern.
pub(crate) fn one_mebibyte() -> Vec<u8> {
    (0..1024 * 1024).map(|i| (i * 7 % 251) as u8).collect()
}
