"""A grade, written out: a terminal table (also a notebook's text), HTML (a notebook's
table), Markdown (a CI job's summary), JSON, JUnit XML, Gradescope's results.json, CSV and
nbgrader's gradebook.

Each format is rendered from one model, grade.Report, and says the same of each check: the
numbers it measured (findings) and what else there is to say (notes). A notebook's grading
cell reads the JSON of a grading run in another process back into a Report (read).
"""

import csv
import html as _html
import json
import os
import sys
import textwrap
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

MARK = {"pass": "PASS", "fail": "FAIL", "borderline": "BORDERLINE", "noisy": "NOISY",
        "unmeasured": "UNMEASURED", "info": "INFO"}
WIDTH = 100  # a terminal's: no line of the table is longer
STATUS = max(map(len, MARK.values()))
UNDER = " " * (STATUS + 4)  # where what a check measured, its detail and its hint start


def _points(x):
    return f"{x:g}"


def wrap(text, indent="", hanging=""):
    """text in lines of at most WIDTH, each of its own lines wrapped on its own. A word longer
    than a line (a long path) is cut at the edge and goes on in the next line: nothing is lost
    and no line is longer. Hyphens do not break a line, so '0.61-0.67' stays whole."""
    return [line for paragraph in str(text).splitlines() or [""]
            for line in textwrap.wrap(paragraph, WIDTH, initial_indent=indent,
                                      subsequent_indent=indent + hanging,
                                      break_on_hyphens=False) or [""]]


def fit(text, hanging="    "):
    """text as printed: every line wrapped to WIDTH, continuation lines indented."""
    return "\n".join(wrap(text, hanging=hanging))


def summary(report):
    """The score line: the score, the verdict and how many checks pass -- of the checks run,
    for a partial grade; why none ran, if the code did not load."""
    passing = sum(r.passed for r in report.results)
    run = len(report.results)
    score = f"Score {_points(report.score)}/{_points(report.max_score)}"
    if report.partial:
        return (f"{score} of the checks run (partial: {run} of {len(report.lab.checks)} "
                f"checks) -- {report.verdict} ({passing} of {run} pass; a partial grade: the "
                "lab is graded when all its checks run)")
    if report.did_not_load and report.did_not_load.stopped:
        return (f"{score} -- {report.verdict}: the code did not load, so no check ran (the "
                "written answer is graded by hand)")
    return (f"{score} -- {report.verdict} ({passing} of {run} checks pass; the written answer "
            "is graded by hand)")


def findings(r):
    """What a check found, one line per number ("0.0002 of requests failed -- at most 0.01:
    0.0098 under"); a test's outcome ("passed", "failed") for a check without numbers; none
    for a check not run (its detail says why)."""
    if not r.ran:
        return []
    return [m.line for m in r.metrics] or [r.measured]


def notes(r):
    """What a report says of a check besides its numbers, in every format: its detail (how it
    was measured, what failed, or why it did not run) and, when the code failed it, its hint."""
    return [*([r.detail] if r.detail else []),
            *([f"hint: {r.check.hint}"] if r.needs_hint and r.check.hint else [])]


def table(report):
    """The terminal's report: a short row per check (status, name, points), and under it a
    line per number it measured, then its notes."""
    points = [f"{_points(r.score)}/{_points(r.check.points)}" for r in report.results]
    points_width = max(map(len, ["points", *points]))
    name_width = min(max(len(r.check.name) for r in report.results),
                     WIDTH - STATUS - 4 - points_width)
    lines = [*wrap(f"{report.lab.title} -- {report.submission}", hanging="    "), ""]
    if report.did_not_load:  # first, before any row: the one thing to fix
        lines += [*wrap(report.did_not_load.text, hanging="  "), ""]
    lines.append(f"{'':{STATUS}}  {'check':{name_width}}  {'points':>{points_width}}")
    for r, score in zip(report.results, points):
        name = textwrap.wrap(r.check.name, name_width, break_on_hyphens=False)
        lines.append(f"{MARK[r.status]:{STATUS}}  {name[0]:{name_width}}  {score:>{points_width}}")
        lines += [" " * (STATUS + 2) + rest for rest in name[1:]]
        under = [line for m in r.metrics for line in wrap(m.line, UNDER, "    ")]
        under += [line for note in notes(r)
                  for line in wrap(note, UNDER, "      " if note.startswith("hint: ") else "")]
        lines += [*under, ""] if under else []  # a blank line ends a check with lines under it
    if lines[-1]:
        lines.append("")
    lines += wrap(summary(report), hanging="  ")
    lines += wrap(f"Graded in {report.seconds:.1f} s; isolation: {report.isolation}",
                  hanging="  ")
    return "\n".join(lines)


