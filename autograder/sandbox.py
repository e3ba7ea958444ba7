"""Run lab code in a separate, limited process and read back what it reported; and, in a
batch, notice when a submission changed the files the next one is graded with.

Every run has a wall-time limit (a timeout kills every process the code started), an
address-space limit and no core dumps; as root, the code runs as the unprivileged uid/gid
65534, with at most 512 processes, when that user can read the Python installation; and
every run, pyperf's workers included, has the same allocator settings (MEASURED_UNDER). The code
reports through a results file, never through its stdout, so printing a fake score or fake
JSON changes nothing. Around that, the strongest isolation the machine allows:

- bubblewrap (bwrap), where it is installed and may make namespaces: the whole filesystem
  read-only but for the run's own scratch directory and an empty /tmp; the class folder and
  the source notebooks' folder (the hidden tests) hidden under empty tmpfs mounts -- the tests
  a check runs reach it through its spec file; a network namespace with loopback only; a PID
  namespace (it sees and signals only its own processes); a new session; and it dies with the
  grader. A submission can change nothing another is graded with, nor read another's notebook.
- otherwise the network alone: a private network namespace through unshare(1), when the
  kernel lets us make one. The code can then write wherever the grader's user can: a batch
  notices a change to the course's files (Seal) and stops, but cannot prevent it.
"""

import functools
import hashlib
import importlib.util
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from measure.environment import MEASURED_UNDER

NOBODY = 65534
NO_BWRAP = "AUTOGRADER_NO_BWRAP"  # set to 1 to grade as a machine without bubblewrap would
# Set to 1 to grade as a machine whose Python uid 65534 cannot read would: as the grader's user.
NO_DROP = "AUTOGRADER_NO_DROP"
INSTALL = ("install bubblewrap (Debian, Ubuntu: apt-get install bubblewrap; Fedora: dnf "
           "install bubblewrap)")


# This interpreter, by a path bubblewrap keeps visible: its folder resolved, as sys.prefix is
# (a course copy under /tmp whose .venv is a symlink to another checkout's, say).
PYTHON = str(Path(sys.executable).parent.resolve() / Path(sys.executable).name)
class NotIsolated(Exception):
    """Bubblewrap cannot isolate the runs here, and the grader was asked to require it."""


class Tampered(Exception):
    """Files the grader trusts changed while a submission was graded: grading stops."""


@dataclass
class Outcome:
    records: list = field(default_factory=list)  # the JSON objects the harness reported
    reason: str = ""  # why the run ended without a result, if it did
    stderr: str = ""

    @property
    def result(self):
        return next((r for r in reversed(self.records) if r.get("event") == "result"), None)

    @property
    def failure(self):
        """Why the run did not succeed, or None if it did; the cells' errors come first."""
        errors = [f"cell {r['cell']}: {r['error']}" for r in self.records
                  if r.get("event") == "cell-error"]
        if self.reason:
            why = self.reason
        elif not self.result.get("ok"):
            why = self.result.get("error", "failed")
        else:
            return None
        return "; ".join([*errors, why]) if errors and why not in errors else why

    @property
    def last_words(self):
        """': ' and the last line the process wrote to stderr, or ''."""
        lines = [line for line in self.stderr.strip().splitlines() if line.strip()]
        return (": " + lines[-1]) if lines else ""


@dataclass(frozen=True)
class Isolation:
    bwrap: bool  # bubblewrap: the filesystem and the processes too, not just the network
    prefix: tuple  # without bwrap: what runs the harness in a network namespace of its own
    drop: bool  # the harness drops to uid 65534
    description: str  # what the report says
    missing: str = ""  # without bwrap: why not, and what to do


@functools.cache
def isolation():
    """How this machine lets sandboxed runs be isolated, found out once per process."""
    refused = _bwrap_refused()
    if not refused:
        drop = _may_drop() and not _fails(lambda tmp: _bwrap(tmp, drop=True), _DROP_PROBE)
        what = ("bubblewrap: read-only filesystem but for its scratch directory, class and "
                "test folders hidden, no network (loopback only), its own process namespace")
        return Isolation(True, (), drop, what + _who(drop, "root without capabilities"))
    prefix, net = (), "no network isolation: unshare(1) cannot make a network namespace here"
    tries = [("unshare", "--net")] if os.geteuid() == 0 else []
    tries.append(("unshare", "--user", "--map-root-user", "--net"))
    for attempt in tries:
        if not _fails(lambda tmp: attempt, "pass"):
            prefix, net = attempt, "no network (a private network namespace)"
            break
    drop = _may_drop() and not _fails(lambda tmp: prefix, _DROP_PROBE)
    return Isolation(False, prefix, drop, f"no filesystem isolation ({refused}); {net}"
                     + _who(drop, "root"), refused)


