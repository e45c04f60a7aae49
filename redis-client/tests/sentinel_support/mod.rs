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

/// How many clients of the sentinel at `sentinel` are subscribed to a channel: the
/// failover watches of the clients under test (sentinels subscribe only on the data
/// nodes, never on each other). 0 when the sentinel cannot be reached.
pub(crate) fn subscribers(sentinel: SocketAddr) -> usize {
    let Ok(list) = redis_test_support::try_command(sentinel, &["CLIENT", "LIST"]) else {
        return 0;
    };
    list.lines()
        .filter(|line| line.split(' ').any(|field| field == "sub=1"))
        .count()
}

/// The index (in `topology.sentinels()`) of the one sentinel with a subscribed client,
/// or why there is none yet.
pub(crate) fn watched_sentinel(topology: &RedisSentinel) -> Result<usize, String> {
    let counts: Vec<usize> = topology
        .sentinel_addrs()
        .into_iter()
        .map(subscribers)
        .collect();
    match counts.iter().position(|&n| n > 0) {
        Some(index) if counts.iter().sum::<usize>() == 1 => Ok(index),
        _ => Err(format!("subscribers per sentinel: {counts:?}")),
    }
}

/// Waits (bounded) until the replica has everything the master has, then asks the
/// sentinel at `sentinel` for a failover.
pub(crate) fn failover_on(topology: &RedisSentinel, sentinel: SocketAddr) {
    wait_caught_up(topology);
    let name = topology.master_name();
    assert_eq!(
        redis_test_support::command(sentinel, &["SENTINEL", "FAILOVER", name]),
        "+OK"
    );
}

/// Waits (bounded) until the replica has everything the master has: their
/// replication offsets are equal.
pub(crate) fn wait_caught_up(topology: &RedisSentinel) {
    let (master, replica) = (topology.master_addr(), topology.replica_addr());
    let offset = |addr| {
        let info = redis_test_support::command(addr, &["INFO", "replication"]);
        info.lines()
            .find_map(|line| line.trim().strip_prefix("master_repl_offset:"))
            .and_then(|value| value.parse::<u64>().ok())
    };
    wait_for(
        "the replica to catch up",
        Duration::from_secs(10),
        || match (offset(master), offset(replica)) {
            (Some(a), Some(b)) if a == b => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
}

/// Waits (bounded, 30 s each) until `sentinel` names the replica as the master, and
/// then until the old master has been demoted (the sentinels do that some seconds
/// after the switch; until then it still takes writes).
pub(crate) fn wait_switched(topology: &RedisSentinel, sentinel: SocketAddr) {
    use redis_test_support::command;
    let (old_master, new_master) = (topology.master_addr(), topology.replica_addr());
    let name = topology.master_name();
    let limit = Duration::from_secs(30);
    wait_for("the sentinel to name the new master", limit, || {
        let reply = command(sentinel, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", name]);
        if reply.contains(&new_master.port().to_string()) {
            Ok(())
        } else {
            Err(reply)
        }
    });
    wait_for("the old master's demotion", limit, || {
        let role = command(old_master, &["ROLE"]);
        if role.starts_with("[slave") {
            Ok(())
        } else {
            Err(role)
        }
    });
}

/// Whether the node at `addr` still says it is a master (the sentinels demote an old
/// master some seconds after they switch to the new one).
pub(crate) fn is_master(addr: SocketAddr) -> bool {
    redis_test_support::command(addr, &["ROLE"]).starts_with("[master")
}
