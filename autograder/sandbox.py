"""Run lab code in a separate, limited process and read back what it reported.

Isolation, as far as the machine allows: a new session (so a timeout kills every process the
code started), a wall-time limit, an address-space limit, no core dumps, no network (a
private network namespace through unshare(1), when the kernel lets us make one), and, when
the grader runs as root, the unprivileged uid/gid 65534. The code reports through a results
file, never through its stdout, so printing a fake score or fake JSON changes nothing.

This stops accidents and casual cheating. It is not a boundary against code written to attack
the grader from inside its own process; graders who need that run the grader in a container.
"""

import functools
import json
import os
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

NOBODY = 65534


@dataclass
class Outcome:
    records: list = field(default_factory=list)  # the JSON objects the harness reported
    reason: str = ""  # why the run ended without a result, if it did
    stderr: str = ""

    @property
    def result(self):
        return next((r for r in reversed(self.records) if r.get("event") == "result"), None)


@functools.cache
def isolation():
    """(command prefix, drop privileges?, description), found out once per process."""
    prefix, what = [], "no network isolation: unshare(1) cannot make a network namespace here"
    tries = [["unshare", "--net"]] if os.geteuid() == 0 else []
    tries.append(["unshare", "--user", "--map-root-user", "--net"])
    for attempt in tries:
        if _works([*attempt, "true"]):
            prefix, what = attempt, "no network (a private network namespace)"
            break
    drop = False
    if os.geteuid() == 0:
        # Only if the interpreter and its packages are readable by nobody (not so when
        # Python lives under a private /root), and it can start Python processes itself.
        drop = _works([*prefix, sys.executable, "-c", _DROP + "import memray, pyperf, pool, "
                       "subprocess, sys; subprocess.run([sys.executable, '-c', 'import pool'], "
                       "check=True)"])
        what += ("; runs as uid 65534" if drop else
                 "; runs as root (uid 65534 cannot read this Python installation)")
    return prefix, drop, what


_DROP = f"import os; os.setgroups([]); os.setgid({NOBODY}); os.setuid({NOBODY}); "


def _works(command):
    try:
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def description():
    return isolation()[2]


def _limit(memory_bytes):
    def apply():  # runs in the child between fork and exec: system calls only
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def run(spec, workdir, *, seconds, memory_mib, name):
    """Run the harness on spec (a dict) in workdir; return its Outcome."""
    workdir = Path(workdir)
    results = workdir / f"{name}.results.jsonl"
    spec_path = workdir / f"{name}.spec.json"
    spec_path.write_text(json.dumps({**spec, "results": str(results), "name": name,
                                     "drop_to": NOBODY if isolation()[1] else None}))
    prefix, drop, _ = isolation()
    if drop:  # the harness drops to nobody, who must write its results and captures here
        os.chmod(workdir, 0o777)
        os.chmod(spec_path, 0o644)
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "PYTHONMALLOC": "pymalloc",  # allocation counts depend on the allocator: fix it
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
    }
    stderr_path = workdir / f"{name}.stderr"
    with open(stderr_path, "wb") as stderr:  # a file, not a pipe: output cannot fill memory
        proc = subprocess.Popen(
            [*prefix, sys.executable, "-m", "autograder.harness", str(spec_path)],
            cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=stderr, start_new_session=True, preexec_fn=_limit(memory_mib << 20))
        outcome = Outcome()
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            outcome.reason = f"timed out after {seconds:g} s of wall time (an endless loop?)"
        _kill_session(proc)  # on a timeout, and anything it left running
        proc.wait()
    outcome.stderr = _tail_of(stderr_path, 4000)
    if not outcome.reason and proc.returncode < 0:
        outcome.reason = f"killed by signal {signal.Signals(-proc.returncode).name}"
    elif not outcome.reason and proc.returncode != 0:
        outcome.reason = (f"the process exited with status {proc.returncode} before finishing "
                          "(does the code call sys.exit or os._exit?)")
        last = [line for line in outcome.stderr.splitlines() if line.strip()]
        if last:
            outcome.reason += f"; its last words: {last[-1][:300]}"
    if results.exists():
        for line in results.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                outcome.records.append(record)
    if outcome.result is None and not outcome.reason:
        outcome.reason = "the process ended without reporting a result (os._exit?)"
    return outcome


def _tail_of(path, size):
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - size))
        return f.read().decode(errors="replace")


def _kill_session(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