COLOUR = {"pass": "#1a7f37", "info": "#555", "borderline": "#9a6700", "unmeasured": "#9a6700"}


def html(report):
    """A notebook's table: what the code did not load, first; a row per check, then a row
    per number it measured with its own bound and margin; then each check's notes."""
    e = _html.escape
    head = ""
    loading = report.did_not_load
    if loading:
        what = ("The notebook's code did not load, so no check ran:" if loading.stopped
                else "A cell failed as it loaded (every check ran; those that need what it "
                     "defines failed):")
        head += (f"<p style='color:#cf222e'><b>{e(what)}</b> {e(loading.headline)}.</p>"
                 + "".join(f"<p>Then: cell {e(cell)} failed: {e(error)}.</p>"
                           for cell, error in loading.later)
                 + f"<p><b>What to do:</b> {e(loading.what_to_do)}.</p>")
    rows = "".join(
        f"<tr><td style='color:{COLOUR.get(r.status, '#cf222e')}'><b>"
        f"{e(r.status.upper())}</b></td><td>{e(r.check.name)}</td><td></td><td></td>"
        f"<td>{_points(r.score)}/{_points(r.check.points)}</td></tr>"
        + "".join(f"<tr><td></td><td style='padding-left:1.5em'>{e(m.measured)}</td>"
                  f"<td>{e(m.bound or 'not judged')}</td><td>{e(m.margin)}</td>"
                  "<td></td></tr>" for m in r.metrics)
        + ("" if r.ran else  # the code did not load: said once, above; each row says so
           f"<tr><td></td><td style='padding-left:1.5em'>{e(r.detail)}</td><td></td>"
           "<td></td><td></td></tr>")
        for r in report.results)
    def note(text):
        return "<i>hint:</i> " + e(text[6:]) if text.startswith("hint: ") else e(text)

    listed = "".join(f"<li><b>{e(r.check.name)}</b>: " + "<br>".join(map(note, notes(r)))
                     + "</li>" for r in report.results if r.ran and notes(r))
    return (f"{head}<table><tr><th></th><th>check, and what it measured</th><th>bound</th>"
            f"<th>margin</th><th>points</th></tr>{rows}</table>"
            f"<p><b>{e(summary(report))}</b> (graded in {report.seconds:.1f} s)</p>"
            f"<ul>{listed}</ul>")


def to_dict(report):
    return {
        "lab": report.lab.id, "submission": str(report.submission),
        "score": report.score, "max_score": report.max_score, "passed": report.passed,
        "verdict": report.verdict, "summary": summary(report),
        "partial": report.partial, "checks_run": len(report.results),
        "checks_in_lab": len(report.lab.checks),
        "did_not_load": report.did_not_load and report.did_not_load.to_dict(),
        "seconds": round(report.seconds, 2), "isolation": report.isolation,
        "checks": [{"id": r.check.id, "name": r.check.name, "kind": r.check.kind,
                    "status": r.status, "score": r.score, "points": r.check.points,
                    "measured": r.measured, "threshold": r.threshold, "margin": r.margin,
                    "metrics": [m.to_dict() for m in r.metrics],
                    "detail": r.detail, "hint": r.check.hint if r.needs_hint else "",
                    "ran": r.ran}
                   for r in report.results],
    }


def read(data):
    """The Report that to_dict wrote as data (its JSON, loaded): what a notebook's grading cell
    reads back from the grader's process, to render as every other report is."""
    from .grade import LoadFailure, Report
    from .lab import load
    from .metric import Metric
    from .result import Result

    lab = load(data["lab"])
    checks = {c.id: c for c in lab.checks}
    results = [Result(checks[c["id"]], c["status"], c["score"],
                      tuple(Metric.from_dict(m) for m in c["metrics"]), c["detail"], c["ran"])
               for c in data["checks"]]
    loading = data["did_not_load"] and LoadFailure.from_dict(data["did_not_load"])
    return Report(lab, Path(data["submission"]), results, data["seconds"], data["isolation"],
                  loading or None)


