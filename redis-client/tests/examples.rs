//! The examples in `examples/`, each run against a real server, and the copies in
//! `docs/command-api.md` checked to be the same text.
// Needs the blocking adapter (the default `sync` feature).
#![cfg(feature = "sync")]

mod common;

#[path = "../examples/async_std.rs"]
mod async_std_example;
#[path = "../examples/blocking.rs"]
mod blocking;
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
