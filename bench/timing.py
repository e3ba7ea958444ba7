"""Latency benchmarks (pyperf). Run by `make bench`; writes bench/results/timing.json.

Single-thread contenders are measured as a ratio to the pure-Python floor -- two empty
function calls, g(); h(x) -- with the floor and the contender alternating (A B B A) inside
the timed loop, chunk by chunk, so that both see the same machine state. The value pyperf reports for
a "ratio:" benchmark is that ratio, not seconds. Go's benchmarks run at 1, 2 and 4 threads
and report seconds per iteration of their body.

`--only REGEX` runs the benchmarks whose names match (bench/report.py needs them all):
    python bench/timing.py --only 'FastPool|fastalloc|syncpool|pondpond' -o fast.json
"""

import re
import sys
import time
from pathlib import Path

import pyperf

from measure.timing import FLOOR, abba_ratio

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workloads  # noqa: E402

CHUNK = 500  # pairs per timed chunk: long enough to time, short enough to interleave finely


def ratio_to(floor, contender):
    def time_func(loops):
        return abba_ratio(lambda: floor(CHUNK), lambda: contender(CHUNK), loops)
    return time_func


def per_pair(loop):
    def time_func(loops):
        t0 = time.perf_counter()
        loop(loops)
        return time.perf_counter() - t0
    return time_func


def per_iteration(body, p, threads):
    def time_func(loops):
        t0 = time.perf_counter()
        workloads.run_parallel(body, p, threads, loops)
        return time.perf_counter() - t0
    return time_func


def pass_only(cmd, args):
    if args.only:
        cmd.extend(("--only", args.only))  # pyperf's workers must pick the same benchmarks


def main():
    runner = pyperf.Runner(processes=6, values=3, warmups=1, add_cmdline_args=pass_only)
    runner.argparser.add_argument("--only", metavar="REGEX", help="run only the benchmarks "
                                  "whose name matches, e.g. 'FastPool|fastalloc'")
    runner.metadata["description"] = "Pooling in Depth: get+put latency"
    only = re.compile(runner.parse_args().only or "")

    def bench(name, time_func):
        if only.search(name):
            runner.bench_time_func(name, time_func)

    loops = workloads.pair_loops()
    bench("ns: " + FLOOR, per_pair(loops[FLOOR]))
    for name, loop in loops.items():
        if name != FLOOR:
            bench("ratio: " + name, ratio_to(loops[FLOOR], loop))
    for go_name, label, make in workloads.GO_RUNS:
        for threads in (1, 2, 4):
            body = workloads.GO_BENCHMARKS[go_name]
            bench(f"go: {go_name} | {label} | {threads} threads",
                  per_iteration(body, make(), threads))


if __name__ == "__main__":
    main()