def junit(*reports):
    """JUnit XML: one test suite per lab report, one test case per check."""
    root = ET.Element("testsuites")
    for report in reports:
        loading = report.did_not_load
        suite = ET.SubElement(root, "testsuite", name=report.lab.id,
                              tests=str(len(report.results) + bool(loading)),
                              failures=str(sum(not r.passed for r in report.results)
                                           + bool(loading)),
                              time=f"{report.seconds:.2f}")
        if loading:  # the first test case: what to fix before anything else
            case = ET.SubElement(suite, "testcase", classname=report.lab.id,
                                 name="the notebook's code loads")
            ET.SubElement(case, "failure", message=loading.headline[:500]).text = loading.text
        for r in report.results:
            case = ET.SubElement(suite, "testcase", classname=report.lab.id, name=r.check.name)
            said = "\n".join([*findings(r), *notes(r)])
            if r.passed:
                ET.SubElement(case, "system-out").text = said
            else:
                failure = ET.SubElement(case, "failure", message=f"{r.status}: {r.detail}"[:500])
                failure.text = said
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def markdown(reports, not_started=(), broken=()):
    """The grades as Markdown, for a CI job's summary page."""
    def cell(text):
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["## Lab grades", "", "| lab | score | verdict |", "|---|---|---|"]
    for r in reports:
        loading = (f" -- {r.did_not_load.label}: {cell(r.did_not_load.headline)}"
                   if r.did_not_load else "")
        lines.append(f"| {r.lab.id} | {_points(r.score)}/{_points(r.max_score)} | "
                     f"{'passed' if r.passed else '**' + r.verdict.lower() + '**'}{loading} |")
    lines += [f"| {lab_id} | -- | cannot grade: {cell(error)} |" for lab_id, error in broken]
    lines += [f"| {lab_id} | -- | not started |" for lab_id in not_started]
    for r in reports:
        lines += ["", f"### {cell(r.lab.title)}", "",
                  "| | check | measured -- bound: margin | points |", "|---|---|---|---|"]
        lines += [f"| {MARK[x.status]} | {cell(x.check.name)} | "
                  f"{'<br>'.join(map(cell, findings(x)))} | "
                  f"{_points(x.score)}/{_points(x.check.points)} |" for x in r.results]
        said = [f"- {cell(x.check.name)}: " + "<br>".join(map(cell, notes(x)))
                for x in r.results if x.ran and notes(x)]
        lines += ["", *said] if said else []
    return "\n".join(lines) + "\n"


def gradescope(report):
    """results.json as Gradescope's autograder specification describes it."""
    return {
        "score": report.score,
        "output": "\n\n".join([*([report.did_not_load.text] if report.did_not_load else []),
                                f"{report.lab.title}: {summary(report)}"]),
        "tests": [{"name": r.check.name, "score": r.score, "max_score": r.check.points,
                   "status": "passed" if r.passed else "failed",
                   "output": "\n".join([*findings(r), *notes(r)])}
                  for r in report.results],
    }


def write_json(path, data):
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def write_csv(path, lab, graded):
    """One row per student: total, verdict, and each check's points (or why it is missing:
    "not measured" where the grader's instruments could not measure that check here). The
    error column says why a notebook could not be graded, or why its code did not load."""
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        # A scored check's parts (the pool-off's time and memory per trace) each get a column.
        parts = [(c, name) for c in lab.checks if c.kind == "score" for name in c.params["expect"]]
        out.writerow(["student", "score", "max_score", "passed", "error",
                      *(c.id for c in lab.checks), *(f"{c.id}.{name}" for c, name in parts)])
        for student, report, error in graded:
            if report is None:
                out.writerow([student, 0, _points(lab.points), False, error,
                              *([""] * (len(lab.checks) + len(parts)))])
            else:
                failed = report.did_not_load
                loading = failed and f"{failed.label}: {failed.headline}"
                measured = {(r.check.id, m.name): m.value for r in report.results
                            for m in r.metrics}
                out.writerow([student, _points(report.score), _points(lab.points),
                              report.passed, loading or "",
                              *("not measured" if r.status == "unmeasured" else _points(r.score)
                                for r in report.results),
                              *("" if measured.get((c.id, name)) is None
                                else f"{measured[(c.id, name)]:.3f}" for c, name in parts)])


def write_gradebook(url, lab, graded):
    """Record the autograded scores in an nbgrader gradebook (SQLite URL or path)."""
    from nbgrader.api import Gradebook

    # nbgrader runs the alembic command to set up its database: it must be on PATH.
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    if "://" not in str(url):
        url = f"sqlite:///{url}"
    notebook = lab.notebook.removesuffix(".ipynb")
    with Gradebook(url) as gb, warnings.catch_warnings():
        # nbgrader's add_submission makes SQLAlchemy 2 warn, for every student, of an object
        # "not in session" (a line hundreds of columns long); the grades are written all the same.
        warnings.filterwarnings("ignore", module="nbgrader")
        gb.update_or_create_assignment(lab.id)
        gb.update_or_create_notebook(notebook, lab.id)
        for c in lab.checks:
            gb.update_or_create_grade_cell(c.id, notebook, lab.id, max_score=c.points,
                                           cell_type="code")
        for student, report, _ in graded:
            gb.update_or_create_student(student)
            gb.update_or_create_submission(lab.id, student)
            for c, r in zip(lab.checks, report.results if report else [None] * len(lab.checks)):
                grade = gb.find_grade(c.id, notebook, lab.id, student)
                grade.auto_score = r.score if r else 0
            gb.db.commit()
