"""A circuit breaker: stop calling a backend that is failing, and find out when it is back.

Modelled on Resilience4j's CircuitBreaker (its count-based sliding window, the default) --
each difference is named below; pybreaker is the Python anchor. Three states:

- closed: calls go through, and the outcome of each of the last ``window`` calls is kept.
  Once at least ``minimum_calls`` outcomes are in the window, the breaker opens when the
  share of failures -- or of calls slower than ``slow_call_threshold`` seconds -- reaches
  ``failure_rate_threshold`` (Resilience4j has a separate slowCallRateThreshold; here one
  rate threshold serves both).
- open: calls are rejected at once with ``CircuitOpen``, without touching the backend,
  until ``open_duration`` seconds have passed.
- half_open: ``half_open_calls`` trial calls go through (others are rejected); one failed or
  slow trial opens the breaker again at once, and when all of them have succeeded it closes,
  with an empty window. Resilience4j decides differently: once min(``minimumNumberOfCalls``,
  ``permittedNumberOfCallsInHalfOpenState``) trial outcomes are in
  (``CircuitBreakerMetrics.forHalfOpen``) -- all of them, with the defaults 100 and 10 -- it
  computes their failure and slow-call rates, opening again only if a rate reaches its
  threshold (with the default 50%, half the trials may fail and it still closes); and it moves
  from open to half-open lazily, on the next call, unless
  ``automaticTransitionFromOpenToHalfOpenEnabled``. Ours is the stricter rule: a backend that
  fails any trial gets another ``open_duration`` to recover.

Every change of state is appended to ``transitions`` as (time, from, to) and passed to
``on_transition`` if given, so a run can be drawn as a timeline.
"""

import threading
import time
from collections import deque

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitOpen(Exception):
    """Rejected without trying: the breaker is open (or its half-open trials are taken)."""


class CircuitBreaker:
    def __init__(self, failure_rate_threshold, minimum_calls, window, open_duration,
                 half_open_calls, slow_call_threshold=None, clock=time.monotonic,
                 on_transition=None):
        if not 0 < failure_rate_threshold <= 1:
            raise ValueError("failure_rate_threshold is a share of calls, in (0, 1]; "
                             f"got {failure_rate_threshold!r}")
        for name, value in (("minimum_calls", minimum_calls), ("window", window),
                            ("half_open_calls", half_open_calls)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of calls >= 1, got {value!r}")
        if open_duration < 0:
            raise ValueError(f"open_duration cannot be negative, got {open_duration!r}")
        if slow_call_threshold is not None and slow_call_threshold <= 0:
            raise ValueError(f"slow_call_threshold must be a positive number of seconds, "
                             f"got {slow_call_threshold!r}")
        self.failure_rate_threshold = failure_rate_threshold
        self.minimum_calls = minimum_calls
        self.open_duration = open_duration
        self.half_open_calls = half_open_calls
        self.slow_call_threshold = slow_call_threshold
        self.clock = clock
        self.on_transition = on_transition
        self.transitions = []
        self._outcomes = deque(maxlen=window)  # (failed, slow) of the most recent calls
        self._state = CLOSED
        self._opened_at = 0.0
        self._trials = 0  # half-open: permits handed out
        self._trial_successes = 0
        self._lock = threading.Lock()

    @property
    def state(self):
        with self._lock:
            self._maybe_half_open()
            return self._state

    def acquire_permission(self):
        """Take permission for one call, or raise CircuitOpen; then report its outcome."""
        with self._lock:
            self._maybe_half_open()
            if self._state == OPEN:
                raise CircuitOpen(f"circuit open: calls are refused for "
                                  f"{self._opened_at + self.open_duration - self.clock():.3f} s more")
            if self._state == HALF_OPEN:
                if self._trials >= self.half_open_calls:
                    raise CircuitOpen("circuit half-open: its trial calls are all under way")
                self._trials += 1

    def record(self, ok, seconds=0.0):
        """The outcome of a permitted call: did it succeed, and how long it took."""
        failed = not ok
        slow = self.slow_call_threshold is not None and seconds > self.slow_call_threshold
        with self._lock:
            if self._state == HALF_OPEN:
                if failed or slow:
                    self._move(OPEN)
                else:
                    self._trial_successes += 1
                    if self._trial_successes >= self.half_open_calls:
                        self._move(CLOSED)
                return
            if self._state == OPEN:
                return  # a call permitted before the breaker opened: its news is stale
            self._outcomes.append((failed, slow))
            n = len(self._outcomes)
            if n < self.minimum_calls:
                return
            failures = sum(f for f, _ in self._outcomes) / n
            slows = sum(s for _, s in self._outcomes) / n
            if max(failures, slows) >= self.failure_rate_threshold:
                self._move(OPEN)

    def call(self, fn, *args, **kwargs):
        """fn(*args, **kwargs) through the breaker; an exception counts as a failure."""
        self.acquire_permission()
        start = self.clock()
        try:
            result = fn(*args, **kwargs)
        except BaseException:
            self.record(False, self.clock() - start)
            raise
        self.record(True, self.clock() - start)
        return result

    def _maybe_half_open(self):
        if self._state == OPEN and self.clock() - self._opened_at >= self.open_duration:
            self._move(HALF_OPEN)

    def _move(self, state):
        now = self.clock()
        self.transitions.append((now, self._state, state))
        self._state = state
        if state == OPEN:
            self._opened_at = now
        self._trials = self._trial_successes = 0
        if state == CLOSED:
            self._outcomes.clear()  # a fresh start: old failures no longer count
        if self.on_transition is not None:
            self.on_transition(now, self.transitions[-1][1], state)
