"""Counting allocations in a memray capture, without the ones memray's tracking makes."""

import collections
import itertools

import memray

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
