"""The check kinds: how each runs in the sandbox and how its outcome becomes a result.

A lab's TOML file lists its checks; every check of a kind runs through the same function
here, with the check's own parameters. No code here knows any particular lab.
"""

import os
from dataclasses import dataclass

from . import instruments, measure, sandbox

PASSING = ("pass", "borderline", "info")
# Beyond this share of the CPUs kept busy by other processes, a latency short of full points
# is not decided: beside two busy loops on 2 cores, Lab 2's reference measured 0.30x its
# lock baseline and a right variant 0.48x, against 0.06x and 0.09x on the quiet machine.
BUSY = 0.25


@dataclass
class Result:
    check: object  # lab.Check
    # "pass", "fail", "borderline" (a latency whose threshold lies within its measurement's
    # uncertainty: passed), "noisy" (a latency too noisy to decide: not passed, scored anyway),
    # "unmeasured" (the grader's instrument reads wrong on this Python: not judged, no points)
    # or "info" (a number reported, not judged)
    status: str
    score: float
    measured: str = ""
    threshold: str = ""
    margin: str = ""
    detail: str = ""

    @property
    def passed(self):
        return self.status in PASSING

    @property
    def needs_hint(self):
        """A check the code failed: not one the grader could not measure here."""
        return not self.passed and self.status != "unmeasured"


def spec(lab, program, task):
    return {"program": program, "task": task, "functions": lab.functions,
            "workloads": str(lab.workloads)}


def run_sandboxed(lab, program, task, workdir, name, seconds=None):
    # The source notebooks stay out of sight too: the tests a check runs are in its spec.
    return sandbox.run(spec(lab, program, task), workdir, name=name,
                       seconds=seconds or lab.limits["seconds"],
                       memory_mib=lab.limits["memory_mib"], hide=(lab.sources, *lab.hidden))


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
    observer = p.get("exclude_memray_effect", False)
    min_block = p.get("min_block", 1)
    task = {"kind": "allocations", "workload": p["workload"], "capture": str(capture),
            "native_traces": observer, "min_block": min_block}
    outcome = run_sandboxed(lab, program, task, workdir, check.id)
    why = failure(outcome)
    unit = p.get("unit", "message")
    threshold = f"<= {p['max']:g} per {unit}"
    if why or not capture.exists():
        return Result(check, "fail", 0, "not measured", threshold, "",
                      why or "no memray capture was written")
    off = instruments.allocation_probes_off(outcome.result["probes"], min_block, observer)
    if off:
        return unmeasured(check, threshold, f"cannot count allocations on this Python "
                          f"({outcome.result['python']}): {'; '.join(off)}")
    units = outcome.result["units"]
    count, sites = measure.count_allocations(capture, min_block, exclude_observer=observer)
    per = count / units
    ok = per <= p["max"]
    what = f"of at least {min_block} bytes" if min_block > 1 else "of any size"
    if observer:
        what += (", not counting what memray's tracking makes CPython allocate for each call "
                 "(frame objects, and bound methods for the profiler)")
    detail = f"{count} allocations {what} in {units} {unit}s (memray, after a warm-up pass)"
    if not ok and sites:
        detail += "; the most, in your code: " + "; ".join(
            _site(n, where, program) for where, n in sites.most_common(3))
    return Result(check, "pass" if ok else "fail", check.points if ok else 0,
                  f"{per:.3f} per {unit}", threshold,
                  f"{abs(p['max'] - per):.3f} {'under' if ok else 'over'}", detail)


def unmeasured(check, threshold, why):
    """The grader's own instrument reads wrong on this interpreter: no verdict, no points."""
    return Result(check, "unmeasured", 0, "not measured", threshold, "",
                  why + " -- not judged, and not held against your code (the README's "
                  "\"Python versions\" says what each Python measures)")


def _site(n, where, program):
    """'24 at send_all, line 5 of cell send_all: `buf[5:n] = body`'."""
    function, filename, line = where
    grade_id = filename[len("<cell "):-1]
    source = dict(program).get(grade_id, "").splitlines()
    text = source[line - 1].strip() if 0 < line <= len(source) else ""
    return f"{n} at {function}, line {line} of cell {grade_id}" + (f": `{text}`" if text else "")


