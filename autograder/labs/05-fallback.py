"""Workloads for Lab 5's fault checks, run in the sandbox on the notebook's namespace.

Each brings up a primary and a standby pool.ChaosService on loopback (a fault check's sandbox
has its own), builds the learner's Breaker and FallbackClient on the lab's connection pools,
and sends requests with the lab's drive() -- one after another, or from CLIENTS threads at
once -- while the primary goes through a schedule of faults. What a check reads comes from the grader's side: the requests drive()
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
def backends(ns, connect=chaos.Connection, settings="BREAKER_SETTINGS", seeds=(1, 2),
             standby_ms=0):
    """(primary, standby, the learner's client, its breaker, the two pools), all on loopback:
    the breaker built from the notebook's settings of that name, the standby answering
    standby_ms late."""
    with (chaos.ChaosService(seed=seeds[0]) as primary,
          chaos.ChaosService(seed=seeds[1]) as standby):
        standby.stall_ms = standby_ms
        pools = [given(ns, "connection_pool")(service, connect) for service in (primary, standby)]
        breaker = ns["Breaker"](**ns[settings], clock=time.monotonic)
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


# Long enough for several open_for spells (0.25 s) after the breaker opens, which takes a
# window's worth of timeouts (10 x 0.1 s) first: what follows the first opening is what the
# breaker chose, and that is what `waiting` judges.
STALL = [("stalled", 3.0, None)]


def waited(requests, slow, window):
    """(the share of the time from the breaker's first opening to the end of the phase that
    went into requests slower than slow, the time that share starts from, the time the
    breaker first opened or None), in seconds since the phase began.

    drive() sends requests one after another, so a slow request delays the ones behind it
    instead of adding slow ones to the count: a breaker that keeps sending trials to a
    stalled primary has a low p99 by count and yet spends most of the phase waiting. Time is
    what its users feel. Before the first opening, a window's worth of timeouts is the rule
    itself; but a window of failed requests must open any breaker, so a breaker that has not
    opened by then is judged from the end of the window-th request -- and from the start, if
    the phase ended before that many requests were sent (each then took longer than the
    timeout, on average: a pool that leaks, say, makes every checkout wait for its own).
    """
    opened = next((r.at for r in requests if r.state == "open"), None)
    full = requests[window - 1].at if len(requests) >= window else 0.0
    start = full if opened is None else min(opened, full)
    span = requests[-1].at - start
    spent = sum(r.seconds for r in requests if r.at > start and r.seconds > slow)
    return (spent / span if span > 0 else 0.0), start, opened


def stall_latency(ns):
    """fault: while the primary stalls, p99 latency as a ratio to the baseline client's, and
    the share of the time after the breaker first opened spent in requests that waited."""
    slow = ns["TIMEOUT"] / 2
    with backends(ns) as (primary, _, client, breaker, pools):
        drive(ns, client, primary, [("healthy", 5, 200)], breaker)  # a window of successes
        today = given(ns, "PrimaryOnlyClient")(pools[0])
        (baseline,) = drive(ns, today, primary, [("stalled", 5, 10)])
        (stalled,) = drive(ns, client, primary, STALL, breaker)
    quantile = given(ns, "quantile")
    theirs, ours = quantile(stalled, 0.99), quantile(baseline, 0.99)
    window = ns["BREAKER_SETTINGS"]["window"]
    waiting, start, opened = waited(stalled, slow, window)
    if opened == start:
        story = f"first opened {opened:.2f} s into it; from then on"
    else:
        story = ("never opened" if opened is None else f"opened only {opened:.2f} s into it")
        story += (f"; from the end of its request {window} ({start:.2f} s) on" if start else
                  f"; in all, with fewer than {window} requests sent")
    return {"ratio": theirs / ours, "p99_ms": theirs * 1e3, "baseline_p99_ms": ours * 1e3,
            "waiting": waiting,
            "detail": f"while the primary stalled: {len(baseline)} requests of the baseline "
                      f"client, then {STALL[0][1]:g} s of yours, {len(stalled)} requests, "
                      f"{sum(r.seconds > slow for r in stalled)} of them slower than "
                      f"{slow * 1e3:g} ms; the breaker {story}, {waiting:.0%} of the time went "
                      f"into requests that slow; {failures(stalled)}"}


# A window of successes, then 30% of the primary's requests fail (15% ERR, 15% cut): over the
# latest 20 calls the rate reaches 50% now and then, so the breaker opens, and each half-open
# spell's three trials all succeed only 0.7^3 = 34% of the time.
FLAKY = [("healthy", 0.3, None), ("flaky", 2.0, None)]


def flaky(ns):
    """fault: the share of requests that failed while 30% of the primary's requests fail."""
    with backends(ns) as (primary, _, client, breaker, _):
        _, failing = drive(ns, client, primary, FLAKY, breaker)
    states = [r.state for r in failing]
    opened = sum(new == "open" != old for old, new in zip(["closed", *states], states))
    return {"failed": sum(not r.ok for r in failing) / len(failing),
            "detail": f"in {FLAKY[1][1]:g} s of a primary failing 30% of its requests, "
                      f"{failures(failing)}; the breaker opened {opened} times"}


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


# A window of successes, then the primary answers every request in 60 ms: nothing fails, but
# CLIENTS threads share four connections, each busy 60 ms a request.
SLOW = [("slow", 2.0, None)]


def slow_primary(ns):
    """fault: while the primary answers slowly to CLIENTS threads at once, the share of
    requests slower than slow_call -- as PrimaryOnlyClient's, all of them -- and their p99."""
    slow, clients = ns["BREAKER_SETTINGS"]["slow_call"], ns["CLIENTS"]
    with backends(ns) as (primary, _, client, breaker, pools):
        drive(ns, client, primary, [("healthy", 5, 200)], breaker)  # a window of successes
        (baseline,) = drive(ns, given(ns, "PrimaryOnlyClient")(pools[0]), primary,
                            [("slow", 1.0, None)], clients=clients)
        (slowed,) = drive(ns, client, primary, SLOW, breaker, clients=clients)
    quantile = given(ns, "quantile")
    states = [r.state for r in slowed]
    opened = sum(new == "open" != old for old, new in zip(["closed", *states], states))
    late = sum(r.seconds > slow for r in slowed)
    return {"slow_share": late / len(slowed), "p99_ms": quantile(slowed, 0.99) * 1e3,
            "baseline_p99_ms": quantile(baseline, 0.99) * 1e3,
            "detail": f"{clients} clients at once while the primary answered in "
                      f"{ns['FAULTS']['slow']['stall_ms']} ms: PrimaryOnlyClient's "
                      f"{len(baseline)} requests, {failures(baseline)}; then {SLOW[0][1]:g} s "
                      f"of yours, {len(slowed)} requests, {late} of them slower than "
                      f"{slow * 1e3:g} ms; the breaker opened {opened} times; "
                      f"{failures(slowed)}"}


def connections(ns):
    """fault: connections the services accepted per request, over the lab's OUTAGE."""
    with backends(ns) as (primary, standby, client, breaker, _):
        every = sum(drive(ns, client, primary, ns["OUTAGE"], breaker), [])
    opened = primary.accepted + standby.accepted
    return {"per_request": opened / len(every),
            "detail": f"{opened} connections accepted (primary {primary.accepted}, standby "
                      f"{standby.accepted}) for {len(every)} requests; {failures(every)}"}


# Task 3: the stated costs (the notebook's STANDBY_MS and FAILED_COST, which an answer cell
# cannot change here), and hidden mixes of the notebook's kinds of parts at other rates,
# latencies, lengths, orders and seeds. Each part's fault is a ChaosService setting.
STANDBY_MS, FAILED_COST = 4, 0.03


def fault(cut=0.0, err=0.0, ms=0):
    """A primary state: shares of requests cut and answered ERR, and a reply's delay."""
    return dict(refuse=False, drop_fraction=cut, fail_fraction=err, stall_ms=ms)


MIX_FAULTS = {"erroring": fault(err=1.0), "flaky2": fault(0.01, 0.01),
              "flaky4": fault(0.02, 0.02), "flaky28": fault(0.14, 0.14),
              "flaky35": fault(0.175, 0.175), "slow7": fault(ms=7), "slow10": fault(ms=10)}
MIXES = [  # (the services' seeds, [(the primary's state, seconds at most, requests)])
    ((3, 4), [("healthy", 5, 100), ("flaky2", 5, 400), ("healthy", 5, 100),
              ("erroring", 5, 40), ("healthy", 5, 150), ("slow10", 5, 60), ("healthy", 5, 80),
              ("flaky35", 5, 120), ("healthy", 5, 80)]),
    ((5, 6), [("healthy", 5, 100), ("slow7", 5, 80), ("healthy", 5, 100), ("flaky28", 5, 120),
              ("healthy", 5, 100), ("flaky4", 5, 400), ("healthy", 5, 80), ("erroring", 5, 25),
              ("healthy", 5, 150)]),
]


# The score: 0 at the defaults' cost (a ratio of 1), 1 at FULL_AT of it or less; a pass needs
# a ratio under PASS_AT, the score that the workload reports as the one to beat.
FULL_AT, PASS_AT = 0.75, 0.85


def tuned_score(ratio):
    return min(1.0, max(0.0, (1 - ratio) / (1 - FULL_AT)))


def mix_cost(ns, settings, seeds, mix):
    """[(fault, seconds of cost)] of mix through the learner's classes: a success costs its
    latency, a failure FAILED_COST."""
    with backends(ns, settings=settings, seeds=seeds, standby_ms=STANDBY_MS) as (
            primary, _, client, breaker, _):
        phases = given(ns, "drive")(client, primary, mix, breaker)
    return [(fault, sum(r.seconds if r.ok else FAILED_COST for r in requests))
            for fault, requests in phases]


def tuned_cost(ns):
    """score: the cost of hidden mixes with TUNED_SETTINGS, as a ratio to BREAKER_SETTINGS',
    run in A-B-B-A order (defaults, tuned, tuned, defaults) so that drift falls on both; and
    the score of that ratio (tuned_score)."""
    ns["FAULTS"].update(MIX_FAULTS)
    mix_cost(ns, "BREAKER_SETTINGS", (7, 8), [("healthy", 5, 100)])  # warm up: not counted
    costs = {"BREAKER_SETTINGS": [], "TUNED_SETTINGS": []}
    for (seeds, mix), order in zip(MIXES, [costs, list(costs)[::-1]]):
        for settings in order:
            costs[settings] += mix_cost(ns, settings, seeds, mix)
    ours, theirs = (sum(c for _, c in costs[k]) for k in costs)
    ratio = theirs / ours
    worst = max(zip(costs["TUNED_SETTINGS"], costs["BREAKER_SETTINGS"]),
                key=lambda pair: pair[0][1] - pair[1][1])
    (part, mine), (_, default) = worst
    return {"score": tuned_score(ratio), "beat": tuned_score(PASS_AT), "ratio": ratio,
            "cost_ms": theirs * 1e3, "baseline_cost_ms": ours * 1e3,
            "detail": f"over {len(MIXES)} hidden mixes, TUNED_SETTINGS cost {theirs * 1e3:.0f} "
                      f"ms, BREAKER_SETTINGS {ours * 1e3:.0f} ms; the part where yours lost "
                      f"most to the defaults: a {part} primary, {mine * 1e3:.0f} ms against "
                      f"{default * 1e3:.0f} ms"}
