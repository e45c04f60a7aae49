//! redis-cli and redis-benchmark against a server of this crate, each run with a hard
//! time limit. Shared by the kv example's tests and the proxy's (included by path).

use std::process::{Command, Output};

/// Runs `tool` from the Redis installation (beside `redis-cli`) under `timeout 60`.
fn run_bounded(tool: &str, args: &[String]) -> Output {
    let path = redis_test_support::redis_cli_path().with_file_name(tool);
    Command::new("timeout")
        .arg("60")
        .arg(path)
        .args(args)
        .output()
        .expect("run the tool under timeout")
}

/// `redis-cli -p port words...`'s output, trimmed; fails the test when it fails.
pub(crate) fn cli(port: u16, words: &[&str]) -> String {
    let mut args = vec!["-p".to_owned(), port.to_string()];
    args.extend(words.iter().map(|w| w.to_string()));
    let output = run_bounded("redis-cli", &args);
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout)
        .trim_end()
        .to_owned()
}

/// The benchmark's tests, as `-t` names them and as its report labels them.
const TESTS: [(&str, &str); 6] = [
    ("ping_inline", "PING_INLINE"),
    ("ping_mbulk", "PING_MBULK"),
    ("set", "SET"),
    ("get", "GET"),
    ("lpush", "LPUSH"),
    ("mset", "MSET (10 keys)"),
];

/// Runs redis-benchmark (2,000 requests per test, 10 clients, pipelines of 4) and
/// checks that every test reported a result. Afterwards `mylist` holds 2,000 more
/// elements.
pub(crate) fn benchmark(port: u16) {
    let names: Vec<&str> = TESTS.iter().map(|(name, _)| *name).collect();
    let mut args: Vec<String> = ["-n", "2000", "-c", "10", "-P", "4", "-q", "-p"]
        .iter()
        .map(|a| a.to_string())
        .collect();
    args.push(port.to_string());
    args.push("-t".to_owned());
    args.push(names.join(","));
    let output = run_bounded("redis-benchmark", &args);
    assert!(output.status.success(), "{output:?}");
    let report = String::from_utf8_lossy(&output.stdout);
    for (_, label) in TESTS {
        // Progress lines read `LABEL: rps=...`; the result `LABEL: N requests per second`.
        let result = report
            .split(&format!("{label}: "))
            .skip(1)
            .any(|rest| rest.split_whitespace().nth(1) == Some("requests"));
        assert!(result, "no {label} result in {report}");
    }
}
