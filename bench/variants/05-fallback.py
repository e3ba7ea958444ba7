"""Lab 5's plausible submissions: what its thresholds were set against.

Each is graded by `bench/lab_variants.py 05-fallback` (the margins of each threshold) and by
tests/test_lab_variants.py (in `make test`): it must fail exactly the checks in "fails".
A check in "unpinned" sits too near its threshold on some machines to be pinned either way.
Most are the reference answer with one change, made here by replacing its lines, so that
each variant is wrong in exactly one way and follows the reference as it changes. A variant
of Task 3's settings alone names the checks it can change ("checks"): tests/test_lab_variants.py
grades only those.
"""

import functools

import lab_variants

changed = functools.partial(lab_variants.changed, "05-fallback")


# Counts every call since the breaker last closed, not the latest window: after a long
# healthy spell, an outage takes as many failures again before the rate reaches 50%.
CUMULATIVE = changed(
    "breaker",
    ("self.calls = deque(maxlen=window)  # of each of the latest calls: (failed, slow)",
     "self.calls = []  # every call since it last closed: (failed, slow)"))

# Trial counts reset only on closing: after half_open_calls failed trials in all, a
# half-open breaker lets nothing through, and so never closes.
STUCK_HALF_OPEN = changed(
    "breaker",
    ('self._state, self.trials, self.successes = "half_open", 0, 0', 'self._state = "half_open"'),
    ('                        self._state = "closed"\n',
     '                        self._state, self.trials, self.successes = "closed", 0, 0\n'))

# A failed trial opens the breaker again but leaves opened_at where it was: open_for has long
# passed, so it is half-open at once and every later request is another trial. While the
# primary stalls, each of those waits out the timeout; by count they are a few per cent.
NO_RESTART = changed(
    "breaker",
    ("""                        self.calls.clear()  # a fresh start: the outage's failures are over
                    return
""", """                        self.calls.clear()  # a fresh start: the outage's failures are over
                    return
                self._state = "open"  # opened_at stays: open_for counts from the first opening
                return
"""))

# Opens on minimum_calls failures in a row (a consecutive-failures breaker): an outage opens
# it as fast as the reference, but a primary that fails 30% of its requests almost never
# fails ten in a row, so it stays closed and its requests keep failing.
IN_A_ROW = changed(
    "breaker",
    ("self.calls = deque(maxlen=window)  # of each of the latest calls: (failed, slow)",
     "self.in_a_row = 0  # failed or slow calls since the last good one"),
    ("self.calls.clear()", "self.in_a_row = 0"),
    ("""                self.calls.append((not ok, slow))
                n, bound = len(self.calls), self.failure_rate * len(self.calls)
                failed = sum(f for f, _ in self.calls)
                slowed = sum(s for _, s in self.calls)
                if n < self.minimum_calls or failed < bound and slowed < bound:""",
     """                self.in_a_row = 0 if ok and not slow else self.in_a_row + 1
                if self.in_a_row < self.minimum_calls:"""))

# Watches failures only: the slow-call rule left out, as in the breaker before it had one. A
# primary that answers slowly fails nothing, so it never opens, and every request waits.
ERRORS_ONLY = changed(
    "breaker",
    ("slow = seconds > self.slow_call", "slow = False  # only failures count"))

# Times the call from when the connection is in hand: the wait for it is left out, so a
# pool's queue never makes a call slow (here the slow primary's replies alone take longer
# than slow_call, so only the test sees it).
TIMED_AFTER_CHECKOUT = changed(
    "client",
    ("""                    sent = True  # from here on, the primary may act on the request
""", """                    sent, start = True, time.monotonic()  # the wait left out
"""))

# Records the successes only: the breaker never sees a failure, so it never opens.
SUCCESSES_ONLY = changed(
    "client", ("                self.breaker.record(False, time.monotonic() - start)\n", ""))

# Raises whatever the primary raised, a refused connection too, where nothing was sent and
# the standby could have served the request (the lab's rule before it said which failures
# may be retried). Its breaker opens as fast: only the test sees it.
NO_STANDBY_WHEN_NOTHING_SENT = changed(
    "client",
    ("""                if sent:
                    raise  # it may have been applied: repeating it elsewhere is not safe
""", """                raise
"""))

