//! Connection settings and commands for tests, so every adapter's tests reach a
//! [`RedisServer`] the same way.

use redis_sansio::Cmd;
use redis_sansio::config::{ConnectionConfig, ProtocolVersion, ServerAddr};

use crate::{RedisServer, TestCerts};

/// Settings for `server` over TCP on the loopback address, RESP3.
pub fn tcp_config(server: &RedisServer) -> ConnectionConfig {
    ConnectionConfig::default().with_addr(ServerAddr::tcp("127.0.0.1", server.port()))
}

/// Settings for `server`'s TLS port on the loopback address, RESP3, trusting the test
/// CA ([`TestCerts::shared`]) and nothing else.
///
/// # Panics
///
/// When the server was started without TLS.
pub fn tls_config(server: &RedisServer) -> ConnectionConfig {
    let port = server.tls_port().expect("the server has no TLS port");
    let config = ConnectionConfig::default().with_addr(ServerAddr::tcp("127.0.0.1", port));
    TestCerts::shared().trusted_by(config)
}

/// Settings for `server` over its Unix socket, RESP3.
///
/// # Panics
///
/// When the server was started without a Unix socket.
pub fn unix_config(server: &RedisServer) -> ConnectionConfig {
    ConnectionConfig::default().with_addr(ServerAddr::unix(
        server.unix_path().expect("the server has no Unix socket"),
    ))
}

/// TCP and Unix, each in RESP3 and RESP2: the four ways every adapter must work.
pub fn all_configs(server: &RedisServer) -> Vec<ConnectionConfig> {
    let mut configs = Vec::new();
    for base in [tcp_config(server), unix_config(server)] {
        for protocol in [ProtocolVersion::Resp3, ProtocolVersion::Resp2] {
            configs.push(base.clone().with_protocol(protocol));
        }
    }
    configs
}

/// A command from its words: `cmd(&["SET", "k", "v"])`.
pub fn cmd(args: &[&str]) -> Cmd {
    Cmd::from_args(args)
}
