//! The workloads and their sizes, shared by the orchestrator and the workers.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;

/// One kind of measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Workload {
    /// `GET` of a 16-byte value, one round trip at a time: latency percentiles.
    Sequential,
    /// `SET` then `GET` of every key, in pipelines of [`Sizes::batch`]: ops/s.
    Pipelined,
    /// [`Sizes::tasks`] tasks issuing `GET` on one multiplexed connection: ops/s.
    Multiplexed,
    /// `MGET` of [`Sizes::mget_keys`] keys: calls/s.
    Mget,
    /// The multiplexed workload on a multi-thread tokio runtime of [`MT_WORKERS`]
    /// workers, [`Sizes::tasks`] tasks: ops/s.
    MultiThread,
    /// The same with [`MT_MANY_TASKS`] tasks, each issuing an eighth as many `GET`s.
    MultiThreadMany,
    /// Against a cluster of three primaries: [`Sizes::tasks`] tasks each issuing
    /// [`Sizes::per_task`] `GET`s or `SET`s (half each, at random) of random keys
    /// of the whole keyspace; a current-thread runtime: ops/s.
    Cluster,
    /// [`Workload::Cluster`] on a multi-thread tokio runtime of [`MT_WORKERS`] workers.
    ClusterMultiThread,
    /// Against the cluster: `MSET` of [`CLUSTER_PIPE_KEYS`] random keys, then `MGET`
    /// of the same keys, [`Sizes::mget_calls`] times, each split by slot: keys/s.
    ClusterPipe,
}

/// Worker threads of the multi-thread runtime workloads.
pub(crate) const MT_WORKERS: usize = 2;

/// Tasks of [`Workload::MultiThreadMany`].
pub(crate) const MT_MANY_TASKS: usize = 512;

/// Keys per `MSET` and `MGET` of [`Workload::ClusterPipe`].
pub(crate) const CLUSTER_PIPE_KEYS: usize = 100;

impl Workload {
    pub(crate) const ALL: [Workload; 9] = [
        Workload::Sequential,
        Workload::Pipelined,
        Workload::Multiplexed,
        Workload::Mget,
        Workload::MultiThread,
        Workload::MultiThreadMany,
        Workload::Cluster,
        Workload::ClusterMultiThread,
        Workload::ClusterPipe,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Workload::Sequential => "sequential",
            Workload::Pipelined => "pipelined",
            Workload::Multiplexed => "multiplexed",
            Workload::Mget => "mget",
            Workload::MultiThread => "mt-64",
            Workload::MultiThreadMany => "mt-512",
            Workload::Cluster => "cluster",
            Workload::ClusterMultiThread => "cluster-mt",
            Workload::ClusterPipe => "cluster-pipe",
        }
    }

    /// Whether the workload runs against the cluster rather than the one server.
    pub(crate) fn on_cluster(self) -> bool {
        matches!(
            self,
            Workload::Cluster | Workload::ClusterMultiThread | Workload::ClusterPipe
        )
    }

    /// The worker threads of the workload's tokio runtime: `None` for a
    /// current-thread runtime.
    pub(crate) fn workers(self) -> Option<usize> {
        match self {
            Workload::MultiThread | Workload::MultiThreadMany | Workload::ClusterMultiThread => {
                Some(MT_WORKERS)
            }
            _ => None,
        }
    }

    /// Tasks and operations per task of the workloads that run many tasks.
    pub(crate) fn tasks(self, sizes: &Sizes) -> (usize, usize) {
        match self {
            Workload::MultiThreadMany => {
                (MT_MANY_TASKS, sizes.per_task * sizes.tasks / MT_MANY_TASKS)
            }
            _ => (sizes.tasks, sizes.per_task),
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Workload {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Workload::ALL
            .into_iter()
            .find(|workload| workload.name() == s)
            .ok_or_else(|| format!("unknown workload {s:?}"))
    }
}

/// How big each workload is. The defaults are the issue's; `--quick` divides them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sizes {
    /// Round trips in the sequential workload.
    pub(crate) sequential_ops: usize,
    /// Keys written then read by the pipelined workload.
    pub(crate) keys: usize,
    /// Commands per pipeline.
    pub(crate) batch: usize,
    /// Concurrent tasks of the multiplexed workload.
    pub(crate) tasks: usize,
    /// `GET`s each of those tasks issues.
    pub(crate) per_task: usize,
    /// Keys per `MGET`.
    pub(crate) mget_keys: usize,
    /// `MGET` calls.
    pub(crate) mget_calls: usize,
}

