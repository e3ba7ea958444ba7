"""latency: the submission's time as a ratio to the lab's baseline, timed side by side.

pyperf runs a workload's (baseline, candidate) pair in A-B-B-A order (measure.timing), in
rounds until the ratio's interval lies on one side of the threshold; points fall linearly
from full_at to zero_at. The grader side sends the rounds and reads them (grade); verdict()
turns the numbers into a status and points, and reads no file and starts no process.
"""

import json
import os
import resource
import sys
from dataclasses import replace

from measure import timing
from measure.load import OtherLoad

from .. import points, sandbox
from ..metric import Metric
from ..program import cpu_seconds, load_program, python_version, run_task, workload
from ..result import Result, unmeasured

TIMED = "pyperf"  # it times the submission: run alone, after the others, and by what
# Beyond this share of the CPUs kept busy by other processes, a latency short of full points
# is not decided: beside two busy loops on 2 cores, Lab 2's reference and right variants
# measure several times their quiet ratios, a right variant past the threshold (figures: the
# README's "How a latency ratio becomes pass or fail"; `bench/lab_variants.py 02-local`, run
# quiet and then beside the loops, writes each run's to bench/results/variants-02-local.txt).
BUSY = 0.25
PROBE_RUNS = 3  # sandboxed runs of a check's probe before it is believed below its minimum
# What a check's probe names: its workload, the least value at which the check's ratio means
# what it says, and what to tell the learner when it is not there (smoke_and_probe).
PROBE_KEYS = {"workload", "min", "what", "why"}


def validate(check, lab_checks, tests):
    missing = PROBE_KEYS - set(check.params.get("probe", PROBE_KEYS))
    if missing:
        return f"check {check.id!r}'s probe lacks {', '.join(sorted(missing))}"
    return None


def expected(check):
    p = check.params
    return (Metric("ratio", "times the baseline's", ".2f", max=p["full_at"],
                   zero_at=p["zero_at"]),)


def rule(check):
    p = check.params
    return (f"ratio to the baseline at most {p['full_at']:g} for full points, none at "
            f"{p['zero_at']:g} or above (pyperf)")


def interval(values, resolution):
    """The median of values and its 95% interval, widened to at least +/- resolution of it."""
    ratio, low, high = timing.median_interval(values)
    return ratio, min(low, ratio * (1 - resolution)), max(high, ratio * (1 + resolution))


def verdict(ratio, low, high, *, params, worth, rounds, busy, cpus):
    """(status, points, what to add to the detail) for a ratio measured in rounds, its interval
    low-high, while other processes kept busy CPUs of cpus busy (None: unknown).

    Decided when the interval lies on one side of full_at. A threshold inside it after the
    last round is "borderline": passed, points from the median, the same verdict every time.
    An interval wider than max_halfwidth of the ratio decides nothing ("noisy"), nor does a
    ratio short of full points measured on a busy machine (more than BUSY of its CPUs)."""
    full_at, max_halfwidth = params["full_at"], params.get("max_halfwidth", 0.15)
    score = points.linear_score(worth, ratio, full_at, params["zero_at"])
    halfwidth = (high - low) / 2 / ratio if ratio > 0 else float("inf")
    if busy is not None and busy > BUSY * cpus and score < worth:
        return "noisy", score, (f" -- more than {BUSY:.0%} of this machine was busy with other "
                                "work, which moves ratios like this one: not decided, not "
                                "passed -- grade again on a quieter machine")
    if high < full_at:
        return "pass", score, ""
    if low > full_at:
        return "fail", score, ""
    if halfwidth <= max_halfwidth:
        return "borderline", score, (f" -- the threshold {full_at:g} lies inside it after "
                                     f"{rounds} rounds: too close to call, so counted as "
                                     "passed; the points follow the median")
    return "noisy", score, (f" -- it holds the threshold and is wider than "
                            f"+/-{max_halfwidth:.0%} of the ratio: too noisy to decide; "
                            "not passed -- grade again on a quieter machine")


