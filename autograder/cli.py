"""python -m autograder grade LAB SUBMISSION [--check ID ...] | grade --all [DIR] |
describe LAB | labs | release [LAB ...]

Exit status of grade: 0 when the lab passes (every autograded check), 1 when it does not
(also when its code did not load), 2 when the submission cannot be graded at all (not a
notebook, a missing function, a wrong signature), the lab or a --check id does not exist, or
grading stopped (a submission changed the course's files; --require-isolation without
bubblewrap; --require-measurement and a check the grader could not measure on this Python)
-- with a message that says what to do -- and 3 when nothing failed but some check could not
be measured on this Python (not decided). With --check, only the checks named run: 0 when
each of them passes -- a partial grade, whose report never says the lab passed.

Every line it prints, on stdout and stderr, fits report.WIDTH (100) columns: longer ones
wrap, their continuation lines indented -- but for the message of an error that stops a
batch (a changed course file, no isolation, --require-measurement), printed whole.
"""

import argparse
import functools
import os
import shutil
import sys
from pathlib import Path

from . import grade as grading
from . import lab as labs
from . import kinds, notebook, release, report, sandbox

PASSED, NOT_PASSED, BROKEN, NOT_DECIDED = 0, 1, 2, 3


class Unmeasurable(Exception):
    """--require-measurement, and the grader's instruments read wrong on this Python."""


def exit_status(reports, require_measurement=False):
    """The exit status of graded reports (None: a submission that could not be graded)."""
    if any(r is None for r in reports):
        return NOT_PASSED
    unmeasured = [(r, c) for r in reports for c in r.unmeasured]
    if unmeasured and require_measurement:
        r, c = unmeasured[0]
        raise Unmeasurable(f"{r.submission}: {c.check.name}: {c.detail} (--require-measurement)")
    if all(r.all_run_pass for r in reports):  # a partial grade: the checks it ran
        return PASSED
    return NOT_DECIDED if all(r.verdict == "NOT DECIDED" or r.all_run_pass for r in reports) \
        else NOT_PASSED


class Help(argparse.HelpFormatter):
    """argparse's help, no wider than the terminal nor than report.WIDTH."""

    def __init__(self, prog):
        super().__init__(prog, width=min(shutil.get_terminal_size().columns, report.WIDTH))


def show(text, file=None, hanging="    "):
    """Print text with every line wrapped to report.WIDTH, continuation lines indented."""
    print(report.fit(text, hanging), file=file or sys.stdout, flush=True)


def say(message, hanging="    "):
    show(message, sys.stderr, hanging)


