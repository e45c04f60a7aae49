//! Collects the measurements and writes them out: the JSON file the report script
//! reads, and a plain summary for the terminal.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::params::{Sizes, Workload};
use crate::worker::Measurement;

/// Per-command costs of one client on the pipelined workload. `None` where the tool
/// (valgrind, strace) is missing or failed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cost {
    pub(crate) instructions_per_cmd: Option<f64>,
    pub(crate) allocs_per_cmd: Option<f64>,
    pub(crate) syscalls_per_cmd: Option<f64>,
}

/// One figure, every round's sample of it.
struct Series {
    workload: &'static str,
    transport: String,
    client: String,
    metric: &'static str,
    samples: Vec<f64>,
}

impl Series {
    fn median(&self) -> f64 {
        let mut sorted = self.samples.clone();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        if sorted.len() % 2 == 0 {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        } else {
            sorted[mid]
        }
    }

    fn min(&self) -> f64 {
        self.samples.iter().copied().fold(f64::INFINITY, f64::min)
    }

    fn max(&self) -> f64 {
        self.samples
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

pub(crate) struct Report {
    rounds: usize,
    sizes: Sizes,
    pinning: String,
    series: Vec<Series>,
    costs: Vec<(String, Workload, String, Cost)>,
}

impl Report {
    pub(crate) fn new(rounds: usize, sizes: Sizes, pinning: String) -> Report {
        Report {
            rounds,
            sizes,
            pinning,
            series: Vec::new(),
            costs: Vec::new(),
        }
    }

    /// Files one worker's measurement as the workload's metrics.
    pub(crate) fn add(
        &mut self,
        workload: Workload,
        transport: &str,
        client: &str,
        m: Measurement,
    ) {
        let ops = m.ops as f64;
        let per_second = ops / (m.wall_ns as f64 / 1e9);
        let cpu_us_per_op = m.cpu_ns as f64 / 1e3 / ops;
        let metrics: Vec<(&'static str, f64)> = match workload {
            Workload::Sequential => vec![
                ("p50_us", m.p50_ns as f64 / 1e3),
                ("p99_us", m.p99_ns as f64 / 1e3),
                ("cpu_us_per_op", cpu_us_per_op),
            ],
            Workload::Pipelined
            | Workload::Multiplexed
            | Workload::MultiThread
            | Workload::MultiThreadMany
            | Workload::Cluster
            | Workload::ClusterMultiThread
            | Workload::ClusterPipe => vec![
                ("ops_per_s", per_second),
                ("cpu_us_per_op", cpu_us_per_op),
                ("allocs_per_op", m.allocs as f64 / ops),
            ],
            Workload::Mget => vec![
                ("calls_per_s", per_second),
                ("cpu_us_per_call", cpu_us_per_op),
                ("allocs_per_call", m.allocs as f64 / ops),
            ],
        };
        for (metric, value) in metrics {
            self.push(workload.name(), transport, client, metric, value);
        }
    }

    /// Files a `redis-benchmark` run of the pipelined workload.
    pub(crate) fn add_ceiling(&mut self, transport: &str, ops_per_s: f64) {
        self.push(
            "pipelined",
            transport,
            "redis-benchmark",
            "ops_per_s",
            ops_per_s,
        );
    }

    pub(crate) fn add_cost(
        &mut self,
        client: &str,
        workload: Workload,
        transport: &str,
        cost: Cost,
    ) {
        self.costs
            .push((client.to_owned(), workload, transport.to_owned(), cost));
    }

    fn push(
        &mut self,
        workload: &'static str,
        transport: &str,
        client: &str,
        metric: &'static str,
        value: f64,
    ) {
        let existing = self.series.iter_mut().find(|s| {
            s.workload == workload
                && s.transport == transport
                && s.client == client
                && s.metric == metric
        });
        match existing {
            Some(series) => series.samples.push(value),
            None => self.series.push(Series {
                workload,
                transport: transport.to_owned(),
                client: client.to_owned(),
                metric,
                samples: vec![value],
            }),
        }
    }

    /// Writes the JSON that `benches/scripts/e2e-report.py` reads.
    pub(crate) fn write(&self, path: &Path) -> Result<(), String> {
        let mut out = String::from("{\n  \"machine\": {");
        let machine = machine();
        for (i, (name, value)) in machine.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            let _ = write!(out, "{sep}{}: {}", json_str(name), json_str(value));
        }
        let _ = write!(out, ", \"pinning\": {}", json_str(&self.pinning));
        let _ = writeln!(out, "}},");
        let _ = writeln!(out, "  \"command\": {},", json_str("scripts/bench-e2e"));
        let _ = writeln!(out, "  \"rounds\": {},", self.rounds);
        let _ = writeln!(out, "  \"quick\": {},", self.sizes != Sizes::FULL);
        let _ = writeln!(out, "  \"sizes\": {{{}}},", self.sizes.to_json_members());
        out.push_str("  \"records\": [\n");
        for (i, s) in self.series.iter().enumerate() {
            let samples: Vec<String> = s.samples.iter().map(|&v| json_num(Some(v))).collect();
            let _ = write!(
                out,
                "    {{\"workload\": {}, \"transport\": {}, \"client\": {}, \"metric\": {}, \
                 \"samples\": [{}], \"median\": {}, \"min\": {}, \"max\": {}}}",
                json_str(s.workload),
                json_str(&s.transport),
                json_str(&s.client),
                json_str(s.metric),
                samples.join(", "),
                json_num(Some(s.median())),
                json_num(Some(s.min())),
                json_num(Some(s.max())),
            );
            out.push_str(if i + 1 < self.series.len() {
                ",\n"
            } else {
                "\n"
            });
        }
        out.push_str("  ],\n  \"costs\": [\n");
        for (i, (client, workload, transport, cost)) in self.costs.iter().enumerate() {
            let _ = write!(
                out,
                "    {{\"workload\": {}, \"transport\": {}, \"client\": {}, \
                 \"instructions_per_cmd\": {}, \"allocs_per_cmd\": {}, \"syscalls_per_cmd\": {}}}",
                json_str(workload.name()),
                json_str(transport),
                json_str(client),
                json_num(cost.instructions_per_cmd),
                json_num(cost.allocs_per_cmd),
                json_num(cost.syscalls_per_cmd),
            );
            out.push_str(if i + 1 < self.costs.len() {
                ",\n"
            } else {
                "\n"
            });
        }
        out.push_str("  ]\n}\n");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Medians (min–max) of every figure, one line each, for the terminal.
    pub(crate) fn summary(&self) -> String {
        let mut out = String::new();
        for s in &self.series {
            let _ = writeln!(
                out,
                "{:<12} {:<5} {:<20} {:<16} {:>14.3} ({:.3} – {:.3})",
                s.workload,
                s.transport,
                s.client,
                s.metric,
                s.median(),
                s.min(),
                s.max()
            );
        }
        for (client, workload, transport, cost) in &self.costs {
            let show = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.3}"));
            let _ = writeln!(
                out,
                "costs {workload:<12} {transport:<5} {client:<20} instructions/cmd {} allocs/cmd {} syscalls/cmd {}",
                show(cost.instructions_per_cmd),
                show(cost.allocs_per_cmd),
                show(cost.syscalls_per_cmd),
            );
        }
        out
    }
}

/// What the figures were measured on.
fn machine() -> Vec<(&'static str, String)> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    vec![
        ("cpu", cpu),
        ("cores", cores.to_string()),
        ("kernel", first_line("uname", &["-r"])),
        ("redis", first_line("redis-server", &["--version"])),
        ("rustc", first_line("rustc", &["--version"])),
    ]
}

fn first_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_num(value: Option<f64>) -> String {
    match value {
        // Six decimals: enough for allocations per command, short for the rest.
        Some(v) if v.is_finite() => format!("{}", (v * 1e6).round() / 1e6),
        _ => "null".to_owned(),
    }
}
