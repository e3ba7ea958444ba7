"""Grades a submitted lab notebook: isolation, memray/pyperf measurement, thresholds, reports.

``python -m autograder grade LAB SUBMISSION`` (or ``make grade LAB=... NB=...``); see cli.py.
In a lab notebook, ``autograder.describe(LAB)`` prints the checks a lab is graded on,
``autograder.grade_notebook(LAB)`` grades the saved notebook and shows the table, and
``autograder.measure(LAB, CHECK, ...)`` runs only some checks on it: the grader's numbers.
"""


def describe(lab_id):
    """Print lab_id's checks, thresholds and points (read from its TOML file)."""
    from . import cli, lab

    print(cli.describe_text(lab.load(lab_id)))


def grade_notebook(lab_id, path=None):
    """Grade the saved notebook (default: the lab's notebook in this folder): a table."""
    from . import jupyter

    return jupyter.grade_notebook(lab_id, path)


def __getattr__(name):
    """autograder.measure, imported on first use: the grader's measurement module, which is
    callable -- autograder.measure(LAB, CHECK, ...) runs only those checks on the saved
    notebook, as the grader does (`grade --check`), and returns its table, whose
    .metrics(check_id) gives the numbers: {metric name: value}."""
    if name == "measure":
        import importlib

        return importlib.import_module(".measure", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
