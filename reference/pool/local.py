"""Per-P caching: each thread's own private slot and shared queue.

Mirrors Go's ``poolLocal`` and ``pin`` in src/sync/pool.go. Go gives every P (logical
processor) a ``poolLocal``: a ``private`` slot only that P touches, and a ``shared`` queue the P
pushes and pops at the head while other Ps steal from the tail. ``pin`` disables preemption
(a plain increment of ``m.locks``, no atomic instruction) and returns the P's index. When
that index is not below ``localSize`` -- the first use of the pool after every GC, since
``poolCleanup`` sets ``localSize`` to 0, or after GOMAXPROCS grew -- ``pin`` goes through
``pinSlow``, which allocates a ``poolLocal`` for every P at once (``[GOMAXPROCS]poolLocal``).

What differs in Python:

- A thread stands in for a P. Threads come and go, so there is no fixed array: each thread
  finds its ``Local`` through a ``threading.local`` (``Locals.tls.mine``), and
  ``Locals.all`` lists every thread's ``Local`` so that thieves and the cleanup can reach
  them. A dead thread's ``Local`` stays in ``all``, still stealable, until two cleanups.
- There is nothing to pin: only the owning thread reads or writes ``private`` (the
  ``threading.local`` guarantees it) while its generation is primary or victim; the cleanup
  replaces the whole ``Locals`` (see victim.py), flags the demoted ones, and empties only the
  ones it drops -- which a thread reaches no more, unless it holds them in a ``Handle``. So
  ``private`` needs no lock, with the GIL or without it. ``shared`` is a
  ``collections.deque``, whose ``append``/``pop``/``popleft`` are atomic in both builds.
- What pinning does give Go is a P's own ``poolLocal`` to work on without another lookup.
  ``Pool.pin()`` (syncpool.py) gives a thread the same: a handle holding its ``Local``, whose
  fast path touches no object another thread uses -- on the free-threaded build, where every
  reference taken to a shared object writes its reference count, that is what lets a pool
  scale with threads.
- No 128-byte padding: a ``Local`` is a Python object on its own heap block, and interpreter
  overhead dwarfs a shared cache line (chapter 2 measures it).
- Go's pool has no statistics: users count ``New`` calls, as the reporter of golang/go
  issue 11834 ("sync: Pool appears to interact poorly with concurrent GC") did. Ours counts
  every outcome with
  ``counter()``: a Python int above 256 is a fresh allocation, so ``n += 1`` would allocate on
  every call; advancing an ``itertools.repeat`` iterator allocates nothing, and its remaining
  length tells how far it has been advanced. Each counter has one writer, its owner thread.
"""

import itertools
import operator
import sys
import threading
from collections import deque
from dataclasses import dataclass, fields

_START = sys.maxsize


def counter():
    """A counter that ``next(c)`` advances by one without allocating."""
    return itertools.repeat(None, _START)


def count(c):
    """How many times ``next`` has been called on ``counter()`` ``c``."""
    return _START - operator.length_hint(c)


@dataclass(frozen=True, slots=True)
class Stats:
    """What a pool did, summed over every thread (``Pool.stats()``).

    Every ``get`` ends in exactly one of private_hits, shared_hits, steals, victim_hits or news,
    or returns None when the pool has no ``new``. ``drops`` counts objects the pool let go:
    released by a cleanup, refused as oversize (BufferPool), or dropped at random (debug).
    """

    gets: int = 0
    puts: int = 0
    private_hits: int = 0
    shared_hits: int = 0
    steals: int = 0
    victim_hits: int = 0
    news: int = 0
    drops: int = 0

    def __add__(self, other):
        return Stats(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Stats)))


COUNTERS = ("puts", "private_hits", "shared_hits", "steals", "victim_hits", "news", "misses",
            "drops")


class Tally:
    """One thread's counters for one pool. They outlive cleanups; only that thread writes them."""

    __slots__ = ("thread", *COUNTERS)

    def __init__(self):
        self.thread = threading.current_thread()  # to fold the counts in once it has ended
        for name in COUNTERS:
            setattr(self, name, counter())

    def stats(self):
        c = {name: count(getattr(self, name)) for name in COUNTERS}
        outcomes = ("private_hits", "shared_hits", "steals", "victim_hits", "news", "misses")
        return Stats(gets=sum(c[name] for name in outcomes),
                     **{f.name: c[f.name] for f in fields(Stats) if f.name != "gets"})


class Tallies:
    """Every thread's Tally for one pool (``all``), and the totals of threads that ended."""

    __slots__ = ("tls", "all", "retired", "_lock")

    def __init__(self):
        self.tls = threading.local()
        self.all = []
        self.retired = Stats()
        self._lock = threading.Lock()

    def mine(self):
        """This thread's Tally, made on its first use (slow paths only)."""
        try:
            return self.tls.tally
        except AttributeError:
            tally = self.tls.tally = Tally()
            with self._lock:
                self.all.append(tally)
            return tally

    def retire(self):
        """Fold the counts of ended threads into ``retired``, so ``all`` does not grow forever."""
        # Non-blocking: a collection (hence a cleanup) can start while this thread holds the
        # lock in stats(); then the ended threads are retired at a later cleanup.
        if not self._lock.acquire(blocking=False):
            return
        try:
            alive = [tally.thread.is_alive() for tally in self.all]
            ended = [tally for tally, a in zip(self.all, alive) if not a]
            self.all = [tally for tally, a in zip(self.all, alive) if a]
            self.retired = sum((tally.stats() for tally in ended), self.retired)
        finally:
            self._lock.release()

    def stats(self):
        with self._lock:
            tallies, retired = list(self.all), self.retired
        return sum((tally.stats() for tally in tallies), retired)


class Local:
    """One thread's share of one pool for one generation: Go's ``poolLocalInternal``."""

    __slots__ = ("pid", "private", "shared", "demoted", *COUNTERS)

    def __init__(self, pid, tally, shared_queue=deque):
        self.pid = pid  # index in Locals.all: where this thread's thefts start, as in Go
        self.private = None  # only the owner writes it, until a cleanup drops this generation
        self.shared = shared_queue()  # owner: append/pop at the head; thieves: popleft
        self.demoted = False  # set by the cleanup that makes this generation the victim
        for name in COUNTERS:  # the thread's own counters, one attribute away on the fast path
            setattr(self, name, getattr(tally, name))

    def pooled(self):
        """How many objects this Local holds (a snapshot; other threads may be at work)."""
        return (self.private is not None) + len(self.shared)


class Locals:
    """Every thread's ``Local`` for one pool and one generation (between two cleanups).

    ``tls.mine`` is this thread's Local (set on first use, like pinSlow); ``all`` lists every
    thread's, for thieves and the cleanup. ``tls`` is a plain ``threading.local``: CPython
    reads its attributes by a shorter path than a subclass's.
    """

    __slots__ = ("tls", "all", "drained")

    def __init__(self):
        self.tls = threading.local()
        self.all = []
        self.drained = False  # set when a search of this generation as victim found nothing

    def pin(self, tallies, shared_queue=deque, local_type=Local):
        """This thread's Local, created and registered on its first use (Go's pinSlow).

        local_type is Local, or pool._pool.Local, its C twin (fastpool.py)."""
        try:
            return self.tls.mine
        except AttributeError:
            local = local_type(len(self.all), tallies.mine(), shared_queue)
            self.tls.mine = local
            self.all.append(local)  # list.append is atomic: thieves see it whole or not at all
            return local
