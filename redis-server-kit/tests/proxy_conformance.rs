//! The workspace's conformance suite with the proxy as its target: the tokio
//! exclusive connection and multiplexed client talk to every server the suite
//! starts through a proxy in front of it (TCP and Unix; TLS checks stay direct, the
//! proxy does not do TLS). The bodies and the proxies share the suite's tokio runtime
//! (`conformance::tokio_exec`).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use redis_io_tokio::Tokio;
use redis_server_kit::proxy::{Proxy, ProxyConfig};
use redis_server_kit::{BoundAddr, ListenAddr, ServerConfig};
use redis_test_support::conformance::tokio_exec::{self, runtime};
use redis_test_support::conformance::{Executor, FrontAddrs};
use redis_test_support::{RedisServer, tcp_config};

/// The proxy in front of each server, by the server's port: started on first use,
/// kept for the test process (a restarted server keeps its port, and the proxy
/// reconnects to it).
fn proxy_front(server: &RedisServer) -> FrontAddrs {
    static FRONTS: OnceLock<Mutex<HashMap<u16, FrontAddrs>>> = OnceLock::new();
    static SOCKETS: OnceLock<tempfile::TempDir> = OnceLock::new();
    let mut fronts = FRONTS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(addrs) = fronts.get(&server.port()) {
        return addrs.clone();
    }
    let dir = SOCKETS.get_or_init(|| tempfile::tempdir().expect("a socket dir"));
    let socket = dir.path().join(format!("proxy-{}.sock", server.port()));
    let proxy = Proxy::new(ProxyConfig::new(tcp_config(server))).expect("a proxy");
    let bound = runtime()
        .block_on(redis_server_kit::tokio::Server::bind(
            Arc::new(proxy),
            ServerConfig::default(),
            &[
                ListenAddr::Tcp("127.0.0.1:0".into()),
                ListenAddr::Unix(socket.clone()),
            ],
        ))
        .expect("bind the proxy");
    let tcp = match bound.local_addrs().first() {
        Some(BoundAddr::Tcp(addr)) => *addr,
        other => panic!("expected a TCP address, got {other:?}"),
    };
    // Runs until the test process ends.
    runtime().spawn(bound.run());
    let addrs = FrontAddrs {
        tcp,
        unix: Some(socket),
    };
    fronts.insert(server.port(), addrs.clone());
    addrs
}

/// The tokio bodies, through the proxy.
struct ViaProxy;

impl Executor for ViaProxy {
    type Runtime = Tokio;
    const NAME: &'static str = "tokio-via-proxy";

    fn block_on<T>(future: impl Future<Output = T>) -> T {
        tokio_exec::block_on(future)
    }

    fn spawn<T: Send + 'static>(
        future: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> + Send + 'static {
        tokio_exec::spawn(future)
    }

    fn front() -> Option<redis_test_support::conformance::Front> {
        Some(proxy_front)
    }
}

redis_test_support::async_conformance_tests!(ViaProxy);
