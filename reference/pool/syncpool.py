"""Pool: Go's sync.Pool, composed from the tiers of chapters 2-4.

Mirrors ``Pool.Get``, ``Pool.Put`` and ``getSlow`` in Go's src/sync/pool.go (Go 1.13+).

A Pool is a set of temporary objects that may be saved and reused, to relieve the allocator.
Anything in it may be released at any time without notice: an object put and never taken
survives one cleanup and is gone after the second (victim.py). So a Pool is for objects that
cost more to make than to keep -- large buffers, costly constructors -- and never for things
that must be closed or counted, such as connections or files (chapter 5 pools those).
A get and a put are at least two Python function calls: the book's introduction measures
what those cost against allocating a bytearray on your machine, and pooling objects that
are cheaper to make than that makes a program slower.

get():  this thread's private slot; else the head of its shared queue (the most recently put,
        still warm); else steal from the tail of other threads' shared queues; else the
        victim; else new() -- or None when the pool has no new.
put(x): into the private slot if it is empty, else onto the head of the shared queue. None
        is ignored.
pin():  this thread's Handle, with the same get() and put() minus the per-call lookup of
        the thread's Local -- Go's pin returns the P's poolLocal the same way.
"""

import threading
from collections import deque

from . import victim
from .escape import Checks, Debug
from .local import Locals, Stats, Tallies
from .steal import steal


class Pool:
    """A pool of interchangeable temporary objects, one cache per thread."""

    __slots__ = ("_new", "_locals", "_victim", "_tallies", "_released", "__weakref__")
    shared_queue = deque  # a subclass may use steal.ChainShared, Go's own structure

    def __new__(cls, new=None, *, debug=False, **kwargs):
        if debug and cls is Pool:
            cls = CheckedPool  # misuse checks cost time, so they live in a subclass
        return super().__new__(cls)

    def __init__(self, new=None, *, debug=False):
        if new is not None and not callable(new):
            raise TypeError(f"new must be a callable that makes an object (or None), "
                            f"not {type(new).__name__} {new!r}")
        self._new = new
        self._locals = Locals()  # the primary generation
        self._victim = None  # the previous generation, searched last
        self._tallies = Tallies()  # each thread's counters, kept across generations
        self._released = 0  # objects dropped with a victim; only the cleanup writes it
        victim.register(self)

    def pin(self):
        """This thread's Handle: get() and put() without looking the thread up each time."""
        return Handle(self)

    def _local(self):
        """This thread's Local in the primary generation, made on its first use."""
        try:
            return self._locals.tls.mine
        except AttributeError:
            return self._locals.pin(self._tallies, self.shared_queue)

    def get(self):
        try:
            local = self._locals.tls.mine
        except AttributeError:  # this thread's first call since the last cleanup
            local = self._locals.pin(self._tallies, self.shared_queue)
        x = local.private
        if x is not None:
            local.private = None
            next(local.private_hits)
            return x
        return self._get_slow(local)

    def put(self, x):
        if x is None:
            return
        try:
            local = self._locals.tls.mine
        except AttributeError:
            local = self._locals.pin(self._tallies, self.shared_queue)
        next(local.puts)
        if local.private is None:
            local.private = x
        else:
            local.shared.append(x)

    def _get_slow(self, local):
        shared = local.shared
        if shared:
            try:
                x = shared.pop()  # the head: most recently put, warmest in cache
                next(local.shared_hits)
                return x
            except IndexError:
                pass  # a thief took the last one
        x = steal(self._locals.all, local.pid + 1)
        if x is not None:
            next(local.steals)
            return x
        # The victim comes last, so that objects nobody asks for age out.
        x = victim.take(self._victim, local)
        if x is not None:
            next(local.victim_hits)
            return x
        if self._new is None:
            next(local.misses)
            return None
        next(local.news)
        return self._new()

    def _cleanup(self):
        """Drop the victim, demote the primary (Go's poolCleanup, for this pool)."""
        dropped, self._victim, self._locals = self._victim, self._locals, Locals()
        for local in self._victim.all:
            local.demoted = True  # its thread's Handle pins the new primary on its next call
        if dropped is not None:
            self._released += sum(local.pooled() for local in dropped.all)
            for local in dropped.all:  # a Handle may still hold one: let the objects go now
                local.private = None
                local.shared = self.shared_queue()
        self._tallies.retire()

    def dropped(self):
        """Count one object that was given to the pool but not kept (debug drop, oversize)."""
        next(self._tallies.mine().drops)

    def stats(self):
        """Counts of what this pool did, summed over every thread (a ``Stats``)."""
        return self._tallies.stats() + Stats(drops=self._released)

    def pooled(self):
        """The objects the pool holds now, primary and victim (a snapshot, for checks)."""
        out = []
        for gen in (self._locals, self._victim):
            for local in gen.all if gen is not None else ():
                x = local.private  # read once: its owner may take it meanwhile
                if x is not None:
                    out.append(x)
                out.extend(local.shared.copy())
        return out

    def __repr__(self):
        return f"<{type(self).__name__} new={self._new!r} {self.stats()}>"


