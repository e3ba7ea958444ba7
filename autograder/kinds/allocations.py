"""allocations: memray counts the blocks a workload allocates per unit of work.

Before it counts the submission, the same sandboxed process runs probes of known count under
the same tracker settings (instruments.py): if one reads wrong on this Python, the check is
"unmeasured" -- the grader's instrument is off, not the code.
"""

from dataclasses import replace

from measure.allocations import count_allocations

from .. import instruments, sandbox
from ..metric import Metric
from ..program import python_version, workload
from ..result import Result, unmeasured


def expected(check):
    p = check.params
    size = f" of {p['min_block']}+ bytes" if p.get("min_block", 1) > 1 else ""
    return (Metric("allocations", f"allocations{size} per {p.get('unit', 'message')}",
                   ".3f", max=p["max"]),)


def rule(check):
    p = check.params
    size = f"{p['min_block']}+ bytes" if p.get("min_block", 1) > 1 else "any size"
    return f"at most {p['max']:g} allocations of {size} per {p.get('unit', 'message')} (memray)"


def grade(check, lab, program, workdir):
    p = check.params
    capture = workdir / f"{check.id}.memray"
    observer = p.get("exclude_memray_effect", False)
    min_block = p.get("min_block", 1)
    task = {"kind": "allocations", "workload": p["workload"], "capture": str(capture),
            "native_traces": observer, "min_block": min_block}
    outcome = sandbox.run_task(lab, program, task, workdir, check.id)
    why = outcome.failure
    unit = p.get("unit", "message")
    (metric,) = expected(check)
    if why or not capture.exists():
        return Result(check, "fail", 0, (metric,), why or "no memray capture was written")
    off = instruments.allocation_probes_off(outcome.result["probes"], min_block, observer)
    if off:
        return unmeasured(check, expected(check), f"cannot count allocations on this Python "
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


def _site(n, where, program):
    """'24 at send_all, line 5 of cell send_all: `buf[5:n] = body`'."""
    function, filename, line = where
    grade_id = filename[len("<cell "):-1]
    source = dict(program).get(grade_id, "").splitlines()
    text = source[line - 1].strip() if 0 < line <= len(source) else ""
    return f"{n} at {function}, line {line} of cell {grade_id}" + (f": `{text}`" if text else "")


# -- in the sandbox ---------------------------------------------------------------------------

def run(ns, task, spec):
    import memray

    import pool

    native = task.get("native_traces", False)
    # First the probes of known count, tracked as the workload is: the grader reads them
    # before it trusts the workload's count (instruments.py).
    probes = instruments.run_allocation_probes(task["capture"], task["min_block"], native)
    work, units = workload(spec, task["workload"])(ns)
    # A collection mid-measurement would empty the pools and count against the submission.
    pool.configure(generations=(), interval=1e9)
    with memray.Tracker(task["capture"], trace_python_allocators=True, native_traces=native):
        work()
    return {"ok": True, "units": units, "probes": probes, "python": python_version()}
