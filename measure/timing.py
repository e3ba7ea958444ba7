"""Time as a ratio: two functions timed side by side, in A-B-B-A order, and the median of
many such ratios with an interval that holds it whatever their distribution."""

import math
import statistics
import time
from itertools import repeat


def g():
    """The floor's first empty call."""


def h(x):
    """The floor's second empty call, with one argument, as put(x) has."""


FLOOR = "floor: g(); h(x)"


def floor(x):
    """loop(n): the floor n times -- two empty Python calls, g(); h(x), the least a get and a
    put written in Python can cost. The benchmarks time a contender as a ratio to it."""
    def loop(n):
        for _ in repeat(None, n):
            g()
            h(x)
    return loop


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


def ratio_values(path):
    """The values of a pyperf ratio benchmark: each the ratio of one A-B-B-A pair."""
    import pyperf  # here only: the free-threaded Python that times the floor has no pyperf

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
