//! The examples in `examples/`, each run against a real server, and the copies in
//! `docs/command-api.md` checked to be the same text.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod common;

#[path = "../examples/async_std.rs"]
mod async_std_example;
#[path = "../examples/blocking.rs"]
mod blocking;
#[path = "../examples/scan_cli.rs"]
mod scan_cli;
#[cfg(feature = "serde")]
#[path = "../examples/service.rs"]
mod service;
#[path = "../examples/smol.rs"]
mod smol_example;
#[path = "../examples/tokio.rs"]
mod tokio_example;

#[test]
fn every_example_runs() {
    let server = common::server();
    let url = server.url();
    blocking::run(&url).unwrap();
    common::tokio_runtime()
        .block_on(tokio_example::run(&url))
        .unwrap();
    smol::block_on(smol_example::run(&url)).unwrap();
    async_std::task::block_on(async_std_example::run(&url)).unwrap();
}

/// The blocking CLI lists every matching key, with its type and TTL, across pages.
#[test]
fn the_scan_cli_lists_types_and_ttls_page_by_page() {
    use redis_client::prelude::*;

    let server = common::server();
    let mut conn = common::blocking(common::resp3(&server));
    for i in 0..250 {
        conn.set(format!("cli:{i:03}"), i).unwrap();
    }
    conn.rpush("cli:queue", ["a", "b"]).unwrap();
    conn.hset("cli:hash", ("f", "v")).unwrap();
    conn.expire("cli:hash", 500u32).unwrap();
    conn.set("other", 1).unwrap();

    let listing = scan_cli::run(&server.url(), "cli:*").unwrap();
    assert_eq!(listing.len(), 252, "every cli:* key once, not `other`");
    assert!(
        listing.windows(2).all(|w| w[0].0 < w[1].0),
        "sorted, no repeats"
    );
    assert!(listing.contains(&("cli:queue".into(), "list".into(), -1)));
    assert!(listing.contains(&("cli:hash".into(), "hash".into(), 500)));
    assert!(listing.contains(&("cli:007".into(), "string".into(), -1)));
}

/// The tokio service: 100 tasks against the rate limits, the cache, pub/sub, and a
/// job queue drained by two workers.
#[cfg(feature = "serde")]
#[test]
fn the_tokio_service_runs() {
    let server = common::server();
    let summary = common::tokio_runtime()
        .block_on(service::run(&server.url()))
        .unwrap();
    // 10 users, 10 requests each, 5 allowed per window by either limiter.
    assert_eq!((summary.allowed, summary.denied), (50, 50));
    assert_eq!(summary.allowed_by_script, 50);
    // Each user's profile is loaded from its hash at least once, never more often
    // than it is asked for.
    assert!((10..=100).contains(&summary.cache_misses), "{summary:?}");
    assert_eq!(summary.events_heard, 100);
    assert_eq!(summary.jobs_done, 20, "every job once");
}

/// `docs/command-api.md` shows each example file whole, in a block fenced as
/// ```` ```rust,no_run ```` right after a line naming the file; this keeps them equal.
#[test]
fn the_docs_show_the_examples_as_they_are() {
    let readme = include_str!("../../docs/command-api.md");
    for (name, source) in [
        (
            "examples/blocking.rs",
            include_str!("../examples/blocking.rs"),
        ),
        ("examples/tokio.rs", include_str!("../examples/tokio.rs")),
        ("examples/smol.rs", include_str!("../examples/smol.rs")),
        (
            "examples/async_std.rs",
            include_str!("../examples/async_std.rs"),
        ),
    ] {
        let marker = format!("`redis-client/{name}`:\n\n```rust,no_run\n");
        let start = readme
            .find(&marker)
            .unwrap_or_else(|| panic!("docs/command-api.md does not show {name}"))
            + marker.len();
        let end = start + readme[start..].find("```\n").expect("an unclosed block");
        assert_eq!(
            &readme[start..end],
            source,
            "docs/command-api.md's copy of {name} is stale"
        );
    }
}
