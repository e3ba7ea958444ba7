"""A steady-state get+put allocates nothing, stats on, counted with memray.

memray's profile hook makes CPython materialize one frame object per Python-level call, an
allocation that would not exist untracked; so each loop is compared with the same loop over
two empty functions (the pure-Python floor) in the same run.
"""

import itertools
import os
import tempfile

import memray
import pytest

import pool

N = 10_000


def g():
    pass


def h(x):
    pass


def allocations(loop):
    """Allocation events (not frees) memray records in loop's code while loop(N) runs.

    Only allocations with loop's frame on their stack count: another thread may run meanwhile
    (the ager, woken by the quiet fixture's configure(), allocates a few dozen objects when
    it does) and its allocations are not the loop's.
    """
    fd, path = tempfile.mkstemp(suffix=".memray")
    os.close(fd)
    os.unlink(path)
    try:
        with memray.Tracker(path, trace_python_allocators=True):
            loop(N)
        records = memray.FileReader(path).get_allocation_records()
        code = loop.__code__
        return sum(r.n_allocations for r in records
                   if not memray.AllocatorType(r.allocator).name.endswith(("FREE", "MUNMAP"))
                   and (code.co_name, code.co_filename) in {f[:2] for f in r.stack_trace()})
    finally:
        os.unlink(path)


def floor(n):
    x = bytearray(8)
    for _ in itertools.repeat(None, n):
        g()
        h(x)


@pytest.fixture
def warm_pool(quiet):
    p = pool.Pool(lambda: bytearray(8))
    p.put(p.get())  # this thread's Local exists, its private slot is full
    return p


def test_steady_state_get_put_allocates_nothing_beyond_memrays_frames(warm_pool):
    p = warm_pool

    def pooled(n):
        for _ in itertools.repeat(None, n):
            p.put(p.get())

    base = allocations(floor)
    assert base >= 2 * N  # memray's frame per call is there, so the calibration means something
    # A constant for the tracker, not one per call (N = 10,000 pairs).
    assert allocations(pooled) - base <= 16
    assert p.stats().private_hits >= N


def test_a_pinned_handle_allocates_nothing_either(warm_pool):
    handle = warm_pool.pin()
    handle.put(handle.get())

    def pinned(n):
        for _ in itertools.repeat(None, n):
            handle.put(handle.get())

    assert allocations(pinned) - allocations(floor) <= 16
    assert warm_pool.stats().private_hits >= N


def test_the_count_sees_one_allocation_per_call_when_there_is_one(warm_pool):
    # The control: the same loop with an int counter past 256, as a naive stats counter would be.
    p = warm_pool

    def pooled_with_int_counter(n):
        c = 1000
        for _ in itertools.repeat(None, n):
            p.put(p.get())
            c += 1

    assert allocations(pooled_with_int_counter) - allocations(floor) >= N - 16
