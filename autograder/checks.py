"""The check kinds: how each runs in the sandbox and how its outcome becomes a result.

A lab's TOML file lists its checks; every check of a kind runs through the same function
here, with the check's own parameters. No code here knows any particular lab.
"""

from dataclasses import dataclass

from . import measure, sandbox


@dataclass
class Result:
    check: object  # lab.Check
    status: str  # "pass", "fail" or "noisy" (a latency too noisy to decide, scored anyway)
    score: float
    measured: str = ""
    threshold: str = ""
    margin: str = ""
    detail: str = ""

    @property
    def passed(self):
        return self.status == "pass"


def spec(lab, program, task):
    return {"program": program, "task": task, "functions": lab.functions,
            "workloads": str(lab.workloads)}


def run_sandboxed(lab, program, task, workdir, name, seconds=None):
    return sandbox.run(spec(lab, program, task), workdir, name=name,
                       seconds=seconds or lab.limits["seconds"],
                       memory_mib=lab.limits["memory_mib"])


def failure(outcome):
    """Why a sandboxed run did not succeed, or None if it did; cell errors come first."""
    errors = [f"cell {r['cell']}: {r['error']}" for r in outcome.records
              if r.get("event") == "cell-error"]
    result = outcome.result
    if outcome.reason:
        why = outcome.reason
    elif not result.get("ok"):
        why = result.get("error", "failed")
    else:
        return None
    return "; ".join([*errors, why]) if errors and why not in errors else why


def functional(check, lab, program, workdir):
    task = {"kind": "functional", "check": check.id, "source": lab.test(check.id)}
    why = failure(run_sandboxed(lab, program, task, workdir, check.id))
    if why:
        return Result(check, "fail", 0, "failed", "passes", "", why)
    return Result(check, "pass", check.points, "passed", "passes")


def allocations(check, lab, program, workdir):
    p = check.params
    capture = workdir / f"{check.id}.memray"
    task = {"kind": "allocations", "workload": p["workload"], "capture": str(capture)}
    outcome = run_sandboxed(lab, program, task, workdir, check.id)
    why = failure(outcome)
    unit = p.get("unit", "message")
    threshold = f"<= {p['max']:g} per {unit}"
    if why or not capture.exists():
        return Result(check, "fail", 0, "not measured", threshold, "",
                      why or "no memray capture was written")
    units = outcome.result["units"]
    count = measure.count_allocations(capture, p["min_block"])
    per = count / units
    ok = per <= p["max"]
    return Result(check, "pass" if ok else "fail", check.points if ok else 0,
                  f"{per:.3f} per {unit}", threshold,
                  f"{abs(p['max'] - per):.3f} {'under' if ok else 'over'}",
                  f"{count} allocations of at least {p['min_block']} bytes in {units} {unit}s "
                  "(memray, after a warm-up pass)")


def latency(check, lab, program, workdir):
    p = check.params
    threshold = f"<= {p['full_at']:g} (0 points at {p['zero_at']:g})"
    why = failure(run_sandboxed(lab, program, {"kind": "smoke", "workload": p["workload"]},
                                workdir, f"{check.id}-smoke"))
    if why:
        return Result(check, "fail", 0, "not measured", threshold, "", why)
    max_spread = p.get("max_spread", 0.25)
    runs = []
    for attempt in range(p.get("attempts", 3)):
        output = workdir / f"{check.id}.pyperf-{attempt}.json"
        task = {"kind": "latency", "workload": p["workload"], "output": str(output),
                "processes": p.get("processes", 4), "values": p.get("values", 3)}
        outcome = run_sandboxed(lab, program, task, workdir, f"{check.id}-{attempt}",
                                seconds=lab.limits["latency_seconds"])
        if outcome.reason or not output.exists():
            why = (outcome.reason or "pyperf wrote no result") + _tail(outcome.stderr)
            return Result(check, "fail", 0, "not measured", threshold, "", why)
        runs.append(measure.latency_ratio(output))
        if runs[-1][1] <= max_spread:
            break  # precise enough to decide
    ratio, spread, n = min(runs, key=lambda r: r[1])
    score = measure.linear_score(check.points, ratio, p["full_at"], p["zero_at"])
    ok = ratio <= p["full_at"]
    detail = (f"pyperf: median of {n} values, each a mean of per-pair ratios with the "
              f"baseline alternating in the timed loop; relative stdev {spread:.2f}")
    status = "pass" if ok else "fail"
    if spread > max_spread:
        status = "noisy"
        detail += (f" -- above {max_spread:g} in all {len(runs)} runs, too noisy to decide: "
                   "the score uses the median; grade again on a quieter machine")
    return Result(check, status, score, f"{ratio:.2f}x", threshold,
                  f"{abs(p['full_at'] - ratio):.2f} {'under' if ok else 'over'}", detail)


def _tail(stderr):
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return (": " + lines[-1]) if lines else ""


KINDS = {"functional": functional, "allocations": allocations, "latency": latency}
