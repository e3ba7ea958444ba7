"""Workloads for Lab 3's measured checks, run in the sandbox on the notebook's namespace.

Each takes ns -- the lab's given cells and the submission's solution cells, executed -- and
returns what its check kind measures. Every trace is driven by explicit cleanup() calls, one
after each burst, never by real collections: the counts then repeat exactly, run after run.
The traffic (TRAFFIC), a burst (serve_burst), a replay (replay) and an idle pool
(alive_while_idle) are the notebook's given code, so its demo cells show the very numbers the
grader reads.
"""

from autograder.probes import Counted


def bursty_news(ns):
    """counter: new() calls on TRAFFIC, the learner's pool as a share of NoVictimPool's."""
    baseline_new, new = Counted(ns["new_scratch"]), Counted(ns["new_scratch"])
    baseline = ns["replay"](ns["NoVictimPool"](baseline_new), ns["TRAFFIC"], baseline_new)
    yours = ns["replay"](ns["VictimPool"](new), ns["TRAFFIC"], new)
    return {
        "share": sum(yours) / sum(baseline), "news": sum(yours), "baseline": sum(baseline),
        "detail": f"new() calls per burst of TRAFFIC ({len(baseline)} bursts, a cleanup() after "
                  f"each), counted by the grader: yours {yours}, NoVictimPool's {baseline}",
    }


def idle_release(ns):
    """counter: TRAFFIC's largest burst, then two cleanups with no get: what lives on."""
    n = max(ns["TRAFFIC"])
    alive = ns["alive_while_idle"](ns["VictimPool"], n)
    mib = ns["SCRATCH_SIZE"] / 2**20
    return {
        "alive": alive[2], "alive_after_one": alive[1], "mib": alive[2] * mib,
        "detail": f"a burst of {n} requests, each with a Scratch of {mib:g} MiB given back to "
                  f"the pool; Scratch objects still alive after 0, 1 and 2 cleanup() calls with "
                  f"no get: {alive}. Counted with weak references, not memray: CPython frees an "
                  "object the moment its last reference goes, so a dead weak reference says "
                  "exactly that the pool let that object go -- per object, on every platform, "
                  "without tracing every allocation",
    }


def bursty_latency(ns):
    """latency: (baseline, candidate) -- NoVictimPool and VictimPool serving TRAFFIC once."""
    baseline_new, new = Counted(ns["new_scratch"]), Counted(ns["new_scratch"])
    baseline, yours = ns["NoVictimPool"](baseline_new), ns["VictimPool"](new)
    replay, traffic = ns["replay"], ns["TRAFFIC"]
    return (lambda: replay(baseline, traffic, baseline_new)), (lambda: replay(yours, traffic, new))
