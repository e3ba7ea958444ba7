"""Fallback: resource pools that fail well.

sync.Pool may drop anything it holds at any time without telling anyone, so it is the wrong
tool for connections, files or anything else that must be closed, counted and limited. That
is a resource pool's job. ``ResourcePool`` follows SQLAlchemy's QueuePool (a bound, a
timeout, pre-ping on checkout). It retires idle resources as psycopg_pool and HikariCP do,
but with no floor: those two never shrink below a minimum (psycopg_pool's ``_shrink_pool``
closes one unused connection per ``max_idle`` seconds, only above ``min_size``; HikariCP's
``idleTimeout`` applies only when ``minimumIdle`` is below ``maximumPoolSize``, and never
below ``minimumIdle``), while here every resource idle past ``max_idle_time`` is closed:

- at most ``max_size`` resources exist; ``acquire`` waits up to ``acquire_timeout`` seconds for
  one, then raises ``PoolTimeout`` saying how long it waited and how many were in use;
- waiters are served first come, first served, as HikariCP hands a returned connection to a
  waiting thread: a thread that has just released a resource cannot take it straight back
  ahead of one that was waiting (under the GIL it would, each time -- the releasing thread
  runs on while the woken one waits for the GIL -- and a waiter starves until its timeout);
- idle resources are reused last-in first-out, so the warm ones stay warm and the rest age:
  one idle longer than ``max_idle_time`` is closed instead of used;
- ``validate(resource)`` (a pre-ping) runs on every checkout; a resource that fails it is
  closed and another one is tried;
- ``with pool.connection() as conn:`` gives the resource back when the block ends, or closes
  and discards it when the block raised -- a connection that failed mid-request is suspect.

``FallbackPool`` puts a ``CircuitBreaker`` (breaker.py) in front of a primary pool and keeps a
standby pool behind it: while the breaker allows it, resources come from the primary (a
failure to create, validate or use one counts against it); while it is open, from the
standby; when it is half-open, a few checkouts probe the primary again.
"""

import statistics
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass

from .breaker import CircuitBreaker, CircuitOpen  # noqa: F401 (exported from here too)


class PoolTimeout(Exception):
    """No resource became free within acquire_timeout."""


@dataclass(frozen=True)
class ResourceStats:
    in_use: int
    idle: int
    created: int
    discarded: int
    waits: int  # acquires that had to wait for a resource
    timeouts: int
    wait_p50: float  # seconds, over the most recent waits
    wait_p99: float


def _close(resource):
    close = getattr(resource, "close", None)
    if close is not None:
        close()


class Checkouts:
    """``with pool.connection() as r:`` over acquire() and release(r, discard=...)."""

    @contextmanager
    def connection(self):
        resource = self.acquire()
        try:
            yield resource
        except BaseException:  # a resource that failed mid-use is suspect: close it
            self.release(resource, discard=True)
            raise
        self.release(resource)


