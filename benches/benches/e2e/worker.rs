//! The worker: one client, one workload, one measurement, in a process of its own.
//!
//! `e2e worker CLIENT WORKLOAD TARGET SIZES...` connects, warms up, measures, checks
//! that every value read back is intact, and prints one line of `name=value` pairs
//! for the orchestrator (see [`Measurement`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::params::{self, CLUSTER_PIPE_KEYS, Sizes, Workload};
use crate::subjects::{self, ClusterSubject, Subject, Target};
use benches::alloc_counter::allocations;
use benches::cpu::process_cpu_time;

/// What one worker run measured. Only the measured part counts: connecting and
/// warming up do not.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Measurement {
    /// Commands, or calls for `MGET`.
    pub(crate) ops: u64,
    pub(crate) wall_ns: u64,
    /// CPU time of the whole client process, every thread.
    pub(crate) cpu_ns: u64,
    /// Heap allocations, every thread.
    pub(crate) allocs: u64,
    /// Latency percentiles, for the sequential workload.
    pub(crate) p50_ns: u64,
    pub(crate) p99_ns: u64,
}

impl Measurement {
    /// The worker's output line.
    pub(crate) fn to_line(self) -> String {
        format!(
            "ops={} wall_ns={} cpu_ns={} allocs={} p50_ns={} p99_ns={}",
            self.ops, self.wall_ns, self.cpu_ns, self.allocs, self.p50_ns, self.p99_ns
        )
    }

    /// Reads [`to_line`](Self::to_line)'s output.
    pub(crate) fn parse(line: &str) -> Result<Measurement, String> {
        let mut m = Measurement::default();
        for pair in line.split_whitespace() {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("bad worker output {line:?}"))?;
            let value: u64 = value
                .parse()
                .map_err(|e| format!("bad worker output {line:?}: {e}"))?;
            let field = match name {
                "ops" => &mut m.ops,
                "wall_ns" => &mut m.wall_ns,
                "cpu_ns" => &mut m.cpu_ns,
                "allocs" => &mut m.allocs,
                "p50_ns" => &mut m.p50_ns,
                "p99_ns" => &mut m.p99_ns,
                _ => return Err(format!("bad worker output {line:?}: unknown {name}")),
            };
            *field = value;
        }
        Ok(m)
    }
}

pub(crate) fn main(args: &[String]) -> Result<(), String> {
    let [client, workload, target, sizes @ ..] = args else {
        return Err("usage: e2e worker CLIENT WORKLOAD TARGET SIZES...".into());
    };
    let workload: Workload = workload.parse()?;
    let target = Target::parse(target)?;
    let sizes = Sizes::from_args(sizes)?;
    let measurement = if workload.on_cluster() {
        let Target::Cluster { seeds } = &target else {
            return Err(format!("{workload} needs a cluster target"));
        };
        let mut subject = subjects::open_cluster(client, seeds, workload.workers())?;
        measure_cluster(&mut *subject, workload, &sizes)?
    } else {
        let mut subject = subjects::open(client, &target, workload.workers())?;
        measure(&mut *subject, workload, &sizes)?
    };
    println!("{}", measurement.to_line());
    Ok(())
}