def latency(check, lab, program, workdir):
    """A ratio to the lab's baseline, measured in rounds until it is clearly on one side.

    The ratio is the median of every pyperf value so far, with its 95% interval, widened to
    at least +/- resolution of the ratio: separate gradings of one notebook differ more than
    one grading's own values show. Here, a notebook whose ratio is 1 by construction (the
    baseline itself) measured 0.97 to 1.04 in about seventy gradings, with a busy core or
    without, and a +/-3% floor let one of them pass a threshold of 1: so 5%. When the
    threshold (full_at) lies inside the interval, another round is measured and pooled; if
    it is still inside after the last round, the check is "borderline": counted as passed,
    with points from the median as always -- so a submission sitting on a threshold gets the
    same verdict every time instead of a coin flip. An interval wider than max_halfwidth of
    the ratio cannot decide anything: "noisy", not passed, grade again on a quieter machine.

    A check whose baseline shows its effect only on some interpreters (a lock that convoys)
    names a probe: a workload that measures the baseline alone, and the least value at which
    the comparison means what the check says (smoke_and_probe).
    """
    p = check.params
    full_at, zero_at = p["full_at"], p["zero_at"]
    resolution, max_halfwidth = p.get("resolution", 0.05), p.get("max_halfwidth", 0.15)
    threshold = f"<= {full_at:g} (0 points at {zero_at:g})"
    undecided = smoke_and_probe(check, lab, program, workdir, threshold)
    if undecided:
        return undecided
    values, rounds, others = [], p.get("rounds", 3), measure.OtherLoad()  # the rounds' own
    for attempt in range(rounds):
        output = workdir / f"{check.id}.pyperf-{attempt}.json"
        task = {"kind": "latency", "workload": p["workload"], "output": str(output),
                "processes": p.get("processes", 6), "values": p.get("values", 3)}
        others.start()
        outcome = run_sandboxed(lab, program, task, workdir, f"{check.id}-{attempt}",
                                seconds=lab.limits["latency_seconds"])
        others.stop(mine=(outcome.result or {}).get("cpu", 0.0))
        if outcome.reason or not output.exists():
            why = (outcome.reason or "pyperf wrote no result") + _tail(outcome.stderr)
            return Result(check, "fail", 0, "not measured", threshold, "", why)
        values += measure.ratio_values(output)
        ratio, low, high = measure.median_interval(values)
        low, high = min(low, ratio * (1 - resolution)), max(high, ratio * (1 + resolution))
        if not low <= full_at <= high:
            break  # the whole interval is on one side of the threshold: decided
    score = measure.linear_score(check.points, ratio, full_at, zero_at)
    detail = (f"pyperf: median of {len(values)} values in {attempt + 1} round(s), each the "
              "ratio of one pair of runs timed in A-B-B-A order, your code and the baseline; "
              f"95% interval of the median {low:.3f}-{high:.3f} (at least +/-{resolution:.0%}, "
              "the spread between gradings)")
    busy = others.cpus
    if busy is not None:
        detail += f"; other processes kept {busy:.1f} of {os.cpu_count()} CPUs busy meanwhile"
    halfwidth = (high - low) / 2 / ratio if ratio > 0 else float("inf")
    if busy is not None and busy > BUSY * os.cpu_count() and score < check.points:
        status = "noisy"
        detail += (f" -- more than {BUSY:.0%} of this machine was busy with other work, which "
                   "moves ratios like this one: not decided, not passed -- grade again on a "
                   "quieter machine")
    elif high < full_at:
        status = "pass"
    elif low > full_at:
        status = "fail"
    elif halfwidth <= max_halfwidth:
        status = "borderline"
        detail += (f" -- the threshold {full_at:g} lies inside it after {attempt + 1} rounds: "
                   "too close to call, so counted as passed; the points follow the median")
    else:
        status = "noisy"
        detail += (f" -- it holds the threshold and is wider than "
                   f"+/-{max_halfwidth:.0%} of the ratio: too noisy to decide; "
                   "not passed -- grade again on a quieter machine")
    return Result(check, status, score, f"{ratio:.2f}x, 95% {low:.2f}-{high:.2f}", threshold,
                  f"{abs(full_at - ratio):.2f} {'under' if ratio <= full_at else 'over'}",
                  detail)


PROBE_RUNS = 3  # sandboxed runs of a check's probe before it is believed below its minimum


