"""Resource pools that fail well: breaker transitions, bounded pools, timeouts, no leaks,
and the whole scenario against a real loopback service with injected faults."""

import os
import threading
import time

import pytest

import pool
from pool import scenario
from pool.breaker import CLOSED, HALF_OPEN, OPEN


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


# Each step: S a success, F a failure, L a success slower than 1 s, +N the clock moves N
# seconds, X an attempt that must be refused. After each step, the state it must be in.
BREAKER_CASES = {
    "stays closed until minimum_calls outcomes are in": (
        dict(minimum_calls=5, window=10),
        [("F", CLOSED), ("F", CLOSED), ("F", CLOSED), ("F", CLOSED), ("F", OPEN)]),
    "opens when the failure rate reaches the threshold": (
        dict(minimum_calls=4, window=4),
        [("S", CLOSED), ("S", CLOSED), ("F", CLOSED), ("F", OPEN)]),
    "only the last window calls count": (
        dict(minimum_calls=4, window=4),
        [("F", CLOSED), ("S", CLOSED), ("S", CLOSED), ("S", CLOSED), ("S", CLOSED),
         ("F", CLOSED), ("S", CLOSED), ("F", OPEN)]),
    "slow calls open it like failures": (
        dict(minimum_calls=3, window=4, slow_call_threshold=1.0),
        [("S", CLOSED), ("L", CLOSED), ("L", OPEN)]),
    "slow calls do not count without a slow threshold": (
        dict(minimum_calls=2, window=4),
        [("L", CLOSED), ("L", CLOSED), ("L", CLOSED)]),
    "open refuses calls until open_duration has passed": (
        dict(minimum_calls=1, window=1, open_duration=10),
        [("F", OPEN), ("X", OPEN), ("+9", OPEN), ("X", OPEN), ("+1", HALF_OPEN)]),
    "half-open closes after its trial calls succeed": (
        dict(minimum_calls=1, window=1, open_duration=10, half_open_calls=2),
        [("F", OPEN), ("+10", HALF_OPEN), ("S", HALF_OPEN), ("S", CLOSED), ("S", CLOSED)]),
    "half-open opens again on one failed trial": (
        dict(minimum_calls=1, window=1, open_duration=10, half_open_calls=3),
        [("F", OPEN), ("+10", HALF_OPEN), ("S", HALF_OPEN), ("F", OPEN), ("X", OPEN)]),
    "half-open opens again on one slow trial": (
        dict(minimum_calls=1, window=1, open_duration=10, half_open_calls=2,
             slow_call_threshold=1.0),
        [("F", OPEN), ("+10", HALF_OPEN), ("L", OPEN)]),
    "closing starts a fresh window": (
        dict(minimum_calls=3, window=3, open_duration=10, half_open_calls=1),
        [("F", CLOSED), ("F", CLOSED), ("F", OPEN), ("+10", HALF_OPEN), ("S", CLOSED),
         ("F", CLOSED), ("F", CLOSED), ("F", OPEN)]),
}


@pytest.mark.parametrize("name", BREAKER_CASES)
def test_breaker_transitions(name):
    settings, steps = BREAKER_CASES[name]
    clock = FakeClock()
    breaker = pool.CircuitBreaker(**{"failure_rate_threshold": 0.5, "open_duration": 5,
                                     "half_open_calls": 1, **settings}, clock=clock)

    def call(seconds, fails):
        def work():
            clock.now += seconds
            if fails:
                raise OSError("down")
        return work

    for i, (step, expected) in enumerate(steps):
        if step.startswith("+"):
            clock.now += float(step[1:])
        elif step == "X":
            with pytest.raises(pool.CircuitOpen):
                breaker.call(call(0, False))
        else:
            work = call(2.0 if step == "L" else 0.01, step == "F")
            if step == "F":
                with pytest.raises(OSError):
                    breaker.call(work)
            else:
                breaker.call(work)
        assert breaker.state == expected, f"step {i} ({step})"


def test_half_open_lets_only_its_trial_calls_through():
    clock = FakeClock()
    breaker = pool.CircuitBreaker(0.5, 1, 1, 10, 2, clock=clock)
    breaker.record(False)
    clock.now = 10
    breaker.acquire_permission()
    breaker.acquire_permission()
    with pytest.raises(pool.CircuitOpen, match="trial calls"):
        breaker.acquire_permission()


def test_transitions_are_logged_and_reported():
    clock = FakeClock()
    seen = []
    breaker = pool.CircuitBreaker(0.5, 1, 1, 10, 1, clock=clock,
                                  on_transition=lambda t, old, new: seen.append((t, old, new)))
    breaker.record(False)
    clock.now = 12
    breaker.acquire_permission()
    breaker.record(True)
    assert breaker.transitions == seen == [(0.0, CLOSED, OPEN), (12, OPEN, HALF_OPEN),
                                           (12, HALF_OPEN, CLOSED)]


