//! Client-side caching against one redis-server: the cost of a cache hit on the
//! blocking connection (`Connection::request` answered from memory) and on the
//! multiplexed client (tokio), the core's lookup alone, and a hot-key `GET` cached
//! against the same `GET` uncached; and a hit of redis-rs's `cache-aio` cache on its
//! multiplexed connection, on the same runtime.
//!
//! `cargo bench -p benches --bench cache`. Before measuring, the allocations of one
//! hit are counted with the counting allocator and printed (to stderr), so the "a hit
//! allocates nothing" claim is checked on every run; the bench fails if it does not
//! hold.

use std::hint::black_box;
use std::time::{Duration, Instant};

use benches::alloc_counter::{CountingAlloc, allocations};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use redis_io_sync::Connection;
use redis_sansio::Cmd;
use redis_sansio::cache::{Cache, CacheConfig, Lookup};
use redis_sansio::resp::Frame;
use redis_test_support::RedisServer;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn hits_allocate_nothing(conn: &mut Connection, get: &Cmd) {
    conn.request(get).expect("warm");
    let before = allocations();
    const N: u64 = 10_000;
    for _ in 0..N {
        black_box(conn.request(get).expect("hit"));
    }
    let per_hit = (allocations() - before) as f64 / N as f64;
    eprintln!("cache: allocations per hit on the blocking connection: {per_hit}");
    assert!(per_hit == 0.0, "a hit allocated ({per_hit} per hit)");
}

fn bench(c: &mut Criterion) {
    let server = RedisServer::start();
    let mut writer = Connection::open(&server.url()).expect("connect");
    writer
        .request(&Cmd::new("SET").arg("hot").arg("x".repeat(64)))
        .expect("SET");
    let get = Cmd::new("GET").arg("hot");

    let mut cached = Connection::open(&server.url())
        .expect("connect")
        .with_cache(CacheConfig::default())
        .expect("tracking");
    hits_allocate_nothing(&mut cached, &get);
    let mut uncached = Connection::open(&server.url()).expect("connect");

    let mut group = c.benchmark_group("cache");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("hit/blocking_request", |b| {
        b.iter(|| black_box(cached.request(black_box(&get)).expect("hit")))
    });
    // The multiplexed client (tokio, current-thread runtime): a hit is answered under
    // the client's lock, without the driver.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = runtime.block_on(async {
        redis_io_tokio::Client::open_cached(&server.url(), CacheConfig::default())
            .await
            .expect("tracking")
    });
    runtime.block_on(client.request(&get)).expect("warm");
    group.bench_function("hit/multiplexed_request", |b| {
        b.iter(|| {
            black_box(
                runtime
                    .block_on(client.request(black_box(&get)))
                    .expect("hit"),
            )
        })
    });
    // redis-rs with its `cache-aio` cache, on the same runtime: a hit.
    let mut peer = runtime.block_on(async {
        let url = format!("{}?protocol=resp3", server.url());
        let peer = redis::Client::open(url).expect("redis-rs client");
        let config = redis::AsyncConnectionConfig::new()
            .set_cache_config(redis::caching::CacheConfig::new());
        peer.get_multiplexed_async_connection_with_config(&config)
            .await
            .expect("redis-rs connection")
    });
    let peer_get = redis::cmd("GET").arg("hot").clone();
    for _ in 0..2 {
        let _: Vec<u8> = runtime
            .block_on(peer_get.query_async(&mut peer))
            .expect("warm");
    }
    group.bench_function("hit/redis-rs_cache-aio", |b| {
        b.iter(|| {
            let value: Vec<u8> = runtime
                .block_on(black_box(&peer_get).query_async(&mut peer))
                .expect("hit");
            black_box(value)
        })
    });
    group.bench_function("hot_get/uncached", |b| {
        b.iter(|| black_box(uncached.request(black_box(&get)).expect("GET")))
    });

    // The core alone: lookup of a cached GET.
    let now = Instant::now();
    let mut cache = Cache::new(CacheConfig::default());
    cache.handle_tracking_on();
    if let Lookup::Miss(ticket) = cache.lookup(&get, now) {
        cache.handle_reply(ticket, Ok(&Frame::bulk("x".repeat(64))), now);
    }
    group.bench_function("hit/core_lookup", |b| {
        b.iter(|| match cache.lookup(black_box(&get), now) {
            Lookup::Hit(reply) => black_box(reply),
            _ => unreachable!("cached"),
        })
    });
    group.finish();
    let stats = cached.cache_stats().expect("caching");
    eprintln!("cache: {stats:?}");
    eprintln!("cache: redis-rs: {:?}", peer.get_cache_statistics());
}

criterion_group!(benches, bench);
criterion_main!(benches);
