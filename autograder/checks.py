"""The check kinds: how each runs in the sandbox and how its outcome becomes a result.

A lab's TOML file lists its checks; every check of a kind runs through the same function
here, with the check's own parameters. No code here knows any particular lab.
"""

import os
from dataclasses import dataclass, replace

from measure import timing
from measure.allocations import count_allocations
from measure.load import OtherLoad

from . import instruments, points, sandbox
from .metric import Metric

PASSING = ("pass", "borderline", "info")
# Beyond this share of the CPUs kept busy by other processes, a latency short of full points
# is not decided: beside two busy loops on 2 cores, Lab 2's reference and right variants
# measure several times their quiet ratios, a right variant past the threshold (figures: the
# README's "How a latency ratio becomes pass or fail"; `bench/lab_variants.py 02-local`, run
# quiet and then beside the loops, writes each run's to bench/results/variants-02-local.txt).
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
    metrics: tuple = ()  # a Metric for each number the check judges or shows; none: a test
    detail: str = ""
    ran: bool = True  # False: not run, as the code did not load (failed, no points, no hint)

    @property
    def passed(self):
        return self.status in PASSING

    # measured, threshold and margin: the metrics in one string each (the JSON's summary
    # fields, for a reader that shows one line per check).
    @property
    def measured(self):
        """Every number with its label, '; '-joined; a test's outcome for a functional check."""
        if not self.metrics:
            return "passed" if self.passed else "failed"
        if all(m.value is None for m in self.metrics):
            return "not measured"
        return "; ".join(m.measured for m in self.metrics)

    @property
    def threshold(self):
        if not self.metrics:
            return "passes"
        return "; ".join(filter(None, (m.threshold for m in self.metrics))) or \
            "reported, not scored"

    @property
    def margin(self):
        """The margin of the number nearest to its bound (or furthest outside it)."""
        judged = [m for m in self.metrics if m.ok is not None]
        return min(judged, key=lambda m: m.slack).margin if judged else ""

    @property
    def needs_hint(self):
        """A check the code failed: not one the grader could not measure here, nor one not
        run (the report says why the code did not load instead)."""
        return not self.passed and self.status != "unmeasured" and self.ran


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
        return Result(check, "fail", 0, detail=why)
    return Result(check, "pass", check.points)


def expected(check):
    """The numbers a check judges, with their bounds from its lab's file, not yet measured.

    An allocation check judges allocations per unit of work; a latency check, its ratio to
    the baseline; the other kinds, each entry of their [checks.expect] table (label, format,
    min and/or max: none, and the number is only shown).
    """
    p = check.params
    if check.kind == "allocations":
        size = f" of {p['min_block']}+ bytes" if p.get("min_block", 1) > 1 else ""
        return (Metric("allocations", f"allocations{size} per {p.get('unit', 'message')}",
                       ".3f", max=p["max"]),)
    if check.kind == "latency":
        return (Metric("ratio", "times the baseline's", ".2f", max=p["full_at"],
                       zero_at=p["zero_at"]),)
    return tuple(Metric(name, e.get("label", name), e.get("format", "g"), e.get("min"),
                        e.get("max")) for name, e in p.get("expect", {}).items())


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
    (metric,) = expected(check)
    if why or not capture.exists():
        return Result(check, "fail", 0, (metric,), why or "no memray capture was written")
    off = instruments.allocation_probes_off(outcome.result["probes"], min_block, observer)
    if off:
        return unmeasured(check, f"cannot count allocations on this Python "
                          f"({outcome.result['python']}): {'; '.join(off)}")
    units = outcome.result["units"]
    count, sites = count_allocations(capture, min_block, exclude_observer=observer)
    metric = replace(metric, value=count / units)
    ok = metric.ok
    what = f"of at least {min_block} bytes" if min_block > 1 else "of any size"
    if observer:
        what += (", not counting what memray's tracking makes CPython allocate for each call "
                 "(frame objects, and bound methods for the profiler)")
    detail = f"{count} allocations {what} in {units} {unit}s (memray, after a warm-up pass)"
    if not ok and sites:
        detail += "; the most, in your code: " + "; ".join(
            _site(n, where, program) for where, n in sites.most_common(3))
    return Result(check, "pass" if ok else "fail", check.points if ok else 0, (metric,),
                  detail)


