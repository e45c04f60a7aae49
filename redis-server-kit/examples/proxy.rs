//! The pass-through proxy as a program.
//!
//! ```sh
//! cargo run --release -p redis-server-kit --features proxy --example proxy -- \
//!     127.0.0.1:7000 redis://127.0.0.1:6379
//! redis-cli -p 7000 set k v
//! ```
//!
//! Arguments: the address to listen on (`host:port`, or a path for a Unix socket),
//! the upstream's URL, and optionally `--shared N` (shared upstream connections per
//! protocol, default 2) and `--threads N` (tokio worker threads, default: one per
//! core; 1 runs tokio's current-thread runtime).
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::sync::Arc;

use redis_server_kit::proxy::{Proxy, ProxyConfig};
use redis_server_kit::{ListenAddr, ServerConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let listen = args.first().map_or("127.0.0.1:7000", String::as_str);
    let upstream = args.get(1).map_or("redis://127.0.0.1:6379", String::as_str);
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let mut config = ProxyConfig::new(upstream.parse()?);
    if let Some(shared) = option("--shared") {
        config.shared_upstreams = shared;
    }
    let listen = if listen.contains('/') {
        ListenAddr::Unix(PathBuf::from(listen))
    } else {
        ListenAddr::Tcp(listen.to_owned())
    };
    // One thread: tokio's current-thread runtime (no hand-offs between threads).
    let mut runtime = match option("--threads") {
        Some(1) => tokio::runtime::Builder::new_current_thread(),
        Some(threads) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(threads);
            builder
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    };
    runtime.enable_all().build()?.block_on(async {
        let proxy = Proxy::new(config)?;
        let server = redis_server_kit::tokio::Server::bind(
            Arc::new(proxy),
            ServerConfig::default(),
            &[listen],
        )
        .await?;
        println!(
            "proxy listening on {:?}, forwarding to {upstream}",
            server.local_addrs()
        );
        server.run().await?;
        Ok(())
    })
}
