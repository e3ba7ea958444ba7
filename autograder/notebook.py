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


def assemble(lab, nb):
    """The code cells to run, in order: the lab's given cells and the submission's solutions.

    A value answer the notebook has no cell for -- a question added to the lab after the
    notebook was handed out -- is graded as unanswered; any other missing answer cell means
    that this is not the lab's notebook."""
    theirs = solutions(nb)
    for c in lab.cells:
        if c.role == "solution" and c.grade_id not in theirs and unanswered_value(c.source):
            theirs[c.grade_id] = unanswered_value(c.source)
    missing = [c.grade_id for c in lab.cells if c.role == "solution" and c.grade_id not in theirs]
    if missing:
        raise BrokenSubmission(
            f"the notebook has no answer cell {', '.join(map(repr, missing))}: it is not the "
            f"{lab.id} notebook, or that cell was deleted or re-created. Start again from "
            f"labs/{lab.id}/{lab.notebook} and write your code in its answer cells.")
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