# Fails over to the standby within each request instead of asking the breaker: every request
# succeeds -- those the primary may have applied are made twice -- and while the primary
# stalls each waits out the timeout first.
FAILOVER = {"client": '''class FallbackClient:
    def __init__(self, primary_pool, standby_pool, breaker):
        self.primary_pool, self.standby_pool, self.breaker = primary_pool, standby_pool, breaker

    def request(self, payload):
        start = time.monotonic()
        try:
            with self.primary_pool.connection() as conn:
                reply = conn.request(f"ECHO {payload}")
        except Exception:  # the primary failed: the standby answers instead
            self.breaker.record(False, time.monotonic() - start)
            with self.standby_pool.connection() as conn:
                return conn.request(f"ECHO {payload}")
        self.breaker.record(True, time.monotonic() - start)
        return reply
'''}

PRIMARY = """                with self.primary_pool.connection() as conn:
                    sent = True  # from here on, the primary may act on the request
                    reply = conn.request(f"ECHO {payload}")
"""

# Gives the connection back only when the request worked.
LEAK = changed(
    "client",
    (PRIMARY, """                conn = self.primary_pool.acquire()
                sent = True  # from here on, the primary may act on the request
                reply = conn.request(f"ECHO {payload}")
                self.primary_pool.release(conn)
"""))

# Closes every connection after its request, "to be safe": a new connection per request.
CONNECT_PER_REQUEST = changed(
    "client",
    ("""        with self.standby_pool.connection() as conn:  # discarded, not reused, if it fails
            return conn.request(f"ECHO {payload}")
""", """        conn = self.standby_pool.acquire()
        try:
            return conn.request(f"ECHO {payload}")
        finally:
            self.standby_pool.release(conn, discard=True)
"""),
    (PRIMARY, """                conn = self.primary_pool.acquire()
                sent = True  # from here on, the primary may act on the request
                try:
                    reply = conn.request(f"ECHO {payload}")
                finally:
                    self.primary_pool.release(conn, discard=True)
"""))

# Right: the chapter's breaker behind the lab's interface.
ADAPTER = {"breaker": '''from pool import CircuitBreaker, CircuitOpen


class Breaker:
    def __init__(self, failure_rate, minimum_calls, window, open_for, half_open_calls,
                 slow_call, clock=time.monotonic):
        self.inner = CircuitBreaker(failure_rate, minimum_calls, window, open_for,
                                    half_open_calls, slow_call_threshold=slow_call, clock=clock)

    @property
    def state(self):
        return self.inner.state

    def allow(self):
        try:
            self.inner.acquire_permission()
        except CircuitOpen:
            return False
        return True

    def record(self, ok, seconds):
        self.inner.record(ok, seconds)
'''}



def tuned(settings):
    """Task 3's answer cell with TUNED_SETTINGS = settings (Python source)."""
    return {"tuned": f"TUNED_SETTINGS = {settings}\n"}


# Task 3's plausible settings, each run on the hidden mixes against BREAKER_SETTINGS.
# The defaults as given: a ratio of 1 by construction, give or take the runs' drift.
AS_GIVEN = tuned("dict(BREAKER_SETTINGS)")
# Only the slow-call threshold set below the slow primary's latency: the slow parts go to the
# standby, but outages still take ten failures to open, flaky primaries at 30% stay closed, and
# every recovery waits out a quarter second on the slower standby.
SLOW_CALL_ONLY = tuned("dict(BREAKER_SETTINGS, slow_call=0.005)")
# Opens at one failure (a window of one call): fast on an outage, but a primary failing 2-4% of
# its requests sends an open_for of requests to the slower standby after each of them.
AT_THE_FIRST_FAILURE = tuned("dict(failure_rate=0.05, minimum_calls=1, window=1, open_for=0.1, "
                             "half_open_calls=10, slow_call=0.005)")
# Never opens: every failure and every slow reply is paid for.
NEVER_OPENS = tuned("dict(failure_rate=1.0, minimum_calls=1000, window=1000, open_for=0.1, "
                    "half_open_calls=1, slow_call=TIMEOUT)")
