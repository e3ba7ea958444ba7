"""Read a submitted notebook and assemble the program the sandbox runs.

Only the submission's solution cells are taken, by nbgrader grade_id; everything around them
comes from the lab's source notebook, so an edited given cell or test cell changes nothing.
"""

import json
import re
from pathlib import Path

import nbformat
from nbgrader.utils import compute_checksum


class BrokenSubmission(Exception):
    """The submission cannot be graded at all; the message says what to do."""


def read(path):
    path = Path(path)
    if not path.is_file():
        raise BrokenSubmission(f"{path}: no such file. Pass the path of your lab notebook (.ipynb).")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise BrokenSubmission(f"{path} is not a text file: submit the .ipynb notebook itself.")
    except json.JSONDecodeError as e:
        raise BrokenSubmission(
            f"{path} is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno}). "
            "Was it edited outside Jupyter? Open it in JupyterLab, save it, and submit again.")
    if not isinstance(raw, dict) or "cells" not in raw:
        raise BrokenSubmission(f"{path} is JSON but not a Jupyter notebook (it has no cells).")
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as e:  # nbformat raises several kinds for a malformed notebook
        raise BrokenSubmission(f"{path} is not a readable notebook: {e}")
    return nb


def solutions(nb):
    """grade_id -> source of each solution cell in a submitted notebook."""
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("solution") and "grade_id" in meta:
            out[meta["grade_id"]] = cell.get("source", "")
    return out


# A value answer, such as a prediction: one line `NAME = value  # why` between the solution
# markers, NAME in capitals, handed out as `NAME = None  # why` (labs/nbgrader_config.py).
VALUE = re.compile(r"^(?P<indent>\s*)(?P<name>[A-Z][A-Z0-9_]*) = [^#]*?(?P<why>\s*#.*)?$")


def unanswered_value(source):
    """`NAME = None` for a value answer cell's source, else None."""
    lines = [line for line in source.splitlines()
             if line.strip() and not line.strip().startswith("### ")]
    value = VALUE.match(lines[0]) if len(lines) == 1 else None
    return f"{value['name']} = None" if value else None


MISSING = ("this notebook has no answer cell {grade_id!r} -- it was handed out before that "
           "task was added, or the cell was deleted: move the notebook aside, run `make labs` "
           "for a new one, and copy your answers into it")


def unanswered(grade_id, source):
    """What a notebook without the answer cell grade_id is graded with: the cell as the lab
    hands it out -- `NAME = None` for a value answer, and for code each solution region
    raising NotImplementedError with MISSING, so that its tests say what to do."""
    value = unanswered_value(source)
    if value:
        return value
    out, inside = [], False
    for line in source.splitlines():
        if "### BEGIN SOLUTION" in line:
            inside = True
            indent = line[:len(line) - len(line.lstrip())]
            out.append(f"{indent}raise NotImplementedError({MISSING.format(grade_id=grade_id)!r})")
        elif "### END SOLUTION" in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def assemble(lab, nb):
    """The code cells to run, in order: the lab's given cells and the submission's solutions.

    An answer cell the notebook lacks -- a task or question added to the lab after the
    notebook was handed out -- is graded as unanswered (`unanswered`), the rest as written;
    a notebook with none of the lab's answer cells is not the lab's notebook."""
    theirs = solutions(nb)
    answers = [c for c in lab.cells if c.role == "solution"]
    if not any(c.grade_id in theirs for c in answers):
        raise BrokenSubmission(
            f"the notebook has none of the {lab.id} answer cells "
            f"({', '.join(repr(c.grade_id) for c in answers)}): it is not the {lab.id} "
            f"notebook. Start again from labs/{lab.id}/{lab.notebook} and write your code in "
            f"its answer cells.")
    for c in answers:
        if c.grade_id not in theirs:
            theirs[c.grade_id] = unanswered(c.grade_id, c.source)
    return [(c.grade_id, theirs[c.grade_id] if c.role == "solution" else c.source)
            for c in lab.cells if c.role in ("given", "solution")]


def answered(nb):
    """The grade_ids of the answer cells that differ from the stubs the lab handed out.

    nbgrader records in each answer cell of a student notebook the checksum of the stub it
    generated; a cell whose checksum no longer matches holds the learner's work.
    """
    out = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        stub = meta.get("checksum") if meta.get("solution") else None
        if stub is not None and compute_checksum(cell) != stub:
            out.append(meta["grade_id"])
    return out