impl Sizes {
    pub(crate) const FULL: Sizes = Sizes {
        sequential_ops: 20_000,
        keys: 100_000,
        batch: 1_000,
        tasks: 64,
        per_task: 2_000,
        mget_keys: 1_000,
        mget_calls: 1_000,
    };

    pub(crate) const QUICK: Sizes = Sizes {
        sequential_ops: 2_000,
        keys: 10_000,
        batch: 1_000,
        tasks: 64,
        per_task: 200,
        mget_keys: 1_000,
        mget_calls: 100,
    };

    /// Commands (or calls, for `MGET`) one run of `workload` makes.
    pub(crate) fn ops(&self, workload: Workload) -> usize {
        match workload {
            Workload::Sequential => self.sequential_ops,
            Workload::Pipelined => 2 * self.keys,
            Workload::Multiplexed
            | Workload::MultiThread
            | Workload::MultiThreadMany
            | Workload::Cluster
            | Workload::ClusterMultiThread => {
                let (tasks, per_task) = workload.tasks(self);
                tasks * per_task
            }
            Workload::Mget => self.mget_calls,
            Workload::ClusterPipe => 2 * CLUSTER_PIPE_KEYS * self.mget_calls,
        }
    }

    /// The sizes as `"name": value` JSON members, for the results file.
    pub(crate) fn to_json_members(self) -> String {
        format!(
            "\"sequential_ops\": {}, \"keys\": {}, \"batch\": {}, \"tasks\": {}, \
             \"per_task\": {}, \"mget_keys\": {}, \"mget_calls\": {}",
            self.sequential_ops,
            self.keys,
            self.batch,
            self.tasks,
            self.per_task,
            self.mget_keys,
            self.mget_calls
        )
    }

    /// The sizes as worker arguments.
    pub(crate) fn to_args(self) -> Vec<String> {
        [
            self.sequential_ops,
            self.keys,
            self.batch,
            self.tasks,
            self.per_task,
            self.mget_keys,
            self.mget_calls,
        ]
        .iter()
        .map(usize::to_string)
        .collect()
    }

    /// Reads what [`to_args`](Self::to_args) wrote.
    pub(crate) fn from_args(args: &[String]) -> Result<Sizes, String> {
        let numbers = args
            .iter()
            .map(|arg| {
                arg.parse::<usize>()
                    .map_err(|e| format!("size {arg:?}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let [
            sequential_ops,
            keys,
            batch,
            tasks,
            per_task,
            mget_keys,
            mget_calls,
        ] = numbers[..]
        else {
            return Err(format!("expected 7 sizes, got {}", numbers.len()));
        };
        if keys.max(mget_keys) > KEYSPACE || batch == 0 || tasks == 0 {
            return Err(format!(
                "sizes out of range: at most {KEYSPACE} keys, batch and tasks at least 1"
            ));
        }
        Ok(Sizes {
            sequential_ops,
            keys,
            batch,
            tasks,
            per_task,
            mget_keys,
            mget_calls,
        })
    }
}

/// The value every key holds: 16 bytes.
pub(crate) const VALUE: &[u8; 16] = b"0123456789abcdef";

/// How many keys the server is filled with. Every worker builds all of them, whatever
/// its sizes, so that the two runs whose difference gives the per-command costs do
/// the same set-up work.
pub(crate) const KEYSPACE: usize = 100_000;

/// `key:0` .. `key:{KEYSPACE-1}`: the keys the server is filled with, built before
/// any measurement so no client pays for formatting them.
pub(crate) fn keys() -> Vec<Bytes> {
    (0..KEYSPACE)
        .map(|i| Bytes::from(format!("key:{i}")))
        .collect()
}

/// A small deterministic generator (xorshift64*) for the cluster workloads' random
/// keys, so every client draws the same keys and operations.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// The generator of task `task` (any number; 0 is fine).
    pub(crate) fn for_task(task: usize) -> Rng {
        Rng((task as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A random index into the keyspace.
    pub(crate) fn key(&mut self) -> usize {
        (self.next() >> 32) as usize % KEYSPACE
    }

    /// The next operation of the cluster workload: a random key, and whether it is a
    /// `SET` (half of them) rather than a `GET`.
    pub(crate) fn op(&mut self) -> (usize, bool) {
        let r = self.next();
        ((r >> 32) as usize % KEYSPACE, r & (1 << 7) != 0)
    }
}