def error(message):
    say(f"error: {message}", hanging="  ")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", formatter_class=Help,
                                     description="Grade Pooling in Depth lab notebooks.")
    sub = parser.add_subparsers(dest="command", required=True,
                                parser_class=functools.partial(argparse.ArgumentParser,
                                                               formatter_class=Help))
    g = sub.add_parser("grade", help="grade a notebook, or a folder of them (one per student), "
                       "or with --all every lab a learner has started")
    g.add_argument("lab", nargs="?",
                   help=f"the lab, e.g. 01-escape (labs: {', '.join(labs.available())})")
    g.add_argument("submission", type=Path, nargs="?",
                   help="a .ipynb notebook, or a folder of them")
    g.add_argument("--all", type=Path, nargs="?", const=Path("labs"), metavar="DIR",
                   help="grade every lab whose notebook in DIR/<lab>/ has answers (default DIR: "
                        "labs); exit 0 only if each of them passes")
    g.add_argument("--summary", type=Path, metavar="FILE",
                   help="with --all: append a Markdown table of the grades to FILE (e.g. "
                        "$GITHUB_STEP_SUMMARY)")
    g.add_argument("--check", action="append", metavar="ID",
                   help="run only this check (repeat it, or ID1,ID2): a partial grade, for "
                   "measuring one thing again; `describe LAB` lists the ids")
    g.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    g.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML (for CI)")
    g.add_argument("--gradescope", type=Path, metavar="FILE",
                   help="write Gradescope's results.json")
    g.add_argument("--tests-from", type=Path, metavar="DIR",
                   help="take the lab's tests (hidden ones included) from DIR/<lab>/ instead "
                        "of labs/solutions/<lab>/")
    g.add_argument("--csv", type=Path, metavar="FILE",
                   help="folder mode: where to write the scores (default: grades-<lab>.csv "
                        "in the folder)")
    g.add_argument("--gradebook", metavar="DB", help="also record scores in this nbgrader "
                   "gradebook (a SQLite file or URL)")
    g.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                   help="sandboxed runs at once, latency excepted (default: %(default)s)")
    g.add_argument("--require-measurement", action="store_true",
                   help="refuse a grade (exit 2) when the grader's own probes show that it "
                   "cannot measure some check on this Python, instead of leaving that check "
                   "not decided (exit 3)")
    g.add_argument("--require-isolation", action="store_true",
                   help="refuse to grade unless bubblewrap isolates every run (read-only "
                   "filesystem, class and test folders hidden); without it, only the network is")
    d = sub.add_parser("describe", help="print a lab's checks, thresholds and points")
    d.add_argument("lab")
    sub.add_parser("labs", help="list the labs")
    sub.add_parser("environment", help="print the settings every graded process measures "
                   "under, as NAME=value lines (make lab starts Jupyter's kernels with them)")
    r = sub.add_parser("release", help="make the student notebooks labs/<lab>/ from "
                       "labs/solutions/<lab>/ with nbgrader, leaving any notebook that holds "
                       "answers as it is")
    r.add_argument("labs", nargs="*", metavar="LAB", help="default: every lab")
    r.add_argument("--labs-dir", type=Path, default=release.LABS, metavar="DIR",
                   help="the folder holding solutions/ and nbgrader_config.py "
                        "(default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        return command(parser, args)
    except (sandbox.NotIsolated, sandbox.Tampered, Unmeasurable) as e:
        # Whole, on one line: what stops a batch names the files to look at (git diff) and
        # the command to run, and tools match these messages as they are.
        print(f"error: {e}", file=sys.stderr)
        return BROKEN


def command(parser, args):
    if args.command == "labs":
        print("\n".join(labs.available()))
        return 0
    if args.command == "environment":
        print("\n".join(f"{name}={value}" for name, value in sandbox.MEASURED_UNDER.items()))
        return 0
    if args.command == "grade" and args.require_isolation:
        sandbox.require()
    if args.command == "grade" and args.all is not None:
        if args.lab or args.submission:
            parser.error("grade --all [DIR] takes no LAB or SUBMISSION")
        if args.check:
            parser.error("--check grades one notebook: give a LAB and a SUBMISSION, not --all")
        return grade_all(args)
    if args.command == "grade" and not (args.lab and args.submission):
        parser.error("grade needs a LAB and a SUBMISSION (or --all)")
    if args.command == "release":
        try:
            kept = release.release(args.labs_dir, args.labs, say=show)
        except release.ReleaseError as e:
            error(e)
            return BROKEN
        return NOT_PASSED if kept else PASSED
    try:
        lab = labs.load(args.lab, getattr(args, "tests_from", None))
        if args.command == "grade" and args.check:
            args.check = [i.strip() for ids in args.check for i in ids.split(",") if i.strip()]
            grading.select(lab, args.check)
    except labs.LabError as e:
        error(e)
        return BROKEN
    if args.command == "describe":
        print(describe_text(lab))
        return 0
    if args.submission.is_dir():
        if args.check:
            error("--check grades one notebook, not a folder: its scores would not be grades")
            return BROKEN
        return grade_folder(lab, args)
    return grade_one(lab, args)


def describe_text(lab):
    """A line per check -- its points, its id (for --check) and its name -- and under it, what
    it demands; every line at most report.WIDTH columns."""
    lines = [*report.wrap(lab.title, hanging="    "), ""]
    width = max(len(f"{c.points:g}") for c in lab.checks)
    for c in lab.checks:
        head = f"  {c.points:>{width}g} pts  "
        lines += report.wrap(f"{head}{c.id}: {c.name}", hanging=" " * (len(head) - 2 + 4))
        lines += report.wrap(kinds.of(c).rule(c), " " * len(head), "  ")
    lines += report.wrap(f"  total {lab.points:g} points; the lab passes when every check "
                         "passes", hanging="  ")
    return "\n".join(lines)


def grade_one(lab, args):
    try:
        result = grading.grade(lab, args.submission, jobs=args.jobs, progress=say,
                               check_ids=args.check)
    except grading.BrokenSubmission as e:
        error(f"cannot grade {args.submission}: {e}")
        return BROKEN
    print(report.table(result))
    if args.json:
        report.write_json(args.json, report.to_dict(result))
    if args.junit:
        args.junit.write_text(report.junit(result))
    if args.gradescope:
        report.write_json(args.gradescope, report.gradescope(result))
    if args.gradebook:
        report.write_gradebook(args.gradebook, lab, [(_student(lab, args.submission),
                                                      result, None)])
    return exit_status([result], args.require_measurement)


def grade_all(args):
    """Every lab the learner has started in args.all/<lab>/; the others are named, not graded."""
    graded, not_started, broken = [], [], []
    for lab_id in labs.available():
        lab = labs.load(lab_id, args.tests_from).hiding(args.all)
        path = args.all / lab_id / lab.notebook
        try:
            started = path.is_file() and notebook.answered(notebook.read(path))
        except notebook.BrokenSubmission as e:
            broken.append((lab_id, str(e)))
            continue
        if not started:
            not_started.append(lab_id)
            continue
        say(f"== {lab_id}: {path}")
        try:
            result = grading.grade(lab, path, jobs=args.jobs, progress=say)
        except grading.BrokenSubmission as e:
            broken.append((lab_id, str(e)))
            continue
        print(report.table(result), end="\n\n")
        graded.append(result)
    for lab_id, why in broken:
        show(f"{lab_id}: cannot grade: {why}")
    show("not started (no answers yet): " + (", ".join(not_started) or "none"))
    if not graded and not broken:
        show(f"No lab in {args.all} has answers yet: nothing to grade.")
    if args.json:
        report.write_json(args.json, [report.to_dict(r) for r in graded])
    if args.junit:
        args.junit.write_text(report.junit(*graded))
    if args.summary:
        with open(args.summary, "a") as f:
            f.write(report.markdown(graded, not_started, broken))
    return exit_status([*graded, *[None for _ in broken]], args.require_measurement)


def _student(lab, path):
    """A student's name: the file's stem, or its folder's name for <student>/<lab notebook>."""
    return path.parent.name if path.name == lab.notebook else path.stem


def grade_folder(lab, args):
    found = sorted(p for p in args.submission.rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
    if not found:
        error(f"no .ipynb notebooks in {args.submission}")
        return BROKEN
    done = []

    def progress(message):
        if message.startswith(tuple(report.MARK.values())):
            return  # per-check lines would drown the bar
        if message.endswith("loading the notebook's code") or message.startswith("measuring"):
            done.append(message)
            bar = "#" * (20 * len(done) // (2 * len(found)))
            head = f"[{bar:20s}] {len(done)}/{2 * len(found)} "
            say(head + message, hanging=" " * len(head))

    graded = grading.grade_many(lab.hiding(args.submission), found, jobs=args.jobs,
                                progress=progress)
    rows = [(_student(lab, path), rep, err) for path, rep, err in graded]
    for student, rep, err in rows:
        status = err and f"cannot grade: {err}" or \
            f"{rep.score:g}/{lab.points:g} {rep.verdict.lower()}" + (
                f" -- {rep.did_not_load.label}: {rep.did_not_load.headline}"
                if rep.did_not_load else "")
        show(f"{student}: {status}")
    out = args.csv or args.submission / f"grades-{lab.id}.csv"
    report.write_csv(out, lab, rows)
    show(f"scores written to {out}")
    if args.json:
        report.write_json(args.json, [report.to_dict(r) if r else {"student": s, "error": e}
                                      for s, r, e in rows])
    if args.gradebook:
        report.write_gradebook(args.gradebook, lab, rows)
    return exit_status([r for _, r, _ in rows], args.require_measurement)
