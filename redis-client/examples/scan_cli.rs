//! A blocking CLI: lists the keys matching a pattern with their TYPE and TTL, a page
//! of SCAN at a time, each page's TYPE and TTL asked for in one pipeline. Run with
//! `cargo run -p redis-client --example scan_cli [redis://...] [pattern]`.
#![allow(clippy::print_stdout)]

use redis_client::prelude::*;
use redis_client::{Error, Pipeline, Scan};
use redis_io_sync::Connection;

/// One key: its name, type (`string`, `list`, ...) and TTL in seconds (-1: none).
pub(crate) type Listing = (String, String, i64);

pub(crate) fn run(url: &str, pattern: &str) -> Result<Vec<Listing>, Error> {
    let mut conn = Connection::open(url)?;
    let mut listing = Vec::new();
    let mut pages = Scan::keys().pattern(pattern).count(100).pages();
    // Between pages the connection is ours again: one pipeline per page.
    while let Some(keys) = pages.next_page(&mut conn)? {
        let mut pipe = Pipeline::new();
        let slots: Vec<_> = keys
            .iter()
            .map(|key| (pipe.type_(key), pipe.ttl(key)))
            .collect();
        let mut replies = pipe.run(&mut conn)?;
        for (key, (kind, ttl)) in keys.iter().zip(slots) {
            let name = String::from_utf8_lossy(key).into_owned();
            listing.push((name, replies.take(kind)?, replies.take(ttl)?));
        }
    }
    listing.sort();
    Ok(listing)
}

#[allow(dead_code)]
fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    let pattern = args.next().unwrap_or_else(|| "*".into());
    for (key, kind, ttl) in run(&url, &pattern)? {
        let ttl = if ttl < 0 {
            "-".to_string()
        } else {
            format!("{ttl}s")
        };
        println!("{key}\t{kind}\t{ttl}");
    }
    Ok(())
}
