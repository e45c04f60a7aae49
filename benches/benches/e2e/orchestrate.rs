//! The orchestrator: starts the server, runs every worker, collects the figures.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use redis_client::Pipeline;
use redis_client::prelude::*;
use redis_test_support::{RedisCluster, RedisServer};

use crate::params::{self, Sizes, Workload};
use crate::report::{Cost, Report};
use crate::subjects::{self, Target};
use crate::worker::Measurement;

/// Longest a worker may run before it is killed (callgrind runs are the slow ones).
const WORKER_DEADLINE: Duration = Duration::from_secs(600);

/// The workloads whose per-command costs are counted.
const COSTED: [Workload; 5] = [
    Workload::Pipelined,
    Workload::Multiplexed,
    Workload::MultiThread,
    Workload::Cluster,
    Workload::ClusterPipe,
];

/// Operations per task (calls, for `cluster-pipe`) of the two runs whose difference
/// gives the per-operation costs of the other costed workloads.
const COST_OPS: [usize; 2] = [200, 600];
const COST_OPS_QUICK: [usize; 2] = [50, 150];

/// Key counts of the two pipelined runs whose difference gives the per-command costs.
const COST_KEYS: [usize; 2] = [10_000, 30_000];
const COST_KEYS_QUICK: [usize; 2] = [2_000, 6_000];

#[derive(Debug)]
struct Options {
    rounds: usize,
    sizes: Sizes,
    cost_keys: [usize; 2],
    costs: bool,
    clients: Vec<String>,
    workloads: Vec<Workload>,
    out: PathBuf,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            rounds: 5,
            sizes: Sizes::FULL,
            cost_keys: COST_KEYS,
            costs: true,
            clients: subjects::NAMES
                .iter()
                .map(|name| name.to_string())
                .collect(),
            workloads: Workload::ALL.to_vec(),
            out: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/results/e2e.json")),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .ok_or_else(|| format!("{arg} needs a value"))
                    .cloned()
            };
            match arg.as_str() {
                "--rounds" => {
                    options.rounds = value()?.parse().map_err(|e| format!("--rounds: {e}"))?;
                }
                "--quick" => {
                    options.rounds = 1;
                    options.sizes = Sizes::QUICK;
                    options.cost_keys = COST_KEYS_QUICK;
                }
                "--no-costs" => options.costs = false,
                "--clients" => options.clients = value()?.split(',').map(str::to_owned).collect(),
                "--workloads" => {
                    options.workloads = value()?
                        .split(',')
                        .map(str::parse)
                        .collect::<Result<_, _>>()?;
                }
                "--out" => options.out = value()?.into(),
                "--help" | "-h" => {
                    return Err("usage: e2e [--rounds N] [--quick] [--no-costs] \
                                [--clients a,b] [--workloads w,x] [--out FILE]"
                        .into());
                }
                other => return Err(format!("unknown option {other:?} (try --help)")),
            }
        }
        if options.rounds == 0 {
            return Err("--rounds must be at least 1".into());
        }
        for client in &options.clients {
            if !subjects::NAMES.contains(&client.as_str()) {
                return Err(format!(
                    "unknown client {client:?}; known: {:?}",
                    subjects::NAMES
                ));
            }
        }
        Ok(options)
    }
}

/// Which CPU the server and the clients run on, when they can be pinned.
#[derive(Debug, Clone, Copy)]
struct Cpus {
    server: usize,
    client: usize,
}

