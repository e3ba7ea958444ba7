"""What the kinds counter, concurrency and fault share: a workload measures named numbers;
each bound in the check's expect table judges one.

They differ in what their workloads do (count new() calls, hammer the submission from
threads, serve it on loopback with injected faults) and in what the sandbox prepares, not in
how a number is judged: each is a module of its own (counter.py, concurrency.py, fault.py)
made of these functions.
"""

import numbers
import threading
from dataclasses import replace

from .. import sandbox
from ..metric import Metric
from ..program import explain, workload
from ..result import Result


def expected(check):
    """Each entry of the check's [checks.expect] table: label, format, min and/or max (none:
    the number is only shown)."""
    return tuple(Metric(name, e.get("label", name), e.get("format", "g"), e.get("min"),
                        e.get("max")) for name, e in check.params.get("expect", {}).items())


def rule(check, measured_by):
    bounds = "; ".join(filter(None, (m.threshold for m in expected(check))))
    return f"{bounds or 'reported, not scored'} ({measured_by})"


def grade(check, lab, program, workdir):
    """All bounds must hold for the points. A check worth no points whose entries have no
    bounds only reports its numbers ("info")."""
    p = check.params
    expect = expected(check)
    wall = p.get("wall", lab.limits["seconds"] - 3)
    task = {"kind": check.kind, "workload": p["workload"], "wall": wall}
    outcome = sandbox.run_task(lab, program, task, workdir, check.id,
                               seconds=max(lab.limits["seconds"], wall + 3))
    why = outcome.failure
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


# -- in the sandbox ---------------------------------------------------------------------------

def run(ns, task, spec):
    """Run a workload that measures: {name: number, ..., "detail": text}.

    It runs on a thread of its own, so that a deadlock or an endless wait in the submission
    becomes a failed check with that reason after task["wall"] seconds, not a hung grader.
    """
    box = {}

    def work():
        try:
            box["out"] = workload(spec, task["workload"])(ns)
        except BaseException as e:  # noqa: BLE001
            box["error"] = explain(e)

    worker = threading.Thread(target=work, name="workload", daemon=True)
    worker.start()
    worker.join(task["wall"])
    if worker.is_alive():
        return {"ok": False, "error": f"did not finish within {task['wall']:g} s: a deadlock, "
                                      "an endless loop, or a thread that waits forever"}
    if "error" in box:
        return {"ok": False, "error": box["error"]}
    out = dict(box["out"])
    detail = str(out.pop("detail", ""))
    found = {k: float(v) for k, v in out.items() if isinstance(v, numbers.Real)}
    return {"ok": True, "metrics": found, "detail": detail}
