//! This workspace's cluster clients: the blocking `ClusterConnection` and the async
//! `ClusterClient` on tokio.

use std::sync::Arc;

use bytes::Bytes;
use redis_client::cluster::{ClusterClient, ClusterConnection};
use redis_client::prelude::*;
use redis_client::{Pipeline, Replies};
use redis_io_tokio::Tokio as TokioRuntime;
use redis_sansio::resp::Frame;

use super::exec::{Exec, Tokio};
use super::{ClusterSubject, fail};
use crate::params::{Rng, VALUE};

/// `redis_client::cluster::ClusterConnection`. It has no tasks: the `tasks`
/// concurrent operations of the get/set workload are one pipeline of `tasks`
/// commands, which it sends as one pipeline per node, every node at once.
pub(crate) struct Blocking {
    cluster: ClusterConnection,
}

impl Blocking {
    pub(crate) fn connect(seeds: &[String]) -> Result<Blocking, String> {
        let cluster = ClusterConnection::open(seeds).map_err(fail("connect"))?;
        Ok(Blocking { cluster })
    }
}

impl ClusterSubject for Blocking {
    fn get_set(&mut self, keys: Arc<[Bytes]>, tasks: usize, per_task: usize) -> usize {
        let value = Bytes::from_static(VALUE);
        let mut rngs: Vec<Rng> = (0..tasks).map(Rng::for_task).collect();
        let mut pipe = Pipeline::new();
        let mut sets = Vec::with_capacity(tasks);
        let mut found = 0;
        for _ in 0..per_task {
            pipe.clear();
            sets.clear();
            for rng in &mut rngs {
                let (key, set) = rng.op();
                if set {
                    pipe.set(&keys[key], &value);
                } else {
                    pipe.get(&keys[key]);
                }
                sets.push(set);
            }
            let replies = pipe.run(&mut self.cluster).expect("GET/SET pipeline");
            found += count_get_set(replies, &sets);
        }
        found
    }

    fn mset_mget(&mut self, keys: &[Bytes], per_call: usize, calls: usize) -> usize {
        let value = Bytes::from_static(VALUE);
        let mut chosen = Vec::with_capacity(per_call);
        let mut found = 0;
        for call in 0..calls {
            pick(&mut chosen, keys, per_call, call);
            let pairs: Vec<(&Bytes, &Bytes)> = chosen.iter().map(|key| (key, &value)).collect();
            self.cluster.mset(&pairs).expect("MSET");
            found += count_value(&self.cluster.mget(&chosen).expect("MGET"));
        }
        found
    }
}

/// `redis_client::cluster::ClusterClient` on tokio: one multiplexed client per node.
pub(crate) struct Async {
    // Dropped before the runtime that drives it.
    cluster: ClusterClient<TokioRuntime>,
    exec: Tokio,
}

impl Async {
    pub(crate) fn connect(seeds: &[String], workers: Option<usize>) -> Result<Async, String> {
        let exec = Tokio::new(workers);
        let cluster = exec
            .block_on(ClusterClient::<TokioRuntime>::open(seeds))
            .map_err(fail("connect"))?;
        Ok(Async { cluster, exec })
    }
}

impl ClusterSubject for Async {
    fn get_set(&mut self, keys: Arc<[Bytes]>, tasks: usize, per_task: usize) -> usize {
        self.exec.run_tasks(tasks, |task| {
            let cluster = self.cluster.clone();
            let keys = keys.clone();
            async move {
                let value = Bytes::from_static(VALUE);
                let mut rng = Rng::for_task(task);
                let mut found = 0;
                for _ in 0..per_task {
                    let (key, set) = rng.op();
                    if set {
                        cluster.set(&keys[key], &value).await.expect("SET");
                        found += 1;
                    } else {
                        let read = cluster.get(&keys[key]).await.expect("GET");
                        found += usize::from(read.as_ref() == Some(&value));
                    }
                }
                found
            }
        })
    }

    fn mset_mget(&mut self, keys: &[Bytes], per_call: usize, calls: usize) -> usize {
        let cluster = &self.cluster;
        self.exec.block_on(async {
            let value = Bytes::from_static(VALUE);
            let mut chosen = Vec::with_capacity(per_call);
            let mut found = 0;
            for call in 0..calls {
                pick(&mut chosen, keys, per_call, call);
                let pairs: Vec<(&Bytes, &Bytes)> = chosen.iter().map(|key| (key, &value)).collect();
                cluster.mset(&pairs).await.expect("MSET");
                found += count_value(&cluster.mget(&chosen).await.expect("MGET"));
            }
            found
        })
    }
}

/// `per_call` random keys for call number `call`, the same for every client.
pub(crate) fn pick(chosen: &mut Vec<Bytes>, keys: &[Bytes], per_call: usize, call: usize) {
    let mut rng = Rng::for_task(call);
    chosen.clear();
    chosen.extend((0..per_call).map(|_| keys[rng.key()].clone()));
}

/// How many of the values read are the benchmark's value.
pub(crate) fn count_value(values: &[Option<Bytes>]) -> usize {
    values
        .iter()
        .filter(|read| read.as_deref() == Some(&VALUE[..]))
        .count()
}

/// The `SET`s that succeeded and the `GET`s that read the value, `sets` saying which
/// command was which.
fn count_get_set(replies: Replies, sets: &[bool]) -> usize {
    replies
        .into_outcomes()
        .zip(sets)
        .filter(|(outcome, set)| match outcome {
            Ok(frame) => match frame {
                Frame::SimpleString(ok) => **set && &ok[..] == b"OK",
                Frame::BulkString(read) => !**set && &read[..] == VALUE,
                _ => false,
            },
            Err(_) => false,
        })
        .count()
}