pub(crate) fn main(args: &[String]) -> Result<(), String> {
    let options = Options::parse(args)?;
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let server = RedisServer::builder().start();
    let cpus = pin_server(&server);
    let unix = server
        .unix_path()
        .ok_or("the server has no Unix socket")?
        .to_string_lossy()
        .into_owned();
    let targets = [
        (
            "tcp",
            Target::Tcp {
                host: "127.0.0.1".into(),
                port: server.port(),
            },
        ),
        ("unix", Target::Unix { path: unix }),
    ];
    fill(&targets[1].1)?;
    // The cluster, only when a cluster client is to run a cluster workload.
    let needs_cluster = options.workloads.iter().any(|&workload| {
        workload.on_cluster()
            && options
                .clients
                .iter()
                .any(|client| subjects::runs(client, workload))
    });
    let cluster = needs_cluster.then(start_cluster).transpose()?;
    let cluster_targets = cluster
        .iter()
        .map(|cluster| {
            (
                "tcp",
                Target::Cluster {
                    seeds: cluster.seed_urls(),
                },
            )
        })
        .collect::<Vec<_>>();

    let mut report = Report::new(options.rounds, options.sizes, pinning_note(cpus));
    for round in 0..options.rounds {
        eprintln!("round {} of {}", round + 1, options.rounds);
        for &workload in &options.workloads {
            let workload_targets = if workload.on_cluster() {
                &cluster_targets[..]
            } else {
                &targets[..]
            };
            for (transport, target) in workload_targets {
                for client in rotated(&options.clients, round) {
                    if !subjects::runs(client, workload) {
                        continue;
                    }
                    // Sequential latency is measured with client and server sharing
                    // one CPU, as the issue's reference figures were; a multi-thread
                    // runtime gets every CPU.
                    let cpu = cpus.and_then(|cpus| match workload {
                        Workload::Sequential => Some(cpus.server),
                        _ if workload.workers().is_some() => None,
                        _ => Some(cpus.client),
                    });
                    let line = run_worker(
                        &exe,
                        &[],
                        cpu,
                        &worker_args(client, workload, target, &options.sizes),
                    )?;
                    let m = Measurement::parse(&line)?;
                    report.add(workload, transport, client, m);
                }
            }
            if workload == Workload::Pipelined {
                for (transport, target) in &targets {
                    if let Some(ops) = redis_benchmark(target, &options.sizes, cpus) {
                        report.add_ceiling(transport, ops);
                    }
                }
            }
        }
    }
    if options.costs {
        // Per command of the pipelined workload, over Unix; per operation of the
        // multi-task and cluster workloads (the multiplexed one is the standalone
        // baseline the cluster clients compare with), over TCP.
        for &workload in &options.workloads {
            if !COSTED.contains(&workload) {
                continue;
            }
            let (transport, target) = if workload.on_cluster() {
                match cluster_targets.first() {
                    Some(target) => target,
                    None => continue,
                }
            } else if workload == Workload::Pipelined {
                &targets[1]
            } else {
                &targets[0]
            };
            for client in &options.clients {
                if !subjects::runs(client, workload) {
                    continue;
                }
                eprintln!("costs: {workload} {client}");
                let cost = costs(&exe, client, workload, target, &options, cpus)?;
                report.add_cost(client, workload, transport, cost);
            }
        }
    }
    report.write(&options.out)?;
    eprintln!("wrote {}", options.out.display());
    print!("{}", report.summary());
    Ok(())
}

/// The clients, starting at a different one each round.
fn rotated(clients: &[String], round: usize) -> impl Iterator<Item = &str> {
    let start = round % clients.len().max(1);
    clients[start..]
        .iter()
        .chain(&clients[..start])
        .map(String::as_str)
}

fn worker_args(client: &str, workload: Workload, target: &Target, sizes: &Sizes) -> Vec<String> {
    let mut args = vec![
        "worker".to_owned(),
        client.to_owned(),
        workload.name().to_owned(),
        target.to_arg(),
    ];
    args.extend(sizes.to_args());
    args
}

/// Pins every thread of the server to CPU 0 when `taskset` exists and there are two
/// CPUs or more; the clients then get CPU 1.
fn pin_server(server: &RedisServer) -> Option<Cpus> {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let pid = server.pid()?;
    if cpus < 2 {
        return None;
    }
    let pinned = Command::new("taskset")
        .args(["-a", "-p", "-c", "0", &pid.to_string()])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    pinned.then_some(Cpus {
        server: 0,
        client: 1,
    })
}

fn pinning_note(cpus: Option<Cpus>) -> String {
    match cpus {
        Some(cpus) => format!(
            "server (and the cluster's nodes) on CPU {}, clients on CPU {} (sequential: CPU {}, \
             shared with the server; multi-thread runtimes: unpinned), by taskset",
            cpus.server, cpus.client, cpus.server
        ),
        None => "not pinned (taskset missing or a single CPU)".to_owned(),
    }
}

