"""Turn bench/results/timing.json into bench/results/README.md, with the counting benchmarks
(new() calls, steals) measured here and every target checked as a ratio from the same run.

Usage: python bench/report.py [timing.json] [README.md]
"""

import inspect
import json
import platform
import statistics
import sys
from pathlib import Path

import pyperf
from pool import scenario

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workloads  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
POOL = "pool.Pool (stats on)"
HANDLE = "pool.Pool, pinned Handle (stats on)"
FAST = "pool.FastPool (stats on)"
FAST_HANDLE = "pool.FastPool, pinned Handle (stats on)"


def load(path):
    suite = pyperf.BenchmarkSuite.load(str(path))
    return {b.get_name(): (b.median(), b.stdev() if b.get_nvalue() > 1 else 0.0)
            for b in suite.get_benchmarks()}


def counts():
    """new()/steal/victim counts per op of Go's benchmarks; not times, so not pyperf."""
    rows = []
    for go_name, label, make in workloads.GO_RUNS:
        if label == "lock + list pool":
            continue
        for threads in (1, 2, 4):
            p = make()
            iterations = 2000
            workloads.run_parallel(workloads.GO_BENCHMARKS[go_name], p, threads, iterations)
            s = p.stats()
            rows.append((go_name, label, threads, s.gets / iterations, s.steals / iterations,
                         (s.gets - s.private_hits - s.shared_hits - s.steals) / iterations))
    expensive = []
    for threads in (1, 2, 4):
        with_victim, _ = workloads.expensive_new(workloads.pool.Pool, threads, ops=200)
        without, _ = workloads.expensive_new(workloads.NoVictimPool, threads, ops=200)
        expensive.append((threads, with_victim, without))
    return rows, expensive


RATE = 200  # requests a second offered to both clients, as in Chapter 5


def scenarios():
    """Both clients under the same open-loop load: each serves the same requests, so goodput
    and the latency of the successful ones compare (a closed loop lets the client that fails
    fastest send the most)."""
    return [("ResourcePool on the primary only", scenario.run(fallback=False, rate=RATE)),
            ("FallbackPool: breaker + standby", scenario.run(fallback=True, rate=RATE))]


def scaling_section(targets):
    """bench/scaling.py's tables, the GIL build's and, if one was measured, 3.13t's."""
    lines = ["", "## Threads: get+put at 1 and 2 threads (bench/scaling.py)", "",
             "Throughput at 2 threads over throughput at 1 (2.0 is perfect); the control is "
             "each thread reading attributes of an object of its own. Best of the runs.", ""]
    found = sorted(RESULTS.glob("scaling-*.json"))
    if not any("ft" in path.stem for path in found):
        lines += ["No free-threaded interpreter was found, so only the GIL build is here: "
                  "`make test-ft` builds one (or set FT_PYTHON), then run `make bench` again.",
                  ""]
    for path in found:
        run = json.loads(path.read_text())
        lines += [f"Python {run['build']}:", "",
                  "| contender | ns/op, 1 thread | 2 threads | scaling | of the control's |",
                  "|---|---:|---:|---:|---:|"]
        lines += [f"| {name} | {one:.0f} | {two:.0f} | {scaling:.2f}× | {share:.0%} |"
                  for name, one, two, scaling, share in run["rows"]]
        lines.append("")
        if "GIL off" in run["build"]:
            row = {name: (scaling, share) for name, _, _, scaling, share in run["rows"]}
            pinned, locked = row["pool.Pool, pinned Handle"], row["lock + list"]
            targets += [
                ("3.13t: the Handle's scaling at 2 threads ≥ 1.6× and ≥ 85% of the control's",
                 f"{pinned[0]:.2f}×, {pinned[1]:.0%}", pinned[0] >= 1.6 and pinned[1] >= 0.85),
                ("3.13t: lock + list scales below 1.2×", f"{locked[0]:.2f}×", locked[0] < 1.2)]
    return lines


def fast_targets(ratios, pypi_ratio, pypi_name):
    """The C fast path's targets, or why they could not be measured."""
    if FAST not in ratios:
        return [("pool.FastPool (the C fast path) measured", workloads.pool.fastpool.status(),
                 False)]
    fast, handle = ratios[FAST][0], ratios[FAST_HANDLE][0]
    return [
        ("pool.FastPool get+put ≤ 1.0× the floor, stats on", f"{fast:.2f}×", fast <= 1.0),
        ("pool.FastPool's pinned Handle get+put ≤ 1.0× the floor, stats on", f"{handle:.2f}×",
         handle <= 1.0),
        (f"pool.FastPool ≥ 15× faster than the fastest PyPI pool ({pypi_name})",
         f"{pypi_ratio / fast:.1f}×", pypi_ratio / fast >= 15),
    ]