def unmeasured(check, why):
    """The grader's own instrument reads wrong on this interpreter: no verdict, no points."""
    return Result(check, "unmeasured", 0, expected(check),
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
    one grading's own values show. A notebook whose ratio is 1 by construction (Lab 1's
    "naive codec" variant: the baseline itself), graded many times with a busy core and
    without (`bench/lab_variants.py 01-escape 20`), spreads wider than +/-3%, which let one
    of its gradings pass a threshold of 1; +/-5% held them all. When the
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
    undecided = smoke_and_probe(check, lab, program, workdir)
    if undecided:
        return undecided
    values, rounds, others = [], p.get("rounds", 3), OtherLoad()  # the rounds' own
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
            return Result(check, "fail", 0, expected(check), why)
        values += timing.ratio_values(output)
        ratio, low, high = timing.median_interval(values)
        low, high = min(low, ratio * (1 - resolution)), max(high, ratio * (1 + resolution))
        if not low <= full_at <= high:
            break  # the whole interval is on one side of the threshold: decided
    score = points.linear_score(check.points, ratio, full_at, zero_at)
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
    (metric,) = expected(check)
    return Result(check, status, score, (replace(metric, value=ratio, interval=(low, high)),),
                  detail)


PROBE_RUNS = 3  # sandboxed runs of a check's probe before it is believed below its minimum


def smoke_and_probe(check, lab, program, workdir):
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
    others, seen = OtherLoad(), []
    for attempt in range(PROBE_RUNS if probe else 1):
        others.start()
        outcome = run_sandboxed(lab, program, smoke, workdir, f"{check.id}-smoke-{attempt}")
        others.stop(mine=(outcome.result or {}).get("cpu", 0.0))
        why = failure(outcome)
        if why:
            return Result(check, "fail", 0, expected(check), why)
        if not probe or outcome.result["probe"]["value"] >= probe["min"]:
            return None
        seen.append(outcome.result["probe"])
    values = ", ".join(f"{got['value']:.2f}x" for got in seen)
    measured = (f"{probe['what']} measured {values} in {len(seen)} processes where this "
                f"check needs {probe['min']:g}x or more (the last: {seen[-1]['detail']})")
    busy = others.cpus
    if busy is not None and busy > BUSY * os.cpu_count():
        return Result(check, "noisy", 0, expected(check), (
            f"{measured} while other processes kept {busy:.1f} of {os.cpu_count()} CPUs "
            "busy: not decided, not passed -- grade again on a quieter machine"))
    return unmeasured(check, (
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
    expect = expected(check)
    wall = p.get("wall", lab.limits["seconds"] - 3)
    task = {"kind": check.kind, "workload": p["workload"], "wall": wall}
    outcome = run_sandboxed(lab, program, task, workdir, check.id,
                            seconds=max(lab.limits["seconds"], wall + 3))
    why = failure(outcome)
    if why:
        return Result(check, "fail", 0, expect, why)
    got = outcome.result["metrics"]
    missing = [m.name for m in expect if m.name not in got]
    if missing:
        return Result(check, "fail", 0, expect,
                      f"the workload {p['workload']} reported no {', '.join(missing)} "
                      "(a fault in the lab, not in the submission: tell the instructor)")
    found = tuple(replace(m, value=got[m.name]) for m in expect)
    detail = outcome.result.get("detail", "")
    judged = [m for m in found if m.judged]
    if not judged:
        return Result(check, "info", check.points, found, detail)
    ok = all(m.ok for m in judged)
    return Result(check, "pass" if ok else "fail", check.points if ok else 0, found, detail)


def gated(check, results):
    """A failed Result for check if a check its gate names failed in results, else None.

    A scored design must first be correct: the pool-off's score does not count for a pool
    that hands one buffer to two holders, however fast. A gate check that was not run (a
    grading of some checks only) is not held against it."""
    failed = [r for r in results if r.check.id in check.params.get("gate", ()) and not r.passed]
    if not failed:
        return None
    return Result(check, "fail", 0, expected(check),
                  "not measured: it counts only for a submission that passes "
                  + " and ".join(f"'{r.check.name}'" for r in failed)
                  + f" -- the first failed: {failed[0].detail}")


def scored(check, lab, program, workdir):
    """A score from 0 to 1 that the workload computes from its parts: the check earns that
    share of its points, so a better design earns more, as in the CS:APP malloc lab. It
    passes when the score beats the best of the baselines' scores, measured in the same run
    (the workload's "beat"): a design must do better than the simple answers it is set
    against. Every other number the workload reports (the parts) is shown, not judged."""
    result = metrics(check, lab, program, workdir)
    found = {m.name: m for m in result.metrics}
    if result.status == "fail" and found["score"].value is None:  # it did not run: why
        return result
    beat = found["beat"].value
    score = replace(found["score"], min=beat)
    shown = tuple(score if m.name == "score" else m for m in result.metrics)
    return replace(result, status="pass" if score.value > beat else "fail", metrics=shown,
                   score=round(check.points * min(1.0, max(0.0, score.value)), 1))


def _tail(stderr):
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return (": " + lines[-1]) if lines else ""


KINDS = {"functional": functional, "allocations": allocations, "latency": latency,
         "counter": metrics, "concurrency": metrics, "fault": metrics, "score": scored}
# The kinds that time the submission: run one at a time, after the others, with nothing else
# of the grader's running (and what measures them, for the progress line).
TIMED = {"latency": "pyperf", "score": "timed side by side with its baselines"}
