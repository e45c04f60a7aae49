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
}

impl Workload {
    pub(crate) const ALL: [Workload; 4] = [
        Workload::Sequential,
        Workload::Pipelined,
        Workload::Multiplexed,
        Workload::Mget,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Workload::Sequential => "sequential",
            Workload::Pipelined => "pipelined",
            Workload::Multiplexed => "multiplexed",
            Workload::Mget => "mget",
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
            Workload::Multiplexed => self.tasks * self.per_task,
            Workload::Mget => self.mget_calls,
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