def _may_drop():
    return os.geteuid() == 0 and not os.environ.get(NO_DROP)


def _who(drop, otherwise):
    if os.geteuid() != 0:
        return ""
    # Only if the interpreter and its packages are readable by nobody (not so when Python
    # lives under a private /root), and it can start Python processes itself.
    return ("; runs as uid 65534" if drop else
            f"; runs as {otherwise} (uid 65534 cannot read this Python installation)")


_DROP = f"import os; os.setgroups([]); os.setgid({NOBODY}); os.setuid({NOBODY}); "
_DROP_PROBE = (_DROP + "import memray, pyperf, pool, subprocess, sys; "
               "subprocess.run([sys.executable, '-c', 'import pool'], check=True)")


def _bwrap_refused():
    """'' if bubblewrap can isolate the runs here, else why not and what to do."""
    if os.environ.get(NO_BWRAP):
        return f"bubblewrap turned off by {NO_BWRAP}={os.environ[NO_BWRAP]}: unset it"
    if shutil.which("bwrap") is None:
        return f"bubblewrap is not installed: {INSTALL}"
    why = _fails(_bwrap, "import memray, pyperf, pool, autograder.harness")
    if why:  # some kernels and CI runners refuse unprivileged user namespaces
        return (f"bwrap cannot isolate a run here ({why}): allow unprivileged user "
                "namespaces (Debian: sysctl kernel.unprivileged_userns_clone=1; Ubuntu 24.04: "
                "sysctl kernel.apparmor_restrict_unprivileged_userns=0), or grade as root")
    return ""


def _fails(prefix_for, code):
    """Why `python -c code`, run behind prefix_for(scratch), fails; '' if it does not."""
    with tempfile.TemporaryDirectory(prefix="autograder-probe-") as tmp:
        if os.geteuid() == 0:
            os.chmod(tmp, 0o777)  # for uid 65534, as in run
        try:
            done = subprocess.run([*prefix_for(tmp), PYTHON, "-c", code], cwd=tmp,
                                  env=_environment(tmp), capture_output=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as e:
            return str(e)
    lines = done.stderr.decode(errors="replace").strip().splitlines()
    return "" if done.returncode == 0 else (lines or [f"exit status {done.returncode}"])[-1]


def description():
    return isolation().description


def require():
    """Raise NotIsolated, saying how to get bubblewrap working, if it cannot isolate runs."""
    if not isolation().bwrap:
        raise NotIsolated(f"isolation is required, and bubblewrap cannot give it here: "
                          f"{isolation().missing}")


@functools.cache
def packages():
    """The folders of the packages the harness imports: this very grader, its measurements
    and its pool."""
    return tuple(Path(importlib.util.find_spec(name).submodule_search_locations[0]).resolve()
                 for name in ("autograder", "measure", "pool"))


def _bwrap(workdir, hide=(), drop=False):
    """bwrap's command line: everything read-only but workdir; hide's folders empty."""
    command = [shutil.which("bwrap"), "--ro-bind", "/", "/", "--dev", "/dev",
               "--proc", "/proc",  # this PID namespace's own: no way into the grader's /
               "--tmpfs", "/tmp"]
    for folder in hide:
        command += ["--tmpfs", str(Path(folder).resolve())]
    # Back, read-only, in case /tmp or a hidden folder holds them: the interpreter and the
    # packages the harness imports (a copy of the course under /tmp, say).
    needs = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), *packages()}
    for path in sorted(map(str, needs)):
        command += ["--ro-bind", path, path]
    command += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir),
                "--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session"]
    if os.geteuid() == 0:  # else root keeps every capability, and could mount / read-write
        command += ["--cap-drop", "ALL"]
    if drop:  # all the harness needs to drop to uid 65534 itself, before any lab code runs
        command += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    return [*command, "--"]


