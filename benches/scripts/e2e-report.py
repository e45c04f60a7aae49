#!/usr/bin/env python3
"""Turn the end-to-end benchmark's JSON results into markdown tables and an SVG plot.

Reads the JSON written by the e2e benchmark (benches/benches/e2e/; the shape is in
benches/scripts/e2e-sample.json) and prints a machine line, one table per workload
(rows = clients, columns = TCP and Unix-socket values of each metric as
`median (min–max)` over the rounds, ratios against the `minimal` client and the best
redis-rs client) and a table of per-command costs. Optionally draws throughput and CPU
time per command as a self-contained SVG, converts it to PNG, and replaces the text
between `<!-- e2e-table:start -->` and `<!-- e2e-table:end -->` in a README. Optional
input fields: `workloads` (a sentence per workload, printed above its table) and
`sizes.mget_keys` (keys per MGET, default 1000; the plot shows MGET's CPU per key).

Usage (from the workspace root):

    python3 benches/scripts/e2e-report.py RESULTS.json [--markdown FILE] [--svg FILE]
        [--png FILE] [--readme README.md]

The markdown goes to stdout unless --markdown or --readme is given. --png needs one of
rsvg-convert, ImageMagick, Inkscape or Chromium on PATH. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from html import escape
from pathlib import Path

# Known workloads, in table order, with their metrics in column order; HEADLINE names the
# metric the ratio columns compare (any other workload: its first metric).
WORKLOADS = {
    "sequential": ["p50_us", "p99_us", "cpu_us_per_op"],
    "pipelined": ["ops_per_s", "cpu_us_per_op", "allocs_per_op"],
    "multiplexed": ["ops_per_s", "cpu_us_per_op", "allocs_per_op"],
    "mget": ["calls_per_s", "cpu_us_per_call", "allocs_per_call"],
    "mt-64": ["ops_per_s", "cpu_us_per_op", "allocs_per_op"],
    "mt-512": ["ops_per_s", "cpu_us_per_op", "allocs_per_op"],
    "cluster": ["ops_per_s", "cpu_us_per_op", "allocs_per_op"],
    "cluster-mt": ["ops_per_s", "cpu_us_per_op", "allocs_per_op"],
    "cluster-pipe": ["ops_per_s", "cpu_us_per_op", "allocs_per_op"],
}
HEADLINE = {"sequential": "p50_us", "pipelined": "ops_per_s", "multiplexed": "ops_per_s", "mget": "calls_per_s",
            "mt-64": "ops_per_s", "mt-512": "ops_per_s", "cluster": "ops_per_s", "cluster-mt": "ops_per_s",
            "cluster-pipe": "ops_per_s"}
METRIC_LABELS = {
    "ops_per_s": "ops/s", "calls_per_s": "calls/s", "p50_us": "p50 µs", "p99_us": "p99 µs",
    "cpu_us_per_op": "client CPU µs/op", "cpu_us_per_call": "client CPU µs/call",
    "allocs_per_op": "allocs/op", "allocs_per_call": "allocs/call",
}
TRANSPORTS = {"tcp": "TCP", "unix": "Unix"}
COSTS = {"instructions_per_cmd": "instructions / cmd", "allocs_per_cmd": "allocations / cmd",
         "syscalls_per_cmd": "syscalls / cmd"}
MARKERS = ("<!-- e2e-table:start -->", "<!-- e2e-table:end -->")
# The plot: (workload, throughput metric, CPU metric); mget's CPU is divided by the keys per call.
PLOT = [("pipelined", "ops_per_s", "cpu_us_per_op"), ("multiplexed", "ops_per_s", "cpu_us_per_op"),
        ("mget", "calls_per_s", "cpu_us_per_call"), ("mt-64", "ops_per_s", "cpu_us_per_op"),
        ("mt-512", "ops_per_s", "cpu_us_per_op"), ("cluster", "ops_per_s", "cpu_us_per_op"),
        ("cluster-mt", "ops_per_s", "cpu_us_per_op"), ("cluster-pipe", "ops_per_s", "cpu_us_per_op")]
FAMILIES = [("minimal", "#6e7781"), ("ours", "#1f6fb5"), ("redis-rs", "#d9730d"), ("fred", "#2e8b57"),
            ("redis-benchmark", "#b5403a")]
OTHER_COLOURS = ["#8250df", "#bf8700", "#1b7c83", "#cf222e"]


def higher_is_better(metric: str) -> bool:
    return metric.endswith("_per_s")


def load(path: str) -> tuple[dict, dict, list[str]]:
    """The whole document, {(workload, transport, client, metric): stats}, and the clients in order."""
    data = json.loads(Path(path).read_text())
    recs, clients = {}, []
    for i, r in enumerate(data.get("records") or []):
        try:
            key = (r["workload"], r["transport"], r["client"], r["metric"])
        except KeyError as missing:
            sys.exit(f"{path}: records[{i}] has no {missing} field")
        samples = [s for s in r.get("samples") or [] if s is not None]
        stats = {k: r[k] if r.get(k) is not None else f(samples) if samples else None
                 for k, f in (("median", statistics.median), ("min", min), ("max", max))}
        if stats["median"] is None:
            sys.exit(f"{path}: records[{i}] ({'/'.join(key)}) has neither a median nor samples")
        stats = {k: stats["median"] if v is None else v for k, v in stats.items()}
        if key in recs:
            sys.exit(f"{path}: records[{i}] repeats {'/'.join(key)}")
        recs[key] = stats
        clients += [r["client"]] if r["client"] not in clients else []
    for c in data.get("costs") or []:
        clients += [c["client"]] if c.get("client") and c["client"] not in clients else []
    return data, recs, clients


def ordered(known, found) -> list[str]:
    """Known names that occur, in the known order, then unknown ones in order of appearance."""
    found = list(dict.fromkeys(found))
    return [k for k in known if k in found] + [f for f in found if f not in known]


def decimals(v: float) -> int:
    """Digits after the point that show `v` with three significant digits."""
    return 0 if v == 0 else max(0, 2 - math.floor(math.log10(abs(v))))


def scale(v: float) -> tuple[float, str]:
    return (1e6, "M") if v >= 1e6 else (1e3, "k") if v >= 1e3 else (1.0, "")


def fmt(v: float | None, ref: float | None = None) -> str:
    return "n/a" if v is None else f"{v:.{decimals(v if ref is None else ref)}f}"


def fmt_count(v: float | None) -> str:
    return "n/a" if v is None else f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def fmt_stats(s: dict | None, metric: str) -> str:
    if s is None:
        return "–"
    if metric.startswith("allocs"):  # counts: no trailing zeros, and no range when every round agrees
        rng = "" if s["min"] == s["max"] else f" ({fmt_count(s['min'])}–{fmt_count(s['max'])})"
        return fmt_count(s["median"]) + rng
    div, unit = scale(s["median"]) if higher_is_better(metric) else (1.0, "")
    med = s["median"] / div
    unit = f" {unit}" if unit else ""
    return f"{fmt(med)}{unit} ({fmt(s['min'] / div, med)}–{fmt(s['max'] / div, med)})"


def speed(s: dict, metric: str) -> float:
    """Bigger is better, whatever the metric: latencies and costs are inverted."""
    return s["median"] if higher_is_better(metric) else 1 / s["median"]


def ratio(mine: dict | None, theirs: dict | None, metric: str) -> str:
    return f"{speed(mine, metric) / speed(theirs, metric):.2f}×" if mine and theirs else "–"


def best_redis_rs(recs, clients, w, t, metric) -> str | None:
    cands = [c for c in clients if c.startswith("redis-rs") and (w, t, c, metric) in recs]
    return max(cands, key=lambda c: speed(recs[(w, t, c, metric)], metric), default=None)


def machine_parts(machine: dict | None) -> tuple[list[str], str | None]:
    """The machine's description as short phrases, and the pinning."""
    m = dict(machine or {})
    redis = str(m.pop("redis", ""))  # `redis-server --version` says `Redis server v=7.0.15 sha=...`
    redis = next((w[2:] for w in redis.split() if w.startswith("v=")), redis)
    parts = [m.pop("cpu", None), f"{m.pop('cores')} cores" if "cores" in m else None,
             f"Linux {m.pop('kernel')}" if "kernel" in m else None, f"Redis {redis}" if redis else None,
             m.pop("rustc", None)]
    pinning = m.pop("pinning", None)
    return [str(p) for p in parts if p] + [f"{k}: {v}" for k, v in m.items()], pinning


