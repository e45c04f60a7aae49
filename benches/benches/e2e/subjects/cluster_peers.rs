//! The peers' cluster clients: redis-rs 1.8's `cluster_async::ClusterConnection` and
//! fred 10.1 with a clustered configuration, on tokio, used as their documentation
//! shows.

use std::sync::Arc;

use bytes::Bytes;
use fred::prelude::{Builder, ClientLike, Config, KeysInterface};
use redis::AsyncCommands;

use super::cluster_ours::{count_value, pick};
use super::exec::{Exec, Tokio};
use super::{ClusterSubject, fail};
use crate::params::{Rng, VALUE};

/// `redis::cluster_async::ClusterConnection`: multiplexed connections to every node.
/// It splits `MSET` and `MGET` by slot itself.
pub(crate) struct RedisRs {
    conn: redis::cluster_async::ClusterConnection,
    exec: Tokio,
}

impl RedisRs {
    pub(crate) fn connect(seeds: &[String], workers: Option<usize>) -> Result<RedisRs, String> {
        let exec = Tokio::new(workers);
        let client = redis::cluster::ClusterClient::new(seeds.to_vec()).map_err(fail("client"))?;
        let conn = exec
            .block_on(client.get_async_connection())
            .map_err(fail("connect"))?;
        Ok(RedisRs { conn, exec })
    }
}

impl ClusterSubject for RedisRs {
    fn get_set(&mut self, keys: Arc<[Bytes]>, tasks: usize, per_task: usize) -> usize {
        self.exec.run_tasks(tasks, |task| {
            let mut conn = self.conn.clone();
            let keys = keys.clone();
            async move {
                let mut rng = Rng::for_task(task);
                let mut found = 0;
                for _ in 0..per_task {
                    let (key, set) = rng.op();
                    if set {
                        let () = conn.set(&keys[key][..], &VALUE[..]).await.expect("SET");
                        found += 1;
                    } else {
                        let read: Option<Vec<u8>> = conn.get(&keys[key][..]).await.expect("GET");
                        found += usize::from(read.as_deref() == Some(&VALUE[..]));
                    }
                }
                found
            }
        })
    }

    fn mset_mget(&mut self, keys: &[Bytes], per_call: usize, calls: usize) -> usize {
        let conn = &mut self.conn;
        self.exec.block_on(async {
            let mut chosen = Vec::with_capacity(per_call);
            let mut found = 0;
            for call in 0..calls {
                pick(&mut chosen, keys, per_call, call);
                let pairs: Vec<(&[u8], &[u8])> =
                    chosen.iter().map(|key| (&key[..], &VALUE[..])).collect();
                let () = conn.mset(&pairs).await.expect("MSET");
                let names: Vec<&[u8]> = chosen.iter().map(|key| &key[..]).collect();
                let values: Vec<Option<Bytes>> = conn
                    .mget::<_, Vec<Option<Vec<u8>>>>(&names)
                    .await
                    .expect("MGET")
                    .into_iter()
                    .map(|value| value.map(Bytes::from))
                    .collect();
                found += count_value(&values);
            }
            found
        })
    }
}

/// fred's client with `ServerConfig::Clustered`. fred does not split commands whose
/// keys span slots: the keys are grouped by slot (`fred::util::group_by_hash_slot`)
/// and one `MSET`, then one `MGET`, per slot sent as one pipeline, which fred sends
/// to each slot's node.
pub(crate) struct Fred {
    // Dropped before the runtime that drives it.
    client: fred::prelude::Client,
    exec: Tokio,
}

impl Fred {
    pub(crate) fn connect(seeds: &[String], workers: Option<usize>) -> Result<Fred, String> {
        let exec = Tokio::new(workers);
        // redis-cluster://HOST:PORT?node=HOST:PORT&node=...
        let hosts: Vec<&str> = seeds
            .iter()
            .map(|seed| seed.trim_start_matches("redis://"))
            .collect();
        let url = format!(
            "redis-cluster://{}?{}",
            hosts[0],
            hosts[1..]
                .iter()
                .map(|host| format!("node={host}"))
                .collect::<Vec<_>>()
                .join("&")
        );
        let config = Config::from_url(&url).map_err(fail("config"))?;
        let client = Builder::from_config(config)
            .build()
            .map_err(fail("client"))?;
        exec.block_on(client.init()).map_err(fail("connect"))?;
        Ok(Fred { client, exec })
    }
}

impl ClusterSubject for Fred {
    fn get_set(&mut self, keys: Arc<[Bytes]>, tasks: usize, per_task: usize) -> usize {
        self.exec.run_tasks(tasks, |task| {
            let client = self.client.clone();
            let keys = keys.clone();
            async move {
                let value = Bytes::from_static(VALUE);
                let mut rng = Rng::for_task(task);
                let mut found = 0;
                for _ in 0..per_task {
                    let (key, set) = rng.op();
                    if set {
                        let () = client
                            .set(keys[key].clone(), value.clone(), None, None, false)
                            .await
                            .expect("SET");
                        found += 1;
                    } else {
                        let read: Option<Bytes> = client.get(keys[key].clone()).await.expect("GET");
                        found += usize::from(read.as_ref() == Some(&value));
                    }
                }
                found
            }
        })
    }

    fn mset_mget(&mut self, keys: &[Bytes], per_call: usize, calls: usize) -> usize {
        let client = &self.client;
        self.exec.block_on(async {
            let value = Bytes::from_static(VALUE);
            let mut chosen = Vec::with_capacity(per_call);
            let mut found = 0;
            for call in 0..calls {
                pick(&mut chosen, keys, per_call, call);
                let groups =
                    fred::util::group_by_hash_slot(chosen.iter().cloned()).expect("slot groups");
                let pipe = client.pipeline();
                for group in groups.values() {
                    let pairs: Vec<(fred::types::Key, Bytes)> = group
                        .iter()
                        .map(|key| (key.clone(), value.clone()))
                        .collect();
                    let () = pipe.mset(pairs).await.expect("queue MSET");
                }
                let _: Vec<fred::types::Value> = pipe.all().await.expect("MSET pipeline");
                let pipe = client.pipeline();
                for group in groups.values() {
                    let () = pipe
                        .mget(group.iter().cloned().collect::<Vec<_>>())
                        .await
                        .expect("queue MGET");
                }
                let parts: Vec<Vec<Option<Bytes>>> = pipe.all().await.expect("MGET pipeline");
                found += parts.iter().map(|part| count_value(part)).sum::<usize>();
            }
            found
        })
    }
}
