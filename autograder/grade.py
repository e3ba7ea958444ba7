"""Grade one submission: read it, probe it, run every check, and total the points.

Checks that count or test run in parallel; latency checks run afterwards, one at a time,
with nothing else running, so that they measure the submission and not its neighbours.
A batch grades one submission after another, so that a change to the course's files is
seen before the next submission runs, and is pinned on the one that made it.
"""

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import checks, notebook, sandbox
from .notebook import BrokenSubmission


@dataclass
class Report:
    lab: object
    submission: Path
    results: list
    seconds: float
    isolation: str

    @property
    def score(self):
        return round(sum(r.score for r in self.results), 2)

    @property
    def passed(self):
        return all(r.passed for r in self.results)

    @property
    def unmeasured(self):
        """The checks the grader's instruments could not measure on this Python."""
        return [r for r in self.results if r.status == "unmeasured"]

    @property
    def verdict(self):
        """PASSED; NOT DECIDED when every check not passed is one the grader could not
        measure here; else NOT PASSED."""
        if self.passed:
            return "PASSED"
        undecided = all(r.passed or r.status == "unmeasured" for r in self.results)
        return "NOT DECIDED" if undecided else "NOT PASSED"


def quiet(message):
    pass


def grade(lab, submission, *, jobs=2, progress=quiet):
    """Grade one notebook against lab; raises BrokenSubmission if it cannot be graded."""
    ((_, report, error),) = grade_many(lab, [submission], jobs=jobs, progress=progress)
    if error:
        raise BrokenSubmission(error)
    return report


def grade_many(lab, submissions, *, jobs=2, progress=quiet):
    """[(submission, Report or None, error)]: every submission graded, one after another.

    First each submission's checks but latency (jobs at a time); then each one's latency
    checks, one at a time, with nothing else running. After every submission's turn the
    course's files are compared with their digests from before the first: a submission that
    changed one stops the batch (sandbox.Tampered), named -- no later grade rests on it.
    """
    submissions = [Path(s) for s in submissions]
    isolation = sandbox.description()
    seal = sandbox.Seal([*sandbox.packages(), lab.sources])
    with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
        firsts = []
        for i, path in enumerate(submissions):
            workdir = Path(tmp) / str(i)
            workdir.mkdir()
            firsts.append((path, workdir, *all_but_latency(lab, path, workdir, jobs, progress)))
            seal.check(path)
        graded = []
        for path, workdir, results, error, program, seconds in firsts:
            if error:
                graded.append((path, None, error))
                continue
            start = time.monotonic()
            if program is not None:  # it loaded: now its latency checks, alone
                results += run_checks(lab, program, workdir, 1, progress,
                                      [c for c in lab.checks if c.kind == "latency"])
                seal.check(path)
            order = {c.id: i for i, c in enumerate(lab.checks)}
            results.sort(key=lambda r: order[r.check.id])
            seconds += time.monotonic() - start
            graded.append((path, Report(lab, path, results, seconds, isolation), None))
    return graded


def all_but_latency(lab, path, workdir, jobs, progress):
    """(results, error, program, seconds): program is None when there is nothing to measure."""
    try:
        program = notebook.assemble(lab, notebook.read(path))
    except BrokenSubmission as e:
        return None, str(e), None, 0.0
    start = time.monotonic()
    progress(f"{path}: loading the notebook's code")
    loaded = checks.run_sandboxed(lab, program, {"kind": "probe"}, workdir, "probe")
    try:
        failed = probe_failures(lab, loaded)
    except BrokenSubmission as e:
        return None, str(e), None, 0.0
    if failed is not None:  # nothing to measure: every check failed already
        return failed, None, None, time.monotonic() - start
    results = run_checks(lab, program, workdir, jobs, progress,
                         [c for c in lab.checks if c.kind != "latency"])
    return results, None, program, time.monotonic() - start


def probe_failures(lab, outcome):
    """Results for every check if the code cannot even load; None if it loaded."""
    found = outcome.result
    if found and found.get("ok"):
        raised = any(r.get("event") == "cell-error" for r in outcome.records)
        # A function missing because its cell raised (or exited, or ran out of memory) is
        # the code's failure, graded like any other: each check that needs it fails, saying
        # why. One that was renamed, or a changed signature, is not the lab's notebook.
        if found["wrong"] or found["missing"] and not raised:
            raise BrokenSubmission(_signature_message(lab, found))
        return None
    why = checks.failure(outcome) or "the code did not load"
    return [checks.Result(c, "fail", 0, checks.expected(c), f"the notebook's code did not "
                          f"finish loading: {why}") for c in lab.checks]


def _signature_message(lab, found):
    parts = [f"{name}() is missing: define it in its answer cell, with parameters "
             f"({', '.join(lab.functions[name])})" for name in found["missing"]]
    parts += [f"{name}() has parameters ({', '.join(params or ['?'])}) but the lab calls it "
              f"with ({', '.join(lab.functions[name])}): keep the signature it was given"
              for name, params in found["wrong"].items()]
    return "; ".join(parts)


def run_checks(lab, program, workdir, jobs, progress, todo):
    def run(check):
        if check.kind == "latency":
            progress(f"measuring {check.name} (pyperf)")
        result = checks.KINDS[check.kind](check, lab, program, workdir)
        progress(f"{result.status.upper():5s} {check.name}")
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(run, todo))
