"""Workloads for Lab 6's measured checks, run in the sandbox on the notebook's namespace.

The notebook gives the service (Trace, serve, NoPool, Oracle) and the scoring (time_score,
memory_held, score), so that its demo cells score a pool on the visible TRACES exactly as the
grader scores it here -- on HIDDEN traces: the visible ones with other seeds, sizes, thread
counts and cleanup rates, so that a pool tuned to the visible mix alone gains nothing.
"""

from dataclasses import replace

from autograder.measure import pool_off_score

KiB, MiB = 1 << 10, 1 << 20


def hidden(traces):
    """The traces the grader scores: one variant of each visible trace."""
    mixed, bursts, handoff, threads, small = traces
    return [
        replace(mixed, seed=7, sizes={512: 25, 4 * KiB: 30, 24 * KiB: 30,
                                                     96 * KiB: 14, 6 * MiB: 1}),
        replace(bursts, seed=7, burst=48, cleanup_every=96,
                sizes={8 * KiB: 40, 160 * KiB: 60}),
        replace(handoff, seed=7, threads=4, requests=800),
        replace(threads, seed=7, threads=3, cleanup_every=150,
                sizes={1 * KiB: 30, 12 * KiB: 40, 200 * KiB: 30}),
        replace(small, seed=7, sizes={32: 40, 128: 30, 700: 30}),
    ]


def pool_off(ns):
    """score: the mean over the hidden traces of pool_off_score(time, memory); "beat", the
    better of the two baselines' means, NoPool's and Oracle's, from the same runs."""
    out, yours, no_pool, oracle = {}, [], [], []
    details = []
    for trace in hidden(ns["TRACES"]):
        timed = ns["time_ratios"](ns["BufferPool"], trace)
        mine = ns["memory_held"](ns["BufferPool"], trace)
        held = {name: ns["memory_held"](ns[name], trace) for name in ("NoPool", "Oracle")}
        time = min(1.0, timed["Oracle"], timed["NoPool"])
        memory = min(1.0, held["NoPool"] / mine)
        yours.append(pool_off_score(time, memory))
        # The baselines' own scores: NoPool keeps nothing; Oracle is the fastest there is.
        no_pool.append(pool_off_score(min(1.0, timed["Oracle"] / timed["NoPool"]), 1.0))
        oracle.append(pool_off_score(min(1.0, timed["NoPool"] / timed["Oracle"]),
                                     held["NoPool"] / held["Oracle"]))
        out[f"time_{trace.name}"], out[f"memory_{trace.name}"] = time, memory
        details.append(f"{trace.name} {no_pool[-1]:.2f} and {oracle[-1]:.2f}")
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    return {"score": mean(yours), "beat": max(mean(no_pool), mean(oracle)),
            "no_pool": mean(no_pool), "oracle": mean(oracle), **out,
            "detail": "five hidden traces, variants of TRACES (other seeds, sizes, thread "
                      "counts and cleanup rates); score = 0.5 x memory + 0.5 x time on each, "
                      "then the mean. NoPool's and Oracle's scores per trace: "
                      + "; ".join(details)}
