"""How a lab's thresholds were set: grade plausible submissions, right and wrong.

Usage: .venv/bin/python bench/lab_variants.py LAB [TIMES]   (each graded TIMES times)

It prints each grading, and keeps what it printed in bench/results/variants-LAB.txt: the
figures behind each threshold, which the lab's checks file cites rather than copies.

A threshold must sit far from both sides: the reference passes with margin, and a plausible
wrong solution (allocating, locking, not stealing...) fails with margin. Each lab's variants
are in bench/variants/<lab>.py: a name, the answer cells it replaces, and the checks it must
fail. tests/test_lab_variants.py grades the same variants in `make test`.
"""

import datetime
import importlib.util
import os
import platform
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder import grade as grading
from autograder import lab as labs

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


class Record:
    """Lines printed as they come, and kept in bench/results/<name>.txt under a line naming
    the Python and the machine they were measured on."""

    def __init__(self, name):
        self.path = RESULTS / f"{name}.txt"
        self.lines = [f"{' '.join(sys.argv)}: Python {platform.python_version()}, "
                      f"{os.cpu_count()} CPUs, {datetime.date.today()}", ""]

    def __call__(self, line=""):
        print(line, flush=True)
        self.lines.append(line)

    def save(self):
        RESULTS.mkdir(exist_ok=True)
        self.path.write_text("\n".join(self.lines) + "\n")
        print(f"\nwritten to {self.path.relative_to(HERE.parent)}")


def module(lab_id):
    """bench/variants/<lab_id>.py, imported (its name is not an identifier)."""
    path = HERE / "variants" / f"{lab_id}.py"
    spec = importlib.util.spec_from_file_location(f"variants_{lab_id.replace('-', '_')}", path)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def variants(lab_id):
    """The lab's variants: dicts with name, answers, fails, and optionally unpinned."""
    return module(lab_id).VARIANTS


def solution(lab):
    return labs.SOURCES / lab.id / lab.notebook


def changed(lab_id, grade_id, *swaps, then=""):
    """{grade_id: source}: the reference's answer cell grade_id with each (old, new) swapped
    in turn, and then appended -- a variant wrong in exactly the way its swaps say, which
    follows the reference as it changes. Each old must occur exactly once, or the variant no
    longer applies."""
    lab = labs.load(lab_id)
    (source,) = [c.source for c in nbformat.read(solution(lab), as_version=4).cells
                 if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    for old, new in swaps:
        assert source.count(old) == 1, f"{lab_id} {grade_id}: {old!r} is not in it once"
        source = source.replace(old, new)
    return {grade_id: source + then}


def variant(source, path, answers):
    """source (a lab notebook) with some answer cells replaced, written to path."""
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    nbformat.write(nb, path)
    return path


def submissions(lab, folder):
    """(name, notebook, fails, unpinned) for the reference and every variant of lab."""
    yield "reference solution", solution(lab), [], []
    for v in variants(lab.id):
        path = variant(solution(lab), Path(folder) / f"{v['name'].replace(' ', '-')}.ipynb",
                       v["answers"])
        yield v["name"], path, v["fails"], v.get("unpinned", [])


def main(lab_id, times=1):
    lab = labs.load(lab_id)
    folder = tempfile.mkdtemp()
    out = Record(f"variants-{lab_id}")
    out(f"{lab.title}: each submission graded {times} time(s)\n")
    for name, path, fails, _ in submissions(lab, folder):
        for _ in range(times):
            report = grading.grade(lab, path)
            out(f"{name} -- {report.score:g}/{lab.points:g} in {report.seconds:.1f} s "
                f"(should fail: {', '.join(fails) or 'nothing'})")
            for r in report.results:
                if r.check.kind != "functional" or not r.passed:
                    out(f"    {r.status:10s} {r.check.id:24s} {r.measured}")
        out()
    out.save()


if __name__ == "__main__":
    main(sys.argv[1], *map(int, sys.argv[2:]))
