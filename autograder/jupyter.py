"""Grading from inside Jupyter: the saved notebook, through the same grader, as a table.

A lab's last cell calls ``autograder.grade_notebook(LAB)``. It runs ``python -m autograder
grade`` -- the very command `make grade` runs, in processes of its own -- on the notebook
*file*, so what it grades is what was last saved. Jupyter does not tell the kernel whether
the file is up to date; what the kernel does know is what it ran. So, before grading, each
answer cell of the file is compared with the last input this kernel ran that begins with the
same line (the cell's `def` or `class` line): where they differ, the file holds another
version than the one just run -- most likely, it was not saved since -- and the table says so.

A demo cell calls ``autograder.grade_notebook(LAB, CHECK, ...)`` for the grader's own numbers:
the same command with ``--check``, so only those checks run. They differ from what the kernel
measures, as the grader's processes run under fixed allocator settings
(sandbox.MEASURED_UNDER) and nothing else runs in them.
"""

import html
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from . import grade as grading
from . import lab as labs
from . import notebook, report


def grade_notebook(lab_id, *check_ids, path=None):
    """Grade the saved notebook at path (default: the lab's notebook, here) as `make grade`
    does -- only the checks check_ids, if named (`grade ... --check ID`): the grader's own
    measurement, in its own processes. An unknown id raises LabError, listing the lab's."""
    lab = labs.load(lab_id)
    grading.select(lab, check_ids)
    return _grade(lab, path, check_ids)


def _grade(lab, path, check_ids):
    """The grader run on the saved file, its progress printed as it comes, its report read
    back from its JSON."""
    path = Path(path or lab.notebook)
    which = f" ({', '.join(check_ids)} only)" if check_ids else ""
    print(report.fit(f"Grading the saved file {path}{which} -- save the notebook first "
                     "(Ctrl+S) if you changed anything since."), flush=True)
    stale = unsaved(path)
    only = [f"--check={i}" for i in check_ids]
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        out = Path(tmp) / "report.json"
        with subprocess.Popen([sys.executable, "-m", "autograder", "grade", lab.id, str(path),
                               *only, "--json", str(out)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) as run:
            errors = []
            for line in run.stderr:  # the grader's progress, as it comes
                line = line.rstrip()
                if line.startswith("error:") or errors and line.startswith(" "):
                    errors.append(line)  # an error, and its wrapped lines
                else:
                    print(line, flush=True)
        # 0, 1 or 3 (passed, not passed, not decided) write the report; 2 is an error.
        if run.returncode == 2 or not out.exists():
            return Graded(None, stale, "\n".join(errors) or f"the grader exited {run.returncode}")
        return Graded(json.loads(out.read_text()), stale)


def unsaved(path):
    """grade_ids of answer cells whose saved source is not what this kernel last ran."""
    try:
        from IPython import get_ipython
    except ImportError:
        return []
    shell = get_ipython()
    ran = [str(source).strip() for source in (shell.user_ns.get("In", []) if shell else [])]
    stale = []
    for grade_id, source in notebook.solutions(notebook.read(path)).items():
        source = source.strip()
        first = source.splitlines()[0] if source else None
        runs = [r for r in ran if first and r.splitlines()[:1] == [first]]
        if runs and runs[-1] != source:
            stale.append(grade_id)
    return stale


class Graded:
    """A grade as Jupyter shows it: the report's HTML table (and its terminal table elsewhere),
    and its numbers: check(id) is a check's result as the JSON report has it, metrics(id) its
    measured values."""

    def __init__(self, report, stale=(), error=""):
        self.report, self.stale, self.error = report, list(stale), error

    @property
    def passed(self):
        return bool(self.report and self.report["passed"])

    def check(self, check_id):
        """The check's result: status, score, points, detail and its metrics, each with its
        value, bounds (min, max), margin, and interval where it has one (latency)."""
        if self.report is None:
            raise LookupError(f"not graded: {self.error}")
        found = [c for c in self.report["checks"] if c["id"] == check_id]
        if not found:
            raise KeyError(f"{check_id!r} was not run; these were: "
                           + ", ".join(c["id"] for c in self.report["checks"]))
        return found[0]

    def metrics(self, check_id):
        """{metric name: value} of what the check measured (None: not measured), e.g.
        {"ratio": 0.03} for a latency check."""
        return {m["name"]: m["value"] for m in self.check(check_id)["metrics"]}

    def _warning(self):
        if not self.stale:
            return ""
        return (f"The saved notebook holds another version of cell(s) {', '.join(self.stale)} "
                "than the one this kernel last ran: save the notebook (Ctrl+S), then grade again.")

    def __repr__(self):
        lines = [*report.wrap(self._warning()), ""] if self.stale else []
        if self.report is None:
            return "\n".join([*lines, *report.wrap(f"Not graded: {self.error}", hanging="  ")])
        return "\n".join(lines) + report.table(report.read(self.report))

    def _repr_html_(self):
        e = html.escape
        warning = self._warning()
        head = f"<p><b>{e(warning)}</b></p>" if warning else ""
        if self.report is None:
            return head + f"<p><b>Not graded:</b> {e(self.error)}</p>"
        return head + report.html(report.read(self.report))
