//! Every public type that holds credentials keeps them out of `Debug` and `Display`:
//! the core connection (whose transmit buffer holds `HELLO ... AUTH user password`
//! until it is written), the configurations, the adapters' connections and clients,
//! the pools and their connections, the cluster connection and the sentinel settings.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]
// Tests may read the clock; the core may not.
#![allow(clippy::disallowed_methods)]

use std::fmt::Debug;
use std::time::Instant;

use redis_client::cluster::{ClusterConnection, RouterConfig};
use redis_client::pool::PoolConfig;
use redis_client::sentinel::SentinelConfig;
use redis_sansio::config::{ConnectionConfig, ProtocolVersion, ServerAddr};
use redis_test_support::{RedisCluster, RedisServer, tcp_config};

const USER: &str = "keeper";
const PASSWORD: &str = "pw-that-must-not-leak";

/// Fails if `value`'s `Debug` (alternate form too) shows the password.
fn assert_debug_hides<T: Debug>(what: &str, value: &T) {
    for text in [format!("{value:?}"), format!("{value:#?}")] {
        assert!(
            !text.contains(PASSWORD),
            "{what}'s Debug shows the password: {text}"
        );
    }
}

fn with_credentials(config: ConnectionConfig) -> ConnectionConfig {
    config.with_username(USER).with_password(PASSWORD)
}

fn server() -> RedisServer {
    RedisServer::builder().acl_user(USER, PASSWORD).start()
}

#[test]
fn the_core_connection_hides_the_handshake_it_has_not_written() {
    for protocol in [ProtocolVersion::Resp3, ProtocolVersion::Resp2] {
        let config = with_credentials(ConnectionConfig::default()).with_protocol(protocol);
        let conn = redis_sansio::conn::Connection::new(config, Instant::now());
        let transmit = String::from_utf8_lossy(conn.transmit()).into_owned();
        assert!(
            transmit.contains(PASSWORD),
            "the handshake carries the password"
        );
        assert_debug_hides("core Connection", &conn);
    }
}

#[test]
fn configurations_hide_the_password() {
    let config = with_credentials(ConnectionConfig::new(ServerAddr::tcp("cache", 6379)));
    assert_debug_hides("ConnectionConfig", &config);
    let shown = config.to_string();
    assert!(
        !shown.contains(PASSWORD),
        "ConnectionConfig's Display: {shown}"
    );
    let sentinel = SentinelConfig::new("mymaster", ["redis://127.0.0.1:26379"])
        .expect("a sentinel URL")
        .with_sentinel_username(USER)
        .with_sentinel_password(PASSWORD)
        .with_node(config);
    assert_debug_hides("SentinelConfig", &sentinel);
}

#[test]
fn blocking_bodies_hide_the_password() {
    let server = server();
    let config = with_credentials(tcp_config(&server));
    let conn = redis_io_sync::Connection::connect(config.clone()).expect("connect");
    assert_debug_hides("redis_io_sync::Connection", &conn);

    // Before its first run, the fan-out's connection still holds the handshake.
    let mut fanout = redis_io_sync::Fanout::new().expect("a poller");
    let id = fanout.add(config.clone()).expect("add");
    assert_debug_hides("Fanout (handshake unwritten)", &fanout);
    fanout.run(None).expect("run");
    assert!(fanout.close_reason(id).is_none(), "the handshake failed");
    assert_debug_hides("Fanout", &fanout);

    let pool = redis_client::pool::blocking::Pool::new(config, PoolConfig::default());
    let pooled = pool.get().expect("a pooled connection");
    assert_debug_hides("blocking PooledConnection", &pooled);
    assert_debug_hides("blocking Pool", &pool);
}

#[test]
fn async_bodies_hide_the_password() {
    let server = server();
    let config = with_credentials(tcp_config(&server));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let conn = redis_io_tokio::Connection::connect(config.clone())
            .await
            .expect("connect");
        assert_debug_hides("async Connection", &conn);
        let client = redis_io_tokio::Client::connect(config.clone())
            .await
            .expect("connect");
        assert_debug_hides("async Client", &client);
        let pool = redis_client::pool::exclusive::Pool::<redis_io_tokio::Tokio>::new(
            config,
            PoolConfig::default(),
        );
        let pooled = pool.get().await.expect("a pooled connection");
        assert_debug_hides("async PooledConnection", &pooled);
        assert_debug_hides("async Pool", &pool);
    });
}

#[test]
fn the_cluster_connection_hides_the_password() {
    let cluster = RedisCluster::start();
    let rule = format!(">{PASSWORD}");
    for node in cluster.nodes() {
        let set = node.command(&["ACL", "SETUSER", USER, "on", &rule, "~*", "&*", "+@all"]);
        assert_eq!(set, "+OK", "ACL SETUSER on {}", node.addr());
    }
    let seeds = cluster
        .addrs()
        .into_iter()
        .map(|addr| {
            let config = ConnectionConfig::new(ServerAddr::tcp("127.0.0.1", addr.port()));
            with_credentials(config)
        })
        .collect();
    let mut conn = ClusterConnection::connect(seeds, RouterConfig::default()).expect("connect");
    conn.request(&redis_sansio::Cmd::new("SET").arg("secret:k").arg("v"))
        .expect("SET");
    assert_debug_hides("ClusterConnection", &conn);
}
