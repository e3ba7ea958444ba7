"""The lab program inside the sandbox: its cells run in one namespace, the lab's workloads,
errors told in a line a learner can act on -- what every kind's sandbox side stands on.

Imported in the sandboxed process (harness.py, and each kind's run) and by the tests, which
load a program as the grader does; never does it start a sandbox itself.
"""

import importlib.util
import inspect
import json
import linecache
import os
import platform
import resource
import sys
import traceback


def run_cell(grade_id, source, ns):
    filename = f"<cell {grade_id}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), ns)


def load_program(spec, report=None):
    """Run the program's cells in one namespace. With report: each cell's start ("cell-start",
    so that a run that ends inside a cell -- timed out, exited -- names it), each cell's error
    ("cell-error") and the end of the program ("loaded")."""
    ns = {"__name__": "__lab__"}
    for grade_id, source in spec["program"]:
        if report:
            report(event="cell-start", cell=grade_id)
        try:
            run_cell(grade_id, source, ns)
        except BaseException as e:  # noqa: BLE001
            if report:
                report(event="cell-error", cell=grade_id, error=explain(e))
    if report:
        report(event="loaded")
    return ns


def run_task(spec, task_function):
    """Load the program, run task_function(ns, task, spec) on it, write its result; exit.

    Only results go to the spec's results file, as JSON lines; what the code prints goes
    nowhere."""
    out = open(spec["results"], "a")

    def report(**fields):
        out.write(json.dumps(fields) + "\n")
        out.flush()

    ns = load_program(spec, report)
    try:
        result = task_function(ns, spec["task"], spec)
    except BaseException as e:  # noqa: BLE001 -- sys.exit and KeyboardInterrupt included
        result = {"ok": False, "error": explain(e)}
    report(event="result", **result)
    out.close()
    sys.stdout.flush()
    # Not a normal exit: that would wait for any thread the code left running (deadlocked,
    # or waiting forever), and the result is already written.
    os._exit(0)


def explain(e, prefer=None):
    """One line a learner can act on; where, in the prefer cell if the error passed it."""
    if isinstance(e, NotImplementedError):
        tb = e.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        name = tb.tb_frame.f_code.co_qualname  # Breaker.__init__, not just __init__
        return (f"not implemented: {name} still raises NotImplementedError -- "
                + (str(e) if str(e) else "write your code in its answer cell"))
    if isinstance(e, SystemExit):
        return f"the code called sys.exit({e.code!r})"
    if isinstance(e, MemoryError):
        return "MemoryError: the code tried to use more memory than the grader allows"
    where = ""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.startswith("<cell")]
    preferred = [f for f in frames if f.filename == prefer]
    if frames:
        f = preferred[0] if preferred else frames[-1]
        where = f" ({f.filename[1:-1]}, line {f.lineno}: {(f.line or '').strip()})"
        if hidden(f):  # the learner cannot see that line: name the test, and their own line
            own = [g for g in frames if g.filename != f.filename and not hidden(g)]
            where = f" (in a hidden test of {f.filename[1:-1]}" + (
                f"; raised at {own[-1].filename[1:-1]}, line {own[-1].lineno}: "
                f"{(own[-1].line or '').strip()})" if own else ")")
    message = str(e)
    if not message and isinstance(e, AssertionError):
        message = "assertion failed"
    return f"{type(e).__name__}: {message}{where}"


def hidden(frame):
    """Whether a traceback frame's line lies between a cell's BEGIN and END HIDDEN TESTS
    markers: a line the student notebook does not show."""
    inside = False
    for line in linecache.getlines(frame.filename)[:frame.lineno - 1]:
        marker = line.strip()
        if marker in ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"):
            inside = marker == "### BEGIN HIDDEN TESTS"
    return inside


def signatures(ns, task, spec):
    """The grader's first run of every submission: which required functions are missing, and
    which have other parameters."""
    missing, wrong = [], {}
    for name, params in spec["functions"].items():
        f = _resolve(ns, name)
        if not callable(f):
            missing.append(name)
            continue
        try:
            found = list(inspect.signature(f).parameters)
        except (TypeError, ValueError):
            found = None
        if found != params:
            wrong[name] = found
    return {"ok": True, "missing": missing, "wrong": wrong}


def _resolve(ns, name):
    """ns[name], or for "Class.method" the method; None if any part is missing."""
    first, *rest = name.split(".")
    f = ns.get(first)
    for part in rest:
        f = inspect.getattr_static(f, part, None)
        if isinstance(f, (staticmethod, classmethod)):
            f = f.__func__
    return f


def workload(spec, name):
    """The lab's workload function name, from its workloads file."""
    loaded = importlib.util.spec_from_file_location("lab_workloads", spec["workloads"])
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return getattr(module, name)


def python_version():
    """'3.13.5', or '3.13.5 (free-threaded)': the interpreter a measurement depends on."""
    import sysconfig

    free = sysconfig.get_config_var("Py_GIL_DISABLED")
    return platform.python_version() + (" (free-threaded)" if free else "")


def cpu_seconds(*who):
    """The CPU time (user and system) of this process, or of whom resource.RUSAGE_* names: for
    the grader's count of what other processes used meanwhile (measure.load.OtherLoad)."""
    used = [resource.getrusage(w) for w in who or (resource.RUSAGE_SELF,)]
    return sum(u.ru_utime + u.ru_stime for u in used)