# The reference's rates and window, but open a second at a time, to spare the failed trials:
# each opening then sends a second of requests to the slower standby, the primary long back.
LONG_OPEN = changed("tuned", ("open_for=0.1,", "open_for=1.0,"))
# Passes the clock in the settings too: Breaker(**TUNED_SETTINGS, clock=...) gets it twice.
WITH_A_CLOCK = tuned("dict(BREAKER_SETTINGS, slow_call=0.005, clock=time.monotonic)")

# Task 3's check is measured only for a breaker and client that pass their tests (its gate):
# each variant below that fails one of those fails it too, "not measured".
VARIANTS = [
    {"name": "failure rate over every call, not the window", "answers": CUMULATIVE,
     "fails": ["test_breaker", "primary_down", "stall_latency", "flaky", "slow_primary",
               "tuned_cost"]},
    # While the primary is down its trials are refused connections, served by the standby:
    # only a stall, where each trial waits out the timeout, costs its users.
    {"name": "a failed trial does not restart open_for", "answers": NO_RESTART,
     "fails": ["test_breaker", "stall_latency", "tuned_cost"]},
    {"name": "opens on failures in a row", "answers": IN_A_ROW,
     "fails": ["test_breaker", "flaky", "tuned_cost"]},
    {"name": "opens on failures only, slow calls not counted", "answers": ERRORS_ONLY,
     "fails": ["test_breaker", "slow_primary", "tuned_cost"]},
    {"name": "times the call from the checkout, not before it", "answers": TIMED_AFTER_CHECKOUT,
     "fails": ["test_client", "tuned_cost"]},
    {"name": "half-open trials never reset", "answers": STUCK_HALF_OPEN,
     "fails": ["test_breaker", "primary_down", "tuned_cost"]},
    {"name": "records successes only", "answers": SUCCESSES_ONLY,
     "fails": ["test_client", "primary_down", "stall_latency", "flaky",
               "tuned_cost"]},
    {"name": "raises a refused connection instead of using the standby",
     "answers": NO_STANDBY_WHEN_NOTHING_SENT, "fails": ["test_client", "tuned_cost"]},
    {"name": "fails over per request, breaker not asked", "answers": FAILOVER,
     "fails": ["test_client", "stall_latency", "slow_primary", "tuned_cost"]},
    # Once its four connections have leaked, every primary checkout waits TIMEOUT and raises
    # PoolTimeout, a failure its breaker hears and the standby serves: only the leak shows.
    {"name": "leaks the connection on error", "answers": LEAK,
     "fails": ["test_client", "no_leaks", "tuned_cost"]},
    # Its breaker is right, but each request pays a connect, 1-3 ms on a loaded machine: in
    # the stall, fewer requests share the same failed trials, so its p99 by count nears the
    # timeout's, and in the flaky phase fewer fit in an open_for spell, so its failed share
    # grows (idle, 3.11 and 3.13: p99 0.011-0.040 of the baseline's, failed 0.036-0.048;
    # beside other load: p99 0.98, failed 0.061-0.072). Its connects weigh on both settings' runs
# of Task 3's mixes, and on the standby's 4 ms less than the primary's fraction of one: its
# cost ratio came out 0.87-1.04 beside other load, near the 0.85 pass.
    {"name": "connects per request", "answers": CONNECT_PER_REQUEST, "fails": ["connections"],
     "unpinned": ["stall_latency", "flaky", "tuned_cost"]},
    {"name": "pool.CircuitBreaker adapted", "answers": ADAPTER, "fails": []},
    *({"name": f"TUNED_SETTINGS: {name}", "answers": answers, "fails": fails,
       "checks": ["test_breaker", "test_client", "test_tuned", "tuned_cost"]}
      for name, answers, fails in [
        ("the defaults as given", AS_GIVEN, ["tuned_cost"]),
        ("only slow_call tuned", SLOW_CALL_ONLY, ["tuned_cost"]),
        ("opens at the first failure", AT_THE_FIRST_FAILURE, ["tuned_cost"]),
        ("never opens", NEVER_OPENS, ["tuned_cost"]),
        ("open a second at a time", LONG_OPEN, ["tuned_cost"]),
        ("with a clock", WITH_A_CLOCK, ["test_tuned", "tuned_cost"])]),
]
