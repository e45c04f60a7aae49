//! A six-node Redis Cluster (three masters, three replicas) on loopback.

use std::fs::File;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::binaries::redis_cli_path;
use crate::raw::{self, Reply};
use crate::server::RedisServer;
use crate::wait::wait_until;

/// Number of nodes: three masters with one replica each.
const NODES: usize = 6;
/// Total hash slots.
const SLOTS: i64 = 16_384;
/// Bound on `redis-cli --cluster create`.
const CREATE_DEADLINE: Duration = Duration::from_secs(30);
/// Bound on the wait for every node to agree on a healthy cluster.
const STABLE_DEADLINE: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// A six-node Redis Cluster: three masters and three replicas, created with
/// `redis-cli --cluster create ... --cluster-replicas 1`.
///
/// [`start`](Self::start) returns once every node reports `cluster_state:ok`
/// and all nodes report identical `CLUSTER SLOTS` covering all 16384 slots,
/// each range with a replica. Nodes run with `cluster-node-timeout 5000`.
/// Dropping the handle kills every node.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts six cluster-enabled nodes on free ports, joins them and waits
    /// (bounded) until the cluster is healthy and consistent.
    ///
    /// # Panics
    ///
    /// Panics when a node does not start, `redis-cli --cluster create` fails,
    /// or the cluster does not settle within 30 s.
    pub fn start() -> RedisCluster {
        let nodes = (0..NODES)
            .map(|_| RedisServer::builder().cluster().start())
            .collect();
        let cluster = RedisCluster { nodes };
        cluster.create();
        cluster.wait_until_stable();
        cluster
    }

    /// All six nodes, in the order given to `redis-cli --cluster create`
    /// (which makes the first three masters initially).
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// The nodes' TCP addresses.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.nodes.iter().map(RedisServer::addr).collect()
    }

    /// `redis://127.0.0.1:PORT` for every node, usable as seed URLs.
    pub fn seed_urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    fn create(&self) {
        let dir = self.nodes[0].dir();
        let out_path = dir.join("cluster-create.out");
        let open = || {
            File::create(&out_path)
                .unwrap_or_else(|err| panic!("creating {}: {err}", out_path.display()))
        };
        let (stdout, stderr) = (open(), open());
        let mut child = Command::new(redis_cli_path())
            .arg("--cluster")
            .arg("create")
            .args(self.nodes.iter().map(|node| node.addr().to_string()))
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|err| panic!("spawning redis-cli --cluster create: {err}"));
        let deadline = Instant::now() + CREATE_DEADLINE;
        let status = loop {
            if let Some(status) = child.try_wait().expect("waiting for redis-cli") {
                break Some(status);
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(POLL_INTERVAL);
        };
        let output = std::fs::read_to_string(&out_path).unwrap_or_default();
        match status {
            Some(status) if status.success() && output.contains("All 16384 slots covered") => {}
            Some(status) => {
                panic!("redis-cli --cluster create failed ({status}):\n{output}")
            }
            None => panic!(
                "redis-cli --cluster create did not finish within {CREATE_DEADLINE:?}:\n{output}"
            ),
        }
    }

    fn wait_until_stable(&self) {
        wait_until(
            "a healthy, consistent cluster",
            STABLE_DEADLINE,
            POLL_INTERVAL,
            || {
                let mut first: Option<Vec<SlotRange>> = None;
                for node in &self.nodes {
                    let addr = node.addr();
                    let info = raw::request(addr, &["CLUSTER", "INFO"])
                        .map_err(|err| format!("{addr}: CLUSTER INFO: {err}"))?
                        .as_text()
                        .unwrap_or_default();
                    for expected in [
                        "cluster_state:ok".to_owned(),
                        format!("cluster_slots_ok:{SLOTS}"),
                        format!("cluster_known_nodes:{NODES}"),
                    ] {
                        if !info.lines().any(|line| line.trim() == expected) {
                            return Err(format!("{addr}: no {expected} in CLUSTER INFO"));
                        }
                    }
                    let slots = raw::request(addr, &["CLUSTER", "SLOTS"])
                        .map_err(|err| format!("{addr}: CLUSTER SLOTS: {err}"))?;
                    let ranges = parse_slots(&slots).ok_or_else(|| {
                        format!("{addr}: unexpected CLUSTER SLOTS {}", slots.render())
                    })?;
                    check_coverage(&ranges).map_err(|err| format!("{addr}: {err}"))?;
                    match &first {
                        None => first = Some(ranges),
                        Some(seen) if *seen == ranges => {}
                        Some(seen) => {
                            return Err(format!("{addr} disagrees: {ranges:?} vs {seen:?}"));
                        }
                    }
                }
                Ok(())
            },
        );
    }
}

/// One `CLUSTER SLOTS` entry: slot range, master port, replica ports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SlotRange {
    start: i64,
    end: i64,
    master: i64,
    replicas: Vec<i64>,
}

/// Parses `CLUSTER SLOTS` into sorted ranges.
fn parse_slots(reply: &Reply) -> Option<Vec<SlotRange>> {
    let mut ranges = Vec::new();
    for entry in reply.as_array()? {
        let items = entry.as_array()?;
        let port = |node: &Reply| node.as_array()?.get(1)?.as_int();
        let mut replicas = items
            .get(3..)
            .unwrap_or_default()
            .iter()
            .map(port)
            .collect::<Option<Vec<_>>>()?;
        replicas.sort_unstable();
        ranges.push(SlotRange {
            start: items.first()?.as_int()?,
            end: items.get(1)?.as_int()?,
            master: port(items.get(2)?)?,
            replicas,
        });
    }
    ranges.sort();
    Some(ranges)
}

/// Checks that sorted `ranges` cover slots 0..16384 exactly once, each with a
/// replica.
fn check_coverage(ranges: &[SlotRange]) -> Result<(), String> {
    let mut next = 0;
    for range in ranges {
        if range.start != next || range.end < range.start {
            return Err(format!("slot gap or overlap at {next}: {range:?}"));
        }
        if range.replicas.is_empty() {
            return Err(format!(
                "slots {}-{} have no replica yet",
                range.start, range.end
            ));
        }
        next = range.end + 1;
    }
    if next == SLOTS {
        Ok(())
    } else {
        Err(format!("slots covered up to {next} of {SLOTS}"))
    }
}
