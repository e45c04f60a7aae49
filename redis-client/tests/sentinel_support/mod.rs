//! What the sentinel tests share: configs for a topology, a closed port, and a
//! bounded wait.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use redis_client::sentinel::SentinelConfig;
use redis_sansio::config::ServerAddr;
use redis_test_support::RedisSentinel;

pub(crate) fn addr(socket: SocketAddr) -> ServerAddr {
    ServerAddr::tcp(socket.ip().to_string(), socket.port())
}

/// A config asking every sentinel of `topology`, in order, for its master.
pub(crate) fn config(topology: &RedisSentinel) -> SentinelConfig {
    config_with(topology.master_name(), topology.sentinel_addrs())
}

pub(crate) fn config_with(
    name: &str,
    sentinels: impl IntoIterator<Item = SocketAddr>,
) -> SentinelConfig {
    let urls: Vec<String> = sentinels
        .into_iter()
        .map(|addr| format!("redis://{addr}"))
        .collect();
    SentinelConfig::new(name, urls).expect("sentinel URLs")
}

/// A loopback address nothing listens on: a port that was just bound and released.
pub(crate) fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("its address")
}

/// Polls `check` every 100 ms until it returns `Ok`, for at most `limit`; panics with
/// the last error after that.
pub(crate) fn wait_for<T>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        match check() {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("{what}: not after {limit:?}; last: {last}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}
