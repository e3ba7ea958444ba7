"""Chapter 5's scenario, end to end: a primary backend fails and recovers under traffic.

Two ChaosServices on loopback stand for a primary and a standby backend. A client sends
ECHO requests, retrying a failed one once, through either a plain ResourcePool on the
primary or a FallbackPool (primary, standby, CircuitBreaker): one after another (a closed
loop, which sends as many as the design lets it), or, given a ``rate``, at that many a second
on schedule whatever has completed (an open loop: every design faces the same offered load,
and a request's latency counts from when it was due, so time spent queued counts). The run
has three phases: healthy; the primary refuses new connections and stalls replies; the
primary has recovered. ``run`` returns every request and every breaker transition, for the
tests' assertions, the book's timeline and the benchmark's table.
"""

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .breaker import CircuitBreaker
from .chaos import ChaosService, Connection
from .fallback import FallbackPool, PoolTimeout, ResourcePool


@dataclass(frozen=True)
class Request:
    at: float  # seconds since the run started
    ok: bool
    seconds: float  # how long it took, retry included
    route: str  # "primary" or "standby": where its last attempt went
    due: float = 0.0  # seconds since the run started at which it was due to be sent


@dataclass
class Run:
    requests: list = field(default_factory=list)
    transitions: list = field(default_factory=list)  # (seconds since start, from, to)
    phases: list = field(default_factory=list)  # (seconds since start, phase name)
    calls_at_fault: int = 0  # primary checkouts when the fault began
    calls_at_open: list = field(default_factory=list)  # primary checkouts at each opening

    @property
    def success_rate(self):
        return sum(r.ok for r in self.requests) / len(self.requests)

    def latency(self, q, *, succeeded=False):
        """The q-quantile of the requests' latencies: of all of them, or of those that
        succeeded -- a failure that came back fast would otherwise read as a fast request."""
        times = sorted(r.seconds for r in self.requests if r.ok or not succeeded)
        return times[min(len(times) - 1, int(q * len(times)))]

    @property
    def p50(self):
        return statistics.median(r.seconds for r in self.requests)


BREAKER = dict(failure_rate_threshold=0.5, minimum_calls=5, window=10, open_duration=1.0,
               half_open_calls=3, slow_call_threshold=0.15)


def run(*, fallback=True, phases=(1.0, 3.0, 3.0), timeout=0.2, stall_ms=500, seed=1,
        rate=None, clients=16):
    """Run the scenario; phases are the seconds of healthy, failing and recovered traffic.

    rate=None sends each request when the last has completed; rate=R issues R requests a
    second on schedule, on up to `clients` threads (a request due while all are busy waits
    for one, and that wait is part of its latency).
    """
    out = Run()
    start = time.monotonic()

    def now():
        return time.monotonic() - start

    with ChaosService(seed=seed) as primary, ChaosService(seed=seed + 1) as standby:
        def pool_for(service):
            return ResourcePool(lambda: Connection(service.address, timeout=timeout),
                                max_size=4, acquire_timeout=1, validate=lambda c: c.ping())

        if fallback:
            def opened(at, old, new):
                out.transitions.append((now(), old, new))
                if new == "open":
                    out.calls_at_open.append(checkouts())

            breaker = CircuitBreaker(**BREAKER, on_transition=opened)
            pool = FallbackPool(pool_for(primary), pool_for(standby), breaker)

            def checkouts():
                return pool.served["primary"] + pool.failures["primary"]
        else:
            pool = pool_for(primary)

        def request(i, t0=None):
            t0 = time.monotonic() if t0 is None else t0
            due = t0 - start
            route = "primary"
            for _ in range(2):  # one retry, as a careful client does
                try:
                    with pool.connection() as conn:
                        if fallback:
                            route = pool.route_of(conn)
                        if conn.request(f"ECHO {i}") == str(i):
                            return Request(now(), True, time.monotonic() - t0, route, due)
                except (OSError, PoolTimeout):  # PoolTimeout: all in use, waited too long
                    continue
            return Request(now(), False, time.monotonic() - t0, route, due)

        def closed_loop(name, seconds):
            out.phases.append((now(), name))
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                out.requests.append(request(len(out.requests)))

        sent = []

        def open_loop(name, seconds):
            out.phases.append((now(), name))
            begin = time.monotonic()
            for k in range(round(seconds * rate)):
                due = begin + k / rate
                time.sleep(max(0.0, due - time.monotonic()))
                sent.append(sending.submit(lambda i=len(sent), due=due:
                                           out.requests.append(request(i, due))))
            time.sleep(max(0.0, begin + seconds - time.monotonic()))  # the whole phase

        sending = ThreadPoolExecutor(clients) if rate else None
        traffic = open_loop if rate else closed_loop

        traffic("healthy", phases[0])
        out.calls_at_fault = checkouts() if fallback else 0
        primary.refuse, primary.stall_ms = True, stall_ms
        traffic("primary refusing and stalling", phases[1])
        primary.refuse, primary.stall_ms = False, 0
        traffic("primary recovered", phases[2])
        for future in sent:
            future.result()  # every request sent is recorded, and any error raised here
        if sending:
            sending.shutdown()
        for p in ((pool.primary, pool.standby) if fallback else (pool,)):
            p.close()
    return out
