"""The grader checks its instruments before it judges.

An allocation count depends on the interpreter as much as on the code counted: memray's
profile hook makes CPython allocate objects an untracked run would not (measure/allocations.py says
which), and each Python version makes them elsewhere -- through ``call_trace`` on 3.11,
through ``sys.monitoring``'s legacy profiler on 3.12 and later. A rule that recognises them on
one version may miss them on the next, and a correct submission would be charged for them.
So before an allocations check counts a submission, the same sandboxed process measures
probes whose true count is known -- with the same tracker settings, the same block size and
the same exclusion rule -- and if any probe is off, the check says it cannot count here
instead of judging.

The probes run in the sandbox (``run_allocation_probes``); the grader reads their captures
(``allocation_probes_off``).
"""

import collections
import itertools

from measure.allocations import count_allocations

ITERATIONS = 2000
# How far from its true count per iteration a probe may measure: a handful of allocations
# for the tracker itself in ITERATIONS, never one per iteration.
TOLERANCE = 0.01


def _empty():
    pass


def c_method_calls(n, size):
    """0 per iteration: a C method called on a warm deque (memray makes a bound method per
    call, or two, for its profiler)."""
    dq = collections.deque([None])
    for _ in itertools.repeat(None, n):
        dq.append(dq.pop())


# The same loop past the first 256 bytes of its function's bytecode, where since 3.12 each
# profiler event's offset is an int CPython does not cache: 150 assignments before it.
exec("def c_method_calls_far(n, size):\n"  # noqa: S102 -- padding is the point
     + "".join(f"    _{i} = None\n" for i in range(150))
     + "    dq = collections.deque([None])\n"
     + "    for _ in itertools.repeat(None, n):\n"
     + "        dq.append(dq.pop())\n")
c_method_calls_far.__doc__ = "0 per iteration: c_method_calls, far into its function."  # noqa: F821


def python_calls(n, size):
    """0 per iteration: an empty Python function called (memray makes a frame object)."""
    for _ in itertools.repeat(None, n):
        _empty()


def one_object(n, size):
    """1 per iteration: a bytes object of size bytes, made and dropped (one block each)."""
    for _ in itertools.repeat(None, n):
        bytes(size)


PROBES = {c_method_calls: 0, c_method_calls_far: 0, python_calls: 0, one_object: 1}  # noqa: F821


def run_allocation_probes(capture, min_block, native_traces):
    """In the sandbox: each probe under its own memray capture, made as the check's is."""
    import memray

    done = []
    for probe, truth in PROBES.items():
        path = f"{capture}.probe-{probe.__name__}"
        with memray.Tracker(path, trace_python_allocators=True, native_traces=native_traces):
            probe(ITERATIONS, max(min_block, 64))
        done.append({"name": probe.__name__, "capture": path, "truth": truth,
                     "iterations": ITERATIONS})
    return done


def allocation_probes_off(probes, min_block, exclude_observer):
    """On the grader's side: 'probe measured N per iteration where M is right' for each probe
    counted wrongly by the check's own rule; [] when every probe reads true."""
    off = []
    for probe in probes:
        counted, _ = count_allocations(probe["capture"], min_block,
                                       exclude_observer=exclude_observer, within=probe["name"])
        per = counted / probe["iterations"]
        if abs(per - probe["truth"]) > TOLERANCE:
            off.append(f"the grader's probe {probe['name']} measured {per:.3f} allocations per "
                       f"iteration where {probe['truth']} is right")
    return off
