//! The clients under test, each behind one [`Subject`] interface, and the cluster
//! clients behind [`ClusterSubject`].

mod cluster_ours;
mod cluster_peers;
mod exec;
mod fred;
mod minimal;
mod minimal_async;
mod ours;
mod redis_rs;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::params::Workload;

/// Where the server listens: the worker connects to one of these.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Tcp {
        host: String,
        port: u16,
    },
    Unix {
        path: String,
    },
    /// A cluster's nodes, by `redis://HOST:PORT` seed URL.
    Cluster {
        seeds: Vec<String>,
    },
}

impl Target {
    /// The address as a URL every client here understands (a cluster's first seed).
    pub(crate) fn url(&self) -> String {
        match self {
            Target::Tcp { host, port } => format!("redis://{host}:{port}"),
            Target::Unix { path } => format!("redis+unix://{path}"),
            Target::Cluster { seeds } => seeds.first().cloned().unwrap_or_default(),
        }
    }

    /// Reads the worker argument form: `tcp:HOST:PORT`, `unix:PATH` or
    /// `cluster:URL,URL...`.
    pub(crate) fn parse(arg: &str) -> Result<Target, String> {
        if let Some(path) = arg.strip_prefix("unix:") {
            return Ok(Target::Unix { path: path.into() });
        }
        if let Some(seeds) = arg.strip_prefix("cluster:") {
            let seeds = seeds.split(',').map(str::to_owned).collect();
            return Ok(Target::Cluster { seeds });
        }
        let rest = arg
            .strip_prefix("tcp:")
            .ok_or_else(|| format!("target {arg:?}: expected tcp:HOST:PORT or unix:PATH"))?;
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| format!("target {arg:?}: no port"))?;
        let port = port.parse().map_err(|e| format!("target {arg:?}: {e}"))?;
        Ok(Target::Tcp {
            host: host.into(),
            port,
        })
    }

    /// The worker argument form.
    pub(crate) fn to_arg(&self) -> String {
        match self {
            Target::Tcp { host, port } => format!("tcp:{host}:{port}"),
            Target::Unix { path } => format!("unix:{path}"),
            Target::Cluster { seeds } => format!("cluster:{}", seeds.join(",")),
        }
    }
}

/// One client running the workloads. Every method checks what it reads and returns
/// how many values it read back intact, so a client cannot win by skipping work.
pub(crate) trait Subject {
    /// `GET key`, `ops` times, one round trip at a time, pushing each call's latency.
    fn sequential(&mut self, key: &Bytes, ops: usize, latencies: &mut Vec<Duration>) -> usize;

    /// `SET` every key to `value`, then `GET` every key, `batch` commands per
    /// pipeline. Every `SET` must succeed; returns the `GET`s that read `value`.
    fn pipelined(&mut self, keys: &[Bytes], value: &Bytes, batch: usize) -> usize;

    /// `tasks` concurrent tasks on one connection, each issuing `per_task` `GET`s of
    /// `keys` in turn. `None` for a client without a multiplexed connection.
    fn multiplexed(&mut self, keys: Arc<[Bytes]>, tasks: usize, per_task: usize) -> Option<usize>;

    /// `MGET keys`, `calls` times, every value decoded. Returns the values read.
    fn mget(&mut self, keys: &[Bytes], calls: usize) -> usize;
}

/// A cluster client running the cluster workloads, checking what it reads as
/// [`Subject`]'s methods do.
pub(crate) trait ClusterSubject {
    /// `tasks` concurrent tasks, task `t` issuing `per_task` operations drawn from
    /// [`Rng::for_task(t)`](crate::params::Rng::for_task): `SET key value` or `GET key`.
    /// A blocking client sends each round of the `tasks` operations as one pipeline.
    /// Returns the `SET`s that succeeded plus the `GET`s that read the value.
    fn get_set(&mut self, keys: Arc<[Bytes]>, tasks: usize, per_task: usize) -> usize;

    /// `calls` times: `MSET` of `per_call` random keys to the value, then `MGET` of
    /// the same keys, split by slot. Returns the values read back intact.
    fn mset_mget(&mut self, keys: &[Bytes], per_call: usize, calls: usize) -> usize;
}