def main(timing=RESULTS / "timing.json", out=RESULTS / "README.md"):
    t = load(timing)
    floor_ns = t["ns: floor: g(); h(x)"][0] * 1e9
    ratios = {k[len("ratio: "):]: v for k, v in t.items() if k.startswith("ratio: ")}
    pypi = {k: v for k, v in ratios.items() if k.startswith(("fastalloc", "syncpool", "pondpond"))}
    rows, expensive = counts()
    fastest_pypi = min(pypi, key=lambda k: pypi[k][0])
    lines = [
        "# Benchmark results",
        "",
        f"Made by `make bench` on {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}. Ratios are measured with the contender and the floor alternating "
        "inside pyperf's timed loop (median of pyperf's values; ± is their standard deviation); "
        "nanoseconds are the ratio times the floor, for orientation only.",
        "",
        "## One get+put pair on one thread, against the pure-Python floor",
        "",
        "| contender | × floor | ≈ ns |",
        "|---|---:|---:|",
        f"| floor: g(); h(x) | 1 | {floor_ns:.0f} |",
    ]
    for name, (r, sd) in sorted(ratios.items(), key=lambda kv: kv[1][0]):
        lines.append(f"| {name} | {r:.2f} ± {sd:.2f} | {r * floor_ns:.0f} |")
    handle = ratios[HANDLE][0]
    speedup = pypi[fastest_pypi][0] / ratios[POOL][0]
    stats_cost = ratios[POOL][0] / ratios["pool.Pool, counter lines removed"][0]
    targets = [
        ("pool.Pool get+put ≤ 2.0× the floor, stats on", f"{ratios[POOL][0]:.2f}×",
         ratios[POOL][0] <= 2.0),
        (f"≥ 8× faster than the fastest PyPI pool ({fastest_pypi})",
         f"{speedup:.1f}×", speedup >= 8),
        ("pool.Pool's pinned Handle get+put ≤ 2.0× the floor, stats on", f"{handle:.2f}×",
         handle <= 2.0),
    ]
    targets += fast_targets(ratios, pypi[fastest_pypi][0], fastest_pypi)
    ratio_new = max(w / n for _, w, n in expensive)
    targets.append(("victim tier: ≤ 1/3 of the no-victim new() calls (BenchmarkPoolExpensiveNew)",
                    f"{ratio_new:.3f} (worst of 1, 2, 4 threads)", ratio_new <= 1 / 3))
    lines += [
        "",
        f"Stats cost: pool.Pool with its counters is {stats_cost:.2f}× the same code with the "
        "counter lines removed (`workloads.without_counters`).",
        "",
        "## Go's benchmarks (src/sync/pool_test.go), ported",
        "",
        "| benchmark | contender | threads | µs per iteration |",
        "|---|---|---:|---:|",
    ]
    for name, (v, sd) in t.items():
        if name.startswith("go: "):
            go_name, label, threads = name[4:].split(" | ")
            lines.append(f"| {go_name} | {label} | {threads.split()[0]} | "
                         f"{v * 1e6:.1f} ± {sd * 1e6:.1f} |")
    lines += ["", "Per iteration (not timed): gets, steals, and gets that neither their own "
              "thread's tiers nor stealing served (victim hits, news, or None without new).",
              "", "| benchmark | contender | threads | gets | steals | missed |",
              "|---|---|---:|---:|---:|---:|"]
    lines += [f"| {g} | {l} | {th} | {gets:.0f} | {st:.2f} | {vn:.2f} |"
              for g, l, th, gets, st, vn in rows]
    lines += ["", "BenchmarkPoolExpensiveNew: new() calls per op (100 objects checked out per op, "
              "a cleanup every 2 ops of thread 0).", "",
              "| threads | with victim | without victim (Go ≤ 1.12) |", "|---:|---:|---:|"]
    lines += [f"| {th} | {w:.2f} | {n:.2f} |" for th, w, n in expensive]
    seconds = sum(inspect.signature(scenario.run).parameters["phases"].default)
    lines += ["", "## Chapter 5's scenario: a primary backend fails under traffic", "",
              "Loopback services (pool.chaos); 1 s healthy, 3 s refusing and stalling 500 ms, "
              f"3 s recovered; {RATE} requests a second offered on schedule (an open loop), "
              "one retry (pool.scenario). Latencies are of successful requests only; "
              "goodput is successful requests a second.", "",
              "| client | offered | failed | goodput/s | p50 ms | p99 ms | max ms | "
              "breaker opened |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label, run in scenarios():
        ok = [r.seconds for r in run.requests if r.ok]
        lines.append(f"| {label} | {len(run.requests)} | {len(run.requests) - len(ok)} | "
                     f"{len(ok) / seconds:.0f} | "
                     f"{run.latency(0.5, succeeded=True) * 1e3:.2f} | "
                     f"{run.latency(0.99, succeeded=True) * 1e3:.2f} | "
                     f"{max(ok) * 1e3:.0f} | "
                     f"{sum(new == 'open' for _, _, new in run.transitions)} times |")
    lines += scaling_section(targets)
    lines += ["", "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {what} | {got} | {'yes' if ok else '**no**'} |" for what, got, ok in targets]
    lines += ["", "Allocation per steady-state get+put is tested, not benchmarked: "
              "tests/test_allocations.py counts it with memray.", ""]
    Path(out).write_text("\n".join(lines))
    print("\n".join(lines))
    (RESULTS / "targets.json").write_text(json.dumps(
        [{"target": w, "measured": g, "met": ok} for w, g, ok in targets], indent=2))


if __name__ == "__main__":
    main(*sys.argv[1:])
