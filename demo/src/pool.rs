//! A blocking pool of four connections shared by sixteen threads.

use std::thread;

use redis_client::Error;
use redis_client::pool::PoolConfig;
use redis_client::pool::blocking::Pool;
use redis_client::prelude::*;
use redis_test_support::RedisServer;

pub(crate) fn run(server: &RedisServer) -> Result<(), Error> {
    let pool = Pool::open(&server.url(), PoolConfig::default().with_max_size(4))?;
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let pool = pool.clone();
            thread::spawn(move || -> Result<(), Error> {
                for _ in 0..100 {
                    pool.get()?.incr("demo:pooled")?;
                }
                Ok(())
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("thread panicked")?;
    }
    let total = pool.get()?.get("demo:pooled")?;
    let status = pool.status();
    println!(
        "16 threads x 100 INCRs through a pool of 4: counter {:?}, {} connections open",
        total.as_deref().map(String::from_utf8_lossy),
        status.size
    );
    Ok(())
}