/// Starts the cluster of three primaries, pins its nodes to the server's CPU (as
/// [`pin_server`] does the one server) and fills it.
fn start_cluster() -> Result<RedisCluster, String> {
    eprintln!("starting a cluster of 3 primaries");
    let cluster = RedisCluster::start_primaries(3);
    for node in cluster.nodes() {
        pin_server(node);
    }
    let mut conn = redis_client::cluster::ClusterConnection::open(cluster.seed_urls())
        .map_err(|e| format!("cluster fill: {e}"))?;
    let value = Bytes::from_static(params::VALUE);
    let mut pipe = Pipeline::new();
    for chunk in params::keys().chunks(1_000) {
        pipe.clear();
        for key in chunk {
            pipe.set(key, &value);
        }
        for outcome in pipe
            .run(&mut conn)
            .map_err(|e| format!("cluster fill: {e}"))?
            .into_outcomes()
        {
            outcome.map_err(|e| format!("cluster fill: {e}"))?;
        }
    }
    Ok(cluster)
}

/// Sets every key of the keyspace to the 16-byte value.
fn fill(target: &Target) -> Result<(), String> {
    let mut conn =
        redis_io_sync::Connection::open(&target.url()).map_err(|e| format!("fill: {e}"))?;
    let value = Bytes::from_static(params::VALUE);
    let mut pipe = Pipeline::new();
    for chunk in params::keys().chunks(1_000) {
        pipe.clear();
        for key in chunk {
            pipe.set(key, &value);
        }
        for outcome in pipe
            .run(&mut conn)
            .map_err(|e| format!("fill: {e}"))?
            .into_outcomes()
        {
            outcome.map_err(|e| format!("fill: {e}"))?;
        }
    }
    Ok(())
}

/// Runs this binary with `args`, under `wrapper` (valgrind, strace) if any, pinned to
/// `cpu` if given, and returns the last line it printed.
fn run_worker(
    exe: &Path,
    wrapper: &[String],
    cpu: Option<usize>,
    args: &[String],
) -> Result<String, String> {
    let mut argv: Vec<String> = Vec::new();
    if let Some(cpu) = cpu {
        argv.extend(["taskset".to_owned(), "-c".to_owned(), cpu.to_string()]);
    }
    argv.extend(wrapper.iter().cloned());
    argv.push(exe.to_string_lossy().into_owned());
    argv.extend(args.iter().cloned());
    let output = run_bounded(&argv)?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "{} failed ({}):\n{}",
            argv.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    stdout
        .lines()
        .last()
        .map(str::to_owned)
        .ok_or_else(|| format!("{} printed nothing", argv.join(" ")))
}

/// Runs `argv`, killing it after [`WORKER_DEADLINE`].
fn run_bounded(argv: &[String]) -> Result<std::process::Output, String> {
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", argv[0]))?;
    let started = Instant::now();
    // The output is small; polling (bounded by the deadline) keeps this simple.
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if started.elapsed() > WORKER_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{} ran past {WORKER_DEADLINE:?}", argv.join(" ")));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().map_err(|e| e.to_string())
}