def render_markdown(data, recs, clients, image: str | None) -> str:
    workloads = ordered(WORKLOADS, [k[0] for k in recs])
    all_transports = ordered(TRANSPORTS, [k[1] for k in recs])
    parts, pinning = machine_parts(data.get("machine"))
    out = [f"![End-to-end throughput and client CPU time per command]({image})", ""] if image else []
    if parts or pinning:
        out.append(f"- machine: {', '.join(parts)}" + (f"; {pinning}" if pinning else ""))
    rounds = data.get("rounds")
    out.append(f"- command: `{data.get('command', '?')}`" + (f", {rounds} rounds" if rounds else "")
               + "; each cell is the median over the rounds, (min–max) in brackets")
    out.append("- ratio columns compare the workload's first metric with the `minimal` client's and the best"
               " `redis-rs*` client's on the same transport; above 1.00× = this client is faster"
               " (for latency: the other's p50 over this client's)")
    for w in workloads:
        metrics = ordered(WORKLOADS.get(w, []), [k[3] for k in recs if k[0] == w])
        # The cluster workloads run over TCP only: only the transports a workload has.
        transports = [t for t in all_transports if any(k[0] == w and k[1] == t for k in recs)]
        tr_names = " / ".join(TRANSPORTS.get(t, t) for t in transports)
        head = HEADLINE.get(w, metrics[0])
        rows = [c for c in clients if any((w, t, c, mt) in recs for t in transports for mt in metrics)]
        base = "minimal" if any((w, t, "minimal", head) in recs for t in transports) else None
        best = {t: best_redis_rs(recs, clients, w, t, head) for t in transports}
        heads = ["client"] + [f"{METRIC_LABELS.get(mt, mt)} {TRANSPORTS.get(t, t)}" for mt in metrics for t in transports]
        heads += [f"vs minimal ({tr_names})"] if base else []
        heads += [f"vs redis-rs ({tr_names})"] if any(best.values()) else []
        out += ["", f"#### {w}", ""]
        if (data.get("workloads") or {}).get(w):
            out += [data["workloads"][w], ""]
        out.append("| " + " | ".join(heads) + " |")
        out.append("|" + "|".join(["---"] + ["---:"] * (len(heads) - 1)) + "|")
        for c in rows:
            cells = [f"`{c}`"] + [fmt_stats(recs.get((w, t, c, mt)), mt) for mt in metrics for t in transports]
            for other in ([dict.fromkeys(transports, base)] if base else []) + ([best] if any(best.values()) else []):
                cells.append(" / ".join(ratio(recs.get((w, t, c, head)), recs.get((w, t, other[t], head)), head)
                                        for t in transports))
            out.append("| " + " | ".join(cells) + " |")
        if any(best.values()):
            named = ", ".join(f"`{best[t]}` ({TRANSPORTS.get(t, t)})" for t in transports if best[t])
            out += ["", f"Best redis-rs client by {METRIC_LABELS.get(head, head)}: {named}."]
    costs = data.get("costs") or []
    if costs:
        order = {w: i for i, w in enumerate(ordered(WORKLOADS, [c.get("workload") for c in costs]))}
        costs = sorted(costs, key=lambda c: (order[c.get("workload")], clients.index(c["client"])))
        out += ["", "#### Costs per command", ""]
        out.append("| client | workload | transport | " + " | ".join(COSTS.values()) + " |")
        out.append("|---|---|---|" + "---:|" * len(COSTS))
        for c in costs:
            cells = [f"`{c['client']}`", str(c.get("workload")), TRANSPORTS.get(c.get("transport"), str(c.get("transport")))]
            cells += [fmt_count(c.get(k)) for k in COSTS]
            out.append("| " + " | ".join(cells) + " |")
        out += ["", "n/a: the counting tool (valgrind, strace) was missing or failed in that run."]
    return "\n".join(out) + "\n"


