"""Numbers the grader reads from its own measurements, and how they become points."""

import math
import statistics
import time

import memray
import pyperf

FREE = ("FREE", "MUNMAP")  # memray allocator kinds that release memory rather than take it
FRAME_MAKER = "_PyFrame_MakeAndSetFrameObject"  # CPython 3.11+: a frame object materialized


def count_allocations(capture, min_block, exclude_frames=False):
    """Allocation events in a memray capture of at least min_block bytes.

    Counting only blocks of buffer size leaves out what memray itself adds and the small
    objects any Python code makes. Where every allocation counts (min_block 1), memray's own
    observer effect must go instead: while it tracks, every Python-level call makes CPython
    create a frame object that would not exist untracked (144-160 bytes, so size cannot tell
    them apart). With exclude_frames -- and a capture made with native_traces=True -- each
    allocation whose native stack passes through ``_PyFrame_MakeAndSetFrameObject`` is left
    out, one by one: a submission that calls a helper is not charged for the call.
    ``AllocatorType(...).name`` is used because str() of the enum gives a number.
    """
    taken = [r for r in memray.FileReader(capture).get_allocation_records()
             if r.size >= min_block and not memray.AllocatorType(r.allocator).name.endswith(FREE)]
    frames = sum(r.n_allocations for r in taken if exclude_frames and _is_frame_object(r))
    if exclude_frames and not frames:
        # Every workload calls Python functions, so there must be some: the native stacks
        # could not be read (a stripped interpreter?), and every frame would count as the
        # submission's.
        raise RuntimeError("memray resolved no frame-object allocations in the capture: this "
                           "Python's native symbols cannot be read, so this allocation check "
                           "cannot run here")
    return sum(r.n_allocations for r in taken) - frames


def _is_frame_object(record):
    return any(function == FRAME_MAKER for function, _, _ in record.native_stack_trace())


def ratio_values(path):
    """The values of a pyperf ratio benchmark: each a mean of per-pair ratios."""
    return pyperf.Benchmark.load(str(path)).get_values()


def median_interval(values, level=0.95):
    """(median, low, high): the median of values and its distribution-free interval.

    The interval is [x_k, x_(n+1-k)] of the sorted values, with k the largest index such that
    P(Binomial(n, 1/2) < k) <= (1 - level) / 2: it holds the median with probability at least
    level whatever the distribution, so one slow outlier (a process that met a busy core)
    neither moves the ratio nor inflates the interval the way a mean and stdev would.
    """
    xs = sorted(values)
    n = len(xs)
    if n == 0:
        raise ValueError("no values to take the median of")
    tail, k = 0.0, 0
    while k < n and tail + math.comb(n, k) / 2 ** n <= (1 - level) / 2:
        tail += math.comb(n, k) / 2 ** n
        k += 1
    if k == 0:  # too few values for this level: the widest interval there is
        return statistics.median(xs), xs[0], xs[-1]
    return statistics.median(xs), xs[k - 1], xs[n - k]


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
