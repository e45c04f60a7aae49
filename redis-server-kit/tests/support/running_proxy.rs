//! A proxy on a runtime of its own, for the proxy's tests (included by path).
#![allow(dead_code)] // each test file uses part of it

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use redis_io_sync::Connection;
use redis_sansio::config::{ConnectionConfig, ProtocolVersion, ServerAddr};
use redis_server_kit::proxy::{Proxy, ProxyConfig};
use redis_server_kit::tokio::ShutdownHandle;
use redis_server_kit::{BoundAddr, ListenAddr, ServerConfig};

/// A proxy in front of `upstream`, on a free port, served by a thread of its own.
pub(crate) struct RunningProxy {
    /// The proxy's TCP port on 127.0.0.1.
    pub(crate) port: u16,
    shutdown: ShutdownHandle,
    thread: Option<JoinHandle<()>>,
}

impl RunningProxy {
    /// On two worker threads, as on a two-core machine.
    pub(crate) fn start(upstream: ConnectionConfig) -> Self {
        Self::start_on(upstream, Some(2))
    }

    /// On tokio's current-thread runtime, as the proxy example's `--threads 1`:
    /// tasks run one at a time, in the order they were woken.
    pub(crate) fn start_single_threaded(upstream: ConnectionConfig) -> Self {
        Self::start_on(upstream, None)
    }

    /// `workers` worker threads, or the current-thread runtime for `None`.
    fn start_on(upstream: ConnectionConfig, workers: Option<usize>) -> Self {
        let mut builder = match workers {
            Some(workers) => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                builder.worker_threads(workers);
                builder
            }
            None => tokio::runtime::Builder::new_current_thread(),
        };
        let runtime = builder.enable_all().build().expect("a runtime");
        let proxy = Proxy::new(ProxyConfig::new(upstream)).expect("a proxy");
        let (bound, started) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let server = redis_server_kit::tokio::Server::bind(
                    Arc::new(proxy),
                    ServerConfig::default(),
                    &[ListenAddr::Tcp("127.0.0.1:0".into())],
                )
                .await
                .expect("bind");
                let port = match server.local_addrs().first() {
                    Some(BoundAddr::Tcp(addr)) => addr.port(),
                    other => panic!("expected a TCP address, got {other:?}"),
                };
                bound
                    .send((port, server.shutdown_handle()))
                    .expect("the test waits for the port");
                let _ = server.run().await;
            });
        });
        let (port, shutdown) = started.recv().expect("the proxy started");
        RunningProxy {
            port,
            shutdown,
            thread: Some(thread),
        }
    }

    pub(crate) fn config(&self, protocol: ProtocolVersion) -> ConnectionConfig {
        ConnectionConfig::new(ServerAddr::tcp("127.0.0.1", self.port))
            .with_protocol(protocol)
            .with_response_timeout(Duration::from_secs(30))
    }

    pub(crate) fn connect(&self, protocol: ProtocolVersion) -> Connection {
        Connection::connect(self.config(protocol)).expect("connect through the proxy")
    }
}

impl Drop for RunningProxy {
    fn drop(&mut self) {
        self.shutdown.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