def smoke_and_probe(check, lab, program, workdir, threshold):
    """None if the latency check can go on to measure; else its Result, undecided or failed.

    The candidate runs once first, so that its errors read well. Then the check's probe, if it
    names one: a value below the probe's minimum is measured again, in a new process, up to
    PROBE_RUNS times, as an effect that forms only sometimes (a convoy) can be missed once.
    Below it every time the check is "unmeasured", saying why -- or "noisy" where other
    processes kept the machine busy meanwhile, which hides a convoy as it hides contention.
    """
    probe = check.params.get("probe")
    smoke = {"kind": "smoke", "workload": check.params["workload"],
             "probe": probe and probe["workload"]}
    others, seen = measure.OtherLoad(), []
    for attempt in range(PROBE_RUNS if probe else 1):
        others.start()
        outcome = run_sandboxed(lab, program, smoke, workdir, f"{check.id}-smoke-{attempt}")
        others.stop(mine=(outcome.result or {}).get("cpu", 0.0))
        why = failure(outcome)
        if why:
            return Result(check, "fail", 0, "not measured", threshold, "", why)
        if not probe or outcome.result["probe"]["value"] >= probe["min"]:
            return None
        seen.append(outcome.result["probe"])
    values = ", ".join(f"{got['value']:.2f}x" for got in seen)
    measured = (f"{probe['what']} measured {values} in {len(seen)} processes where this "
                f"check needs {probe['min']:g}x or more (the last: {seen[-1]['detail']})")
    busy = others.cpus
    if busy is not None and busy > BUSY * os.cpu_count():
        return Result(check, "noisy", 0, "not measured", threshold, "", (
            f"{measured} while other processes kept {busy:.1f} of {os.cpu_count()} CPUs "
            "busy: not decided, not passed -- grade again on a quieter machine"))
    return unmeasured(check, threshold, (
        f"cannot measure this on this Python ({outcome.result['python']}): the baseline "
        f"does not show what this check compares against -- {measured}. {probe['why']}"))


def metrics(check, lab, program, workdir):
    """A workload measures named numbers; each bound in the check's expect table judges one.

    The kinds counter (a count the grader owns, such as new() calls), concurrency (threads
    hammering the submission) and fault (services on loopback with injected faults) differ in
    what their workloads do and in what the sandbox prepares, not in how a number is judged.
    All bounds must hold for the points. A check worth no points whose entries have no bounds
    only reports its numbers ("info").
    """
    p = check.params
    expect = p.get("expect", {})
    threshold = "; ".join(filter(None, (bound_text(n, e) for n, e in expect.items())))
    wall = p.get("wall", lab.limits["seconds"] - 3)
    task = {"kind": check.kind, "workload": p["workload"], "wall": wall}
    outcome = run_sandboxed(lab, program, task, workdir, check.id)
    why = failure(outcome)
    if why:
        return Result(check, "fail", 0, "not measured", threshold, "", why)
    got = outcome.result["metrics"]
    missing = [name for name in expect if name not in got]
    if missing:
        return Result(check, "fail", 0, "not measured", threshold, "",
                      f"the workload {p['workload']} reported no {', '.join(missing)} "
                      "(a fault in the lab, not in the submission: tell the instructor)")
    measured = "; ".join(f"{got[name]:{e.get('format', 'g')}} {e.get('label', name)}"
                         for name, e in expect.items())
    slack = sorted((_slack(got[name], e), name) for name, e in expect.items()
                   if "min" in e or "max" in e)
    detail = outcome.result.get("detail", "")
    if not slack:
        return Result(check, "info", check.points, measured, "reported, not scored", "",
                      detail)
    (worst, name), e = slack[0], expect[slack[0][1]]
    ok = worst >= 0
    side = ("under" if ok else "over") if "max" in e else ("above" if ok else "below")
    margin = f"{abs(_gap(got[name], e)):{e.get('format', 'g')}} {side}"
    return Result(check, "pass" if ok else "fail", check.points if ok else 0, measured,
                  threshold, margin, detail)


def bound_text(name, e):
    """'label <= max' and/or 'label >= min' for one expect entry; '' if it has no bound."""
    fmt, label = e.get("format", "g"), e.get("label", name)
    parts = []
    if "min" in e:
        parts.append(f"{label} >= {e['min']:{fmt}}".strip())
    if "max" in e:
        parts.append(f"{label} <= {e['max']:{fmt}}".strip())
    return ", ".join(parts)


def _gap(value, e):
    """How far value is inside its bound (negative: outside), in the metric's own unit."""
    gaps = []
    if "max" in e:
        gaps.append(e["max"] - value)
    if "min" in e:
        gaps.append(value - e["min"])
    return min(gaps)


def _slack(value, e):
    """_gap relative to the bound, so that bounds in different units can be compared."""
    bound = e.get("max", e.get("min"))
    return _gap(value, e) / (abs(bound) or 1)


def _tail(stderr):
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return (": " + lines[-1]) if lines else ""


KINDS = {"functional": functional, "allocations": allocations, "latency": latency,
         "counter": metrics, "concurrency": metrics, "fault": metrics}
