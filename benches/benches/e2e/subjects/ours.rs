//! This workspace's clients: the blocking connection, the async exclusive connection
//! and the multiplexed client, all through the generated command API.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use redis_client::prelude::*;
use redis_client::{Pipeline, Replies, Slot};
use redis_io_async::{Client, Connection, Runtime};

use super::exec::Exec;
use super::{Subject, fail};

/// `redis_io_sync::Connection`.
pub(crate) struct Blocking {
    conn: redis_io_sync::Connection,
}

impl Blocking {
    pub(crate) fn connect(url: &str) -> Result<Blocking, String> {
        let conn = redis_io_sync::Connection::open(url).map_err(fail("connect"))?;
        Ok(Blocking { conn })
    }
}

impl Subject for Blocking {
    fn sequential(&mut self, key: &Bytes, ops: usize, latencies: &mut Vec<Duration>) -> usize {
        let mut found = 0;
        for _ in 0..ops {
            let start = Instant::now();
            let value = self.conn.get(key).expect("GET");
            latencies.push(start.elapsed());
            found += usize::from(value.is_some());
        }
        found
    }

    fn pipelined(&mut self, keys: &[Bytes], value: &Bytes, batch: usize) -> usize {
        let mut pipe = Pipeline::new();
        for chunk in keys.chunks(batch) {
            fill_sets(&mut pipe, chunk, value);
            check_sets(pipe.run(&mut self.conn).expect("SET pipeline"));
        }
        let mut slots = Vec::with_capacity(batch);
        let mut found = 0;
        for chunk in keys.chunks(batch) {
            fill_gets(&mut pipe, chunk, &mut slots);
            let replies = pipe.run(&mut self.conn).expect("GET pipeline");
            found += count_matching(replies, &mut slots, value);
        }
        found
    }

    fn multiplexed(&mut self, _: Arc<[Bytes]>, _: usize, _: usize) -> Option<usize> {
        None
    }

    fn mget(&mut self, keys: &[Bytes], calls: usize) -> usize {
        (0..calls)
            .map(|_| count_some(self.conn.mget(keys).expect("MGET")))
            .sum()
    }
}

/// `redis_io_async::Connection`: one task's own connection.
pub(crate) struct Exclusive<R: Runtime, E> {
    conn: Connection<R>,
    exec: E,
}

impl<R: Runtime, E: Exec> Exclusive<R, E> {
    pub(crate) fn connect(exec: E, url: &str) -> Result<Self, String> {
        let conn = exec
            .block_on(Connection::<R>::open(url))
            .map_err(fail("connect"))?;
        Ok(Exclusive { conn, exec })
    }
}

impl<R: Runtime, E: Exec> Subject for Exclusive<R, E> {
    fn sequential(&mut self, key: &Bytes, ops: usize, latencies: &mut Vec<Duration>) -> usize {
        let conn = &mut self.conn;
        self.exec.block_on(async {
            let mut found = 0;
            for _ in 0..ops {
                let start = Instant::now();
                let value = conn.get(key).await.expect("GET");
                latencies.push(start.elapsed());
                found += usize::from(value.is_some());
            }
            found
        })
    }

    fn pipelined(&mut self, keys: &[Bytes], value: &Bytes, batch: usize) -> usize {
        let conn = &mut self.conn;
        self.exec.block_on(async {
            let mut pipe = Pipeline::new();
            for chunk in keys.chunks(batch) {
                fill_sets(&mut pipe, chunk, value);
                check_sets(pipe.run(&mut *conn).await.expect("SET pipeline"));
            }
            let mut slots = Vec::with_capacity(batch);
            let mut found = 0;
            for chunk in keys.chunks(batch) {
                fill_gets(&mut pipe, chunk, &mut slots);
                let replies = pipe.run(&mut *conn).await.expect("GET pipeline");
                found += count_matching(replies, &mut slots, value);
            }
            found
        })
    }

