"""Numbers the grader reads from its own measurements, and how they become points."""

import collections
import itertools
import math
import os
import statistics
import time

import memray
import pyperf

FREE = ("FREE", "MUNMAP")  # memray allocator kinds that release memory rather than take it
# What memray's profile hook makes CPython allocate: a frame object for a Python call, a
# bound method made for the profiler when a C method is called, and (3.12+) the int that
# sys.monitoring passes each event as its bytecode offset, a new object past offset 256 ...
OBSERVER_MADE = ("_PyFrame_MakeAndSetFrameObject", "PyCMethod_New", "PyLong_FromLong")
# ... when made by the functions through which CPython calls a profile function: 3.11's
# Python/ceval.c, and since 3.12 Python/legacy_tracing.c (sys.setprofile on sys.monitoring)
# and Python/instrumentation.c, which calls it ...
PROFILER = ("call_trace", "call_trace_protected", "trace_call_function",  # 3.11
            "call_profile_func", "sys_profile_call_or_return", "sys_profile_start",
            "sys_profile_return", "sys_profile_unwind", "sys_profile_throw",
            "call_instrumentation_vector")  # 3.12+
# ... directly, or through the getter that makes the frame object it asks for.
FRAME_GETTERS = ("_PyFrame_GetFrameObject", "PyEval_GetFrame")


class OtherLoad:
    """The CPUs other processes kept busy while the grader measured (Linux; else None).

    The machine's busy time (/proc/stat: all but idle and iowait) less what the measurement's
    own processes report they used (``mine``) and this process's own, per second of wall
    time. Their own time cannot come from this process's children counts: processes in
    bubblewrap's PID namespace are reaped inside it, and never reach them.
    """

    def __init__(self):
        self.busy = self.wall = 0.0
        self._start = None

    def start(self):
        self._start = (_busy_seconds(), time.monotonic(), _own_seconds())

    def stop(self, mine):
        """End a measurement whose processes used mine CPU seconds, by their own account."""
        busy, wall, own = self._start
        if busy is not None:
            self.busy += _busy_seconds() - busy - (_own_seconds() - own) - mine
            self.wall += time.monotonic() - wall

    @property
    def cpus(self):
        """CPUs kept busy by others, on average; None where /proc/stat cannot tell, or over
        less than half a second (its counts advance in ticks of 10 ms)."""
        return max(self.busy, 0.0) / self.wall if self.wall >= 0.5 else None


def _busy_seconds():
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]  # user .. steal
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def _own_seconds():
    t = os.times()
    return t.user + t.system


def count_allocations(capture, min_block, exclude_observer=False, within=None):
    """Allocation events in a memray capture of at least min_block bytes, and where.

    Returns (count, sites): sites counts the events by the innermost line of the
    submission's own code on their Python stack, (function, "<cell grade_id>", line).

    Counting only blocks of buffer size leaves out what memray itself adds and the small
    objects any Python code makes. Where every allocation counts (min_block 1), memray's own
    observer effect must go instead. While it tracks, memray's profile hook makes CPython
    allocate what it would not otherwise: a frame object for every Python-level call
    (144-160 bytes, so size cannot tell them apart), and a temporary bound method for every
    call of a C method such as deque.pop ("We need to create a temporary bound method as
    argument for profiling": trace_call_function in 3.11's Python/ceval.c makes one per call;
    since 3.12 sys_profile_call_or_return in Python/legacy_tracing.c makes one for the call
    event and one for the return, and sys.monitoring passes each event its bytecode offset
    as a Python int, a new object past 256). With exclude_observer -- and a capture made with
    native_traces=True -- each allocation whose native stack shows one of these made for the
    profiler is left out, one by one: a submission that calls a helper or a deque method is
    not charged for the call, and one that allocates inside a C call still is. The rule names
    CPython's own functions, which move between versions: instruments.py checks it on probes
    of known count before a check relies on it.
    ``AllocatorType(...).name`` is used because str() of the enum gives a number.
    With within, a function's name, only allocations made under a call of it count: not
    those of other threads (a pool's ager waking up) or of the tracker's own exit.
    """
    taken = [r for r in memray.FileReader(capture).get_allocation_records()
             if r.size >= min_block and not memray.AllocatorType(r.allocator).name.endswith(FREE)
             and (within is None or any(f[0] == within for f in r.stack_trace()))]
    counted = [r for r in taken if not (exclude_observer and _is_observer(r))]
    sites = collections.Counter()
    for r in counted:
        mine = [frame for frame in r.stack_trace() if frame[1].startswith("<cell")]
        if mine:
            sites[mine[0]] += r.n_allocations
    return sum(r.n_allocations for r in counted), sites


def _is_observer(record):
    """Whether memray's profiler made this allocation: a frame object or a bound method made
    for a profile function (the native stack, innermost first: the object's maker, then
    perhaps a frame getter, then the profiler's caller), not one made by a C method the
    profiler called on the submission's behalf (list.copy under trace_call_function, say)."""
    names = [function for function, _, _ in record.native_stack_trace()]
    for i, name in enumerate(names):
        if name in OBSERVER_MADE:
            callers = itertools.dropwhile(lambda n: n in FRAME_GETTERS, names[i + 1:])
            return next(callers, None) in PROFILER
    return False


def ratio_values(path):
    """The values of a pyperf ratio benchmark: each the ratio of one A-B-B-A pair."""
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


MEMORY_WEIGHT = 0.5  # the pool-off's weight of memory against time: equal


def pool_off_score(time, memory, memory_weight=MEMORY_WEIGHT):
    """The pool-off's score of one trace, from 0 to 1, as the CS:APP malloc lab scores an
    allocator (P = w*U + (1-w)*min(1, T/T_ref)): memory_weight * memory + the rest * time.
    time: the faster baseline's seconds over the pool's, at most 1 (a pool as fast as the
    fastest possible scores 1); memory: the bytes held with no pool over the pool's, at most 1
    (a pool that keeps nothing it does not need scores 1)."""
    return memory_weight * min(1.0, memory) + (1 - memory_weight) * min(1.0, time)
