//! fred 10.1 on a tokio runtime (current-thread unless a multi-thread workload asks
//! for workers), used as its documentation shows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use fred::prelude::{Builder, ClientLike, Config, KeysInterface};

use super::exec::{Exec, Tokio};
use super::{Subject, fail};

pub(crate) struct Fred {
    // Dropped before the runtime that drives it.
    client: fred::prelude::Client,
    exec: Tokio,
}

impl Fred {
    pub(crate) fn connect(url: &str, workers: Option<usize>) -> Result<Fred, String> {
        let exec = Tokio::new(workers);
        let config = Config::from_url(url).map_err(fail("config"))?;
        let client = Builder::from_config(config)
            .build()
            .map_err(fail("client"))?;
        exec.block_on(client.init()).map_err(fail("connect"))?;
        Ok(Fred { client, exec })
    }
}

impl Subject for Fred {
    fn sequential(&mut self, key: &Bytes, ops: usize, latencies: &mut Vec<Duration>) -> usize {
        let client = &self.client;
        self.exec.block_on(async {
            let mut found = 0;
            for _ in 0..ops {
                let start = Instant::now();
                let value: Option<Bytes> = client.get(key.clone()).await.expect("GET");
                latencies.push(start.elapsed());
                found += usize::from(value.is_some());
            }
            found
        })
    }

    fn pipelined(&mut self, keys: &[Bytes], value: &Bytes, batch: usize) -> usize {
        let client = &self.client;
        self.exec.block_on(async {
            for chunk in keys.chunks(batch) {
                let pipe = client.pipeline();
                for key in chunk {
                    let () = pipe
                        .set(key.clone(), value.clone(), None, None, false)
                        .await
                        .expect("queue SET");
                }
                let _: Vec<fred::types::Value> = pipe.all().await.expect("SET pipeline");
            }
            let mut found = 0;
            for chunk in keys.chunks(batch) {
                let pipe = client.pipeline();
                for key in chunk {
                    let () = pipe.get(key.clone()).await.expect("queue GET");
                }
                let values: Vec<Option<Bytes>> = pipe.all().await.expect("GET pipeline");
                found += values
                    .iter()
                    .filter(|read| read.as_ref() == Some(value))
                    .count();
            }
            found
        })
    }

    fn multiplexed(&mut self, keys: Arc<[Bytes]>, tasks: usize, per_task: usize) -> Option<usize> {
        let found = self.exec.run_tasks(tasks, |task| {
            let client = self.client.clone();
            let keys = keys.clone();
            async move {
                let mut found = 0;
                for i in 0..per_task {
                    let key = keys[(task * per_task + i) % keys.len()].clone();
                    let value: Option<Bytes> = client.get(key).await.expect("GET");
                    found += usize::from(value.is_some());
                }
                found
            }
        });
        Some(found)
    }

    fn mget(&mut self, keys: &[Bytes], calls: usize) -> usize {
        let client = &self.client;
        self.exec.block_on(async {
            let mut found = 0;
            for _ in 0..calls {
                let values: Vec<Option<Bytes>> = client.mget(keys.to_vec()).await.expect("MGET");
                found += values.iter().filter(|value| value.is_some()).count();
            }
            found
        })
    }
}
