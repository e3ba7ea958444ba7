"""Grades a submitted lab notebook: isolation, memray/pyperf measurement, thresholds, reports.

``python -m autograder grade LAB SUBMISSION`` (or ``make grade LAB=... NB=...``); see cli.py.
In a lab notebook, ``autograder.describe(LAB)`` prints the checks a lab is graded on, and
``autograder.grade_notebook(LAB)`` grades the saved notebook and shows the table --
``autograder.grade_notebook(LAB, CHECK, ...)`` only those checks: the grader's numbers.
"""


def describe(lab_id):
    """Print lab_id's checks, thresholds and points (read from its TOML file)."""
    from . import cli, lab

    print(cli.describe_text(lab.load(lab_id)))


def grade_notebook(lab_id, *check_ids, path=None):
    """Grade the saved notebook (default: the lab's notebook in this folder), only the checks
    named if any (a partial grade): a table, whose .metrics(check_id) gives the numbers."""
    from . import jupyter

    return jupyter.grade_notebook(lab_id, *check_ids, path=path)


def kernel_note():
    """What to print beside timings measured in this process: "" when it runs with the settings
    every graded process measures under (a kernel `make lab` started does), else which it lacks
    and what that changes."""
    import os
    import textwrap

    from .sandbox import MEASURED_UNDER

    missing = [f"{name}={value}" for name, value in MEASURED_UNDER.items()
               if os.environ.get(name) != value]
    if not missing:
        return ""
    why = ("glibc may hand a large new block memory freed before, already mapped, where every "
           "graded process maps fresh zero-filled pages -- so times here can come out lower "
           "than graded" if any(m.startswith("MALLOC_MMAP_THRESHOLD_=") for m in missing) else
           "times here can differ from the grader's")
    return textwrap.fill(f"(This kernel runs without the grader's {', '.join(missing)}: {why}. "
                         "Open the labs with `make lab` to measure as the grader does.)", 100)
