"""Measuring helpers for the book's chapters: timings, memray counts, flame graphs.

Every figure in the book is computed by these when the book builds, on the reader's machine.
"""

import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

import matplotlib.pyplot as plt
import memray

from measure.environment import MEASURED_UNDER
from measure.timing import abba_ratio

plt.rcParams.update({"figure.dpi": 110, "axes.spines.top": False, "axes.spines.right": False,
                     "axes.grid": True, "grid.alpha": 0.3, "font.size": 10})


def best_ns(fn, n=2000, repeat=7):
    """Nanoseconds per call of fn(), the best of `repeat` runs of n calls."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in itertools.repeat(None, n):
            fn()
        best = min(best, time.perf_counter() - t0)
    return best / n * 1e9


def interleaved_ratio(baseline, candidate, rounds=30):
    """Median over rounds of candidate()'s time / baseline()'s, timed in A B B A order."""
    return statistics.median(abba_ratio(baseline, candidate) for _ in range(rounds))


def buffer_costs(sizes, n=300):
    """ns per buffer at each size: allocating it, and taking it from a pool and giving it
    back -- a BufferPool, and a Pool and a FastPool (the C fast path) of that size's buffers.

    Returns {label: [ns at each size]}; FastPool's curve is there only when its C part is
    built (pool.FAST), since otherwise it is Pool's.
    """
    import pool

    kinds = {"BufferPool get(n) + put": None, "Pool get + put": pool.Pool}
    if pool.FAST:
        kinds["FastPool get + put (C)"] = pool.FastPool
    curves = {"bytearray(n)": [], **{label: [] for label in kinds}}
    buffers = pool.BufferPool(max_size=max(sizes))
    for size in sizes:
        curves["bytearray(n)"].append(best_ns(lambda: bytearray(size), n=n))
        for label, kind in kinds.items():
            p = kind(lambda: bytearray(size)) if kind else buffers
            get = p.get if kind else lambda: buffers.get(size)
            p.put(get())  # warm: this thread's cache holds one buffer
            curves[label].append(best_ns(lambda: p.put(get()), n=n))
    return curves


def pays_from(sizes, fresh, pooled):
    """The smallest size from which pooling costs less than allocating, at it and at every
    larger size (so one noisy point does not move it), or None."""
    first = None
    for size, f, p in zip(sizes, fresh, pooled):
        first = (first or size) if p < f else None
    return first


# The two ways glibc can serve a large buffer. With its default, dynamic threshold, freeing a
# mapped block larger than the threshold (up to DEFAULT_MMAP_THRESHOLD_MAX, 32 MiB on 64-bit)
# raises the threshold to its size, so the next one of that size comes from the heap, reused;
# fixed (mallopt(3) M_MMAP_THRESHOLD), a request of 128 KiB or more that the heap's free chunks
# cannot satisfy is mapped fresh and unmapped on free -- how the grader runs
# (measure/environment.py, MEASURED_UNDER).
THRESHOLD = "MALLOC_MMAP_THRESHOLD_"
ALLOCATORS = {"glibc's default": {}, "threshold fixed at 128 KiB, as graded":
              {THRESHOLD: MEASURED_UNDER[THRESHOLD]}}

_FILL = """
import itertools, json, resource, sys, time
out = {}
for n in map(int, sys.argv[1:]):
    block = b"x" * n
    def fill():  # a frame's buffer: made, written through, freed
        memoryview(bytearray(n))[:] = block
    fill()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    best = float("inf")
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in itertools.repeat(None, 200):
            fill()
        best = min(best, time.perf_counter() - t0)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / 1400
    out[n] = (best / 200 * 1e9, faults)