def family(client: str) -> tuple[str, str] | None:
    """(legend label, colour) of the client's family, if it has a known one."""
    for prefix, col in FAMILIES:
        if client == prefix or client.startswith(prefix + "-"):
            return (prefix if client == prefix and prefix != "ours" else prefix + "-*"), col
    return None


def colour(client: str, clients: list[str]) -> str:
    known = family(client)
    return known[1] if known else OTHER_COLOURS[clients.index(client) % len(OTHER_COLOURS)]


def nice_axis(top: float) -> tuple[float, float]:
    """(step, axis end) with 4 to 7 ticks covering `top`."""
    raw = max(top, 1e-12) / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = next(s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw)
    return step, step * math.ceil(top / step - 1e-9)


def text(x: float, y: float, s, size: float = 12, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" {extra}>{escape(str(s))}</text>'


def render_svg(data, recs, clients) -> tuple[str, int, int]:
    W, LABEL_X, PANELS, PLOT_W, ROW, BAR = 1000, 178, (192, 606), 318, 30, 11
    GREY, FAINT, BOLD = "#57606a", 'fill="#8c959f"', 'font-weight="600"'
    transports = ordered(TRANSPORTS, [k[1] for k in recs])[:2]
    keys = data.get("sizes", {}).get("mget_keys", data.get("mget_keys", 1000))
    parts, pinning = machine_parts(data.get("machine"))
    rounds = data.get("rounds")
    sub = [pinning] * bool(pinning) + [f"median of {rounds} rounds, whiskers min–max"] * bool(rounds)
    el = [text(W / 2, 30, "End-to-end: throughput and client CPU time per command", 19, "middle", BOLD),
          text(W / 2, 50, " · ".join(parts), 12, "middle", f'fill="{GREY}"'),
          text(W / 2, 66, " · ".join(sub), 12, "middle", f'fill="{GREY}"')]
    # Legend: client families (or clients) plotted, a gap, then what each transport's bar looks like.
    shown = [x for x in clients if any(k[2] == x for k in recs)]
    items = list(dict.fromkeys(family(x) or (x, colour(x, clients)) for x in shown))
    items += [(f"{TRANSPORTS.get(t, t)} ({'hatched' if i else 'solid'})", f"url(#h-{GREY[1:]})" if i else GREY)
              for i, t in enumerate(transports)]
    widths = [28 + 7.2 * len(name) for name, _ in items]
    widths[-len(transports) - 1] += 24
    x = (W - sum(widths)) / 2
    for (name, fill), wdt in zip(items, widths):
        edge = fill if fill.startswith("#") else GREY
        el += [f'<rect x="{x:.1f}" y="82" width="16" height="11" fill="{fill}" stroke="{edge}"/>', text(x + 21, 92, name)]
        x += wdt
    el.append(text(PANELS[0], 122, "(a) Throughput — higher is better", 14, extra=BOLD))
    el.append(text(PANELS[1], 122, "(b) Client CPU per command — lower is better", 14, extra=BOLD))
    y = 136
    for w, tput, cpu in PLOT:
        rows = [c for c in clients if any((w, t, c, mt) in recs for t in transports for mt in (tput, cpu))]
        if not rows:
            continue
        top, bottom, h = y + 28, y + 24 + ROW * len(rows), 26 + ROW * len(rows) + 48
        el.append(f'<rect x="8" y="{y}" width="{W - 16}" height="{h - 8}" rx="6" fill="#f6f8fa"/>')
        el.append(text(LABEL_X, y + 19, w, 14, "end", BOLD))
        el += [text(LABEL_X, top + i * ROW + BAR + 5, c, 12, "end") for i, c in enumerate(rows)]
        for px, metric in zip(PANELS, (tput, cpu)):
            div = keys if metric == "cpu_us_per_call" else 1
            peak = max((s["max"] / div for c in rows for t in transports if (s := recs.get((w, t, c, metric)))), default=1)
            step, end = nice_axis(peak)
            tick_div, unit = scale(end) if higher_is_better(metric) else (1.0, "")
            for k in range(int(round(end / step)) + 1):
                gx = px + PLOT_W * k * step / end
                el.append(f'<line x1="{gx:.1f}" y1="{top - 4}" x2="{gx:.1f}" y2="{bottom}" stroke="#d0d7de"/>')
                el.append(text(gx, bottom + 14, f"{k * step / tick_div:g}", 11, "middle", f'fill="{GREY}"'))
            if higher_is_better(metric):
                title = METRIC_LABELS.get(metric, metric) + {"M": " (×10⁶)", "k": " (×10³)"}.get(unit, "")
            else:
                title = f"µs per key (per MGET ÷ {keys} keys)" if div != 1 else "µs per op"
            el.append(text(px + PLOT_W / 2, bottom + 30, f"{w}: {title}", 12, "middle"))
            for i, c in enumerate(rows):
                col = colour(c, clients)
                for j, t in enumerate(transports):
                    s, by = recs.get((w, t, c, metric)), top + i * ROW + j * (BAR + 2)
                    if s is None:
                        note = f"{TRANSPORTS.get(t, t)}: not measured"
                        el.append(text(px + 4, by + BAR - 1.5, note, 10, extra=f'{FAINT} font-style="italic"'))
                        continue
                    med, lo, hi = (px + PLOT_W * s[k] / div / end for k in ("median", "min", "max"))
                    fill, cy = (f"url(#h-{col[1:]})" if j else col), by + BAR / 2
                    el.append(f'<rect x="{px}" y="{by}" width="{med - px:.1f}" height="{BAR}" fill="{fill}" '
                              f'stroke="{col}" stroke-width="0.8"/>')
                    if hi - lo > 1:  # whisker from min to max, with caps
                        el.append(f'<path d="M{lo:.1f} {cy}H{hi:.1f}M{lo:.1f} {cy - 3}V{cy + 3}M{hi:.1f} {cy - 3}'
                                  f'V{cy + 3}" stroke="#24292f" fill="none"/>')
                    d, u = scale(s["median"]) if higher_is_better(metric) else (1.0, "")
                    label = f"{fmt(s['median'] / div / d)}{' ' + u if u else ''}"
                    el.append(text(max(med, hi) + 4, cy + 3.8, label, 10.5))
        y += h
    el.append(text(W - 12, y + 6, "benches/scripts/e2e-report.py", 10, "end", FAINT))
    H = y + 14
    pats = "".join(
        f'<pattern id="h-{c[1:]}" patternUnits="userSpaceOnUse" width="4" height="4" patternTransform="rotate(45)">'
        f'<rect width="4" height="4" fill="#ffffff"/><rect width="2" height="4" fill="{c}" opacity="0.75"/></pattern>'
        for c in sorted({colour(c, clients) for c in clients} | {GREY}))
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           f'font-family="-apple-system, \'Segoe UI\', Helvetica, Arial, \'DejaVu Sans\', sans-serif" fill="#24292f">\n'
           f'<title>End-to-end throughput and client CPU time per command</title>\n<defs>{pats}</defs>\n'
           f'<rect width="{W}" height="{H}" fill="#ffffff"/>\n' + "\n".join(el) + "\n</svg>\n")
    return svg, W, H