@pytest.mark.parametrize("kwargs, says", [
    (dict(failure_rate_threshold=0), "failure_rate_threshold"),
    (dict(failure_rate_threshold=1.5), "failure_rate_threshold"),
    (dict(minimum_calls=0), "minimum_calls"),
    (dict(window=2.5), "window"),
    (dict(open_duration=-1), "open_duration"),
    (dict(half_open_calls=0), "half_open_calls"),
    (dict(slow_call_threshold=0), "slow_call_threshold"),
])
def test_breaker_rejects_settings_that_make_no_sense(kwargs, says):
    settings = dict(failure_rate_threshold=0.5, minimum_calls=5, window=10, open_duration=1,
                    half_open_calls=1, **{})
    settings.update(kwargs)
    with pytest.raises(ValueError, match=says):
        pool.CircuitBreaker(**settings)


@pytest.mark.parametrize("kwargs, says", [
    (dict(max_size=0), "max_size"), (dict(max_size=2.0), "max_size"),
    (dict(acquire_timeout=-1), "acquire_timeout"), (dict(max_idle_time=0), "max_idle_time"),
])
def test_resource_pool_rejects_settings_that_make_no_sense(kwargs, says):
    with pytest.raises(ValueError, match=says):
        pool.ResourcePool(object, **{"max_size": 2, "acquire_timeout": 1, **kwargs})


class Resource:
    def __init__(self):
        self.closed = False

    def close(self):
        self.closed = True


def test_sixteen_threads_never_hold_more_than_max_size():
    p = pool.ResourcePool(Resource, max_size=4, acquire_timeout=10)
    lock = threading.Lock()
    holding, most = [0], [0]
    errors = []

    def worker():
        try:
            for _ in range(200):
                with p.connection():
                    with lock:
                        holding[0] += 1
                        most[0] = max(most[0], holding[0])
                    time.sleep(0.0002)
                    with lock:
                        holding[0] -= 1
        except Exception as e:
            errors.append(repr(e))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = p.stats()
    assert errors == []
    assert most[0] <= 4 and s.created <= 4 and s.in_use == 0
    assert s.waits > 0  # 16 threads for 4 resources: they did wait


def test_acquire_times_out_on_time_and_says_why():
    p = pool.ResourcePool(Resource, max_size=1, acquire_timeout=0.2)
    held = p.acquire()
    start = time.monotonic()
    with pytest.raises(pool.PoolTimeout, match=r"waited 0\.2\d* s .* all 1 of 1 are in use"):
        p.acquire()
    assert 0.19 <= time.monotonic() - start < 0.5
    assert p.stats().timeouts == 1
    p.release(held)
    assert p.acquire() is held


def test_pre_ping_failures_are_closed_and_counted():
    checks = []
    p = pool.ResourcePool(Resource, max_size=2, acquire_timeout=1,
                          validate=lambda r: checks.append(r) or len(checks) > 1)
    r = p.acquire()
    p.release(r)
    r2 = p.acquire()  # the idle one fails its first pre-ping: closed, a new one made
    assert r.closed and r2 is not r
    assert p.stats().discarded == 1 and p.stats().created == 2


def test_idle_resources_older_than_max_idle_time_are_closed():
    p = pool.ResourcePool(Resource, max_size=2, acquire_timeout=1, max_idle_time=0.05)
    a = p.acquire()
    p.release(a)
    time.sleep(0.1)
    b = p.acquire()
    assert a.closed and b is not a
    assert p.stats().discarded == 1


