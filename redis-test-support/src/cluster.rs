//! A six-node Redis Cluster (three masters, three replicas) on loopback, in plain
//! text, over TLS only, or serving both; or primaries alone, for benchmarks.

use std::fs::{self, File};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use redis_sansio::config::{ConnectionConfig, ServerAddr};

use crate::binaries::redis_cli_path;
use crate::raw::Reply;
use crate::server::RedisServer;
use crate::tls::TestCerts;
use crate::wait::wait_until;

/// Number of masters of [`RedisCluster::start`]'s cluster, each with one replica.
const MASTERS: usize = 3;
/// Total hash slots.
const SLOTS: i64 = 16_384;
/// Bound on `redis-cli --cluster create`.
const CREATE_DEADLINE: Duration = Duration::from_secs(30);
/// Bound on the wait for every node to agree on a healthy cluster.
const STABLE_DEADLINE: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Which ports a cluster's nodes listen on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ports {
    /// A plain-text port only.
    Plain,
    /// A TLS port only (`port 0`).
    Tls,
    /// Both, the cluster bus and replication over TLS.
    Both,
}

/// A six-node Redis Cluster: three masters and three replicas, created with
/// `redis-cli --cluster create ... --cluster-replicas 1`.
///
/// [`start`](Self::start) returns once every node reports `cluster_state:ok`
/// and all nodes report identical `CLUSTER SLOTS` covering all 16384 slots,
/// each range with a replica. Nodes run with `cluster-node-timeout 5000`.
/// Dropping the handle kills every node.
///
/// [`start_tls`](Self::start_tls) starts one whose nodes speak TLS only, and
/// [`start_tls_and_plain`](Self::start_tls_and_plain) one that serves both.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
    ports: Ports,
    /// Replicas per master (`--cluster-replicas`).
    replicas: usize,
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
        RedisCluster::start_with(Ports::Plain)
    }

    /// Starts six nodes that speak TLS only: each has a TLS port and no plain-text
    /// port (`port 0`), with `tls-cluster yes` and `tls-replication yes`, so the
    /// cluster bus, replication and `MIGRATE` use TLS too, and the nodes announce
    /// their TLS ports (in `CLUSTER SHARDS` as `tls-port`, in `CLUSTER SLOTS` and in
    /// `MOVED`/`ASK`). Every node requires a client certificate signed by the test CA
    /// (`tls-auth-clients yes`) and presents [`TestCerts::shared`]'s client
    /// certificate to the others; the cluster is created with `redis-cli --cluster
    /// create --tls --cacert --cert --key`. [`tls_seed_configs`](Self::tls_seed_configs)
    /// are settings that reach it; the harness itself talks to the nodes over their
    /// Unix sockets ([`RedisServer::command`]).
    ///
    /// # Panics
    ///
    /// As [`start`](Self::start).
    pub fn start_tls() -> RedisCluster {
        RedisCluster::start_with(Ports::Tls)
    }

    /// As [`start_tls`](Self::start_tls), but each node also keeps a plain-text port:
    /// a cluster serving both. Nodes name their plain-text ports to plain-text
    /// clients and their TLS ports to TLS clients (in `CLUSTER SLOTS` and redirects);
    /// `CLUSTER SHARDS` names both.
    ///
    /// # Panics
    ///
    /// As [`start`](Self::start).
    pub fn start_tls_and_plain() -> RedisCluster {
        RedisCluster::start_with(Ports::Both)
    }

    /// Starts `masters` plain-text cluster nodes with no replicas, each serving an
    /// equal share of the slots (`--cluster-replicas 0`), and waits as
    /// [`start`](Self::start) does. For benchmarks, where replicas would only add
    /// replication work on the machine's CPUs.
    ///
    /// # Panics
    ///
    /// As [`start`](Self::start), and when `masters` is below 3 (the least
    /// `redis-cli --cluster create` accepts).
    pub fn start_primaries(masters: usize) -> RedisCluster {
        assert!(masters >= 3, "redis-cli --cluster create needs 3 masters");
        RedisCluster::start_nodes(Ports::Plain, masters, 0)
    }

    fn start_with(ports: Ports) -> RedisCluster {
        RedisCluster::start_nodes(ports, MASTERS, 1)
    }

    fn start_nodes(ports: Ports, masters: usize, replicas: usize) -> RedisCluster {
        let nodes = (0..masters * (1 + replicas))
            .map(|_| {
                let builder = RedisServer::builder().cluster();
                match ports {
                    Ports::Plain => builder,
                    Ports::Tls => builder.tls_client_auth().tls_only().tls_cluster(),
                    Ports::Both => builder.tls_client_auth().tls_cluster(),
                }
                .start()
            })
            .collect();
        let cluster = RedisCluster {
            nodes,
            ports,
            replicas,
        };
        cluster.create();
        cluster.wait_until_stable();
        cluster
    }

    /// Every node (six, or the primaries alone), in the order given to `redis-cli --cluster create`
    /// (which makes the first ones masters initially).
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// Whether the nodes speak TLS (started by [`start_tls`](Self::start_tls) or
    /// [`start_tls_and_plain`](Self::start_tls_and_plain)).
    pub fn is_tls(&self) -> bool {
        self.ports != Ports::Plain
    }

    /// The nodes' plain-text TCP addresses; in a TLS-only cluster, which has none,
    /// their TLS addresses.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        match self.ports {
            Ports::Tls => self.tls_addrs(),
            Ports::Plain | Ports::Both => self.nodes.iter().map(RedisServer::addr).collect(),
        }
    }

    /// The nodes' TLS addresses (empty for a plain-text cluster).
    pub fn tls_addrs(&self) -> Vec<SocketAddr> {
        self.nodes
            .iter()
            .filter_map(RedisServer::tls_addr)
            .collect()
    }

    /// `redis://127.0.0.1:PORT` for every node, usable as seed URLs; in a TLS-only
    /// cluster `rediss://127.0.0.1:TLS_PORT`, which on their own trust the system's
    /// roots and not the test CA: see [`tls_seed_configs`](Self::tls_seed_configs).
    pub fn seed_urls(&self) -> Vec<String> {
        match self.ports {
            Ports::Tls => self
                .tls_addrs()
                .iter()
                .map(|addr| format!("rediss://{addr}"))
                .collect(),
            Ports::Plain | Ports::Both => self.nodes.iter().map(RedisServer::url).collect(),
        }
    }

    /// Seed settings for every node's TLS port: `rediss://127.0.0.1:TLS_PORT`,
    /// trusting the test CA only and presenting its client certificate (RESP3).
    /// Empty for a plain-text cluster.
    pub fn tls_seed_configs(&self) -> Vec<ConnectionConfig> {
        let certs = TestCerts::shared();
        self.tls_addrs()
            .iter()
            .map(|addr| {
                let config = ConnectionConfig::default()
                    .with_addr(ServerAddr::tcp(addr.ip().to_string(), addr.port()))
                    .with_tls(true);
                certs
                    .trusted_by(config)
                    .with_tls_client_identity(certs.client_identity())
            })
            .collect()
    }

    fn create(&self) {
        let dir = self.nodes[0].dir();
        let out_path = dir.join("cluster-create.out");
        let open = || {
            File::create(&out_path)
                .unwrap_or_else(|err| panic!("creating {}: {err}", out_path.display()))
        };
        let (stdout, stderr) = (open(), open());
        let mut command = Command::new(redis_cli_path());
        let addrs = if self.is_tls() {
            let certs = TestCerts::shared();
            let mut tls_args = Vec::new();
            for (flag, file, pem) in [
                ("--cacert", "cli-ca.crt", certs.ca_pem()),
                ("--cert", "cli-client.crt", certs.client_cert_pem()),
                ("--key", "cli-client.key", certs.client_key_pem()),
            ] {
                let path = dir.join(file);
                fs::write(&path, pem)
                    .unwrap_or_else(|err| panic!("writing {}: {err}", path.display()));
                tls_args.push(flag.into());
                tls_args.push(path.into_os_string());
            }
            command.arg("--tls").args(tls_args);
            self.tls_addrs()
        } else {
            self.addrs()
        };
        let mut child = command
            .arg("--cluster")
            .arg("create")
            .args(addrs.iter().map(ToString::to_string))
            .args([
                "--cluster-replicas",
                &self.replicas.to_string(),
                "--cluster-yes",
            ])
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
                    // Over plain text: TCP, or the Unix socket of a TLS-only node.
                    let addr = node.endpoint();
                    let info = addr
                        .request(&["CLUSTER", "INFO"])
                        .map_err(|err| format!("{addr}: CLUSTER INFO: {err}"))?
                        .as_text()
                        .unwrap_or_default();
                    for expected in [
                        "cluster_state:ok".to_owned(),
                        format!("cluster_slots_ok:{SLOTS}"),
                        format!("cluster_known_nodes:{}", self.nodes.len()),
                    ] {
                        if !info.lines().any(|line| line.trim() == expected) {
                            return Err(format!("{addr}: no {expected} in CLUSTER INFO"));
                        }
                    }
                    let slots = addr
                        .request(&["CLUSTER", "SLOTS"])
                        .map_err(|err| format!("{addr}: CLUSTER SLOTS: {err}"))?;
                    let ranges = parse_slots(&slots).ok_or_else(|| {
                        format!("{addr}: unexpected CLUSTER SLOTS {}", slots.render())
                    })?;
                    check_coverage(&ranges, self.replicas > 0)
                        .map_err(|err| format!("{addr}: {err}"))?;
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
/// replica when `with_replicas`.
fn check_coverage(ranges: &[SlotRange], with_replicas: bool) -> Result<(), String> {
    let mut next = 0;
    for range in ranges {
        if range.start != next || range.end < range.start {
            return Err(format!("slot gap or overlap at {next}: {range:?}"));
        }
        if with_replicas && range.replicas.is_empty() {
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
