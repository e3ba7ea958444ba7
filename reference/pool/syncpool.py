"""Pool: Go's sync.Pool, composed from the tiers of chapters 2-4.

Mirrors ``Pool.Get``, ``Pool.Put`` and ``getSlow`` in Go's src/sync/pool.go (Go 1.13+).

A Pool is a set of temporary objects that may be saved and reused, to relieve the allocator.
Anything in it may be released at any time without notice: an object put and never taken
survives one cleanup and is gone after the second (victim.py). So a Pool is for objects that
cost more to make than to keep -- large buffers, costly constructors -- and never for things
that must be closed or counted, such as connections or files (chapter 5 pools those).
In CPython two empty function calls cost about as much as allocating a 1 KiB bytearray:
pooling small objects makes a program slower.

get():  this thread's private slot; else the head of its shared queue (the most recently put,
        still warm); else steal from the tail of other threads' shared queues; else the
        victim; else new() -- or None when the pool has no new.
put(x): into the private slot if it is empty, else onto the head of the shared queue. None
        is ignored.
"""

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
        if dropped is not None:
            self._released += sum(local.pooled() for local in dropped.all)
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