def test_a_block_that_raises_discards_its_resource():
    p = pool.ResourcePool(Resource, max_size=1, acquire_timeout=1)
    with pytest.raises(RuntimeError):
        with p.connection() as r:
            raise RuntimeError("the request failed")
    assert r.closed
    s = p.stats()
    assert (s.in_use, s.idle, s.discarded) == (0, 0, 1)
    with p.connection() as again:
        assert again is not r


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def test_no_socket_leaks_with_thirty_percent_injected_failures():
    before = open_fds()
    with pool.ChaosService(seed=3) as service:
        service.fail_fraction = 0.15
        service.drop_fraction = 0.15
        p = pool.ResourcePool(lambda: pool.Connection(service.address, timeout=1),
                              max_size=4, acquire_timeout=2, validate=lambda c: c.ping())
        outcomes = {"ok": 0, "failed": 0}

        def client(n):
            for i in range(n):
                try:
                    with p.connection() as conn:
                        assert conn.request(f"ECHO {i}") == str(i)
                    outcomes["ok"] += 1
                except OSError:
                    outcomes["failed"] += 1

        threads = [threading.Thread(target=client, args=(150,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        p.close()
        assert outcomes["failed"] > 50 and outcomes["ok"] > 100  # the faults were real
        assert p.stats().in_use == 0
    assert pool.chaos.wait_until(lambda: open_fds() == before, timeout=5), \
        f"{open_fds() - before} file descriptors leaked"


def test_the_service_counts_the_connections_it_accepts_not_those_it_refuses():
    with pool.ChaosService() as service:
        first = pool.Connection(service.address)
        for i in range(3):  # requests on one connection: one accept
            assert first.request(f"ECHO {i}") == str(i)
        second = pool.Connection(service.address)
        assert second.ping()
        service.refuse = True
        with pytest.raises(ConnectionRefusedError):
            pool.Connection(service.address)
        for conn in (first, second):
            conn.close()
        assert (service.accepted, service.requests) == (2, 4)


@pytest.mark.slow
def test_the_scenario_primary_fails_traffic_moves_to_standby_and_back():
    """Healthy -> refusing and stalling -> open within one window, standby serves, >= 99%
    succeed -> recovered -> half-open probes -> closed. Reproducible, under 30 s."""
    start = time.monotonic()
    run = scenario.run(fallback=True)
    assert time.monotonic() - start < 30
    fault_at, recovered_at = run.phases[1][0], run.phases[2][0]
    healthy = [r for r in run.requests if r.at < fault_at]
    assert healthy and all(r.ok and r.route == "primary" for r in healthy)
    assert not [t for t in run.transitions if t[0] < fault_at]
    assert run.calls_at_open, run.transitions
    assert run.calls_at_open[0] - run.calls_at_fault <= scenario.BREAKER["window"]
    during = [r for r in run.requests if fault_at <= r.at < recovered_at]
    assert sum(r.route == "standby" for r in during) > len(during) / 2
    assert [new for _, _, new in run.transitions][-2:] == [HALF_OPEN, CLOSED]
    assert run.transitions[-1][0] > recovered_at  # closed only once the primary was back
    assert all(r.route == "primary" for r in run.requests[-20:])
    assert run.success_rate >= 0.99, f"{run.success_rate:.2%} of {len(run.requests)}"


@pytest.mark.slow
def test_without_breaker_and_fallback_the_same_fault_costs_requests():
    run = scenario.run(fallback=False)
    fault_at, recovered_at = run.phases[1][0], run.phases[2][0]
    during = [r for r in run.requests if fault_at <= r.at < recovered_at]
    assert sum(r.ok for r in during) / len(during) < 0.5
    assert run.success_rate < 0.99


def test_latency_of_the_successful_requests_leaves_fast_failures_out():
    """A refused request returns at once: counted in, it would make a failing client look
    fast (bench/report.py and Chapter 5 report successes' latency beside goodput)."""
    run = scenario.Run(requests=[scenario.Request(at=0, ok=ok, seconds=s, route="primary")
                                 for ok, s in [(False, 0.001)] * 3 + [(True, 0.010)] * 2])
    assert run.latency(0.5) == 0.001
    assert run.latency(0.5, succeeded=True) == run.latency(0.99, succeeded=True) == 0.010


@pytest.mark.slow
def test_an_open_loop_offers_both_designs_the_same_requests_and_records_every_one():
    """rate=R: R requests a second on schedule, whatever completes, each recorded once, with
    its latency counted from when it was due -- the same offered load for either design."""
    phases, rate = (0.3, 0.6, 0.3), 100
    for fallback in (False, True):
        run = scenario.run(fallback=fallback, phases=phases, rate=rate)
        assert len(run.requests) == round(sum(phases) * rate)
        dues = sorted(r.due for r in run.requests)
        assert all(0 < later - earlier < 0.05 for earlier, later in zip(dues, dues[1:]))
        assert all(r.at >= r.due + r.seconds - 1e-3 for r in run.requests)
        fault_at, recovered_at = run.phases[1][0], run.phases[2][0]
        during = [r for r in run.requests if fault_at <= r.due < recovered_at]
        served = sum(r.ok for r in during) / len(during)
        assert served > 0.9 if fallback else served < 0.5


def test_a_waiting_checkout_is_served_before_a_later_one():
    """First come, first served: the thread that releases a resource cannot take it straight
    back ahead of a thread already waiting for one (under the GIL it would, every time)."""
    resources = pool.ResourcePool(object, max_size=1, acquire_timeout=2)
    held, got = resources.acquire(), []
    waiter = threading.Thread(target=lambda: got.append(resources.acquire()))
    waiter.start()
    assert pool.chaos.wait_until(lambda: resources._waiting, timeout=2), "nobody waited"
    resources.release(held)
    resources.acquire_timeout = 0.05  # the releasing thread's next checkout, at once
    with pytest.raises(pool.PoolTimeout):
        resources.acquire()
    waiter.join(timeout=2)
    assert got == [held], "the thread that was waiting should have had the released resource"
