"""functional: a test cell of the source notebook, hidden tests included, passes.

The check's id is the grade_id of its test cell; the grader sends the cell's source, so the
sandboxed code never reads the source notebook itself.
"""

from .. import sandbox
from ..program import explain, run_cell
from ..result import Result


def validate(check, lab_checks, tests):
    if check.id not in tests:
        return f"check {check.id!r} names no test cell of the source notebook"
    return None


def expected(check):
    return ()  # a test: passed or failed, no number


def rule(check):
    return f"the test cell {check.id} passes (hidden tests included)"


def grade(check, lab, program, workdir):
    task = {"kind": "functional", "check": check.id, "source": lab.test(check.id)}
    why = sandbox.run_task(lab, program, task, workdir, check.id).failure
    if why:
        return Result(check, "fail", 0, detail=why)
    return Result(check, "pass", check.points)


# -- in the sandbox ---------------------------------------------------------------------------

def run(ns, task, spec):
    try:
        run_cell(task["check"], task["source"], ns)
    except BaseException as e:  # noqa: BLE001
        return {"ok": False, "error": explain(e, prefer=f"<cell {task['check']}>")}
    return {"ok": True}