def _environment(workdir):
    return {
        "PATH": f"{Path(PYTHON).parent}{os.pathsep}/usr/bin:/bin",
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        **MEASURED_UNDER,
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        # This grader's own harness and pool, wherever it runs from (a copy, another checkout)
        "PYTHONPATH": os.pathsep.join(str(p.parent) for p in packages()),
    }


def _limit(memory_bytes):
    def apply():  # runs in the child between fork and exec: system calls only
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def run(spec, workdir, *, seconds, memory_mib, name, hide=()):
    """Run the harness on spec (a dict) in workdir; return its Outcome.

    hide: folders the code must not see (under bubblewrap), such as the class folder."""
    workdir = Path(workdir).resolve()
    isolated = isolation()
    results = workdir / f"{name}.results.jsonl"
    spec_path = workdir / f"{name}.spec.json"
    spec_path.write_text(json.dumps({**spec, "results": str(results), "name": name,
                                     "drop_to": NOBODY if isolated.drop else None}))
    if isolated.drop:  # the harness drops to nobody, who must write its results and captures here
        os.chmod(workdir, 0o777)
        os.chmod(spec_path, 0o644)
    prefix = _bwrap(workdir, hide, isolated.drop) if isolated.bwrap else isolated.prefix
    stderr_path = workdir / f"{name}.stderr"
    with open(stderr_path, "wb") as stderr:  # a file, not a pipe: output cannot fill memory
        proc = subprocess.Popen(
            [*prefix, PYTHON, "-m", "autograder.harness", str(spec_path)],
            cwd=workdir, env=_environment(workdir), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
            preexec_fn=_limit(memory_mib << 20))
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


def run_task(lab, program, task, workdir, name, seconds=None):
    """Run one task of a check (task["kind"] names the kind whose sandbox side runs it) on
    program, the lab's given cells and the submission's answers, within lab's limits."""
    spec = {"program": program, "task": task, "functions": lab.functions,
            "workloads": str(lab.workloads)}
    # The source notebooks stay out of sight too: the tests a check runs are in its spec.
    return run(spec, workdir, name=name, seconds=seconds or lab.limits["seconds"],
               memory_mib=lab.limits["memory_mib"], hide=(lab.sources, *lab.hidden))


def _tail_of(path, size):
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - size))
        return f.read().decode(errors="replace")


def _kill_session(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Seal:
    """The digests of the files a batch is graded with, taken before its first submission.

    Under bubblewrap no submission can write them. Without it, a batch checks them after
    every submission and stops at the first that changed one, naming it: no later grade rests
    on what it wrote, and nothing is put back behind the grader's back. Bytecode caches
    (__pycache__) are left out -- the grader's own imports write them -- so only bubblewrap
    protects those, and the interpreter and its packages.
    """

    def __init__(self, folders):
        self.folders = tuple(folders)
        self.digests = _digests(self.folders)

    def check(self, submission):
        """Raise Tampered, naming submission, if any file changed since the seal was made."""
        now = _digests(self.folders)
        changed = sorted(p for p in self.digests.keys() | now.keys()
                         if self.digests.get(p) != now.get(p))
        if not changed:
            return
        if isolation().bwrap:  # the submission could not write them: something else did
            what = ("bubblewrap kept them read-only to the submission, so another process "
                    "changed them while the batch ran (an edit, a git checkout or pull): let "
                    "it finish, then grade again")
        else:
            what = ("see what changed (git status, git diff), restore it, and grade again -- "
                    f"with bubblewrap, which makes them read-only ({INSTALL})")
        raise Tampered(f"grading stopped at {submission}: while it was graded, these files of "
                       f"the course changed: {', '.join(changed)}. Nothing was put back and "
                       f"no grades were written: {what}")


def _digests(folders):
    found = {}
    for top in folders:
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in files:
                path = os.path.join(folder, name)
                try:
                    with open(path, "rb") as f:
                        found[path] = hashlib.sha256(f.read()).hexdigest()
                except OSError as e:  # made unreadable: a change too
                    found[path] = f"unreadable: {e.strerror}"
    return found
