"""Does per-thread caching scale with threads? Wall time of get+put at 1 and 2 threads.

Usage: python bench/scaling.py [--json FILE]   (any interpreter with `pool` importable:
PYTHONPATH=reference:. for the free-threaded one, which has no venv)

Each thread does N get+put on one pool shared by the threads (a Handle: each thread pins its
own), started before the timer and released together. Throughput at 2 threads over
throughput at 1 is the scaling: 2.0 is perfect, 1.0 is none, below 1 is worse than one
thread. The control is each thread reading attributes of an object of its own -- what
scaling any Python code gets here. Every contender is measured in each of RUNS runs, in the
same process, and the best time of each (contender, threads) is kept: on a shared 2-core
machine the other core is not always free.
"""

import json
import queue
import sys
import sysconfig
import threading
import time
from itertools import repeat
from pathlib import Path

import pool

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workloads import LockedPool, new_buffer  # noqa: E402

N = 100_000  # get+put per thread
RUNS = 5
THREADS = (1, 2)


class Plain:
    __slots__ = ("a", "b")

    def __init__(self):
        self.a = self.b = None


def control(_):
    def body(n):
        mine = Plain()  # made by the thread that reads it
        for _ in repeat(None, n):
            mine.a
            mine.b
    return body


def pair_loop(get, put, n):
    for _ in repeat(None, n):
        put(get())


def handle(p):
    def body(n):
        h = p.pin()  # this thread's own
        pair_loop(h.get, h.put, n)
    return body


def shared(p):
    return lambda n: pair_loop(p.get, p.put, n)


class QueuePool:
    def __init__(self, new):
        self.q, self.new = queue.Queue(), new

    def get(self):
        try:
            return self.q.get_nowait()
        except queue.Empty:
            return self.new()

    def put(self, x):
        self.q.put_nowait(x)


CONTROL = "control: own object"
CONTENDERS = {  # name -> (make the shared pool, body for one thread)
    CONTROL: (lambda: None, control),
    "pool.Pool, pinned Handle": (lambda: pool.Pool(new_buffer), handle),
    "pool.Pool": (lambda: pool.Pool(new_buffer), shared),
    "lock + list": (lambda: LockedPool(new_buffer), shared),
    "queue.Queue": (lambda: QueuePool(new_buffer), shared),
}


def timed(make, body_for, threads, n):
    target = make()
    body = body_for(target)
    start = threading.Barrier(threads + 1)
    done = threading.Barrier(threads + 1)

    def work():
        start.wait()
        body(n)
        done.wait()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    start.wait()
    t0 = time.perf_counter()
    done.wait()
    elapsed = time.perf_counter() - t0
    for w in workers:
        w.join()
    return elapsed


def measure(n=N, runs=RUNS):
    """{contender: {threads: best seconds for threads x n get+put}}."""
    best = {name: {t: float("inf") for t in THREADS} for name in CONTENDERS}
    for _ in range(runs):
        for name, (make, body_for) in CONTENDERS.items():
            for t in THREADS:
                best[name][t] = min(best[name][t], timed(make, body_for, t, n))
    return best


def build():
    free = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    gil = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True
    return f"{sys.version.split()[0]}{'t' if free else ''}, GIL {'on' if gil else 'off'}"


def rows(best, n=N):
    """(contender, ns per op at 1 thread, at 2 threads, scaling, share of the control's)."""
    def scaling(seconds):
        return seconds[1] / seconds[2] * 2  # throughput at 2 threads / at 1

    control = scaling(best[CONTROL])
    return [(name, s[1] / n * 1e9, s[2] / (2 * n) * 1e9, scaling(s), scaling(s) / control)
            for name, s in best.items()]


def table(best, n=N):
    lines = [f"{'contender':26s} {'ns/op, 1 thread':>16s} {'2 threads':>10s} {'scaling':>8s} "
             f"{'of control':>10s}"]
    lines += [f"{name:26s} {one:16.0f} {two:10.0f} {scaling:7.2f}x {share:9.0%}"
              for name, one, two, scaling, share in rows(best, n)]
    return "\n".join(lines)


def main(argv):
    best = measure()
    print(f"Python {build()}: wall time per get+put (best of {RUNS} runs, {N:,} per thread)")
    print(table(best))
    if "--json" in argv:
        Path(argv[argv.index("--json") + 1]).write_text(json.dumps(
            {"build": build(), "runs": RUNS, "rows": rows(best)}, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