print(json.dumps(out))
"""


def fill_costs(sizes):
    """{allocator: {size: (ns, page faults)}} per buffer made, filled and freed, each
    allocator setting (ALLOCATORS) measured in a fresh Python process of its own."""
    out = {}
    for label, setting in ALLOCATORS.items():
        env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
        run = subprocess.run([sys.executable, "-c", _FILL, *map(str, sizes)],
                             env={**env, **setting}, capture_output=True, text=True,
                             check=True)
        out[label] = {int(n): tuple(v) for n, v in json.loads(run.stdout).items()}
    return out


class Capture:
    """What memray saw while `run()` ran: allocation records with their Python stacks."""

    def __init__(self, run):
        fd, self.path = tempfile.mkstemp(suffix=".memray")
        os.close(fd)
        os.unlink(self.path)
        with memray.Tracker(self.path, trace_python_allocators=True):
            run()
        records = memray.FileReader(self.path).get_allocation_records()
        self.allocations = [r for r in records
                            if not memray.AllocatorType(r.allocator).name.endswith(("FREE",
                                                                                  "MUNMAP"))]

    def count(self, min_size=0):
        return sum(r.n_allocations for r in self.allocations if r.size >= min_size)

    def stacks(self, entry, min_size=0):
        """{stack below entry (outermost first): bytes} for allocations made inside entry."""
        out = defaultdict(int)
        for r in self.allocations:
            if r.size < min_size:
                continue
            names = [frame[0] for frame in reversed(r.stack_trace())]
            if entry in names:
                out[tuple(names[names.index(entry):])] += r.size
        return out


def flame(ax, capture, entry, title, min_size=0, depth=5):
    """An icicle flame graph: bytes allocated under entry(), by call stack, callers on top."""
    tree = {}  # function name -> [bytes, {callee: ...}]
    for stack, size in capture.stacks(entry, min_size).items():
        node = tree
        for name in stack[:depth]:
            node = node.setdefault(name, [0, {}])
            node[0] += size
            node = node[1]
    total = sum(size for size, _ in tree.values()) or 1

    def draw(children, x, level):
        for name, (size, callees) in sorted(children.items(), key=lambda kv: -kv[1][0]):
            width = size / total
            ax.barh(-level, width, left=x, height=0.92, edgecolor="white",
                    color=plt.cm.YlOrRd(0.3 + 0.15 * (level % 4)))
            if width > 0.08:
                ax.text(x + width / 2, -level, name[:30], ha="center", va="center", fontsize=8)
            draw(callees, x, level + 1)
            x += width

    draw(tree, 0.0, 0)
    ax.set_title(f"{title}\n{total / 1024:.0f} KiB allocated under {entry}()", fontsize=10)
    ax.set_xlim(0, 1)
    ax.set_yticks([])
    ax.set_xticks([])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)


def grouped_bars(ax, labels, series):
    """One group of bars per label, one bar per series; the legend goes below the axes, so
    that it never covers a bar however tall the bars are."""
    width = 0.8 / len(series)
    for i, (name, values) in enumerate(series.items()):
        offsets = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
        ax.bar(offsets, values, width, label=name)
    ax.set_xticks(range(len(labels)), labels)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12),
              ncol=len(series), frameon=False)


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_threaded_python():
    """A free-threaded interpreter already on this machine (FT_PYTHON, or the one
    `make test-ft` builds), or None -- the book never builds one."""
    found = subprocess.run([os.path.join(ROOT, "tools", "python3.13"), "--free-threaded",
                            "--no-build"],
                           capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else None


def scaling(python):
    """bench/scaling.py run by `python` (GIL build or free-threaded): its rows, as a dict."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "scaling.json")
        # pool from reference/, measure from the root: the free-threaded Python has no venv
        path = os.pathsep.join([os.path.join(ROOT, "reference"), ROOT])
        env = {**os.environ, "PYTHONPATH": path}
        args = [python] + (["-X", "gil=0"] if python != sys.executable else [])
        subprocess.run([*args, os.path.join(ROOT, "bench", "scaling.py"), "--json", out],
                       check=True, capture_output=True, env=env)
        with open(out) as f:
            return json.load(f)
