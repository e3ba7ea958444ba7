"""score: a design scored from 0 to 1 on its workload's traces (the pool-off), as the CS:APP
malloc lab scores: the check earns that share of its points, so a better design earns more.

The workload reports "score", "beat" (the best of the baselines' scores, measured in the same
run) and the parts the score is made of, which are shown, not judged. It passes when the
score beats "beat": a design must do better than the simple answers it is set against. And
a design must first be correct: the checks its gate names must pass before it is measured.
"""

from dataclasses import replace

from ..result import Result
from . import metrics
from .metrics import expected, run  # noqa: F401 -- its parts are named in its expect table

TIMED = "timed side by side with its baselines"


def validate(check, lab_checks, tests):
    missing = {"score", "beat"} - set(check.params.get("expect", {}))
    if missing:
        return f"check {check.id!r}'s expect table names no {', '.join(sorted(missing))}"
    unknown = set(check.params.get("gate", ())) - {c.id for c in lab_checks}
    if unknown:
        return (f"check {check.id!r} is gated on {', '.join(sorted(unknown))}, which the lab "
                "has no check of")
    return None


def rule(check):
    return ("a score from 0 to 1, that share of the points; passes when it beats the "
            "baselines' scores, measured in the same run")


def settled(check, results):
    """A failed Result if a check the gate names failed in results, else None (measure it).

    The pool-off's score does not count for a pool that hands one buffer to two holders,
    however fast. A gate check that was not run (a grading of some checks only) is not held
    against it."""
    failed = [r for r in results if r.check.id in check.params.get("gate", ()) and not r.passed]
    if not failed:
        return None
    return Result(check, "fail", 0, expected(check),
                  "not measured: it counts only for a submission that passes "
                  + " and ".join(f"'{r.check.name}'" for r in failed)
                  + f" -- the first failed: {failed[0].detail}")


def grade(check, lab, program, workdir):
    result = metrics.grade(check, lab, program, workdir)
    found = {m.name: m for m in result.metrics}
    if result.status == "fail" and found["score"].value is None:  # it did not run: why
        return result
    beat = found["beat"].value
    score = replace(found["score"], min=beat)
    shown = tuple(score if m.name == "score" else m for m in result.metrics)
    return replace(result, status="pass" if score.value > beat else "fail", metrics=shown,
                   score=round(check.points * min(1.0, max(0.0, score.value)), 1))