def to_png(svg: Path, png: Path, width: int, height: int) -> str | None:
    """Convert with the first converter that works; its name, or None."""
    chrome = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
              "--hide-scrollbars", f"--window-size={width},{height}", f"--screenshot={png.resolve()}",
              svg.resolve().as_uri()]
    for cmd in (["rsvg-convert", "--zoom", "2", "-o", str(png), str(svg)], ["magick", str(svg), str(png)],
                ["convert", str(svg), str(png)], ["inkscape", str(svg), f"--export-filename={png}"],
                ["chromium"] + chrome, ["chromium-browser"] + chrome):
        if shutil.which(cmd[0]):
            png.unlink(missing_ok=True)
            if subprocess.run(cmd, capture_output=True, timeout=120).returncode == 0 and png.exists():
                return cmd[0]
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="the JSON file the e2e benchmark wrote")
    parser.add_argument("--markdown", metavar="FILE", help="write the markdown here instead of stdout")
    parser.add_argument("--svg", metavar="FILE", help="also draw the plot as SVG here (the markdown then links it)")
    parser.add_argument("--png", metavar="FILE", help="also render the plot as PNG (needs a converter on PATH)")
    parser.add_argument("--readme", metavar="FILE", help=f"replace the text between {MARKERS[0]} and {MARKERS[1]} here")
    args = parser.parse_args()

    data, recs, clients = load(args.results)
    if not recs:
        print(f"{args.results}: no records", file=sys.stderr)
        return 1
    readme = None
    if args.readme:
        readme = Path(args.readme).read_text()
        start = readme.find(MARKERS[0])
        end = readme.find(MARKERS[1], start + 1) if start >= 0 else -1
        if end < 0:
            print(f"{args.readme}: no {MARKERS[0]} ... {MARKERS[1]} pair (in that order); left untouched", file=sys.stderr)
            return 1

    def markdown(dest: str | None) -> str:  # links the SVG relative to where the markdown goes
        image = Path(os.path.relpath(args.svg, Path(dest).parent if dest else ".")).as_posix() if args.svg else None
        return render_markdown(data, recs, clients, image)

    if args.svg or args.png:
        svg, width, height = render_svg(data, recs, clients)
        with tempfile.TemporaryDirectory() as tmp:
            svg_path = Path(args.svg or Path(tmp) / "e2e.svg")
            svg_path.write_text(svg)
            used = to_png(svg_path, Path(args.png), width, height) if args.png else ""
            if used is None:
                print("--png: no converter worked (tried rsvg-convert, ImageMagick, Inkscape, Chromium);"
                      " PNG skipped", file=sys.stderr)
    if args.markdown:
        Path(args.markdown).write_text(markdown(args.markdown))
    if readme is not None:
        Path(args.readme).write_text(readme[:start + len(MARKERS[0])] + "\n" + markdown(args.readme) + readme[end:])
    if not (args.markdown or args.readme):
        sys.stdout.write(markdown(None))
    return 1 if args.png and used is None else 0


if __name__ == "__main__":
    sys.exit(main())
