"""Grading from inside Jupyter: the saved notebook, through the same grader, as a table.

A lab's last cell calls ``autograder.grade_notebook(LAB)``. It runs ``python -m autograder
grade`` -- the very command `make grade` runs, in processes of its own -- on the notebook
*file*, so what it grades is what was last saved. Jupyter does not tell the kernel whether
the file is up to date; what the kernel does know is what it ran. So, before grading, each
answer cell of the file is compared with the last input this kernel ran that begins with the
same line (the cell's `def` or `class` line): where they differ, the file holds another
version than the one just run -- most likely, it was not saved since -- and the table says so.
"""

import html
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from . import lab as labs
from . import notebook


def grade_notebook(lab_id, path=None):
    """Grade the saved notebook at path (default: the lab's notebook, here) as `make grade` does."""
    lab = labs.load(lab_id)
    path = Path(path or lab.notebook)
    print(f"Grading the saved file {path} -- save the notebook first (Ctrl+S) if you changed "
          "anything since.", flush=True)
    stale = unsaved(path)
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        out = Path(tmp) / "report.json"
        with subprocess.Popen([sys.executable, "-m", "autograder", "grade", lab_id, str(path),
                               "--json", str(out)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) as run:
            errors = []
            for line in run.stderr:  # the grader's progress, as it comes
                line = line.rstrip()
                if line.startswith("error:"):
                    errors.append(line)
                else:
                    print(line, flush=True)
        if run.returncode not in (0, 1) or not out.exists():
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
    """A grade as Jupyter shows it: an HTML table (and plain text elsewhere)."""

    def __init__(self, report, stale=(), error=""):
        self.report, self.stale, self.error = report, list(stale), error

    @property
    def passed(self):
        return bool(self.report and self.report["passed"])

    def _warning(self):
        if not self.stale:
            return ""
        return (f"The saved notebook holds another version of cell(s) {', '.join(self.stale)} "
                "than the one this kernel last ran: save the notebook (Ctrl+S), then grade again.")

    def __repr__(self):
        if self.report is None:
            return f"Not graded: {self.error}"
        r = self.report
        lines = []
        for c in r["checks"]:
            lines.append(f"{c['status'].upper():10s} {c['name']} ({c['score']:g}/{c['points']:g})")
            lines += [f"    {m['line']}" for m in c["metrics"]]
            lines += [f"    hint: {c['hint']}"] if c["hint"] else []
        lines.append(f"Score {r['score']:g}/{r['max_score']:g} -- {r['verdict']}")
        return "\n".join(filter(None, [self._warning(), *lines]))

    def _repr_html_(self):
        e = html.escape
        warning = self._warning()
        head = f"<p><b>{e(warning)}</b></p>" if warning else ""
        if self.report is None:
            return head + f"<p><b>Not graded:</b> {e(self.error)}</p>"
        r = self.report
        colour = {"pass": "#1a7f37", "info": "#555", "borderline": "#9a6700",
                  "unmeasured": "#9a6700"}
        # A row per check, then a row per number it measured: its own bound and margin.
        rows = "".join(
            f"<tr><td style='color:{colour.get(c['status'], '#cf222e')}'><b>"
            f"{e(c['status'].upper())}</b></td><td>{e(c['name'])}</td><td></td><td></td>"
            f"<td>{c['score']:g}/{c['points']:g}</td></tr>"
            + "".join(f"<tr><td></td><td style='padding-left:1.5em'>{e(m['measured'])}</td>"
                      f"<td>{e(m['bound'] or 'not judged')}</td><td>{e(m['margin'])}</td>"
                      "<td></td></tr>" for m in c["metrics"])
            for c in r["checks"])
        notes = "".join(
            f"<li><b>{e(c['name'])}</b>: {e(c['detail'])}"
            + (f"<br><i>hint:</i> {e(c['hint'])}" if c["hint"] else "") + "</li>"
            for c in r["checks"] if c["hint"] or c["detail"] and c["kind"] != "functional")
        verdict = r["verdict"]
        return (f"{head}<table><tr><th></th><th>check, and what it measured</th><th>bound</th>"
                f"<th>margin</th><th>points</th></tr>{rows}</table>"
                f"<p><b>Score {r['score']:g}/{r['max_score']:g} -- {verdict}</b> "
                f"(graded in {r['seconds']:.1f} s; the written answer is graded by hand)</p>"
                f"<ul>{notes}</ul>")
