//! Integration-test harness for the redis-sansio workspace.
//!
//! Every integration test in the workspace runs against real `redis-server`
//! processes that it starts itself, on free loopback ports and on Unix sockets
//! inside a fresh temporary directory. Nothing listens on any address other than
//! `127.0.0.1`, and every process is killed (and reaped) when its handle is
//! dropped, even when the test panics.
//!
//! * [`RedisServer`]: one standalone server, configurable through
//!   [`RedisServer::builder`] (password, ACL users, extra directives, a TLS port,
//!   TLS only).
//! * [`TestCerts`]: a throw-away CA with server and client certificates (rcgen), made
//!   once per test process, for the TLS servers and the clients that trust them.
//! * [`RedisCluster`]: six nodes (three masters, three replicas) joined with
//!   `redis-cli --cluster create`: plain text ([`RedisCluster::start`]), TLS only
//!   ([`RedisCluster::start_tls`]: `port 0`, `tls-cluster yes`), or both
//!   ([`RedisCluster::start_tls_and_plain`]).
//! * [`RedisSentinel`]: a master, one replica and three sentinels monitoring
//!   them as `mymaster`, in plain text ([`RedisSentinel::start`]) or speaking TLS
//!   throughout ([`RedisSentinel::start_tls`]: `tls-replication yes`).
//! * [`tcp_config`], [`unix_config`], [`tls_config`], [`all_configs`] and [`cmd`]: how the adapters'
//!   tests reach a server and spell commands.
//! * [`FakeServer`]: not Redis, a fake that answers the handshake as redis-server 7.0
//!   does and then misbehaves on cue ([`Misbehaviour`]: replies nobody asked for,
//!   push floods, a trickled bulk string), for the hostile-server checks. The only
//!   stand-in for a server, used where a real one cannot be made to misbehave.
//! * [`echo_task`]: one of many concurrent callers of a multiplexed client, checking
//!   that every reply is its own.
//! * [`reconnect`]: the multiplexed client's reconnection checks (faults A to D of
//!   the reconnect supervisor, many tasks through a restart, blocking commands on side
//!   connections), generic over the runtime; [`reconnect_tests!`] instantiates them
//!   for one runtime.
//! * [`pubsub`]: pub/sub on the multiplexed client (subscriptions beside ordinary
//!   calls, dropping, restoring after a reconnect, RESP2's connection of its own),
//!   generic over the runtime; [`pubsub_tests!`] instantiates them for one runtime.
//! * [`StallProxy`]: a loopback TCP proxy that can stop forwarding, for stalls.
//! * [`conformance`]: the one conformance suite every adapter runs, and
//!   [`conformance_tests!`], which instantiates it for one adapter.
//! * [`command`], [`try_command`], [`command_unix`] and [`RawConnection`]: a tiny
//!   RESP client for readiness checks and for poking a server out of band
//!   (`CLIENT KILL`, `DEBUG SLEEP`, ...). It is test tooling, not the product.
//!
//! The binaries are looked up on `PATH`, then in `/usr/bin` and
//! `/usr/local/bin`; `scripts/ensure-redis` installs them on Debian.
//!
//! ```no_run
//! use redis_test_support::{RedisServer, command};
//!
//! let server = RedisServer::start();
//! assert_eq!(command(server.addr(), &["PING"]), "+PONG");
//! ```

pub mod alone;
mod binaries;
mod client_tasks;
mod cluster;
mod configs;
pub mod conformance;
mod fake_server;
mod proxy;
pub mod pubsub;
mod raw;
pub mod reconnect;
mod sentinel;
mod server;
pub mod stale_reads;
mod tls;
mod wait;

pub use binaries::{redis_cli_path, redis_server_path, redis_version};
pub use client_tasks::echo_task;
pub use cluster::RedisCluster;
pub use configs::{all_configs, cmd, tcp_config, tls_config, unix_config};
pub use fake_server::{FakeServer, Misbehaviour};
pub use proxy::StallProxy;
pub use raw::{RawConnection, command, command_unix, try_command};
pub use sentinel::RedisSentinel;
pub use server::{RedisServer, RedisServerBuilder};
pub use tls::{SERVER_NAMES, TestCerts};