    fn multiplexed(&mut self, _: Arc<[Bytes]>, _: usize, _: usize) -> Option<usize> {
        None
    }

    fn mget(&mut self, keys: &[Bytes], calls: usize) -> usize {
        let conn = &mut self.conn;
        self.exec.block_on(async {
            let mut found = 0;
            for _ in 0..calls {
                found += count_some(conn.mget(keys).await.expect("MGET"));
            }
            found
        })
    }
}

/// `redis_io_async::Client`: one connection shared by every task, its driver run by
/// [`Exec::run_driver`].
pub(crate) struct Mux<R: Runtime, E> {
    // Dropped before the runtime that drives it.
    client: Client<R>,
    exec: E,
}

impl<R: Runtime, E: Exec> Mux<R, E> {
    pub(crate) fn connect(exec: E, url: &str) -> Result<Self, String> {
        let client = exec
            .block_on(async {
                let (client, driver) = Client::<R>::open_unspawned(url).await?;
                exec.run_driver(driver);
                Ok::<_, redis_io_async::Error>(client)
            })
            .map_err(fail("connect"))?;
        Ok(Mux { client, exec })
    }
}

impl<R: Runtime, E: Exec> Subject for Mux<R, E> {
    fn sequential(&mut self, key: &Bytes, ops: usize, latencies: &mut Vec<Duration>) -> usize {
        let client = &self.client;
        self.exec.block_on(async {
            let mut found = 0;
            for _ in 0..ops {
                let start = Instant::now();
                let value = client.get(key).await.expect("GET");
                latencies.push(start.elapsed());
                found += usize::from(value.is_some());
            }
            found
        })
    }

    fn pipelined(&mut self, keys: &[Bytes], value: &Bytes, batch: usize) -> usize {
        let client = &self.client;
        self.exec.block_on(async {
            let mut pipe = Pipeline::new();
            for chunk in keys.chunks(batch) {
                fill_sets(&mut pipe, chunk, value);
                check_sets(pipe.run(client).await.expect("SET pipeline"));
            }
            let mut slots = Vec::with_capacity(batch);
            let mut found = 0;
            for chunk in keys.chunks(batch) {
                fill_gets(&mut pipe, chunk, &mut slots);
                let replies = pipe.run(client).await.expect("GET pipeline");
                found += count_matching(replies, &mut slots, value);
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
                    let key = &keys[(task * per_task + i) % keys.len()];
                    found += usize::from(client.get(key).await.expect("GET").is_some());
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
                found += count_some(client.mget(keys).await.expect("MGET"));
            }
            found
        })
    }
}

/// Empties `pipe` and queues `SET key value` for each key.
fn fill_sets(pipe: &mut Pipeline, keys: &[Bytes], value: &Bytes) {
    pipe.clear();
    for key in keys {
        pipe.set(key, value);
    }
}

/// Empties `pipe` and queues `GET key` for each key, keeping the slots.
fn fill_gets(pipe: &mut Pipeline, keys: &[Bytes], slots: &mut Vec<Slot<Option<Bytes>>>) {
    pipe.clear();
    slots.clear();
    slots.extend(keys.iter().map(|key| pipe.get(key)));
}

/// Panics unless every `SET` succeeded.
fn check_sets(replies: Replies) {
    for outcome in replies.into_outcomes() {
        outcome.expect("SET");
    }
}

/// How many of the `GET`s read `value`.
fn count_matching(
    mut replies: Replies,
    slots: &mut Vec<Slot<Option<Bytes>>>,
    value: &Bytes,
) -> usize {
    slots
        .drain(..)
        .map(|slot| usize::from(replies.take(slot).expect("GET").as_ref() == Some(value)))
        .sum()
}

/// How many values an `MGET` found.
fn count_some(values: Vec<Option<Bytes>>) -> usize {
    values.iter().filter(|value| value.is_some()).count()
}
