//! The end-to-end benchmark: every client on the same workloads against one
//! `redis-server`, in one run.
//!
//! `cargo bench -p benches --bench e2e -- [--rounds N] [--quick] [--out FILE]` starts
//! a throw-away server (pinned to CPU 0 with `taskset` when there are two CPUs or
//! more), fills it, and measures each client in its own worker process (this same
//! binary, `worker` subcommand), pinned to the other CPU, rotating the clients' order
//! from round to round. It then counts, per pipelined command, CPU instructions
//! (callgrind), syscalls (strace) and heap allocations (the counting allocator
//! installed below), and writes every figure to a JSON file that
//! `benches/scripts/e2e-report.py` turns into the table of docs/benchmarks.md and the plot.
//!
//! `scripts/bench-e2e` runs the whole thing.

#![allow(clippy::print_stdout)]

mod orchestrate;
mod params;
mod report;
mod subjects;
mod worker;

use benches::alloc_counter::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() {
    // `cargo bench` appends `--bench`; it means nothing here.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| arg != "--bench")
        .collect();
    let result = match args.first().map(String::as_str) {
        Some("worker") => worker::main(&args[1..]),
        _ => orchestrate::main(&args),
    };
    if let Err(message) = result {
        eprintln!("e2e: {message}");
        std::process::exit(1);
    }
}
