//! redis-rs 1.8: the blocking connection and the tokio multiplexed connection, used
//! as its documentation shows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use redis::aio::MultiplexedConnection;
use redis::{AsyncCommands, Commands};

use super::exec::{Exec, Tokio};
use super::{Subject, fail};

/// `redis::Connection`.
pub(crate) struct Blocking {
    conn: redis::Connection,
}

impl Blocking {
    pub(crate) fn connect(url: &str) -> Result<Blocking, String> {
        let client = redis::Client::open(url).map_err(fail("client"))?;
        let conn = client.get_connection().map_err(fail("connect"))?;
        Ok(Blocking { conn })
    }
}

impl Subject for Blocking {
    fn sequential(&mut self, key: &Bytes, ops: usize, latencies: &mut Vec<Duration>) -> usize {
        let mut found = 0;
        for _ in 0..ops {
            let start = Instant::now();
            let value: Option<Vec<u8>> = self.conn.get(&key[..]).expect("GET");
            latencies.push(start.elapsed());
            found += usize::from(value.is_some());
        }
        found
    }

    fn pipelined(&mut self, keys: &[Bytes], value: &Bytes, batch: usize) -> usize {
        let mut pipe = redis::pipe();
        for chunk in keys.chunks(batch) {
            pipe.clear();
            for key in chunk {
                pipe.set(&key[..], &value[..]).ignore();
            }
            let () = pipe.query(&mut self.conn).expect("SET pipeline");
        }
        let mut found = 0;
        for chunk in keys.chunks(batch) {
            pipe.clear();
            for key in chunk {
                pipe.get(&key[..]);
            }
            let values: Vec<Option<Vec<u8>>> = pipe.query(&mut self.conn).expect("GET pipeline");
            found += count_matching(&values, value);
        }
        found
    }

    fn multiplexed(&mut self, _: Arc<[Bytes]>, _: usize, _: usize) -> Option<usize> {
        None
    }

    fn mget(&mut self, keys: &[Bytes], calls: usize) -> usize {
        let keys: Vec<&[u8]> = keys.iter().map(|key| &key[..]).collect();
        let mut found = 0;
        for _ in 0..calls {
            let values: Vec<Option<Vec<u8>>> = self.conn.mget(&keys).expect("MGET");
            found += values.iter().filter(|value| value.is_some()).count();
        }
        found
    }
}

/// `redis::aio::MultiplexedConnection` on a tokio runtime (current-thread unless a
/// multi-thread workload asks for workers).
pub(crate) struct Mux {
    conn: MultiplexedConnection,
    exec: Tokio,
}

impl Mux {
    pub(crate) fn connect(url: &str, workers: Option<usize>) -> Result<Mux, String> {
        let exec = Tokio::new(workers);
        let client = redis::Client::open(url).map_err(fail("client"))?;
        let conn = exec
            .block_on(client.get_multiplexed_async_connection())
            .map_err(fail("connect"))?;
        Ok(Mux { conn, exec })
    }
}

impl Subject for Mux {
    fn sequential(&mut self, key: &Bytes, ops: usize, latencies: &mut Vec<Duration>) -> usize {
        let conn = &mut self.conn;
        self.exec.block_on(async {
            let mut found = 0;
            for _ in 0..ops {
                let start = Instant::now();
                let value: Option<Vec<u8>> = conn.get(&key[..]).await.expect("GET");
                latencies.push(start.elapsed());
                found += usize::from(value.is_some());
            }
            found
        })
    }

    fn pipelined(&mut self, keys: &[Bytes], value: &Bytes, batch: usize) -> usize {
        let conn = &mut self.conn;
        self.exec.block_on(async {
            let mut pipe = redis::pipe();
            for chunk in keys.chunks(batch) {
                pipe.clear();
                for key in chunk {
                    pipe.set(&key[..], &value[..]).ignore();
                }
                let () = pipe.query_async(conn).await.expect("SET pipeline");
            }
            let mut found = 0;
            for chunk in keys.chunks(batch) {
                pipe.clear();
                for key in chunk {
                    pipe.get(&key[..]);
                }
                let values: Vec<Option<Vec<u8>>> =
                    pipe.query_async(conn).await.expect("GET pipeline");
                found += count_matching(&values, value);
            }
            found
        })
    }

    fn multiplexed(&mut self, keys: Arc<[Bytes]>, tasks: usize, per_task: usize) -> Option<usize> {
        let found = self.exec.run_tasks(tasks, |task| {
            let mut conn = self.conn.clone();
            let keys = keys.clone();
            async move {
                let mut found = 0;
                for i in 0..per_task {
                    let key = &keys[(task * per_task + i) % keys.len()];
                    let value: Option<Vec<u8>> = conn.get(&key[..]).await.expect("GET");
                    found += usize::from(value.is_some());
                }
                found
            }
        });
        Some(found)
    }

    fn mget(&mut self, keys: &[Bytes], calls: usize) -> usize {
        let keys: Vec<&[u8]> = keys.iter().map(|key| &key[..]).collect();
        let conn = &mut self.conn;
        self.exec.block_on(async {
            let mut found = 0;
            for _ in 0..calls {
                let values: Vec<Option<Vec<u8>>> = conn.mget(&keys).await.expect("MGET");
                found += values.iter().filter(|value| value.is_some()).count();
            }
            found
        })
    }
}

fn count_matching(values: &[Option<Vec<u8>>], value: &Bytes) -> usize {
    values
        .iter()
        .filter(|read| read.as_deref() == Some(&value[..]))
        .count()
}
