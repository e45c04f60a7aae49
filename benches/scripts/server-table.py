#!/usr/bin/env python3
"""The README tables of scripts/bench-server from benches/results/server.csv
(the median round of each target, pipeline and test)."""
import csv
import sys

TESTS = ["ping_inline", "ping_mbulk", "set", "get", "lpush", "mset"]
LABELS = {"ping_inline": "PING_INLINE", "ping_mbulk": "PING_MBULK", "set": "SET",
          "get": "GET", "lpush": "LPUSH", "mset": "MSET (10 keys)"}


def main(path):
    rounds = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            if row["rps"]:
                rounds.setdefault((row["target"], row["pipeline"], row["test"]), []).append(row)
    # The median round by throughput, with its latencies.
    rows = {key: sorted(runs, key=lambda r: float(r["rps"]))[len(runs) // 2]
            for key, runs in rounds.items()}

    def rps(target, p, test):
        row = rows.get((target, p, test))
        return float(row["rps"]) if row and row["rps"] else None

    def lat(target, p, test):
        row = rows.get((target, p, test))
        if not row or not row["rps"]:
            return "n/a"
        return f"{float(row['p50_ms']):.3f} / {float(row['p99_ms']):.3f}"

    def fmt(value):
        return "n/a" if value is None else f"{value:,.0f}"

    print("#### The key-value example against redis-server (requests per second)\n")
    print("| test | -P | redis-server | kv, blocking body | / redis | kv, tokio body | / redis |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for p in ["1", "16"]:
        for test in TESTS:
            r, k, t = rps("redis", p, test), rps("kv", p, test), rps("kvt", p, test)
            ratio = f"{k / r:.2f}" if r and k else "n/a"
            tratio = f"{t / r:.2f}" if r and t else "n/a"
            print(f"| {LABELS[test]} | {p} | {fmt(r)} | {fmt(k)} | {ratio} | {fmt(t)} | {tratio} |")

    print("\n#### Through a proxy (requests per second; latency p50 / p99 in ms)\n")
    print("| test | -P | direct | direct p50 / p99 | our proxy | ours p50 / p99 "
          "| twemproxy | twemproxy p50 / p99 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for p in ["1", "16"]:
        for test in TESTS:
            print(f"| {LABELS[test]} | {p} | {fmt(rps('redis', p, test))} | {lat('redis', p, test)} "
                  f"| {fmt(rps('ours', p, test))} | {lat('ours', p, test)} "
                  f"| {fmt(rps('twem', p, test))} | {lat('twem', p, test)} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "benches/results/server.csv")
