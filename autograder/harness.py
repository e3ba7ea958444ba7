"""The sandboxed side of grading: run the lab program, then one task, and report.

Run as ``python -m autograder.harness SPEC.json`` by sandbox.run, never imported by the
grader. The spec holds the program (the lab's given cells and the submission's solution
cells), the task, and where to write results. Only results go to that file, as JSON lines;
what the code prints goes nowhere.
"""

import importlib.util
import inspect
import json
import linecache
import numbers
import os
import platform
import resource
import sys
import threading
import traceback


def main(spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    task = spec["task"]
    if task["kind"] == "fault":
        loopback_up()  # before dropping privileges: it takes CAP_NET_ADMIN in the namespace
    if spec.get("drop_to") is not None and os.geteuid() == 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (512, 512))  # no fork bombs
        os.setgroups([])
        os.setgid(spec["drop_to"])
        os.setuid(spec["drop_to"])  # before any lab code runs
    if task["kind"] == "latency":
        return latency(spec_path, spec)  # pyperf runs this module again, in workers
    out = open(spec["results"], "a")

    def report(**fields):
        out.write(json.dumps(fields) + "\n")
        out.flush()

    ns = load_program(spec, report)
    try:
        result = TASKS[task["kind"]](ns, task, spec)
    except BaseException as e:  # noqa: BLE001 -- sys.exit and KeyboardInterrupt included
        result = {"ok": False, "error": explain(e)}
    report(event="result", **result)
    out.close()
    sys.stdout.flush()
    # Not a normal exit: that would wait for any thread the code left running (deadlocked,
    # or waiting forever), and the result is already written.
    os._exit(0)


def loopback_up():
    """Bring up the loopback interface of this (private) network namespace.

    A namespace made by unshare has its lo down: connecting to 127.0.0.1 fails with "Network
    is unreachable". Fault scenarios serve on loopback, and only there; the host's network
    stays out of reach. Bubblewrap's namespace, and the host's, have lo up already: nothing
    changes there (and no capability is needed to see that).
    """
    import fcntl
    import socket
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, siocgifflags, request)[:18])[1]
        if not flags & iff_up:
            fcntl.ioctl(s, siocsifflags, struct.pack("16sH", b"lo", flags | iff_up))


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


def probe(ns, task, spec):
    """Which required functions are missing, and which have other parameters."""
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


def functional(ns, task, spec):
    try:
        run_cell(task["check"], task["source"], ns)
    except BaseException as e:  # noqa: BLE001
        return {"ok": False, "error": explain(e, prefer=f"<cell {task['check']}>")}
    return {"ok": True}


def smoke(ns, task, spec):
    """Run the candidate of a latency workload once, so that its errors read well; and the
    check's probe of its baseline, if it has one: {"value": number, "detail": text}."""
    baseline, candidate = workload(spec, task["workload"])(ns)
    candidate()
    result = {"ok": True, "python": python_version()}
    if task.get("probe"):  # does the baseline show, on this Python, what the check compares?
        result["probe"] = workload(spec, task["probe"])(ns)
    usage = resource.getrusage(resource.RUSAGE_SELF)  # for measure.load.OtherLoad, as latency's
    return {**result, "cpu": usage.ru_utime + usage.ru_stime}


def workload(spec, name):
    loaded = importlib.util.spec_from_file_location("lab_workloads", spec["workloads"])
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return getattr(module, name)


def allocations(ns, task, spec):
    import memray

    import pool
    from autograder import instruments

    native = task.get("native_traces", False)
    # First the probes of known count, tracked as the workload is: the grader reads them
    # before it trusts the workload's count (instruments.py).
    probes = instruments.run_allocation_probes(task["capture"], task["min_block"], native)
    run, units = workload(spec, task["workload"])(ns)
    # A collection mid-measurement would empty the pools and count against the submission.
    pool.configure(generations=(), interval=1e9)
    with memray.Tracker(task["capture"], trace_python_allocators=True, native_traces=native):
        run()
    return {"ok": True, "units": units, "probes": probes, "python": python_version()}


def python_version():
    """'3.13.5', or '3.13.5 (free-threaded)': the interpreter a measurement depends on."""
    import sysconfig

    free = sysconfig.get_config_var("Py_GIL_DISABLED")
    return platform.python_version() + (" (free-threaded)" if free else "")


def metrics(ns, task, spec):
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


def latency(spec_path, spec):
    """Act as a pyperf script: the master spawns workers running this same function."""
    import pyperf

    from measure.environment import MEASURED_UNDER
    from measure.timing import abba_ratio

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
        return abba_ratio(*pair, loops)  # a mean ratio per value, not seconds

    runner.bench_time_func("ratio", time_func)
    if "--worker" not in argv:  # the master: pyperf has written the output file
        with open(spec["results"], "a") as out:
            # The CPU time of this process and its workers, for the grader's count of what
            # other processes used meanwhile (measure.load.OtherLoad).
            used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                        resource.RUSAGE_CHILDREN)]
            cpu = sum(u.ru_utime + u.ru_stime for u in used)
            out.write(json.dumps({"event": "result", "ok": True, "cpu": cpu}) + "\n")
    return 0


TASKS = {"probe": probe, "functional": functional, "allocations": allocations, "smoke": smoke,
         "counter": metrics, "concurrency": metrics, "fault": metrics, "score": metrics}

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
