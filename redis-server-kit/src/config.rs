//! A server's settings: limits, what it tells clients about itself.

use std::time::Duration;

use redis_sansio::resp::RequestLimits;

/// Settings every session of a server shares.
/// Build one with struct update syntax: `ServerConfig { max_output: 64 << 10, ..Default::default() }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The core's limits on what a client sends (inline line, arguments, request
    /// size); a request over a limit gets an error reply and the connection closes.
    pub request_limits: RequestLimits,
    /// Backpressure: while a client's unsent output is at least this many bytes, its
    /// requests are not read (nor decoded from what was read). Default 1 MiB.
    pub max_output: usize,
    /// Most replies a client may have waiting (deferred, or ready behind a deferred
    /// one) before its requests are no longer read. Default 10,000.
    pub max_pending: usize,
    /// A client whose unsent output grows past this many bytes through pushes (which
    /// backpressure cannot stop) is disconnected, as Redis's
    /// `client-output-buffer-limit pubsub` hard limit does. Default 32 MiB.
    pub max_push_output: usize,
    /// How many databases `SELECT` accepts (0 to `databases - 1`). Default 16.
    pub databases: u32,
    /// The `server` field of `HELLO`'s reply. Default `"redis"`, which clients such
    /// as redis-cli expect.
    pub server_name: String,
    /// The `version` field of `HELLO`'s reply. Default `"7.2.0"`.
    pub server_version: String,
    /// On shutdown, how long the body waits for deferred replies still owed before
    /// closing the remaining connections. Default 5 s.
    pub shutdown_grace: Duration,
    /// How much room each read is given, in bytes. Default 16 KiB.
    pub read_chunk: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            request_limits: RequestLimits::default(),
            max_output: 1024 * 1024,
            max_pending: 10_000,
            max_push_output: 32 * 1024 * 1024,
            databases: 16,
            server_name: "redis".to_owned(),
            server_version: "7.2.0".to_owned(),
            shutdown_grace: Duration::from_secs(5),
            read_chunk: 16 * 1024,
        }
    }
}
