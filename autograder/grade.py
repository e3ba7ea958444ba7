"""Grade one submission: read it, load its code and check its signatures, run every check,
and total the points.

Checks that count or test run in parallel; the checks that time the submission (the kinds
that say TIMED: latency, score) run afterwards, one at a time, with nothing else running, so
that they measure the submission and not its neighbours.
A batch grades one submission after another, so that a change to the course's files is
seen before the next submission runs, and is pinned on the one that made it.

The first run loads the notebook's code and checks its signatures. If the code never
finished loading (a cell that runs forever, exits the process or kills it), no check runs:
the report says which cell and what to do, and each check scores 0, "not run". If a cell
raised and the others loaded, the report leads with that cell and its error, and every check
runs: those that need what the cell defines fail, the others score as usual. A grade may
also run only some of a lab's checks (--check): a partial grade, which never says that the
lab passed.
"""

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import kinds, notebook, sandbox
from .result import Result
from .lab import LabError
from .notebook import BrokenSubmission


NOT_RUN = "not run: the code did not load"


@dataclass(frozen=True)
class LoadFailure:
    """Why a notebook's code did not load: the cell that raised (or was running when the run
    ended) and what happened; later cells' errors, most often consequences of the first."""

    cell: str | None  # its grade_id; None when the run ended before any cell started
    first_line: str  # the cell's first line (not blank), as the learner sees it in Jupyter
    error: str  # "NameError: name 'x' is not defined (cell c, line 1: ...)", or how it ended
    raised: bool = True  # False: the run ended (timed out, exited, was killed) in that cell
    later: tuple = ()  # (grade_id, error) of each cell that raised after it
    loaded: bool = False  # with no cell: every cell had run when the run ended
    stopped: bool = True  # no check ran; False: the other cells loaded, and every check ran

    @property
    def where(self):
        if self.cell is None:
            return "after its last cell" if self.loaded else "before its first cell ran"
        return f"cell {self.cell}" + (f" (it begins `{self.first_line}`)" if self.first_line
                                      else "")

    @property
    def headline(self):
        """One sentence: which cell, and what it raised or how the run ended there."""
        if self.raised:
            return f"{self.where} failed: {self.error}"
        return f"the run ended in {self.where}: {self.error}"

    @property
    def what_to_do(self):
        fix = "fix the error" if self.raised else "make that cell finish"
        return (f"run the notebook top to bottom in Jupyter (Kernel > Restart Kernel and Run "
                f"All Cells), {fix}, save (Ctrl+S), grade again")

    @property
    def label(self):
        """A few words for a one-line summary: what happened to the code."""
        return "did not load" if self.stopped else "a cell failed"

    @property
    def text(self):
        """The statement a report leads with."""
        lines = [f"DID NOT LOAD: no check ran, because {self.headline}." if self.stopped else
                 f"A CELL FAILED AS IT LOADED: {self.headline}. Every check ran; those that "
                 "need what the cell defines failed."]
        if self.later:
            lines.append("Then: " + "; ".join(f"cell {cell} failed: {error}"
                                              for cell, error in self.later) + ".")
        lines.append(f"What to do: {self.what_to_do}.")
        return "\n".join(lines)

    def to_dict(self):
        return {"cell": self.cell, "first_line": self.first_line, "error": self.error,
                "raised": self.raised, "stopped": self.stopped, "loaded": self.loaded,
                "later": [list(x) for x in self.later], "label": self.label,
                "headline": self.headline, "what_to_do": self.what_to_do, "text": self.text}

    @classmethod
    def from_dict(cls, data):
        return cls(data["cell"], data["first_line"], data["error"], data["raised"],
                   tuple(map(tuple, data["later"])), data["loaded"], data["stopped"])