def grade(check, lab, program, workdir):
    """A ratio to the lab's baseline, measured in rounds until it is clearly on one side.

    The ratio is the median of every pyperf value so far, with its 95% interval, widened to
    at least +/- resolution of the ratio: separate gradings of one notebook differ more than
    one grading's own values show. A notebook whose ratio is 1 by construction (Lab 1's
    "naive codec" variant: the baseline itself), graded many times with a busy core and
    without (`bench/lab_variants.py 01-escape 20`), spreads wider than +/-3%, which let one
    of its gradings pass a threshold of 1; +/-5% held them all. When the threshold (full_at)
    lies inside the interval, another round is measured and pooled (verdict() decides).

    A check whose baseline shows its effect only on some interpreters (a lock that convoys)
    names a probe: a workload that measures the baseline alone, and the least value at which
    the comparison means what the check says (smoke_and_probe).
    """
    p = check.params
    resolution = p.get("resolution", 0.05)
    undecided = smoke_and_probe(check, lab, program, workdir)
    if undecided:
        return undecided
    values, rounds, others = [], p.get("rounds", 3), OtherLoad()  # the rounds' own
    for attempt in range(rounds):
        output = workdir / f"{check.id}.pyperf-{attempt}.json"
        task = {"kind": "latency", "workload": p["workload"], "output": str(output),
                "processes": p.get("processes", 6), "values": p.get("values", 3)}
        others.start()
        outcome = sandbox.run_task(lab, program, task, workdir, f"{check.id}-{attempt}",
                                   seconds=lab.limits["latency_seconds"])
        others.stop(mine=(outcome.result or {}).get("cpu", 0.0))
        if outcome.reason or not output.exists():
            why = (outcome.reason or "pyperf wrote no result") + outcome.last_words
            return Result(check, "fail", 0, expected(check), why)
        values += timing.ratio_values(output)
        ratio, low, high = interval(values, resolution)
        if not low <= p["full_at"] <= high:
            break  # the whole interval is on one side of the threshold: decided
    busy = others.cpus
    status, score, note = verdict(ratio, low, high, params=p, worth=check.points,
                                  rounds=attempt + 1, busy=busy, cpus=os.cpu_count())
    detail = (f"pyperf: median of {len(values)} values in {attempt + 1} round(s), each the "
              "ratio of one pair of runs timed in A-B-B-A order, your code and the baseline; "
              f"95% interval of the median {low:.3f}-{high:.3f} (at least +/-{resolution:.0%}, "
              "the spread between gradings)")
    if busy is not None:
        detail += f"; other processes kept {busy:.1f} of {os.cpu_count()} CPUs busy meanwhile"
    (metric,) = expected(check)
    return Result(check, status, score, (replace(metric, value=ratio, interval=(low, high)),),
                  detail + note)


def smoke_and_probe(check, lab, program, workdir):
    """None if the latency check can go on to measure; else its Result, undecided or failed.

    The candidate runs once first, so that its errors read well. Then the check's probe, if it
    names one: a value below the probe's minimum is measured again, in a new process, up to
    PROBE_RUNS times, as an effect that forms only sometimes (a convoy) can be missed once.
    Below it every time the check is "unmeasured", saying why -- or "noisy" where other
    processes kept the machine busy meanwhile, which hides a convoy as it hides contention.
    """
    probe = check.params.get("probe")
    task = {"kind": "latency", "smoke": True, "workload": check.params["workload"],
            "probe": probe and probe["workload"]}
    others, seen = OtherLoad(), []
    for attempt in range(PROBE_RUNS if probe else 1):
        others.start()
        outcome = sandbox.run_task(lab, program, task, workdir, f"{check.id}-smoke-{attempt}")
        others.stop(mine=(outcome.result or {}).get("cpu", 0.0))
        why = outcome.failure
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
    return unmeasured(check, expected(check), (
        f"cannot measure this on this Python ({outcome.result['python']}): the baseline "
        f"does not show what this check compares against -- {measured}. {probe['why']}"))


# -- in the sandbox ---------------------------------------------------------------------------

def main(spec_path, spec):
    """The smoke run loads the program as every task does; a round acts as a pyperf script,
    whose master spawns workers that run this module again."""
    if spec["task"].get("smoke"):
        return run_task(spec, smoke)
    return pyperf_round(spec_path, spec)


def smoke(ns, task, spec):
    """Run the candidate of a latency workload once, so that its errors read well; and the
    check's probe of its baseline, if it has one: {"value": number, "detail": text}."""
    baseline, candidate = workload(spec, task["workload"])(ns)
    candidate()
    result = {"ok": True, "python": python_version()}
    if task.get("probe"):  # does the baseline show, on this Python, what the check compares?
        result["probe"] = workload(spec, task["probe"])(ns)
    return {**result, "cpu": cpu_seconds()}  # for measure.load.OtherLoad, as a round's


def pyperf_round(spec_path, spec):
    """One round: pyperf's master, or one of the workers it spawns (--worker)."""
    import pyperf

    from measure.environment import MEASURED_UNDER

    task = spec["task"]
    runner = pyperf.Runner(processes=task["processes"], values=task["values"], warmups=1,
                           program_args=("-m", "autograder.harness", spec_path))
    runner.argparser.add_argument("spec")
    argv = sys.argv[1:]
    if "--worker" not in argv:
        # One A-B-B-A pair per value: pyperf would calibrate its loops on the value returned,
        # a ratio rather than seconds, and run 1/ratio pairs per value for a fast submission.
        argv += ["--quiet", "--output", task["output"], "--loops", "1",
                 "--inherit-environ", ",".join(MEASURED_UNDER)]
    runner.parse_args(argv)
    pair = []

    def time_func(loops):
        if not pair:  # in a worker only: the master never runs the submission's code
            ns = load_program(spec)
            pair.extend(workload(spec, task["workload"])(ns))
        return timing.abba_ratio(*pair, loops)  # a mean ratio per value, not seconds

    runner.bench_time_func("ratio", time_func)
    if "--worker" not in argv:  # the master: pyperf has written the output file
        with open(spec["results"], "a") as out:
            # The CPU time of this process and its workers, for the grader's count of what
            # other processes used meanwhile (measure.load.OtherLoad).
            cpu = cpu_seconds(resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
            out.write(json.dumps({"event": "result", "ok": True, "cpu": cpu}) + "\n")
    return 0