class ResourcePool(Checkouts):
    def __init__(self, create, *, max_size, acquire_timeout, validate=None,
                 max_idle_time=None, close=None):
        if not callable(create):
            raise TypeError(f"create must be a callable that opens a resource, not {create!r}")
        if not isinstance(max_size, int) or max_size < 1:
            raise ValueError(f"max_size must be a whole number >= 1, got {max_size!r}")
        if acquire_timeout < 0:
            raise ValueError(f"acquire_timeout cannot be negative, got {acquire_timeout!r}")
        if max_idle_time is not None and max_idle_time <= 0:
            raise ValueError(f"max_idle_time must be positive seconds, got {max_idle_time!r}")
        self._create, self._validate, self._close = create, validate, close or _close
        self.max_size, self.acquire_timeout, self.max_idle_time = (
            max_size, acquire_timeout, max_idle_time)
        self._idle = deque()  # (resource, time it became idle); newest on the right
        self._in_use = self._created = self._discarded = self._waits = self._timeouts = 0
        self._wait_times = deque(maxlen=1024)
        self._waiting = deque()  # a token per thread waiting in acquire, first come first
        self._cond = threading.Condition()

    def acquire(self):
        """A resource, for the caller alone until release(); PoolTimeout if none comes."""
        start = time.monotonic()
        deadline = start + self.acquire_timeout
        while True:
            with self._cond:
                stale = self._take_stale()
                if self._waiting or not self._idle and self._in_use >= self.max_size:
                    self._wait_for_one(start, deadline)  # in line behind earlier waiters
                self._in_use += 1  # this slot is ours: open or check outside the lock
                resource = self._idle.pop()[0] if self._idle else None  # the warmest
            for old in stale:
                self._retire(old)
            if resource is None:
                try:
                    resource = self._create()
                except BaseException:
                    self._give_back_slot()
                    raise
                with self._cond:
                    self._created += 1
                return resource
            if self._validate is None or self._checks_out(resource):
                return resource
            self._discard(resource)  # it failed its pre-ping: try another

    def _wait_for_one(self, start, deadline):
        """Wait (holding the lock) until this thread is first in line and a resource or a
        slot is free; PoolTimeout at the deadline."""
        me = object()
        self._waiting.append(me)
        try:
            while self._waiting[0] is not me or not self._idle and self._in_use >= self.max_size:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._timeouts += 1
                    raise PoolTimeout(f"waited {time.monotonic() - start:.3f} s for a resource: "
                                      f"all {self._in_use} of {self.max_size} are in use")
                self._cond.wait(left)
        finally:
            self._waiting.remove(me)
            self._cond.notify_all()  # the next in line may go, or must see it is now first
        self._waits += 1
        self._wait_times.append(time.monotonic() - start)

    def _take_stale(self):
        """Idle resources past max_idle_time, oldest first, taken out of the pool."""
        stale = []
        if self.max_idle_time is not None:
            cutoff = time.monotonic() - self.max_idle_time
            while self._idle and self._idle[0][1] < cutoff:
                stale.append(self._idle.popleft()[0])
        return stale

    def _retire(self, resource):
        try:
            self._close(resource)
        finally:
            with self._cond:
                self._discarded += 1

    def _checks_out(self, resource):
        try:
            return bool(self._validate(resource))
        except Exception:
            return False

    def release(self, resource, *, discard=False):
        """Give a resource back; with discard=True (it is broken), close it instead."""
        if discard:
            self._discard(resource)
            return
        with self._cond:
            self._in_use -= 1
            self._idle.append((resource, time.monotonic()))
            self._cond.notify_all()  # only the first in line takes it: the others wait on

    def _discard(self, resource):
        """Close a resource that was in use, and free its slot."""
        try:
            self._retire(resource)
        finally:
            self._give_back_slot()

    def _give_back_slot(self):
        with self._cond:
            self._in_use -= 1
            self._cond.notify_all()

    def close(self):
        """Close every idle resource (in-use ones are closed when they are released)."""
        with self._cond:
            idle, self._idle = list(self._idle), deque()
        for resource, _ in idle:
            self._close(resource)

    def stats(self):
        with self._cond:
            waits = sorted(self._wait_times)
            p50 = statistics.median(waits) if waits else 0.0
            p99 = waits[min(len(waits) - 1, int(0.99 * len(waits)))] if waits else 0.0
            return ResourceStats(self._in_use, len(self._idle), self._created,
                                 self._discarded, self._waits, self._timeouts, p50, p99)


class FallbackPool(Checkouts):
    """A primary pool guarded by a breaker, and a standby pool for while it is open."""

    def __init__(self, primary, standby, breaker):
        self.primary, self.standby, self.breaker = primary, standby, breaker
        self._checked_out = {}  # id(resource) -> (route, start) of each resource out
        self._lock = threading.Lock()
        self.served = {"primary": 0, "standby": 0}
        self.failures = {"primary": 0, "standby": 0}

    def acquire(self):
        try:
            self.breaker.acquire_permission()
        except CircuitOpen:
            return self._out("standby", self.standby.acquire())
        start = self.breaker.clock()
        try:
            resource = self.primary.acquire()
        except Exception:  # could not open, validate or wait for one: the primary is failing
            # Nothing was sent, so the standby may serve this checkout. A failure after the
            # resource was used is not retried here: the primary may have acted on it.
            self.breaker.record(False, self.breaker.clock() - start)
            self._count(self.failures, "primary")
            return self._out("standby", self.standby.acquire())
        return self._out("primary", resource, start)

    def _out(self, route, resource, start=None):
        with self._lock:
            self._checked_out[id(resource)] = (route, start)
            self.served[route] += 1
        return resource

    def _count(self, counts, route):
        with self._lock:
            counts[route] += 1

    def release(self, resource, *, discard=False):
        """Give it back to the pool it came from; a primary checkout ends its breaker call."""
        with self._lock:
            route, start = self._checked_out.pop(id(resource))
        if route == "primary":
            self.breaker.record(not discard, self.breaker.clock() - start)
        if discard:
            self._count(self.failures, route)
        (self.primary if route == "primary" else self.standby).release(resource,
                                                                        discard=discard)

    def route_of(self, resource):
        with self._lock:
            return self._checked_out[id(resource)][0]

    def stats(self):
        """Per route: checkouts served and failures, with each pool's stats and the state."""
        with self._lock:
            served, failures = dict(self.served), dict(self.failures)
        return {"state": self.breaker.state,
                "primary": {"served": served["primary"], "failures": failures["primary"],
                            "pool": self.primary.stats()},
                "standby": {"served": served["standby"], "failures": failures["standby"],
                            "pool": self.standby.stats()}}