/// The clients, by name, in the order tables list them.
pub(crate) const NAMES: [&str; 16] = [
    "minimal",
    "minimal-tokio",
    "minimal-smol",
    "ours-blocking",
    "ours-tokio",
    "ours-tokio-mux",
    "ours-smol-mux",
    "ours-smol-local-mux",
    "ours-async-std-mux",
    "redis-rs-blocking",
    "redis-rs-mux",
    "fred",
    "ours-cluster-blocking",
    "ours-cluster",
    "redis-rs-cluster",
    "fred-cluster",
];

/// Whether the client called `name` runs `workload`: the multiplexed workload needs a
/// multiplexed connection, and the minimal client on an async runtime is there as the
/// floor for sequential latency on that runtime only.
pub(crate) fn runs(name: &str, workload: Workload) -> bool {
    let cluster_client = name.ends_with("-cluster") || name.ends_with("-cluster-blocking");
    if cluster_client || workload.on_cluster() {
        return cluster_client
            && workload.on_cluster()
            && !(name.ends_with("-blocking") && workload.workers().is_some());
    }
    match (name, workload) {
        ("minimal-tokio" | "minimal-smol", workload) => workload == Workload::Sequential,
        // The multi-thread runtime workloads: tokio's multiplexed clients.
        (name, Workload::MultiThread | Workload::MultiThreadMany) => {
            matches!(name, "ours-tokio-mux" | "redis-rs-mux" | "fred")
        }
        (name, Workload::Multiplexed) => {
            name.ends_with("-mux") || name == "fred" || name == "minimal"
        }
        _ => true,
    }
}

/// Connects the cluster client called `name` to the cluster's `seeds`, on a tokio
/// runtime of `workers` worker threads (`None`: current-thread).
pub(crate) fn open_cluster(
    name: &str,
    seeds: &[String],
    workers: Option<usize>,
) -> Result<Box<dyn ClusterSubject>, String> {
    let subject: Box<dyn ClusterSubject> = match name {
        "ours-cluster-blocking" => Box::new(cluster_ours::Blocking::connect(seeds)?),
        "ours-cluster" => Box::new(cluster_ours::Async::connect(seeds, workers)?),
        "redis-rs-cluster" => Box::new(cluster_peers::RedisRs::connect(seeds, workers)?),
        "fred-cluster" => Box::new(cluster_peers::Fred::connect(seeds, workers)?),
        _ => return Err(format!("{name:?} is not a cluster client")),
    };
    Ok(subject)
}

/// Connects the client called `name` to `target`; the tokio clients on a runtime of
/// `workers` worker threads (`None`: current-thread).
pub(crate) fn open(
    name: &str,
    target: &Target,
    workers: Option<usize>,
) -> Result<Box<dyn Subject>, String> {
    let url = target.url();
    let subject: Box<dyn Subject> = match name {
        "minimal" => Box::new(minimal::Minimal::connect(target)?),
        "minimal-tokio" => Box::new(minimal_async::MinimalAsync::connect_tokio(
            exec::Tokio::new(workers),
            target,
        )?),
        "minimal-smol" => Box::new(minimal_async::MinimalAsync::connect_smol(
            exec::Smol,
            target,
        )?),
        "ours-blocking" => Box::new(ours::Blocking::connect(&url)?),
        "ours-tokio" => Box::new(ours::Exclusive::<redis_io_tokio::Tokio, _>::connect(
            exec::Tokio::new(workers),
            &url,
        )?),
        "ours-tokio-mux" => Box::new(ours::Mux::<redis_io_tokio::Tokio, _>::connect(
            exec::Tokio::new(workers),
            &url,
        )?),
        "ours-smol-mux" => Box::new(ours::Mux::<redis_io_async_std::smol::Smol, _>::connect(
            exec::Smol,
            &url,
        )?),
        "ours-smol-local-mux" => Box::new(ours::Mux::<redis_io_async_std::smol::Smol, _>::connect(
            exec::SmolLocal::new(),
            &url,
        )?),
        "ours-async-std-mux" => Box::new(
            ours::Mux::<redis_io_async_std::async_std::AsyncStd, _>::connect(exec::AsyncStd, &url)?,
        ),
        "redis-rs-blocking" => Box::new(redis_rs::Blocking::connect(&url)?),
        "redis-rs-mux" => Box::new(redis_rs::Mux::connect(&url, workers)?),
        "fred" => Box::new(fred::Fred::connect(&url, workers)?),
        _ => return Err(format!("unknown client {name:?}; known: {NAMES:?}")),
    };
    Ok(subject)
}

/// Turns any error into the worker's error text.
pub(crate) fn fail<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |error| format!("{what}: {error}")
}