fn measure(
    subject: &mut dyn Subject,
    workload: Workload,
    sizes: &Sizes,
) -> Result<Measurement, String> {
    let keys = params::keys();
    let shared: Arc<[Bytes]> = keys[..sizes.mget_keys].into();
    let value = Bytes::from_static(params::VALUE);
    let mut latencies = Vec::with_capacity(sizes.sequential_ops);

    // The same work, smaller, so buffers, caches and lazy set-up are warm.
    let warm_keys = &keys[..sizes.batch.min(keys.len())];
    let warm = match workload {
        Workload::Sequential => subject.sequential(&keys[0], 100, &mut latencies),
        Workload::Pipelined => subject.pipelined(warm_keys, &value, sizes.batch),
        Workload::Multiplexed => subject
            .multiplexed(shared.clone(), sizes.tasks, 10)
            .ok_or("this client has no multiplexed connection")?,
        Workload::Mget => subject.mget(&keys[..sizes.mget_keys], 10),
        Workload::MultiThread | Workload::MultiThreadMany => subject
            .multiplexed(shared.clone(), workload.tasks(sizes).0, 10)
            .ok_or("this client has no multiplexed connection")?,
        _ => return Err(format!("{workload} runs on a cluster client")),
    };
    if warm == 0 {
        return Err("the warm-up read no values: is the server filled?".into());
    }
    latencies.clear();

    let started = Started::now();
    let (found, expected) = match workload {
        Workload::Sequential => (
            subject.sequential(&keys[0], sizes.sequential_ops, &mut latencies),
            sizes.sequential_ops,
        ),
        Workload::Pipelined => (
            subject.pipelined(&keys[..sizes.keys], &value, sizes.batch),
            sizes.keys,
        ),
        Workload::Multiplexed => (
            subject
                .multiplexed(shared, sizes.tasks, sizes.per_task)
                .unwrap_or(0),
            sizes.tasks * sizes.per_task,
        ),
        Workload::Mget => (
            subject.mget(&keys[..sizes.mget_keys], sizes.mget_calls),
            sizes.mget_keys * sizes.mget_calls,
        ),
        Workload::MultiThread | Workload::MultiThreadMany => {
            let (tasks, per_task) = workload.tasks(sizes);
            (
                subject.multiplexed(shared, tasks, per_task).unwrap_or(0),
                tasks * per_task,
            )
        }
        _ => return Err(format!("{workload} runs on a cluster client")),
    };
    started.finish(workload, sizes, (found, expected), latencies)
}

/// Measures a cluster workload, as [`measure`] does the others.
fn measure_cluster(
    subject: &mut dyn ClusterSubject,
    workload: Workload,
    sizes: &Sizes,
) -> Result<Measurement, String> {
    let keys = params::keys();
    let shared: Arc<[Bytes]> = keys[..].into();
    let (tasks, per_task) = workload.tasks(sizes);
    // Warm up: every node's connection open, the slot table known.
    let warm = match workload {
        Workload::ClusterPipe => subject.mset_mget(&keys, CLUSTER_PIPE_KEYS, 10),
        _ => subject.get_set(shared.clone(), tasks, 10),
    };
    if warm == 0 {
        return Err("the warm-up read no values: is the cluster filled?".into());
    }
    let started = Started::now();
    let (found, expected) = match workload {
        Workload::ClusterPipe => (
            subject.mset_mget(&keys, CLUSTER_PIPE_KEYS, sizes.mget_calls),
            CLUSTER_PIPE_KEYS * sizes.mget_calls,
        ),
        _ => (subject.get_set(shared, tasks, per_task), tasks * per_task),
    };
    started.finish(workload, sizes, (found, expected), Vec::new())
}

/// The figures taken when the measured part starts.
struct Started {
    start: Instant,
    cpu: Duration,
    allocs: u64,
}

impl Started {
    fn now() -> Started {
        let allocs = allocations();
        let cpu = process_cpu_time();
        Started {
            start: Instant::now(),
            cpu,
            allocs,
        }
    }

    /// The measurement of the part that just ended, once every value read back is
    /// checked: `found` of `expected` values intact.
    fn finish(
        self,
        workload: Workload,
        sizes: &Sizes,
        (found, expected): (usize, usize),
        latencies: Vec<Duration>,
    ) -> Result<Measurement, String> {
        finish(workload, sizes, self, found, expected, latencies)
    }
}

fn finish(
    workload: Workload,
    sizes: &Sizes,
    Started { start, cpu, allocs }: Started,
    found: usize,
    expected: usize,
    mut latencies: Vec<Duration>,
) -> Result<Measurement, String> {
    let wall = start.elapsed();
    let cpu = process_cpu_time() - cpu;
    let allocs = allocations() - allocs;
    if found != expected {
        return Err(format!(
            "{workload}: read {found} values intact, expected {expected}"
        ));
    }
    latencies.sort_unstable();
    Ok(Measurement {
        ops: sizes.ops(workload) as u64,
        wall_ns: nanos(wall),
        cpu_ns: nanos(cpu),
        allocs,
        p50_ns: percentile(&latencies, 0.50),
        p99_ns: percentile(&latencies, 0.99),
    })
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// The `q` quantile of sorted latencies, in nanoseconds; 0 when there are none.
fn percentile(sorted: &[Duration], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    nanos(sorted[index])
}
