//! A Sentinel topology: one master, one replica, three sentinels.

use std::net::SocketAddr;
use std::time::Duration;

use crate::raw::{self, Reply};
use crate::server::RedisServer;
use crate::wait::wait_until;

/// Name under which the sentinels monitor the master.
const MASTER_NAME: &str = "mymaster";
/// Number of sentinels; the quorum is 2.
const SENTINELS: usize = 3;
const QUORUM: usize = 2;
/// Bound on each wait (replication link, sentinel discovery).
const DEADLINE: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// A master, one replica (`replicaof` the master) and three sentinels
/// monitoring the master as `mymaster` with quorum 2,
/// `down-after-milliseconds 1000` and `failover-timeout 5000`.
///
/// [`start`](Self::start) returns once the replica's link is up and every
/// sentinel reports the master's address, knows the replica and knows the two
/// other sentinels, so a failover can be triggered right away (for example by
/// [`RedisServer::kill`] on [`master`](Self::master)). Dropping the handle
/// kills all five processes.
#[derive(Debug)]
pub struct RedisSentinel {
    // Sentinels first: they go before the data nodes on drop.
    sentinels: Vec<RedisServer>,
    replica: RedisServer,
    master: RedisServer,
}

impl RedisSentinel {
    /// Starts the topology and waits (bounded) until it is fully discovered.
    ///
    /// # Panics
    ///
    /// Panics when a process does not start or discovery does not complete
    /// within 30 s.
    pub fn start() -> RedisSentinel {
        Self::start_with(false)
    }

    /// As [`start`](Self::start), but everything speaks TLS (the test CA's
    /// certificates, [`TestCerts::shared`](crate::TestCerts::shared); no client
    /// certificate asked for): every process also has a TLS port, the replica
    /// replicates and the sentinels monitor over TLS (`tls-replication yes`), so the
    /// sentinels name the data nodes' TLS ports and announce their own TLS ports to
    /// each other. The plain-text ports stay, for the harness's own checks.
    pub fn start_tls() -> RedisSentinel {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> RedisSentinel {
        let node = || match tls {
            true => RedisServer::builder().tls().arg("tls-replication yes"),
            false => RedisServer::builder(),
        };
        let master = node().start();
        // The port the others reach a node at, and the one it announces.
        let data_port = |server: &RedisServer| match tls {
            true => server.tls_port().expect("a TLS node has a TLS port"),
            false => server.port(),
        };
        let replica = node()
            .arg(&format!("replicaof 127.0.0.1 {}", data_port(&master)))
            .start();
        wait_for_link(&replica);
        let sentinels = (0..SENTINELS)
            .map(|_| {
                node()
                    .sentinel()
                    .unix_socket(false)
                    .arg(&format!(
                        "sentinel monitor {MASTER_NAME} 127.0.0.1 {} {QUORUM}",
                        data_port(&master)
                    ))
                    .arg(&format!(
                        "sentinel down-after-milliseconds {MASTER_NAME} 1000"
                    ))
                    .arg(&format!("sentinel failover-timeout {MASTER_NAME} 5000"))
                    .start()
            })
            .collect::<Vec<_>>();
        for sentinel in &sentinels {
            wait_for_discovery(sentinel.addr(), data_port(&master), data_port(&replica));
        }
        RedisSentinel {
            sentinels,
            replica,
            master,
        }
    }

    /// The name the sentinels monitor: `"mymaster"`.
    pub fn master_name(&self) -> &str {
        MASTER_NAME
    }

    /// The initial master.
    pub fn master(&self) -> &RedisServer {
        &self.master
    }

    /// The initial replica.
    pub fn replica(&self) -> &RedisServer {
        &self.replica
    }

    /// The three sentinels.
    pub fn sentinels(&self) -> &[RedisServer] {
        &self.sentinels
    }

    /// TCP address of the initial master.
    pub fn master_addr(&self) -> SocketAddr {
        self.master.addr()
    }

    /// TCP address of the initial replica.
    pub fn replica_addr(&self) -> SocketAddr {
        self.replica.addr()
    }

    /// TCP addresses of the sentinels.
    pub fn sentinel_addrs(&self) -> Vec<SocketAddr> {
        self.sentinels.iter().map(RedisServer::addr).collect()
    }

    /// TLS addresses of the sentinels, for a topology from
    /// [`start_tls`](Self::start_tls).
    ///
    /// # Panics
    ///
    /// On a topology started without TLS.
    pub fn sentinel_tls_addrs(&self) -> Vec<SocketAddr> {
        self.sentinels
            .iter()
            .map(|sentinel| sentinel.tls_addr().expect("the sentinels have no TLS port"))
            .collect()
    }
}

fn wait_for_link(replica: &RedisServer) {
    let addr = replica.addr();
    wait_until(
        "the replica's link to its master",
        DEADLINE,
        POLL_INTERVAL,
        || {
            let info = raw::request(addr, &["INFO", "replication"])
                .map_err(|err| err.to_string())?
                .as_text()
                .unwrap_or_default();
            if info
                .lines()
                .any(|line| line.trim() == "master_link_status:up")
            {
                Ok(())
            } else {
                Err(format!("INFO replication: {info}"))
            }
        },
    );
}

fn wait_for_discovery(sentinel: SocketAddr, master_port: u16, replica_port: u16) {
    wait_until("sentinel discovery", DEADLINE, POLL_INTERVAL, || {
        let ask = |args: &[&str]| {
            raw::request(sentinel, args).map_err(|err| format!("{sentinel} {args:?}: {err}"))
        };
        let addr = ask(&["SENTINEL", "get-master-addr-by-name", MASTER_NAME])?;
        let expected = Reply::Array(vec![
            Reply::Bulk(b"127.0.0.1".to_vec()),
            Reply::Bulk(master_port.to_string().into_bytes()),
        ]);
        if addr != expected {
            return Err(format!("{sentinel}: master address {}", addr.render()));
        }
        let replicas = ask(&["SENTINEL", "replicas", MASTER_NAME])?;
        let knows_replica = replicas.as_array().is_some_and(|items| {
            items.iter().any(|item| {
                item.field("port").and_then(Reply::as_int) == Some(i64::from(replica_port))
            })
        });
        if !knows_replica {
            return Err(format!("{sentinel}: replicas {}", replicas.render()));
        }
        let master = ask(&["SENTINEL", "master", MASTER_NAME])?;
        let others = master.field("num-other-sentinels").and_then(Reply::as_int);
        let wanted = i64::try_from(SENTINELS - 1).unwrap_or(i64::MAX);
        if others != Some(wanted) {
            return Err(format!("{sentinel}: num-other-sentinels {others:?}"));
        }
        Ok(())
    });
}
