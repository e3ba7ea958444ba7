"""Victim caches: a pooled object survives one cleanup, and is gone after the second.

Mirrors ``poolCleanup`` and the victim half of ``getSlow`` in Go's src/sync/pool.go (Go 1.13,
CL 166961, golang/go issue 22950). Before Go 1.13 every GC emptied every pool, so programs
allocated in a burst right after each GC. Now the runtime calls poolCleanup at the start of
each GC (registered through ``runtime_registerPoolCleanup``; not a finalizer): every pool's
victim is dropped and its primary becomes its victim. Gets try the victim last, after
stealing, so an object put and never taken again survives exactly one cleanup.

What differs in Python:

- When: at the start of a collection of a configured generation (full, generation 2, by
  default) through ``gc.callbacks``; whenever ``cleanup()`` is called; and whenever
  ``interval`` seconds pass with no cleanup. The free-threaded build's collector has no
  generations and reports its automatic collections as generation 0 (``_Py_RunGC`` in
  Python/gc_free_threading.c), so there every collection counts as full (``_FULL_ONLY``).
  CPython 3.14.0's incremental collector reports its automatic ones as generation 1, never 2:
  there only ``gc.collect()``, ``cleanup()`` and the interval clean up by default, unless
  ``configure(generations={1, 2})``. The interval stands in for Go's periodic GC
  (``forcegcperiod``, 2 minutes, in src/runtime/proc.go) -- which Go skips when GOGC=off
  (``gcTrigger.test`` in src/runtime/mgc.go), while we keep it: a program that calls
  ``gc.disable()``, or one that rarely fills generation 2, still sees idle objects released.
  A daemon thread, started with the first pool, keeps that deadline. ``configure()`` sets
  both.
- How: Go stops the world; we cannot. So the cleanup never writes the slots of a ``Local`` a
  thread may still be using: each pool swaps whole generations (``Pool._cleanup``), flags the
  demoted ones for the threads' handles, and empties only the ones it drops. A thread that
  was mid-call keeps working on what is now the victim -- objects it puts there are reused
  or aged out like any other.
"""

import gc
import os
import sysconfig
import threading
import time
import weakref

from .steal import steal

_pools = weakref.WeakSet()  # Go: allPools (and oldPools, the victims, live in each pool)
_lock = threading.RLock()  # one cleanup at a time
_running = False  # a cleanup is under way (re-entered when a collection starts inside one)
_generations = frozenset({2})
_interval = 120.0
_last_cleanup = time.monotonic()
_wake = threading.Event()
_ager = None


def register(pool):
    """Make pool subject to cleanup (Go's pinSlow appends to allPools)."""
    _pools.add(pool)
    _start_ager()


def cleanup():
    """Go's poolCleanup for every live pool: drop each victim, demote each primary."""
    _cleanup(wait=True)


def _cleanup(wait):
    global _last_cleanup, _running
    # A collection or the ager finding a cleanup under way in another thread lets it stand
    # for theirs (wait=False); an explicit call waits for it and then does its own.
    if not _lock.acquire(blocking=wait):
        return
    try:
        if _running:
            return  # a collection started inside this thread's cleanup (it allocates)
        _running = True
        try:
            for pool in list(_pools):
                pool._cleanup()
            _last_cleanup = time.monotonic()
        finally:
            _running = False
    finally:
        _lock.release()


def configure(*, generations=None, interval=None):
    """Set which GC generations start a cleanup, and the most seconds between two cleanups.

    Returns the previous settings as a dict, so a caller can restore them.
    """
    global _generations, _interval
    previous = {"generations": _generations, "interval": _interval}
    if generations is not None:
        generations = frozenset(generations)
        if not generations <= {0, 1, 2}:
            raise ValueError(f"generations must be drawn from 0, 1, 2; got {sorted(generations)}")
        _generations = generations
    if interval is not None:
        if not interval > 0:
            raise ValueError(f"interval must be a positive number of seconds, got {interval!r}")
        _interval = float(interval)
        _wake.set()  # let the ager pick up the new deadline now
    return previous


# The free-threaded build's collector has no generations: every collection is a full one,
# and the automatic ones report generation 0 (Python/gc_free_threading.c) -- measured on
# 3.13t, the first automatic collection freed a reference cycle made before all the others.
_FULL_ONLY = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def _on_gc(phase, info):
    generation = 2 if _FULL_ONLY else info["generation"]
    if phase == "start" and generation in _generations:
        _cleanup(wait=False)


def _age():
    while True:
        _wake.wait(max(0.0, _last_cleanup + _interval - time.monotonic()))
        _wake.clear()
        if time.monotonic() - _last_cleanup >= _interval:
            _cleanup(wait=False)


def _start_ager():
    global _ager
    if _ager is None:
        with _lock:
            if _ager is None:
                _ager = threading.Thread(target=_age, name="pool-ager", daemon=True)
                _ager.start()


def _restart_ager_in_child():
    global _ager, _lock, _running, _wake
    # A forked child has only the forking thread: not the ager, nor a cleanup under way --
    # but it has their locks, in the state they were in. The Event's lock may have been held
    # by the ager at the fork, and would then never be released: new ones, all of them.
    _ager, _lock, _running, _wake = None, threading.RLock(), False, threading.Event()
    if _pools:
        _start_ager()


gc.callbacks.append(_on_gc)
os.register_at_fork(after_in_child=_restart_ager_in_child)


def take(victim, local):
    """Search a pool's victim generation the way Go's getSlow does; None if it is empty.

    First this thread's own victim private slot, then the tail of every victim shared queue.
    A victim found empty is marked drained so that later gets skip it.
    """
    if victim is None or victim.drained:
        return None
    mine = getattr(victim.tls, "mine", None)  # this thread's Local in that generation, if any
    if mine is not None and mine.private is not None:
        x, mine.private = mine.private, None  # only this thread writes this slot
        return x
    x = steal(victim.all, mine.pid if mine is not None else local.pid)
    if x is not None:
        return x
    victim.drained = True
    return None
