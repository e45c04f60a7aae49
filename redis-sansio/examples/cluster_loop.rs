//! An embedder's cluster client: the core's machines (a `conn::Connection` per node,
//! the `ClusterRouter`, a `ClusterCall` per request) driven by one loop over plain
//! blocking `std::net::TcpStream`s. `redis-client`'s cluster clients are this, with
//! pooling, pipelines, fan-out and async on top.
//!
//! `cargo run -p redis-sansio --example cluster_loop -- 127.0.0.1:7000`
//! (`redis-client/tests/cluster_embedded.rs` runs it against a real cluster).
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::print_stdout
)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use redis_sansio::cluster::{CallAction, ClusterCall, ClusterEvent, ClusterRouter, NodeAddr};
use redis_sansio::cluster::{NodeId, RouterConfig, Routing};
use redis_sansio::conn::{Connection, Event};
use redis_sansio::resp::Frame;
use redis_sansio::{Cmd, RequestError};

/// What one attempt on a node gave: its outcome, or `None` when no connection opened.
type Attempt = Option<Result<Frame, RequestError>>;

/// A cluster client: the router, and one socket plus core connection per node.
pub(crate) struct Cluster {
    router: ClusterRouter,
    addrs: HashMap<NodeId, NodeAddr>,
    nodes: HashMap<NodeId, (TcpStream, Connection)>,
}

impl Cluster {
    /// Reads the topology through `seed` (`host:port`).
    pub(crate) fn connect(seed: &str) -> Result<Cluster, String> {
        let (host, port) = seed.rsplit_once(':').ok_or("host:port")?;
        let port = port.parse().map_err(|_| "a port number")?;
        let mut cluster = Cluster {
            router: ClusterRouter::new(RouterConfig::default()),
            addrs: HashMap::new(),
            nodes: HashMap::new(),
        };
        cluster.router.add_seed(NodeAddr::new(host, port));
        cluster.router.request_refresh(Instant::now());
        cluster.drive();
        match cluster.router.has_topology() {
            true => Ok(cluster),
            false => Err("no node answered CLUSTER SHARDS/SLOTS".into()),
        }
    }

    /// One command, start to end: the `ClusterCall` decides, this loop carries out.
    pub(crate) fn request(&mut self, cmd: &Cmd) -> Result<Frame, String> {
        let routing = Routing::of(cmd).map_err(|e| e.to_string())?;
        let mut call = ClusterCall::new(&routing, self.router.config(), Instant::now());
        let mut last: Attempt = None;
        loop {
            self.drive();
            match call.poll_action(&mut self.router, Instant::now()) {
                Some(CallAction::Send { node, asking }) => {
                    last = self.attempt(node, cmd, asking);
                    let now = Instant::now();
                    match &last {
                        None => call.handle_not_sent(&mut self.router, now),
                        Some(Err(RequestError::Server(e))) => {
                            call.handle_server_error(e, &mut self.router, now)
                        }
                        Some(Err(RequestError::NotSent(_))) => {
                            call.handle_not_sent(&mut self.router, now)
                        }
                        Some(Err(RequestError::Closed(_))) => {
                            call.handle_lost(&mut self.router, now)
                        }
                        Some(_) => call.handle_reply(),
                    }
                }
                Some(CallAction::Wait { until }) => {
                    std::thread::sleep(until.saturating_duration_since(Instant::now()))
                }
                Some(CallAction::Fail(error)) => return Err(error.to_string()),
                _ => return last.ok_or("not sent")?.map_err(|e| e.to_string()),
            }
        }
    }

    /// Carries the router's events out: node addresses, and topology refreshes.
    fn drive(&mut self) {
        let now = Instant::now();
        if self.router.poll_timeout().is_some_and(|t| t <= now) {
            self.router.handle_timeout(now);
        }
        while let Some(event) = self.router.poll_event() {
            match event {
                ClusterEvent::Connect { node, addr } => drop(self.addrs.insert(node, addr)),
                ClusterEvent::Disconnect { node } => drop(self.nodes.remove(&node)),
                ClusterEvent::Refresh { node, command } => {
                    let (now, reply) = (Instant::now(), self.attempt(node, &command.cmd(), false));
                    match reply {
                        Some(Ok(frame)) => drop(self.router.handle_topology(&frame, node, now)),
                        Some(Err(RequestError::Server(e))) => {
                            self.router.handle_refresh_failure(node, Some(&e), now)
                        }
                        _ => self.router.handle_node_failure(node, now),
                    }
                }
                _ => {}
            }
        }
    }

    /// Sends `cmd` (after `ASKING`) on `node`'s connection, opened first when needed,
    /// and pumps bytes until its outcome comes. A dead connection is dropped.
    fn attempt(&mut self, node: NodeId, cmd: &Cmd, asking: bool) -> Attempt {
        if !self.nodes.contains_key(&node) {
            let addr = self.addrs.get(&node)?;
            let socket = TcpStream::connect((addr.host.as_str(), addr.port)).ok()?;
            socket.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
            let config = format!("redis://{}:{}", addr.host, addr.port)
                .parse()
                .ok()?;
            self.nodes
                .insert(node, (socket, Connection::new(config, Instant::now())));
        }
        let (socket, conn) = self.nodes.get_mut(&node)?;
        if asking {
            let _ = conn.send(&Cmd::new("ASKING"), Instant::now());
        }
        let Ok(id) = conn.send(cmd, Instant::now()) else {
            self.nodes.remove(&node); // closed: the next attempt opens another
            return None;
        };
        let outcome = loop {
            while !conn.transmit().is_empty() {
                match socket.write(conn.transmit()) {
                    Ok(n) if n > 0 => conn.advance_transmit(n),
                    _ => conn.handle_eof(Instant::now()),
                }
            }
            let mut done = None;
            while let Some(event) = conn.poll_event() {
                match event {
                    Event::Reply { id: got, result } if got == id => done = Some(result),
                    _ => {}
                }
            }
            if done.is_some() {
                break done;
            }
            match socket.read(conn.read_buf()) {
                Ok(n) if n > 0 => conn.handle_read(n, Instant::now()),
                _ => conn.handle_eof(Instant::now()),
            }
        };
        if matches!(
            outcome,
            Some(Err(RequestError::Closed(_) | RequestError::NotSent(_)))
        ) {
            self.nodes.remove(&node);
        }
        outcome
    }
}

#[allow(dead_code)]
fn main() -> Result<(), String> {
    let seed = std::env::args().nth(1).unwrap_or("127.0.0.1:7000".into());
    let mut cluster = Cluster::connect(&seed)?;
    for i in 0..10 {
        let key = format!("example:{i}");
        cluster.request(&Cmd::new("SET").arg(&key).arg(i))?;
        println!("{key} = {:?}", cluster.request(&Cmd::new("GET").arg(&key))?);
    }
    Ok(())
}
