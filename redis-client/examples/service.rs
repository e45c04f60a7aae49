//! A tokio service: a rate limiter (a pipeline, and a Lua script), a job queue worked
//! with BRPOP on a multiplexed client and on a pool, a cache-aside JSON read, a
//! pub/sub listener, and 100 concurrent tasks using them all. Run with
//! `cargo run -p redis-client --features serde --example service [redis://...]`.
#![allow(clippy::print_stdout)]

use std::time::Duration;

use redis_client::options::{ExpireOptions, SetOptions};
use redis_client::pool::PoolConfig;
use redis_client::pool::exclusive::Pool;
use redis_client::prelude::*;
use redis_client::pubsub::AsyncSubscriber;
use redis_client::{HashStruct, Json, Pipeline, Script};
use redis_io_tokio::{Client, Tokio};
use serde::{Deserialize, Serialize};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Requests a user may make per window.
const LIMIT: u64 = 5;
/// Users, and requests per user, among the 100 tasks.
const USERS: u32 = 10;
const TASKS: u32 = 100;
/// Jobs queued for the two workers.
const JOBS: usize = 20;

/// A user's profile: a hash in the "database", JSON in the cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Profile {
    pub(crate) id: u32,
    pub(crate) name: String,
    pub(crate) plan: Option<String>,
}

/// What the service did, for the caller (and the test) to check.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Summary {
    pub(crate) allowed: u32,
    pub(crate) denied: u32,
    pub(crate) allowed_by_script: u32,
    pub(crate) cache_misses: u32,
    pub(crate) jobs_done: usize,
    pub(crate) events_heard: usize,
}

/// Fixed-window rate limit in one round trip: INCR and EXPIRE NX pipelined.
async fn allow(client: &Client, user: u32) -> Result<bool, BoxError> {
    let key = format!("rate:{user}");
    let mut pipe = Pipeline::new();
    let count = pipe.returning::<u64>().incr(&key);
    pipe.expire_with(&key, Duration::from_secs(60), ExpireOptions::new().nx());
    let mut replies = pipe.run(client).await?;
    Ok(replies.take(count)? <= LIMIT)
}

/// The same limit as one atomic Lua script (loaded on first use by its SHA1).
async fn allow_by_script(client: &Client, script: &Script, user: u32) -> Result<bool, BoxError> {
    let count: u64 = script
        .key(format!("rate:lua:{user}"))
        .arg(Duration::from_secs(60).as_millis() as u64)
        .invoke(client)
        .await?;
    Ok(count <= LIMIT)
}

const WINDOW: &str = "local n = redis.call('INCR', KEYS[1]) \
    if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n";

/// Cache-aside: the JSON copy if cached, else the hash (read into the struct), cached
/// for five minutes. Returns the profile and whether it was a miss.
async fn profile(client: &Client, id: u32) -> Result<(Profile, bool), BoxError> {
    let cache_key = format!("cache:profile:{id}");
    if let Some(Json(cached)) = client
        .returning::<Option<Json<Profile>>>()
        .get(&cache_key)
        .await?
    {
        return Ok((cached, false));
    }
    let HashStruct(loaded): HashStruct<Profile> =
        client.returning().hgetall(format!("user:{id}")).await?;
    let ttl = SetOptions::new().ex(Duration::from_secs(300));
    client
        .set_with(&cache_key, Json::encode(&loaded)?, ttl)
        .await?;
    Ok((loaded, true))
}

/// Pops jobs until the queue stays empty for a moment; returns how many it did.
async fn work_multiplexed(worker: Client) -> Result<usize, BoxError> {
    let mut done = 0;
    while let Some((_queue, _job)) = worker.brpop("jobs", Duration::from_millis(300)).await? {
        done += 1;
    }
    Ok(done)
}

/// The same worker on a pooled connection.
async fn work_pooled(pool: Pool<Tokio>) -> Result<usize, BoxError> {
    let mut conn = pool.get().await?;
    let mut done = 0;
    while let Some((_queue, _job)) = conn.brpop("jobs", Duration::from_millis(300)).await? {
        done += 1;
    }
    Ok(done)
}

pub(crate) async fn run(url: &str) -> Result<Summary, BoxError> {
    let client = Client::open(url).await?;
    let mut summary = Summary::default();

    // The "database": one hash per user, written from the struct.
    for id in 0..USERS {
        let plan = (id % 2 == 0).then(|| "pro".to_string());
        let user = Profile {
            id,
            name: format!("user {id}"),
            plan,
        };
        client
            .hset(format!("user:{id}"), HashStruct::encode(&user)?)
            .await?;
    }

    // A listener on its own connection: one event per task.
    let mut listener = AsyncSubscriber::<Tokio>::from_client(&client).await?;
    listener.subscribe("events").await?;
    let listening = tokio::spawn(async move {
        let mut heard = 0;
        while heard < TASKS as usize {
            match listener.next_message(Some(Duration::from_secs(5))).await? {
                Some(_message) => heard += 1,
                None => break, // nothing for 5 s: give up rather than hang
            }
        }
        Ok::<usize, redis_client::Error>(heard)
    });

    // 100 concurrent tasks on one multiplexed client (clones share the connection).
    let script = Script::new(WINDOW);
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let client = client.clone();
            let script = script.clone();
            tokio::spawn(async move {
                let user = i % USERS;
                let allowed = allow(&client, user).await?;
                let by_script = allow_by_script(&client, &script, user).await?;
                let (profile, missed) = profile(&client, user).await?;
                assert_eq!(profile.id, user);
                client.publish("events", format!("task {i} done")).await?;
                Ok::<_, BoxError>((allowed, by_script, missed))
            })
        })
        .collect();
    for task in tasks {
        let (allowed, by_script, missed) = task.await??;
        if allowed {
            summary.allowed += 1;
        } else {
            summary.denied += 1;
        }
        summary.allowed_by_script += u32::from(by_script);
        summary.cache_misses += u32::from(missed);
    }
    summary.events_heard = listening.await??;

    // A job queue: jobs are Strings, each pushed as one element.
    for n in 0..JOBS {
        let job = format!("{{\"job\":{n}}}");
        client.lpush("jobs", job).await?;
    }
    // BRPOP blocks its connection, so the multiplexed worker gets a client of its own.
    let worker = Client::open(url).await?;
    let pool = Pool::<Tokio>::open(url, PoolConfig::default())?;
    let (a, b) = tokio::join!(
        tokio::spawn(work_multiplexed(worker)),
        tokio::spawn(work_pooled(pool)),
    );
    summary.jobs_done = a?? + b??;

    println!("{summary:?}");
    Ok(summary)
}

#[allow(dead_code)]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let url = std::env::args().nth(1);
    run(url.as_deref().unwrap_or("redis://127.0.0.1:6379")).await?;
    Ok(())
}