@dataclass
class Report:
    lab: object
    submission: Path
    results: list  # one per check run: every check of the lab, or those --check named
    seconds: float
    isolation: str
    did_not_load: LoadFailure | None = None  # set: a cell failed; .stopped: no check ran

    @property
    def score(self):
        return round(sum(r.score for r in self.results), 2)

    @property
    def partial(self):
        """Only some of the lab's checks were run (--check): not a grade of the lab."""
        return len(self.results) < len(self.lab.checks)

    @property
    def max_score(self):
        """The points of the checks run: the lab's, unless partial."""
        return sum(r.check.points for r in self.results) if self.partial else self.lab.points

    @property
    def all_run_pass(self):
        return all(r.passed for r in self.results)

    @property
    def passed(self):
        """The lab passed: every check of it ran and passed."""
        return self.all_run_pass and not self.partial

    @property
    def unmeasured(self):
        """The checks the grader's instruments could not measure on this Python."""
        return [r for r in self.results if r.status == "unmeasured"]

    @property
    def verdict(self):
        """PASSED; NOT DECIDED when every check not passed is one the grader could not
        measure here; else NOT PASSED. PARTIAL when only some checks ran and all of them
        passed: that says nothing of the others."""
        if self.passed:
            return "PASSED"
        if self.all_run_pass:
            return "PARTIAL"
        undecided = all(r.passed or r.status == "unmeasured" for r in self.results)
        return "NOT DECIDED" if undecided else "NOT PASSED"


def quiet(message):
    pass


def select(lab, check_ids=None):
    """The checks of lab to run: all of them, or those named (in the lab's order); an unknown
    id raises LabError, listing the lab's ids."""
    if not check_ids:
        return lab.checks
    known = [c.id for c in lab.checks]
    unknown = [i for i in check_ids if i not in known]
    if unknown:
        raise LabError(f"{lab.id} has no check {', '.join(map(repr, unknown))}; its checks "
                       f"are: {', '.join(known)}")
    return tuple(c for c in lab.checks if c.id in check_ids)


def grade(lab, submission, *, jobs=2, progress=quiet, check_ids=None):
    """Grade one notebook against lab (only the checks check_ids names, if given); raises
    BrokenSubmission if it cannot be graded."""
    ((_, report, error),) = grade_many(lab, [submission], jobs=jobs, progress=progress,
                                       check_ids=check_ids)
    if error:
        raise BrokenSubmission(error)
    return report


@dataclass
class _Turn:
    """One submission, after its first phase (every check but the timed ones)."""

    path: Path
    workdir: Path
    results: list = field(default_factory=list)
    error: str = ""  # the submission cannot be graded at all
    program: list | None = None  # None: nothing more to measure
    seconds: float = 0.0
    did_not_load: LoadFailure | None = None


def grade_many(lab, submissions, *, jobs=2, progress=quiet, check_ids=None):
    """[(submission, Report or None, error)]: every submission graded, one after another.

    First each submission's checks but the timed ones (jobs at a time); then each one's timed
    checks, one at a time, with nothing else running. After every submission's turn the
    course's files are compared with their digests from before the first: a submission that
    changed one stops the batch (sandbox.Tampered), named -- no later grade rests on it.
    check_ids: the checks to run (default: all of them).
    """
    todo = select(lab, check_ids)
    submissions = [Path(s) for s in submissions]
    isolation = sandbox.description()
    seal = sandbox.Seal([*sandbox.packages(), lab.sources])
    with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
        turns = []
        for i, path in enumerate(submissions):
            workdir = Path(tmp) / str(i)
            workdir.mkdir()
            turns.append(all_but_timed(lab, path, workdir, jobs, progress, todo))
            seal.check(path)
        graded = []
        for turn in turns:
            if turn.error:
                graded.append((turn.path, None, turn.error))
                continue
            start = time.monotonic()
            results = turn.results
            if turn.program is not None:  # it loaded: now the checks that time it, alone
                timed = [c for c in todo if c.kind in kinds.TIMED]
                # A check settled without measuring (a gate closed) is not timed.
                closed = [g for c in timed if hasattr(kinds.of(c), "settled")
                          and (g := kinds.of(c).settled(c, results))]
                shut = {g.check.id for g in closed}
                results += closed + run_checks(lab, turn.program, turn.workdir, 1, progress,
                                               [c for c in timed if c.id not in shut])
                seal.check(turn.path)
            order = {c.id: i for i, c in enumerate(lab.checks)}
            results.sort(key=lambda r: order[r.check.id])
            seconds = turn.seconds + time.monotonic() - start
            graded.append((turn.path, Report(lab, turn.path, results, seconds, isolation,
                                             turn.did_not_load), None))
    return graded


