"""Workloads for Lab 5's fault checks, run in the sandbox on the notebook's namespace.

Each brings up a primary and a standby pool.ChaosService on loopback (a fault check's sandbox
has its own), builds the learner's Breaker and FallbackClient on the lab's connection pools,
and sends requests one after another with the lab's drive() while the primary goes through
a schedule of faults. What a check reads comes from the grader's side: the requests drive()
timed and checked, the breaker's state after each, the services' count of accepted
connections, and the process's open file descriptors.
"""

import time
from collections import Counter
from contextlib import contextmanager

from autograder import probes
from pool import chaos

ANSWER_CELLS = ("<cell breaker>", "<cell client>")


def given(ns, name):
    """A given cell's function or class, refusing one an answer cell has replaced."""
    found = ns[name]
    code = getattr(getattr(found, "request", found), "__code__", None)
    if code is not None and code.co_filename in ANSWER_CELLS:
        raise RuntimeError(f"an answer cell defines {name}, which the lab gives: rename yours")
    return found


@contextmanager
def backends(ns, connect=chaos.Connection):
    """(primary, standby, the learner's client, its breaker, the two pools), all on loopback."""
    with chaos.ChaosService(seed=1) as primary, chaos.ChaosService(seed=2) as standby:
        pools = [given(ns, "connection_pool")(service, connect) for service in (primary, standby)]
        breaker = ns["Breaker"](**ns["BREAKER_SETTINGS"], clock=time.monotonic)
        client = ns["FallbackClient"](*pools, breaker)
        try:
            yield primary, standby, client, breaker, pools
        finally:
            for p in pools:
                p.close()


def drive(ns, *args, **kwargs):
    return [requests for _, requests in given(ns, "drive")(*args, **kwargs)]


def failures(requests):
    """'N of M requests failed (SomeError k, ...)', for a report's detail."""
    kinds = Counter(r.error or "a wrong reply" for r in requests if not r.ok)
    why = ", ".join(f"{kind} {n}" for kind, n in kinds.most_common())
    return f"{kinds.total()} of {len(requests)} requests failed" + (f" ({why})" if why else "")


# 1.6 s down is not a whole number of open_for spells (0.25 s): the primary comes back partway
# through one, so closing takes the rest of it, as it would in an outage of any length.
DOWN = [("healthy", 0.5, None), ("down", 1.6, None), ("healthy", 1.5, None)]


def primary_down(ns):
    """fault: the primary goes down and comes back; served requests, opening and closing."""
    with backends(ns) as (primary, _, client, breaker, _):
        healthy, down, recovered = drive(ns, client, primary, DOWN, breaker)
    every = healthy + down + recovered
    to_open = next((i for i, r in enumerate(down, 1) if r.state == "open"), None)
    to_close = next((r.at for r in recovered if r.state == "closed"), None)
    if to_open is None:
        story = f"never opened in the {len(down)} requests sent while the primary was down"
    else:
        story = (f"opened after {to_open} of the {len(down)} requests sent while the primary "
                 "was down, and " + (f"closed {to_close:.3f} s after it came back"
                                     if to_close is not None else "did not close again"))
    return {
        "failed": sum(not r.ok for r in every) / len(every),
        "to_open": len(down) if to_open is None else to_open,
        "to_close": DOWN[2][1] if to_close is None else to_close,
        "detail": f"{failures(every)}; the breaker {story}",
    }


def stall_latency(ns):
    """fault: p99 latency while the primary stalls, learner's client over the baseline's."""
    with backends(ns) as (primary, _, client, breaker, pools):
        drive(ns, client, primary, [("healthy", 5, 200)], breaker)  # a window of successes
        today = given(ns, "PrimaryOnlyClient")(pools[0])
        (baseline,) = drive(ns, today, primary, [("stalled", 5, 10)])
        (stalled,) = drive(ns, client, primary, [("stalled", 5, 3000)], breaker)
    quantile = given(ns, "quantile")
    theirs, ours = quantile(stalled, 0.99), quantile(baseline, 0.99)
    return {"ratio": theirs / ours, "p99_ms": theirs * 1e3, "baseline_p99_ms": ours * 1e3,
            "detail": f"while the primary stalled: {len(baseline)} requests of the baseline "
                      f"client, then {len(stalled)} of yours, "
                      f"{sum(r.seconds > ns['TIMEOUT'] / 2 for r in stalled)} of them slower "
                      f"than {ns['TIMEOUT'] / 2 * 1e3:g} ms; {failures(stalled)}"}


class Tracked(chaos.Connection):
    """A connection registered until it is closed, as a pool that owns its connections keeps
    them: one that is neither given back nor closed stays open, and shows as a descriptor."""

    def __init__(self, registry, address, timeout):
        super().__init__(address, timeout)
        self.registry = registry
        registry.add(self)

    def close(self):
        self.registry.discard(self)
        super().close()


LEAKS = [("healthy", 0.3, None), ("flaky", 1.0, None), ("down", 0.5, None),
         ("stalled", 0.5, None), ("healthy", 0.5, None)]


def no_leaks(ns):
    """fault: every fault, 30% failing requests included; descriptors and checkouts left."""
    before = probes.open_fds()
    live = set()
    with backends(ns, lambda address, timeout: Tracked(live, address, timeout)) as (
            primary, _, client, breaker, pools):
        phases = drive(ns, client, primary, LEAKS, breaker)
        out = sum(abs(p.stats().in_use) for p in pools)
    # The services' sockets close on their own threads: give them a moment.
    chaos.wait_until(lambda: probes.open_fds() <= before, timeout=2)
    flaky = phases[1]
    return {"descriptors": probes.open_fds() - before, "checked_out": out,
            "detail": f"{len(live)} connections never closed; while the primary failed 30% "
                      f"of its requests, {failures(flaky)}"}


def connections(ns):
    """fault: connections the services accepted per request, over the lab's OUTAGE."""
    with backends(ns) as (primary, standby, client, breaker, _):
        every = sum(drive(ns, client, primary, ns["OUTAGE"], breaker), [])
    opened = primary.accepted + standby.accepted
    return {"per_request": opened / len(every),
            "detail": f"{opened} connections accepted (primary {primary.accepted}, standby "
                      f"{standby.accepted}) for {len(every)} requests; {failures(every)}"}