class Handle:
    """One thread's way into a pool, from ``Pool.pin()``: Go's pinned ``poolLocal``.

    get() and put() behave as the pool's own, tiers and counts included, but start from the
    Local the handle holds instead of looking the thread up on every call; after a cleanup
    demotes that Local, the next call pins the new primary. The fast path touches only the
    calling thread's objects, so on the free-threaded build threads do not write each other's
    reference counts; the slow path (steal, victim, new) reaches the pool as Pool.get does.
    Use it on the thread that pinned it only: another thread's calls would share its private
    slot (``Pool(debug=True)`` checks). The fast path is written out again rather than shared
    with Pool's: through shared functions, a get+put measured 3.5-3.6x two empty calls instead
    of 2.5-2.6x (``bench/handle_costs.py``, Python 3.11).
    """

    __slots__ = ("_pool", "_local")

    def __init__(self, pool):
        self._pool = pool
        self._local = pool._local()

    def get(self):
        local = self._local
        if local.demoted:
            local = self._local = self._pool._local()
        x = local.private
        if x is not None:
            local.private = None
            next(local.private_hits)
            return x
        return self._pool._get_slow(local)

    def put(self, x):
        if x is None:
            return
        local = self._local
        if local.demoted:
            local = self._local = self._pool._local()
        next(local.puts)
        if local.private is None:
            local.private = x
        else:
            local.shared.append(x)


class CheckedHandle(Handle):
    """A Handle of a CheckedPool: refuses other threads, and checks puts as the pool does."""

    __slots__ = ("_thread",)

    def __init__(self, pool):
        super().__init__(pool)
        self._thread = threading.get_ident()

    def _check_thread(self):
        if threading.get_ident() != self._thread:
            raise RuntimeError("a pool Handle is used on a thread other than the one that "
                               "pinned it: call pool.pin() on each thread")

    def get(self):
        self._check_thread()
        return super().get()

    def put(self, x):
        self._check_thread()
        if x is None:
            return
        # The pool's checks, called from this frame: the same depth as CheckedPool.put's.
        if self._pool._checks.before_put(self._pool.pooled, x):
            super().put(x)
        else:
            self._pool.dropped()


class CheckedPool(Pool):
    """A Pool with the debug-mode checks of escape.py (``Pool(new, debug=True)``)."""

    __slots__ = ("_checks",)

    def __init__(self, new=None, *, debug=True, depth=1):
        if debug is True or debug is False:
            debug = Debug()
        if not isinstance(debug, Debug):
            raise TypeError(f"debug must be True or a pool.Debug(...), not {debug!r}")
        super().__init__(new)
        self._checks = Checks(debug, depth)  # depth: calls between the caller and this put

    def put(self, x):
        if x is None:
            return
        if self._checks.before_put(self.pooled, x):
            super().put(x)
        else:
            self.dropped()

    def pin(self):
        return CheckedHandle(self)