/// `redis-benchmark` with one connection and pipelines of 1,000, `SET` then `GET`:
/// the server's ceiling for the pipelined workload, in combined ops/s.
fn redis_benchmark(target: &Target, sizes: &Sizes, cpus: Option<Cpus>) -> Option<f64> {
    let requests = sizes.keys.to_string();
    let keyspace = sizes.keys.to_string();
    let mut argv: Vec<String> = Vec::new();
    if let Some(cpus) = cpus {
        argv.extend(["taskset", "-c"].map(str::to_owned));
        argv.push(cpus.client.to_string());
    }
    argv.push("redis-benchmark".to_owned());
    match target {
        Target::Tcp { host, port } => {
            argv.extend([
                "-h".to_owned(),
                host.clone(),
                "-p".to_owned(),
                port.to_string(),
            ]);
        }
        Target::Unix { path } => argv.extend(["-s".to_owned(), path.clone()]),
        Target::Cluster { .. } => return None,
    }
    argv.extend(
        [
            "-c", "1", "-P", "1000", "-d", "16", "-t", "set,get", "--csv", "-n", &requests, "-r",
            &keyspace,
        ]
        .map(str::to_owned),
    );
    let output = run_bounded(&argv).ok().filter(|out| out.status.success())?;
    let csv = String::from_utf8_lossy(&output.stdout);
    let mut seconds_per_op = 0.0;
    let mut tests = 0;
    for line in csv.lines() {
        let fields: Vec<&str> = line.split(',').map(|f| f.trim_matches('"')).collect();
        if let [name, rps, ..] = fields[..] {
            if (name == "SET" || name == "GET") && rps.parse::<f64>().is_ok_and(|r| r > 0.0) {
                seconds_per_op += 1.0 / rps.parse::<f64>().ok()?;
                tests += 1;
            }
        }
    }
    (tests == 2).then(|| 2.0 / seconds_per_op)
}

/// Per command of `workload`: instructions (callgrind), syscalls (strace) and heap
/// allocations, from two runs of different sizes so set-up costs cancel out.
fn costs(
    exe: &Path,
    client: &str,
    workload: Workload,
    target: &Target,
    options: &Options,
    cpus: Option<Cpus>,
) -> Result<Cost, String> {
    let cpu = cpus.map(|cpus| cpus.client);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut instructions = Vec::new();
    let mut syscalls = Vec::new();
    let mut allocs = Vec::new();
    let ops_pair = if options.sizes == Sizes::FULL {
        COST_OPS
    } else {
        COST_OPS_QUICK
    };
    let all_sizes: Vec<Sizes> = (0..2)
        .map(|i| match workload {
            Workload::Pipelined => Sizes {
                keys: options.cost_keys[i],
                ..options.sizes
            },
            Workload::ClusterPipe => Sizes {
                mget_calls: ops_pair[i],
                ..options.sizes
            },
            _ => Sizes {
                per_task: ops_pair[i],
                ..options.sizes
            },
        })
        .collect();
    for (i, sizes) in all_sizes.iter().enumerate() {
        let args = worker_args(client, workload, target, sizes);
        let plain = Measurement::parse(&run_worker(exe, &[], cpu, &args)?)?;
        allocs.push(plain.allocs as f64);

        let out = dir.path().join(format!("callgrind.{i}"));
        let callgrind = vec![
            "valgrind".to_owned(),
            "--tool=callgrind".to_owned(),
            format!("--callgrind-out-file={}", out.display()),
        ];
        instructions.push(
            run_worker(exe, &callgrind, cpu, &args)
                .ok()
                .and_then(|_| callgrind_total(&out)),
        );

        let out = dir.path().join(format!("strace.{i}"));
        let strace = vec![
            "strace".to_owned(),
            "-f".to_owned(),
            "-c".to_owned(),
            "-o".to_owned(),
            out.display().to_string(),
        ];
        syscalls.push(
            run_worker(exe, &strace, cpu, &args)
                .ok()
                .and_then(|_| strace_total(&out)),
        );
    }
    let commands = (all_sizes[1].ops(workload) - all_sizes[0].ops(workload)) as f64;
    let per_command = |pair: &[Option<f64>]| match pair {
        [Some(small), Some(large)] => Some((large - small) / commands),
        _ => None,
    };
    Ok(Cost {
        instructions_per_cmd: per_command(&instructions),
        syscalls_per_cmd: per_command(&syscalls),
        allocs_per_cmd: Some(allocs[1] / all_sizes[1].ops(workload) as f64),
    })
}

/// The total instruction count of a callgrind output file.
fn callgrind_total(path: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find_map(|line| {
            line.strip_prefix("summary:")
                .or_else(|| line.strip_prefix("totals:"))
        })
        .and_then(|n| n.trim().parse().ok())
}

/// The total syscall count of an `strace -c` summary.
fn strace_total(path: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text
        .lines()
        .find(|line| line.trim_end().ends_with(" total"))?;
    // `% time  seconds  usecs/call  calls  [errors]  total`
    line.split_whitespace().nth(3)?.parse().ok()
}
