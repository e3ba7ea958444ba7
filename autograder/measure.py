"""Numbers the grader reads from its own measurements, and how they become points."""

import statistics
import time

import memray
import pyperf

FREE = ("FREE", "MUNMAP")  # memray allocator kinds that release memory rather than take it


def count_allocations(capture, min_block):
    """Allocation events in a memray capture of at least min_block bytes.

    Counting only blocks of buffer size leaves out what memray itself adds (a 144-byte frame
    object per Python call while it tracks) and the small objects any Python code makes.
    ``AllocatorType(...).name`` is used because str() of the enum gives a number.
    """
    records = memray.FileReader(capture).get_allocation_records()
    return sum(r.n_allocations for r in records
               if r.size >= min_block and not memray.AllocatorType(r.allocator).name.endswith(FREE))


def latency_ratio(path):
    """(median, relative stdev, number of values) of a pyperf ratio benchmark."""
    values = pyperf.Benchmark.load(str(path)).get_values()
    median = statistics.median(values)
    spread = statistics.stdev(values) / median if len(values) > 1 and median > 0 else 0.0
    return median, spread, len(values)


def linear_score(points, value, full_at, zero_at):
    """Points at or below full_at, none at or above zero_at, linear in between (clamped)."""
    share = (zero_at - value) / (zero_at - full_at)
    return round(points * min(1.0, max(0.0, share)), 2)


def abba_ratio(baseline, candidate, loops=1):
    """Sum over loops of candidate()'s time / baseline()'s, timed in A B B A order.

    Whichever runs second inherits a warmer allocator and cache, and the machine's speed
    drifts; the mirrored order cancels both to first order (A-then-B favoured the second by
    about 10% here). As a pyperf time_func body, each value becomes a mean ratio.
    """
    clock = time.perf_counter
    total = 0.0
    for _ in range(loops):
        t0 = clock()
        baseline()
        t1 = clock()
        candidate()
        candidate()
        t2 = clock()
        baseline()
        t3 = clock()
        total += (t2 - t1) / ((t1 - t0) + (t3 - t2))
    return total