def all_but_timed(lab, path, workdir, jobs, progress, todo):
    """The submission's _Turn: its program loaded and its signatures checked, and todo's
    checks run but the timed ones -- or none of them, if its code did not load."""
    turn = _Turn(path, workdir)
    try:
        program = notebook.assemble(lab, notebook.read(path))
    except BrokenSubmission as e:
        turn.error = str(e)
        return turn
    start = time.monotonic()
    progress(f"{path}: loading the notebook's code")
    loaded = sandbox.run_task(lab, program, {"kind": "signatures"}, workdir,
                              "signatures")
    try:
        turn.did_not_load = load_failure(lab, loaded, program)
    except BrokenSubmission as e:
        turn.error = str(e)
        return turn
    if turn.did_not_load is not None:
        progress(f"{turn.did_not_load.label}: {turn.did_not_load.headline}")
    if turn.did_not_load is not None and turn.did_not_load.stopped:  # nothing to measure
        turn.results = [Result(c, "fail", 0, detail=NOT_RUN, ran=False) for c in todo]
    else:
        turn.program = program
        turn.results = run_checks(lab, program, workdir, jobs, progress,
                                  [c for c in todo if c.kind not in kinds.TIMED])
    turn.seconds = time.monotonic() - start
    return turn


def load_failure(lab, outcome, program):
    """Why the code did not load (a LoadFailure), or None if it did. Raises BrokenSubmission
    when it is not the lab's notebook: a function with another signature, or one missing
    that no error explains (renamed)."""
    raised = [(r.get("cell"), r.get("error", "")) for r in outcome.records
              if r.get("event") == "cell-error"]
    found = outcome.result
    if found and found.get("ok"):
        # A function missing because its cell raised (or exited, or ran out of memory) is the
        # code's failure, graded like any other: each check that needs it fails, saying why.
        # One that was renamed, or a changed signature, is not the lab's notebook.
        if found["wrong"] or found["missing"] and not raised:
            raise BrokenSubmission(_signature_message(lab, found))
        if not raised:
            return None
    sources = dict(program)

    def first_line(cell):
        return next((line.strip() for line in sources.get(cell, "").splitlines()
                     if line.strip()), "")

    if raised:  # and, if that first run answered, the other cells loaded: the checks run
        (cell, error), *later = raised
        return LoadFailure(cell, first_line(cell), error, later=tuple(later),
                           stopped=not (found and found.get("ok")))
    # The run ended (timed out, exited, was killed) while a cell was running: the last begun.
    loaded = any(r.get("event") == "loaded" for r in outcome.records)
    started = [r.get("cell") for r in outcome.records if r.get("event") == "cell-start"]
    cell = started[-1] if started and not loaded else None
    why = outcome.reason or (found or {}).get("error") or "it ended without a result"
    return LoadFailure(cell, first_line(cell), why, raised=False, loaded=loaded)


def _signature_message(lab, found):
    parts = [f"{name}() is missing: define it in its answer cell, with parameters "
             f"({', '.join(lab.functions[name])})" for name in found["missing"]]
    parts += [f"{name}() has parameters ({', '.join(params or ['?'])}) but the lab calls it "
              f"with ({', '.join(lab.functions[name])}): keep the signature it was given"
              for name, params in found["wrong"].items()]
    return "; ".join(parts)


def run_checks(lab, program, workdir, jobs, progress, todo):
    def run(check):
        if check.kind in kinds.TIMED:
            progress(f"measuring {check.name} ({kinds.TIMED[check.kind]})")
        result = kinds.of(check).grade(check, lab, program, workdir)
        progress(f"{result.status.upper():5s} {check.name}")
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(run, todo))
